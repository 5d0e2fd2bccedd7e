"""The machinery behind :mod:`telegrambot.namedtuple`.

``define`` makes a namedtuple class whose constructor takes keywords only as needed,
ignores unknown fields, renames Python keywords (``from`` -> ``from_``), fills in fixed
discriminator values and converts nested dicts into their own types (a nested dict that
fits none of its abstract type's subtypes, one from a newer API, stays a dict).
``define_abstract`` makes a callable that picks the right subtype for a dict.
"""

import collections
import sys
from typing import Any, Callable, Dict, Iterable, Optional

_registry: Dict[str, Any] = {}


def _resolve(spec: str) -> Callable[[Any], Any]:
    """A converter for a nested field: ``"PhotoSize"``, ``"PhotoSize[]"``, ``"PhotoSize[][]"``."""
    name = spec.rstrip("[]")
    depth = (len(spec) - len(name)) // 2

    def convert(value: Any, depth: int = depth) -> Any:
        if value is None:
            return None
        if depth:
            return [convert(item, depth - 1) for item in value]
        if isinstance(value, dict):
            target = _registry[name]
            if isinstance(target, _Abstract):
                try:
                    target = target.resolve(value)
                except ValueError:  # a subtype newer than this library: keep the dict
                    return value
            return target(**value)
        return value  # already an object (or something we leave alone)

    return convert


class _Object(tuple):
    """Base of every generated type (a namedtuple underneath)."""

    __slots__ = ()
    _known: frozenset = frozenset()
    _nested: Dict[str, str] = {}
    _fixed: Dict[str, Any] = {}
    _converters: Optional[Dict[str, Callable[[Any], Any]]] = None

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if "from" in kwargs:
            kwargs["from_"] = kwargs.pop("from")
        values = {k: v for k, v in kwargs.items() if k in cls._known}
        fixed = cls._fixed
        if args:  # values given by position (copy, pickle) are taken as they are
            given = cls._fields[: len(args)]  # type: ignore[attr-defined]
            fixed = {k: v for k, v in fixed.items() if k not in given}
        for k, v in fixed.items():
            values.setdefault(k, v)
        converters = cls._converters
        if converters is None:
            converters = cls._converters = {k: _resolve(v) for k, v in cls._nested.items()}
        for k, convert in converters.items():
            if values.get(k) is not None:
                values[k] = convert(values[k])
        return super().__new__(cls, *args, **values)  # type: ignore[call-arg]

    def to_dict(self) -> Dict[str, Any]:
        """This object as the dict the Bot API expects (None fields dropped, nested too)."""
        from .api import to_jsonable

        return to_jsonable(self)


def define(
    name: str,
    fields: str,
    nested: Optional[Dict[str, str]] = None,
    fixed: Optional[Dict[str, Any]] = None,
) -> Any:
    field_names = fields.split()
    base = collections.namedtuple(name, field_names, defaults=(None,) * len(field_names))  # type: ignore[misc]
    cls = type(
        name,
        (_Object, base),
        {
            "__slots__": (),
            "__module__": "telegrambot.namedtuple",
            "_known": frozenset(field_names),
            "_nested": nested or {},
            "_fixed": fixed or {},
            "__doc__": "Bot API type %s: https://core.telegram.org/bots/api#%s" % (name, name.lower()),
        },
    )
    # _Object sits first in the MRO so its __new__ runs; the namedtuple's __new__ does the rest.
    _registry[name] = cls
    return cls


class _Abstract:
    """A Bot API type that is one of several subtypes (``ChatMember``, ``ReactionType``, ...)."""

    def __init__(self, name: str, subtypes: Iterable[str]) -> None:
        self.__name__ = name
        self.__qualname__ = name
        self.__module__ = "telegrambot.namedtuple"
        self.__doc__ = "Bot API type %s: https://core.telegram.org/bots/api#%s" % (name, name.lower())
        self.subtypes = tuple(subtypes)

    def resolve(self, data: Dict[str, Any]) -> Any:
        """The subtype class that ``data`` describes.

        A subtype whose fixed values (``type``, ``status``, ...) all match wins over one
        without fixed values; among equals, the one that knows most of the keys present.
        """
        best, best_score = None, None
        for sub in self.subtypes:
            cls = _registry[sub]
            if any(data.get(k) != v for k, v in cls._fixed.items()):
                continue
            score = (bool(cls._fixed), len(cls._known.intersection(data)))
            if best_score is None or score > best_score:
                best, best_score = cls, score
        if best is None:
            raise ValueError(
                "%s: none of %s matches %r" % (self.__name__, ", ".join(self.subtypes), sorted(data))
            )
        return best

    def __call__(self, **kwargs: Any) -> Any:
        return self.resolve(kwargs)(**kwargs)

    def __instancecheck__(self, obj: Any) -> bool:
        return any(isinstance(obj, _registry[s]) for s in self.subtypes)

    def __repr__(self) -> str:
        return "<abstract Bot API type %s>" % self.__name__


def define_abstract(name: str, subtypes: str) -> Any:
    abstract = _Abstract(name, subtypes.split())
    _registry[name] = abstract
    return abstract


def registry() -> Dict[str, Any]:
    """Every defined type by name (the generated module must be imported first)."""
    sys.modules.get("telegrambot.namedtuple") or __import__("telegrambot.namedtuple")
    return dict(_registry)

"""The machinery behind :mod:`telegrambot.namedtuple`.

``define`` makes a namedtuple class whose constructor takes keywords only as needed,
renames Python keywords (``from`` -> ``from_``) and fields the Bot API renamed
(``thumb_url`` -> ``thumbnail_url``), fills in fixed discriminator values and converts
nested dicts into their own types. What happens to a keyword that names no field depends
on the type's direction: a type only ever sent raises TypeError (nothing is dropped
silently), one both sent and received warns, one only received ignores it (a field newer
than this library). Nested dicts in a received object are converted the same lenient way;
in an object that is sent, a nested dict with a key its type lacks stays a dict, and a
nested dict that fits none of its abstract type's subtypes stays a dict everywhere.
``define_abstract`` makes a callable that picks the right subtype for a dict.
"""

import collections
import sys
import warnings
from typing import Any, Callable, Dict, Iterable, Optional, Tuple

__all__ = ["array_helper", "define", "define_abstract", "registry"]

_registry: Dict[str, Any] = {}

Converter = Callable[[Any], Any]


def _resolve(spec: str, incoming: bool) -> Converter:
    """A converter for a nested field: ``"PhotoSize"``, ``"PhotoSize[]"``,
    ``"PhotoSize[][]"``; ``incoming`` for a field of a received object."""
    name = spec.rstrip("[]")
    depth = (len(spec) - len(name)) // 2

    def convert(value: Any, depth: int = depth) -> Any:
        if value is None:
            return None
        if depth:
            if not isinstance(value, (list, tuple)):
                return value
            return [convert(item, depth - 1) for item in value]
        if isinstance(value, dict):
            target = _registry[name]
            if isinstance(target, _Abstract):
                try:
                    target = target.resolve(value)
                except ValueError:  # a subtype newer than this library: keep the dict
                    return value
            return target._from_dict(value, incoming)
        return value  # already an object (or something we leave alone)

    return convert


class _Object(tuple):
    """Base of every generated type (a namedtuple underneath)."""

    __slots__ = ()
    _known: frozenset = frozenset()
    _nested: Dict[str, str] = {}
    _fixed: Dict[str, Any] = {}
    _renamed: Dict[str, str] = {}
    _direction = "in"
    _converters: Optional[Dict[bool, Dict[str, Converter]]] = None

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if not cls._known.issuperset(kwargs):
            kwargs = cls._sort_out(kwargs, cls._direction)
        return cls._make_from(args, kwargs, cls._direction == "in")

    @classmethod
    def _sort_out(cls, kwargs: Dict[str, Any], direction: str) -> Dict[str, Any]:
        """``kwargs`` with old names replaced by new ones, and keywords that name no field
        dealt with as ``direction`` says ('out': TypeError, 'both': warning, else dropped)."""
        known, renamed = cls._known, cls._renamed
        values: Dict[str, Any] = {}
        unknown = []
        for key, value in kwargs.items():
            if key in known:
                target = key
            elif key == "from" and "from_" in known:
                target = "from_"
            elif key in renamed:
                target = renamed[key]
            else:
                unknown.append(key)
                continue
            if target != key and (target in kwargs or target in values):
                raise TypeError("%s() got both %r and its old name %r" % (cls.__name__, target, key))
            values[target] = value
        if unknown and direction != "in":
            names = ", ".join(map(repr, unknown))
            if direction == "out":
                raise TypeError(
                    "%s() got unexpected keyword arguments %s: the Bot API type %s has no such "
                    "field (see https://core.telegram.org/bots/api#%s; a dict is sent as it is)"
                    % (cls.__name__, names, cls.__name__, cls.__name__.lower()))
            warnings.warn("%s() ignored keyword arguments %s: the Bot API type %s has no such "
                          "field" % (cls.__name__, names, cls.__name__), stacklevel=3)
        return values

    @classmethod
    def _make_from(cls, args: Tuple[Any, ...], values: Dict[str, Any], incoming: bool) -> Any:
        fixed = cls._fixed
        if args:  # values given by position (copy, pickle) are taken as they are
            given = cls._fields[: len(args)]  # type: ignore[attr-defined]
            fixed = {k: v for k, v in fixed.items() if k not in given}
        for k, v in fixed.items():
            values.setdefault(k, v)
        # nested dicts are read the way the outermost object is: received or sent
        by_context = cls.__dict__.get("_converters")
        if by_context is None:
            by_context = cls._converters = {}
        converters = by_context.get(incoming)
        if converters is None:
            converters = by_context[incoming] = {k: _resolve(v, incoming) for k, v in cls._nested.items()}
        for k, convert in converters.items():
            if values.get(k) is not None:
                values[k] = convert(values[k])
        return super().__new__(cls, *args, **values)  # type: ignore[call-arg]

    @classmethod
    def _from_dict(cls, data: Dict[str, Any], incoming: bool) -> Any:
        """A nested dict as this type: in a received object, fields unknown here are
        dropped; in one that is sent, a dict with such a field stays a dict (old field
        names renamed), so nothing is lost."""
        known = cls._known
        if known.issuperset(data):
            return cls._make_from((), dict(data), incoming)
        if incoming:
            return cls._make_from((), cls._sort_out(data, "in"), incoming)
        renamed = cls._renamed
        if all(key in known or key in renamed or (key == "from" and "from_" in known) for key in data):
            return cls._make_from((), cls._sort_out(data, "in"), incoming)
        return {renamed.get(key, key): value for key, value in data.items()}

    def to_dict(self) -> Dict[str, Any]:
        """This object as the dict the Bot API expects (None fields dropped, nested too)."""
        from .core.request import to_jsonable

        return to_jsonable(self)


def define(
    name: str,
    fields: str,
    nested: Optional[Dict[str, str]] = None,
    fixed: Optional[Dict[str, Any]] = None,
    renamed: Optional[Dict[str, str]] = None,
    direction: str = "in",
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
            "_renamed": renamed or {},
            "_direction": direction,
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


def array_helper(module_name: str, name: str) -> Callable[[Any], Any]:
    """``<Type>Array`` (a list of dicts made into objects of the type),
    ``<Type>ArrayArray`` (a list of such lists), ...: made on first use and kept in the
    module ``module_name``. Raises AttributeError for any other name."""
    base, depth = name, 0
    while base.endswith("Array"):
        base, depth = base[: -len("Array")], depth + 1
    target = _registry.get(base) if depth else None
    if target is None:
        raise AttributeError("module %r has no attribute %r" % (module_name, name))

    def convert(data: Any, depth: int = depth) -> Any:
        if data is None:
            return None
        if depth:
            return [convert(item, depth - 1) for item in data]
        return target(**data) if isinstance(data, dict) else data

    def helper(data: Iterable[Any]) -> Any:
        return convert(data)

    helper.__name__ = helper.__qualname__ = name
    helper.__module__ = module_name
    helper.__doc__ = "A list%s of %s objects made from a list%s of dicts." % (
        " of lists" * (depth - 1), base, " of lists" * (depth - 1))
    setattr(sys.modules[module_name], name, helper)
    return helper

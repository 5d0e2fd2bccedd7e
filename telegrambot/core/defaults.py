"""Default values for Bot API parameters: ``Bot(token, defaults={"parse_mode": "HTML"})``.

Which parameters and object fields a default fills is derived from the Bot API facts
(the package's ``botapi.json``), never listed by hand: a default for ``parse_mode`` fills
the ``parse_mode`` parameter of every method that has one, and the ``parse_mode`` field of
every object type that a method's parameters can carry (``InputMedia*`` in sendMediaGroup,
``InlineQueryResult*`` and their ``InputTextMessageContent`` in answerInlineQuery, ...).

Rules, applied by :meth:`Defaults.apply` to each call's parameters:

* A parameter or field the caller gave wins. At the top level "given" means not None (the
  generated methods cannot tell an explicit None from a missing argument); to send one call
  without a default, pass ``api_kwargs={"parse_mode": None}``. In a dict object a key
  that is present is the caller's, even with None; in a ``telegrambot.namedtuple`` object
  a None field gets the default.
* A default ``parse_mode`` (or ``X_parse_mode``) is not applied where the caller gave the
  matching entities (``entities`` / ``caption_entities``, or ``X_entities``): Telegram
  would ignore those for the parse mode.
* Only optional parameters and fields are filled; a required one is always the caller's.
* Objects are never changed in place: a filled dict or namedtuple is a copy.

A key that no method and no object type takes fails at construction (ValueError), with
the closest names. Nothing here does I/O except reading the packaged facts when a
:class:`Defaults` is made.
"""

import difflib
import json
import keyword
from typing import Any, Dict, FrozenSet, List, Mapping, Optional, Sequence, Tuple

__all__ = ["Defaults"]

_SCALARS = frozenset({"Integer", "String", "Boolean", "Float", "InputFile"})
Fill = Tuple[str, Any, Tuple[str, ...]]  # (name, value, names that block it when given)


def _load_facts() -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """The methods and types of the packaged ``botapi.json``. Read for each Defaults and
    then dropped: the parsed facts take megabytes, a compiled plan a few hundred KB."""
    from importlib import resources

    facts = json.loads(resources.files("telegrambot").joinpath("botapi.json").read_text("utf-8"))
    return facts["methods"], facts["types"]


def _names(types: Sequence[str]) -> List[str]:
    """The object type names in a list of Bot API type expressions."""
    out = []
    for expression in types:
        while expression.startswith("Array of "):
            expression = expression[len("Array of "):]
        if expression not in _SCALARS:
            out.append(expression)
    return out


def _blockers(name: str, siblings: Sequence[str]) -> Tuple[str, ...]:
    """The entities parameters that make a default ``name`` (a parse mode) moot."""
    if not name.endswith("parse_mode"):
        return ()
    prefix = name[: -len("parse_mode")]
    wanted = {prefix + "entities"} | ({"caption_entities"} if not prefix else set())
    return tuple(s for s in siblings if s in wanted)


class _TypePlan:
    """What to fill in one concrete object type, and which of its fields to walk into."""

    __slots__ = ("name", "fills", "descend")

    def __init__(self, name: str) -> None:
        self.name = name
        self.fills: Tuple[Fill, ...] = ()
        self.descend: Tuple[Tuple[str, _Union], ...] = ()

    def fill_dict(self, obj: Dict[str, Any]) -> Dict[str, Any]:
        changed: Optional[Dict[str, Any]] = None
        for name, value, blockers in self.fills:
            if name in obj or any(obj.get(b) is not None for b in blockers):
                continue
            if changed is None:
                changed = dict(obj)
            changed[name] = value
        for name, union in self.descend:
            inner = obj.get(name)
            if inner is None:
                continue
            new = union.walk(inner)
            if new is not inner:
                if changed is None:
                    changed = dict(obj)
                changed[name] = new
        return obj if changed is None else changed

    def fill_tuple(self, obj: Any) -> Any:
        changes: Dict[str, Any] = {}
        for name, value, blockers in self.fills:
            attr = name + "_" if keyword.iskeyword(name) else name
            if getattr(obj, attr, None) is None and not any(
                getattr(obj, b, None) is not None for b in blockers
            ):
                changes[attr] = value
        for name, union in self.descend:
            attr = name + "_" if keyword.iskeyword(name) else name
            inner = getattr(obj, attr, None)
            if inner is not None:
                new = union.walk(inner)
                if new is not inner:
                    changes[attr] = new
        return obj._replace(**changes) if changes else obj


class _Union:
    """The object types a parameter or field may hold; picks the one a value is.

    Where every candidate has a discriminator (``type``, ``status``, ...) the value's
    discriminator narrows the candidates through an index; candidates that would be
    filled alike need no further choice. Otherwise (and among types sharing a
    discriminator value) the candidate knowing most of the value's keys wins, as
    :mod:`telegrambot.namedtuple` decides.
    """

    __slots__ = ("candidates", "by_name", "key", "index", "single")

    def __init__(self, candidates: List[Tuple[str, Tuple[Tuple[str, Any], ...], FrozenSet[str],
                                              Optional[_TypePlan]]]) -> None:
        self.candidates = candidates
        self.by_name = {name: plan for name, _, _, plan in candidates}
        self.single = len(candidates) == 1
        self.key: Optional[str] = None
        self.index: Dict[Any, Any] = {}

    def finish(self) -> None:
        """Build the discriminator index, once every plan is complete (plans of types
        nested in themselves are still being built while their unions are made)."""
        candidates = self.candidates
        common = None
        for _, fixed, _, _ in candidates:
            keys = {k for k, _ in fixed}
            common = keys if common is None else common & keys
        if common:
            self.key = sorted(common)[0]
            groups: Dict[Any, List[Any]] = {}
            for candidate in candidates:
                value = dict(candidate[1])[self.key]
                groups.setdefault(value, []).append(candidate)
            for value, group in groups.items():
                plans = {_signature(c[3]) for c in group}
                # one plan for the group: no need to look further
                self.index[value] = group[0][3] if len(plans) == 1 else group

    def _plan_for(self, obj: Dict[str, Any]) -> Optional[_TypePlan]:
        if self.single:
            return self.candidates[0][3]
        candidates = self.candidates
        if self.key is not None:
            try:
                found = self.index.get(obj.get(self.key))
            except TypeError:  # an unhashable discriminator: not a value of any type
                return None
            if found is None:
                return None  # a type newer than this library, or not an object of these
            if not isinstance(found, list):
                return found
            candidates = found
        best, best_score = None, None
        keys = obj.keys()
        for _, fixed, known, plan in candidates:
            if fixed and any(obj.get(k) != v for k, v in fixed):
                continue
            score = (bool(fixed), len(known & keys))
            if best_score is None or score > best_score:
                best, best_score = plan, score
        if best_score is None or best_score == (False, 0):
            return None  # nothing says which type this is: leave it alone
        return best

    def walk(self, value: Any) -> Any:
        if isinstance(value, dict):
            plan = self._plan_for(value)
            return value if plan is None else plan.fill_dict(value)
        if hasattr(value, "_fields"):  # a telegrambot.namedtuple object
            plan = self.by_name.get(type(value).__name__)
            return value if plan is None else plan.fill_tuple(value)
        if isinstance(value, (list, tuple)):
            items = [self.walk(v) for v in value]
            if all(a is b for a, b in zip(items, value)):
                return value
            return items
        return value


def _signature(plan: Optional[_TypePlan]) -> Any:
    """What a plan does, comparable between types: equal signatures fill alike."""
    if plan is None:
        return None
    return (tuple((n, id(v), b) for n, v, b in plan.fills),
            tuple((n, id(u)) for n, u in plan.descend))


class Defaults:
    """The defaults of one Bot, compiled against the Bot API facts.

    ``values`` maps parameter / field names to values (None values are ignored).
    Raises ValueError for a key that nothing takes, or that is required wherever it is
    taken (a default could never apply).
    """

    __slots__ = ("values", "_methods")

    def __init__(self, values: Mapping[str, Any],
                 facts: Optional[Tuple[Dict[str, Any], Dict[str, Any]]] = None) -> None:
        if not isinstance(values, Mapping):
            raise TypeError("defaults must be a dict of parameter names to values, not %s"
                            % type(values).__name__)
        for key in values:
            if not isinstance(key, str):
                raise TypeError("defaults: keys are parameter names (str), not %r" % (key,))
        self.values: Dict[str, Any] = {k: v for k, v in values.items() if v is not None}
        methods, types = facts if facts is not None else _load_facts()
        self._methods: Dict[str, Tuple[Tuple[Fill, ...], Tuple[Tuple[str, _Union], ...]]] = {}
        self._compile(methods, types)

    def __repr__(self) -> str:
        return "Defaults(%r)" % (self.values,)

    # ---------------------------------------------------------------- compiling

    def _compile(self, methods: Dict[str, Any], types: Dict[str, Any]) -> None:
        keys = set(self.values)
        if not keys:
            return
        reachable = self._reachable(methods, types)
        optional_somewhere, anywhere = set(), set()
        for info in methods.values():
            for p in info["params"]:
                anywhere.add(p["name"])
                if not p["required"]:
                    optional_somewhere.add(p["name"])
        for name in reachable:
            for f in types[name].get("fields", ()):
                anywhere.add(f["name"])
                if not f["required"] and "value" not in f:
                    optional_somewhere.add(f["name"])
        for key in sorted(keys):
            if key in optional_somewhere:
                continue
            if key in anywhere:
                raise ValueError("defaults: %r is required wherever the Bot API takes it, so a "
                                 "default could never apply: pass it with each call" % key)
            close = difflib.get_close_matches(key, sorted(optional_somewhere), n=3)
            hint = " (did you mean %s?)" % " or ".join(repr(c) for c in close) if close else ""
            raise ValueError("defaults: no Bot API method or object takes %r%s" % (key, hint))

        reaching = self._reaching(keys, types, reachable)
        plans: Dict[str, Optional[_TypePlan]] = {}

        def type_plan(name: str) -> Optional[_TypePlan]:
            if name in plans:
                return plans[name]
            if name not in reaching or "fields" not in types[name]:
                plans[name] = None
                return None
            plan = plans[name] = _TypePlan(name)
            fields = types[name]["fields"]
            names = [f["name"] for f in fields]
            plan.fills = tuple(
                (f["name"], self.values[f["name"]], _blockers(f["name"], names))
                for f in fields
                if f["name"] in keys and not f["required"] and "value" not in f
            )
            descend = []
            for f in fields:
                inner = union(f["types"])
                if inner is not None:
                    descend.append((f["name"], inner))
            plan.descend = tuple(descend)
            return plan

        unions: Dict[Tuple[str, ...], Optional[_Union]] = {}
        every: List[_Union] = []  # a union made again inside its own making is kept too

        def union(type_exprs: Sequence[str]) -> Optional[_Union]:
            concrete = tuple(self._concrete(_names(type_exprs), types))
            if concrete in unions:
                return unions[concrete]
            if not any(c in reaching for c in concrete):
                unions[concrete] = None
                return None
            candidates = []
            for name in concrete:
                fields = types[name].get("fields", ())
                fixed = tuple((f["name"], f["value"]) for f in fields if "value" in f)
                known = frozenset(f["name"] for f in fields)
                candidates.append((name, fixed, known, type_plan(name)))
            made = unions[concrete] = _Union(candidates)
            every.append(made)
            return made

        for method, info in methods.items():
            params = info["params"]
            names = [p["name"] for p in params]
            top = tuple(
                (p["name"], self.values[p["name"]], _blockers(p["name"], names))
                for p in params
                if p["name"] in keys and not p["required"]
            )
            nested = []
            for p in params:
                inner = union(p["types"])
                if inner is not None:
                    nested.append((p["name"], inner))
            if top or nested:
                self._methods[method] = (top, tuple(nested))
        for made in every:
            made.finish()

    @staticmethod
    def _concrete(names: Sequence[str], types: Dict[str, Any]) -> List[str]:
        """``names`` with abstract types replaced by their subtypes (recursively)."""
        out: List[str] = []
        stack = list(reversed(names))
        while stack:
            name = stack.pop()
            info = types.get(name)
            if info is None:
                continue
            if "subtypes" in info:
                stack.extend(reversed(info["subtypes"]))
            elif name not in out:
                out.append(name)
        return out

    def _reachable(self, methods: Dict[str, Any], types: Dict[str, Any]) -> FrozenSet[str]:
        """Concrete object types that some method's parameters can carry."""
        seen: set = set()
        stack = self._concrete([n for info in methods.values() for p in info["params"]
                                for n in _names(p["types"])], types)
        while stack:
            name = stack.pop()
            if name in seen:
                continue
            seen.add(name)
            for f in types[name].get("fields", ()):
                stack.extend(c for c in self._concrete(_names(f["types"]), types) if c not in seen)
        return frozenset(seen)

    def _reaching(self, keys: set, types: Dict[str, Any], reachable: FrozenSet[str]) -> FrozenSet[str]:
        """Reachable types that have, or contain an object that has, a field to fill."""
        reaching = {name for name in reachable
                    if any(f["name"] in keys and not f["required"] and "value" not in f
                           for f in types[name].get("fields", ()))}
        changed = True
        while changed:
            changed = False
            for name in reachable - reaching:
                for f in types[name].get("fields", ()):
                    if any(c in reaching for c in self._concrete(_names(f["types"]), types)):
                        reaching.add(name)
                        changed = True
                        break
        return frozenset(reaching)

    # ---------------------------------------------------------------- applying

    def apply(self, method: str, params: Dict[str, Any]) -> None:
        """Fill ``params`` (a call's own dict, changed in place) with the defaults that
        apply to ``method``."""
        plan = self._methods.get(method)
        if plan is None:
            return
        top, nested = plan
        for name, value, blockers in top:
            if params.get(name) is None and not any(params.get(b) is not None for b in blockers):
                params[name] = value
        for name, union in nested:
            inner = params.get(name)
            if inner is not None:
                params[name] = union.walk(inner)

    def targets(self) -> Dict[str, List[str]]:
        """Where the defaults apply: method name -> the parameters it fills, then
        ``Type.field`` for each field it fills in objects the method's parameters may carry
        (for documentation and tests)."""
        out: Dict[str, List[str]] = {}
        for method, (top, nested) in self._methods.items():
            fields: set = set()
            seen: set = set()
            for _, union in nested:
                _collect(union, seen, fields)
            out[method] = [name for name, _, _ in top] + sorted(fields)
        return out


def _collect(union: _Union, seen: set, fields: set) -> None:
    for name, _, _, plan in union.candidates:
        if plan is None or name in seen:
            continue
        seen.add(name)
        fields.update("%s.%s" % (name, f) for f, _, _ in plan.fills)
        for _, inner in plan.descend:
            _collect(inner, seen, fields)

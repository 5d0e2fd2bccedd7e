"""Bot API facts for the emulator, read once per process from the package's ``botapi.json``.

:func:`facts` loads the file on first use and keeps the result; everything derived from it
(canonical method names, parameter types, skeleton objects) is computed once here, so a
request never re-reads or re-parses the file.
"""

import itertools
import json
import re
import threading
import time
from importlib import resources
from typing import Any, Dict, List, Optional, Tuple

_lock = threading.Lock()
_facts: Optional["Facts"] = None
_INT_RE = re.compile(r"-?\d+\Z")


class Facts:
    """Methods, types and update types of the Bot API, with helpers built on them."""

    def __init__(self, data: Dict[str, Any]) -> None:
        self.version: str = data["version"]
        self.update_types: List[str] = list(data["update_types"])
        self.methods: Dict[str, Dict[str, Any]] = data["methods"]
        self.types: Dict[str, Dict[str, Any]] = data["types"]
        # lower-case name -> canonical name ('sendmessage' -> 'sendMessage')
        self.canonical: Dict[str, str] = {name.lower(): name for name in self.methods}
        # method -> {param: types}
        self.param_types: Dict[str, Dict[str, List[str]]] = {
            name: {p["name"]: p["types"] for p in info["params"]}
            for name, info in self.methods.items()
        }
        self.required: Dict[str, Tuple[str, ...]] = {
            name: tuple(p["name"] for p in info["params"] if p["required"])
            for name, info in self.methods.items()
        }
        self.field_types: Dict[str, Dict[str, List[str]]] = {
            name: {f["name"]: f["types"] for f in info.get("fields", ())}
            for name, info in self.types.items()
        }
        self._ids = itertools.count(1)

    # -- parameters ---------------------------------------------------------------------

    def decode_param(self, method: str, name: str, value: Any) -> Any:
        """Turn a string parameter into the value its declared type calls for.

        Form fields and query strings carry everything as text; objects and arrays arrive
        JSON-encoded, numbers and booleans as their literal text. A JSON number or boolean
        given for a String parameter becomes its text, as Telegram reads it.
        """
        types = self.param_types.get(method, {}).get(name)
        if not isinstance(value, str):
            if types == ["String"] and isinstance(value, (int, float, bool)):
                return json.dumps(value)  # Telegram reads a JSON number as its text: 42 -> "42"
            return value
        if types is None:  # an extra parameter: decode only what is clearly JSON
            return _loads(value) if value[:1] in ("{", "[") else value
        if types == ["String"] or "InputFile" in types:
            return value
        if "String" in types:  # Integer or String (chat_id and the like)
            return int(value) if _INT_RE.match(value) else value
        return _loads(value)

    # -- objects --------------------------------------------------------------------------

    def build(self, type_name: str, values: Optional[Dict[str, Any]] = None,
              defaults: Optional[Dict[str, Any]] = None, _depth: int = 0) -> Any:
        """A plausible object of ``type_name``: required fields filled, ``values`` laid over.

        ``values`` may hold more keys than the type has fields; only the type's fields are
        taken. ``defaults`` maps a type name ('User', 'Chat') to the object to use wherever a
        required field of that type appears.
        """
        defaults = defaults or {}
        if type_name.startswith("Array of "):
            return []
        scalar = _SCALARS.get(type_name)
        if scalar is not None:
            return scalar
        if type_name in defaults:
            return defaults[type_name]
        info = self.types.get(type_name)
        if info is None:
            return {}
        if "subtypes" in info:
            return self.build(self._pick(values, info["subtypes"]), values, defaults, _depth)
        values = values or {}
        obj: Dict[str, Any] = {}
        for field in info["fields"]:
            name = field["name"]
            if name in values and values[name] is not None:
                obj[name] = self.convert(values[name], field["types"][0])
            elif "value" in field:
                obj[name] = field["value"]
            elif field["required"] and _depth < 6:
                obj[name] = self._filler(name, field["types"][0], defaults, _depth)
        return obj

    def convert(self, value: Any, type_name: str) -> Any:
        """``value`` reshaped as ``type_name``: objects keep only that type's fields (an
        InputChecklist becomes a Checklist), recursively; other values are kept."""
        if type_name.startswith("Array of ") and isinstance(value, list):
            return [self.convert(item, type_name[len("Array of "):]) for item in value]
        if isinstance(value, dict) and type_name in self.types:
            return self.build(type_name, value)
        return value

    def _pick(self, values: Optional[Dict[str, Any]], subtypes: List[str]) -> str:
        """The subtype whose discriminator values ``values`` carries, else the first."""
        for name in subtypes:
            fixed = [f for f in self.types[name]["fields"] if "value" in f]
            if values and fixed and all(values.get(f["name"]) == f["value"] for f in fixed):
                return name
        return subtypes[0]

    def _filler(self, name: str, type_name: str, defaults: Dict[str, Any], depth: int) -> Any:
        if type_name == "Integer" and name.endswith("date"):
            return int(time.time())
        if type_name == "String" and (name == "id" or name.endswith("_id")):
            return "%s-%d" % (name, next(self._ids))
        if type_name == "String" and name in ("invite_link", "url"):
            return "https://t.me/+emulated%d" % next(self._ids)
        return self.build(type_name, None, defaults, depth + 1)


    def check(self, obj: Any, type_name: str, path: str = "object") -> None:
        """Raise AssertionError unless ``obj`` is shaped as ``type_name`` declares.

        Required fields must be present, no field may be unknown, values must have the
        declared type (recursively); an abstract type must match one of its subtypes.
        """
        if type_name.startswith("Array of "):
            assert isinstance(obj, list), "%s should be a list: %r" % (path, obj)
            for index, item in enumerate(obj):
                self.check(item, type_name[len("Array of "):], "%s[%d]" % (path, index))
            return
        scalar = _CHECKS.get(type_name)
        if scalar is not None:
            assert isinstance(obj, scalar), "%s should be %s: %r" % (path, type_name, obj)
            return
        info = self.types[type_name]
        if "subtypes" in info:
            self.check(obj, self._subtype(obj, info["subtypes"], path), path)
            return
        assert isinstance(obj, dict), "%s should be a %s object: %r" % (path, type_name, obj)
        fields = {f["name"]: f for f in info["fields"]}
        unknown = set(obj) - set(fields)
        assert not unknown, "%s (%s) has unknown fields %s" % (path, type_name, sorted(unknown))
        for name, field in fields.items():
            if name in obj:
                self.check(obj[name], field["types"][0], "%s.%s" % (path, name))
            else:
                assert not field["required"], "%s (%s) lacks %s" % (path, type_name, name)

    def _subtype(self, obj: Any, subtypes: List[str], path: str) -> str:
        """The subtype whose fixed discriminator values ``obj`` carries."""
        fallback = None
        for name in subtypes:
            fixed = [f for f in self.types[name]["fields"] if "value" in f]
            if not fixed:
                fallback = fallback or name
            elif isinstance(obj, dict) and all(obj.get(f["name"]) == f["value"] for f in fixed):
                return name
        assert fallback is not None, "%s matches none of %s: %r" % (path, subtypes, obj)
        return fallback


_CHECKS: Dict[str, Any] = {"Integer": int, "String": str, "Boolean": bool,
                           "Float": (int, float), "InputFile": str}
_SCALARS = {"Integer": 0, "String": "", "Boolean": False, "Float": 0.0, "InputFile": ""}


def _loads(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


def facts() -> Facts:
    """The process-wide :class:`Facts`, loaded on first call."""
    global _facts
    with _lock:
        if _facts is None:
            text = resources.files("telegrambot").joinpath("botapi.json").read_text("utf-8")
            _facts = Facts(json.loads(text))
        return _facts

"""Captures: which listeners want a message. No queue, no thread, no lock.

A listener *captures* patterns; a pattern is a list of templates that must all match
(:func:`match`). :class:`CaptureIndex` finds the listeners whose patterns a message matches:
patterns whose dict templates hold constant values (``{'chat': {'id': 42}}``) are indexed
by those values, grouped by where they sit in a message (the *shape*), so a message costs
one lookup per shape in use plus a check of each candidate; patterns without any constant
(only functions, say) are checked one by one. The runtimes add the queues and the waking:
:class:`telegrambot.helper.ListenerHub` for threads.

The patterns of the standard delegates live here too, so every runtime captures the same
things: :func:`chat_patterns`, :func:`user_patterns`, :func:`origin_pattern`,
:func:`invoice_patterns`, :func:`event_pattern`.
"""

import itertools
import re
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from ..exception import BadFlavor
from .flavor import flavor

__all__ = [
    "match",
    "match_all",
    "as_pattern",
    "Capture",
    "CaptureIndex",
    "CapturingListener",
    "is_callback_query",
    "flavor_in",
    "chat_patterns",
    "user_patterns",
    "origin_pattern",
    "invoice_patterns",
    "event_pattern",
]

# ------------------------------------------------------------------ templates


def _is_regex(key: Any) -> bool:
    return hasattr(key, "search")


def match(data: Any, template: Any) -> bool:
    """Does ``data`` match ``template``?

    A dict template matches a dict whose selected parts match its values: a key that is a
    string selects that field, a compiled regex selects every field whose name it finds
    (any of them may match). A callable template is called with the data and says yes or
    no; any other template must equal the data.
    """
    if isinstance(template, dict) and isinstance(data, dict):
        for key, sub in template.items():
            if _is_regex(key):
                if not any(match(v, sub) for k, v in data.items() if isinstance(k, str) and key.search(k)):
                    return False
            elif key not in data or not match(data[key], sub):
                return False
        return True
    if callable(template):
        return bool(template(data))
    return data == template


def match_all(msg: Any, pattern: Iterable[Any]) -> bool:
    """True when ``msg`` matches every template of ``pattern``."""
    return all(match(msg, template) for template in pattern)


def as_pattern(pattern: Any) -> List[Any]:
    """A pattern as a list of templates: a single dict or function is a pattern of one."""
    if isinstance(pattern, dict) or callable(pattern):
        return [pattern]
    return list(pattern)


def _leaves(template: Any, path: Tuple[Any, ...], out: List[Tuple[Tuple[Any, ...], Any]]) -> bool:
    """Collect (path, value) for every constant value in a dict template.

    Returns True when those leaves say everything the template says (no functions, no
    regex keys, no unhashable or empty parts), so matching them is matching the template.
    """
    exact = bool(template)
    for key, sub in template.items():
        if _is_regex(key):
            exact = False
        if isinstance(sub, dict):
            exact = _leaves(sub, path + (key,), out) and exact
            continue
        if callable(sub):
            exact = False
            continue
        try:
            hash(sub)
        except TypeError:
            exact = False
            continue
        out.append((path + (key,), sub))
    return exact


class Capture:
    """One captured pattern of one listener (``owner``), with where its constants sit in a
    message (``shape``), their values (``key``), and whether they say all the pattern says
    (``exact``: no template check needed once the index found it)."""

    __slots__ = ("owner", "pattern", "shape", "key", "exact")

    def __init__(self, owner: Any, pattern: List[Any]) -> None:
        self.owner = owner
        self.pattern = pattern
        leaves: List[Tuple[Tuple[Any, ...], Any]] = []
        exact = True
        for template in pattern:
            if isinstance(template, dict):
                exact = _leaves(template, (), leaves) and exact
            else:
                exact = False
        self.shape = tuple(path for path, _ in leaves)
        self.key = tuple(value for _, value in leaves)
        self.exact = exact and bool(leaves)

    def matches(self, msg: Any) -> bool:
        return self.exact or match_all(msg, self.pattern)


_REGEX_CACHE_LIMIT = 4096


class _Shape:
    """The captures whose constants sit at the same places (``paths``) of a message,
    indexed by those constants."""

    __slots__ = ("paths", "table")

    def __init__(self, paths: Tuple[Tuple[Any, ...], ...]) -> None:
        # each path with whether all its keys are plain (no regex)
        self.paths = tuple((path, not any(_is_regex(key) for key in path)) for path in paths)
        self.table: Dict[Tuple[Any, ...], Dict[Capture, None]] = {}


class CaptureIndex:
    """The captures of many listeners, indexed (see the top of this module).

    Not thread-safe: a runtime that shares it between threads locks around it.
    :meth:`template_failed` is called (inside the ``except`` block) when a template raises
    on a message; the message is then taken as no match for it.
    """

    def __init__(self) -> None:
        self._shapes: Dict[Tuple[Any, ...], _Shape] = {}
        self._scan: Dict[Capture, None] = {}
        self._regex_hits: Dict[Any, Dict[str, bool]] = {}  # regex -> {field name: found}

    def index(self, capture: Capture) -> None:
        """Start finding ``capture``."""
        if capture.shape:
            shape = self._shapes.get(capture.shape)
            if shape is None:
                shape = self._shapes[capture.shape] = _Shape(capture.shape)
            shape.table.setdefault(capture.key, {})[capture] = None
        else:
            self._scan[capture] = None

    def attach(self, listener: Any, pattern: List[Any]) -> None:
        """Capture ``pattern`` for ``listener`` (a :class:`CapturingListener`) and index it."""
        if listener.closed:
            raise RuntimeError("this listener is closed")
        capture = Capture(listener, pattern)
        listener._captures.append(capture)
        self.index(capture)

    def detach(self, listener: Any, pattern: Optional[List[Any]] = None) -> None:
        """Drop ``listener``'s captures equal to ``pattern`` (all of them for None)."""
        keep = []
        for capture in listener._captures:
            if pattern is None or capture.pattern == pattern:
                self.unindex(capture)
            else:
                keep.append(capture)
        listener._captures = keep

    def unindex(self, capture: Capture) -> None:
        """Stop finding ``capture`` (indexed before)."""
        if not capture.shape:
            self._scan.pop(capture, None)
            return
        table = self._shapes[capture.shape].table
        bucket = table[capture.key]
        del bucket[capture]
        if not bucket:
            del table[capture.key]
            if not table:
                del self._shapes[capture.shape]

    def _selected(self, regex: Any, data: Dict[Any, Any]) -> List[Any]:
        """The values of the fields of ``data`` whose names ``regex`` finds (names seen
        before are looked up, not searched again)."""
        hits = self._regex_hits.get(regex)
        if hits is None or len(hits) >= _REGEX_CACHE_LIMIT:
            hits = self._regex_hits[regex] = {}
        found = []
        for name, value in data.items():
            hit = hits.get(name)
            if hit is None:
                hit = hits[name] = isinstance(name, str) and regex.search(name) is not None
            if hit:
                found.append(value)
        return found

    def _values(self, data: Any, path: Tuple[Any, ...], plain: bool) -> Sequence[Any]:
        """What ``data`` holds at ``path`` (several values where a regex selects several)."""
        if plain:
            for key in path:
                if not isinstance(data, dict) or key not in data:
                    return ()
                data = data[key]
            return (data,)
        values = [data]
        for key in path:
            found = []
            for value in values:
                if not isinstance(value, dict):
                    continue
                if _is_regex(key):
                    found.extend(self._selected(key, value))
                elif key in value:
                    found.append(value[key])
            if not found:
                return found
            values = found
        return values

    def candidates(self, msg: Any) -> Iterable[Capture]:
        """The captures that may match ``msg``: those its values find in the index, then
        those without constants."""
        for shape in self._shapes.values():
            columns = []
            for path, plain in shape.paths:
                values = self._values(msg, path, plain)
                if not values:
                    break
                columns.append(values)
            else:
                keys = (tuple(v[0] for v in columns),) if all(len(v) == 1 for v in columns) \
                    else itertools.product(*columns)
                for key in keys:
                    try:
                        bucket = shape.table.get(key)
                    except TypeError:  # an unhashable value at an indexed place
                        continue
                    if bucket:
                        yield from bucket
        yield from self._scan

    def matching(self, msg: Any) -> List[Any]:
        """The owners of the captures ``msg`` matches, each once."""
        found: Dict[Any, None] = {}
        for capture in self.candidates(msg):
            owner = capture.owner
            if owner in found:
                continue
            try:
                if capture.matches(msg):
                    found[owner] = None
            except Exception:
                self.template_failed(msg)
        return list(found)

    def template_failed(self, msg: Any) -> None:
        """A template raised on ``msg`` (called in the ``except`` block): nothing here."""


class CapturingListener:
    """What every runtime's listener shares: its captures, kept in a hub that has
    ``add(listener, pattern)`` and ``remove(listener, pattern=None)`` (a
    :class:`CaptureIndex` with the runtime's queues). Each pattern is a list of templates
    that must all match (see :func:`match`): functions, or dicts whose keys are strings or
    compiled regexes and whose values are data or functions."""

    def __init__(self, hub: Any) -> None:
        self._hub = hub
        self._captures: List[Capture] = []
        self.closed = False

    def capture(self, pattern: Any) -> None:
        """Start capturing messages that match ``pattern`` (a list of templates; a single
        dict or function is taken as a list of one)."""
        self._hub.add(self, as_pattern(pattern))

    def cancel_capture(self, pattern: Any) -> None:
        """Stop capturing ``pattern`` (every capture equal to it)."""
        self._hub.remove(self, as_pattern(pattern))

    def clear_captures(self) -> None:
        """Stop capturing anything."""
        self._hub.remove(self)

    def list_captures(self) -> List[List[Any]]:
        """The captured patterns."""
        return [capture.pattern for capture in self._captures]

    def _check_captures(self) -> None:
        if not self._captures:
            raise RuntimeError("Listener has nothing to capture")


# ------------------------------------------------------------------ the standard patterns


def is_callback_query(msg: Any) -> bool:
    """Template: ``msg`` is a callback query."""
    try:
        return flavor(msg) == "callback_query"
    except BadFlavor:
        return False


def flavor_in(flavors: Sequence[str]) -> Any:
    """Template: ``msg``'s flavor is one of ``flavors``."""

    def check(msg: Any) -> bool:
        try:
            return flavor(msg) in flavors
        except BadFlavor:
            return False

    return check


def chat_patterns(chat_id: Any, include_callback_query: bool = False) -> List[List[Any]]:
    """A chat's delegate: the chat's messages, and callback queries from its messages if
    ``include_callback_query``."""
    patterns: List[List[Any]] = [[{"chat": {"id": chat_id}}]]
    if include_callback_query:
        patterns.append([{"message": {"chat": {"id": chat_id}}}, is_callback_query])
    return patterns


def user_patterns(user_id: Any, flavors: Any, include_callback_query: bool = False) -> List[List[Any]]:
    """A user's delegate: what the user sends, of ``flavors`` (or ``'all'``), and callback
    queries from the user's private chat if ``include_callback_query``."""
    if flavors == "all":
        patterns: List[List[Any]] = [[{"from": {"id": user_id}}]]
    else:
        patterns = [[{"from": {"id": user_id}}, flavor_in(tuple(flavors))]]
    if include_callback_query:
        patterns.append([{"message": {"chat": {"id": user_id}}}, is_callback_query])
    return patterns


def origin_pattern(origin: Tuple[Any, ...]) -> List[Any]:
    """Callback queries from ``origin``, a message identifier: ``(chat_id, message_id)``
    or ``(inline_message_id,)``."""
    if len(origin) == 2:
        return [{"message": {"chat": {"id": origin[0]}, "message_id": origin[1]}}, is_callback_query]
    return [{"inline_message_id": origin[0]}, is_callback_query]


_PAYMENT_QUERY = flavor_in(("shipping_query", "pre_checkout_query"))


def invoice_patterns(payload: Any) -> List[List[Any]]:
    """An invoice's delegate: its shipping and pre-checkout queries, and the messages
    reporting its payment or refund."""
    return [[{"invoice_payload": payload}, _PAYMENT_QUERY],
            [{"successful_payment": {"invoice_payload": payload}}],
            [{"refunded_payment": {"invoice_payload": payload}}]]


_EVENT_KEY = re.compile("^_.+")


def event_pattern(space: Any, source_id: Any) -> List[Any]:
    """Standard events (see :class:`telegrambot.helper.StandardEventScheduler`) of the
    event space ``space`` from the source ``source_id``."""
    return [{_EVENT_KEY: {"source": {"space": space, "id": source_id}}}]


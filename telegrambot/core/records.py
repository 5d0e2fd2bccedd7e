"""The records a store keeps, and the rules every storage engine shares: no I/O in here.

A store (:mod:`telegrambot.storage`) keeps five kinds of records:

- the **inbox**: accepted updates by ``update_id``, in arrival order, until they are done;
  an update that is done leaves a *done mark* (its ``update_id``), so a redelivery is
  recognised after a restart;
- **states**: one JSON object per key (a delegate's seed, see :func:`state_key`), with a
  version that counts its saves and the last ``update_id`` applied to it;
- **applied marks**: "key K applied update N", kept only while N is not done, so an
  update that went to several delegates is applied once by each after a crash;
- **events**: scheduled data with an id, a due time (wall clock, seconds since the epoch),
  and an optional repeat interval;
- **values**: small JSON values by namespace and key (button data, an origin map), each
  namespace bounded, the least recently set value going first.

Every write goes through one primitive, a :class:`Changes` applied as one transaction.
:func:`encode_changes` checks it and turns its values into JSON text in the caller's
thread, so a value that can't be stored fails at the call that set it (naming the key and
where in the value the offending part is), never later in an engine's writer.

Values are JSON: dicts with str keys, lists and tuples (read back as lists), str, int,
float (finite), bool and None. :func:`check_json` says why anything else is refused.
"""

import json
import math
from typing import (
    Any,
    Dict,
    FrozenSet,
    Iterable,
    List,
    NamedTuple,
    Optional,
    Sequence,
    Tuple,
)

from ..exception import TelegramBotException

__all__ = [
    "StorageError",
    "StoreClosed",
    "StateConflict",
    "UnstorableValue",
    "StateRecord",
    "StateWrite",
    "InboxEntry",
    "EventRecord",
    "KVWrite",
    "Changes",
    "CommitResult",
    "Encoded",
    "MAX_DEPTH",
    "check_json",
    "dump_json",
    "state_key",
    "parse_state_key",
    "encode_changes",
    "next_due",
    "PartCounter",
    "group_applied",
]

#: Deepest nesting of lists and dicts a stored value may have.
MAX_DEPTH = 100


# ------------------------------------------------------------------ errors


class StorageError(TelegramBotException):
    """The store could not do what was asked: the disk failed, the file is locked or not a
    store, the store is closed. The original error, if any, is the ``__cause__``."""


class StoreClosed(StorageError):
    """The store was closed; nothing more can be written or read through it."""


class StateConflict(StorageError):
    """A state was saved with a version other than the one stored: something else saved
    that key since it was loaded. Nothing of the commit was applied.

    ``key``, ``expected`` (the version given) and ``found`` (the version stored, 0 when
    the key has no state) say which."""

    def __init__(self, key: str, expected: int, found: int) -> None:
        super().__init__(
            f"state {key!r} was saved as version {expected + 1} from version {expected}, "
            f"but the store holds version {found}: another writer saved it meanwhile; "
            "load it again and redo the change"
        )
        self.key = key
        self.expected = expected
        self.found = found


class UnstorableValue(TelegramBotException, TypeError):
    """A value given to the store is not JSON (or a record is not of the expected shape).
    Raised by the call that gave it, before anything is written."""


# ------------------------------------------------------------------ records


class StateRecord(NamedTuple):
    """A stored state: its key, its data (a fresh dict on every load), its version (1
    after the first save, one more with each save) and the last ``update_id`` applied
    with it (None if no save named one)."""

    key: str
    data: Dict[str, Any]
    version: int
    applied: Optional[int]


class StateWrite(NamedTuple):
    """Save ``data`` (a JSON dict; None deletes the state) under ``key``.

    ``version`` is the version the data was loaded at (0 for a key with no state): the
    save fails with :class:`StateConflict` unless the store still holds that version, and
    the new version is one more. None saves whatever is stored (last writer wins).
    ``applied`` is the ``update_id`` this save applies: recorded as the key's last applied
    update, and, while that update is not done, as an applied mark (see
    :attr:`InboxEntry.applied`)."""

    key: str
    data: Optional[Dict[str, Any]]
    version: Optional[int] = None
    applied: Optional[int] = None


class InboxEntry(NamedTuple):
    """An update accepted and not done yet, as handed back by ``pending()``: its
    ``update_id``, the update, and the state keys that already applied it (their save
    named it in ``applied`` before a crash): handing it to those keys again would apply it
    twice."""

    update_id: int
    update: Dict[str, Any]
    applied: FrozenSet[str]


class EventRecord(NamedTuple):
    """A scheduled event: ``id`` (a str chosen by the caller; saving an event with an id
    that exists replaces it), ``due`` (wall clock, seconds since the epoch as
    :func:`time.time`), ``data`` (JSON), and ``every`` (seconds between repeats, or None
    for an event that fires once; see :func:`next_due`)."""

    id: str
    due: float
    data: Any
    every: Optional[float] = None


class KVWrite(NamedTuple):
    """Set ``value`` (JSON; None deletes) under ``key`` in ``namespace``. With
    ``maxsize``, the namespace keeps at most that many values after this write: the least
    recently set ones go."""

    namespace: str
    key: str
    value: Any
    maxsize: Optional[int] = None


class Changes(NamedTuple):
    """What one transaction writes: all of it, or (on an error) none of it.

    - ``accept``: updates (dicts with an int ``update_id``) into the inbox; one whose
      ``update_id`` is in the inbox or done already is a duplicate and left as it is;
    - ``states``: :class:`StateWrite` s, at most one per key;
    - ``done``: ``update_id`` s that are done: out of the inbox, their applied marks gone,
      a done mark left;
    - ``events``: :class:`EventRecord` s to add or replace;
    - ``cancel``: ids of events to remove;
    - ``kv``: :class:`KVWrite` s.
    """

    accept: Sequence[Dict[str, Any]] = ()
    states: Sequence[StateWrite] = ()
    done: Sequence[int] = ()
    events: Sequence[EventRecord] = ()
    cancel: Sequence[str] = ()
    kv: Sequence[KVWrite] = ()


class CommitResult(NamedTuple):
    """What a commit did: for each accepted update, True if it was new (False: a
    duplicate); for each state write, the version it saved (0 for a deletion); for each
    cancelled event id, True if the event existed."""

    accepted: List[bool]
    versions: List[int]
    cancelled: List[bool]


# ------------------------------------------------------------------ JSON


_SCALAR_TYPES = (str, int, float, bool, type(None))
_ALLOWED = "values are JSON: dict with str keys, list, tuple, str, int, float, bool or None"


def _fast_ok(value: Any, depth: int) -> bool:
    """True if ``value`` is JSON as stored (no path kept: the common, quick case)."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return True
    if kind is float:
        return math.isfinite(value)
    if depth >= MAX_DEPTH:
        return False
    if isinstance(value, dict):
        for key, item in value.items():
            if type(key) is not str or not _fast_ok(item, depth + 1):
                return False
        return True
    if isinstance(value, (list, tuple)):
        for item in value:
            if not _fast_ok(item, depth + 1):
                return False
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, _SCALAR_TYPES)


def _path(parts: Sequence[Any]) -> str:
    return "".join(f"[{part!r}]" for part in parts)


def _find_fault(value: Any) -> Tuple[str, str]:
    """(path, reason) of the first part of ``value`` that is not JSON."""
    stack: List[Tuple[Any, Tuple[Any, ...]]] = [(value, ())]
    while stack:
        item, path = stack.pop()
        if isinstance(item, float):
            if not math.isfinite(item):
                return _path(path), f"{item!r} is not a JSON number (only finite numbers are)"
            continue
        if isinstance(item, _SCALAR_TYPES):
            continue
        if len(path) >= MAX_DEPTH:
            return _path(path), f"nested deeper than {MAX_DEPTH} levels (or it contains itself)"
        if isinstance(item, dict):
            children = []
            for key, child in item.items():
                if type(key) is not str:
                    return _path(path), (
                        f"the key {key!r} ({type(key).__name__}) is not a str; JSON objects "
                        "have str keys (convert it, e.g. str(key))"
                    )
                children.append((child, path + (key,)))
            stack.extend(reversed(children))
        elif isinstance(item, (list, tuple)):
            stack.extend((child, path + (index,)) for index, child in reversed(list(enumerate(item))))
        else:
            return _path(path), f"a value of type {type(item).__name__} is not JSON; {_ALLOWED}"
    return "", "it is not JSON"  # not reached for a value _fast_ok refused


def check_json(value: Any, what: str) -> None:
    """Raise :class:`UnstorableValue` if ``value`` is not JSON as a store keeps it. The
    message begins with ``what`` (such as ``"state 'chat:42' data"``), followed by the path
    of the offending part (``['cart'][2]``) and why it is refused."""
    if not _fast_ok(value, 0):
        path, reason = _find_fault(value)
        raise UnstorableValue(f"{what}{path}: {reason}")


def dump_json(value: Any, what: str) -> str:
    """``value`` as compact JSON text, after :func:`check_json`."""
    check_json(value, what)
    return json.dumps(value, separators=(",", ":"), allow_nan=False)


# ------------------------------------------------------------------ keys


def _seed_ok(seed: Any, depth: int = 0) -> bool:
    kind = type(seed)
    if kind is int or kind is str:
        return True
    if kind is tuple and depth < 8:
        return all(part is None or _seed_ok(part, depth + 1) for part in seed)
    return False


def state_key(scope: str, seed: Any) -> str:
    """The key of the state of the delegate with ``seed`` in ``scope``.

    ``scope`` names the delegation pattern (two patterns may see the same seed: a private
    chat's id is also its user's id), a str without ``:``. ``seed`` is an int, a str, or a
    tuple of those (and None), nested at most 8 deep: a chat id, an invoice payload, a
    callback origin ``(chat_id, message_id)``. The key is ``scope:`` followed by the seed
    as JSON, so ``42``, ``"42"`` and ``(42,)`` give different keys: ``chat:42``,
    ``chat:"42"``, ``chat:[42]``.
    """
    if not isinstance(scope, str) or ":" in scope:
        raise UnstorableValue(f"a state scope is a str without ':', not {scope!r}")
    if not _seed_ok(seed):
        raise UnstorableValue(
            f"a seed of type {type(seed).__name__} can't name a stored state; a seed that "
            "has a state is an int, a str or a tuple of those (such as a chat id or a "
            f"callback origin): {seed!r}"
        )
    return scope + ":" + json.dumps(seed, separators=(",", ":"))


def _tuples(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_tuples(part) for part in value)
    return value


def parse_state_key(key: str) -> Tuple[str, Any]:
    """``(scope, seed)`` of a key made by :func:`state_key` (tuples come back as tuples)."""
    scope, colon, text = key.partition(":")
    if not colon:
        raise ValueError(f"{key!r} is not a state key (scope:seed)")
    return scope, _tuples(json.loads(text))


# ------------------------------------------------------------------ checking a commit


def _check_int(value: Any, what: str, minimum: Optional[int] = None) -> int:
    if type(value) is not int:
        raise UnstorableValue(f"{what} must be an int, not {type(value).__name__}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{what} must be at least {minimum}, not {value}")
    return value


def _check_str(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise UnstorableValue(f"{what} must be a non-empty str, not {value!r}")
    return value


def _check_seconds(value: Any, what: str, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UnstorableValue(f"{what} must be a number of seconds, not {type(value).__name__}")
    if not math.isfinite(value) or (positive and value <= 0):
        raise ValueError(f"{what} must be a finite number{' above 0' if positive else ''}, not {value!r}")
    return float(value)


def _sequence(value: Any, what: str) -> Sequence[Any]:
    if isinstance(value, (str, bytes, dict)) or not isinstance(value, Sequence):
        raise UnstorableValue(f"{what} must be a list or tuple, not {type(value).__name__}")
    return value


class Encoded:
    """A :class:`Changes` checked, with its values as JSON text, ready for an engine.

    - ``accept``: ``(update_id, update, text)``, ``text`` None unless asked for;
    - ``states``: ``(key, text or None, version or None, applied or None)``;
    - ``done``: update_ids; ``cancel``: event ids;
    - ``events``: ``(id, due, text, every or None)``;
    - ``kv``: ``(namespace, key, text or None, maxsize or None)``;
    - ``size``: about how many bytes it writes (for batching).
    """

    __slots__ = ("accept", "states", "done", "events", "cancel", "kv", "size")

    def __init__(self) -> None:
        self.accept: List[Tuple[int, Dict[str, Any], Optional[str]]] = []
        self.states: List[Tuple[str, Optional[str], Optional[int], Optional[int]]] = []
        self.done: List[int] = []
        self.events: List[Tuple[str, float, str, Optional[float]]] = []
        self.cancel: List[str] = []
        self.kv: List[Tuple[str, str, Optional[str], Optional[int]]] = []
        self.size = 0

    def __bool__(self) -> bool:
        return bool(self.accept or self.states or self.done or self.events or self.cancel or self.kv)


def encode_changes(changes: Changes, update_text: bool = True) -> Encoded:
    """Check ``changes`` and turn its values into JSON text.

    Raises :class:`UnstorableValue` (a value that is not JSON, a record of the wrong type,
    a key saved twice) or :class:`ValueError` (a negative version, a repeat interval that
    is not above 0) naming what is wrong. With ``update_text=False`` the accepted updates
    are checked (a dict with an int ``update_id``) but not turned into text (an engine
    that keeps them as objects)."""
    if not isinstance(changes, Changes):
        raise UnstorableValue(f"a commit takes Changes(...), not {type(changes).__name__}")
    enc = Encoded()
    size = 0
    for update in _sequence(changes.accept, "accept"):
        if not isinstance(update, dict):
            raise UnstorableValue(f"an accepted update must be a dict, not {type(update).__name__}")
        update_id = update.get("update_id")
        if type(update_id) is not int:
            raise UnstorableValue(f"an accepted update needs an int update_id, not {update_id!r}")
        text = None
        if update_text:
            try:
                text = json.dumps(update, separators=(",", ":"), allow_nan=False)
            except (TypeError, ValueError):
                check_json(update, f"update {update_id}")
                raise
            size += len(text)
        enc.accept.append((update_id, update, text))
    keys = set()
    for write in _sequence(changes.states, "states"):
        if not isinstance(write, StateWrite):
            raise UnstorableValue(f"states takes StateWrite(...) records, not {type(write).__name__}")
        key = _check_str(write.key, "a state key")
        if key in keys:
            raise UnstorableValue(f"state {key!r} is saved twice in one commit")
        keys.add(key)
        if write.data is None:
            text = None
        elif not isinstance(write.data, dict):
            raise UnstorableValue(f"state {key!r} data must be a dict, not {type(write.data).__name__}")
        else:
            text = dump_json(write.data, f"state {key!r} data")
            size += len(text)
        version = None if write.version is None else _check_int(write.version, f"state {key!r} version", 0)
        applied = None if write.applied is None else _check_int(write.applied, f"state {key!r} applied")
        enc.states.append((key, text, version, applied))
        size += len(key)
    for update_id in _sequence(changes.done, "done"):
        enc.done.append(_check_int(update_id, "a done update_id"))
    for event in _sequence(changes.events, "events"):
        if not isinstance(event, EventRecord):
            raise UnstorableValue(f"events takes EventRecord(...) records, not {type(event).__name__}")
        event_id = _check_str(event.id, "an event id")
        due = _check_seconds(event.due, f"event {event_id!r} due")
        every = None if event.every is None else _check_seconds(event.every, f"event {event_id!r} every", True)
        text = dump_json(event.data, f"event {event_id!r} data")
        enc.events.append((event_id, due, text, every))
        size += len(text) + len(event_id)
    for event_id in _sequence(changes.cancel, "cancel"):
        enc.cancel.append(_check_str(event_id, "a cancelled event id"))
    for write in _sequence(changes.kv, "kv"):
        if not isinstance(write, KVWrite):
            raise UnstorableValue(f"kv takes KVWrite(...) records, not {type(write).__name__}")
        namespace = _check_str(write.namespace, "a namespace")
        key = _check_str(write.key, f"a key in namespace {namespace!r}")
        text = None if write.value is None else dump_json(write.value, f"value {namespace!r}/{key!r}")
        maxsize = None if write.maxsize is None else _check_int(write.maxsize, f"namespace {namespace!r} maxsize", 1)
        enc.kv.append((namespace, key, text, maxsize))
        size += len(key) + (len(text) if text else 0)
    enc.size = size + 16 * (len(enc.done) + len(enc.cancel))
    return enc


# ------------------------------------------------------------------ events


def next_due(due: float, every: float, now: float) -> Tuple[float, int]:
    """When a repeating event that was due at ``due`` is due next, seen at ``now``: the
    first ``due + k * every`` (k >= 1) after ``now``, and how many repeats were missed
    (those between ``due`` and ``now``, apart from the one firing). A process down for a
    day fires a minutely event once, late, not 1,440 times."""
    if every <= 0 or not math.isfinite(every):
        raise ValueError(f"every must be a finite number above 0, not {every!r}")
    if now < due + every:
        return due + every, 0
    steps = math.floor((now - due) / every) + 1
    nxt = due + steps * every
    if nxt <= now:  # rounding
        steps += 1
        nxt = due + steps * every
    return nxt, steps - 1


# ------------------------------------------------------------------ done counting


class PartCounter:
    """Counts the parts of each update still to finish, so the last one to finish says the
    update is done. Not thread-safe: the caller locks.

    An update goes to several handlers (a delegate per matching seeder, a routed handler):
    each is a *part*. The dispatcher calls :meth:`begin` (its own part), :meth:`add` for
    each part it hands the update to, then :meth:`finish` for its own part; every part calls
    :meth:`finish` when it has committed its work. The call that returns True is the last,
    and puts the update_id in ``done`` of its commit.

    Crash safety needs the last part's commit to reach the store after the other parts'
    commits: call :meth:`finish` and submit the commit under the same lock (a store applies
    commits in the order they were submitted).
    """

    __slots__ = ("_parts",)

    def __init__(self) -> None:
        self._parts: Dict[int, int] = {}

    def begin(self, update_id: int) -> None:
        """Start counting ``update_id`` with one part (the caller's)."""
        self._parts[update_id] = self._parts.get(update_id, 0) + 1

    def add(self, update_id: int, parts: int = 1) -> None:
        """``parts`` more parts of ``update_id`` (begun) are on their way."""
        if update_id not in self._parts:
            raise KeyError(f"update {update_id} was not begun")
        self._parts[update_id] += parts

    def finish(self, update_id: int) -> bool:
        """One part of ``update_id`` finished: True if it was the last."""
        left = self._parts[update_id] - 1
        if left:
            self._parts[update_id] = left
            return False
        del self._parts[update_id]
        return True

    def __contains__(self, update_id: object) -> bool:
        return update_id in self._parts

    def __len__(self) -> int:
        return len(self._parts)


def group_applied(marks: Iterable[Tuple[int, str]]) -> Dict[int, FrozenSet[str]]:
    """Applied marks ``(update_id, key)`` grouped by update_id."""
    grouped: Dict[int, set] = {}
    for update_id, key in marks:
        grouped.setdefault(update_id, set()).add(key)
    return {update_id: frozenset(keys) for update_id, keys in grouped.items()}

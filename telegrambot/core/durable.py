"""What a bot with a store decides, with no I/O: which handled things are still being
worked on, what the commit of the last part to finish marks, what to hand over again after
a restart, and when restored events are due.

A thing the bot handles is an update (its inner object: the ``message``,
``callback_query``, ... dict that handlers receive) or a fired event (its data). With a
store, each is *tracked* from the moment the loop hands it over until every part it went to
has finished: the loop's own part, one part for each listener queue it was put in, one for
each delegate started with it. :class:`Tracker` counts them by the object's identity (the
handlers receive that very object, never a copy); the part that finishes last puts the
update's done mark (or the fired event's removal) in its commit. Crash safety needs that
commit to reach the store after the other parts' commits: the runtime calls
:meth:`Tracker.finish` and submits the commit under one lock (see
:class:`~telegrambot.core.records.PartCounter`).

After a restart, :func:`replay_order` gives the accepted updates that are not done, in
arrival order, each with the state keys that applied it before the crash (those skip it).
:func:`restored_due` turns a stored event's wall clock due time into a delay, saying
whether it is late (its time passed while the process was down), and :func:`mark_late`
puts the ``late`` flag in the event handed over.
"""

from typing import Any, Dict, FrozenSet, Iterable, List, NamedTuple, Optional, Tuple

from .records import EventRecord, InboxEntry, next_due

__all__ = [
    "Finished",
    "Tracker",
    "replay_order",
    "persistable_event",
    "restored_due",
    "mark_late",
    "LATE_AFTER",
]

#: Seconds past its due time after which a restored event counts as late.
LATE_AFTER = 1.0

_NO_KEYS: FrozenSet[str] = frozenset()


class Finished(NamedTuple):
    """One part of a tracked thing finished: the ``update_id`` it carries (None for an
    event), the stored event id it fired from (None for an update or an event not stored),
    and whether that part was the ``last``: then its commit marks the update done and
    removes a one-shot stored event."""

    update_id: Optional[int]
    event_id: Optional[str]
    last: bool


class _Entry:
    __slots__ = ("obj", "parts", "update_id", "event_id", "skip")

    def __init__(self, obj: Any, update_id: Optional[int], event_id: Optional[str],
                 skip: FrozenSet[str]) -> None:
        self.obj = obj  # kept alive: its id() stays its own while tracked
        self.parts = 1
        self.update_id = update_id
        self.event_id = event_id
        self.skip = skip


class Tracker:
    """The tracked things and their parts still to finish, by the identity of the object
    handed to handlers. Not thread-safe: the runtime locks.

    ``begin(obj, ...)`` starts with one part (the loop's); ``add(obj)`` counts one more
    (a listener queue it was put in, a delegate started with it) and says whether ``obj``
    is tracked; ``finish(obj)`` ends one part and gives a :class:`Finished`, or None for an
    object that is not tracked (a message the bot put in a queue itself, an event not
    stored).
    """

    __slots__ = ("_entries",)

    def __init__(self) -> None:
        self._entries: Dict[int, _Entry] = {}

    def begin(self, obj: Any, update_id: Optional[int] = None, event_id: Optional[str] = None,
              skip: Iterable[str] = _NO_KEYS) -> None:
        """Track ``obj`` (one part: the caller's). ``skip``: the state keys that applied
        this update before a crash."""
        entry = self._entries.get(id(obj))
        if entry is not None and entry.obj is obj:
            entry.parts += 1  # handed over again while still in work: one more part
            return
        self._entries[id(obj)] = _Entry(obj, update_id, event_id, frozenset(skip))

    def add(self, obj: Any) -> bool:
        """One more part of ``obj``, if it is tracked; True if it is."""
        entry = self._entries.get(id(obj))
        if entry is None or entry.obj is not obj:
            return False
        entry.parts += 1
        return True

    def finish(self, obj: Any) -> Optional[Finished]:
        """One part of ``obj`` finished; None if ``obj`` is not tracked."""
        entries = self._entries
        entry = entries.get(id(obj))
        if entry is None or entry.obj is not obj:
            return None
        entry.parts -= 1
        last = entry.parts <= 0
        if last:
            del entries[id(obj)]
        return Finished(entry.update_id, entry.event_id, last)

    def update_id(self, obj: Any) -> Optional[int]:
        """The update_id of a tracked update's object, else None."""
        entry = self._entries.get(id(obj))
        return entry.update_id if entry is not None and entry.obj is obj else None

    def skips(self, obj: Any, key: str) -> bool:
        """Did the state ``key`` apply this tracked update before a crash (so its delegate
        must not handle it again)?"""
        entry = self._entries.get(id(obj))
        return entry is not None and entry.obj is obj and key in entry.skip

    def __contains__(self, obj: Any) -> bool:
        entry = self._entries.get(id(obj))
        return entry is not None and entry.obj is obj

    def __len__(self) -> int:
        return len(self._entries)


def replay_order(entries: Iterable[InboxEntry]) -> List[InboxEntry]:
    """The pending updates to hand over on start, before any new one: in the order they
    arrived (the store's order), each once."""
    seen = set()
    order = []
    for entry in entries:
        if entry.update_id not in seen:
            seen.add(entry.update_id)
            order.append(entry)
    return order


def persistable_event(data: Any) -> bool:
    """Is ``data`` an event the scheduler keeps in a store? A dict (JSON is checked when
    it is saved), not a function, and not an ``_idle`` event (a delegate's idle timeout
    concerns the process that set it)."""
    return isinstance(data, dict) and "_idle" not in data


def restored_due(record: EventRecord, wall: float,
                 late_after: float = LATE_AFTER) -> Tuple[float, bool, Optional[float]]:
    """For a stored event seen at the wall clock time ``wall`` when the scheduler starts:
    ``(delay, late, next)``. ``delay`` is how long to wait (0: at once); ``late`` is True
    when its time passed more than ``late_after`` seconds ago; ``next`` is, for a repeating
    event that is late, the due time of its next repeat (the repeats missed in between are
    skipped: it fires once, late), else None."""
    delay = record.due - wall
    if delay >= -late_after:
        return max(0.0, delay), False, None
    following = None
    if record.every is not None:
        following, _missed = next_due(record.due, record.every, wall)
    return 0.0, True, following


def mark_late(data: Any) -> Any:
    """The data of an event that fires late, with the flag in it: an event ``{'_name':
    {...}}`` becomes ``{'_name': {..., 'late': True}}`` (a new dict; ``data`` is left as
    it is); any other data is returned as it is."""
    if isinstance(data, dict) and len(data) == 1:
        ((name, inner),) = data.items()
        if isinstance(name, str) and name.startswith("_") and isinstance(inner, dict):
            flagged = dict(inner)
            flagged["late"] = True
            return {name: flagged}
    return data

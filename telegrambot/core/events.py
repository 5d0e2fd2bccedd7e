"""The scheduler's event heap: pending events in due order, with no thread and no clock.

:class:`EventHeap` takes the times from its caller (``mono``: :func:`time.monotonic`,
``wall``: :func:`time.time`) and says which event is due, or how long to wait for the next
one; a runtime drives it from a thread (:class:`telegrambot.scheduler.Scheduler`) or a
task. Deadlines are on the monotonic clock: a wall clock time given to :meth:`EventHeap.at`
is turned into a delay from now when the event is scheduled, so a later step of the wall
clock neither fires it early nor holds it back.

A cancelled event is only marked, and dropped when it reaches the top, or all at once when
cancelled entries make up most of the heap, so scheduling and cancelling stay cheap with
many thousands of events pending.
"""

import heapq
import itertools
import math
from typing import Any, List, Optional, Tuple

from ..exception import EventNotFound

__all__ = ["Event", "EventHeap", "check_seconds"]

_COMPACT_MIN = 1024  # cancelled entries tolerated in the heap before compacting is considered


def check_seconds(name: str, value: Any) -> None:
    """Raise TypeError unless ``value`` is a number of seconds (ValueError for NaN)."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise TypeError(f"{name} must be a number of seconds, not {type(value).__name__}")
    if value != value:
        raise ValueError(f"{name} is NaN")


class Event:
    """A scheduled event: ``timestamp`` (when it is due, in seconds since the epoch as
    :func:`time.time` gave them when it was scheduled) and ``data``. Returned by the
    ``event_*`` methods; pass it to :meth:`telegrambot.scheduler.Scheduler.cancel`."""

    __slots__ = ("timestamp", "data", "pending", "every", "key")

    def __init__(self, timestamp: float, data: Any, every: Optional[float] = None) -> None:
        self.timestamp = timestamp
        self.data = data
        self.pending = True
        #: Seconds between repeats (:meth:`EventHeap.every`), or None.
        self.every = every
        #: The id of its record in a store, if it is kept in one.
        self.key: Optional[str] = None

    def __repr__(self) -> str:
        state = "pending" if self.pending else "done"
        return f"<Event at {self.timestamp:.3f} {state}: {self.data!r}>"


class EventHeap:
    """Pending events, the next due first. Not thread-safe: the runtime locks.

    ``len()`` counts the entries held, cancelled ones not yet dropped included;
    :meth:`pending` counts the events still to fire.
    """

    def __init__(self) -> None:
        self._entries: List[Tuple[float, int, Event]] = []
        self._seq = itertools.count()
        self._cancelled = 0
        self._offset: Optional[float] = None  # see _wall_offset

    def __len__(self) -> int:
        return len(self._entries)

    def pending(self) -> int:
        """How many events are waiting to fire."""
        return len(self._entries) - self._cancelled

    # -- scheduling

    def at(self, when: float, data: Any, wall: float, mono: float) -> Event:
        """An event due at the wall clock time ``when`` (a time in the past: at once;
        infinity: never). TypeError or ValueError for a ``when`` that is not a number."""
        check_seconds("when", when)
        return self.push(when - self._wall_offset(wall, mono), when, data)

    def later(self, delay: float, data: Any, wall: float, mono: float) -> Event:
        """An event due ``delay`` seconds from now."""
        check_seconds("delay", delay)
        return self.push(mono + delay, wall + delay, data)

    def now(self, data: Any, wall: float, mono: float) -> Event:
        """An event due at once (after the events already due)."""
        return self.push(mono, wall, data)

    def every(self, interval: float, data: Any, wall: float, mono: float,
              first: Optional[float] = None) -> Event:
        """An event due every ``interval`` seconds, first ``first`` seconds from now
        (default: ``interval``); it stays pending until cancelled. Repeats missed (a busy
        handler) are skipped, not fired in a burst."""
        check_seconds("interval", interval)
        if not interval > 0 or interval == float("inf"):
            raise ValueError(f"interval must be a finite number of seconds above 0, not {interval!r}")
        delay = interval if first is None else first
        check_seconds("first", delay)
        return self.push(mono + delay, wall + delay, data, interval)

    def push(self, deadline: float, timestamp: float, data: Any,
             every: Optional[float] = None) -> Event:
        """An event due at ``deadline`` (monotonic), with ``timestamp`` (wall clock)."""
        event = Event(timestamp, data, every)
        heapq.heappush(self._entries, (deadline, next(self._seq), event))
        return event

    def place(self, deadline: float, event: Event) -> None:
        """Put an event made elsewhere (held back until now) in the heap, due at
        ``deadline`` (monotonic)."""
        heapq.heappush(self._entries, (deadline, next(self._seq), event))

    def first(self, event: Event) -> bool:
        """Is ``event`` the first to fire (so a waiting runtime must wake to wait less)?"""
        return self._entries[0][2] is event

    def _wall_offset(self, wall: float, mono: float) -> float:
        """wall - mono: the same for calls close together (so that equal wall clock times
        keep their order), taken afresh once the wall clock has moved."""
        offset = wall - mono
        if self._offset is None or abs(offset - self._offset) > 0.001:
            self._offset = offset
        return self._offset

    def cancel(self, event: Event) -> None:
        """Cancel a pending event; :class:`~telegrambot.exception.EventNotFound` if it
        already fired or was cancelled."""
        if not getattr(event, "pending", False):
            raise EventNotFound(event)
        event.pending = False
        self._cancelled += 1
        entries = self._entries
        if self._cancelled > _COMPACT_MIN and self._cancelled * 2 > len(entries):
            entries[:] = [entry for entry in entries if entry[2].pending]
            heapq.heapify(entries)
            self._cancelled = 0

    # -- firing

    def pop_due(self, mono: float) -> Tuple[Optional[Event], Optional[float]]:
        """``(event, None)``: the first event, due at ``mono``, taken out (it counts as
        fired); else ``(None, seconds until the first is due)``, or ``(None, None)`` when
        nothing is pending."""
        entries = self._entries
        while entries:
            when, _, event = entries[0]
            if not event.pending:
                heapq.heappop(entries)
                self._cancelled -= 1
                continue
            delay = when - mono
            if delay > 0:
                return None, delay
            every = event.every
            if every is not None:  # fires, and stays pending for its next time
                steps = max(1, math.floor((mono - when) / every) + 1)
                event.timestamp += steps * every
                heapq.heapreplace(entries, (when + steps * every, next(self._seq), event))
                return event, None
            heapq.heappop(entries)
            event.pending = False
            return event, None
        return None, None

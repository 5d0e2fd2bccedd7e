"""The event scheduler: a thread that emits events at given times.

An event is any data (by convention a dict with one key starting with ``_``, such as
``{'_alarm': {...}}``) handed to the callback set with :meth:`Scheduler.on_event` once its
time has come. ``bot.message_loop()`` connects the bot's scheduler to the same handling
path as updates, so a handler sees events and messages one at a time, never concurrently.

Pending events live in a heap, so scheduling and cancelling stay cheap with many thousands
of them pending; a cancelled event is only marked and dropped when it reaches the top (or
when cancelled entries make up most of the heap).

Every delay is measured with the monotonic clock (:func:`time.monotonic`), so a step of the
wall clock (an NTP correction, a changed time zone setting, a suspended laptop's clock being
set) neither fires events early nor holds them back. :meth:`Scheduler.event_at` takes a wall
clock time, as telepot's did: it is turned into a delay from now when the event is
scheduled, and the event fires after that delay whatever the wall clock does meanwhile.
"""

import heapq
import itertools
import logging
import threading
import time
from typing import Any, Callable, List, Optional, Tuple

from .exception import EventNotFound

__all__ = ["Event", "Scheduler"]

log = logging.getLogger(__name__)

_COMPACT_MIN = 1024  # cancelled entries tolerated in the heap before compacting is considered
_MAX_WAIT = 3600.0  # longest single wait: a lock refuses more than threading.TIMEOUT_MAX


def _check_number(name: str, value: Any) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise TypeError(f"{name} must be a number of seconds, not {type(value).__name__}")
    if value != value:
        raise ValueError(f"{name} is NaN")


class Event:
    """A scheduled event: ``timestamp`` (when it is due, in seconds since the epoch as
    :func:`time.time` gave them when it was scheduled) and ``data``. Returned by the
    ``event_*`` methods; pass it to :meth:`Scheduler.cancel`."""

    __slots__ = ("timestamp", "data", "pending")

    def __init__(self, timestamp: float, data: Any) -> None:
        self.timestamp = timestamp
        self.data = data
        self.pending = True

    def __repr__(self) -> str:
        state = "pending" if self.pending else "done"
        return f"<Event at {self.timestamp:.3f} {state}: {self.data!r}>"


class Scheduler:
    """Emits events in time order, never before their time.

    If ``data`` is callable, it is called when the event fires and its result (unless None)
    is emitted instead. Thread-safe: events may be scheduled and cancelled from any thread.
    """

    def __init__(self) -> None:
        self._heap: List[Tuple[float, int, Event]] = []
        self._cond = threading.Condition(threading.Lock())
        self._seq = itertools.count()
        self._cancelled = 0
        self._handler: Optional[Callable[[Any], Any]] = None
        self._thread: Optional[threading.Thread] = None
        self._running = False
        self._generation = 0  # a thread runs while this is the value it started with
        self._offset = time.time() - time.monotonic()  # see _wall_offset

    # -- scheduling ----------------------------------------------------------------------

    def event_at(self, when: float, data: Any) -> Event:
        """Emit ``data`` at the wall clock time ``when`` (as :func:`time.time`; a time in
        the past means at once, infinity never). Raises TypeError or ValueError for a
        ``when`` that is not a number.

        ``when`` is turned into a delay from now, measured with the monotonic clock: a
        later step of the wall clock does not move the event."""
        _check_number("when", when)
        return self._schedule(when - self._wall_offset(), when, data)

    def event_later(self, delay: float, data: Any) -> Event:
        """Emit ``data`` ``delay`` seconds from now (monotonic clock)."""
        _check_number("delay", delay)
        return self._schedule(time.monotonic() + delay, time.time() + delay, data)

    def event_now(self, data: Any) -> Event:
        """Emit ``data`` as soon as possible (after events already due)."""
        return self._schedule(time.monotonic(), time.time(), data)

    def _wall_offset(self) -> float:
        """time.time() - time.monotonic(): the same for calls close together (so that equal
        wall clock times keep their order), read afresh once the wall clock has moved."""
        offset = time.time() - time.monotonic()
        if abs(offset - self._offset) > 0.001:
            self._offset = offset
        return self._offset

    def _schedule(self, deadline: float, timestamp: float, data: Any) -> Event:
        """Put an event due at ``deadline`` (time.monotonic()) in the heap."""
        event = Event(timestamp, data)
        with self._cond:
            heapq.heappush(self._heap, (deadline, next(self._seq), event))
            if self._heap[0][2] is event:
                self._cond.notify_all()
        return event

    def cancel(self, event: Event) -> None:
        """Cancel a pending event.

        Raises :class:`~telegrambot.exception.EventNotFound` if it already fired or was
        cancelled.
        """
        with self._cond:
            if not getattr(event, "pending", False):
                raise EventNotFound(event)
            event.pending = False
            self._cancelled += 1
            if self._cancelled > _COMPACT_MIN and self._cancelled * 2 > len(self._heap):
                self._heap[:] = [entry for entry in self._heap if entry[2].pending]
                heapq.heapify(self._heap)
                self._cancelled = 0

    def pending(self) -> int:
        """How many events are waiting to fire."""
        with self._cond:
            return len(self._heap) - self._cancelled

    # -- running -------------------------------------------------------------------------

    def on_event(self, callback: Callable[[Any], Any]) -> None:
        """Set the function that receives each event's data."""
        self._handler = callback

    def run_as_thread(self) -> None:
        """Start the scheduler thread (``telegrambot-scheduler``) unless it is running."""
        with self._cond:
            if self._running and self._thread is not None and self._thread.is_alive():
                return
            # a thread still finishing after stop() sees the new generation and ends
            self._generation += 1
            self._running = True
            self._thread = threading.Thread(
                target=self._run,
                args=(self._generation,),
                name="telegrambot-scheduler",
                daemon=True,
            )
            self._thread.start()

    def is_alive(self) -> bool:
        """True while the scheduler thread runs."""
        thread = self._thread
        return thread is not None and thread.is_alive()

    def stop(self, timeout: Optional[float] = 2.0) -> None:
        """Stop the thread (pending events stay scheduled for the next start)."""
        with self._cond:
            self._running = False
            self._generation += 1
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _next_due(self, generation: int) -> Optional[Event]:
        """Wait (with the lock held) for the next due event; None once stopped."""
        heap = self._heap
        while self._generation == generation:
            if not heap:
                self._cond.wait()
                continue
            when, _, event = heap[0]
            if not event.pending:
                heapq.heappop(heap)
                self._cancelled -= 1
                continue
            delay = when - time.monotonic()
            if delay > 0:
                self._cond.wait(min(delay, _MAX_WAIT))
                continue
            heapq.heappop(heap)
            event.pending = False
            return event
        return None

    def _run(self, generation: int) -> None:
        cond = self._cond
        while True:
            with cond:
                event = self._next_due(generation)
            if event is None:
                return
            self._emit(event.data)

    def _emit(self, data: Any) -> None:
        try:
            if callable(data):
                data = data()
                if data is None:
                    return
            handler = self._handler
            if handler is None:
                log.warning("scheduler event dropped, no handler set (on_event): %r", data)
                return
            handler(data)
        except Exception:
            log.exception("error while handling scheduler event %r", data)

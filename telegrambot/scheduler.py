"""The event scheduler: a thread that emits events at given times.

An event is any data (by convention a dict with one key starting with ``_``, such as
``{'_alarm': {...}}``) handed to the callback set with :meth:`Scheduler.on_event` once its
time has come. ``bot.message_loop()`` connects the bot's scheduler to the same handling
path as updates, so a handler sees events and messages one at a time, never concurrently.

Pending events live in a heap, so scheduling and cancelling stay cheap with many thousands
of them pending; a cancelled event is only marked and dropped when it reaches the top (or
when cancelled entries make up most of the heap): that is
:class:`telegrambot.core.events.EventHeap`, which this thread drives.

Every delay is measured with the monotonic clock (:func:`time.monotonic`), so a step of the
wall clock (an NTP correction, a changed time zone setting, a suspended laptop's clock being
set) neither fires events early nor holds them back. :meth:`Scheduler.event_at` takes a wall
clock time, as telepot's did: it is turned into a delay from now when the event is
scheduled, and the event fires after that delay whatever the wall clock does meanwhile.
"""

import itertools
import logging
import os
import threading
import time
from typing import Any, Callable, Dict, List, Optional

from .core.durable import mark_late, persistable_event, restored_due
from .core.errorhook import ErrorHook, report
from .core.events import Event, EventHeap, check_seconds
from .core.records import Changes, EventRecord, check_json
from .exception import EventNotFound

__all__ = ["Event", "Scheduler"]

log = logging.getLogger(__name__)

_MAX_WAIT = 3600.0  # longest single wait: a lock refuses more than threading.TIMEOUT_MAX


class Scheduler:
    """Emits events in time order, never before their time.

    If ``data`` is callable, it is called when the event fires and its result (unless None)
    is emitted instead. Thread-safe: events may be scheduled and cancelled from any thread.

    With a ``store`` (the bot's, see :doc:`/persistence`), an event whose data is a dict
    (JSON, else :class:`~telegrambot.storage.UnstorableValue` from the call) is kept in the
    store until it has fired and been handled, so it outlives the process: when the
    scheduler starts, the stored events are scheduled again, and those whose time passed
    meanwhile fire at once with ``'late': True`` in their data (``{'_alarm': {...,
    'late': True}}``). A repeating event fires once for the repeats it missed. ``_idle``
    events (a delegate's idle timeout) and functions are never stored.
    """

    def __init__(self, store: Any = None) -> None:
        self._heap = EventHeap()
        self._cond = threading.Condition(threading.Lock())
        self._handler: Optional[Callable[[Any], Any]] = None
        self._on_error: Optional[ErrorHook] = None
        self._thread: Optional[threading.Thread] = None
        self._running = False
        self._generation = 0  # a thread runs while this is the value it started with
        self._store = store
        #: what tracks a fired stored event until it is handled (the bot's, with a store)
        self._tracker: Any = None
        self._restored = False
        self._keys: Dict[str, Event] = {}  # stored events pending here, by record id
        self._held: Dict[int, Event] = {}  # events held for a delegate's commit (_stage)
        self._ids = itertools.count(1)
        self._prefix = "%x-%x-" % (int(time.time() * 1000), os.getpid())

    # -- scheduling ----------------------------------------------------------------------

    def event_at(self, when: float, data: Any) -> Event:
        """Emit ``data`` at the wall clock time ``when`` (as :func:`time.time`; a time in
        the past means at once, infinity never). Raises TypeError or ValueError for a
        ``when`` that is not a number.

        ``when`` is turned into a delay from now, measured with the monotonic clock: a
        later step of the wall clock does not move the event."""
        if self._store is None:
            with self._cond:
                return self._woken(self._heap.at(when, data, time.time(), time.monotonic()))
        staging = self._staging(data)
        if staging is not None:
            check_seconds("when", when)
            wall, mono = time.time(), time.monotonic()
            return self._stage(staging, mono + (when - wall), when, data, None)
        with self._cond:
            event = self._heap.at(when, data, time.time(), time.monotonic())
        return self._stored(event)

    def event_later(self, delay: float, data: Any) -> Event:
        """Emit ``data`` ``delay`` seconds from now (monotonic clock)."""
        if self._store is None:
            with self._cond:
                return self._woken(self._heap.later(delay, data, time.time(), time.monotonic()))
        staging = self._staging(data)
        if staging is not None:
            check_seconds("delay", delay)
            return self._stage(staging, time.monotonic() + delay, time.time() + delay, data, None)
        with self._cond:
            event = self._heap.later(delay, data, time.time(), time.monotonic())
        return self._stored(event)

    def event_every(self, interval: float, data: Any, first: Optional[float] = None) -> Event:
        """Emit ``data`` every ``interval`` seconds, the first time ``first`` seconds from
        now (default: ``interval``), until the event is cancelled (:meth:`cancel`).
        Repeats missed while the handler was busy (or the process was down) are skipped:
        the event fires once, then keeps its rhythm."""
        staging = self._staging(data) if self._store is not None else None
        if staging is not None:
            check_seconds("interval", interval)
            if not interval > 0 or interval == float("inf"):
                raise ValueError("interval must be a finite number of seconds above 0, not %r"
                                 % (interval,))
            delay = interval if first is None else first
            check_seconds("first", delay)
            return self._stage(staging, time.monotonic() + delay, time.time() + delay, data,
                               interval)
        with self._cond:
            event = self._heap.every(interval, data, time.time(), time.monotonic(), first)
        return self._stored(event)

    # -- events a delegate schedules while it handles a message (with a store)

    def _staging(self, data: Any) -> Optional[List[Any]]:
        """The list of events held for the commit of the message the current thread's
        delegate is handling, if there is one and ``data`` is to be stored."""
        tracker = self._tracker
        if tracker is None or not persistable_event(data):
            return None
        return tracker.staging()

    def _stage(self, staging: List[Any], deadline: float, timestamp: float, data: Any,
               every: Optional[float]) -> Event:
        """Hold an event until the commit of the message being handled: it is stored in
        that commit (with the delegate's state) and can fire once that commit is
        submitted. A handler run again after a crash schedules it again: once in all."""
        check_json(data, "event data")
        event = Event(timestamp, data, every)
        event.key = self._prefix + str(next(self._ids))
        with self._cond:
            self._held[id(event)] = event
        staging.append((self, deadline, event))
        return event

    def _release(self, held: List[Any]) -> None:
        """The commit that stores ``held`` events was submitted: schedule them (those
        cancelled meanwhile are removed from the store again, in a later commit)."""
        cancelled = []
        with self._cond:
            for _, deadline, event in held:
                self._held.pop(id(event), None)
                if not event.pending:
                    cancelled.append(event.key)
                    continue
                self._heap.place(deadline, event)
                self._keys[event.key] = event
            self._cond.notify_all()
        if cancelled:
            self._store.submit(Changes(cancel=cancelled))

    def _stored(self, event: Event) -> Event:
        """With a store, keep ``event`` there (its data must be JSON) before it can fire;
        then let it fire (wake the thread if it is the first now)."""
        store = self._store
        data = event.data
        if store is not None and persistable_event(data) and event.timestamp != float("inf"):
            key = self._prefix + str(next(self._ids))
            try:
                store.put_events([EventRecord(key, event.timestamp, data, event.every)])
            except BaseException:
                with self._cond:
                    self._heap.cancel(event)
                raise
            event.key = key
            with self._cond:
                fired = not event.pending  # while it was being stored (a delay shorter than that)
                if not fired:
                    self._keys[key] = event
            if fired:  # it went out untracked: its record is not needed any more
                store.submit(Changes(cancel=[key]))
        with self._cond:
            if event.pending and self._heap.first(event):
                self._cond.notify_all()
        return event

    def event_now(self, data: Any) -> Event:
        """Emit ``data`` as soon as possible (after events already due)."""
        with self._cond:
            return self._woken(self._heap.now(data, time.time(), time.monotonic()))

    def _woken(self, event: Event) -> Event:
        """Wake the thread if ``event`` is the first to fire now (lock held)."""
        if self._heap.first(event):
            self._cond.notify_all()
        return event

    def cancel(self, event: Event) -> None:
        """Cancel a pending event.

        Raises :class:`~telegrambot.exception.EventNotFound` if it already fired or was
        cancelled.
        """
        with self._cond:
            if self._held.pop(id(event), None) is event:
                if not event.pending:
                    raise EventNotFound(event)
                event.pending = False  # held for a commit: it never reaches the heap
                return
            self._heap.cancel(event)
            key = getattr(event, "key", None)
            if key is not None:
                self._keys.pop(key, None)
        if key is not None and self._store is not None:
            self._store.cancel_events([key])

    def pending(self) -> int:
        """How many events are waiting to fire."""
        with self._cond:
            return self._heap.pending()

    # -- running -------------------------------------------------------------------------

    def on_event(self, callback: Callable[[Any], Any],
                 on_error: Optional[ErrorHook] = None) -> None:
        """Set the function that receives each event's data, and the error hook
        (``on_error(exception, data)``, else the log) of what that function or an event's
        callable data raises."""
        self._handler, self._on_error = callback, on_error

    def run_as_thread(self) -> None:
        """Start the scheduler thread (``telegrambot-scheduler``) unless it is running."""
        with self._cond:
            if self._running and self._thread is not None and self._thread.is_alive():
                return
            # a thread still finishing after stop() sees the new generation and ends
            self._generation += 1
            self._running = True
            restore = self._store is not None and not self._restored
            self._restored = True
        if restore:
            self._restore()
        with self._cond:
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
            event, wait = heap.pop_due(time.monotonic())
            if event is not None:
                return event
            self._cond.wait(None if wait is None else min(wait, _MAX_WAIT))
        return None

    def _restore(self) -> None:
        """Schedule the events kept in the store (once, when first started): due ones
        fire at once, marked late if their time passed while the process was down."""
        try:
            records = self._store.events()
        except Exception:
            log.exception("the events kept in the store could not be read")
            return
        wall, mono = time.time(), time.monotonic()
        moved: List[EventRecord] = []
        with self._cond:
            for record in records:
                if record.id in self._keys:
                    continue
                delay, late, following = restored_due(record, wall)
                if record.every is not None and late and following is not None:
                    # fires once now, late (a copy not kept); the record moves on
                    self._heap.push(mono, wall, mark_late(record.data))
                    event = self._heap.push(mono + (following - wall), following,
                                            record.data, record.every)
                    moved.append(EventRecord(record.id, following, record.data, record.every))
                else:
                    data = mark_late(record.data) if late else record.data
                    event = self._heap.push(mono + delay, record.due, data, record.every)
                event.key = record.id
                self._keys[record.id] = event
            self._cond.notify_all()
        if records:
            log.info("%d events kept in the store scheduled again", len(records))
        if moved:
            self._store.submit(Changes(events=moved))

    def _run(self, generation: int) -> None:
        cond = self._cond
        while True:
            with cond:
                event = self._next_due(generation)
                key = event.key if event is not None else None
                if key is not None and not event.pending:  # type: ignore[union-attr]
                    self._keys.pop(key, None)
            if event is None:
                return
            if key is None:
                self._emit(event.data)
            else:
                self._emit_stored(event, key)

    def _emit_stored(self, event: Event, key: str) -> None:
        """A stored event fires: a repeating one is moved on to its next time in the
        store first; a one-shot one is removed once handled (by the last part to finish
        it, with the bot's tracker: in one commit with a delegate's state)."""
        store = self._store
        data = event.data
        if event.every is not None:
            store.submit(Changes(events=[EventRecord(key, event.timestamp, data, event.every)]))
            self._emit(data)
            return
        tracker = self._tracker
        if tracker is None:
            self._emit(data)
            store.submit(Changes(cancel=[key]))
            return
        tracker.begin_event(data, key)
        try:
            self._emit(data)
        finally:
            tracker.finish(data)

    def _emit(self, data: Any) -> None:
        event = data
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
        except Exception as e:
            report(log, self._on_error, e, event, "error while handling scheduler event %r", event)

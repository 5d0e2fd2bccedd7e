"""The event scheduler of the asyncio runtime: a ``telegrambot-scheduler`` task.

The threaded :class:`telegrambot.scheduler.Scheduler`'s methods (``event_at``,
``event_later``, ``event_now``, ``cancel``, ``pending``, ``on_event``), driven by a task
of the running event loop instead of a thread, over the same
:class:`telegrambot.core.events.EventHeap` (monotonic deadlines; a wall clock time is
turned into a delay when the event is scheduled). Schedule and cancel from the event
loop's thread. The callback set with :meth:`Scheduler.on_event` may be a coroutine
function: the task awaits it before the next event.
"""

import asyncio
import inspect
import logging
import time
from typing import Any, Callable, Optional

from ..core.events import Event, EventHeap

__all__ = ["Event", "Scheduler"]

log = logging.getLogger(__name__)


class Scheduler:
    """Emits events in time order, never before their time, from a task.

    If ``data`` is callable, it is called when the event fires (and awaited, if it gives
    an awaitable); its result (unless None) is emitted instead.
    """

    def __init__(self) -> None:
        self._heap = EventHeap()
        self._handler: Optional[Callable[[Any], Any]] = None
        self._task: Optional[asyncio.Task[None]] = None
        self._wake: Optional[asyncio.Event] = None

    # -- scheduling

    def event_at(self, when: float, data: Any) -> Event:
        """Emit ``data`` at the wall clock time ``when`` (as :func:`time.time`)."""
        return self._woken(self._heap.at(when, data, time.time(), time.monotonic()))

    def event_later(self, delay: float, data: Any) -> Event:
        """Emit ``data`` ``delay`` seconds from now (monotonic clock)."""
        return self._woken(self._heap.later(delay, data, time.time(), time.monotonic()))

    def event_now(self, data: Any) -> Event:
        """Emit ``data`` as soon as possible (after events already due)."""
        return self._woken(self._heap.now(data, time.time(), time.monotonic()))

    def _woken(self, event: Event) -> Event:
        if self._wake is not None and self._heap.first(event):
            self._wake.set()
        return event

    def cancel(self, event: Event) -> None:
        """Cancel a pending event (:class:`~telegrambot.exception.EventNotFound` if it
        already fired or was cancelled)."""
        self._heap.cancel(event)

    def pending(self) -> int:
        """How many events are waiting to fire."""
        return self._heap.pending()

    # -- running

    def on_event(self, callback: Callable[[Any], Any]) -> None:
        """Set the function (or coroutine function) that receives each event's data."""
        self._handler = callback

    def run_as_task(self) -> "asyncio.Task[None]":
        """Start the ``telegrambot-scheduler`` task in the running event loop, unless it
        runs; the task."""
        task = self._task
        if task is not None and not task.done():
            return task
        self._wake = asyncio.Event()
        task = self._task = asyncio.get_running_loop().create_task(self._run())
        task.set_name("telegrambot-scheduler")
        return task

    def is_alive(self) -> bool:
        """True while the task runs."""
        return self._task is not None and not self._task.done()

    async def stop(self, timeout: Optional[float] = 2.0) -> None:
        """End the task (pending events stay scheduled for the next start); waits at most
        ``timeout`` seconds for an event's handler to take the cancellation."""
        task, self._task = self._task, None
        if task is None or task.done():
            return
        if task is asyncio.current_task():
            return  # from an event's handler: the task ends once the handler returns
        task.cancel()
        await asyncio.wait([task], timeout=timeout)

    async def _run(self) -> None:
        heap, wake = self._heap, self._wake
        assert wake is not None
        me = asyncio.current_task()
        while self._task is me:  # stop() from an event's handler lets it end here
            event, wait = heap.pop_due(time.monotonic())
            if event is not None:
                await self._emit(event.data)
                continue
            wake.clear()
            try:
                await asyncio.wait_for(wake.wait(), wait)
            except asyncio.TimeoutError:
                pass

    async def _emit(self, data: Any) -> None:
        try:
            if callable(data):  # an event that makes its data when it fires
                data = await _awaited(data())
                if data is None:
                    return
            await _awaited((self._handler or _dropped)(data))
        except Exception:
            log.exception("error while handling scheduler event %r", data)


async def _awaited(value: Any) -> Any:
    """``value``, awaited first if it is awaitable."""
    return await value if inspect.isawaitable(value) else value


def _dropped(data: Any) -> None:
    log.warning("scheduler event dropped, no handler set (on_event): %r", data)

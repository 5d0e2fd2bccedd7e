"""Receiving updates in the asyncio runtime: polling and queue-fed loops as tasks.

The threaded :mod:`telegrambot.loop`'s loops, as tasks of the running event loop, with the
same rules (they live once, in :mod:`telegrambot.core`): the offset and the backoff of
:class:`~telegrambot.core.polling.PollState`, the update_id ordering with ``maxhold`` of
:class:`~telegrambot.core.ordering.Reorderer`, the handler table of
:class:`telegrambot._dispatch.Routes` (flavors, routing tables, the bot's default router).

* :class:`MessageLoop` polls getUpdates in a ``telegrambot-poll`` task.
* :class:`Webhook` and :class:`OrderedWebhook` read updates (dicts, or JSON as str/bytes)
  from an ``asyncio.Queue`` in a ``telegrambot-queue`` task; put them there with
  ``await loop.feed(data)``, or hand your own queue as ``source``.

A handler is a function or a coroutine function (its coroutine is awaited before the next
update): the loop hands over one update (or scheduler event) at a time. An exception in a
handler is logged with the update's update_id, and the next update follows. What is
accepted is handed over: polling moves the offset past an update once its handler
returned and confirms it on the way out; a queue-fed loop's ``stop()`` hands over what is
still queued (and held) and reports at ERROR, with their update_ids, what it could not
within its timeout.

Every loop is stopped by ``await loop.stop()`` or ``await bot.stop()``, even in the middle
of a long poll; the bot's scheduler (:mod:`telegrambot.aio.scheduler`) runs while one of
its loops does.
"""

import asyncio
import inspect
import logging
import time
from typing import Any, Awaitable, Callable, Dict, List, Optional

from .._dispatch import (
    QUEUE_SIZE,
    Handler,
    Polling,
    Routes,
    Wakeup,
    as_update,
    error_hook,
    in_order,
    take_queued,
    unwrap,
    update_id_of,
)
from ..core.errorhook import ErrorHook
from ..core.ordering import RENUMBER_IDLE, Reorderer, id_ranges
from ..core.polling import PollState, fatal_note
from ..core.redact import redact
from ..exception import BadHTTPResponse, TelegramError
from ._report import report_async

__all__ = ["MessageLoop", "OrderedWebhook", "Webhook", "bot_message_loop", "bot_stop"]

log = logging.getLogger(__name__)

# ------------------------------------------------------------------ a bot's receiving state


def _register(loop: "_Loop") -> None:
    """Record a starting loop; (re)start the bot's scheduler, its events going to the loop."""
    state = loop.bot._receiving
    with state.lock:
        state.loops.append(loop)
    scheduler = loop.bot.scheduler
    scheduler.on_event(loop._dispatch_event)
    scheduler.run_as_task()


async def _unregister(loop: "_Loop", timeout: float) -> None:
    """Forget a loop; stop the scheduler if the bot has no other, else hand it the events."""
    state = loop.bot._receiving
    with state.lock:
        if loop in state.loops:
            state.loops.remove(loop)
        others = list(state.loops)
    scheduler = loop.bot.scheduler
    if others:
        scheduler.on_event(others[-1]._dispatch_event)
    else:
        await scheduler.stop(timeout)


# ------------------------------------------------------------------ the loops


class _Loop:
    """What every loop shares: the handler, the task, stopping, the scheduler."""

    _task_name = "telegrambot-loop"

    def __init__(self, bot: Any, handle: Handler = None, *,
                 on_error: Optional[ErrorHook] = None) -> None:
        self.bot = bot
        #: Called as ``on_error(exception, update)`` (an event for an event) when a handler
        #: raises (awaited if it is a coroutine function); None logs it at ERROR.
        self.on_error = error_hook(bot, on_error)
        #: The exception that ended the loop (an UnauthorizedError), else None.
        self.exception: Optional[BaseException] = None
        self._routes = Routes(bot, handle)
        self._pick = self._routes.pick
        self._task: Optional[asyncio.Task[None]] = None
        self._stopping: Optional[asyncio.Event] = None
        self._deadline: Optional[float] = None  # when a stop must be done (time.monotonic())
        self._lock: Optional[asyncio.Lock] = None  # one handler call at a time

    # -- handling

    async def _dispatch(self, update: Dict[str, Any]) -> None:
        """Hand one update's inner object to the handler; never raises."""
        try:
            picked = self._pick(update)
            if picked is None:
                return
            fn, msg = picked
            async with self._lock:  # type: ignore[union-attr]
                done = fn(msg)
                if done is not None and inspect.isawaitable(done):
                    await done
        except Exception as e:
            await self._report(e, update, "handler failed on update %s", update_id_of(update))

    async def _dispatch_event(self, event: Any) -> None:
        """The scheduler's callback: events go through the same handler."""
        try:
            fn = self._routes.pick_event(event)
            async with self._lock:  # type: ignore[union-attr]
                done = fn(event)
                if done is not None and inspect.isawaitable(done):
                    await done
        except Exception as e:
            await self._report(e, event, "handler failed on event %r", event)

    async def _report(self, e: BaseException, obj: Any, text: str, *args: Any) -> None:
        """The core's rule (:func:`telegrambot.core.errorhook.report`), awaiting a
        coroutine ``on_error``."""
        await report_async(log, self.on_error, e, obj, text, *args)

    # -- running

    def _start(self, **kwargs: Any) -> Any:
        if self.is_alive():
            raise RuntimeError("this loop is already running")
        loop = asyncio.get_running_loop()  # RuntimeError outside one: say where to call it
        self._stopping = asyncio.Event()
        self._lock = asyncio.Lock()
        self._deadline = None
        self.exception = None
        _register(self)
        self._task = loop.create_task(self._run(kwargs))
        self._task.set_name(self._task_name)
        return self

    async def _run(self, kwargs: Dict[str, Any]) -> None:
        try:
            await self._serve(**kwargs)
        except (TelegramError, BadHTTPResponse) as e:  # see core.polling.fatal_status
            self.exception = e
            fatal_note(e, redact(str(getattr(self.bot, "api_url", "?")))).log(log)
        except asyncio.CancelledError:
            raise
        except BaseException as e:  # a bug: keep it visible
            self.exception = e
            log.exception("the loop ended on an unexpected error")
        finally:  # ended by itself, stopped, or stopped from a handler
            left = 2.0 if self._deadline is None else self._deadline - time.monotonic()
            await _unregister(self, max(0.0, left))

    # each loop class defines it, with its own parameters
    _serve: Callable[..., Awaitable[None]]

    async def _interrupt(self) -> None:
        """Wake the loop's task if it waits on I/O (a long poll, a queue)."""

    async def _sleep(self, seconds: float) -> None:
        """Wait ``seconds``, or less if the loop is told to stop."""
        try:
            await asyncio.wait_for(self._stopping.wait(), seconds)  # type: ignore[union-attr]
        except asyncio.TimeoutError:
            pass

    def is_alive(self) -> bool:
        """True while the loop's task runs."""
        return self._task is not None and not self._task.done()

    async def join(self, timeout: Optional[float] = None) -> bool:
        """Wait for the loop to end, at most ``timeout`` seconds; True if it has."""
        if self._task is not None and not self._task.done():
            await asyncio.wait([self._task], timeout=timeout)
        return not self.is_alive()

    async def wait(self) -> None:
        """Wait until the loop ends; raise the error that ended it, if any."""
        if self._task is not None:
            await asyncio.shield(self._task)
        if self.exception is not None:
            raise self.exception

    async def stop(self, timeout: float = 2.0) -> None:
        """End the loop's task (and the scheduler, if no other loop of the bot runs),
        waiting at most ``timeout`` seconds.

        A queue-fed loop first hands over what is still queued (and held); what it cannot
        within ``timeout`` is reported at ERROR with its update_ids. Polling ends after the
        update being handled and confirms the offset reached. A task still running when
        ``timeout`` is out (a handler that does not return) is cancelled. Called from the
        loop's own handler, it tells the loop to stop and returns at once.
        """
        deadline = time.monotonic() + timeout
        self._begin_stop(deadline)
        task = self._task
        if task is None:
            return
        if self._in_handler():
            await self._interrupt()
            return  # the loop ends once this handler returns
        await self._interrupt()
        if not task.done():
            await asyncio.wait([task], timeout=max(0.0, deadline - time.monotonic()))
        if not task.done():
            self._late(timeout)
            task.cancel()
            await asyncio.wait([task], timeout=1.0)
        await _unregister(self, max(0.0, deadline - time.monotonic()))

    def _in_handler(self) -> bool:
        """True in the tasks that run this loop's handler (its own, the scheduler's)."""
        current = asyncio.current_task()
        return current is self._task or current is self.bot.scheduler._task

    def _begin_stop(self, deadline: float) -> None:
        self._deadline = deadline
        if self._stopping is not None:
            self._stopping.set()

    def _late(self, timeout: float) -> None:
        """stop() ran out of time with the task still running (in a handler)."""
        log.warning("%s did not end within %.1f s: cancelled", self._task_name, timeout)


class MessageLoop(Polling, _Loop):
    """Polls getUpdates and hands every update to ``handle`` (default ``bot.handle``).

    ``MessageLoop(bot, handle).run_as_task()`` (returns the loop) or ``await
    MessageLoop(bot, handle).run_forever()``; ``await loop.stop()`` ends it. One polling
    loop per bot at a time (two would each get every update): RuntimeError.
    """

    _task_name = "telegrambot-poll"

    def run_as_task(self, relax: float = 0.1, timeout: int = 20,
                    allowed_updates: Optional[List[str]] = None,
                    offset: Optional[int] = None) -> "MessageLoop":
        """Start polling in a task of the running event loop; returns self. The
        parameters are :meth:`telegrambot.loop.MessageLoop.run_as_thread`'s."""
        state = self.bot._receiving
        with state.lock:
            previous = state.poller
            if (previous is not None and previous is not self and previous.is_alive()
                    and not previous._stopping.is_set()):
                raise RuntimeError(
                    "this bot is already polling for updates (each poller would get every "
                    "update): stop that loop (await bot.stop()) before starting another")
            state.poller = self
        # one stopped from its handler may still be finishing: the new one waits for it
        return self._start(relax=relax, timeout=timeout, allowed_updates=allowed_updates,
                           offset=offset, previous=previous)

    async def run_forever(self, **kwargs: Any) -> None:
        """Poll until stopped; takes the arguments of :meth:`run_as_task`."""
        self.run_as_task(**kwargs)
        await self.wait()

    async def _interrupt(self) -> None:
        if self._polling:
            await self.bot.transport.abort_long_poll()

    async def _serve(self, relax: float, timeout: int, allowed_updates: Optional[List[str]],
                     offset: Optional[int], previous: Optional["MessageLoop"]) -> None:
        state = self.bot._receiving
        if previous is not None and previous is not self:
            while not await previous.join(0.05):
                if self._stopping.is_set():  # type: ignore[union-attr]
                    return
        try:
            await self._poll(relax, timeout, allowed_updates,
                             state.offset if offset is None else offset)
        finally:
            with state.lock:  # the next polling loop of the bot starts where this one ended
                if self.offset is not None:
                    state.offset = self.offset
                if state.poller is self:
                    state.poller = None

    async def _poll(self, relax: float, timeout: int, allowed_updates: Optional[List[str]],
                    offset: Optional[int]) -> None:
        stopping = self._stopping
        assert stopping is not None
        poll = self._state = PollState(offset)
        get_updates = self.bot.getUpdates
        while not stopping.is_set():
            self._polling = True
            try:
                updates = await get_updates(offset=poll.offset, timeout=timeout,
                                            allowed_updates=allowed_updates)
            except Exception as e:
                fault = poll.failed(e)
                if fault is None:
                    raise
                if not stopping.is_set():
                    fault.note.log(log)
                    await self._sleep(fault.delay)
                continue
            finally:
                self._polling = False
            poll.polled()
            if updates:
                for update in updates:
                    update_id, note = poll.arrived(update)
                    if note is not None:
                        note.log(log)
                    if update_id is None:
                        continue
                    await self._dispatch(update)
                    poll.handed_over(update_id)
                    if stopping.is_set():
                        break
            elif relax:
                await self._sleep(relax)
        if poll.unconfirmed():
            try:
                await self.bot.getUpdates(offset=poll.offset, limit=1, timeout=0,
                                          request_timeout=1.0)
            except Exception as e:
                poll.confirm_failed(e).log(log)


class Webhook(_Loop):
    """Hands updates fed to it (webhook payloads) to ``handle``, in arrival order.

    ``Webhook(bot, handle).run_as_task()``, then ``await feed(data)``. ``source`` is the
    ``asyncio.Queue`` to read; without one, a queue of at most ``maxsize`` updates is made
    (0: unbounded; make the Webhook inside the running event loop on Python 3.9). Every
    update in the queue counts as accepted: :meth:`stop` hands it over first.
    """

    _task_name = "telegrambot-queue"

    def __init__(self, bot: Any, handle: Handler = None, source: Any = None, *,
                 maxsize: int = QUEUE_SIZE, on_error: Optional[ErrorHook] = None) -> None:
        super().__init__(bot, handle, on_error=on_error)
        if source is None:
            source = asyncio.Queue(maxsize)
        elif not (callable(getattr(source, "get", None))
                  and callable(getattr(source, "get_nowait", None))
                  and callable(getattr(source, "put_nowait", None))):
            raise TypeError("source must be an asyncio.Queue (with get(), get_nowait() and "
                            f"put_nowait()), not {type(source).__name__}")
        self.source = source
        self._sentinel = Wakeup()

    def _checked(self, data: Any) -> Dict[str, Any]:
        update = as_update(data)
        if not isinstance(update.get("update_id"), int):
            raise ValueError("an update needs an integer update_id")
        return update

    async def feed(self, data: Any) -> None:
        """Queue one `Update <https://core.telegram.org/bots/api#update>`_ (a dict, or its
        JSON as str or bytes), waiting while the queue is full; ValueError for data that
        is not an update."""
        await self.source.put(self._checked(data))

    def feed_nowait(self, data: Any) -> None:
        """:meth:`feed` without waiting: ``asyncio.QueueFull`` when the queue is full."""
        self.source.put_nowait(self._checked(data))

    def run_as_task(self) -> "Webhook":
        """Start handling fed updates in a task of the running event loop; returns self."""
        if not self.is_alive():  # a running one keeps its own (and _start refuses it)
            self._sentinel = Wakeup()
        return self._start()

    async def run_forever(self) -> None:
        """Handle fed updates until stopped."""
        self.run_as_task()
        await self.wait()

    async def _interrupt(self) -> None:
        try:
            self.source.put_nowait(self._sentinel)
        except asyncio.QueueFull:
            pass  # the loop sees the stop flag with its next update

    async def _serve(self) -> None:
        get, dispatch = self.source.get, self._dispatch
        stopping = self._stopping
        assert stopping is not None
        while not stopping.is_set():
            item = await get()
            if type(item) is not dict:
                item = unwrap(item)
                if item is None:
                    continue
            for update in self._ready(item):
                await dispatch(update)
        await self._drain()

    # -- what an ordering loop changes

    def _ready(self, update: Dict[str, Any]) -> List[Dict[str, Any]]:
        """The updates to hand over now that ``update`` came."""
        return [update]

    def _flush(self) -> List[Dict[str, Any]]:
        """Take out what the loop holds back (an ordering loop's held updates)."""
        return []

    # -- stopping: hand over what was accepted

    async def _drain(self) -> None:
        """Stopping: hand over what is still queued, then what is held, until the stop's
        deadline; what is left then is reported lost."""
        deadline = self._deadline if self._deadline is not None else time.monotonic() + 2.0
        pending = self._take_queued()
        pending = [u for item in pending for u in self._ready(item)] + self._flush()
        for i, update in enumerate(pending):
            if time.monotonic() >= deadline:
                self._report_lost(pending[i:])
                return
            await self._dispatch(update)

    def _take_queued(self) -> List[Dict[str, Any]]:
        return take_queued(self.source.get_nowait, asyncio.QueueEmpty)

    def _late(self, timeout: float) -> None:
        """stop() ran out of time in a handler: what is queued and held is lost."""
        lost = self._take_queued() + self._flush()
        if not lost:
            super()._late(timeout)
            return
        log.error("stopping: %s did not end within %.1f s (a handler was still running, "
                  "and is cancelled)", self._task_name, timeout)
        self._report_lost(lost)

    def _report_lost(self, lost: List[Dict[str, Any]]) -> None:
        if lost:
            log.error("stopping: %d accepted updates were not handed over within the stop's "
                      "timeout and are lost: update_ids %s", len(lost),
                      id_ranges(update_id_of(u) for u in lost))


class OrderedWebhook(Webhook):
    """Like :class:`Webhook`, but hands updates over in update_id order, holding one that
    came early at most ``maxhold`` seconds (the rules of
    :class:`telegrambot.core.ordering.Reorderer`, as in
    :class:`telegrambot.loop.OrderedWebhook`).
    ``OrderedWebhook(bot, handle).run_as_task(maxhold=3)``.
    """

    _reorderer: Optional[Reorderer] = None

    def run_as_task(self, maxhold: float = 3) -> "OrderedWebhook":  # type: ignore[override]
        """Start handling fed updates in a task of the running event loop; returns self."""
        if not self.is_alive():  # a running one keeps its own (and _start refuses it)
            self._reorderer = Reorderer(maxhold, renumber_idle=RENUMBER_IDLE)
            self._sentinel = Wakeup()
        return self._start()

    async def run_forever(self, maxhold: float = 3) -> None:  # type: ignore[override]
        """Handle fed updates until stopped."""
        self.run_as_task(maxhold)
        await self.wait()

    async def _serve(self) -> None:
        reorderer = self._reorderer
        stopping = self._stopping
        assert reorderer is not None and stopping is not None
        get, dispatch, held = self.source.get, self._dispatch, reorderer.held
        wait: Optional[float] = None  # how long a get may wait (a held update's deadline)
        while not stopping.is_set():
            try:
                item = await (get() if wait is None else asyncio.wait_for(get(), wait))
            except asyncio.TimeoutError:
                item = None
            if item is not None:
                if type(item) is not dict:
                    item = unwrap(item)
                if item is not None:
                    for update in self._ready(item):
                        await dispatch(update)
            wait = None
            if held:
                now = time.monotonic()
                if reorderer.expire(now):
                    for update in reorderer.take():
                        await dispatch(update)
                deadline = reorderer.deadline()
                wait = None if deadline is None else max(0.0, deadline - now)
        await self._drain()

    def _ready(self, update: Dict[str, Any]) -> List[Dict[str, Any]]:
        reorderer = self._reorderer
        assert reorderer is not None
        return in_order(reorderer, update, time.monotonic())

    def _flush(self) -> List[Dict[str, Any]]:
        return self._reorderer.flush() if self._reorderer is not None else []


# ------------------------------------------------------------------ Bot.message_loop / Bot.stop


def bot_message_loop(bot: Any, callback: Handler = None, *, relax: float = 0.1,
                     timeout: int = 20, source: Any = None, ordered: bool = True,
                     maxhold: float = 3, allowed_updates: Optional[List[str]] = None,
                     on_error: Optional[ErrorHook] = None) -> _Loop:
    """The body of ``telegrambot.aio.Bot.message_loop``: start a loop (and the scheduler)."""
    if source is None:
        return MessageLoop(bot, callback, on_error=on_error).run_as_task(relax=relax, timeout=timeout,
                                                      allowed_updates=allowed_updates)
    if ordered:
        return OrderedWebhook(bot, callback, source=source,
                              on_error=on_error).run_as_task(maxhold=maxhold)
    return Webhook(bot, callback, source=source, on_error=on_error).run_as_task()


async def bot_stop(bot: Any, timeout: float = 2.0) -> None:
    """The body of ``telegrambot.aio.Bot.stop``: stop every loop of ``bot``, its scheduler."""
    deadline = time.monotonic() + timeout
    state = bot._receiving
    with state.lock:
        loops = list(state.loops)
    for loop in loops:
        loop._begin_stop(deadline)
    for loop in loops:  # each told to stop already; awaited here, in the caller's task
        await loop.stop(max(0.0, deadline - time.monotonic()))
    if bot._scheduler is not None:
        await bot.scheduler.stop(max(0.0, deadline - time.monotonic()))

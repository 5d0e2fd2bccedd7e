"""Receiving updates: polling, queue (webhook) sources, ordering, and the loop classes.

Every loop hands each update's inner object (the ``message``, ``callback_query``, ...
dict) to a handler: a function, a routing table ``{flavor: function}`` (``None`` as key
for a default), or ``bot.handle``. Events of the bot's scheduler go through the same
handler, and the handler is never called for two things at once. Where the object's shape
does not tell its update type (``my_chat_member`` and ``chat_member``, and update types
newer than this library), the loop records it under ``'_update_type'`` in the object, so
``flavor(msg)`` and routing tables tell them apart (see :mod:`telegrambot.core.flavor`).

* :class:`MessageLoop` polls `getUpdates <https://core.telegram.org/bots/api#getupdates>`_
  on a ``telegrambot-poll`` thread.
* :class:`Webhook` and :class:`OrderedWebhook` read updates (dicts, or JSON as str/bytes)
  from a queue on a ``telegrambot-queue`` thread; put them there with ``feed()`` or hand
  your own ``queue.Queue`` as ``source``.

Every loop is stopped by its ``stop()`` or by ``bot.stop()``, within ``timeout`` seconds,
even in the middle of a long poll or while its connection is still being made. A bot polls
with one :class:`MessageLoop` at a time (two would each get every update): starting another
while one runs raises RuntimeError.

What is accepted is handed over (see :doc:`/delivery`): for polling, an update is accepted
once its offset is confirmed, and the offset moves past an update only once its handler
returned, so a fault never loses or repeats one; on stop, the offset reached is confirmed to
the server and kept on the bot, so the bot's next polling loop starts after the last update
handed over even if that confirmation failed. For a queue-fed loop, whatever is in the queue
was accepted: ``stop()`` hands it over first, and reports at ERROR, with their update_ids,
the updates it could not hand over within its timeout.

Staying up while polling: network faults, non-JSON answers (an HTML 502) and server
errors are logged and retried with a doubling delay (at most :data:`BACKOFF_MAX` seconds);
429 waits ``retry_after``; 409 (a webhook is set, or another poller) is logged with what
to do and retried with backoff; 401 (a wrong token) and 404 (a wrong ``api_url``, a deleted
bot) end the loop with an ERROR saying what to check (``loop.exception`` holds the error).
When the update_ids go back (Telegram numbers them afresh after a week without updates),
the loop follows. An exception in a handler is logged with its traceback, or handed to
``on_error(exception, update)`` when the loop has one (``message_loop(..., on_error=fn)``;
a :class:`~telegrambot.DelegatorBot`'s own ``on_error`` otherwise), and the next update
follows.

A loop runs on a daemon thread, which does not keep the program alive: if the interpreter
exits while a loop still runs and nothing ever waited on it (``run_forever``, ``wait()``,
``join()``) nor stopped it, a WARNING says so on this module's logger (see
:mod:`telegrambot.core.shutdown`).
"""

import atexit
import logging
import queue
import sys
import threading
import time
import weakref
from typing import Any, Callable, Dict, List, Optional, TypeVar, Union

from ._dispatch import QUEUE_SIZE as QUEUE_SIZE  # named here before
from ._dispatch import Handler, Polling, Routes, Wakeup, error_hook, in_order, take_queued, unwrap
from ._dispatch import as_update as _as_update
from ._dispatch import update_id_of as _update_id
from .api import redact
from .core.errorhook import ErrorHook, report
from .core.ordering import RENUMBER_IDLE as DEFAULT_RENUMBER_IDLE
from .core.ordering import Reorderer, id_ranges, verdict_note
from .core.polling import BACKOFF_MAX as BACKOFF_MAX  # the backoff's bounds, named here before
from .core.polling import BACKOFF_START as BACKOFF_START
from .core.polling import PollState, fatal_note
from .core.records import Changes, StorageError
from .core.shutdown import exit_note
from .exception import BadHTTPResponse, TelegramError

__all__ = ["MessageLoop", "Webhook", "OrderedWebhook", "bot_message_loop", "bot_stop"]

log = logging.getLogger(__name__)

#: Seconds without updates after which :class:`OrderedWebhook` takes an update_id smaller
#: than those handed over as a new numbering, not as a late arrival: Telegram numbers
#: updates afresh after a week without any (the core's default).
RENUMBER_IDLE = DEFAULT_RENUMBER_IDLE

_L = TypeVar("_L", bound="_Loop")
_W = TypeVar("_W", bound="Webhook")


# ------------------------------------------------------------------ a bot's receiving state
# (bot._receiving, a telegrambot.core.polling.Receiving the bot owns)


#: The loops running in this process (a loop leaves it when it ends), for the exit check.
_running: "weakref.WeakSet[_Loop]" = weakref.WeakSet()


def _check_at_exit() -> None:
    """At interpreter exit (after every non-daemon thread ended): warn about the loops still
    running that nothing waited on (see :mod:`telegrambot.core.shutdown`)."""
    unwaited = [loop._thread_name for loop in list(_running)
                if loop.is_alive() and not loop._waited and not loop._stopping.is_set()
                # its thread, not just its state: a forked child has the state, not the thread
                and loop._thread is not None and loop._thread.is_alive()]
    note = exit_note(unwaited, interactive=hasattr(sys, "ps1") or bool(sys.flags.interactive),
                     uncaught=getattr(sys, "last_value", None) is not None)
    if note is not None:
        note.log(log)


atexit.register(_check_at_exit)


def _register(loop: "_Loop") -> None:
    """Record a starting loop; (re)start the bot's scheduler, its events going to the loop."""
    _running.add(loop)
    state = loop.bot._receiving
    with state.lock:
        state.loops.append(loop)
        scheduler = loop.bot.scheduler
        scheduler.on_event(loop._dispatch_event, loop.on_error)
        scheduler.run_as_thread()


def _unregister(loop: "_Loop") -> Optional[threading.Thread]:
    """Forget a loop. If the bot has no other, tell its scheduler to stop and return the
    scheduler's thread (to be joined); else hand the events to another loop."""
    _running.discard(loop)
    state = loop.bot._receiving
    with state.lock:
        loops = state.loops
        if loop in loops:
            loops.remove(loop)
        scheduler = loop.bot.scheduler
        if loops:
            scheduler.on_event(loops[-1]._dispatch_event, loops[-1].on_error)
            return None
        thread = scheduler._thread
        scheduler.stop(timeout=0)
        return thread


# ------------------------------------------------------------------ the loops


class _Loop:
    """What every loop shares: the handler, the thread, stopping, the scheduler."""

    _thread_name = "telegrambot-loop"

    def __init__(self, bot: Any, handle: Handler = None, *,
                 on_error: Optional[ErrorHook] = None) -> None:
        self.bot = bot
        #: Called as ``on_error(exception, update)`` (an event for an event) when a handler
        #: raises; None logs it. Default: the bot's ``on_error`` (a DelegatorBot's), if any.
        self.on_error = error_hook(bot, on_error)
        #: The exception that ended the loop (an UnauthorizedError), else None.
        self.exception: Optional[BaseException] = None
        self._stopping = threading.Event()
        self._waited = False  # something waited on the loop: no warning at exit
        self._deadline: Optional[float] = None  # when a stop must be done (time.monotonic())
        self._thread: Optional[threading.Thread] = None
        # set when the thread is done; waited on instead of Thread.join, which Ctrl-C can
        # leave believing a running thread has ended (CPython 3.11, _wait_for_tstate_lock)
        self._ended = threading.Event()
        self._ended.set()
        self._lock = threading.Lock()  # one handler call at a time
        self._routes = Routes(bot, handle)
        self._pick = self._routes.pick
        self._durable = getattr(bot, "_durable", None)
        if self._durable is not None:  # with a store: track each update until it is done
            self._dispatch = self._dispatch_durable  # type: ignore[method-assign]
        cache = getattr(bot, "_callback_data", None)
        if cache is not None:
            # arbitrary callback data: each update gets its objects back here, just before
            # the handler (after a durable inbox kept it as it came); an instance attribute,
            # so a bot without the feature pays nothing
            self._dispatch = _decoding(cache.decode_update, self._dispatch)  # type: ignore[method-assign,assignment]

    # -- handling

    def _dispatch(self, update: Dict[str, Any]) -> None:
        """Hand one update's inner object to the handler; never raises."""
        try:
            picked = self._pick(update)
            if picked is None:
                return
            fn, msg = picked
            with self._lock:
                fn(msg)
        except Exception as e:
            report(log, self.on_error, e, update, "handler failed on update %s", _update_id(update))

    def _dispatch_durable(self, update: Dict[str, Any], skip: Any = (),
                          replaying: bool = False) -> None:
        """:meth:`_dispatch` for a bot with a store: the update's object is tracked
        until every part it went to finished, the last marking it done (see
        :mod:`telegrambot.core.durable`); ``skip``: the state keys that applied it before
        a restart. Never raises."""
        durable: Any = self._durable
        update_id = update.get("update_id")
        msg: Any = None
        try:
            picked = self._pick(update)
            if picked is None:  # no object (logged): nothing to wait for
                if type(update_id) is int:
                    durable.store.submit(Changes(done=[update_id]))
                return
            fn, msg = picked
            if not durable.begin(msg, update_id, skip, replaying):
                return  # handed over on start already
        except Exception as e:
            report(log, self.on_error, e, update, "handler failed on update %s", _update_id(update))
            return
        try:
            with self._lock:
                fn(msg)
        except Exception as e:
            report(log, self.on_error, e, update, "handler failed on update %s", _update_id(update))
        finally:
            try:
                durable.finish(msg)
            except Exception:
                log.exception("update %s: its done mark could not be submitted", update_id)

    def _replay(self) -> None:
        """With a store: hand over first what was accepted and not handled before the
        process (re)started."""
        durable = self._durable
        if durable is not None:
            try:
                durable.replay(self._dispatch)
            except Exception:
                log.exception("the updates accepted before the restart could not be read "
                              "from the store; they stay there for the next start")

    def _dispatch_event(self, event: Any) -> None:
        """The scheduler's callback: events go through the same handler."""
        try:
            fn = self._routes.pick_event(event)
            with self._lock:
                fn(event)
        except Exception as e:
            report(log, self.on_error, e, event, "handler failed on event %r", event)

    # -- running

    def _start(self: _L, kwargs: Dict[str, Any]) -> _L:
        if self.is_alive():
            raise RuntimeError("this loop is already running")
        self._stopping.clear()
        self._deadline = None
        self._ended.clear()
        self.exception = None
        _register(self)
        self._thread = threading.Thread(
            target=self._run, kwargs=kwargs, name=self._thread_name, daemon=True
        )
        self._thread.start()
        return self

    def _run(self, **kwargs: Any) -> None:
        try:
            self._serve(**kwargs)
        except (TelegramError, BadHTTPResponse) as e:  # see fatal_status
            self.exception = e
            fatal_note(e, redact(str(getattr(self.bot, "api_url", "?")))).log(log)
        except BaseException as e:  # a bug: keep it visible
            self.exception = e
            log.exception("the loop ended on an unexpected error")
        finally:
            _unregister(self)
            self._ended.set()

    # each loop class defines these, with its own parameters
    _serve: Callable[..., None]
    run_as_thread: Callable[..., "_Loop"]

    def _interrupt(self) -> None:
        """Wake the loop's thread if it is waiting on I/O (a long poll, a queue)."""

    def run_forever(self, **kwargs: Any) -> None:
        """Run until stopped (Ctrl-C stops it cleanly); takes the arguments of run_as_thread.

        Raises the error that ended the loop, if any (a rejected token).
        """
        self.run_as_thread(**kwargs)
        self.wait()

    def wait(self) -> None:
        """Block until the loop ends; Ctrl-C stops it. Raises the error that ended it."""
        self._waited = True
        try:
            while not self._ended.wait(0.25):  # short: Ctrl-C is seen between two waits
                pass
        except KeyboardInterrupt:
            log.info("interrupted: stopping")
            self.stop()
            return
        if self.exception is not None:
            raise self.exception

    def _in_handler(self) -> bool:
        """True on the threads that run this loop's handler (its own, the scheduler's)."""
        current = threading.current_thread()
        return current is self._thread or current is self.bot.scheduler._thread

    def _begin_stop(self, deadline: float) -> None:
        """Tell the loop to stop, finishing its work by ``deadline`` (time.monotonic())."""
        self._deadline = deadline
        self._stopping.set()
        self._interrupt()

    def stop(self, timeout: float = 2.0) -> None:
        """End the loop's thread (and the scheduler, if no other loop of the bot runs),
        waiting at most ``timeout`` seconds.

        A queue-fed loop first hands over what is still queued (and held, for ordering):
        those updates were accepted. What it cannot hand over within ``timeout`` is logged
        at ERROR with its update_ids. Polling ends after the update being handled; the
        offset reached is confirmed to the server, and the bot's next polling loop starts
        there.

        Called from a handler (of an update or an event), it returns at once and the loop
        ends once that handler has returned (and, for a queue-fed loop, what is queued has
        been handed over, within ``timeout``): waiting would wait for the caller itself.
        """
        deadline = time.monotonic() + timeout
        self._begin_stop(deadline)
        thread = self._thread
        if self._in_handler():
            _unregister(self)
            return
        if thread is not None:
            while not self._ended.is_set():
                self._interrupt()
                left = deadline - time.monotonic()
                if left <= 0:
                    self._late(thread, timeout)
                    break
                self._ended.wait(min(left, 0.05))
            thread.join(max(0.0, deadline - time.monotonic()))
        scheduler_thread = _unregister(self)
        if scheduler_thread is not None and scheduler_thread is not threading.current_thread():
            scheduler_thread.join(max(0.0, deadline - time.monotonic()))

    def _late(self, thread: threading.Thread, timeout: float) -> None:
        """stop() ran out of time with the thread still running (in a handler)."""
        log.warning("%s did not end within %.1f s", thread.name, timeout)

    def join(self, timeout: Optional[float] = None) -> bool:
        """Wait for the loop to end; True if it has."""
        self._waited = True
        return self._ended.wait(timeout)

    def is_alive(self) -> bool:
        """True while the loop runs."""
        return not self._ended.is_set()


def _decoding(decode: Callable[[Any], Any], dispatch: Callable[..., None]) -> Callable[..., None]:
    def dispatch_decoded(update: Any, *args: Any, **kwargs: Any) -> None:
        # decode never raises, nor changes the update it is given (a store keeps that one)
        dispatch(decode(update), *args, **kwargs)

    return dispatch_decoded


class MessageLoop(Polling, _Loop):
    """Polls getUpdates and hands every update to ``handle`` (default ``bot.handle``).

    ``MessageLoop(bot, handle).run_as_thread()`` or ``.run_forever()``; ``stop()`` ends it.
    The offset, the backoff and what ends polling are
    :class:`telegrambot.core.polling.PollState`'s. ``on_error(exception, update)`` gets
    what the handler raises (see :meth:`telegrambot.Bot.message_loop`); every loop class
    takes it.
    """

    _thread_name = "telegrambot-poll"

    def run_as_thread(
        self,
        relax: float = 0.1,
        timeout: int = 20,
        allowed_updates: Optional[List[str]] = None,
        offset: Optional[int] = None,
    ) -> "MessageLoop":
        """Start polling on a thread; returns self.

        :param relax: seconds to wait after a getUpdates that brought nothing (while
            updates keep coming, the next getUpdates follows at once).
        :param timeout: long-poll ``timeout`` of getUpdates, in seconds.
        :param allowed_updates: update types to receive (``allowed_updates`` of getUpdates).
        :param offset: the first update_id to ask for (default: after the last update an
            earlier loop of this bot handed over, else where the server left off).
        """
        return self._start(
            dict(relax=relax, timeout=timeout, allowed_updates=allowed_updates, offset=offset)
        )

    def _start(self, kwargs: Dict[str, Any]) -> "MessageLoop":
        # One poller per bot: two would each get every update. One stopped from its
        # handler may still be finishing: the new one waits for it and goes on from its offset.
        state = self.bot._receiving
        with state.lock:
            previous = state.poller
            if previous is not None and previous is not self and not previous._stopping.is_set():
                raise RuntimeError(
                    "this bot is already polling for updates (each poller would get every "
                    "update): stop that loop (bot.stop()) before starting another"
                )
            state.poller = self
        return super()._start(dict(kwargs, previous=previous))

    def _interrupt(self) -> None:
        if self._polling:
            abort = getattr(getattr(self.bot, "_transport", None), "abort_long_poll", None)
            if abort is not None:
                abort()

    def _serve(self, **kwargs: Any) -> None:
        state = self.bot._receiving
        try:
            self._poll(**kwargs)
        finally:
            with state.lock:  # from now on, a new poller need not wait for this one
                if self.offset is not None:
                    state.offset = self.offset
                if state.poller is self:
                    state.poller = None

    def _poll(
        self,
        relax: float,
        timeout: int,
        allowed_updates: Optional[List[str]],
        offset: Optional[int],
        previous: Optional["MessageLoop"],
    ) -> None:
        stopping = self._stopping
        if previous is not None and previous is not self:
            while not previous._ended.wait(0.05):
                if stopping.is_set():
                    return
        if offset is None:
            offset = self.bot._receiving.offset
        poll = self._state = PollState(offset)
        self._replay()
        while not stopping.is_set():
            delay = None
            self._polling = True
            try:
                if stopping.is_set():
                    break
                updates = self.bot.getUpdates(
                    offset=poll.offset, timeout=timeout, allowed_updates=allowed_updates
                )
            except Exception as e:
                fault = poll.failed(e)
                if fault is None:
                    raise
                if stopping.is_set():
                    break
                fault.note.log(log)
                delay = fault.delay
            finally:
                self._polling = False
            if delay is not None:
                stopping.wait(delay)
                continue
            poll.polled()
            if updates:
                self._handle_batch(updates)
            elif relax:
                stopping.wait(relax)
        if poll.unconfirmed():
            self._confirm()

    def _handle_batch(self, updates: List[Dict[str, Any]]) -> None:
        stopping = self._stopping
        poll = self._state
        fresh = None
        if self._durable is not None:
            # the durable inbox: in the store before the offset moves past the batch
            try:
                flags = self._durable.store.accept(updates)
            except StorageError as e:
                log.error("the updates polled could not be written to the store (%s); "
                          "they are asked for again", e)
                stopping.wait(1.0)
                return
            if not all(flags):
                fresh = {id(u) for u, new in zip(updates, flags) if new}
        for update in updates:
            update_id, note = poll.arrived(update)
            if note is not None:
                note.log(log)
            if update_id is None:
                continue
            if fresh is None or id(update) in fresh:
                self._dispatch(update)
            poll.handed_over(update_id)
            if stopping.is_set():
                return

    def _confirm(self) -> None:
        """Tell the server which updates were handled, so a restart does not repeat them."""
        try:
            self.bot.getUpdates(offset=self.offset, limit=1, timeout=0, request_timeout=1.0)
        except Exception as e:
            self._state.confirm_failed(e).log(log)


_NOTHING = object()  # what a queue get that timed out gives


class Webhook(_Loop):
    """Hands updates fed to it (webhook payloads) to ``handle``, in arrival order.

    ``Webhook(bot, handle).run_as_thread()``, then ``feed(data)`` from any thread.
    ``source`` is the queue to read; without one, a queue of at most ``maxsize`` updates
    is made (0: unbounded), and :meth:`feed` waits while it is full. Other code may put
    updates (dicts, or JSON as str/bytes) in the queue directly.

    Every update in the queue counts as accepted: :meth:`stop` hands over what is queued
    before the loop ends (see :meth:`_Loop.stop`); stop whatever fills the queue first.
    """

    _thread_name = "telegrambot-queue"

    def __init__(
        self, bot: Any, handle: Handler = None, source: Any = None, *, maxsize: int = QUEUE_SIZE,
        on_error: Optional[ErrorHook] = None,
    ) -> None:
        super().__init__(bot, handle, on_error=on_error)
        if source is None:
            source = queue.Queue(maxsize)
        elif not (
            callable(getattr(source, "get", None)) and callable(getattr(source, "put", None))
        ):
            raise TypeError(
                f"source must be a queue (with get() and put()), not {type(source).__name__}"
            )
        self.source = source
        self._sentinel = Wakeup()  # a new one each start: one left behind is not ours
        self._woken = False  # the sentinel was put for this stop
        # a stop that ran out of time: nothing more is handed over; what is reported lost
        self._abandon_lock = threading.Lock()
        self._abandoned = False
        self._reported: set = set()
        self._reported_keep: List[Any] = []

    def feed(self, data: Union[Dict[str, Any], str, bytes], timeout: Optional[float] = None) -> None:
        """Queue one `Update <https://core.telegram.org/bots/api#update>`_ (a dict, or its
        JSON as str or bytes). Raises ValueError for data that is not an update; waits
        while the queue is full, at most ``timeout`` seconds (then raises queue.Full)."""
        update = _as_update(data)
        if not isinstance(update.get("update_id"), int):
            raise ValueError("an update needs an integer update_id")
        self.source.put(update, True, timeout)

    def run_as_thread(self) -> "Webhook":
        """Start handling fed updates on a thread; returns self."""
        return self._start({})

    def _start(self: _W, kwargs: Dict[str, Any]) -> _W:
        if not self.is_alive():  # a running one keeps its own (and super() refuses it)
            self._sentinel = Wakeup()
            self._woken = False
            self._abandoned = False
            self._reported = set()
            self._reported_keep = []
        return super()._start(kwargs)

    def _interrupt(self) -> None:
        if not self._woken:
            self._woken = True
            try:
                self.source.put_nowait(self._sentinel)
            except (AttributeError, queue.Full):
                pass  # the loop sees the stop flag with its next update

    def _serve(self) -> None:
        self._replay()
        get = self.source.get
        dispatch = self._dispatch
        stopping = self._stopping.is_set
        while not stopping():
            item = get()
            if type(item) is not dict:
                item = unwrap(item)
                if item is None:
                    continue
            dispatch(item)
        self._drain()

    # -- what an ordering loop changes

    def _ready(self, update: Dict[str, Any]) -> List[Dict[str, Any]]:
        """The updates to hand over now that ``update`` came (in a stopping loop)."""
        return [update]

    def _flush(self) -> List[Dict[str, Any]]:
        """Take out what the loop holds back (an ordering loop's held updates)."""
        return []

    def _holding(self) -> List[Dict[str, Any]]:
        """A look at what the loop holds back, from another thread (nothing taken out)."""
        return []

    # -- stopping: hand over what was accepted

    def _drain(self) -> None:
        """The loop is stopping: hand over what is still queued, then what is held, until
        the stop's deadline; then report what is left (see :meth:`_give_up`)."""
        deadline = self._deadline
        if deadline is None:
            deadline = time.monotonic() + 2.0
        get = self.source.get
        dispatch = self._dispatch
        final = False
        while not final:
            if self._abandoned or time.monotonic() >= deadline:
                self._give_up([])
                return
            try:
                item = get(False)
            except queue.Empty:
                ready = self._flush()
                final = True
            else:
                if type(item) is not dict:
                    item = unwrap(item)
                    if item is None:
                        continue
                ready = self._ready(item)
            for i, update in enumerate(ready):
                if self._abandoned or time.monotonic() >= deadline:
                    self._give_up(ready[i:])
                    return
                dispatch(update)

    def _give_up(self, pending: List[Dict[str, Any]]) -> None:
        """Out of time (on the loop's thread): take what is left out of the queue and
        report at ERROR what stop() has not reported yet."""
        with self._abandon_lock:
            lost = [u for u in pending + self._take_queued() + self._flush()
                    if id(u) not in self._reported]
            self._note_reported(lost)
        if lost and self._durable is not None:
            log.warning(
                "stopping: %d accepted updates were not handed over within the stop's "
                "timeout; they stay in the store and are handed over at the next start: "
                "update_ids %s", len(lost), id_ranges(_update_id(update) for update in lost))
        elif lost:
            log.error(
                "stopping: %d accepted updates were not handed over within the stop's "
                "timeout and are lost: update_ids %s",
                len(lost),
                id_ranges(_update_id(update) for update in lost),
            )

    def _late(self, thread: threading.Thread, timeout: float) -> None:
        """stop() ran out of time while the loop runs a handler: from now on it hands
        nothing more over; what it had not handed over yet is reported here, at once, in
        case the process ends before that handler returns."""
        with self._abandon_lock:
            self._abandoned = True
            lost = [u for u in self._take_queued() + self._holding()
                    if id(u) not in self._reported]
            self._note_reported(lost)
        if not lost:
            log.warning("%s did not end within %.1f s (a handler is still running)",
                        thread.name, timeout)
            return
        log.log(
            logging.WARNING if self._durable is not None else logging.ERROR,
            "stopping: %s did not end within %.1f s (a handler is still running); "
            "%d accepted updates were not handed over and "
            + ("stay in the store for the next start" if self._durable is not None
               else "are lost") + ": update_ids %s",
            thread.name,
            timeout,
            len(lost),
            id_ranges(_update_id(update) for update in lost),
        )

    def _take_queued(self) -> List[Dict[str, Any]]:
        return take_queued(lambda: self.source.get(False), queue.Empty)

    def _note_reported(self, updates: List[Dict[str, Any]]) -> None:
        self._reported.update(id(u) for u in updates)
        self._reported_keep.extend(updates)  # alive, so their id() stays theirs


class OrderedWebhook(Webhook):
    """Like :class:`Webhook`, but hands updates over in update_id order.

    An update that arrives before a smaller update_id is held until the gap is filled, at
    most ``maxhold`` seconds. An update whose update_id was given up on (it came after
    ``maxhold``) is still handed over, late and out of order, with a WARNING; only a repeat
    of an update_id already handed over is dropped. After :data:`RENUMBER_IDLE` seconds
    without updates, a smaller update_id starts a new numbering. The rules are those of
    :class:`telegrambot.core.ordering.Reorderer`.
    ``OrderedWebhook(bot, handle).run_as_thread(maxhold=3)``.
    """

    _reorderer: Optional[Reorderer] = None

    def run_as_thread(self, maxhold: float = 3) -> "OrderedWebhook":  # type: ignore[override]
        """Start handling fed updates on a thread; returns self."""
        return self._start({"maxhold": maxhold})

    def _serve(self, maxhold: float = 3) -> None:  # type: ignore[override]
        self._replay()
        reorderer = self._reorderer = Reorderer(maxhold, renumber_idle=RENUMBER_IDLE)
        get = self.source.get
        dispatch = self._dispatch
        push = reorderer.push
        held = reorderer.held
        stopping = self._stopping.is_set
        monotonic = time.monotonic
        wait: Optional[float] = None  # how long a get() may block (a held update's deadline)
        while not stopping():
            try:
                item = get(True, wait)
            except queue.Empty:
                item = _NOTHING
            if type(item) is dict:
                update_id = item.get("update_id")
                if type(update_id) is int:
                    verdict = push(update_id, item, monotonic())
                    if verdict:
                        for update in self._settle(verdict, update_id):
                            dispatch(update)
                    else:
                        dispatch(item)
                else:
                    log.error("update without an integer update_id, skipped: %.200r", item)
            elif item is not _NOTHING:
                item = unwrap(item)
                if item is not None:
                    for update in self._ready(item):
                        dispatch(update)
            if held:
                now = monotonic()
                if reorderer.expire(now):
                    for update in reorderer.take():
                        dispatch(update)
                deadline = reorderer.deadline()
                wait = None if deadline is None else max(0.0, deadline - now)
            else:
                wait = None
        # stopping: what is queued is handed over; what is held has waited long enough
        self._drain()

    def _ready(self, update: Dict[str, Any]) -> List[Dict[str, Any]]:
        reorderer = self._reorderer
        assert reorderer is not None
        return in_order(reorderer, update, time.monotonic())

    def _flush(self) -> List[Dict[str, Any]]:
        return self._reorderer.flush() if self._reorderer is not None else []

    def _holding(self) -> List[Dict[str, Any]]:
        reorderer = self._reorderer
        # a dict copied in one C call: safe while the loop's thread runs its handler
        return list(reorderer.held.values()) if reorderer is not None else []

    def _settle(self, verdict: int, update_id: int) -> List[Dict[str, Any]]:
        """Log a verdict other than IN_ORDER; return the updates it made ready."""
        reorderer = self._reorderer
        assert reorderer is not None
        note = verdict_note(verdict, update_id, reorderer.expected)
        if note is not None:
            note.log(log)
        return reorderer.take()


# ------------------------------------------------------------------ Bot.message_loop / Bot.stop


def bot_message_loop(
    bot: Any,
    callback: Handler = None,
    *,
    relax: float = 0.1,
    timeout: int = 20,
    source: Any = None,
    ordered: bool = True,
    maxhold: float = 3,
    run_forever: Union[bool, str] = False,
    allowed_updates: Optional[List[str]] = None,
    on_error: Optional[ErrorHook] = None,
) -> _Loop:
    """The body of ``Bot.message_loop``: start a loop (and the scheduler); return the loop."""
    loop: _Loop
    if source is None:
        loop = MessageLoop(bot, callback, on_error=on_error).run_as_thread(
            relax=relax, timeout=timeout, allowed_updates=allowed_updates
        )
    elif ordered:
        loop = OrderedWebhook(bot, callback, source=source, on_error=on_error).run_as_thread(
            maxhold=maxhold)
    else:
        loop = Webhook(bot, callback, source=source, on_error=on_error).run_as_thread()
    if run_forever:
        if isinstance(run_forever, str):
            print(run_forever)
        loop.wait()
    return loop


def bot_stop(bot: Any, timeout: float = 2.0) -> None:
    """The body of ``Bot.stop``: stop every loop of ``bot`` and its scheduler."""
    deadline = time.monotonic() + timeout
    state = bot._receiving
    with state.lock:
        loops = list(state.loops)
    for loop in loops:
        loop._begin_stop(deadline)
    for loop in loops:
        loop.stop(max(0.0, deadline - time.monotonic()))
    # from a handler, the scheduler may be waiting for that very handler: do not wait for it
    inside = any(loop._in_handler() for loop in loops)
    bot.scheduler.stop(0.0 if inside else max(0.0, deadline - time.monotonic()))

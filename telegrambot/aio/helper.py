"""Delegates on asyncio: listeners, the idle sweeper, the ready-made handlers, the answerer.

The threaded :mod:`telegrambot.helper` with tasks instead of threads, on the same core:
which listener captures a message is :class:`telegrambot.core.capture.CaptureIndex`'s,
what the standard delegates capture is :mod:`telegrambot.core.capture`'s, routing by
flavor is :mod:`telegrambot.core.routing`'s, and the contexts and proxies (``sender``,
``administrator``, ``editor``) are the threaded ones (a proxy's call gives the asyncio
bot's coroutine: ``await self.sender.sendMessage("hi")``).

- :class:`ListenerHub` queues each message in the listeners that captured it; a
  :class:`Listener` is awaited: ``msg = await listener.wait()``. Everything runs in one
  event loop, so nothing here locks.
- Idle timeouts: each delegate with a ``timeout`` has a deadline, kept by the bot's one
  :class:`IdleSweeper` task (``telegrambot-idle-sweeper``); a message only notes its time.
  When a deadline passes, the sweeper puts ``{'_idle': {'seconds': timeout}}`` in the
  delegate's listener, and ``on__idle`` raises
  :class:`~telegrambot.exception.IdleTerminate`. No timer, event or task per delegate.
- :class:`ChatHandler`, :class:`UserHandler`, :class:`InlineUserHandler`,
  :class:`CallbackQueryOriginHandler`: the threaded handlers' parameters and captures;
  ``on_<flavor>`` methods may be plain or ``async def``. ``self.scheduler`` (events of the
  delegate's own, as :class:`telegrambot.helper.StandardEventScheduler`) and
  ``self.router`` are made on first use, so a delegate that uses neither costs nothing
  for them.
- :class:`Answerer` answers inline queries in a task per user, a newer query superseding
  older ones.
"""

import asyncio
import inspect
import logging
import time
from collections import deque
from typing import Any, Callable, Deque, Dict, List, Optional, Tuple

from .. import exception
from ..core.capture import (
    CaptureIndex,
    CapturingListener,
)
from ..core.deadlines import Deadlines, Watch
from ..core.errorhook import ErrorHook, checked_hook
from ..core.flavor import handler_names, inline_flavors
from ..core.origins import argument_finder
from ..core.routing import Router, flavor_or_none
from ..helper.answerer import answer_arguments
from ..helper.callback import CallbackQueryCoordinator as _ThreadedCoordinator
from ..helper.callback import InterceptCallbackQueryMixin as _ThreadedIntercept
from ..helper.contexts import (
    CallbackQueryOriginContext,
    ChatCaptures,
    ChatContext,
    InvoiceCaptures,
    InvoiceContext,
    ListenerContext,
    OriginCaptures,
    PatternCaptures,
    UserCaptures,
    UserContext,
)
from ..helper.events import StandardEventScheduler
from ..helper.router import default_router
from ._report import report_async

__all__ = [
    "ListenerHub",
    "Listener",
    "IdleSweeper",
    "Handler",
    "ChatHandler",
    "UserHandler",
    "InlineUserHandler",
    "CallbackQueryOriginHandler",
    "InvoiceHandler",
    "Monitor",
    "CallbackQueryCoordinator",
    "InterceptCallbackQueryMixin",
    "Answerer",
    "resolve",
]

log = logging.getLogger(__name__)

_STOP = object()  # queued to make Listener.wait() raise StopListening


async def resolve(value: Any) -> Any:
    """``value``, awaited first if it is awaitable (what a plain or ``async def`` handler
    returned)."""
    if inspect.isawaitable(value):
        return await value
    return value


# ------------------------------------------------------------------ listeners


class ListenerHub(CaptureIndex):
    """Queues each message in the listeners whose captures it matches (the index of
    :class:`telegrambot.core.capture.CaptureIndex`: the cost of a message depends on how
    many listeners want it, not on how many there are). One event loop uses it: no lock."""

    def listener(self) -> "Listener":
        """A new listener attached to this hub."""
        return Listener(self)

    add = CaptureIndex.attach
    remove = CaptureIndex.detach

    def close(self, listener: "Listener") -> List[Any]:
        """Detach ``listener`` for good; returns the messages still queued in it."""
        self.detach(listener)
        listener.closed = True
        return listener._drain()

    def template_failed(self, msg: Any) -> None:
        log.exception("a capture template failed on a message; taken as no match")

    def deliver(self, msg: Any) -> int:
        """Queue ``msg`` in every listener that wants it; returns how many."""
        listeners = self.matching(msg)
        for listener in listeners:
            listener._put(msg)
        return len(listeners)

    @staticmethod
    def put(listener: "Listener", msg: Any) -> None:
        """Queue ``msg`` in ``listener``."""
        listener._put(msg)


class Listener(CapturingListener):
    """A delegate's inbox: ``await listener.wait()`` gives the next message it captured.

    Get one from ``bot.create_listener()``; capture patterns as with the threaded
    :class:`telegrambot.helper.Listener`. Holds no queue until a message waits in it.
    """

    def __init__(self, hub: ListenerHub) -> None:
        super().__init__(hub)
        self._items: Optional[Deque[Any]] = None
        self._waiter: Optional[asyncio.Future[Any]] = None

    def wait(self, timeout: Optional[float] = None) -> Any:
        """An awaitable of the next captured message: ``msg = await listener.wait()``.

        Raises :class:`~telegrambot.exception.WaitTooLong` after ``timeout`` seconds, and
        :class:`~telegrambot.exception.StopListening` when the bot stops its delegates.
        """
        self._check_captures()
        if self._waiter is not None and not self._waiter.done():
            raise RuntimeError("this listener is awaited already")
        future = asyncio.get_running_loop().create_future()
        items = self._items
        if items:
            _settle(future, items.popleft())
        else:
            self._waiter = future
        if timeout is None or future.done():
            return future
        return self._wait_for(future, timeout)

    async def _wait_for(self, future: "asyncio.Future[Any]", timeout: float) -> Any:
        try:
            return await asyncio.wait_for(future, timeout)
        except asyncio.TimeoutError:
            raise exception.WaitTooLong(timeout) from None

    def _put(self, msg: Any) -> None:
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                _settle(waiter, msg)
                return
        if self._items is None:
            self._items = deque()
        self._items.append(msg)

    def stop(self) -> None:
        """Make :meth:`wait` raise StopListening once the messages queued so far are taken."""
        self._put(_STOP)

    def close(self) -> None:
        """Detach from the bot: no more messages arrive."""
        self._hub.close(self)

    def _drain(self) -> List[Any]:
        items, self._items = self._items, None
        return [msg for msg in items or () if msg is not _STOP]


def _settle(future: "asyncio.Future[Any]", msg: Any) -> None:
    if msg is _STOP:
        future.set_exception(exception.StopListening("the bot is stopping its delegates"))
    else:
        future.set_result(msg)


# ------------------------------------------------------------------ idle timeouts


class IdleSweeper:
    """The idle deadlines of one bot's delegates, and the one task that enforces them
    (``telegrambot-idle-sweeper``, started with the first watch, ended by :meth:`stop`).
    When a delegate's deadline passes, ``{'_idle': {'seconds': timeout}}`` is put in its
    listener."""

    def __init__(self) -> None:
        self._deadlines = Deadlines()
        self._task: Optional[asyncio.Task[None]] = None
        self._wake: Optional[asyncio.Event] = None

    def watch(self, listener: Listener, timeout: float) -> Watch:
        """Start watching ``listener``'s delegate: idle after ``timeout`` seconds without
        a message (see :meth:`Watch.touch`)."""
        watch, earliest = self._deadlines.watch(listener, timeout, time.monotonic())
        self._started(earliest)
        return watch

    def rearm(self, watch: Watch) -> None:
        """Watch again a delegate whose idle event came after it had a message."""
        self._started(self._deadlines.arm(watch))

    cancel = staticmethod(Deadlines.cancel)

    def _started(self, earliest: bool) -> None:
        task = self._task
        if task is None or task.done():
            self._wake = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name="telegrambot-idle-sweeper")
        elif earliest and self._wake is not None:
            self._wake.set()

    def __len__(self) -> int:
        return len(self._deadlines)

    async def _run(self) -> None:
        deadlines, wake = self._deadlines, self._wake
        assert wake is not None
        while True:
            idle, next_deadline = deadlines.due(time.monotonic())
            for watch in idle:
                listener = watch.owner
                if listener is not None and not listener.closed:
                    listener._put({"_idle": {"seconds": watch.timeout}})
            if next_deadline is None and not deadlines:
                self._task = None  # nothing left to watch: the next watch starts a task
                return
            wake.clear()
            delay = None if next_deadline is None else max(0.0, next_deadline - time.monotonic())
            try:
                await asyncio.wait_for(wake.wait(), delay)
            except asyncio.TimeoutError:
                pass

    async def stop(self) -> None:
        """End the task (the watches stay; the next one starts it again)."""
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            if task is not asyncio.current_task():
                await asyncio.wait([task])


# ------------------------------------------------------------------ handlers


class Handler(ListenerContext):
    """What the asyncio handlers share: the context (``bot``, ``id``, ``listener``), an
    idle timeout, a router and a scheduler made on first use, and what
    :func:`telegrambot.aio.delegate.create_open` calls (``open``, ``on_message``,
    ``on_close``).

    :param event_space: from :func:`telegrambot.delegate.pave_event_space` (events of
        the delegate's own: ``self.scheduler``).
    :param timeout: idle seconds before the delegate closes (None: never).
    """

    def __init__(self, bot: Any, context_id: Any, *, event_space: Any = None,
                 timeout: Optional[float] = None, **kwargs: Any) -> None:
        super().__init__(bot, context_id, **kwargs)  # mixins after the handler take the rest
        self._event_space = event_space
        self._router: Optional[Router] = None
        self._scheduler: Optional[StandardEventScheduler] = None
        self._watch: Optional[Watch] = None
        if timeout is not None:
            self._watch = bot.idle_sweeper.watch(self.listener, timeout)

    # -- made on first use

    @property
    def router(self) -> Router:
        """A :class:`~telegrambot.core.routing.Router` by flavor to ``on_<flavor>``
        methods (made on first use; a custom entry in its ``routing_table`` takes
        precedence from then on)."""
        if self._router is None:
            self._router = default_router(self)
        return self._router

    @property
    def scheduler(self) -> StandardEventScheduler:
        """Events of this delegate's own on the bot's scheduler (made on first use; needs
        the ``event_space`` of :func:`~telegrambot.delegate.pave_event_space`)."""
        if self._scheduler is None:
            if self._event_space is None:
                raise RuntimeError("this delegate has no event space: pair it with "
                                   "pave_event_space() to schedule events of its own")
            self._scheduler = StandardEventScheduler(self.bot.scheduler, self._event_space,
                                                     self.id)
            self._scheduler.configure(self.listener)
        return self._scheduler

    @property
    def idle_watch(self) -> Optional[Watch]:
        """The idle deadline of this delegate (None without a timeout)."""
        return self._watch

    # -- what create_open calls

    def open(self, initial_msg: Any, seed: Any) -> Any:
        """Called first, with the message that started the delegate; a true result means
        it was handled here (else it goes to :meth:`on_message`)."""
        return None

    def on_message(self, msg: Any) -> Any:
        """Route ``msg`` by its flavor to ``on_<flavor>`` (plain or ``async def``: the
        result is awaited by the caller); an ``_idle`` event from the sweeper ends the
        delegate unless a message came meanwhile."""
        watch = self._watch
        if watch is not None:
            if "_idle" in msg and len(msg) == 1:
                if watch.deadline > time.monotonic():  # a message came after it was put
                    self.bot.idle_sweeper.rearm(watch)
                    return None
            else:
                watch.last = time.monotonic()
        router = self._router
        if router is not None:
            return router.route(msg)
        flavor = flavor_or_none(msg)
        if flavor is None:
            return self.router.route(msg)  # logs it as of no known flavor
        for name in handler_names(flavor):
            method = getattr(self, name, None)
            if method is not None:
                return method(msg)
        return self.router.route(msg)  # logs what is not handled

    def on__idle(self, event: Dict[str, Any]) -> None:
        """Close the delegate: it has been idle too long."""
        raise exception.IdleTerminate(event["_idle"]["seconds"])

    def on_close(self, ex: BaseException) -> None:
        """Called last, with why the delegate ends (IdleTerminate, StopListening or the
        exception that ended it)."""
        watch, self._watch = self._watch, None
        if watch is not None:
            IdleSweeper.cancel(watch)
        # an exception that ended the delegate was already reported (on_error or ERROR)
        log.debug("%s closed: %s: %s", type(self).__name__, type(ex).__name__, ex)

    def close(self, ex: Optional[BaseException] = None) -> None:
        """End the delegate from one of its handlers (raises ``ex``, or StopListening)."""
        raise ex if ex else exception.StopListening()


class ChatHandler(ChatCaptures, ChatContext, Handler):
    """A delegate for one chat (seed: the chat id, :func:`~telegrambot.delegate.per_chat_id`).

    :param include_callback_query: also capture callback queries from this chat's messages.
    """


class UserHandler(UserCaptures, UserContext, Handler):
    """A delegate for one user's actions (seed: the user id,
    :func:`~telegrambot.delegate.per_from_id`).

    :param flavors: the flavors to capture, or ``'all'``.
    :param include_callback_query: also capture callback queries from the user's private chat.
    """


class InlineUserHandler(UserHandler):
    """A delegate for one user's inline queries and chosen inline results (seed:
    :func:`~telegrambot.delegate.per_inline_from_id`)."""

    def __init__(self, seed_tuple: Tuple[Any, Any, Any], **kwargs: Any) -> None:
        super().__init__(seed_tuple, flavors=inline_flavors, **kwargs)


class CallbackQueryOriginHandler(OriginCaptures, CallbackQueryOriginContext, Handler):
    """A delegate for the callback queries from one message (seed: its identifier,
    :func:`~telegrambot.delegate.per_callback_query_origin`)."""


class InvoiceHandler(InvoiceCaptures, InvoiceContext, Handler):
    """A delegate for one invoice (seed: its payload,
    :func:`~telegrambot.delegate.per_invoice_payload`): its shipping and pre-checkout
    queries (``on_shipping_query``, ``on_pre_checkout_query``) and the message of its
    payment or refund (``on_chat_message``)."""


class Monitor(PatternCaptures, Handler):
    """A delegate that never times out, for background work (seed:
    :func:`~telegrambot.delegate.per_application`).

    :param capture: a list of patterns for the listener to capture.
    """


# ------------------------------------------------------------------ callback query origins


class CallbackQueryCoordinator(_ThreadedCoordinator):
    """:class:`telegrambot.helper.CallbackQueryCoordinator` for the asyncio bot: the
    sending and editing calls it wraps are coroutines, awaited before their result tells
    which origins to capture."""

    def wrap_call(self, func: Callable[..., Any], argument: str, default: Optional[int],
                  after: Callable[[Any, Any, Any], None]) -> Callable[..., Any]:
        find = argument_finder(func, argument, default)

        async def augmented(*args: Any, **kwargs: Any) -> Any:
            result = await func(*args, **kwargs)
            after(result, kwargs, find(args, kwargs))
            return result

        return augmented


class InterceptCallbackQueryMixin(_ThreadedIntercept):
    """:class:`telegrambot.helper.InterceptCallbackQueryMixin` for the asyncio handlers
    (after the handler among the bases: ``class Vote(ChatHandler,
    InterceptCallbackQueryMixin)``), with :func:`telegrambot.aio.delegate.intercept_callback_query_origin`."""

    CallbackQueryCoordinator = CallbackQueryCoordinator


# ------------------------------------------------------------------ the answerer


class Answerer:
    """Answers inline queries in a task per user (``telegrambot-answerer-<user id>``), one
    computing at a time: a newer query from the same user replaces the one waiting, and
    an answer whose query was superseded meanwhile is dropped instead of sent. What
    ``compute_fn`` or the answer's request raises goes to ``on_error(exception,
    inline_query)`` (default: the bot's ``on_error``; awaited if it is a coroutine
    function), else to the log."""

    def __init__(self, bot: Any, on_error: Optional[ErrorHook] = None) -> None:
        self._bot = bot
        self._on_error = checked_hook(on_error)
        self._slots: Dict[Any, List[Any]] = {}  # user -> [the latest job, not taken yet]

    def answer(self, inline_query: Dict[str, Any], compute_fn: Callable[..., Any],
               *compute_args: Any, **compute_kwargs: Any) -> None:
        """Compute ``compute_fn(*compute_args, **compute_kwargs)`` (a plain function, run
        in the event loop: keep it short, or a coroutine function) in the user's task and
        answer the query with it (https://core.telegram.org/bots/api#answerinlinequery):
        a list of results, a tuple ``(results, cache_time, is_personal, ...)`` or a dict
        of keyword arguments."""
        user = inline_query["from"]["id"]
        job = (inline_query, compute_fn, compute_args, compute_kwargs)
        slot = self._slots.get(user)
        if slot is not None:
            slot[0] = job
            return
        slot = self._slots[user] = [job]
        asyncio.get_running_loop().create_task(self._work(user, slot),
                                               name=f"telegrambot-answerer-{user}")

    async def _work(self, user: Any, slot: List[Any]) -> None:
        try:
            while slot[0] is not None:
                inline_query, compute_fn, args, kwargs = slot[0]
                slot[0] = None
                try:
                    answer = await resolve(compute_fn(*args, **kwargs))
                except Exception as e:
                    await self._report(e, inline_query, "computing the answer to inline query %s failed")
                    continue
                if slot[0] is not None:
                    continue  # superseded: compute the newer one
                try:
                    query_args, query_kwargs = answer_arguments(inline_query["id"], answer)
                    await self._bot.answerInlineQuery(*query_args, **query_kwargs)
                except Exception as e:
                    await self._report(e, inline_query, "answering inline query %s failed")
        finally:
            del self._slots[user]

    async def _report(self, exc: BaseException, inline_query: Dict[str, Any], text: str) -> None:
        hook = self._on_error if self._on_error is not None else getattr(self._bot, "on_error", None)
        await report_async(log, hook, exc, inline_query, text, inline_query.get("id"))

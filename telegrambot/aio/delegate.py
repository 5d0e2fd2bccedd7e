"""Delegation on asyncio: :class:`DelegatorBot`, a task per chat, user or origin.

The seeders and pair producers are the threaded :mod:`telegrambot.delegate`'s, from
:mod:`telegrambot.core.seeding` (``per_chat_id``, ``per_from_id``, ``per_inline_from_id``,
``per_callback_query_origin``, ``pave_event_space``, ``include_callback_query_chat_id``,
...), and so are the delegate table's decisions (:class:`telegrambot.core.delegation.DelegateTable`:
one live delegate per seed, none for an ``_idle`` event, what an ended delegate left
handed to its successor). What differs is what a delegate runs on: a task named
``telegrambot-delegate-<seed>``.

A *delegator* takes the seed tuple ``(bot, msg, seed)`` and returns a coroutine (run as
a task), a callable (called in a new task, its result awaited if it is awaitable), a tuple
``(function, args, kwargs)``, or an :class:`asyncio.Task` of the caller's (watched until
it ends). :func:`create_open` is the usual one: ``create_open(ChatHandler, timeout=10)``;
:func:`call` (a function, plain or ``async def``, called with the seed tuple) and
:func:`create_run` (an object's ``run()``) are the threaded ones, their delegates run as
tasks here.
"""

import asyncio
import logging
import sys
from typing import Any, Callable, Dict, Iterable, Optional, Tuple

from .. import exception
from ..core.delegation import Delegate, DelegateTable
from ..core.errorhook import ErrorHook, checked_hook
from ..core.seeding import *  # noqa: F403 -- the seeders and pair producers, shared
from ..core.seeding import SeedTuple
from ..core.seeding import __all__ as _SEEDING
from ..delegate import call, create_run, intercept_callback_query_origin  # shared as they are
from ..helper.callback import OriginSets
from ..helper.listeners import Microphone
from ._report import report_async, report_soon
from .bot import Bot
from .helper import IdleSweeper, Listener, ListenerHub, resolve

#: DelegatorBot, the delegators, and the seeders and pair producers of core.seeding.
__all__ = ["DelegatorBot", "SpeakerBot", "call", "create_run", "create_open",
           "intercept_callback_query_origin"] + [
    name for name in _SEEDING if name not in ("Seeder", "SeedTuple", "wrap_none", "seeders_list")]

log = logging.getLogger(__name__)


# ------------------------------------------------------------------ delegators


def create_open(cls: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[[SeedTuple], Any]:
    """Delegator: build ``cls(seed_tuple, *args, **kwargs)`` and, in a new task, call
    ``open(msg, seed)`` (then ``on_message(msg)`` unless ``open`` returns true), then
    ``on_message`` for each message its listener receives, until it closes; ``on_close``
    gets the reason: IdleTerminate, StopListening, or the exception that ended it (logged).
    Each of them may be plain or ``async def``."""

    def delegator(seed_tuple: SeedTuple) -> Any:
        return _open(cls(seed_tuple, *args, **kwargs), seed_tuple)

    return delegator


async def _open(obj: Any, seed_tuple: SeedTuple) -> None:
    bot, msg, seed = seed_tuple
    del seed_tuple  # no message is kept while the delegate waits for the next
    hook = getattr(bot, "on_error", None)
    reason: BaseException
    try:
        if not await resolve(obj.open(msg, seed)):
            await resolve(obj.on_message(msg))
        wait, on_message = obj.listener.wait, obj.on_message
        while True:
            msg = None
            msg = await wait()
            await resolve(on_message(msg))
    except (exception.IdleTerminate, exception.StopListening) as e:
        reason = e
    except Exception as e:
        await report_async(log, hook, e, msg, "delegate %s for seed %r failed",
                           type(obj).__name__, seed)
        reason = e
    try:
        await resolve(obj.on_close(reason))
    except Exception as e:  # the delegate ends anyway
        await report_async(log, hook, e, msg, "on_close of delegate %s for seed %r failed",
                           type(obj).__name__, seed)


async def _guarded(coro: Any, bot: Any, msg: Any, seed: Any) -> None:
    """Run a delegate of a callable or tuple delegator; what it raises goes to the bot's
    ``on_error`` with the message that started it."""
    try:
        await coro
    except Exception as e:
        await report_async(log, getattr(bot, "on_error", None), e, msg,
                           "delegate for seed %r failed", seed)


def _coroutine(runner: Any) -> Any:
    """The coroutine a delegator's result runs as."""
    if asyncio.iscoroutine(runner):
        return runner
    if callable(runner):
        return resolve(runner())
    if (isinstance(runner, tuple) and len(runner) == 3 and callable(runner[0])
            and isinstance(runner[1], (list, tuple)) and isinstance(runner[2], dict)):
        func, args, kwargs = runner
        return resolve(func(*args, **kwargs))
    raise RuntimeError("a delegate must be a coroutine, an asyncio task, be callable, or be "
                       f"a tuple (function, args, kwargs); got {runner!r}")


# ------------------------------------------------------------------ the delegate table


class _Delegates(DelegateTable):
    """The delegate table of an asyncio DelegatorBot: each delegate runs as a task."""

    def __init__(self, bot: "DelegatorBot", patterns: Iterable[Tuple[Any, Any]],
                 hub: ListenerHub) -> None:
        super().__init__(patterns, hub)
        self._bot = bot
        self.tasks: Dict[asyncio.Future[Any], Delegate] = {}

    def _launch(self, delegate: Delegate, msg: Any) -> None:
        runner = delegate.pattern.delegator((self._bot, msg, delegate.seed))
        if isinstance(runner, asyncio.Future):  # a task of the caller's: watched till it ends
            task = runner
        else:
            coro = _coroutine(runner)
            if not asyncio.iscoroutine(runner):  # call(), create_run(): reported with msg
                coro = _guarded(coro, self._bot, msg, delegate.seed)
            task = asyncio.get_running_loop().create_task(
                coro, name=f"telegrambot-delegate-{delegate.seed}")
        delegate.runner = task
        self.tasks[task] = delegate
        task.add_done_callback(self._ended)

    def _failed(self, text: str, *args: Any) -> None:
        log.exception(text, *args)

    def _pattern_failed(self, msg: Any) -> None:
        exc = sys.exc_info()[1]  # called in the except block
        assert exc is not None
        report_soon(log, self._bot.on_error, exc, msg,
                    "delegation pattern failed on a message; skipped for this pattern")

    def _ended(self, task: "asyncio.Future[Any]") -> None:
        delegate = self.tasks.pop(task, None)
        if not task.cancelled() and task.exception() is not None:  # a coroutine delegator's
            report_soon(log, self._bot.on_error, task.exception(), None,  # type: ignore[arg-type]
                        "delegate for seed %r failed", getattr(delegate, "seed", None))
        if delegate is not None:
            self.retire(delegate)

    def current(self) -> Optional[Delegate]:
        """The delegate whose task is running now, if any."""
        try:
            task = asyncio.current_task()
        except RuntimeError:  # no running loop
            return None
        return self.tasks.get(task) if task is not None else None  # type: ignore[arg-type]


# ------------------------------------------------------------------ the bots


class SpeakerBot(Bot):
    """An asyncio :class:`~telegrambot.aio.Bot` with a microphone, as
    :class:`telegrambot.SpeakerBot`: ``bot.mic.send(msg)`` hands ``msg`` to every
    listener made by :meth:`create_listener` that captured it (a task awaits them with
    ``await listener.wait()``). :class:`DelegatorBot` is one whose ``handle`` does that."""

    def __init__(self, token: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(token, *args, **kwargs)
        self._hub = ListenerHub()
        self._mic: Optional[Microphone] = None

    @property
    def mic(self) -> Microphone:
        """The :class:`~telegrambot.helper.Microphone` of this bot's listeners (the
        threaded class: it only hands messages to the hub)."""
        if self._mic is None:
            self._mic = Microphone(self._hub)  # type: ignore[arg-type]
        return self._mic

    def create_listener(self) -> Listener:
        """A new :class:`~telegrambot.aio.helper.Listener` hearing :attr:`mic`; close it
        when done with it."""
        return self._hub.listener()


class DelegatorBot(SpeakerBot):
    """An asyncio :class:`~telegrambot.aio.Bot` that hands messages to delegates, each a
    task: the threaded :class:`telegrambot.DelegatorBot` on the event loop.

    :param delegation_patterns: ``(seeder, delegator)`` pairs, as for the threaded bot
        (``pave_event_space()(per_chat_id(), create_open, ChatHandler, timeout=10)``).
    :param on_error: called as ``on_error(exception, msg)`` (awaited if it is a coroutine
        function) with every exception its delegates' handlers raise, ``msg`` being what
        was handled (a delegate started by a coroutine delegator: None), and with what a
        delegation pattern raises on a message; its loops' handler errors go there too.
        Without it, each is logged at ERROR with its traceback; what it raises is logged
        and ends nothing.
    :param bot_kwargs: passed on to :class:`~telegrambot.aio.Bot`.

    :meth:`handle` queues a message in the listeners that captured it and starts the
    delegates it calls for; it awaits nothing, so a loop's next update follows at once
    while delegates run. Idle timeouts are kept by one task per bot
    (:attr:`idle_sweeper`). :meth:`stop` ends the loops, the scheduler and every delegate.
    """

    def __init__(self, token: str, delegation_patterns: Iterable[Tuple[Any, Any]], *,
                 on_error: Optional[ErrorHook] = None, **bot_kwargs: Any) -> None:
        checked_hook(on_error)
        super().__init__(token, **bot_kwargs)
        #: The error hook of its delegates and loops (see the ``on_error`` parameter).
        self.on_error: Optional[ErrorHook] = on_error
        self._delegates = _Delegates(self, delegation_patterns, self._hub)
        self._idle_sweeper: Optional[IdleSweeper] = None
        #: The callback query origins its delegates captured, kept for their successors
        #: (see :class:`~telegrambot.aio.helper.InterceptCallbackQueryMixin`).
        self.origin_sets = OriginSets()

    @property
    def idle_sweeper(self) -> IdleSweeper:
        """The idle deadlines of this bot's delegates and the task that keeps them."""
        if self._idle_sweeper is None:
            self._idle_sweeper = IdleSweeper()
        return self._idle_sweeper

    def create_listener(self) -> Listener:
        """A new :class:`~telegrambot.aio.helper.Listener`. Made by a delegate (while it
        is built or in its task), it closes when the delegate ends; otherwise close it."""
        delegates = self._delegates
        listener = self._hub.listener()
        owner = delegates.constructing or delegates.current()
        if owner is not None:
            owner.listeners.append(listener)
        return listener

    def delegate_count(self) -> int:
        """How many delegates are alive."""
        return self._delegates.count()

    def handle(self, msg: Dict[str, Any]) -> None:
        """Give ``msg`` to the listeners that captured it, then to every delegation
        pattern (call it in the event loop)."""
        self._hub.deliver(msg)
        self._delegates.offer(msg)

    async def __aexit__(self, *exc: Any) -> None:
        """Stop the loops, the scheduler and the delegates (:meth:`stop`), then close the
        connections."""
        try:
            await self.stop()
        finally:
            await self.close_connections()

    async def stop(self, timeout: float = 2.0) -> None:
        """End the loops and the scheduler, then every delegate (see :meth:`stop_delegates`)."""
        deadline = asyncio.get_running_loop().time() + timeout
        await super().stop(timeout)
        await self.stop_delegates(max(0.0, deadline - asyncio.get_running_loop().time()))

    async def stop_delegates(self, timeout: float = 2.0) -> None:
        """End every delegate: each listener's ``wait()`` raises StopListening once the
        messages already queued for it are handled. Waits up to ``timeout`` seconds in
        all; the tasks still running then are cancelled (logged with their seeds)."""
        delegates = self._delegates
        delegates.stopping = True
        try:
            live = list(delegates.live)
            for delegate in live:
                for listener in delegate.listeners:
                    listener.stop()
            me = asyncio.current_task()
            tasks = [d.runner for d in live if d.runner is not me and not d.runner.done()]
            if tasks:
                await asyncio.wait(tasks, timeout=timeout)
            running = [task for task in tasks if not task.done()]
            if running:
                seeds = [delegates.tasks[t].seed for t in running if t in delegates.tasks]
                log.warning("%d delegates still running after stop, cancelled (seeds %s)",
                            len(running), ", ".join(repr(seed) for seed in seeds[:10]))
                for task in running:
                    task.cancel()
                await asyncio.wait(running, timeout=1.0)
        finally:
            delegates.stopping = False
        if self._idle_sweeper is not None:
            await self._idle_sweeper.stop()

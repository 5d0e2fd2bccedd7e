"""DelegatorBot: a bot that runs one delegate thread per chat, user, origin, ..."""

import ctypes
import functools
import inspect
import logging
import sys
import threading
import time
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from ._speaker import SpeakerBot
from ._threads import start_thread
from .core.delegation import Delegate, DelegateTable
from .core.errorhook import ErrorHook, checked_hook, report
from .helper.callback import OriginSets
from .helper.listeners import Listener, ListenerHub

__all__ = ["DelegatorBot"]

log = logging.getLogger(__name__)


def _startable(delegate: Any) -> bool:
    return inspect.ismethod(getattr(delegate, "start", None)) and inspect.ismethod(
        getattr(delegate, "is_alive", None))


def _target(delegate: Any) -> Callable[[], Any]:
    if callable(delegate):
        return delegate
    if (isinstance(delegate, tuple) and len(delegate) == 3 and callable(delegate[0])
            and isinstance(delegate[1], (list, tuple)) and isinstance(delegate[2], dict)):
        func, args, kwargs = delegate
        return lambda: func(*args, **kwargs)
    raise RuntimeError("a delegate must have start() and is_alive(), be callable, "
                       f"or be a tuple (function, args, kwargs); got {delegate!r}")


_PR_FUTEX_HASH, _SET_SLOTS, _GET_SLOTS = 78, 1, 2
_MANY_THREADS = 256
_futex_hash_widened = False


def _widen_futex_hash() -> None:
    """Use the kernel's global futex hash for this process (Linux 6.16+).

    Those kernels give a process a small private futex hash (16 slots), and every lock
    handoff then walks chains of all the threads blocked on locks: with thousands of
    delegates waiting, waking one costs hundreds of microseconds. The global hash (what
    older kernels always used) keeps it flat. Done once, when delegates become many.
    """
    global _futex_hash_widened
    if _futex_hash_widened or not sys.platform.startswith("linux"):
        return
    _futex_hash_widened = True
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
        slots = prctl(_PR_FUTEX_HASH, _GET_SLOTS, 0, 0, 0)
        if slots > 0 and prctl(_PR_FUTEX_HASH, _SET_SLOTS, 0, 0, 0) == 0:
            log.info("many delegate threads: futex hash of this process widened "
                     "(%d private slots -> the global hash)", slots)
    except (OSError, AttributeError):  # no libc prctl: nothing to tune
        pass


class _Delegates(DelegateTable):
    """The delegate table of a DelegatorBot: each delegate runs on a thread of its own."""

    def __init__(self, bot: "DelegatorBot", patterns: Iterable[Tuple[Any, Any]],
                 hub: ListenerHub, stack_size: Optional[int], widen_futex_hash: bool) -> None:
        super().__init__(patterns, hub)
        self._bot = bot
        self._stack_size = stack_size
        self._widen_futex_hash = widen_futex_hash
        self.current = threading.local()  # .delegate: the Delegate whose thread this is

    def _launch(self, delegate: Delegate, msg: Any) -> None:
        runner = delegate.pattern.delegator((self._bot, msg, delegate.seed))
        durable: Any = self._bot._durable
        held = None
        if durable is not None and durable.added(msg):
            held = msg  # one more part: the delegate started with it finishes it
        if isinstance(runner, threading.Thread) and not runner.is_alive():
            # a thread object of the caller's: retired when its run() returns, like ours
            delegate.runner = runner
            runner.run = functools.partial(self._run, delegate, runner.run, msg, held)  # type: ignore[method-assign]
        elif _startable(runner):  # something else with start(): checked now and then
            delegate.runner, delegate.own = runner, False
        else:
            delegate.runner = threading.Thread(
                target=self._run, args=(delegate, _target(runner), msg, held),
                name=f"telegrambot-delegate-{delegate.seed}", daemon=True)
        try:
            start_thread(delegate.runner, self._stack_size)
        finally:
            if held is not None and not delegate.own:
                durable.finish(held)  # a runner of the caller's: nothing tells when it is done

    def retire(self, delegate: Delegate) -> Any:
        hub = self.hub
        if not isinstance(hub, _DurableHub):
            return super().retire(delegate)
        # what was queued for it goes to its successor (one more part each) before the
        # parts it had are finished, so no update is done while still on its way
        hub.deferring += 1
        try:
            leftovers = super().retire(delegate)
        finally:
            hub.deferring -= 1
            deferred, hub.deferred = hub.deferred, []
            for msg in deferred:
                hub.durable.finish(msg)
        return leftovers

    def _start(self, pattern: Any, seed: Any, hashable: bool, msg: Any) -> Delegate:
        delegate = super()._start(pattern, seed, hashable, msg)
        if self._widen_futex_hash and len(self.live) >= _MANY_THREADS:
            _widen_futex_hash()
        return delegate

    def _failed(self, text: str, *args: Any) -> None:
        log.exception(text, *args)

    def _pattern_failed(self, msg: Any) -> None:
        exc = sys.exc_info()[1]  # called in the except block
        assert exc is not None
        report(log, self._bot.on_error, exc, msg,
               "delegation pattern failed on a message; skipped for this pattern")

    def _run(self, delegate: Delegate, target: Callable[[], Any], msg: Any,
             held: Any = None) -> None:
        current = self.current
        current.delegate = delegate
        current.held = held  # create_open's loop takes it, and finishes it once handled
        try:
            target()
        except Exception as e:  # on_error gets the message that started the delegate
            report(log, self._bot.on_error, e, msg, "delegate for seed %r failed", delegate.seed)
        finally:
            current.delegate = None
            held, current.held = current.held, None
            if held is not None:
                self._bot._durable.finish(held)  # type: ignore[union-attr]
            with self._bot._lock:
                self.retire(delegate)


class _DurableHub(ListenerHub):
    """The listener hub of a DelegatorBot with a store: each tracked message put in a
    listener's queue is one more part of it (see :mod:`telegrambot.core.durable`)."""

    def __init__(self, lock: Any, durable: Any) -> None:
        super().__init__(lock)
        self.durable = durable
        self.deferring = 0  # > 0 while a delegate is retired: leftovers finished after
        self.deferred: List[Any] = []

    def put(self, listener: Listener, msg: Any) -> None:
        if type(msg) is dict:
            self.durable.added(msg)
        super().put(listener, msg)

    def _get(self, listener: Listener, timeout: Optional[float]) -> Any:
        msg = super()._get(listener, timeout)
        if type(msg) is dict and not getattr(listener, "managed", False):
            self.durable.finish(msg)  # a delegate of its own kind: done once taken
        return msg

    def close(self, listener: Listener) -> List[Any]:
        with self.lock:
            leftovers = super().close(listener)
            if self.deferring:
                self.deferred.extend(leftovers)
            else:
                for msg in leftovers:
                    self.durable.finish(msg)
        return leftovers


class DelegatorBot(SpeakerBot):
    """A :class:`~telegrambot.SpeakerBot` that hands messages to delegates.

    :param delegation_patterns: ``(seeder, delegator)`` pairs (see
        :mod:`telegrambot.delegate`). Each message goes through every pattern in order: the
        seeder names a seed, and a delegate is started for it unless one is alive for that
        seed (a hashable seed) -- an unhashable seed always starts one, None none.
    :param thread_stack_size: stack size in bytes of delegate threads (at least 32 KiB;
        the default is the platform's). A small stack lets many thousands of delegates
        live in little memory. Note that it is set through the process-wide
        :func:`threading.stack_size` while a delegate thread starts: delegate and
        :class:`~telegrambot.helper.Answerer` threads start one at a time around it, but a
        thread started elsewhere in the process at that moment gets the small stack too.
    :param widen_futex_hash: opt in (off by default) to switching this process to the
        kernel's global futex hash once 256 delegates are alive, on Linux 6.16 and later
        (one ``prctl(PR_FUTEX_HASH)`` call, logged at INFO). Those kernels give a process a
        small private hash, and waking one of thousands of blocked threads then costs more;
        the global hash is what older kernels always used. It changes the whole process,
        not only this bot, hence opt-in: see the performance notes for what it buys.
    :param on_error: called as ``on_error(exception, msg)`` with every exception its
        handlers raised: a :func:`~telegrambot.delegate.create_open` delegate's (the
        ready-made handlers) with the message or event it was handling (also for what its
        ``on_close`` raises); a delegate that is a function or a ``run()`` with the message
        that started it; a seeder or a delegator with the message it was given; an
        :class:`~telegrambot.helper.Answerer` with the inline query. The bot's loops use
        it too, with the update (see :meth:`~telegrambot.Bot.message_loop`). Default None:
        each is logged at ERROR with its traceback. What ``on_error`` raises is logged and
        ends nothing. It runs on the thread that caught the error (a delegate's, the
        loop's): make it thread-safe. Not callable: TypeError.
    :param bot_kwargs: passed on to :class:`~telegrambot.Bot` (``api_url``, ...).

    A delegate's listener receives the messages it captured; the cost of that does not
    grow with the number of delegates. When a delegate ends, the messages still queued for
    it are handed to its successor, so none is lost to a closing delegate. An exception
    that ends a delegate goes to ``on_error``, else to the log. An ``_idle`` event never
    starts a delegate (it only concerns the one that scheduled it). :meth:`stop` ends the
    loops, the scheduler and every delegate.
    """

    def __init__(self, token: str, delegation_patterns: Iterable[Tuple[Any, Any]],
                 *, thread_stack_size: Optional[int] = None, widen_futex_hash: bool = False,
                 on_error: Optional[ErrorHook] = None, **bot_kwargs: Any) -> None:
        if thread_stack_size is not None and thread_stack_size < 32 * 1024:
            raise ValueError("thread_stack_size must be at least 32 KiB (32768 bytes)")
        checked_hook(on_error)
        super().__init__(token, **bot_kwargs)
        #: The error hook of its delegates and loops (see the ``on_error`` parameter).
        self.on_error: Optional[ErrorHook] = on_error
        self._lock = threading.RLock()
        self._hub = (ListenerHub(self._lock) if self._durable is None
                     else _DurableHub(self._lock, self._durable))
        #: seed key -> ``state`` of the delegates, kept in the process when there is no store
        self._delegate_states: Optional[Dict[str, Dict[str, Any]]] = (
            {} if self._durable is None else None)
        self._delegates = _Delegates(self, delegation_patterns, self._hub, thread_stack_size,
                                     widen_futex_hash)
        #: The callback query origins its delegates captured, kept for their successors
        #: (see :class:`~telegrambot.helper.InterceptCallbackQueryMixin`).
        self.origin_sets = OriginSets()

    # -- listeners -----------------------------------------------------------------------

    def create_listener(self) -> Listener:
        """A new :class:`~telegrambot.helper.Listener`. Made by a delegate (while it is
        built or on its thread), it closes when the delegate ends; otherwise close it."""
        delegates = self._delegates
        with self._lock:
            listener = self._hub.listener()
            owner = delegates.constructing or getattr(delegates.current, "delegate", None)
            if owner is not None:
                owner.listeners.append(listener)
            return listener

    def delegate_count(self) -> int:
        """How many delegates are alive."""
        with self._lock:
            return self._delegates.count()

    # -- events of your own ---------------------------------------------------------------

    def deliver_event(self, seed: Any, flavor: str, data: Optional[Dict[str, Any]] = None,
                      *, pattern: Optional[int] = None) -> Any:
        """Hand an event of your own to the delegate for ``seed`` (a chat id, a user id:
        the seed of a delegation pattern made with
        :func:`~telegrambot.delegate.pave_event_space`), starting that delegate if none
        is alive. The way to bring something that is not a Telegram update (a payment
        provider's callback, a form posted to your web server) to the right chat's or
        user's delegate.

        The event is ``{flavor: {'source': ..., **data}}`` (``flavor`` starts with ``_``),
        as the delegate's own scheduler makes them: its default router calls
        ``on_<flavor>`` (``on__payload`` for ``'_payload'``). It goes through the bot's
        scheduler (a loop must be running), so the loop's handler takes it in turn with
        the updates, never at the same time, and the delegate gets it on its own thread
        in the order given; returns the scheduler's event. Callable from any thread. With
        the bot's store, an event with JSON data is stored before this returns, and
        delivered after a restart if the process ended first.

        ``pattern`` is the index in ``delegation_patterns`` of the pattern whose delegate
        gets it; by default the one pattern made with ``pave_event_space``. Each new seed
        starts a delegate: check a seed that comes from outside (a known user, say) before
        passing it, or anyone who can reach your endpoint can start threads.
        """
        from .core.seeding import event_space_of
        from .helper.events import StandardEventScheduler

        patterns = self._delegates.patterns
        if pattern is None:
            spaced = [p for p in patterns if event_space_of(p.seeder) is not None]
            if len(spaced) != 1:
                raise ValueError(
                    "deliver_event: %s delegation pattern is made with pave_event_space(); "
                    "say which with pattern=<its index in delegation_patterns>"
                    % ("no" if not spaced else "more than one"))
            space = event_space_of(spaced[0].seeder)
        else:
            if not isinstance(pattern, int) or not 0 <= pattern < len(patterns):
                raise ValueError("deliver_event: pattern must be an index in "
                                 "delegation_patterns (0 to %d), not %r"
                                 % (len(patterns) - 1, pattern))
            space = event_space_of(patterns[pattern].seeder)
            if space is None:
                raise ValueError("deliver_event: delegation pattern %d is not made with "
                                 "pave_event_space(), so its delegates do not take events"
                                 % pattern)
        if seed is None:
            raise ValueError("deliver_event: a seed of None is no delegate's")
        if data is not None and not isinstance(data, dict):
            raise TypeError("deliver_event: data must be a dict, not %s" % type(data).__name__)
        event = StandardEventScheduler(self.scheduler, space, seed).make_event_data(flavor, data or {})
        # event_later(0), not event_now: with a store, an event with JSON data is stored
        # before this returns (an endpoint that answers after it loses nothing to a crash)
        return self.scheduler.event_later(0, event)

    # -- handling ------------------------------------------------------------------------

    def handle(self, msg: Dict[str, Any]) -> None:
        """Give ``msg`` to the listeners that captured it, then to every delegation pattern."""
        with self._lock:
            self._hub.deliver(msg)
            self._delegates.offer(msg)

    # -- stopping ------------------------------------------------------------------------

    def stop(self, timeout: float = 2.0) -> None:
        """End the loops and the scheduler, then every delegate (see :meth:`stop_delegates`)."""
        deadline = time.monotonic() + timeout
        super().stop(timeout)
        self.stop_delegates(max(0.0, deadline - time.monotonic()))

    def stop_delegates(self, timeout: float = 2.0) -> None:
        """End every delegate: each listener's ``wait()`` raises StopListening once the
        messages already queued for it are handled. Waits up to ``timeout`` seconds in all.
        Delegates that do not wait on a listener cannot be told to stop; they are logged
        if still running."""
        deadline = time.monotonic() + timeout
        delegates = self._delegates
        with self._lock:
            delegates.stopping = True
            live = list(delegates.live)
            listeners = [listener for delegate in live for listener in delegate.listeners]
        try:
            # outside the lock: each delegate that ends takes it to retire
            for listener in listeners:
                listener.stop()
            me = threading.current_thread()
            for delegate in live:
                join = getattr(delegate.runner, "join", None)  # a startable may have none
                if join is not None and delegate.runner is not me:
                    join(max(0.0, deadline - time.monotonic()))
            running = [delegate.seed for delegate in live
                       if delegate.runner.is_alive() and delegate.runner is not me]
            if running:
                log.warning("%d delegates still running after stop (seeds %s)", len(running),
                            ", ".join(repr(seed) for seed in running[:10]))
        finally:
            with self._lock:
                delegates.stopping = False

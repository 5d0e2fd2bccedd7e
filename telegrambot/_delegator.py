"""DelegatorBot: a bot that runs one delegate thread per chat, user, origin, ..."""

import ctypes
import functools
import inspect
import logging
import sys
import threading
import time
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from ._flavor import is_event
from ._speaker import SpeakerBot
from .helper import Listener, ListenerHub, _start_thread

__all__ = ["DelegatorBot"]

log = logging.getLogger(__name__)

_current = threading.local()  # .record: the _Record whose thread this is


class _Pattern:
    __slots__ = ("seeder", "delegator", "registry")

    def __init__(self, seeder: Callable[[Any], Any], delegator: Callable[[Any], Any]) -> None:
        self.seeder = seeder
        self.delegator = delegator
        self.registry: Dict[Any, _Record] = {}  # seed -> its live delegate


class _Record:
    """One delegate: its thread, its listeners, where it is registered."""

    __slots__ = ("pattern", "seed", "hashable", "thread", "own", "listeners", "retired")

    def __init__(self, pattern: _Pattern, seed: Any, hashable: bool) -> None:
        self.pattern = pattern
        self.seed = seed
        self.hashable = hashable
        self.thread: Any = None
        self.own = True  # the thread is ours (and retires the record when it ends)
        self.listeners: List[Listener] = []
        self.retired = False

    def alive(self) -> bool:
        return not self.retired and (self.own or self.thread.is_alive())


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


_SWEEP_MIN = 64  # delegates that are not thread objects: checked once this many are live
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


def _is_idle_event(msg: Any) -> bool:
    return isinstance(msg, dict) and "_idle" in msg and is_event(msg)


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
    :param bot_kwargs: passed on to :class:`~telegrambot.Bot` (``api_url``, ...).

    A delegate's listener receives the messages it captured; the cost of that does not
    grow with the number of delegates. When a delegate ends, the messages still queued for
    it are handed to its successor, so none is lost to a closing delegate. An exception
    that ends a delegate is logged. An ``_idle`` event never starts a delegate (it only
    concerns the one that scheduled it). :meth:`stop` ends the loops, the scheduler and
    every delegate.
    """

    def __init__(self, token: str, delegation_patterns: Iterable[Tuple[Any, Any]],
                 *, thread_stack_size: Optional[int] = None, widen_futex_hash: bool = False,
                 **bot_kwargs: Any) -> None:
        if thread_stack_size is not None and thread_stack_size < 32 * 1024:
            raise ValueError("thread_stack_size must be at least 32 KiB (32768 bytes)")
        super().__init__(token, **bot_kwargs)
        self._lock = threading.RLock()
        self._hub = ListenerHub(self._lock)
        self._patterns = [_Pattern(seeder, delegator) for seeder, delegator in delegation_patterns]
        self._live: Dict[_Record, None] = {}
        self._foreign: Dict[_Record, None] = {}  # live delegates that are not thread objects
        self._sweep_at = _SWEEP_MIN
        self._constructing: Optional[_Record] = None
        self._stopping = False
        self._stack_size = thread_stack_size
        self._widen_futex_hash = widen_futex_hash

    # -- listeners -----------------------------------------------------------------------

    def create_listener(self) -> Listener:
        """A new :class:`~telegrambot.helper.Listener`. Made by a delegate (while it is
        built or on its thread), it closes when the delegate ends; otherwise close it."""
        with self._lock:
            listener = self._hub.listener()
            owner = self._constructing or getattr(_current, "record", None)
            if owner is not None:
                owner.listeners.append(listener)
            return listener

    def delegate_count(self) -> int:
        """How many delegates are alive."""
        with self._lock:
            return sum(1 for record in self._live if record.alive())

    # -- handling ------------------------------------------------------------------------

    def handle(self, msg: Dict[str, Any]) -> None:
        """Give ``msg`` to the listeners that captured it, then to every delegation pattern."""
        with self._lock:
            self._hub.deliver(msg)
            for pattern in self._patterns:
                try:
                    self._seed(pattern, msg)
                except Exception:
                    log.exception("delegation pattern failed on a message; skipped for this pattern")

    def _seed(self, pattern: _Pattern, msg: Any) -> None:
        """Start ``pattern``'s delegate for ``msg`` unless one is alive (lock held; ``msg``
        has been through the hub)."""
        seed = pattern.seeder(msg)
        if seed is None:
            return
        try:
            hash(seed)
            hashable = True
        except TypeError:
            hashable = False
        if hashable:
            record = pattern.registry.get(seed)
            if record is not None:
                if record.alive():
                    return
                # a thread of the caller's that ended: what it left, ``msg`` included if
                # it was queued there, goes to a successor
                if any(left is msg for left in self._retire(record)):
                    return
                if seed in pattern.registry:  # a successor, started for earlier leftovers
                    self._succeed(record, msg)
                    return
        if self._stopping or _is_idle_event(msg):
            return
        record = self._start(pattern, seed, hashable, msg)
        if hashable:
            pattern.registry[seed] = record

    def _succeed(self, ended: _Record, msg: Any) -> None:
        """Hand ``msg``, queued for the ended delegate, to its successor for the same seed,
        started if need be (lock held). A message the delegate captured for another seed
        is left alone: that seed's own delegate had it from the hub."""
        pattern, seed = ended.pattern, ended.seed
        try:
            if _is_idle_event(msg) or pattern.seeder(msg) != seed:
                return
            successor = pattern.registry.get(seed)
            if successor is None:
                if not self._stopping:
                    pattern.registry[seed] = self._start(pattern, seed, True, msg)
                return
            wanted = set(self._hub.matching(msg))
            for listener in successor.listeners:
                if listener in wanted:
                    self._hub.put(listener, msg)
        except Exception:
            log.exception("handing a message on to the successor of delegate %r failed", seed)

    def _start(self, pattern: _Pattern, seed: Any, hashable: bool, msg: Any) -> _Record:
        record = _Record(pattern, seed, hashable)
        constructing, self._constructing = self._constructing, record  # may nest
        try:
            delegate = pattern.delegator((self, msg, seed))
            if isinstance(delegate, threading.Thread) and not delegate.is_alive():
                # a thread object of the caller's: retired when its run() returns, like ours
                record.thread = delegate
                delegate.run = functools.partial(self._run, record, delegate.run)  # type: ignore[method-assign]
            elif _startable(delegate):  # something else with start(): checked now and then
                record.thread, record.own = delegate, False
                self._foreign[record] = None
            else:
                record.thread = threading.Thread(
                    target=self._run, args=(record, _target(delegate)),
                    name=f"telegrambot-delegate-{seed}", daemon=True)
            _start_thread(record.thread, self._stack_size)
        except BaseException:
            for listener in record.listeners:
                self._hub.close(listener)
            raise
        finally:
            self._constructing = constructing
        self._live[record] = None
        if self._widen_futex_hash and len(self._live) >= _MANY_THREADS:
            _widen_futex_hash()
        if len(self._foreign) >= self._sweep_at:
            self._sweep()
        return record

    def _sweep(self) -> None:
        """Retire the delegates of the caller's kind (not thread objects) that have ended:
        nothing tells when they end, so they are checked as their number doubles (lock
        held)."""
        for record in list(self._foreign):
            if not record.thread.is_alive():
                self._retire(record)
        self._sweep_at = max(_SWEEP_MIN, 2 * len(self._foreign))

    def _run(self, record: _Record, target: Callable[[], Any]) -> None:
        _current.record = record
        try:
            target()
        except Exception:
            log.exception("delegate for seed %r failed", record.seed)
        finally:
            _current.record = None
            with self._lock:
                self._retire(record)

    def _retire(self, record: _Record) -> List[Any]:
        """Forget an ended delegate (lock held). What was still queued for it goes to its
        successor (see :meth:`_succeed`); returns those messages."""
        if record.retired:
            return []
        record.retired = True
        self._live.pop(record, None)
        self._foreign.pop(record, None)
        if record.hashable and record.pattern.registry.get(record.seed) is record:
            del record.pattern.registry[record.seed]
        leftovers: List[Any] = []
        for listener in record.listeners:
            leftovers.extend(self._hub.close(listener))
        if record.hashable:  # an unhashable seed's messages each started a delegate of their own
            for msg in leftovers:
                self._succeed(record, msg)
        return leftovers

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
        with self._lock:
            self._stopping = True
            records = list(self._live)
            listeners = [listener for record in records for listener in record.listeners]
        try:
            # outside the lock: each delegate that ends takes it to retire
            for listener in listeners:
                listener.stop()
            for record in records:
                join = getattr(record.thread, "join", None)  # a startable may have none
                if join is not None and record.thread is not threading.current_thread():
                    join(max(0.0, deadline - time.monotonic()))
            running = [record.seed for record in records if record.thread.is_alive()
                       and record.thread is not threading.current_thread()]
            if running:
                log.warning("%d delegates still running after stop (seeds %s)", len(running),
                            ", ".join(repr(seed) for seed in running[:10]))
        finally:
            with self._lock:
                self._stopping = False

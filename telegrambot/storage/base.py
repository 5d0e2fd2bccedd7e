"""The store protocol every engine implements, and the ticket of a submitted commit.

An engine implements seven methods: :meth:`Store.submit` (the one way to write) and the
reads :meth:`Store.pending`, :meth:`Store.load`, :meth:`Store.events`,
:meth:`Store.kv_get`, :meth:`Store.kv_items`, plus :meth:`Store.close`. The other methods
are written once here on top of them.
"""

import abc
import logging
import threading
from typing import Any, Callable, Iterable, List, Optional, Sequence, Tuple

from ..core.records import (
    Changes,
    CommitResult,
    EventRecord,
    InboxEntry,
    KVWrite,
    StateRecord,
    StateWrite,
)

__all__ = ["Store", "Ticket"]

log = logging.getLogger(__name__)

_callbacks_lock = threading.Lock()


class Ticket:
    """A commit handed to a store with :meth:`Store.submit`: done once the store made it
    durable (or failed to).

    :meth:`wait` blocks until then and gives the :class:`~telegrambot.core.records.CommitResult`
    or raises the error (:class:`~telegrambot.core.records.StateConflict`,
    :class:`~telegrambot.core.records.StorageError`). :meth:`add_done_callback` runs a
    function when it is done, in the engine's writer thread: the way to wait without a
    thread (an asyncio future set with ``loop.call_soon_threadsafe``).
    """

    __slots__ = ("_done", "_lock", "_result", "_error", "_callbacks")

    def __init__(self) -> None:
        self._done = False
        self._lock: Optional[Any] = threading.Lock()
        self._lock.acquire()  # released when done
        self._result: Optional[CommitResult] = None
        self._error: Optional[BaseException] = None
        self._callbacks: Optional[List[Callable[[Ticket], Any]]] = None

    @classmethod
    def finished(cls, result: Optional[CommitResult], error: Optional[BaseException] = None) -> "Ticket":
        """A ticket that is done already (an engine that writes in the caller's thread)."""
        ticket = cls.__new__(cls)
        ticket._done = True
        ticket._lock = None
        ticket._result = result
        ticket._error = error
        ticket._callbacks = None
        return ticket

    def done(self) -> bool:
        """True once the commit is durable or failed."""
        return self._done

    def wait(self, timeout: Optional[float] = None) -> CommitResult:
        """Block until the commit is done (at most ``timeout`` seconds: then TimeoutError,
        and the commit may still be made later); return its result or raise its error."""
        lock = self._lock
        if not self._done and lock is not None:
            if not lock.acquire(True, -1 if timeout is None else max(timeout, 0.0)):
                raise TimeoutError(f"the store did not finish the commit within {timeout} s")
            lock.release()
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result

    def add_done_callback(self, fn: Callable[["Ticket"], Any]) -> None:
        """Call ``fn(ticket)`` once the commit is done: at once if it is, else in the
        thread that finishes it. ``fn`` must not block (no :meth:`wait` on another
        ticket); an exception it raises is logged."""
        with _callbacks_lock:
            if not self._done:
                if self._callbacks is None:
                    self._callbacks = []
                self._callbacks.append(fn)
                return
        _run_callback(fn, self)

    def _finish(self, result: Optional[CommitResult], error: Optional[BaseException] = None) -> None:
        """Engines: the commit is durable (``result``) or failed (``error``)."""
        self._result = result
        self._error = error
        with _callbacks_lock:
            self._done = True
            callbacks, self._callbacks = self._callbacks, None
            lock = self._lock
            if lock is not None:
                lock.release()
        if callbacks:
            for fn in callbacks:
                _run_callback(fn, self)

    def __repr__(self) -> str:
        if not self.done():
            return "<Ticket pending>"
        return f"<Ticket failed: {self._error!r}>" if self._error else f"<Ticket done: {self._result}>"


def _run_callback(fn: Callable[[Ticket], Any], ticket: Ticket) -> None:
    try:
        fn(ticket)
    except Exception:
        log.exception("a store ticket's done callback failed")


EMPTY_RESULT = CommitResult([], [], [])


class Store(abc.ABC):
    """A store of updates, states, events and values. See :mod:`telegrambot.storage`.

    **Guarantees** every engine gives:

    1. *Atomic*: a commit's :class:`~telegrambot.core.records.Changes` are applied all
       together or not at all; a reader never sees part of one.
    2. *Ordered*: commits are applied in the order of the :meth:`submit` calls (a call
       that returned before another began is ahead of it). A commit is never durable
       without those submitted before it.
    3. *Durable when done*: once a ticket is done without error, the commit survives what
       the engine promises to survive (:class:`~telegrambot.storage.MemoryStore`: nothing
       beyond the process; :class:`~telegrambot.storage.SQLiteStore`: a killed process,
       and with ``synchronous="full"`` a power cut).
    4. *Read your writes*: a read begun after a ticket is done sees that commit.
    5. *Checked at the call*: a value that is not JSON, or a record of the wrong shape,
       raises :class:`~telegrambot.core.records.UnstorableValue` from :meth:`submit` (and
       the methods built on it), naming the key; nothing of that commit is written.
    6. *Thread-safe*: one store is used from any number of threads.

    Reads return fresh objects (changing a loaded state's dict changes nothing stored),
    except that :class:`~telegrambot.storage.MemoryStore`'s :meth:`pending` hands back
    the very update dicts it accepted: updates are not copied.
    """

    #: True if what is committed survives the process (the conformance tests reopen it).
    persistent = False

    # -- writing: the one primitive ------------------------------------------------------

    @abc.abstractmethod
    def submit(self, changes: Changes) -> Ticket:
        """Hand ``changes`` over to be committed as one transaction; return at once with a
        :class:`Ticket`. Checks ``changes`` first (raising
        :class:`~telegrambot.core.records.UnstorableValue` or ValueError: nothing is
        submitted). Raises :class:`~telegrambot.core.records.StoreClosed` after
        :meth:`close`. Does no I/O in the caller's thread beyond what the engine needs to
        queue the commit, so it may be called with a lock held (see
        :class:`~telegrambot.core.records.PartCounter`)."""

    def commit(self, changes: Changes, timeout: Optional[float] = None) -> CommitResult:
        """:meth:`submit` and wait: return once ``changes`` are durable."""
        return self.submit(changes).wait(timeout)

    # -- the inbox -----------------------------------------------------------------------

    def accept(self, updates: Sequence[dict], timeout: Optional[float] = None) -> List[bool]:
        """Write ``updates`` to the inbox; return once they are durable, with True for
        each that is new and False for a duplicate (its ``update_id`` is in the inbox, or
        done and its done mark kept). Concurrent calls share a transaction."""
        return self.commit(Changes(accept=updates), timeout).accepted

    def mark_done(self, update_ids: Iterable[int], timeout: Optional[float] = None) -> None:
        """Mark updates done (see :attr:`Changes.done`) and wait until that is durable."""
        self.commit(Changes(done=list(update_ids)), timeout)

    @abc.abstractmethod
    def pending(self) -> List[InboxEntry]:
        """The updates accepted and not done, oldest arrival first, each with the state
        keys that already applied it."""

    # -- states --------------------------------------------------------------------------

    @abc.abstractmethod
    def load(self, key: str) -> Optional[StateRecord]:
        """The state stored under ``key``, or None."""

    def save(self, key: str, data: Optional[dict], version: Optional[int] = None,
             applied: Optional[int] = None, done: Sequence[int] = (),
             timeout: Optional[float] = None) -> int:
        """Save one state (see :class:`~telegrambot.core.records.StateWrite`), with
        ``done`` update_ids in the same transaction; return the new version (0 once
        deleted)."""
        changes = Changes(states=[StateWrite(key, data, version, applied)], done=done)
        return self.commit(changes, timeout).versions[0]

    # -- events --------------------------------------------------------------------------

    @abc.abstractmethod
    def events(self, until: Optional[float] = None) -> List[EventRecord]:
        """The events stored, soonest first (ties by id); with ``until``, only those due
        at or before it."""

    def put_events(self, events: Sequence[EventRecord], timeout: Optional[float] = None) -> None:
        """Add events, or replace those with the same ids (a repeating event moved to its
        next due time); return once durable."""
        self.commit(Changes(events=events), timeout)

    def cancel_events(self, ids: Sequence[str], timeout: Optional[float] = None) -> List[bool]:
        """Remove events by id; True for each that existed."""
        return self.commit(Changes(cancel=ids), timeout).cancelled

    # -- values --------------------------------------------------------------------------

    @abc.abstractmethod
    def kv_get(self, namespace: str, key: str, default: Any = None) -> Any:
        """The value under ``key`` in ``namespace``, or ``default``."""

    @abc.abstractmethod
    def kv_items(self, namespace: str) -> List[Tuple[str, Any]]:
        """The ``(key, value)`` pairs of ``namespace``, least recently set first."""

    def kv_set(self, namespace: str, key: str, value: Any, maxsize: Optional[int] = None,
               timeout: Optional[float] = None) -> None:
        """Set a value (None deletes it); see :class:`~telegrambot.core.records.KVWrite`."""
        self.commit(Changes(kv=[KVWrite(namespace, key, value, maxsize)]), timeout)

    def kv_delete(self, namespace: str, key: str, timeout: Optional[float] = None) -> None:
        """Delete a value (nothing happens if there is none)."""
        self.kv_set(namespace, key, None, timeout=timeout)

    # -- closing -------------------------------------------------------------------------

    @abc.abstractmethod
    def close(self, timeout: Optional[float] = None) -> None:
        """Commit what was submitted, then release everything (threads, files). Further
        calls raise :class:`~telegrambot.core.records.StoreClosed`; closing again does
        nothing. ``timeout`` bounds the wait for the submitted commits (an error is
        logged if they are not done by then)."""

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

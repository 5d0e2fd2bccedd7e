"""SQLiteStore: the store protocol in one SQLite file (the standard library's sqlite3).

One writer thread owns the only connection that writes; it commits the writes submitted
while its previous transaction was being made durable as the next transaction (group
commit, see :mod:`telegrambot.core.groupcommit`), so concurrent callers share one flush to
disk. Reads use a small pool of connections of their own and run beside the writer
(write-ahead log).
"""

import atexit
import json
import logging
import os
import sqlite3
import threading
import weakref
from contextlib import contextmanager
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple, Union

from ..core.groupcommit import MAX_BYTES, MAX_UNITS, CommitQueue
from ..core.records import (
    Changes,
    CommitResult,
    Encoded,
    EventRecord,
    InboxEntry,
    StateConflict,
    StateRecord,
    StorageError,
    StoreClosed,
    encode_changes,
    group_applied,
)
from .base import EMPTY_RESULT, Store, Ticket
from .memory import DONE_SIZE

__all__ = ["SQLiteStore"]

log = logging.getLogger(__name__)

#: ``PRAGMA application_id`` of a store's file ("TgBt"): another SQLite file is refused.
APPLICATION_ID = 0x54674274

# inbox: an update's JSON in body until it is done, then body NULL (a done mark); seq is
# the arrival order. applied: "key applied update_id", while that update is not done.
# kv: seq is the order of setting, the lowest goes first when a namespace is full.
_SCHEMA_1 = (
    "CREATE TABLE inbox (update_id INTEGER PRIMARY KEY, seq INTEGER NOT NULL, body TEXT)",
    "CREATE INDEX inbox_pending ON inbox (seq) WHERE body IS NOT NULL",
    "CREATE TABLE applied (update_id INTEGER NOT NULL, key TEXT NOT NULL, "
    "PRIMARY KEY (update_id, key)) WITHOUT ROWID",
    "CREATE TABLE state (key TEXT PRIMARY KEY, data TEXT NOT NULL, version INTEGER NOT NULL, "
    "applied INTEGER)",
    "CREATE TABLE event (id TEXT PRIMARY KEY, due REAL NOT NULL, data TEXT NOT NULL, every REAL)",
    "CREATE INDEX event_due ON event (due, id)",
    "CREATE TABLE kv (ns TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, "
    "seq INTEGER NOT NULL, PRIMARY KEY (ns, key))",
    "CREATE INDEX kv_age ON kv (ns, seq)",
)

_open_stores: "weakref.WeakSet[SQLiteStore]" = weakref.WeakSet()


@atexit.register
def _close_open_stores() -> None:
    """At interpreter exit, commit what was submitted (the writer thread is a daemon)."""
    for store in list(_open_stores):
        store.close(timeout=10.0)


class _FileLock:
    """An exclusive lock on ``<database>.lock``, held while the store is open, so that a
    second store on the same file (in this process or another) is refused. The operating
    system releases it when the process dies, however it dies."""

    def __init__(self, path: str) -> None:
        self.path = path + ".lock"
        try:
            self._fd: Optional[int] = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StorageError(f"can't open a store at {path!r}: {exc.strerror} ({self.path}); "
                               "give a path in a directory that exists and can be written") from exc
        try:
            _lock_fd(self._fd)
        except OSError:
            holder = _read_pid(self._fd)
            os.close(self._fd)
            self._fd = None
            who = ("this process" if holder == os.getpid()
                   else f"process {holder}" if holder else "another process")
            raise StorageError(
                f"{path!r} is already open in an SQLiteStore of {who}: one store per file at "
                "a time (share one store between the bots and threads of a process; for "
                "several processes use a server engine such as Redis)"
            ) from None
        os.ftruncate(self._fd, 0)
        os.write(self._fd, str(os.getpid()).encode())

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            try:
                _unlock_fd(fd)
            finally:
                os.close(fd)


def _read_pid(fd: int) -> Optional[int]:
    try:
        return int(os.pread(fd, 32, 0).decode() or 0) or None
    except (OSError, ValueError, AttributeError):
        return None


try:
    import fcntl

    def _lock_fd(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock_fd(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)

except ImportError:  # Windows
    import msvcrt

    def _lock_fd(fd: int) -> None:
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]

    def _unlock_fd(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]


class _Unit:
    __slots__ = ("enc", "ticket")

    def __init__(self, enc: Encoded, ticket: Ticket) -> None:
        self.enc = enc
        self.ticket = ticket


class SQLiteStore(Store):
    """The store protocol in the SQLite file ``path`` (created if missing), for one
    process.

    :param synchronous: ``"full"`` (default): a commit is on disk when its ticket is done
        (SQLite's ``synchronous=FULL`` with a write-ahead log: the log is flushed at each
        commit), so what was acknowledged survives a killed process, a crash of the
        operating system and a power cut. ``"normal"``: the log is flushed only at
        checkpoints, so an acknowledged commit survives a killed process but the last ones
        may be lost in a power cut or an operating system crash; commits are cheaper
        (group commit already shares one flush among concurrent callers).
    :param done_size: how many done marks are kept (those of the highest update_ids).
    :param readers: most connections reading at the same time.
    :param max_batch: most commits in one transaction.

    Raises :class:`~telegrambot.core.records.StorageError` if the file is open in another
    store (in this process or another: the file ``<path>.lock`` is locked while a store is
    open), is not an SQLite file, belongs to another application, or was written by a
    newer version of this library. Close the store (or use it as a context manager):
    :meth:`close` commits what was submitted; at interpreter exit, open stores are closed.

    The schema is versioned (``PRAGMA user_version``): :attr:`MIGRATIONS` maps a version to
    the function that turns a file of that version into the next one, each run in a
    transaction of its own when an older file is opened.
    """

    persistent = True
    #: The schema version this code writes.
    SCHEMA_VERSION = 1
    #: version -> function(connection) that upgrades a file of that version to the next.
    MIGRATIONS: Dict[int, Callable[[sqlite3.Connection], None]] = {}

    def __init__(self, path: Union[str, "os.PathLike[str]"], *, synchronous: str = "full",
                 done_size: int = DONE_SIZE, readers: int = 4, max_batch: int = MAX_UNITS) -> None:
        path = os.fspath(path)
        if not path or path == ":memory:" or path.startswith("file:"):
            raise ValueError(f"SQLiteStore needs the path of a file, not {path!r} "
                             "(MemoryStore keeps things in memory)")
        if synchronous not in ("full", "normal"):
            raise ValueError(f"synchronous is 'full' or 'normal', not {synchronous!r}")
        if done_size < 1 or readers < 1:
            raise ValueError("done_size and readers must be at least 1")
        self.path = path
        self.synchronous = synchronous
        self._done_size = done_size
        self._max_readers = readers
        self._closed = False
        self._cond = threading.Condition(threading.Lock())
        self._queue = CommitQueue(max_batch, MAX_BYTES)
        self._readers_cond = threading.Condition(threading.Lock())
        self._idle_readers: List[sqlite3.Connection] = []
        self._nreaders = 0
        self._done_since_prune = 0
        self._transactions = 0  # committed by the writer (benchmarks show commits per transaction)
        self._kv_counts: Dict[str, int] = {}
        self._lock = _FileLock(path)
        try:
            self._conn = self._open_writer()
        except BaseException:
            self._lock.release()
            raise
        self._writer = threading.Thread(target=self._run, name="telegrambot-store-writer", daemon=True)
        self._writer.start()
        _open_stores.add(self)

    def __repr__(self) -> str:
        return f"<SQLiteStore {self.path!r}{' closed' if self._closed else ''}>"

    # -- opening -------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=10.0)
        conn.execute("PRAGMA busy_timeout = 10000")
        return conn

    def _open_writer(self) -> sqlite3.Connection:
        try:
            conn = self._connect()
        except sqlite3.Error as exc:
            raise StorageError(f"can't open {self.path!r} as a store: {exc}") from exc
        try:
            self._prepare(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _prepare(self, conn: sqlite3.Connection) -> None:
        try:
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise StorageError(f"{self.path!r} is not a store's file ({exc}); give the path of "
                               "a new file or of one an SQLiteStore wrote") from exc
        if app_id != APPLICATION_ID and (app_id or tables):
            raise StorageError(f"{self.path!r} is an SQLite file of another application; give "
                               "the path of a new file or of one an SQLiteStore wrote")
        if version > self.SCHEMA_VERSION:
            raise StorageError(f"{self.path!r} was written with store schema {version}, newer "
                               f"than this version of telegrambot knows ({self.SCHEMA_VERSION}): "
                               "upgrade telegrambot")
        try:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode.lower() != "wal":
                raise StorageError(f"{self.path!r}: SQLite could not use a write-ahead log there "
                                   f"(journal mode {mode}); put the file on a local disk")
            conn.execute(f"PRAGMA synchronous = {self.synchronous.upper()}")
            conn.execute("PRAGMA journal_size_limit = 67108864")
            if not tables:
                with _transaction(conn):
                    for statement in _SCHEMA_1:
                        conn.execute(statement)
                    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                    conn.execute("PRAGMA user_version = 1")
                version = 1
            while version < self.SCHEMA_VERSION:
                migrate = self.MIGRATIONS.get(version)
                if migrate is None:
                    raise StorageError(f"no migration of the store schema from version {version}")
                with _transaction(conn):
                    migrate(conn)
                    conn.execute(f"PRAGMA user_version = {version + 1}")
                log.info("store %r: schema migrated from version %d to %d", self.path, version, version + 1)
                version += 1
            cur = conn.execute("SELECT max(seq) FROM inbox")
            self._seq = cur.fetchone()[0] or 0
            self._kv_seq = conn.execute("SELECT max(seq) FROM kv").fetchone()[0] or 0
            self._prune_done(conn)
        except sqlite3.Error as exc:
            raise StorageError(f"can't open {self.path!r} as a store: {exc}") from exc

    # -- writing -------------------------------------------------------------------------

    def submit(self, changes: Changes) -> Ticket:
        enc = encode_changes(changes)
        if not enc:
            if self._closed:
                raise StoreClosed("the store is closed")
            return Ticket.finished(EMPTY_RESULT)
        ticket = Ticket()
        with self._cond:
            if self._closed:
                raise StoreClosed("the store is closed")
            self._queue.put(_Unit(enc, ticket), enc.size)
            if len(self._queue) == 1:
                self._cond.notify()
        return ticket

    def _run(self) -> None:
        cond, queue = self._cond, self._queue
        try:
            while True:
                with cond:
                    while not queue and not self._closed:
                        cond.wait()
                    if not queue:
                        break
                    batch = queue.take()
                try:
                    self._commit(batch)
                except BaseException as exc:  # never leave a caller waiting
                    log.exception("store %r: the writer failed", self.path)
                    for unit in batch:
                        if not unit.ticket.done():
                            unit.ticket._finish(None, _storage_error(exc))
        finally:
            self._shut()

    def _commit(self, batch: List[_Unit]) -> None:
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            outcomes = [self._apply(unit.enc) for unit in batch]
            conn.execute("COMMIT")
            self._transactions += 1
        except Exception as exc:
            self._rollback()
            if len(batch) > 1:  # one bad write must not sink the others: each alone
                log.warning("store %r: a transaction of %d commits failed (%s); retrying them "
                            "one by one", self.path, len(batch), exc)
                for unit in batch:
                    self._commit([unit])
                return
            log.error("store %r: a commit failed: %s", self.path, exc)
            batch[0].ticket._finish(None, _storage_error(exc))
            return
        for unit, outcome in zip(batch, outcomes):
            if isinstance(outcome, CommitResult):
                unit.ticket._finish(outcome)
            else:
                unit.ticket._finish(None, outcome)
        if self._done_since_prune > max(1000, self._done_size // 10):
            try:
                self._prune_done(conn)
            except sqlite3.Error as exc:
                self._rollback()
                log.warning("store %r: pruning done marks failed: %s", self.path, exc)

    def _rollback(self) -> None:
        self._kv_counts.clear()
        try:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
        except sqlite3.Error as exc:
            log.error("store %r: rollback failed: %s", self.path, exc)

    def _prune_done(self, conn: sqlite3.Connection) -> None:
        """Keep the done marks of the ``done_size`` highest update_ids."""
        conn.execute(
            "DELETE FROM inbox WHERE body IS NULL AND update_id <= (SELECT update_id FROM inbox "
            "WHERE body IS NULL ORDER BY update_id DESC LIMIT 1 OFFSET ?)", (self._done_size,))
        self._done_since_prune = 0

    def _apply(self, enc: Encoded) -> Union[CommitResult, StateConflict]:
        """Write one commit inside the open transaction; a StateConflict leaves none of it."""
        cur = self._conn.cursor()
        savepoint = len(enc.states) > 1
        versions = []
        if enc.states:
            if savepoint:
                cur.execute("SAVEPOINT unit")
            try:
                for key, text, version, applied in enc.states:
                    versions.append(self._write_state(cur, key, text, version, applied))
            except StateConflict as exc:
                if savepoint:
                    cur.execute("ROLLBACK TO unit")
                    cur.execute("RELEASE unit")
                return exc
            if savepoint:
                cur.execute("RELEASE unit")
            done_now = set(enc.done)
            for key, _text, _version, applied in enc.states:
                if applied is not None and applied not in done_now:
                    row = cur.execute("SELECT body IS NULL FROM inbox WHERE update_id = ?", (applied,)).fetchone()
                    if row is None or not row[0]:
                        cur.execute("INSERT OR IGNORE INTO applied (update_id, key) VALUES (?, ?)", (applied, key))
        accepted = []
        for update_id, _update, text in enc.accept:
            self._seq += 1
            cur.execute("INSERT OR IGNORE INTO inbox (update_id, seq, body) VALUES (?, ?, ?)",
                        (update_id, self._seq, text))
            accepted.append(cur.rowcount == 1)
        for update_id in enc.done:
            cur.execute("UPDATE inbox SET body = NULL WHERE update_id = ? AND body IS NOT NULL", (update_id,))
            if cur.rowcount == 0:
                self._seq += 1
                cur.execute("INSERT OR IGNORE INTO inbox (update_id, seq, body) VALUES (?, ?, NULL)",
                            (update_id, self._seq))
            self._done_since_prune += cur.rowcount
            cur.execute("DELETE FROM applied WHERE update_id = ?", (update_id,))
        for event_id, due, text, every in enc.events:
            cur.execute("INSERT OR REPLACE INTO event (id, due, data, every) VALUES (?, ?, ?, ?)",
                        (event_id, due, text, every))
        cancelled = []
        for event_id in enc.cancel:
            cur.execute("DELETE FROM event WHERE id = ?", (event_id,))
            cancelled.append(cur.rowcount == 1)
        for namespace, key, text, maxsize in enc.kv:
            self._write_kv(cur, namespace, key, text, maxsize)
        return CommitResult(accepted, versions, cancelled)

    @staticmethod
    def _write_state(cur: sqlite3.Cursor, key: str, text: Optional[str], version: Optional[int],
                     applied: Optional[int]) -> int:
        def found() -> int:
            row = cur.execute("SELECT version FROM state WHERE key = ?", (key,)).fetchone()
            return row[0] if row else 0

        if version is None:
            version = found()
        if text is None:
            cur.execute("DELETE FROM state WHERE key = ? AND version = ?", (key, version))
            if cur.rowcount == 0:
                current = found()
                if current != version:  # (a key with no state deleted from version 0 is fine)
                    raise StateConflict(key, version, current)
            return 0
        if version == 0:
            cur.execute("INSERT OR IGNORE INTO state (key, data, version, applied) VALUES (?, ?, 1, ?)",
                        (key, text, applied))
        else:
            cur.execute("UPDATE state SET data = ?, version = version + 1, applied = coalesce(?, applied) "
                        "WHERE key = ? AND version = ?", (text, applied, key, version))
        if cur.rowcount == 0:
            raise StateConflict(key, version, found())
        return version + 1

    def _write_kv(self, cur: sqlite3.Cursor, namespace: str, key: str, text: Optional[str],
                  maxsize: Optional[int]) -> None:
        counts = self._kv_counts
        if namespace not in counts:
            counts[namespace] = cur.execute("SELECT count(*) FROM kv WHERE ns = ?", (namespace,)).fetchone()[0]
        if text is None:
            cur.execute("DELETE FROM kv WHERE ns = ? AND key = ?", (namespace, key))
            counts[namespace] -= cur.rowcount
            return
        self._kv_seq += 1
        cur.execute("UPDATE kv SET value = ?, seq = ? WHERE ns = ? AND key = ?",
                    (text, self._kv_seq, namespace, key))
        if cur.rowcount == 0:
            cur.execute("INSERT INTO kv (ns, key, value, seq) VALUES (?, ?, ?, ?)",
                        (namespace, key, text, self._kv_seq))
            counts[namespace] += 1
        if maxsize is not None and counts[namespace] > maxsize:
            cur.execute("DELETE FROM kv WHERE ns = ? AND key IN (SELECT key FROM kv WHERE ns = ? "
                        "ORDER BY seq LIMIT ?)", (namespace, namespace, counts[namespace] - maxsize))
            counts[namespace] -= cur.rowcount

    # -- reading -------------------------------------------------------------------------

    @contextmanager
    def _reader(self) -> Iterator[sqlite3.Connection]:
        cond = self._readers_cond
        conn: Optional[sqlite3.Connection] = None
        with cond:
            while True:
                if self._closed:
                    raise StoreClosed("the store is closed")
                if self._idle_readers:
                    conn = self._idle_readers.pop()
                    break
                if self._nreaders < self._max_readers:
                    self._nreaders += 1
                    break
                cond.wait()
        healthy = False
        try:
            if conn is None:
                conn = self._connect()
                conn.execute("PRAGMA query_only = ON")
            yield conn
            healthy = not conn.in_transaction
        except sqlite3.Error as exc:
            raise StorageError(f"store {self.path!r}: reading failed: {exc}") from exc
        finally:
            with cond:
                if healthy and not self._closed and conn is not None:
                    self._idle_readers.append(conn)
                else:
                    self._nreaders -= 1
                    if conn is not None:
                        conn.close()
                cond.notify()

    def pending(self) -> List[InboxEntry]:
        with self._reader() as conn:
            with _transaction(conn, "BEGIN"):
                rows = conn.execute("SELECT update_id, body FROM inbox WHERE body IS NOT NULL "
                                    "ORDER BY seq").fetchall()
                marks = group_applied(conn.execute("SELECT update_id, key FROM applied").fetchall())
        none: frozenset = frozenset()
        return [InboxEntry(update_id, json.loads(body), marks.get(update_id, none)) for update_id, body in rows]

    def load(self, key: str) -> Optional[StateRecord]:
        with self._reader() as conn:
            row = conn.execute("SELECT data, version, applied FROM state WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        return StateRecord(key, json.loads(row[0]), row[1], row[2])

    def events(self, until: Optional[float] = None) -> List[EventRecord]:
        with self._reader() as conn:
            if until is None:
                rows = conn.execute("SELECT id, due, data, every FROM event ORDER BY due, id").fetchall()
            else:
                rows = conn.execute("SELECT id, due, data, every FROM event WHERE due <= ? "
                                    "ORDER BY due, id", (until,)).fetchall()
        return [EventRecord(event_id, due, json.loads(data), every) for event_id, due, data, every in rows]

    def kv_get(self, namespace: str, key: str, default: Any = None) -> Any:
        with self._reader() as conn:
            row = conn.execute("SELECT value FROM kv WHERE ns = ? AND key = ?", (namespace, key)).fetchone()
        return default if row is None else json.loads(row[0])

    def kv_items(self, namespace: str) -> List[Tuple[str, Any]]:
        with self._reader() as conn:
            rows = conn.execute("SELECT key, value FROM kv WHERE ns = ? ORDER BY seq", (namespace,)).fetchall()
        return [(key, json.loads(value)) for key, value in rows]

    # -- closing -------------------------------------------------------------------------

    def close(self, timeout: Optional[float] = None) -> None:
        with self._cond:
            already = self._closed
            self._closed = True
            self._cond.notify_all()
        with self._readers_cond:
            idle, self._idle_readers = self._idle_readers, []
            self._nreaders -= len(idle)
            self._readers_cond.notify_all()
        for conn in idle:
            conn.close()
        _open_stores.discard(self)
        if self._writer is threading.current_thread():
            return  # a ticket callback closing the store: the writer ends after this batch
        self._writer.join(timeout)
        if self._writer.is_alive() and not already:
            log.error("store %r: commits still being written after the close's timeout of %s s; "
                      "the writer finishes them and then releases the file", self.path, timeout)

    def _shut(self) -> None:
        """The writer's last act: checkpoint, close the connection, release the file."""
        try:
            try:
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error as exc:
                log.warning("store %r: final checkpoint failed: %s", self.path, exc)
            self._conn.close()
        finally:
            self._lock.release()


@contextmanager
def _transaction(conn: sqlite3.Connection, begin: str = "BEGIN IMMEDIATE") -> Iterator[None]:
    conn.execute(begin)
    try:
        yield
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _storage_error(exc: BaseException) -> StorageError:
    error = StorageError(f"the store could not commit: {exc}")
    error.__cause__ = exc
    return error

"""SQLiteStore beyond the conformance suite: one store per file, files it refuses, schema
migrations, group commit, and crash safety under SIGKILL."""

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading

import pytest

from telegrambot.storage import (
    Changes,
    SQLiteStore,
    StateWrite,
    StorageError,
    StoreClosed,
    state_key,
)

HERE = os.path.dirname(os.path.abspath(__file__))
CHILD = os.path.join(HERE, "storage_crash_child.py")


def update(update_id):
    return {"update_id": update_id, "message": {"text": str(update_id)}}


# ------------------------------------------------------------------ one store per file


def test_a_second_store_on_the_same_file_is_refused(tmp_path):
    path = tmp_path / "bot.db"
    store = SQLiteStore(path)
    with pytest.raises(StorageError, match="already open in an SQLiteStore of this process"):
        SQLiteStore(str(path))
    store.accept([update(1)])
    store.close()
    again = SQLiteStore(path)
    assert [entry.update_id for entry in again.pending()] == [1]
    again.close()


def test_a_second_process_is_refused_clearly(tmp_path):
    path = str(tmp_path / "bot.db")
    store = SQLiteStore(path)
    try:
        code = ("import sys; sys.path.insert(0, %r)\n"
                "from telegrambot.storage import SQLiteStore, StorageError\n"
                "try:\n    SQLiteStore(%r)\nexcept StorageError as exc:\n    print(exc)\n"
                % (os.path.dirname(HERE), path))
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
        assert "already open in an SQLiteStore of process %d" % os.getpid() in out.stdout, out
        assert "Redis" in out.stdout
    finally:
        store.close()


def test_a_directory_that_does_not_exist_is_a_clear_error(tmp_path):
    with pytest.raises(StorageError, match="No such file or directory .* a directory that exists"):
        SQLiteStore(tmp_path / "missing" / "bot.db")


@pytest.mark.parametrize("path", ["", ":memory:", "file:x.db?mode=memory"])
def test_paths_that_are_not_files_are_refused(path):
    with pytest.raises(ValueError, match="MemoryStore"):
        SQLiteStore(path)


def test_options_are_checked(tmp_path):
    with pytest.raises(ValueError, match="'full' or 'normal'"):
        SQLiteStore(tmp_path / "a.db", synchronous="off")
    with pytest.raises(ValueError, match="at least 1"):
        SQLiteStore(tmp_path / "a.db", readers=0)


@pytest.mark.parametrize("synchronous, level", [("full", 2), ("normal", 1)])
def test_synchronous_is_set_on_the_writer(tmp_path, synchronous, level):
    store = SQLiteStore(tmp_path / "a.db", synchronous=synchronous)
    try:
        store.accept([update(1)])  # the writer is idle once this returns
        assert store._conn.execute("PRAGMA synchronous").fetchone()[0] == level
        assert store._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        store.close()


# ------------------------------------------------------------------ files it refuses


def test_a_file_that_is_not_sqlite_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_bytes(b"these are my notes, not a database" * 100)
    with pytest.raises(StorageError, match="is not a store's file"):
        SQLiteStore(path)
    assert path.read_bytes().startswith(b"these are my notes")
    path.unlink()
    SQLiteStore(path).close()  # the failed open released the file's lock


def test_another_applications_sqlite_file_is_refused(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE customers (name TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(StorageError, match="another application"):
        SQLiteStore(path)


def test_a_file_from_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "bot.db"
    SQLiteStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 7")
    conn.close()
    with pytest.raises(StorageError, match="schema 7, newer .* upgrade telegrambot"):
        SQLiteStore(path)


def test_migrations_run_in_order_when_an_older_file_is_opened(tmp_path):
    path = tmp_path / "bot.db"
    first = SQLiteStore(path)
    first.save("chat:1", {"n": 1}, version=0)
    first.close()
    ran = []

    def add_notes(conn):
        ran.append(conn.execute("PRAGMA user_version").fetchone()[0])
        conn.execute("CREATE TABLE notes (text TEXT)")

    def add_index(conn):
        ran.append(conn.execute("PRAGMA user_version").fetchone()[0])
        conn.execute("CREATE INDEX notes_text ON notes (text)")

    class StoreV3(SQLiteStore):
        SCHEMA_VERSION = 3
        MIGRATIONS = {1: add_notes, 2: add_index}

    store = StoreV3(path)
    assert ran == [1, 2]
    assert store.load("chat:1").data == {"n": 1}
    store.close()
    StoreV3(path).close()
    assert ran == [1, 2]  # not again
    with pytest.raises(StorageError, match="schema 3"):
        SQLiteStore(path)

    class Broken(SQLiteStore):
        SCHEMA_VERSION = 2

    other = tmp_path / "other.db"
    SQLiteStore(other).close()
    with pytest.raises(StorageError, match="no migration of the store schema from version 1"):
        Broken(other)


# ------------------------------------------------------------------ writing


def test_a_failing_commit_does_not_sink_the_others_of_its_transaction(tmp_path):
    path = tmp_path / "bot.db"
    SQLiteStore(path).close()
    conn = sqlite3.connect(path)  # a trigger makes one key's write fail inside SQLite
    conn.execute("CREATE TRIGGER boom BEFORE INSERT ON state WHEN NEW.key = 'boom' "
                 "BEGIN SELECT RAISE(ABORT, 'no such key allowed'); END")
    conn.commit()
    conn.close()
    store = SQLiteStore(path)
    try:
        held, release = threading.Event(), threading.Event()

        def hold_writer(ticket):  # runs in the writer thread: it waits, the queue fills
            held.set()
            release.wait(10)

        store.submit(Changes(accept=[update(1)])).add_done_callback(hold_writer)
        assert held.wait(10)
        tickets = [store.submit(Changes(states=[StateWrite(key, {"k": key}, 0)], done=[n]))
                   for n, key in enumerate(["a", "boom", "c"], 10)]
        release.set()
        assert tickets[0].wait(10).versions == [1] and tickets[2].wait(10).versions == [1]
        with pytest.raises(StorageError, match="no such key allowed"):
            tickets[1].wait(10)
        assert store.load("a") and store.load("c") and store.load("boom") is None
        assert store.accept([update(10), update(11), update(12)]) == [False, True, False]
    finally:
        store.close()


def test_a_wait_that_times_out_leaves_the_commit_to_land_later(tmp_path, caplog):
    store = SQLiteStore(tmp_path / "bot.db")
    try:
        held, release = threading.Event(), threading.Event()

        def hold_writer(ticket):
            held.set()
            release.wait(10)

        def broken(ticket):
            raise RuntimeError("a callback that fails")

        first = store.submit(Changes(accept=[update(1)]))
        first.add_done_callback(hold_writer)
        first.add_done_callback(broken)
        assert held.wait(10)
        late = store.submit(Changes(accept=[update(2)]))
        with pytest.raises(TimeoutError, match="did not finish the commit within 0 s"):
            late.wait(0)
        assert not late.done() and "pending" in repr(late)
        landed = threading.Event()
        late.add_done_callback(lambda ticket: landed.set())
        release.set()
        assert landed.wait(10) and late.wait(0).accepted == [True]
        assert "a store ticket's done callback failed" in caplog.text
    finally:
        store.close()


def test_a_callback_may_close_the_store(tmp_path):
    store = SQLiteStore(tmp_path / "bot.db")
    closed = threading.Event()

    def close(ticket):
        store.close()
        closed.set()

    store.submit(Changes(accept=[update(1)])).add_done_callback(close)
    assert closed.wait(10)
    store.close()  # joins the writer, which ended after its callback
    assert not store._writer.is_alive()
    with pytest.raises(StoreClosed):
        store.accept([update(2)])


def test_close_commits_what_was_submitted(tmp_path):
    path = tmp_path / "bot.db"
    store = SQLiteStore(path)
    tickets = [store.submit(Changes(accept=[update(n)])) for n in range(500)]
    store.close()
    assert all(ticket.done() for ticket in tickets)
    with pytest.raises(StoreClosed):
        store.submit(Changes(accept=[update(1000)]))
    assert store._writer.name == "telegrambot-store-writer" and not store._writer.is_alive()
    assert not os.path.exists(str(path) + "-wal") or os.path.getsize(str(path) + "-wal") == 0
    again = SQLiteStore(path)
    try:
        assert [entry.update_id for entry in again.pending()] == list(range(500))
    finally:
        again.close()


def test_done_marks_are_pruned_while_running(tmp_path):
    store = SQLiteStore(tmp_path / "bot.db", done_size=10)
    try:
        for n in range(0, 1100, 10):
            store.mark_done(range(n, n + 10))
        # pruned once more than 1,000 marks were added: the oldest are forgotten
        assert store.accept([update(5)]) == [True]
        assert store.accept([update(1099)]) == [False]
    finally:
        store.close()


def test_many_readers_share_a_small_pool(tmp_path):
    store = SQLiteStore(tmp_path / "bot.db", readers=2)
    try:
        for n in range(8):
            store.save(state_key("chat", n), {"n": n}, version=0)
        errors, seen = [], []

        def read(n):
            try:
                for _ in range(50):
                    seen.append(store.load(state_key("chat", n)).data["n"] == n)
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=read, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert not errors and len(seen) == 400 and all(seen)
        assert store._nreaders <= 2
    finally:
        store.close()


# ------------------------------------------------------------------ crash safety


def run_child(db, first, kill_after=None, recover=False):
    """Run the child; kill it with SIGKILL after ``kill_after`` lines (or let it recover
    and exit). Return every line it printed (all of them acknowledged writes)."""
    args = [sys.executable, CHILD, db, str(first)] + (["recover"] if recover else [])
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    lines = []
    try:
        while kill_after is None or len(lines) < kill_after:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line.decode().split())
        if kill_after is not None:
            os.kill(proc.pid, signal.SIGKILL)
        rest, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    lines += [line.split() for line in rest.decode().splitlines()]
    if kill_after is not None:
        assert proc.returncode == -signal.SIGKILL, err.decode()
    else:
        assert proc.returncode == 0, err.decode()
    return [(kind, int(n)) for kind, n in lines]


def check_store(db, acked):
    """What a killed child acknowledged is there, and states agree with done marks."""
    sys.path.insert(0, HERE)
    from storage_crash_child import KV_SIZE, keys_of

    store = SQLiteStore(db)
    try:
        pending = {entry.update_id: entry.applied for entry in store.pending()}
        raw = sqlite3.connect(db)
        done = {row[0] for row in raw.execute("SELECT update_id FROM inbox WHERE body IS NULL")}
        raw.close()
        states = {}
        for key in {key for n in range(15) for key in keys_of(n)}:
            record = store.load(key)
            ids = record.data["ids"] if record else []
            assert len(ids) == len(set(ids)), f"{key} applied an update twice"
            assert (record.version if record else 0) == len(ids), f"{key}: version and saves disagree"
            states[key] = set(ids)
        for key, ids in states.items():  # every applied update is done or marked for the key
            for n in ids:
                assert n in done or key in pending.get(n, ()), f"{key} applied {n}: no mark, not done"
        for n, keys in pending.items():
            assert not set(keys) - {k for k in keys_of(n) if n in states[k]}, f"mark of {n} without its state"
        for n in done:
            assert all(n in states[key] for key in keys_of(n)), f"{n} done before all its keys applied it"
        kinds = {}
        for kind, n in acked:
            kinds.setdefault(kind, set()).add(n)
        assert kinds.get("A", set()) <= done | set(pending), "an acknowledged accept is missing"
        assert kinds.get("D", set()) <= done, "an acknowledged done mark is missing"
        assert kinds.get("R", set()) <= done, "an acknowledged recovery is missing"
        events = {event.id for event in store.events()}
        for n in kinds.get("E", set()) - kinds.get("c", set()):
            assert "e%d" % n in events, f"acknowledged event e{n} is missing"
        for n in kinds.get("C", set()):
            assert "e%d" % n not in events, f"event e{n} was cancelled (acknowledged) but is back"
        values = dict(store.kv_items("kv"))
        assert len(values) <= KV_SIZE and all(value == {"n": int(key)} for key, value in values.items())
        set_values = [n for kind, n in acked if kind == "K"]
        if set_values:  # the newest value set goes last (the largest number need not be it:
            # the threads run at their own pace)
            assert str(set_values[-1]) in values, "the last acknowledged value is missing"
        return pending, done
    finally:
        store.close()


def test_a_killed_writer_loses_nothing_acknowledged_and_leaves_no_partial_commit(tmp_path):
    """The child is killed with SIGKILL at random points (after 1 to 150 acknowledged
    writes, so sometimes during its recovery), 20 times on one file; each time the file
    holds every acknowledged write and its states agree with its done marks. A last run
    recovers: every accepted update applied exactly once to both its keys."""
    db = str(tmp_path / "crash.db")
    seed = int(os.environ.get("STORAGE_CRASH_SEED") or random.randrange(1 << 30))
    print("STORAGE_CRASH_SEED=%d reproduces the kill points" % seed)
    rng = random.Random(seed)
    acked = []
    for round_ in range(20):
        lines = run_child(db, 1_000_000 * (round_ + 1), kill_after=rng.randint(1, 150))
        assert lines, "the child acknowledged nothing before it was killed"
        acked += lines
        check_store(db, acked)
    run_child(db, 0, recover=True)
    pending, done = check_store(db, acked)
    assert pending == {}
    accepted = {n for kind, n in acked if kind == "A"}
    assert accepted <= done

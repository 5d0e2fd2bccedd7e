"""Throughput of the stores: the durable inbox and state commits, against raw sqlite3.

Store alone (``--threads`` writer threads in this process, ``--updates`` writes):

- baseline: raw ``sqlite3``, one INSERT and one COMMIT per update (write-ahead log, the
  same ``synchronous`` level), from one thread, and from the writer threads sharing one
  connection under a lock (what a store without group commit does);
- ``SQLiteStore`` (``synchronous`` full, then normal) and ``MemoryStore``: ``accept([update])``
  from every thread (each waits until its update is durable: group commit), then
  ``save(key, state, version, applied=update_id, done=[update_id])`` per update, each
  thread on a key of its own (a delegate saving after each update).

Webhook with the durable inbox: ``WebhookServer`` fed by ``--clients`` HTTP clients in a
child process (``bench_webhook.py``'s), its sink a queue (baseline: no store), or a
function that writes the update to the store's inbox and answers once it is durable.

Run: ``python benchmarks/bench_storage.py [--updates 20000] [--threads 50] [--rounds 3]``
"""

import argparse
import json
import os
import queue
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
from typing import Any, Callable, Dict, List

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)

from telegrambot.storage import MemoryStore, SQLiteStore, Store, state_key  # noqa: E402


def make_update(update_id: int) -> Dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1700000000,
            "chat": {"id": 1000 + update_id % 50, "type": "private", "first_name": "Load"},
            "from": {"id": 1000 + update_id % 50, "is_bot": False, "first_name": "Load"},
            "text": "hello %d" % update_id,
        },
    }


def in_threads(threads: int, work: Callable[[int], None]) -> float:
    """Run ``work(k)`` on ``threads`` threads at once; the elapsed seconds."""
    errors: List[BaseException] = []

    def run(k: int) -> None:
        try:
            work(k)
        except BaseException as exc:
            errors.append(exc)

    pool = [threading.Thread(target=run, args=(k,)) for k in range(threads)]
    started = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return elapsed


class Scratch:
    """A directory for the databases of one run."""

    def __init__(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="bench-storage-", dir=os.environ.get("BENCH_DIR"))
        self.count = 0

    def path(self) -> str:
        self.count += 1
        return os.path.join(self.dir, "db%d.sqlite" % self.count)

    def remove(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def raw_inserts(path: str, n: int, threads: int, synchronous: str) -> float:
    """Raw sqlite3: INSERT + COMMIT per update, ``threads`` threads on one locked connection."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = %s" % synchronous)
    conn.execute("CREATE TABLE inbox (update_id INTEGER PRIMARY KEY, body TEXT)")
    lock = threading.Lock()

    def work(k: int) -> None:
        for update_id in range(k, n, threads):
            body = json.dumps(make_update(update_id), separators=(",", ":"))
            with lock:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("INSERT INTO inbox VALUES (?, ?)", (update_id, body))
                conn.execute("COMMIT")

    elapsed = in_threads(threads, work)
    conn.close()
    return n / elapsed


def store_accepts(store: Store, n: int, threads: int) -> float:
    def work(k: int) -> None:
        for update_id in range(k, n, threads):
            if store.accept([make_update(update_id)]) != [True]:
                raise SystemExit("update %d was not new" % update_id)

    elapsed = in_threads(threads, work)
    if len(store.pending()) != n:
        raise SystemExit("the inbox holds %d updates, not %d" % (len(store.pending()), n))
    return n / elapsed


def store_saves(store: Store, n: int, threads: int) -> float:
    def work(k: int) -> None:
        key, version, count = state_key("chat", k), 0, 0
        for update_id in range(k, n, threads):
            count += 1
            state = {"count": count, "last": update_id, "name": "Load", "cart": ["apple", "pear"]}
            version = store.save(key, state, version=version, applied=update_id, done=[update_id])

    elapsed = in_threads(threads, work)
    if store.pending():
        raise SystemExit("updates left in the inbox after their states were saved")
    return n / elapsed


def transactions(store: Store) -> int:
    return getattr(store, "_transactions", 0)


def bench_store(args: argparse.Namespace) -> None:
    n, threads = args.updates, args.threads
    scratch = Scratch()
    best: Dict[str, float] = {}
    per_txn: Dict[str, float] = {}

    def keep(name: str, rate: float) -> None:
        best[name] = max(best.get(name, 0.0), rate)

    try:
        for _ in range(args.rounds):  # interleaved, best of each: other load only slows down
            keep("raw-1-full", raw_inserts(scratch.path(), n // 10, 1, "FULL"))
            keep("raw-n-full", raw_inserts(scratch.path(), n // 10, threads, "FULL"))
            keep("raw-1-normal", raw_inserts(scratch.path(), n, 1, "NORMAL"))
            for name, make in (("sqlite-full", lambda: SQLiteStore(scratch.path())),
                               ("sqlite-normal", lambda: SQLiteStore(scratch.path(), synchronous="normal")),
                               ("memory", MemoryStore)):
                store = make()
                try:
                    before = transactions(store)
                    keep(name + "-accept", store_accepts(store, n, threads))
                    if transactions(store) > before:
                        per_txn[name + "-accept"] = n / (transactions(store) - before)
                    store.mark_done(range(n))
                    before = transactions(store)
                    keep(name + "-save", store_saves(store, n, threads))
                    if transactions(store) > before:
                        per_txn[name + "-save"] = n / (transactions(store) - before)
                finally:
                    store.close()
    finally:
        scratch.remove()

    def row(label: str, name: str, base: str) -> None:
        extra = "  (%4.1f per transaction)" % per_txn[name] if name in per_txn else ""
        print("  %-58s %9.0f /s  %6.1fx%s" % (label, best[name], best[name] / best[base], extra))

    print("Store alone: %d updates, %d writer threads, %d CPUs, best of %d rounds"
          % (n, threads, os.cpu_count(), args.rounds))
    print("inbox writes (x: against the raw baseline of the same synchronous level, one thread):")
    row("baseline: raw sqlite3, INSERT + COMMIT each, FULL, 1 thread", "raw-1-full", "raw-1-full")
    row("raw sqlite3, INSERT + COMMIT each, FULL, %d threads, 1 conn" % threads, "raw-n-full", "raw-1-full")
    row("SQLiteStore() (synchronous full), accept([update])", "sqlite-full-accept", "raw-1-full")
    row("baseline: raw sqlite3, INSERT + COMMIT each, NORMAL, 1 thread", "raw-1-normal", "raw-1-normal")
    row("SQLiteStore(synchronous='normal'), accept([update])", "sqlite-normal-accept", "raw-1-normal")
    row("MemoryStore(), accept([update])", "memory-accept", "raw-1-normal")
    print("state commits, save(key, state, version, applied, done) (x: against MemoryStore):")
    row("SQLiteStore() (synchronous full)", "sqlite-full-save", "memory-save")
    row("SQLiteStore(synchronous='normal')", "sqlite-normal-save", "memory-save")
    row("MemoryStore()", "memory-save", "memory-save")


def bench_webhook(args: argparse.Namespace) -> None:
    import bench_webhook  # its client process and its measure()

    from telegrambot.webhook import WebhookServer

    client_args = argparse.Namespace(updates=args.updates // 2, clients=args.clients)
    scratch = Scratch()

    def run(store: Any) -> float:
        updates: queue.Queue[Any] = queue.Queue()
        if store is None:
            sink: Any = updates
        else:
            def sink(update: Dict[str, Any]) -> None:
                if store.accept([update])[0]:
                    updates.put(update)

        server = WebhookServer(sink, "127.0.0.1", 0, bench_webhook.PATH, secret_token=bench_webhook.SECRET).start()
        try:
            rate = bench_webhook.measure(server.port, client_args, True)
        finally:
            server.stop()
        if updates.qsize() != client_args.updates:
            raise SystemExit("%d updates reached the queue, not %d" % (updates.qsize(), client_args.updates))
        return rate

    best: Dict[str, float] = {}
    try:
        for _ in range(args.rounds):
            for name, make in (("queue", lambda: None), ("sqlite-full", lambda: SQLiteStore(scratch.path())),
                               ("sqlite-normal", lambda: SQLiteStore(scratch.path(), synchronous="normal")),
                               ("memory", MemoryStore)):
                store = make()
                try:
                    best[name] = max(best.get(name, 0.0), run(store))
                finally:
                    if store is not None:
                        store.close()
    finally:
        scratch.remove()
    print("Webhook with the durable inbox: %d updates, %d clients (child process), kept-alive "
          "connections, best of %d rounds" % (client_args.updates, args.clients, args.rounds))
    for label, name in (("baseline: WebhookServer into a queue, no store", "queue"),
                        ("inbox in SQLiteStore() (synchronous full)", "sqlite-full"),
                        ("inbox in SQLiteStore(synchronous='normal')", "sqlite-normal"),
                        ("inbox in MemoryStore()", "memory")):
        print("  %-58s %9.0f /s  %5.0f%%" % (label, best[name], 100 * best[name] / best["queue"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--updates", type=int, default=20_000)
    parser.add_argument("--threads", type=int, default=50, help="writer threads (store alone)")
    parser.add_argument("--clients", type=int, default=50, help="HTTP clients (webhook)")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each; the best counts")
    parser.add_argument("--only", choices=("store", "webhook"), help="one part only")
    args = parser.parse_args()
    if args.only != "webhook":
        bench_store(args)
    if args.only != "store":
        bench_webhook(args)


if __name__ == "__main__":
    main()

"""A bot with a store: updates per second through DelegatorBot, and through the webhook
receiver with the durable inbox, each beside a baseline without a store in the same run.

1. DelegatorBot: ``--updates`` text messages for ``--chats`` chats go through a queue-fed
   loop (``message_loop(source=queue)``, as ``run_webhook`` feeds it) to a ChatHandler per
   chat that counts in ``self.state``. With a store each batch of 100 is first written to
   the inbox (as polling does), every update is tracked until its delegate saved its
   state in one commit with the update's done mark, and the state is JSON in the store.
   The run fails unless each chat's count is right. Cases: no store (baseline: the state
   an in-memory dict), ``MemoryStore()``, ``SQLiteStore`` (``synchronous="full"``, the
   default, and ``"normal"``).
2. The webhook: ``WebhookServer`` as in ``bench_webhook.py`` (``--clients`` HTTP clients
   in a child process, kept-alive connections), feeding a queue drained by a thread;
   baseline without a store, then ``store=`` (each update durable before its 200). The
   run fails unless every update reached the queue once.

Run: ``python benchmarks/bench_persistence.py [--updates 10000] [--chats 100] [--rounds 3]``
(``--only bot`` or ``--only webhook`` runs one part). Databases go to a temporary
directory (``BENCH_DIR`` chooses where).
"""

import argparse
import collections
import os
import queue
import shutil
import sys
import tempfile
import threading
import time
from typing import Any, Dict, List, Optional

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_webhook  # noqa: E402

from telegrambot import DelegatorBot  # noqa: E402
from telegrambot.delegate import create_open, pave_event_space, per_chat_id  # noqa: E402
from telegrambot.helper import ChatHandler  # noqa: E402
from telegrambot.storage import MemoryStore, SQLiteStore  # noqa: E402
from telegrambot.webhook import WebhookServer  # noqa: E402

_done = threading.Condition()
_counted = [0]


class Counter(ChatHandler):
    def on_chat_message(self, msg: Dict[str, Any]) -> None:
        self.state["count"] = self.state.get("count", 0) + 1
        with _done:
            _counted[0] += 1
            _done.notify_all()


def update(update_id: int, chat_id: int) -> Dict[str, Any]:
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": 1700000000, "text": "hello %d" % update_id,
        "chat": {"id": chat_id, "type": "private", "first_name": "U"},
        "from": {"id": chat_id, "is_bot": False, "first_name": "U"}}}


class Scratch:
    def __init__(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="bench-persistence-", dir=os.environ.get("BENCH_DIR"))
        self.count = 0

    def path(self) -> str:
        self.count += 1
        return os.path.join(self.dir, "db%d.sqlite" % self.count)

    def remove(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def bot_rate(store: Any, updates: int, chats: int) -> float:
    """Updates/s through a DelegatorBot with ``store`` (None: none)."""
    source: queue.Queue[Any] = queue.Queue()
    bot = DelegatorBot("123456:bench", [
        pave_event_space()(per_chat_id(), create_open, Counter, timeout=60),
    ], api_url="http://127.0.0.1:9", store=store)
    batch = [update(n + 1, 1000 + n % chats) for n in range(updates)]
    with _done:
        _counted[0] = 0
    loop = bot.message_loop(source=source, ordered=False)
    try:
        begin = time.perf_counter()
        for first in range(0, updates, 100):
            chunk = batch[first:first + 100]
            if store is not None:
                store.accept(chunk)  # the durable inbox, as polling writes a batch
            for item in chunk:
                source.put(item)
        with _done:
            if not _done.wait_for(lambda: _counted[0] >= updates, 300):
                raise SystemExit("stalled: %d of %d handled" % (_counted[0], updates))
        elapsed = time.perf_counter() - begin
    finally:
        loop.stop()
        bot.stop(10)
    if store is not None:
        deadline = time.monotonic() + 30
        while store.pending() and time.monotonic() < deadline:
            time.sleep(0.01)  # the last done marks: submitted, not waited for
        if store.pending():
            raise SystemExit("updates not marked done")
        record = store.load("chat:%d" % 1000)
        expected = len(range(0, updates, chats))
        if record is None or record.data["count"] != expected:
            raise SystemExit("wrong state: %r, expected count %d" % (record, expected))
    return updates / elapsed


def webhook_rate(store: Any, args: argparse.Namespace) -> float:
    updates: queue.Queue[Optional[dict]] = queue.Queue()
    seen: collections.Counter[int] = collections.Counter()

    def consume() -> None:
        while True:
            item = updates.get()
            if item is None:
                return
            seen[item["update_id"]] += 1

    consumer = threading.Thread(target=consume, daemon=True)
    consumer.start()
    server = WebhookServer(updates, "127.0.0.1", 0, bench_webhook.PATH,
                           secret_token=bench_webhook.SECRET, store=store).start()
    try:
        rate = bench_webhook.measure(server.port, args, True)
    finally:
        server.stop()
        updates.put(None)
        consumer.join()
    if len(seen) != args.updates or set(seen.values()) != {1}:
        raise SystemExit("updates lost or duplicated: %d distinct of %d" % (len(seen), args.updates))
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--updates", type=int, default=10_000)
    parser.add_argument("--chats", type=int, default=100)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3, help="runs of each; the best counts")
    parser.add_argument("--only", choices=("bot", "webhook"))
    args = parser.parse_args()
    scratch = Scratch()
    print("%d updates, %d CPUs, best of %d interleaved rounds" % (
        args.updates, os.cpu_count(), args.rounds))
    try:
        if args.only != "webhook":
            cases = {
                "no store (baseline)": lambda: None,
                "MemoryStore()": MemoryStore,
                'SQLiteStore("bot.db")': lambda: SQLiteStore(scratch.path()),
                'SQLiteStore(..., synchronous="normal")':
                    lambda: SQLiteStore(scratch.path(), synchronous="normal"),
            }
            best: Dict[str, float] = {name: 0.0 for name in cases}
            for _ in range(args.rounds):
                for name, make in cases.items():
                    store = make()
                    try:
                        best[name] = max(best[name], bot_rate(store, args.updates, args.chats))
                    finally:
                        if store is not None:
                            store.close()
            memory = best["MemoryStore()"]
            base = best["no store (baseline)"]
            print("DelegatorBot, %d chats, a ChatHandler each counting in self.state:" % args.chats)
            for name, rate in best.items():
                print("  %-40s %8.0f updates/s  %5.0f%% of no store  %5.0f%% of MemoryStore"
                      % (name, rate, 100 * rate / base, 100 * rate / memory))
        if args.only != "bot":
            webhook: Dict[str, List[float]] = {"no store (baseline)": [], 'store=SQLiteStore("bot.db")': [],
                                               'store=SQLiteStore(..., synchronous="normal")': []}
            for _ in range(args.rounds):
                webhook["no store (baseline)"].append(webhook_rate(None, args))
                for name, kwargs in (('store=SQLiteStore("bot.db")', {}),
                                     ('store=SQLiteStore(..., synchronous="normal")',
                                      {"synchronous": "normal"})):
                    with SQLiteStore(scratch.path(), **kwargs) as store:
                        webhook[name].append(webhook_rate(store, args))
            base = max(webhook["no store (baseline)"])
            print("WebhookServer, %d clients, kept-alive connections:" % args.clients)
            for name, rates in webhook.items():
                print("  %-46s %8.0f updates/s  %5.0f%% of no store"
                      % (name, max(rates), 100 * max(rates) / base))
    finally:
        scratch.remove()


if __name__ == "__main__":
    main()

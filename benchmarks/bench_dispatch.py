"""Dispatch throughput of the queue source, and the scheduler's timing.

    python benchmarks/bench_dispatch.py [N [ROUNDS]]

Updates (dicts, as a webhook receiver would put them) go through ``bot.message_loop(table,
source=q)`` to a routing table whose handlers only count, and through
``bot.message_loop(source=q)`` to the default router (``on_chat_message`` and
``on_callback_query`` methods of a Bot subclass). Printed next to it, measured in the same
run: a bare ``queue.Queue`` put/get pair on one thread, and a bare ``queue.Queue`` hand-off
from a producer thread to a consumer thread, the floors any queue-fed loop stands on (the
second is the one to compare the producer-thread rows with). The bounded rows use a queue
of ``QUEUE_SIZE`` updates, as ``run_webhook`` does. No network: the bot never makes a
request.
"""

import queue
import statistics
import sys
import threading
import time

from telegrambot import Bot


def make_updates(n):
    chat = {"id": 42, "type": "private"}
    updates = []
    for i in range(1, n + 1):
        if i % 10:
            updates.append(
                {
                    "update_id": i,
                    "message": {"message_id": i, "date": 0, "chat": chat, "text": "hi"},
                }
            )
        else:
            updates.append(
                {
                    "update_id": i,
                    "callback_query": {
                        "id": str(i),
                        "from": {"id": 1},
                        "chat_instance": "c",
                        "data": "d",
                    },
                }
            )
    return updates


QUEUE_SIZE = 1000  # run_webhook's queue


def baseline_handoff(updates, maxsize=0):
    """A producer thread puts, this thread gets: the bare two-thread hand-off."""
    q = queue.Queue(maxsize)
    n = len(updates)

    def produce():
        for u in updates:
            q.put(u)

    producer = threading.Thread(target=produce)
    start = time.perf_counter()
    producer.start()
    get = q.get
    for _ in range(n):
        get()
    elapsed = time.perf_counter() - start
    producer.join()
    return n / elapsed


def baseline_pair(n):
    q = queue.Queue()
    item = {"update_id": 1}
    start = time.perf_counter()
    for _ in range(n):
        q.put(item)
        q.get()
    return n / (time.perf_counter() - start)


class Counter:
    def __init__(self, n):
        self.n = n
        self.seen = 0
        self.done = threading.Event()

    def __call__(self, msg):
        self.seen += 1
        if self.seen == self.n:
            self.done.set()


class Routed(Bot):
    """The default router: a method per flavor."""

    counter = None

    def on_chat_message(self, msg):
        self.counter(msg)

    def on_callback_query(self, msg):
        self.counter(msg)


def run_loop(updates, ordered, concurrent, routed=False, maxsize=0):
    bot = (Routed if routed else Bot)("123456:bench", api_url="http://127.0.0.1:9")
    counter = Counter(len(updates))
    table = {"chat": counter, "callback_query": counter}
    if routed:
        bot.counter, table = counter, None
    q = queue.Queue(maxsize)
    if not concurrent:
        for u in updates:
            q.put(u)
    start = time.perf_counter()
    loop = bot.message_loop(table, source=q, ordered=ordered)
    if concurrent:  # a producer thread, as a webhook receiver's connection threads are
        producer = threading.Thread(target=lambda: [q.put(u) for u in updates])
        producer.start()
        producer.join()
    counter.done.wait(60)
    elapsed = time.perf_counter() - start
    loop.stop()
    bot.stop()
    assert counter.seen == len(updates), counter.seen
    return len(updates) / elapsed


def scheduler_lateness(count=200, spacing=0.005):
    bot = Bot("123456:bench", api_url="http://127.0.0.1:9")
    late = []
    done = threading.Event()

    def on_event(event):
        late.append(time.time() - event["_tick"])
        if len(late) == count:
            done.set()

    sched = bot.scheduler
    sched.on_event(on_event)
    sched.run_as_thread()
    now = time.time()
    for i in range(count):
        when = now + 0.05 + i * spacing
        sched.event_at(when, {"_tick": when})
    done.wait(30)
    sched.stop()
    late.sort()
    return late[0], statistics.median(late), late[int(len(late) * 0.99) - 1], late[-1]


def main():
    N = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    updates = make_updates(N)
    print(f"{N:,} updates (9 in 10 messages, 1 in 10 callback queries), best of {ROUNDS} rounds")
    pair = "baseline: bare queue.Queue put+get pair, one thread"
    handoff = "baseline: bare queue.Queue hand-off, producer thread -> consumer"
    cases = {
        pair: lambda: baseline_pair(N),
        handoff: lambda: baseline_handoff(updates),
        handoff + f" (maxsize {QUEUE_SIZE})": lambda: baseline_handoff(updates, QUEUE_SIZE),
    }
    for ordered in (True, False):
        for concurrent in (False, True):
            how = "producer thread" if concurrent else "queue pre-filled"
            name = f"message_loop(table, source=q, ordered={ordered!s:<5}), {how}"
            cases[name] = lambda o=ordered, c=concurrent: run_loop(updates, o, c)
        name = f"message_loop(table, source=q, ordered={ordered!s:<5}), producer, maxsize {QUEUE_SIZE}"
        cases[name] = lambda o=ordered: run_loop(updates, o, True, maxsize=QUEUE_SIZE)
    cases["message_loop(source=q, ordered=False), default router, pre-filled"] = (
        lambda: run_loop(updates, False, False, routed=True))
    best = dict.fromkeys(cases, 0.0)
    for _ in range(ROUNDS):  # interleaved, so a busy moment does not favour one case
        for name, case in cases.items():
            best[name] = max(best[name], case())
    base, base2 = best[pair], best[handoff]
    for name, rate in best.items():
        print(f"  {name:<78} {rate:>10,.0f} /s  ({rate / base:.2f} x pair, "
              f"{rate / base2:.2f} x hand-off)")
    early, p50, p99, worst = scheduler_lateness()
    print(
        f"scheduler, 200 events 5 ms apart: lateness min {early * 1000:.2f} ms, "
        f"median {p50 * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms, max {worst * 1000:.2f} ms"
    )
    assert early >= 0, "an event fired early"


if __name__ == "__main__":
    main()

"""Delegation at scale: many live ChatHandler delegates in one DelegatorBot.

Measures, in one process and one run:

1. dispatch cost of one message with 10,000 live listeners: the indexed hub against a
   scan of every capture (what telepot does), the baseline;
2. resident memory per idle delegate (RSS before and after starting them);
3. messages per second through ``DelegatorBot.handle`` with 100 live delegates (baseline)
   and with 10,000: handlers only count, no network;
4. how long after their idle timeout all delegates have ended (thread count back to the
   baseline);
5. how long ``bot.stop()`` takes to end 10,000 live delegates (target: 2 s at most), with
   the memory the delegation tables keep afterwards.

Run: ``python benchmarks/bench_delegation.py`` (about a minute; ``--help`` for sizes).
"""

import argparse
import itertools
import re
import threading
import time
from typing import Any, Callable, Dict, List

from telegrambot import DelegatorBot
from telegrambot.delegate import create_open, pave_event_space, per_chat_id
from telegrambot.helper import ChatHandler, ListenerHub, match_all

_handled = itertools.count()


def handled() -> int:
    """Messages counted so far (read without counting)."""
    return _handled.__reduce__()[1][0]


class Counter(ChatHandler):
    def on_chat_message(self, msg: Dict[str, Any]) -> None:
        next(_handled)


def rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def message(number: int, chat_id: int) -> Dict[str, Any]:
    return {"message_id": number, "date": 1700000000, "text": "hi",
            "chat": {"id": chat_id, "type": "private", "first_name": "U"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "U"}}


def wait_until(condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("benchmark stalled: condition not met within %.0f s" % timeout)
        time.sleep(0.01)


WIDEN_FUTEX_HASH = False  # --widen-futex-hash


def make_bot(timeout: float, stack_size: int) -> DelegatorBot:
    bot = DelegatorBot("123456:bench", [pave_event_space()(per_chat_id(), create_open, Counter, timeout=timeout)],
                       api_url="http://127.0.0.1:9", thread_stack_size=stack_size,
                       widen_futex_hash=WIDEN_FUTEX_HASH)
    bot.scheduler.on_event(bot.handle)  # idle events take the same path as messages
    bot.scheduler.run_as_thread()
    return bot


def start_delegates(bot: DelegatorBot, chats: int) -> float:
    begin = time.perf_counter()
    target = handled() + chats
    for chat_id in range(1, chats + 1):
        bot.handle(message(0, chat_id))
    wait_until(lambda: handled() >= target, 120)
    return time.perf_counter() - begin


def throughput(bot: DelegatorBot, chats: int, count: int, rounds: int = 3) -> List[float]:
    """Messages/s of each round: ``count`` messages round-robin over the chats, fed to
    ``bot.handle`` and timed until every handler has counted its message."""
    rates = []
    for _ in range(rounds):
        msgs = [message(n, n % chats + 1) for n in range(count)]
        target = handled() + count
        begin = time.perf_counter()
        for msg in msgs:
            bot.handle(msg)
        wait_until(lambda target=target: handled() >= target, 120)
        rates.append(count / (time.perf_counter() - begin))
    return rates


def summary(rates: List[float]) -> str:
    return "best %.0f, median %.0f messages/s" % (max(rates), sorted(rates)[len(rates) // 2])


def dispatch_cost(listeners: int, rounds: int) -> Dict[str, float]:
    """Microseconds to find the listeners of one message: indexed hub vs scanning."""
    hub = ListenerHub()
    patterns: List[Any] = []
    for chat_id in range(1, listeners + 1):
        listener = hub.listener()
        for pattern in ([{"chat": {"id": chat_id}}],
                        [{re.compile("^_.+"): {"source": {"space": 1, "id": chat_id}}}]):
            listener.capture(pattern)
            patterns.append(pattern)
    msgs = [message(n, n % listeners + 1) for n in range(rounds)]
    begin = time.perf_counter()
    for msg in msgs:
        hub.matching(msg)
    indexed = (time.perf_counter() - begin) / rounds * 1e6
    scan_rounds = max(1, rounds // 500)
    begin = time.perf_counter()
    for msg in msgs[:scan_rounds]:
        [p for p in patterns if match_all(msg, p)]
    scanned = (time.perf_counter() - begin) / scan_rounds * 1e6
    return {"indexed": indexed, "scan": scanned}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delegates", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=60_000, help="messages per round (3 rounds)")
    parser.add_argument("--timeout", type=float, default=20.0, help="idle timeout of the delegates")
    parser.add_argument("--stack-size", type=int, default=256 * 1024, help="delegate thread stack (bytes)")
    parser.add_argument("--skip-idle", action="store_true", help="do not wait for the idle timeout")
    parser.add_argument("--stop-only", action="store_true", help="only time bot.stop()")
    parser.add_argument("--widen-futex-hash", action="store_true",
                        help="DelegatorBot(widen_futex_hash=True): the process-wide prctl")
    args = parser.parse_args()
    global WIDEN_FUTEX_HASH
    WIDEN_FUTEX_HASH = args.widen_futex_hash
    if args.stop_only:
        print("stopping %s" % stop_figures(args))
        return
    print("delegation benchmark: %d delegates, 3 x %d messages, idle timeout %.0f s, stack %d KiB, "
          "futex hash %s" % (args.delegates, args.messages, args.timeout, args.stack_size // 1024,
                             "widened (opt-in)" if args.widen_futex_hash else "left alone (default)"))

    cost = dispatch_cost(args.delegates, 20_000)
    print("dispatch of one message among %d listeners: indexed %.1f us, scan of every capture "
          "(baseline) %.0f us" % (args.delegates, cost["indexed"], cost["scan"]))

    small = make_bot(60, args.stack_size)
    start_delegates(small, 100)
    rates = throughput(small, 100, args.messages)
    small.stop(5)
    print("throughput with 100 live delegates (baseline): %s" % summary(rates))

    threads_before = threading.active_count()
    rss_before = rss_kib()
    bot = make_bot(args.timeout, args.stack_size)
    spawn = start_delegates(bot, args.delegates)
    time.sleep(0.5)  # let every delegate settle into waiting
    rss_after = rss_kib()
    per_delegate = (rss_after - rss_before) / args.delegates
    print("started %d delegates in %.1f s; RSS %d -> %d KiB: %.1f KiB per idle delegate"
          % (args.delegates, spawn, rss_before, rss_after, per_delegate))

    rates = throughput(bot, args.delegates, args.messages)
    last_message = time.monotonic()
    print("throughput with %d live delegates: %s (%d delegates alive)"
          % (args.delegates, summary(rates), bot.delegate_count()))

    if not args.skip_idle:
        wait_until(lambda: threading.active_count() <= threads_before + 1, args.timeout + 60)
        ended = time.monotonic() - last_message
        print("all delegates ended %.1f s after the last message (idle timeout %.0f s: %.1f s "
              "after it); threads %d -> %d" % (ended, args.timeout, ended - args.timeout,
                                               threads_before, threading.active_count() - 1))
    bot.stop(30)
    print("stopping %s" % stop_figures(args))


def stop_figures(args: argparse.Namespace) -> str:
    """Time ``bot.stop()`` with ``--delegates`` live delegates (best of two rounds)."""
    took = []
    for _ in range(2):
        threads_before = threading.active_count()
        bot = make_bot(600, args.stack_size)
        start_delegates(bot, args.delegates)
        alive = bot.delegate_count()
        begin = time.perf_counter()
        bot.stop(30)
        took.append(time.perf_counter() - begin)
        wait_until(lambda before=threads_before: threading.active_count() <= before, 30)
        left = bot.delegate_count()
    return ("%d live delegates: best %.2f s, worst %.2f s (target 2 s); %d alive after, threads "
            "back to %d" % (alive, min(took), max(took), left, threading.active_count()))


if __name__ == "__main__":
    main()

"""Delegation on asyncio against threads: memory per live delegate and dispatch rate.

Measures, in one process and one run, each beside the threaded DelegatorBot's figure:

1. memory per live, idle ``ChatHandler`` delegate (``pave_event_space()(per_chat_id(),
   create_open, ChatHandler, timeout=3600)``: its idle deadline is kept): ``--delegates``
   asyncio delegates (default 100,000) against ``--threaded-delegates`` threaded ones
   (default 2,000: a thread each), as Python objects traced by ``tracemalloc`` (the same
   measure for both) and as the growth of the resident set (RSS), which for threads also
   counts their stacks. Target: 6 KiB per asyncio delegate.
2. messages per second through ``DelegatorBot.handle``, round-robin over ``--live`` live
   delegates (default 1,000): every message fed, then timed until every handler counted
   its message (the asyncio bot in its event loop, the threaded one from the main thread
   to the delegate threads); and the same as updates put in the queue of the bot's
   ``message_loop(source=..., ordered=False)``, whose loop hands them to ``handle``.
   Target: 50,000 per second for asyncio.

No network: the handlers only count. Run:
``python benchmarks/bench_aio_delegation.py [--delegates 100000] [--live 1000]``
(about a minute).
"""

import argparse
import asyncio
import gc
import os
import queue
import sys
import threading
import time
import tracemalloc
from typing import Any, Callable, Dict, List

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# the threaded side is bench_delegation.py's: its bot, handler, counter and rounds
from bench_delegation import (  # noqa: E402
    _handled,
    handled,
    make_bot,
    message,
    rss_kib,
    start_delegates,
    summary,
    throughput,
)

from telegrambot.aio import helper as aio_helper  # noqa: E402
from telegrambot.aio.delegate import DelegatorBot, create_open, pave_event_space, per_chat_id  # noqa: E402

TOKEN = "123456:bench"
API_URL = "http://127.0.0.1:9"  # never called: the handlers only count


class AioCounter(aio_helper.ChatHandler):
    def on_chat_message(self, msg: Dict[str, Any]) -> None:
        next(_handled)


async def settle(condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("benchmark stalled: condition not met within %.0f s" % timeout)
        await asyncio.sleep(0)


# ------------------------------------------------------------------ asyncio


def aio_bot(timeout: float) -> DelegatorBot:
    return DelegatorBot(TOKEN, [pave_event_space()(per_chat_id(), create_open, AioCounter,
                                                   timeout=timeout)], api_url=API_URL)


async def aio_start(bot: DelegatorBot, first: int, chats: int) -> None:
    target = handled() + chats
    for chat_id in range(first, first + chats):
        bot.handle(message(0, chat_id))
        if chat_id % 1000 == 0:
            await asyncio.sleep(0)  # let the new tasks run to their first wait
    await settle(lambda: handled() >= target, 300)


async def aio_memory(chats: int) -> Dict[str, float]:
    bot = aio_bot(3600)
    await aio_start(bot, 1, 100)  # the first delegate's one-off costs (code, caches)
    gc.collect()
    rss_before = rss_kib()
    traced_before = tracemalloc.get_traced_memory()[0]
    await aio_start(bot, 1000, chats)
    gc.collect()
    traced = tracemalloc.get_traced_memory()[0] - traced_before
    rss = rss_kib() - rss_before
    alive = bot.delegate_count()
    await bot.stop_delegates(60)
    return {"traced": traced / chats / 1024, "rss": rss / chats, "alive": alive,
            "left": bot.delegate_count()}


async def aio_rate(live: int, count: int, rounds: int) -> List[float]:
    bot = aio_bot(3600)
    await aio_start(bot, 1, live)
    rates = []
    for _ in range(rounds):
        msgs = [message(n, n % live + 1) for n in range(count)]
        target = handled() + count
        begin = time.perf_counter()
        for i, msg in enumerate(msgs):
            bot.handle(msg)
            if i % 256 == 255:
                await asyncio.sleep(0)  # as a loop hands updates over: delegates run between
        await settle(lambda target=target: handled() >= target, 120)
        rates.append(count / (time.perf_counter() - begin))
    await bot.stop_delegates(30)
    return rates


def round_updates(round_: int, live: int, count: int) -> List[Dict[str, Any]]:
    """The updates of one round: ``count`` messages round-robin over ``live`` chats."""
    first = 1 + round_ * count
    return [{"update_id": first + n, "message": message(n, n % live + 1)} for n in range(count)]


async def aio_loop_rate(live: int, count: int, rounds: int) -> List[float]:
    """The same through the bot's queue-fed message loop (``source=asyncio.Queue``,
    unordered): updates put in the queue, the loop task hands each to ``handle``."""
    bot = aio_bot(3600)
    source: asyncio.Queue[Any] = asyncio.Queue()
    loop = bot.message_loop(source=source, ordered=False)
    await aio_start(bot, 1, live)
    rates = []
    for round_ in range(rounds):
        updates = round_updates(round_, live, count)
        target = handled() + count
        begin = time.perf_counter()
        for update in updates:
            source.put_nowait(update)
        await settle(lambda target=target: handled() >= target, 120)
        rates.append(count / (time.perf_counter() - begin))
    await loop.stop()
    await bot.stop()
    return rates


def threaded_loop_rate(live: int, count: int, rounds: int) -> List[float]:
    bot = make_bot(3600, 256 * 1024)
    source: queue.Queue[Any] = queue.Queue()
    bot.message_loop(source=source, ordered=False)
    start_delegates(bot, live)
    rates = []
    for round_ in range(rounds):
        updates = round_updates(round_, live, count)
        target = handled() + count
        begin = time.perf_counter()
        for update in updates:
            source.put(update)
        while handled() < target:
            if time.perf_counter() - begin > 120:
                raise SystemExit("benchmark stalled: updates not handled")
            time.sleep(0.002)
        rates.append(count / (time.perf_counter() - begin))
    bot.stop(30)
    return rates


# ------------------------------------------------------------------ threads


def threaded_memory(chats: int) -> Dict[str, float]:
    bot = make_bot(3600, 256 * 1024)
    start_delegates(bot, 100)
    time.sleep(0.2)
    gc.collect()
    rss_before = rss_kib()
    traced_before = tracemalloc.get_traced_memory()[0]
    begin = time.perf_counter()
    target = handled() + chats
    for chat_id in range(1000, 1000 + chats):
        bot.handle(message(0, chat_id))
    while handled() < target:
        if time.perf_counter() - begin > 300:
            raise SystemExit("benchmark stalled: delegates did not start")
        time.sleep(0.01)
    time.sleep(0.5)  # every delegate settles into waiting
    gc.collect()
    traced = tracemalloc.get_traced_memory()[0] - traced_before
    rss = rss_kib() - rss_before
    alive = bot.delegate_count()
    bot.stop(60)
    return {"traced": traced / chats / 1024, "rss": rss / chats, "alive": alive,
            "left": bot.delegate_count()}


def threaded_rate(live: int, count: int, rounds: int) -> List[float]:
    bot = make_bot(3600, 256 * 1024)
    start_delegates(bot, live)
    rates = throughput(bot, live, count, rounds)
    bot.stop(30)
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delegates", type=int, default=100_000, help="asyncio delegates")
    parser.add_argument("--threaded-delegates", type=int, default=2_000)
    parser.add_argument("--live", type=int, default=1_000, help="live delegates while dispatching")
    parser.add_argument("--messages", type=int, default=100_000, help="messages per round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print("asyncio delegation benchmark (%s, Python %s)" % (sys.platform, sys.version.split()[0]))

    # RSS first, without tracemalloc (whose own records would count), then traced
    aio = asyncio.run(aio_memory(args.delegates))
    threaded = threaded_memory(args.threaded_delegates)
    tracemalloc.start()
    aio["traced"] = asyncio.run(aio_memory(args.delegates))["traced"]
    threaded["traced"] = threaded_memory(args.threaded_delegates)["traced"]
    tracemalloc.stop()
    print("memory per live idle delegate: Python objects (tracemalloc, a run of its own) and growth "
          "of the resident set (RSS, a run without tracemalloc):\n"
          "  asyncio  %7d delegates: %5.2f KiB each (target 6 KiB); RSS %5.2f KiB each; %d alive, "
          "%d after stop\n"
          "  threaded %7d delegates: %5.2f KiB each (baseline); RSS %5.2f KiB each with their "
          "256 KiB stacks; %d alive, %d after stop"
          % (args.delegates, aio["traced"], aio["rss"], aio["alive"], aio["left"],
             args.threaded_delegates, threaded["traced"], threaded["rss"], threaded["alive"],
             threaded["left"]))

    gc.collect()
    rates = asyncio.run(aio_rate(args.live, args.messages, args.rounds))
    print("dispatch through DelegatorBot.handle, %d live delegates, %d x %d messages:\n"
          "  asyncio  %s (target 50,000)" % (args.live, args.rounds, args.messages, summary(rates)))
    rates = threaded_rate(args.live, args.messages, args.rounds)
    print("  threaded %s (baseline)" % summary(rates))
    rates = asyncio.run(aio_loop_rate(args.live, args.messages, args.rounds))
    print("the same through message_loop(source=queue, ordered=False):\n"
          "  asyncio  %s (target 50,000)" % summary(rates))
    rates = threaded_loop_rate(args.live, args.messages, args.rounds)
    print("  threaded %s (baseline)" % summary(rates))
    print("threads left: %d" % (threading.active_count() - 1))


if __name__ == "__main__":
    main()

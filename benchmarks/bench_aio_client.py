"""The asyncio runtime: a sendMessage round trip, loop dispatch, and import time.

    python benchmarks/bench_aio_client.py [--calls 2000] [--rounds 5] [--updates 200000]

1. ``await bot.sendMessage(...)`` of a :class:`telegrambot.aio.Bot` against a raw aiohttp
   POST of the same body on one ``aiohttp.ClientSession``, both to the same emulator (its own
   process, over loopback), interleaved in rounds in one event loop (target: ratio <= 1.10).
2. Dispatch: updates pre-filled in an ``asyncio.Queue`` through ``bot.message_loop(table,
   source=q)`` to handlers that only count (a plain function, and an ``async def``), ordered
   and not; beside it, in the same run, a bare ``asyncio.Queue`` get loop and the threaded
   runtime's same loop (target: >= 50,000 updates/s).
3. Import time in fresh interpreters with compiled bytecode: ``import aiohttp`` alone, and
   ``import aiohttp`` + ``from telegrambot.aio import Bot`` (what an asyncio bot pays before
   its first request; target: at most 25 ms more).
"""

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import aiohttp  # noqa: E402
from bench_client import EmulatorProcess  # noqa: E402
from bench_dispatch import make_updates  # noqa: E402
from bench_dispatch import run_loop as threaded_loop  # noqa: E402

from telegrambot.aio import Bot  # noqa: E402


async def round_trips(emu, calls, rounds):
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100),
                                     cookie_jar=aiohttp.DummyCookieJar()) as session:
        async with session.post(emu.api_url + "/_emulator/send",
                                json={"user": "Alice", "text": "hi"}) as r:
            chat_id = (await r.json())["result"]["chat"]["id"]
        url = "%s/bot%s/sendMessage" % (emu.api_url, emu.token)
        body = json.dumps({"chat_id": chat_id, "text": "benchmark"}, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json"}

        async def raw():
            async with session.post(url, data=body, headers=headers) as r:
                assert json.loads(await r.read())["ok"]

        async with Bot(emu.token, emu.api_url) as bot:
            async def library():
                await bot.sendMessage(chat_id, "benchmark")

            runs = [("raw aiohttp POST (baseline)", raw), ("telegrambot.aio Bot.sendMessage", library)]
            for _, fn in runs:  # warm up connections and caches
                for _ in range(200):
                    await fn()
            times = {name: [] for name, _ in runs}
            for _ in range(rounds):
                for name, fn in runs:
                    start = time.perf_counter()
                    for _ in range(calls):
                        await fn()
                    times[name].append((time.perf_counter() - start) / calls)
    medians = {name: statistics.median(t) * 1e6 for name, t in times.items()}
    print("sendMessage round trip to the emulator in another process, %d calls x %d rounds"
          % (calls, rounds))
    for name, _ in runs:
        print("  %-34s %8.1f us/call" % (name + ":", medians[name]))
    print("  ratio library/raw:                 %8.3f  (target <= 1.10)"
          % (medians["telegrambot.aio Bot.sendMessage"] / medians["raw aiohttp POST (baseline)"]))


async def bare_queue(updates):
    q = asyncio.Queue()
    for u in updates:
        q.put_nowait(u)
    get = q.get
    start = time.perf_counter()
    for _ in range(len(updates)):
        await get()
    return len(updates) / (time.perf_counter() - start)


async def aio_loop(updates, ordered, coroutine_handler):
    bot = Bot("123456:bench", api_url="http://127.0.0.1:9")
    n = len(updates)
    seen = [0]
    done = asyncio.Event()

    def count(msg):
        seen[0] += 1
        if seen[0] == n:
            done.set()

    async def count_async(msg):
        count(msg)

    handler = count_async if coroutine_handler else count
    q = asyncio.Queue()
    for u in updates:
        q.put_nowait(u)
    start = time.perf_counter()
    bot.message_loop({"chat": handler, "callback_query": handler}, source=q, ordered=ordered)
    await asyncio.wait_for(done.wait(), 120)
    elapsed = time.perf_counter() - start
    await bot.stop()
    assert seen[0] == n
    return n / elapsed


def dispatch(n, rounds):
    updates = make_updates(n)
    cases = {"baseline: bare asyncio.Queue get loop, pre-filled": lambda: asyncio.run(bare_queue(updates))}
    for ordered in (False, True):
        cases["baseline: threaded message_loop(table, source=q, ordered=%-5s), pre-filled" % ordered] = (
            lambda o=ordered: threaded_loop(updates, o, False))
        for coro in (False, True):
            kind = "async def" if coro else "function"
            cases["aio message_loop(table, source=q, ordered=%-5s), %-9s handler" % (ordered, kind)] = (
                lambda o=ordered, c=coro: asyncio.run(aio_loop(updates, o, c)))
    best = dict.fromkeys(cases, 0.0)
    for _ in range(rounds):  # interleaved, so a busy moment does not favour one case
        for name, case in cases.items():
            best[name] = max(best[name], case())
    print("dispatch of %s updates (9 in 10 messages), best of %d rounds" % (format(n, ","), rounds))
    threaded = best["baseline: threaded message_loop(table, source=q, ordered=False), pre-filled"]
    for name, rate in best.items():
        print("  %-76s %10s /s  (%.2f x threaded unordered)" % (name, format(round(rate), ","),
                                                                rate / threaded))
    print("  target: >= 50,000 /s")


def import_times(runs):
    subprocess.run([sys.executable, "-m", "compileall", "-q", os.path.join(ROOT, "telegrambot")],
                   check=True)
    env = dict(os.environ, PYTHONPATH=ROOT)
    env.pop("PYTHONDONTWRITEBYTECODE", None)

    def timed(code):
        out = subprocess.run(
            [sys.executable, "-c",
             "import time; t = time.perf_counter(); %s; print(time.perf_counter() - t)" % code],
            env=env, capture_output=True, text=True, check=True)
        return float(out.stdout.strip())

    cases = [("import aiohttp (baseline)", "import aiohttp"),
             ("import aiohttp; from telegrambot.aio import Bot",
              "import aiohttp; from telegrambot.aio import Bot"),
             ("from telegrambot.aio import Bot (no aiohttp yet)", "from telegrambot.aio import Bot"),
             ("import telegrambot", "import telegrambot")]
    samples = {name: [] for name, _ in cases}
    for _ in range(runs):  # interleaved
        for name, code in cases:
            samples[name].append(timed(code))
    medians = {name: statistics.median(s) * 1e3 for name, s in samples.items()}
    print("import time, median of %d fresh interpreters (bytecode compiled)" % runs)
    for name, _ in cases:
        print("  %-50s %6.1f ms" % (name + ":", medians[name]))
    extra = medians[cases[1][0]] - medians[cases[0][0]]
    print("  telegrambot.aio on top of aiohttp:                 %+6.1f ms  (target <= +25)" % extra)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--updates", type=int, default=200_000)
    parser.add_argument("--dispatch-rounds", type=int, default=3)
    parser.add_argument("--import-runs", type=int, default=9)
    args = parser.parse_args()
    emu = EmulatorProcess()
    try:
        asyncio.run(round_trips(emu, args.calls, args.rounds))
    finally:
        emu.close()
    dispatch(args.updates, args.dispatch_rounds)
    import_times(args.import_runs)


if __name__ == "__main__":
    main()

"""The polling path: updates per second through ``bot.message_loop()`` from the emulator.

    python benchmarks/bench_polling.py [N]

N updates (default 20,000) wait in the emulator; getUpdates hands out 100 at a time.
Baselines measured in the same run, over the same loopback HTTP server:
  * raw urllib3: POST getUpdates with the next offset, json-decode, nothing else;
  * a bare loop over ``bot.getUpdates()`` that only counts (the client, no loop machinery).
The message_loop figure adds offset management, flavoring and dispatch to a handler.
"""

import json
import sys
import threading
import time

import urllib3

from telegrambot.testing import Emulator

N = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000


def fill(emu, n):
    chat = {"id": 42, "type": "private"}
    for i in range(n):
        emu.push_update("message", {"message_id": i + 1, "date": 0, "chat": chat, "text": "hi"})


def drain_raw(emu, n):
    http = urllib3.PoolManager(maxsize=1)
    url = f"{emu.api_url}/bot{emu.token}/getUpdates"
    offset, seen = None, 0
    start = time.perf_counter()
    while seen < n:
        body = json.dumps({"offset": offset, "timeout": 0} if offset else {"timeout": 0})
        answer = json.loads(
            http.request("POST", url, body=body, headers={"Content-Type": "application/json"}).data
        )
        for update in answer["result"]:
            seen += 1
            offset = update["update_id"] + 1
    elapsed = time.perf_counter() - start
    http.request(
        "POST",
        url,
        body=json.dumps({"offset": offset, "timeout": 0}),
        headers={"Content-Type": "application/json"},
    )  # confirm the last batch
    return n / elapsed


def drain_client(emu, n):
    bot = emu.make_bot()
    offset, seen = None, 0
    start = time.perf_counter()
    while seen < n:
        for update in bot.getUpdates(offset=offset, timeout=0):
            seen += 1
            offset = update["update_id"] + 1
    elapsed = time.perf_counter() - start
    bot.getUpdates(offset=offset, timeout=0)
    bot.close_connections()
    return n / elapsed


def drain_loop(emu, n):
    bot = emu.make_bot()
    done = threading.Event()
    seen = [0]

    def handle(msg):
        seen[0] += 1
        if seen[0] == n:
            done.set()

    start = time.perf_counter()
    bot.message_loop({"chat": handle}, timeout=20)
    done.wait(120)
    elapsed = time.perf_counter() - start
    bot.stop()
    bot.close_connections()
    assert seen[0] == n, seen[0]
    return n / elapsed


def main():
    print(f"{N:,} updates from the emulator, 100 per getUpdates, best of 5 runs")
    drains = {
        "raw urllib3 getUpdates loop (baseline)": drain_raw,
        "bot.getUpdates() loop, counting only": drain_client,
        "bot.message_loop({'chat': handler})": drain_loop,
    }
    with Emulator() as emu:
        fill(emu, 1000)
        drain_loop(emu, 1000)  # warm up: imports, first connections
        results = dict.fromkeys(drains, 0.0)
        for _ in range(5):  # interleaved, so a busy moment does not favour one
            for name, drain in drains.items():
                fill(emu, N)
                results[name] = max(results[name], drain(emu, N))
        base = results["raw urllib3 getUpdates loop (baseline)"]
        for name, rate in results.items():
            print(f"  {name:<42} {rate:>9,.0f} updates/s  ({rate / base:.2f} x baseline)")


if __name__ == "__main__":
    main()

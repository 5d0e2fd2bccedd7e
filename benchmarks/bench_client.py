"""Client overhead: a sendMessage round trip against a raw urllib3 POST of the same body.

Both go to the same emulator over loopback in the same run, interleaved in rounds so a
busy machine slows both alike; the figure that matters is the ratio (target <= 1.10).
Also times ``import telegrambot`` (and first use of ``telegrambot.Bot``) in fresh
interpreters with compiled bytecode, as an installed package has.

    python benchmarks/bench_client.py [--calls 2000] [--rounds 5]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import urllib3

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from telegrambot.testing import Emulator  # noqa: E402


def bench_round_trips(calls: int, rounds: int) -> None:
    with Emulator() as emu:
        alice = emu.user("Alice")
        bot = emu.make_bot()
        pool = urllib3.PoolManager(maxsize=1).connection_from_url(emu.api_url)
        path = "/bot%s/sendMessage" % emu.token
        body = json.dumps({"chat_id": alice.id, "text": "benchmark"}, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json"}

        def raw() -> None:
            r = pool.urlopen("POST", path, body=body, headers=headers, retries=False)
            answer = json.loads(r.data)
            assert answer["ok"]

        def library() -> None:
            bot.sendMessage(alice.id, "benchmark")

        for fn in (raw, library):  # warm up connections and caches
            for _ in range(200):
                fn()
        raw_times, lib_times = [], []
        for _ in range(rounds):
            for fn, sink in ((raw, raw_times), (library, lib_times)):
                start = time.perf_counter()
                for _ in range(calls):
                    fn()
                sink.append((time.perf_counter() - start) / calls)
        bot.close_connections()
    raw_us = statistics.median(raw_times) * 1e6
    lib_us = statistics.median(lib_times) * 1e6
    print("sendMessage round trip, %d calls x %d rounds (median of rounds)" % (calls, rounds))
    print("  raw urllib3 POST (baseline): %8.1f us/call" % raw_us)
    print("  telegrambot Bot.sendMessage: %8.1f us/call" % lib_us)
    print("  ratio library/raw:           %8.3f  (target <= 1.10)" % (lib_us / raw_us))


def bench_import(runs: int) -> None:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    subprocess.run([sys.executable, "-m", "compileall", "-q", os.path.join(root, "telegrambot")], check=True)
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = root

    def timed(code: str) -> float:
        out = subprocess.run(
            [sys.executable, "-c", "import time; t = time.perf_counter(); %s; print(time.perf_counter() - t)" % code],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        return float(out.stdout.strip())

    baseline = statistics.median(timed("import json") for _ in range(runs))
    plain = statistics.median(timed("import telegrambot") for _ in range(runs))
    bot = statistics.median(timed("import telegrambot; telegrambot.Bot") for _ in range(runs))
    raw = statistics.median(timed("import urllib3") for _ in range(runs))
    print("import time, median of %d fresh interpreters (bytecode compiled)" % runs)
    print("  import json (baseline):              %6.1f ms" % (baseline * 1e3))
    print("  import urllib3 (the dependency):     %6.1f ms" % (raw * 1e3))
    print("  import telegrambot:                  %6.1f ms  (target < 100)" % (plain * 1e3))
    print("  import telegrambot; telegrambot.Bot: %6.1f ms" % (bot * 1e3))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--import-runs", type=int, default=9)
    args = parser.parse_args()
    bench_round_trips(args.calls, args.rounds)
    bench_import(args.import_runs)


if __name__ == "__main__":
    main()

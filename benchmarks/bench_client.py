"""Client overhead: a sendMessage round trip against a raw urllib3 POST of the same body.

Both go to the same emulator (its own process, over loopback) in the same run,
interleaved in rounds so a busy machine slows both alike; the figure that matters is
the ratio (target <= 1.10). A raw POST with the library's timeouts is shown too: a
socket with a timeout costs a poll() per send and receive.
A Bot with a rate limiter whose limits are never reached shows what flood control's own
bookkeeping costs (the emulator runs with --no-flood). Also times ``import telegrambot`` (and first use of ``telegrambot.Bot``) in fresh
interpreters with compiled bytecode, as an installed package has.

    python benchmarks/bench_client.py [--calls 2000] [--rounds 5]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time

import urllib3

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from telegrambot.bot import Bot  # noqa: E402
from telegrambot.core.limits import FloodLimits, Limit  # noqa: E402
from telegrambot.ratelimit import RateLimiter  # noqa: E402


class EmulatorProcess:
    """``python -m telegrambot emulator`` in a child process: the server does not share
    this process's GIL with the client, as a real (remote) Bot API server would not."""

    def __init__(self) -> None:
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        self.proc = subprocess.Popen(
            # --no-flood: thousands of messages a second into one chat measure the client,
            # they are far over Telegram's limits on purpose
            [sys.executable, "-m", "telegrambot", "emulator", "--port", "0", "--no-stdin",
             "--no-flood"],
            cwd=root,
            stdout=subprocess.PIPE,
            text=True,
        )
        lines = [self.proc.stdout.readline() for _ in range(2)]
        self.api_url = lines[0].split(" at ")[1].strip()
        self.token = lines[1].split(": ", 1)[1].strip()
        # the emulator prints every message the bot sends: drain it
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def bench_round_trips(calls: int, rounds: int) -> None:
    emu = EmulatorProcess()
    try:
        http = urllib3.PoolManager(maxsize=1)
        pool = http.connection_from_url(emu.api_url)
        answer = json.loads(
            pool.urlopen("POST", "/_emulator/send", body=b'{"user":"Alice","text":"hi"}',
                         headers={"Content-Type": "application/json"}).data
        )
        chat_id = answer["result"]["chat"]["id"]
        bot = Bot(emu.token, api_url=emu.api_url)
        huge = Limit(1e12, 1.0, 10 ** 9)
        limited = Bot(emu.token, api_url=emu.api_url, rate_limiter=RateLimiter(
            FloodLimits(overall=huge, private=huge, group=huge, paid=huge)))
        path = "/bot%s/sendMessage" % emu.token
        body = json.dumps({"chat_id": chat_id, "text": "benchmark"}, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json"}
        same_timeout = bot.transport.timeout

        def raw() -> None:
            r = pool.urlopen("POST", path, body=body, headers=headers, retries=False)
            assert json.loads(r.data)["ok"]

        def raw_with_timeout() -> None:
            r = pool.urlopen("POST", path, body=body, headers=headers, retries=False, timeout=same_timeout)
            assert json.loads(r.data)["ok"]

        def library() -> None:
            bot.sendMessage(chat_id, "benchmark")

        three = {"parse_mode": "HTML", "protect_content": True,
                 "link_preview_options": {"is_disabled": True}}
        with_defaults = Bot(emu.token, api_url=emu.api_url, defaults=three)

        def library_explicit() -> None:
            bot.sendMessage(chat_id, "benchmark", **three)

        def library_defaults() -> None:
            with_defaults.sendMessage(chat_id, "benchmark")

        def library_limited() -> None:
            limited.sendMessage(chat_id, "benchmark")

        runs = [("raw urllib3 POST (baseline)", raw),
                ("raw urllib3 POST, same timeouts", raw_with_timeout),
                ("telegrambot Bot.sendMessage", library),
                ("  + 3 parameters given", library_explicit),
                ("  + the 3 from Bot(defaults=...)", library_defaults),
                ("  rate limiter on (never reached)", library_limited)]
        for _, fn in runs:  # warm up connections and caches
            for _ in range(200):
                fn()
        times: dict = {name: [] for name, _ in runs}
        for _ in range(rounds):
            for name, fn in runs:
                start = time.perf_counter()
                for _ in range(calls):
                    fn()
                times[name].append((time.perf_counter() - start) / calls)
        bot.close_connections()
        with_defaults.close_connections()
        limited.close_connections()
    finally:
        emu.close()
    medians = {name: statistics.median(t) * 1e6 for name, t in times.items()}
    print("sendMessage round trip to the emulator in another process, %d calls x %d rounds" % (calls, rounds))
    for name, _ in runs:
        print("  %-34s %8.1f us/call" % (name + ":", medians[name]))
    lib = medians["telegrambot Bot.sendMessage"]
    print("  ratio library/raw:                 %8.3f  (target <= 1.10)" % (lib / medians["raw urllib3 POST (baseline)"]))
    print("  ratio library/raw, same timeouts:  %8.3f" % (lib / medians["raw urllib3 POST, same timeouts"]))
    print("  ratio defaults/given parameters:   %8.3f  (the same request either way)"
          % (medians["  + the 3 from Bot(defaults=...)"] / medians["  + 3 parameters given"]))
    print("  ratio limiter on/off:              %8.3f" % (medians["  rate limiter on (never reached)"] / lib))


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

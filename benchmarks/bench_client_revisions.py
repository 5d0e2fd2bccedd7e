"""Two revisions of the client side by side: ``Bot.sendMessage`` of each, interleaved in one
process against one emulator, beside a raw urllib3 POST of the same body (the baseline).

    python benchmarks/bench_client_revisions.py main HEAD [--calls 300] [--rounds 40]

Each revision's ``telegrambot`` package is taken with ``git archive`` into a temporary
directory under a name of its own, so that both load in this interpreter. Rounds alternate
the cases (and their order), so that a busy machine slows all of them alike: on a shared
machine this tells a change in the client's own cost from the load far better than runs of
``bench_client.py`` one after the other. Prints the median wall time and this process's CPU
time per call, each revision's median per-round ratio to the baseline, and B's to A's.
The emulator is this working tree's (``python -m telegrambot emulator``, its own process).
"""

import argparse
import importlib
import io
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time

import urllib3

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def extract(rev: str, name: str, into: str) -> None:
    """The package of ``rev`` as ``into/name``, its lazy submodule lookup made relative."""
    archive = subprocess.run(["git", "archive", rev, "telegrambot"], cwd=ROOT, check=True,
                             capture_output=True).stdout
    staging = os.path.join(into, "staging-" + name)
    safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(staging, **safe)
    os.rename(os.path.join(staging, "telegrambot"), os.path.join(into, name))
    init = os.path.join(into, name, "__init__.py")
    with open(init, encoding="utf-8") as f:
        text = f.read()
    with open(init, "w", encoding="utf-8") as f:
        f.write(text.replace('"telegrambot." + name', '__name__ + "." + name'))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", help="the revision measured first (such as main)")
    parser.add_argument("b", help="the revision compared with it (such as HEAD)")
    parser.add_argument("--calls", type=int, default=300, help="calls per case per round")
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="telegrambot-revisions-") as scratch:
        run(args, scratch)


def run(args: argparse.Namespace, scratch: str) -> None:
    extract(args.a, "rev_a", scratch)
    extract(args.b, "rev_b", scratch)
    sys.path.insert(0, scratch)
    bots = {label: importlib.import_module(package + ".bot").Bot
            for label, package in (("A " + args.a, "rev_a"), ("B " + args.b, "rev_b"))}

    emu = subprocess.Popen([sys.executable, "-m", "telegrambot", "emulator", "--port", "0",
                            "--no-stdin", "--no-flood"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        lines = [emu.stdout.readline() for _ in range(2)]
        api_url = lines[0].split(" at ")[1].strip()
        token = lines[1].split(": ", 1)[1].strip()
        threading.Thread(target=emu.stdout.read, daemon=True).start()  # the transcript
        pool = urllib3.PoolManager(maxsize=1).connection_from_url(api_url)
        chat_id = json.loads(pool.urlopen(
            "POST", "/_emulator/send", body=b'{"user":"Alice","text":"hi"}',
            headers={"Content-Type": "application/json"}).data)["result"]["chat"]["id"]
        path = "/bot%s/sendMessage" % token
        body = json.dumps({"chat_id": chat_id, "text": "benchmark"}, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json"}
        timeout = urllib3.Timeout(connect=10.0, read=60.0)  # the library's default timeouts

        def raw() -> None:
            answer = pool.urlopen("POST", path, body=body, headers=headers, retries=False, timeout=timeout)
            assert json.loads(answer.data)["ok"]

        cases = [("baseline: raw urllib3 POST", raw)]
        for label, bot_class in bots.items():
            bot = bot_class(token, api_url=api_url)
            cases.append((label, lambda bot=bot: bot.sendMessage(chat_id, "benchmark")))
        for _, fn in cases:  # warm up connections and caches
            for _ in range(300):
                fn()
        wall = {name: [] for name, _ in cases}
        cpu = {name: [] for name, _ in cases}
        for number in range(args.rounds):
            for name, fn in (cases if number % 2 == 0 else cases[::-1]):
                started, used = time.perf_counter(), time.process_time()
                for _ in range(args.calls):
                    fn()
                wall[name].append((time.perf_counter() - started) / args.calls * 1e6)
                cpu[name].append((time.process_time() - used) / args.calls * 1e6)
    finally:
        emu.terminate()
        emu.wait(10)
    base = cases[0][0]
    label_a, label_b = cases[1][0], cases[2][0]
    print("sendMessage round trips, %d calls x %d rounds, interleaved in one process"
          % (args.calls, args.rounds))
    for name, _ in cases:
        ratio = statistics.median(w / r for w, r in zip(wall[name], wall[base]))
        print("  %-30s %7.1f us/call wall  %6.1f us/call CPU  ratio to baseline %.3f"
              % (name + ":", statistics.median(wall[name]), statistics.median(cpu[name]), ratio))
    print("  B/A per round, median:         %.3f  (CPU per call B - A: %+.1f us)"
          % (statistics.median(b / a for a, b in zip(wall[label_a], wall[label_b])),
             statistics.median(cpu[label_b]) - statistics.median(cpu[label_a])))


if __name__ == "__main__":
    main()

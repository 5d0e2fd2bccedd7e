"""Uploads: a ``sendDocument`` of a file from disk, with and without a progress callback,
against a raw urllib3 POST of the same multipart body (the baseline), and a
``sendDocument`` of a file_id string (which is checked against the disk first) against
``sendMessage``. With ``--against REV`` (such as main), the same two calls of that
revision's Bot (taken with ``git archive``) run in the same rounds, for a before/after.

The emulator runs in its own process (as in bench_client.py); the cases interleave in
rounds so a busy machine slows them alike: the ratios are what to read.

    python benchmarks/bench_upload.py [--size-mb 4] [--calls 20] [--rounds 5] [--against main]
"""

import argparse
import json
import os
import pathlib
import statistics
import sys
import tempfile
import time

import urllib3

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench_client import EmulatorProcess  # noqa: E402

from telegrambot.bot import Bot  # noqa: E402
from telegrambot.core.request import encode  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=float, default=4)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--small-calls", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--against", default=None, help="a revision to compare with")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        other = None
        if args.against:
            import importlib

            from bench_client_revisions import extract

            extract(args.against, "rev_other", tmp)
            sys.path.insert(0, tmp)
            other = importlib.import_module("rev_other.bot").Bot
        run(args, tmp, other)


def run(args: argparse.Namespace, tmp: str, other: object) -> None:
    emu = EmulatorProcess()
    path = pathlib.Path(tmp) / "upload.bin"
    path.write_bytes(os.urandom(int(args.size_mb * 1024 * 1024)))
    try:
        http = urllib3.PoolManager(maxsize=1)
        pool = http.connection_from_url(emu.api_url)
        answer = json.loads(pool.urlopen(
            "POST", "/_emulator/send", body=b'{"user":"Alice","text":"hi"}',
            headers={"Content-Type": "application/json"}).data)
        chat_id = answer["result"]["chat"]["id"]
        bot = Bot(emu.token, api_url=emu.api_url)
        url_path = "/bot%s/sendDocument" % emu.token
        file_id = bot.sendDocument(chat_id, path)["document"]["file_id"]
        reported = []

        def raw() -> None:
            body, headers = encode({"chat_id": chat_id, "document": path})
            r = pool.urlopen("POST", url_path, body=b"".join(body), headers=headers,
                             retries=False)
            assert json.loads(r.data)["ok"]

        def library() -> None:
            bot.sendDocument(chat_id, path)

        def library_progress() -> None:
            bot.sendDocument(chat_id, path, progress=lambda done, total: reported.append(done))

        def by_file_id() -> None:
            bot.sendDocument(chat_id, file_id)

        def message() -> None:
            bot.sendMessage(chat_id, "x")

        big = [("raw urllib3 POST of the body (baseline)", raw),
               ("Bot.sendDocument(chat, Path)", library),
               ("  + progress=callback", library_progress)]
        small = [("Bot.sendMessage (baseline)", message),
                 ("Bot.sendDocument(chat, file_id)", by_file_id)]
        if other is not None:
            old = other(emu.token, api_url=emu.api_url)  # type: ignore[operator]
            big.append(("%s: Bot.sendDocument(chat, Path)" % args.against,
                        lambda: old.sendDocument(chat_id, path)))
            small.append(("%s: Bot.sendDocument(chat, file_id)" % args.against,
                          lambda: old.sendDocument(chat_id, file_id)))
        for _, fn in big + small:
            for _ in range(3):
                fn()
        times: dict = {name: [] for name, _ in big + small}
        for number in range(args.rounds):
            for cases, calls in ((big, args.calls), (small, args.small_calls)):
                for name, fn in (cases if number % 2 == 0 else cases[::-1]):
                    start = time.perf_counter()
                    for _ in range(calls):
                        fn()
                    times[name].append((time.perf_counter() - start) / calls)
        bot.close_connections()
    finally:
        emu.close()
    med = {name: statistics.median(t) * 1e3 for name, t in times.items()}
    print("upload of %.1f MiB to the emulator in another process, %d calls x %d rounds"
          % (args.size_mb, args.calls, args.rounds))
    for name, _ in big:
        print("  %-42s %8.2f ms/call" % (name + ":", med[name]))
    base = med["raw urllib3 POST of the body (baseline)"]
    lib = med["Bot.sendDocument(chat, Path)"]
    print("  ratio library/raw:                          %8.3f" % (lib / base))
    print("  ratio with progress / without:              %8.3f" % (med["  + progress=callback"] / lib))
    print("a file_id string (checked against the disk) against sendMessage, %d calls x %d rounds"
          % (args.small_calls, args.rounds))
    for name, _ in small:
        print("  %-42s %8.1f us/call" % (name + ":", med[name] * 1e3))
    print("  ratio file_id / sendMessage:                %8.3f"
          % (med["Bot.sendDocument(chat, file_id)"] / med["Bot.sendMessage (baseline)"]))
    if other is not None:
        for what in ("Bot.sendDocument(chat, Path)", "Bot.sendDocument(chat, file_id)"):
            before = times["%s: %s" % (args.against, what)]
            print("  %s, this tree / %s per round, median: %.3f" % (
                what, args.against, statistics.median(a / b for a, b in zip(times[what], before))))


if __name__ == "__main__":
    main()

"""Flood control: a broadcast of 1,000 messages to 300 chats from 8 threads, with and without
``Bot(rate_limiter=True)``, against the emulator enforcing Telegram's limits.

The chats: 240 private chats and 50 groups get 3 messages each, 10 private chats 13 each
(more than a private chat's burst of 10, so their own limit of one a second binds too).
Each thread takes a chat from a shared queue and sends it its messages in order; the
chats with 13 messages come first.

With flood control the run must show 0 errors seen by the caller, a rate of at least 90 %
of the overall limit the emulator enforces (30 messages per second) and no chat over its
own limit (the accepted messages, replayed through the emulator's buckets, fit; the
largest number a chat got within its window is printed too). The run without flood
control sends the same messages as fast as the threads go and counts the 429s.

Also: the limiter's own cost per call (no network), counted and uncounted methods, and
``Bot.sendMessage`` with the transport answering at once, limiter off and on.

    python benchmarks/bench_flood.py            # about 35 s
"""

import argparse
import os
import queue
import sys
import threading
import time
from collections import Counter, defaultdict

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from telegrambot.bot import Bot  # noqa: E402
from telegrambot.core.limits import DEFAULT_LIMITS, FloodLimits, FloodState, Limit, Target  # noqa: E402
from telegrambot.ratelimit import RateLimiter  # noqa: E402
from telegrambot.testing import Emulator  # noqa: E402
from telegrambot.transport import Answer  # noqa: E402

THREADS = 8


def make_chats(emu):
    """[(chat_id, kind, messages)]: the busy private chats first."""
    chats = []
    for i in range(10):
        chats.append((emu.user("Busy%d" % i).id, "private", 13))
    for i in range(240):
        chats.append((emu.user("User%d" % i).id, "private", 3))
    owner = emu.user("Owner")
    for i in range(50):
        chats.append((emu.group("Group%d" % i, [owner]).id, "group", 3))
    assert sum(n for _, _, n in chats) == 1000 and len(chats) == 300
    return chats


def broadcast(emu, bot, chats):
    jobs = queue.Queue()
    for chat in chats:
        jobs.put(chat)
    errors = Counter()
    delivered = [0]
    lock = threading.Lock()

    def worker():
        while True:
            try:
                chat_id, _, count = jobs.get_nowait()
            except queue.Empty:
                return
            for part in range(count):
                try:
                    bot.sendMessage(chat_id, "news, part %d of %d" % (part + 1, count))
                    with lock:
                        delivered[0] += 1
                except Exception as e:  # what the caller sees
                    with lock:
                        errors[type(e).__name__] += 1

    threads = [threading.Thread(target=worker, name="bench-sender-%d" % n) for n in range(THREADS)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    return elapsed, delivered[0], errors


def check_chats(emu, chats):
    """Replay the accepted messages through fresh server buckets; the largest counts per
    window. Returns (violations, max private per 1 s, max group per 60 s, max overall per 1 s)."""
    kinds = {chat_id: kind for chat_id, kind, _ in chats}
    accepted = sorted((r.time, r.params["chat_id"]) for r in emu.requests
                      if r.method == "sendMessage" and r.status == 200)
    server = FloodState(DEFAULT_LIMITS)
    violations = 0
    base = time.monotonic() - time.time()  # request times are wall clock: any clock will do
    for at, chat_id in accepted:
        if server.acquire(Target(chat_id, kinds[chat_id]), at + base) > 0:
            violations += 1
    by_chat = defaultdict(list)
    for at, chat_id in accepted:
        by_chat[chat_id].append(at)

    def most_in(times, window):
        best, first = 0, 0
        for last in range(len(times)):
            while times[last] - times[first] >= window:
                first += 1
            best = max(best, last - first + 1)
        return best

    private = max(most_in(t, 1.0) for c, t in by_chat.items() if kinds[c] == "private")
    group = max(most_in(t, 60.0) for c, t in by_chat.items() if kinds[c] == "group")
    overall = most_in([at for at, _ in accepted], 1.0)
    return violations, private, group, overall, accepted


def run(with_limiter):
    with Emulator() as emu:  # every rule on: Telegram's flood limits enforced
        chats = make_chats(emu)
        bot = Bot(emu.token, api_url=emu.api_url, rate_limiter=with_limiter,
                  pool_size=THREADS)
        try:
            elapsed, delivered, errors = broadcast(emu, bot, chats)
        finally:
            bot.close_connections()
        answered_429 = sum(1 for r in emu.requests if r.method == "sendMessage" and r.status == 429)
        violations, private, group, overall, accepted = check_chats(emu, chats)
        span = accepted[-1][0] - accepted[0][0] if len(accepted) > 1 else 0.0
        return dict(elapsed=elapsed, delivered=delivered, errors=errors, answered_429=answered_429,
                    violations=violations, private=private, group=group, overall=overall,
                    accepted=len(accepted), span=span, limiter=bot.rate_limiter)


class InstantTransport:
    """Answers every request at once with a sent message, without any network."""

    answer = Answer(200, b'{"ok":true,"result":{"message_id":1,"date":0,"chat":{"id":1,"type":"private"}}}')

    def send(self, request, timeout=None):
        return self.answer

    def download(self, request, sink, timeout=None):
        return self.answer

    def abort_long_poll(self):
        pass

    def close(self):
        pass


def limiter_cost(calls):
    """Microseconds per RateLimiter.call with a send that does nothing (limits never reached)."""
    huge = Limit(1e12, 1.0, 10 ** 9)
    limiter = RateLimiter(FloodLimits(overall=huge, private=huge, group=huge, paid=huge))
    send = dict  # a cheap callable
    params = [{"chat_id": 1000 + i % 5000, "text": "x"} for i in range(1000)]
    results = {}
    for method in ("sendMessage", "getChat"):
        for _ in range(2):  # warm-up, then timed
            start = time.perf_counter()
            for i in range(calls):
                limiter.call(method, params[i % 1000], send)
            elapsed = time.perf_counter() - start
        results[method] = elapsed / calls * 1e6
    start = time.perf_counter()
    for _ in range(calls):
        send()
    results["baseline"] = (time.perf_counter() - start) / calls * 1e6
    # the whole Bot.sendMessage path but the network: a transport that answers at once
    for name, limiter in (("bot off", None), ("bot on", RateLimiter(
            FloodLimits(overall=huge, private=huge, group=huge, paid=huge)))):
        bot = Bot("123:" + "x" * 20, rate_limiter=limiter, transport=InstantTransport())
        for _ in range(2):
            start = time.perf_counter()
            for i in range(calls):
                bot.sendMessage(1000 + i % 5000, "x")
            elapsed = time.perf_counter() - start
        results[name] = elapsed / calls * 1e6
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cost-calls", type=int, default=200000)
    args = parser.parse_args()
    limit = DEFAULT_LIMITS.overall.messages / DEFAULT_LIMITS.overall.per

    on = run(True)
    off = run(None)

    print("broadcast: 1,000 messages to 300 chats (240 private x 3, 50 groups x 3, "
          "10 private x 13) from %d threads" % THREADS)
    print("emulator enforcing Telegram's limits: %g/s overall, 1/s per private chat after a "
          "burst of 10, 20/min per group" % limit)
    for name, r in (("with Bot(rate_limiter=True)", on), ("without flood control", off)):
        print("  %s:" % name)
        print("    delivered %d, errors seen by the caller: %s" % (
            r["delivered"], dict(r["errors"]) or 0))
        print("    429 answers from the emulator: %d" % r["answered_429"])
        if r["limiter"] is not None:
            print("    wall time %.1f s; rate %.1f messages/s = %.0f %% of the %g/s limit" % (
                r["elapsed"], r["delivered"] / r["elapsed"],
                100 * r["delivered"] / r["elapsed"] / limit, limit))
        else:
            print("    wall time %.1f s: 1,000 calls at %.0f/s, %d of them delivered" % (
                r["elapsed"], 1000 / r["elapsed"], r["delivered"]))
        if r["accepted"] > 1:
            print("    as the emulator saw it: %d accepted over %.1f s (%.1f/s); most in any 1 s: %d"
                  % (r["accepted"], r["span"], (r["accepted"] - 1) / r["span"], r["overall"]))
        print("    chats over their own limit (accepted messages replayed through the "
              "emulator's buckets): %d" % r["violations"])
        print("    most messages in one private chat within 1 s: %d (burst 10, then 1/s); "
              "in one group within 60 s: %d" % (r["private"], r["group"]))
        if r["limiter"] is not None:
            lim = r["limiter"]
            print("    limiter: calls held %d times, 429s waited out %d, network retries %d" % (
                lim.waits, lim.retries_after_429, lim.network_retries_made))
    ok = (not on["errors"] and on["delivered"] == 1000 and on["violations"] == 0
          and on["delivered"] / on["elapsed"] >= 0.9 * limit)
    print("  targets with flood control (0 errors, >= 90 %% of the limit, no chat over its "
          "limit): %s" % ("met" if ok else "NOT MET"))

    cost = limiter_cost(args.cost_calls)
    print("limiter's own cost per call (no network; %d calls, limits never reached):" % args.cost_calls)
    print("  baseline (the send alone):        %6.2f us" % cost["baseline"])
    print("  sendMessage (counted, 5000 chats): %6.2f us" % cost["sendMessage"])
    print("  getChat (not counted):            %6.2f us" % cost["getChat"])
    print("Bot.sendMessage without the network (the transport answers at once):")
    print("  rate limiter off:                 %6.2f us" % cost["bot off"])
    print("  rate limiter on (never reached):  %6.2f us" % cost["bot on"])


if __name__ == "__main__":
    main()

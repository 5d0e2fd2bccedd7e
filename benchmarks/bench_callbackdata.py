"""What arbitrary callback data costs a call and an update, with no network.

A transport that answers every request at once with a canned sendMessage result isolates
the library's own work (encoding the call, parsing the answer), so the figures are the
client's overhead, not a round trip's. Measured in the same run, alternating:

- a Bot without the feature, sendMessage with a 5-button keyboard of strings (the
  baseline: what main does);
- the same call on a Bot with ``arbitrary_callback_data=True`` and no keyboard (what the
  feature costs a call that has nothing to keep);
- with the feature, the 5-button keyboard of tuples (ids made, data kept, the result's
  keyboard decoded).

Then the decoding of a callback_query update (what a polled or fed update costs more).

    python benchmarks/bench_callbackdata.py [CALLS [ROUNDS]]
"""

import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from telegrambot import Bot  # noqa: E402
from telegrambot.transport import Answer  # noqa: E402

CALLS = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 5
TOKEN = "123456:AAbenchmarkbenchmarkbenchmarkbench"


class Canned:
    """A transport answering every request with one result, at once."""

    def __init__(self, result):
        self.answer = Answer(200, json.dumps({"ok": True, "result": result}).encode())

    def send(self, request, timeout=None):
        return self.answer

    def download(self, request, sink, timeout=None):
        raise NotImplementedError

    def abort_long_poll(self):
        pass

    def close(self):
        pass


def per_call(fn, calls):
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls * 1e6


def main():
    strings = {"inline_keyboard": [[{"text": str(i), "callback_data": "n:%d" % i}] for i in range(5)]}
    tuples = {"inline_keyboard": [[{"text": str(i), "callback_data": (i, [1, 2])}] for i in range(5)]}
    message = {"message_id": 1, "date": 0, "chat": {"id": 42, "type": "private"}, "text": "Pick",
               "reply_markup": {"inline_keyboard": [[{"text": str(i), "callback_data": "x%d" % i}]
                                                    for i in range(5)]}}
    off = Bot(TOKEN, "http://127.0.0.1:9", transport=Canned(message))
    on = Bot(TOKEN, "http://127.0.0.1:9", transport=Canned(dict(message, reply_markup=None)),
             arbitrary_callback_data=True)
    on_kb = Bot(TOKEN, "http://127.0.0.1:9", transport=Canned(message), arbitrary_callback_data=True)
    rows = {
        "feature off, 5 string buttons (baseline)": lambda: off.sendMessage(42, "Pick", reply_markup=strings),
        "feature off, no keyboard": lambda: off.sendMessage(42, "Pick"),
        "feature on, no keyboard": lambda: on.sendMessage(42, "Pick"),
        "feature on, 5 buttons of tuples": lambda: on_kb.sendMessage(42, "Pick", reply_markup=tuples),
    }
    figures = {name: [] for name in rows}
    for _ in range(ROUNDS):
        for name, fn in rows.items():
            figures[name].append(per_call(fn, CALLS))
    best = {name: min(values) for name, values in figures.items()}
    print("sendMessage with a canned answer (no network), %d calls x %d rounds, best round" % (CALLS, ROUNDS))
    base = best["feature off, 5 string buttons (baseline)"]
    plain = best["feature off, no keyboard"]
    for name, value in best.items():
        print("  %-44s %7.2f us/call  (%.3f x baseline)" % (name, value, value / base))
    print("  ratio on/off without a keyboard:            %.3f" % (best["feature on, no keyboard"] / plain))

    cache = on_kb.callback_data
    sent = on_kb.sendMessage(42, "Pick", reply_markup=tuples)  # noqa: F841 (keeps a keyboard)
    keyboard_id = next(iter(cache._keyboards.ids()))

    def decode():
        update = {"update_id": 1, "callback_query": {"id": "1", "from": {"id": 42}, "chat_instance": "1",
                                                     "data": keyboard_id + "3"}}
        cache.decode_update(update)

    def build_only():
        return {"update_id": 1, "callback_query": {"id": "1", "from": {"id": 42}, "chat_instance": "1",
                                                   "data": keyboard_id + "3"}}

    times = [per_call(decode, CALLS * 5) - per_call(build_only, CALLS * 5) for _ in range(ROUNDS)]
    print("decoding a callback_query update's data: %.2f us (median of %d rounds)"
          % (statistics.median(times), ROUNDS))


if __name__ == "__main__":
    main()

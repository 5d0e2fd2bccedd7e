"""The cost of ``Bot(defaults=...)`` per call, without any network: ``Defaults.apply`` on
a call's parameters, against encoding the same parameters into the request body
(``telegrambot.core.request.encode``), which every call does anyway. Measured in the same run, interleaved.

    python benchmarks/bench_defaults.py [--calls 20000] [--rounds 5]
"""

import argparse
import os
import statistics
import sys
import time
from typing import Any, Callable, Dict, List, Tuple

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from telegrambot.core.defaults import Defaults  # noqa: E402
from telegrambot.core.request import encode  # noqa: E402

DEFAULTS = {"parse_mode": "HTML", "protect_content": True,
            "link_preview_options": {"is_disabled": True}}


def cases() -> List[Tuple[str, str, Callable[[], Dict[str, Any]]]]:
    def message() -> Dict[str, Any]:
        return {"chat_id": 42, "text": "<b>hello</b>", "parse_mode": None, "entities": None,
                "link_preview_options": None, "disable_notification": None,
                "protect_content": None, "reply_parameters": None, "reply_markup": None}

    def media_group() -> Dict[str, Any]:
        return {"chat_id": 42, "media": [{"type": "photo", "media": "AgAD%d" % i,
                                          "caption": "<i>%d</i>" % i} for i in range(10)],
                "protect_content": None}

    def inline() -> Dict[str, Any]:
        return {"inline_query_id": "1", "results": [
            {"type": "article", "id": str(i), "title": "t%d" % i,
             "input_message_content": {"message_text": "<b>%d</b>" % i}} for i in range(50)]}

    return [("sendMessage", "sendMessage", message),
            ("sendMediaGroup, 10 photos", "sendMediaGroup", media_group),
            ("answerInlineQuery, 50 articles", "answerInlineQuery", inline)]


def timed(fn: Callable[[], Any], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    start = time.perf_counter()
    defaults = Defaults(DEFAULTS)
    print("compiling %d defaults against the Bot API facts (once per Bot): %.1f ms"
          % (len(DEFAULTS), (time.perf_counter() - start) * 1e3))
    print("per call, median of %d rounds x %d calls (no network)" % (args.rounds, args.calls))
    for label, method, make in cases():
        a, e = measure(defaults, method, make, args.calls, args.rounds)
        print("  %-32s apply %7.2f us   encode (baseline) %7.2f us   apply/encode %5.2f"
              % (label + ":", a, e, a / e))


def measure(defaults: Defaults, method: str, make: Callable[[], Dict[str, Any]],
            calls: int, rounds: int) -> Tuple[float, float]:
    """Median microseconds of apply (on fresh parameter dicts) and of encode."""
    filled = make()
    defaults.apply(method, filled)
    times: Dict[str, List[float]] = {"apply": [], "encode": []}
    for _ in range(rounds):
        fresh = iter([make() for _ in range(calls)])
        times["apply"].append(timed(lambda fresh=fresh: defaults.apply(method, next(fresh)), calls))
        times["encode"].append(timed(lambda: encode(filled), calls))
    return statistics.median(times["apply"]) * 1e6, statistics.median(times["encode"]) * 1e6

if __name__ == "__main__":
    main()

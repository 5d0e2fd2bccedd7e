"""Putting updates back in update_id order, with a bound on how long one may wait.

:class:`Reorderer` is the state machine behind :class:`telegrambot.loop.OrderedWebhook`.
It takes ``(update_id, update, now)`` and says what to hand over; it never reads the
clock (``now`` is the caller's monotonic time), never sleeps and never logs, so any
runtime can drive it::

    verdict = reorderer.push(update_id, update, now)
    if verdict == IN_ORDER:
        hand_over(update)
    else:
        for ready in reorderer.take():   # empty for HELD and REPEAT
            hand_over(ready)
    # then, when reorderer.deadline() (a monotonic time) has come:
    reorderer.expire(now); for ready in reorderer.take(): hand_over(ready)

The rules:

- an update whose update_id follows the last one handed over is handed over at once,
  with the held updates that follow it;
- one that comes early (a smaller update_id is missing) is held until the gap fills, at
  most ``maxhold`` seconds; then it is handed over with everything held before it and the
  missing update_ids are given up on, for now;
- one that comes late (its update_id was given up on) is still handed over, out of order:
  verdict ``LATE``. Telegram never sends again an update that was answered 200, so
  dropping it would lose it;
- only a true repeat (an update_id already handed over, or already held) is dropped:
  verdict ``REPEAT``;
- an update_id smaller than those handed over, after ``renumber_idle`` seconds without any
  update, starts a new numbering (Telegram numbers updates afresh after a week without
  any): verdict ``RENUMBERED``.

Telling a late update from a repeat needs the update_ids handed over. They are kept as runs
of consecutive ids (a run ends where an id was given up on), so memory grows with the
number of gaps, not of updates; at most ``memory`` runs are kept. An update_id older than
the oldest run kept cannot be told apart: it gets verdict ``FORGOTTEN`` and is not handed
over (the driver reports it at ERROR). That takes ``memory`` separate gaps first.
"""

import bisect
from collections import deque
from typing import Any, Deque, Dict, Iterable, List, Optional, Tuple

from .notes import Note

__all__ = [
    "Reorderer",
    "IN_ORDER",
    "READY",
    "HELD",
    "LATE",
    "REPEAT",
    "RENUMBERED",
    "FORGOTTEN",
    "RENUMBER_IDLE",
    "MEMORY",
    "id_ranges",
    "verdict_note",
]

#: Verdicts of :meth:`Reorderer.push`.
IN_ORDER = 0  #: hand over this update alone (nothing else is ready)
READY = 1  #: in order, and held updates follow it: hand over what :meth:`Reorderer.take` gives
HELD = 2  #: held until the gap before it fills or ``maxhold`` runs out
LATE = 3  #: its update_id had been given up on: hand it over now (out of order)
REPEAT = 4  #: already handed over or held: drop it
RENUMBERED = 5  #: a new numbering starts with it: hand over what take() gives
FORGOTTEN = 6  #: older than anything remembered: not handed over (report it)

#: Seconds without updates after which an update_id smaller than those handed over starts
#: a new numbering instead of being taken as a late or repeated one.
RENUMBER_IDLE = 3600.0
#: How many runs of consecutive handed-over update_ids a Reorderer remembers.
MEMORY = 10_000


class Reorderer:
    """Orders updates by update_id; see the module documentation.

    :param maxhold: the longest an update is held waiting for a smaller update_id (seconds).
    :param renumber_idle: seconds of quiet after which a smaller update_id is a new numbering.
    :param memory: runs of handed-over update_ids remembered (to tell late from repeated).
    """

    __slots__ = (
        "maxhold",
        "renumber_idle",
        "memory",
        "expected",
        "held",
        "_arrivals",
        "_ready",
        "_run_start",
        "_starts",
        "_ends",
        "_floor",
        "_last",
    )

    def __init__(
        self, maxhold: float, renumber_idle: float = RENUMBER_IDLE, memory: int = MEMORY
    ) -> None:
        if maxhold < 0 or memory < 1:
            raise ValueError("maxhold must be 0 or more and memory at least 1")
        self.maxhold = maxhold
        self.renumber_idle = renumber_idle
        self.memory = memory
        #: The update_id that is handed over at once (None before the first update).
        self.expected: Optional[int] = None
        #: update_id -> update, for the updates that came early.
        self.held: Dict[int, Any] = {}
        self._arrivals: Deque[Tuple[float, int]] = deque()  # (deadline, update_id) of held
        self._ready: List[Any] = []
        # handed over: the current run [_run_start, expected), and closed runs before it
        self._run_start = 0
        self._starts: List[int] = []
        self._ends: List[int] = []
        self._floor: Optional[int] = None  # update_ids below it were forgotten
        self._last = 0.0  # when the last update came

    # -- input ---------------------------------------------------------------------------

    def push(self, update_id: int, update: Any, now: float) -> int:
        """Take one update; returns a verdict (see the module documentation)."""
        last, self._last = self._last, now
        if update_id == self.expected:
            self.expected = update_id + 1
            if not self.held:
                return IN_ORDER
            self._ready.append(update)
            self._follow()
            return READY
        expected = self.expected
        if expected is None:
            self._restart(update_id)
            return IN_ORDER
        if update_id > expected:
            if update_id in self.held:
                return REPEAT
            self.held[update_id] = update
            self._arrivals.append((now + self.maxhold, update_id))
            return HELD
        # smaller than expected: a new numbering, a repeat, or late
        if now - last >= self.renumber_idle:
            self._release_all()
            self._restart(update_id)
            self._ready.append(update)
            return RENUMBERED
        if update_id >= self._run_start:
            return REPEAT
        starts = self._starts
        i = bisect.bisect_right(starts, update_id) - 1
        if i >= 0 and update_id < self._ends[i]:
            return REPEAT
        if self._floor is not None and update_id < self._floor:
            return FORGOTTEN
        self._remember(i, update_id)
        self._ready.append(update)
        return LATE

    def deadline(self) -> Optional[float]:
        """When :meth:`expire` next has something to do (the caller's clock), or None."""
        arrivals, held = self._arrivals, self.held
        while arrivals and arrivals[0][1] not in held:
            arrivals.popleft()
        return arrivals[0][0] if arrivals else None

    def expire(self, now: float) -> bool:
        """Give up on the gaps before every update whose hold ran out by ``now``; True if
        that made updates ready (see :meth:`take`)."""
        arrivals, held = self._arrivals, self.held
        upto = None
        while arrivals and (arrivals[0][1] not in held or arrivals[0][0] <= now):
            _, update_id = arrivals.popleft()
            if update_id in held and (upto is None or update_id > upto):
                upto = update_id
        if upto is None:
            return False
        self._release_upto(upto)
        return True

    def flush(self) -> List[Any]:
        """Every held update, in update_id order (the gaps before them given up on), and
        whatever else was ready: for a loop that stops."""
        self._release_all()
        return self.take()

    def take(self) -> List[Any]:
        """The updates ready to hand over, in order; they are handed over by the caller."""
        ready = self._ready
        if not ready:
            return ready
        self._ready = []
        return ready

    # -- state ---------------------------------------------------------------------------

    def _restart(self, update_id: int) -> None:
        """Start handing over from ``update_id``, forgetting what came before."""
        self.expected = update_id + 1
        self._run_start = update_id
        self._starts.clear()
        self._ends.clear()
        self._floor = None

    def _follow(self) -> None:
        """Make ready the held updates that follow ``expected`` without a gap."""
        held, ready = self.held, self._ready
        nxt = self.expected
        while nxt in held:
            ready.append(held.pop(nxt))
            nxt += 1
        self.expected = nxt

    def _release_upto(self, upto: int) -> None:
        """Make ready every held update up to ``upto``, giving up on the gaps between."""
        held, ready = self.held, self._ready
        for update_id in sorted(i for i in held if i <= upto):
            if update_id != self.expected:
                self._close_run()
                self._run_start = update_id
            ready.append(held.pop(update_id))
            self.expected = update_id + 1
        self._follow()

    def _release_all(self) -> None:
        if self.held:
            self._release_upto(max(self.held))

    def _close_run(self) -> None:
        """End the current run of handed-over ids (a gap follows it)."""
        expected = self.expected
        if expected is not None and self._run_start < expected:
            self._starts.append(self._run_start)
            self._ends.append(expected)
            if len(self._starts) > self.memory:
                self._floor = self._ends[0]
                del self._starts[0]
                del self._ends[0]

    def _remember(self, i: int, update_id: int) -> None:
        """Record the late ``update_id`` as handed over (``i``: the run before it, or -1)."""
        starts, ends = self._starts, self._ends
        joins_before = i >= 0 and ends[i] == update_id
        joins_after_run = i + 1 < len(starts) and starts[i + 1] == update_id + 1
        if update_id + 1 == self._run_start and not joins_after_run:
            # just before the current run: it grows down (and may meet the run before)
            if joins_before:
                self._run_start = starts[i]
                del starts[i]
                del ends[i]
            else:
                self._run_start = update_id
            return
        if joins_before and joins_after_run:
            ends[i] = ends[i + 1]
            del starts[i + 1]
            del ends[i + 1]
        elif joins_before:
            ends[i] = update_id + 1
        elif joins_after_run:
            starts[i + 1] = update_id
        else:
            starts.insert(i + 1, update_id)
            ends.insert(i + 1, update_id + 1)
            if len(starts) > self.memory:
                self._floor = ends[0]
                del starts[0]
                del ends[0]

    def __repr__(self) -> str:
        return (
            f"<Reorderer expected={self.expected} held={len(self.held)} "
            f"runs={len(self._starts) + 1}>"
        )


def id_ranges(ids: Iterable[Any], limit: int = 1000) -> str:
    """``"1-3, 7, 9-10"``: the update_ids in order, consecutive ones as ranges (at most
    ``limit`` ranges shown; values that are not ints are counted apart)."""
    values = list(ids)
    numbers = sorted(set(i for i in values if type(i) is int))
    others = sum(1 for i in values if type(i) is not int)
    runs: List[Tuple[int, int]] = []
    for n in numbers:
        if runs and runs[-1][1] == n - 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    text = ", ".join(f"{a}-{b}" if a != b else f"{a}" for a, b in runs[:limit])
    if len(runs) > limit:
        text += f", ... ({len(runs) - limit} more ranges)"
    if others:
        text += (" and " if text else "") + f"{others} without an update_id"
    return text or "(none)"


def verdict_note(verdict: int, update_id: int, expected: Optional[int]) -> Optional[Note]:
    """What to log about a :meth:`Reorderer.push` verdict other than ``IN_ORDER``,
    ``READY`` and ``HELD`` (None for those); ``expected`` is the reorderer's after it."""
    if verdict == LATE:
        return Note("warning", "update %s came late (update_ids up to %s were handed over): "
                    "handed over now, out of order", (update_id, (expected or 0) - 1))
    if verdict == REPEAT:
        return Note("warning", "update %s came again; the repeat is dropped", (update_id,))
    if verdict == RENUMBERED:
        return Note("warning", "update_id went back to %s after a long quiet: taken as a new "
                    "numbering", (update_id,))
    if verdict == FORGOTTEN:
        return Note("error", "update %s is older than the update_ids this loop remembers: "
                    "taken as a repeat and not handed over", (update_id,))
    return None

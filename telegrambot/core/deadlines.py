"""Idle deadlines of many delegates, kept by one sweeper: no timer per delegate, no clock.

A delegate with an idle timeout is a :class:`Watch`: its timeout and when it last had a
message (``last``, the caller's monotonic time; :meth:`Watch.touch` sets it, a store of
one float, so handling a message costs no heap work). :class:`Deadlines` keeps one heap
entry per armed watch, at the deadline the watch had when the entry was pushed. When the
sweeper takes the due entries (:meth:`Deadlines.due`), a watch touched since is pushed
again at its real deadline, and only those truly idle come out; a cancelled watch's entry
is dropped when it comes up. So the heap holds at most one entry per live watch (plus the
entries of watches cancelled within their timeout), and a sweep costs a heap operation per
entry that came due, not per message.
"""

import heapq
import itertools
from typing import Any, List, Optional, Tuple

__all__ = ["Watch", "Deadlines"]


class Watch:
    """One delegate's idle timeout: ``owner`` (what the sweeper tells when it ran out),
    ``timeout`` in seconds, ``last`` (when it last had a message)."""

    __slots__ = ("owner", "timeout", "last", "armed")

    def __init__(self, owner: Any, timeout: float, now: float) -> None:
        self.owner = owner
        self.timeout = timeout
        self.last = now
        self.armed = False  # an entry of the heap stands for it

    def touch(self, now: float) -> None:
        """It had a message at ``now``: the countdown starts again."""
        self.last = now

    @property
    def deadline(self) -> float:
        return self.last + self.timeout


class Deadlines:
    """The heap of :class:`Watch` deadlines of one sweeper (see the module documentation).
    Not thread-safe: one event loop drives it."""

    __slots__ = ("_heap", "_order")

    def __init__(self) -> None:
        self._heap: List[Tuple[float, int, Watch]] = []
        self._order = itertools.count()

    def watch(self, owner: Any, timeout: float, now: float) -> Tuple[Watch, bool]:
        """A new armed watch of ``owner``; and whether its deadline is now the earliest
        (the sweeper must then wake sooner than it meant to)."""
        if timeout is None or timeout <= 0:
            raise ValueError("an idle timeout must be a positive number of seconds")
        watch = Watch(owner, timeout, now)
        return watch, self.arm(watch)

    def arm(self, watch: Watch) -> bool:
        """Push an entry for ``watch`` at its deadline (again, after it ran out and the
        delegate lived on); True if it is now the earliest."""
        watch.armed = True
        entry = (watch.deadline, next(self._order), watch)
        heapq.heappush(self._heap, entry)
        return self._heap[0] is entry

    @staticmethod
    def cancel(watch: Watch) -> None:
        """Forget ``watch`` (its delegate ended): its entry is dropped when it comes up."""
        watch.armed = False
        watch.owner = None

    def due(self, now: float) -> Tuple[List[Watch], Optional[float]]:
        """The watches idle at ``now`` (disarmed: :meth:`arm` one to watch it again), and
        the next deadline (None when no watch is armed)."""
        heap, idle = self._heap, []
        while heap and heap[0][0] <= now:
            _, _, watch = heapq.heappop(heap)
            if not watch.armed:
                continue
            if watch.deadline > now:  # touched since the entry was pushed
                heapq.heappush(heap, (watch.deadline, next(self._order), watch))
                continue
            watch.armed = False
            idle.append(watch)
        return idle, (heap[0][0] if heap else None)

    def __len__(self) -> int:
        return len(self._heap)

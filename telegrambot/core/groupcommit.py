"""Group commit: which submitted writes go into the next transaction. No I/O in here.

A store's writer commits one transaction at a time. Writes submitted while a transaction
is being made durable wait in a :class:`CommitQueue`; when it is done, the writer takes
all of them (up to a count and a size) as the next transaction. Nothing waits on a timer:
a lone write is committed at once, and under load each transaction carries what arrived
during the previous one, so one flush to disk serves many callers.

Writes leave the queue in the order they entered it: a store applies commits in the order
they were submitted.
"""

from collections import deque
from typing import Any, Deque, List, Tuple

__all__ = ["CommitQueue", "MAX_UNITS", "MAX_BYTES"]

#: Most writes in one transaction.
MAX_UNITS = 2000
#: About the most bytes one transaction carries (a single larger write goes alone).
MAX_BYTES = 8 * 1024 * 1024


class CommitQueue:
    """The writes waiting for the next transaction, oldest first. Not thread-safe: the
    caller locks.

    :param max_units: most writes :meth:`take` gives at once.
    :param max_bytes: most bytes (as given to :meth:`put`) :meth:`take` gives at once,
        unless the first write alone is larger.
    """

    __slots__ = ("max_units", "max_bytes", "_items", "_bytes")

    def __init__(self, max_units: int = MAX_UNITS, max_bytes: int = MAX_BYTES) -> None:
        if max_units < 1 or max_bytes < 1:
            raise ValueError("max_units and max_bytes must be at least 1")
        self.max_units = max_units
        self.max_bytes = max_bytes
        self._items: Deque[Tuple[Any, int]] = deque()
        self._bytes = 0

    def put(self, unit: Any, size: int) -> None:
        """Queue ``unit``, about ``size`` bytes to write."""
        self._items.append((unit, size))
        self._bytes += size

    def take(self) -> List[Any]:
        """The next transaction's writes, oldest first: all that wait, or as many as fit
        ``max_units`` and ``max_bytes`` (always at least one, if any wait)."""
        items = self._items
        if len(items) <= self.max_units and self._bytes <= self.max_bytes:
            batch = [unit for unit, _ in items]
            items.clear()
            self._bytes = 0
            return batch
        batch = []
        total = 0
        while items and len(batch) < self.max_units:
            size = items[0][1]
            if batch and total + size > self.max_bytes:
                break
            unit, size = items.popleft()
            batch.append(unit)
            total += size
        self._bytes -= total
        return batch

    @property
    def nbytes(self) -> int:
        """Bytes waiting."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._items)

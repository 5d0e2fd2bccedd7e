"""At most one log line per cause per interval, with a count of those not shown.

A client that sends bad requests as fast as it can must not flood the log. :class:`LogRate`
decides, for each occurrence of a cause (a fixed string such as ``"403 wrong secret
token"``), whether to log it; the caller passes the time (``time.monotonic()``). The first
occurrence of a cause is logged at once; those that follow within ``interval`` seconds are
only counted, and the cause's next line (or :meth:`LogRate.flush`) says how many there were.
"""

from typing import Dict, List, Optional, Tuple

__all__ = ["LogRate"]


class LogRate:
    """Rate limit of log lines per cause. Not thread-safe: the caller locks.

    :param interval: seconds between two lines of the same cause.
    :param max_causes: causes tracked at most (they are fixed strings, so this is only a
        guard); beyond it, every occurrence of a new cause is logged.
    """

    __slots__ = ("interval", "max_causes", "_causes")

    def __init__(self, interval: float = 60.0, max_causes: int = 256) -> None:
        self.interval = interval
        self.max_causes = max_causes
        self._causes: Dict[str, List[float]] = {}  # cause -> [last logged at, not shown]

    def hit(self, cause: str, now: float) -> Optional[int]:
        """One occurrence of ``cause``: None to skip it, else how many occurrences the line
        to log stands for (1, plus those not shown since the cause's last line)."""
        entry = self._causes.get(cause)
        if entry is None:
            if len(self._causes) < self.max_causes:
                self._causes[cause] = [now, 0]
            return 1
        if now - entry[0] >= self.interval:
            count = int(entry[1]) + 1
            entry[0], entry[1] = now, 0
            return count
        entry[1] += 1
        return None

    def flush(self) -> List[Tuple[str, int]]:
        """The causes with occurrences not shown yet, and how many; their counts restart."""
        pending = [(cause, int(entry[1])) for cause, entry in self._causes.items() if entry[1]]
        for entry in self._causes.values():
            entry[1] = 0
        return pending

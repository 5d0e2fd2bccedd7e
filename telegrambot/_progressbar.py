"""A progress bar for the command line's uploads and downloads (a terminal only)."""

import sys
import time
from typing import Any, Optional, TextIO

__all__ = ["ProgressBar"]

_WIDTH = 30


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return ("%d %s" % (n, unit)) if unit == "B" else ("%.1f %s" % (n, unit))
        n /= 1024
    return "%.1f GiB" % n  # not reached


class ProgressBar:
    """``progress(done, total)`` callback drawing ``label [#####.....] 45% 1.4/3.0 MiB`` on
    ``stream`` (default stderr), redrawn at most ten times a second, when the stream is a
    terminal; on anything else (a pipe, a file) it draws nothing. :meth:`close` ends the
    line."""

    def __init__(self, label: str, stream: Optional[TextIO] = None,
                 interval: float = 0.1) -> None:
        self.label = label
        self.stream: Any = stream if stream is not None else sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.interval = interval
        self._start = time.monotonic()
        self._last = -1.0
        self._drawn = False
        self._state = (0, 0)

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        self._state = (done, total)
        now = time.monotonic()
        if done < total and now - self._last < self.interval:
            return
        self._last = now
        self._draw(done, total, now)

    def _draw(self, done: int, total: int, now: float) -> None:
        fraction = done / total if total > 0 else 1.0
        filled = int(_WIDTH * fraction)
        elapsed = now - self._start
        rate = "  %s/s" % _size(done / elapsed) if elapsed > 0.05 else ""
        line = "%s [%s%s] %3d%%  %s/%s%s" % (self.label, "#" * filled, "." * (_WIDTH - filled),
                                            int(fraction * 100), _size(done), _size(total), rate)
        self.stream.write("\r" + line + "\033[K")
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        """End the bar's line (if one was drawn)."""
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False

"""Lines to log, as data. Core never logs (the logging module starts threads' machinery and
writes); it returns a :class:`Note`, and the runtime logs it on its own logger, so every
runtime logs the same lines."""

from typing import Any, NamedTuple, Tuple

__all__ = ["Note"]


class Note(NamedTuple):
    """A line to log: ``level`` names a :class:`logging.Logger` method (``'warning'``,
    ``'error'``, ``'exception'`` for one with the traceback being handled), ``text`` is
    its format and ``args`` its arguments."""

    level: str
    text: str
    args: Tuple[Any, ...] = ()

    def log(self, logger: Any) -> None:
        """Log the line on ``logger``."""
        getattr(logger, self.level)(self.text, *self.args, stacklevel=2)  # the caller's line

"""Timing one request for its DEBUG line: what both runtimes' transports share.

:class:`RequestLine` and :class:`DownloadLine` are context managers around one request
(``with RequestLine(log, request) as line: ... line.answered(answer)``): on the way out
they log the line :mod:`telegrambot.core.requestlog` makes, with the time taken and how
the request ended (the exception leaving the block, if any). The transports' ``call`` and
``download`` use them only when DEBUG is on, so they cost nothing otherwise.
"""

import time
from typing import Any, Callable, Optional

from .core.requestlog import body_size, download_note, request_note

__all__ = ["DownloadLine", "RequestLine"]


class RequestLine:
    """The DEBUG line of one call: its method, status, time and bytes sent."""

    __slots__ = ("logger", "request", "start", "status")

    def __init__(self, logger: Any, request: Any) -> None:
        self.logger, self.request = logger, request
        self.status: Optional[int] = None
        self.start = time.perf_counter()

    def answered(self, answer: Any) -> Any:
        """Note ``answer``'s status; ``answer``."""
        self.status = answer.status
        return answer

    def __enter__(self) -> "RequestLine":
        return self

    def __exit__(self, kind: Any, error: Optional[BaseException], tb: Any) -> None:
        request = self.request
        request_note(request.method, time.perf_counter() - self.start,
                     body_size(request.body, request.headers), self.status, error).log(self.logger)


class DownloadLine:
    """The DEBUG line of one file download: its status, time and bytes received."""

    __slots__ = ("logger", "start", "status", "received")

    def __init__(self, logger: Any) -> None:
        self.logger = logger
        self.status: Optional[int] = None  # 200 once a chunk came
        self.received = 0
        self.start = time.perf_counter()

    def counting(self, sink: Callable[[bytes], Any]) -> Callable[[bytes], Any]:
        """``sink``, counting the bytes given to it."""
        def counted(chunk: bytes) -> Any:
            self.received += len(chunk)
            self.status = 200
            return sink(chunk)
        return counted

    def answered(self, answer: Any) -> Any:
        self.status = answer.status
        return answer

    def __enter__(self) -> "DownloadLine":
        return self

    def __exit__(self, kind: Any, error: Optional[BaseException], tb: Any) -> None:
        download_note(time.perf_counter() - self.start, self.status, self.received,
                      error).log(self.logger)

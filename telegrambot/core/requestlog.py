"""The DEBUG line of one Bot API request, as data: what both runtimes log per request.

One line per HTTP request (a call, each attempt of a retried call, a file download), made
after it ends::

    sendMessage: HTTP 200 ok, 3.4 ms, 92 bytes sent
    sendMessage: HTTP 400 error_code 400, 2.1 ms, 31 bytes sent
    getFile: HTTP 502 not a Bot API answer, 5.0 ms, 31 bytes sent
    getUpdates: no answer (RequestTimeout), 30004.2 ms, 27 bytes sent
    download: HTTP 200, 12.9 ms, 1048576 bytes received

It names the method and says how the request ended and how long it took, with the size of
what went up (of what came down for a download). It never holds the token (the URL is not
in it) nor anything of the request's or the answer's body: no parameter, no description,
no file name. The runtime measures the time, checks that DEBUG is on before it does (so
the line costs nothing when it is off) and logs the :class:`~telegrambot.core.notes.Note`.
"""

from typing import Any, Optional

from ..exception import BadHTTPResponse, NetworkError, TelegramError
from .notes import Note

__all__ = ["body_size", "download_note", "request_note"]


def body_size(body: Any, headers: Any) -> int:
    """The size in bytes of a request body: JSON bytes, or a multipart body (its length)."""
    if body is None:
        return 0
    if isinstance(body, (bytes, bytearray)):
        return len(body)
    length = getattr(body, "length", None)
    if isinstance(length, int):
        return length
    try:
        return int(headers.get("Content-Length", 0))
    except (TypeError, ValueError):
        return 0


def _outcome(status: Optional[int], error: Optional[BaseException]) -> str:
    if error is None:
        return "HTTP %d ok" % status if status is not None else "ok"
    if isinstance(error, TelegramError):
        code = "error_code %s" % error.error_code
        return "HTTP %d %s" % (status, code) if status is not None else code
    if isinstance(error, BadHTTPResponse):
        return "HTTP %d not a Bot API answer" % error.status
    if status is not None:  # answered, then the body broke off or could not be used
        return "HTTP %d, then failed (%s)" % (status, type(error).__name__)
    if isinstance(error, NetworkError):
        return "no answer (%s)" % type(error).__name__
    return "failed (%s)" % type(error).__name__


def request_note(method: str, seconds: float, sent: int, status: Optional[int] = None,
                 error: Optional[BaseException] = None) -> Note:
    """The DEBUG line of a request to ``method`` that took ``seconds``, sent ``sent`` bytes
    and got the HTTP ``status`` (None if no answer came), ending in ``error`` (None if it
    succeeded)."""
    return Note("debug", "%s: %s, %.1f ms, %d bytes sent",
                (method, _outcome(status, error), seconds * 1000.0, sent))


def download_note(seconds: float, status: Optional[int], received: int,
                  error: Optional[BaseException] = None) -> Note:
    """The DEBUG line of a file download: its HTTP ``status`` (None if no answer came), the
    bytes ``received`` (of the file, for a 200), how it ended."""
    if error is None and status is not None:
        outcome = "HTTP %d" % status
    else:
        outcome = _outcome(status, error)
    return Note("debug", "download: %s, %.1f ms, %d bytes received",
                (outcome, seconds * 1000.0, received))

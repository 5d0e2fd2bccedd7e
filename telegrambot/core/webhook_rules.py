"""The rules of a webhook endpoint, apart from any server: no socket, no thread, no clock.

A request goes through three steps, each of which may reject it with a status code:

1. :func:`parse_head` turns the bytes of the request line and header lines into a
   :class:`Head` (the built-in server's step; a WSGI server or framework parses heads
   itself): a head over :data:`MAX_HEAD` bytes or :data:`MAX_HEADERS` lines is 431; a
   malformed line, a header name with a space before its colon (``Transfer-Encoding :``)
   or a folded line is 400; a version other than HTTP/1.0 or 1.1 is 505.
2. :meth:`WebhookRules.check_head` judges what the head says, before any of the body is
   read: method (501 if unknown), path (404), method (405), secret token (403, compared
   in constant time),
   framing (Content-Length and Transfer-Encoding together, or several Content-Lengths:
   400; a chunked body or no length: 411; a malformed length: 400), size (413) and
   ``Expect`` (417 unless ``100-continue``). It returns the body's length.
3. :meth:`WebhookRules.check_body` turns the body into an update: JSON, an object, an
   integer ``update_id`` (else 400).

:class:`DedupTable` remembers the update_ids accepted lately, so a redelivery is
answered 200 without being handed on twice. A :class:`Rejection` carries the status, the
short text answered, and a ``cause`` without variable parts (for log rate limiting).
"""

import hmac
import json
from collections import OrderedDict
from typing import Any, Dict, List, NamedTuple, Optional, Tuple, Union
from urllib.parse import urlsplit

__all__ = [
    "MAX_HEAD",
    "MAX_HEADERS",
    "SECRET_HEADER",
    "Rejection",
    "Head",
    "parse_head",
    "WebhookRules",
    "DedupTable",
    "NEW",
    "SEEN",
    "BUSY",
]

#: Most bytes a request line and its header lines may take together (Telegram sends ~400).
MAX_HEAD = 16 * 1024
#: Most header lines a request may have.
MAX_HEADERS = 64
#: The header in which Telegram repeats the ``secret_token`` given to setWebhook.
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

# the methods of RFC 9110 (and PATCH): another one is 501, these but POST 405
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"})
# characters of a header name or method (RFC 9110 "token")
_TCHAR = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


class Rejection(NamedTuple):
    """Why a request is refused: the status, the text answered, a fixed cause."""

    status: int
    text: str
    cause: str


def _reject(status: int, cause: str, text: Optional[str] = None) -> Rejection:
    return Rejection(status, text or cause, f"{status} {cause}")


class Head(NamedTuple):
    """A parsed request head. ``headers`` maps lower-case names to values (a repeated
    header's values joined by ``", "``); ``lengths`` holds every Content-Length value."""

    method: str
    target: str
    version: str
    headers: Dict[str, str]
    lengths: List[str]

    @property
    def path(self) -> str:
        """The target's path: without its query string (or scheme and host, for a target
        in absolute form)."""
        return urlsplit(self.target).path

    @property
    def keep_alive(self) -> bool:
        """Whether the client lets the connection carry another request."""
        connection = self.headers.get("connection", "").lower()
        if self.version == "HTTP/1.0":
            return "keep-alive" in connection
        return "close" not in connection


class HeadError(ValueError):
    """A head that cannot be parsed; ``rejection`` says how to answer."""

    def __init__(self, rejection: Rejection) -> None:
        super().__init__(rejection.text)
        self.rejection = rejection


def check_unfinished_head(buffer: Union[bytes, bytearray]) -> Optional[Rejection]:
    """The refusal of a head still arriving that is already too large (over
    :data:`MAX_HEAD` bytes or :data:`MAX_HEADERS` lines), else None: a reader need not
    wait for the rest."""
    if len(buffer) > MAX_HEAD:
        return _reject(431, "request head too large")
    if buffer.count(b"\n") > MAX_HEADERS + 1:  # the request line, the header lines
        return _reject(431, "too many header lines")
    return None


def find_head_end(buffer: Union[bytes, bytearray], start: int = 0) -> Tuple[int, int]:
    """Where the head in ``buffer`` ends: ``(end of head, start of body)``, or (-1, -1)
    if its blank line has not come yet (``start``: where to resume looking)."""
    start = max(0, start - 3)
    i = buffer.find(b"\r\n\r\n", start)
    j = buffer.find(b"\n\n", start)
    if i < 0 and j < 0:
        return -1, -1
    if j < 0 or (0 <= i < j):
        return i, i + 4
    return j, j + 2


def parse_head(data: Union[bytes, bytearray]) -> Head:
    """The :class:`Head` in ``data`` (without the blank line that ends it); raises
    :class:`HeadError` for one that must be refused."""
    if len(data) > MAX_HEAD:
        raise HeadError(_reject(431, "request head too large"))
    lines = bytes(data).decode("latin-1").split("\n")
    while lines and lines[0] in ("", "\r"):  # empty lines before a request are allowed
        del lines[0]
    if not lines:
        raise HeadError(_reject(400, "empty request"))
    parts = lines[0].rstrip("\r").split(" ")
    if len(parts) != 3 or not parts[0] or not set(parts[0]) <= _TCHAR or not parts[1]:
        raise HeadError(_reject(400, "malformed request line"))
    method, target, version = parts
    if version not in ("HTTP/1.1", "HTTP/1.0"):
        if version.startswith("HTTP/"):
            raise HeadError(_reject(505, "HTTP version not supported"))
        raise HeadError(_reject(400, "malformed request line"))
    if len(lines) - 1 > MAX_HEADERS:
        raise HeadError(_reject(431, "too many header lines"))
    headers: Dict[str, str] = {}
    lengths: List[str] = []
    for line in lines[1:]:
        line = line.rstrip("\r")
        if line[:1] in (" ", "\t"):
            raise HeadError(_reject(400, "folded header line"))
        name, colon, value = line.partition(":")
        if not colon or not name or not set(name) <= _TCHAR:
            # "Transfer-Encoding : chunked" too: a space before the colon is not allowed
            raise HeadError(_reject(400, "malformed header line"))
        name = name.lower()
        value = value.strip(" \t")
        if name == "content-length":
            lengths.append(value)
        if name in headers:
            headers[name] += ", " + value
        else:
            headers[name] = value
    return Head(method, target, version, headers, lengths)


class WebhookRules:
    """The checks of a webhook endpoint (see the module documentation).

    :param path: the path to accept (None: any, the server routes).
    :param secret_token: the secret Telegram must send (None: not checked).
    :param max_body: the largest body accepted, in bytes.
    """

    __slots__ = ("path", "_secret", "max_body", "_max_digits")

    def __init__(self, path: Optional[str], secret_token: Optional[str], max_body: int) -> None:
        if max_body < 1:
            raise ValueError("max_body must be positive")
        self.path = path
        self._secret = secret_token.encode() if secret_token else None
        self.max_body = max_body
        self._max_digits = len(str(max_body))

    @property
    def has_secret(self) -> bool:
        return self._secret is not None

    def check_head(
        self,
        method: str,
        path: str,
        secret: Optional[str],
        content_length: Optional[str],
        transfer_encoding: Optional[str] = None,
        expect: Optional[str] = None,
        several_lengths: bool = False,
    ) -> Union[int, Rejection]:
        """The length of the body to read, or why the request is refused."""
        if method not in _METHODS:
            return _reject(501, "method not implemented")
        if self.path is not None and path != self.path:
            return _reject(404, "no webhook on this path")
        if method != "POST":
            return _reject(405, "only POST is accepted")
        if self._secret is not None:
            if secret is None:
                return _reject(403, "missing secret token")
            if not hmac.compare_digest(secret.encode("utf-8", "replace"), self._secret):
                return _reject(403, "wrong secret token")
        if transfer_encoding is not None:
            if content_length is not None:
                return _reject(400, "both Content-Length and Transfer-Encoding")
            return _reject(411, "Content-Length required (a chunked body is not read)")
        if several_lengths:
            return _reject(400, "several Content-Length headers")
        if not content_length:
            return _reject(411, "Content-Length required")
        if not (content_length.isascii() and content_length.isdigit()):
            return _reject(400, "malformed Content-Length")
        # a length with more digits than the limit is over it (and may be too long for int())
        digits = content_length.lstrip("0") or "0"
        length = int(digits) if len(digits) <= self._max_digits else None
        if length is None or length > self.max_body:
            return _reject(
                413, "body too large", f"body of {digits[:20]} bytes over the limit of {self.max_body}"
            )
        if expect is not None and expect.lower() != "100-continue":
            return _reject(417, "unknown Expect")
        return length

    @staticmethod
    def check_body(body: bytes, length: int) -> Union[Tuple[int, Dict[str, Any]], Rejection]:
        """``(update_id, update)`` from a body that should be ``length`` bytes long."""
        if len(body) != length:
            return _reject(400, "body shorter than its Content-Length")
        try:
            update = json.loads(body)
        except (ValueError, RecursionError):
            return _reject(400, "body is not JSON")
        if not isinstance(update, dict):
            return _reject(400, "body is not a JSON object")
        update_id = update.get("update_id")
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            return _reject(400, "no integer update_id")
        return update_id, update


#: Answers of :meth:`DedupTable.begin`.
NEW = 0  #: not seen: accept it, then call done()
SEEN = 1  #: accepted already: answer 200, do not hand it on
BUSY = 2  #: being accepted by another request right now


class DedupTable:
    """The update_ids accepted lately (at most ``size``, the oldest forgotten first) and
    those being accepted right now. Not thread-safe: the caller locks."""

    __slots__ = ("size", "_seen", "_pending")

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("seen_size must be positive")
        self.size = size
        self._seen: OrderedDict[int, None] = OrderedDict()
        self._pending: set = set()

    def begin(self, update_id: int) -> int:
        """NEW (and marked pending), SEEN or BUSY."""
        if update_id in self._seen:
            return SEEN
        if update_id in self._pending:
            return BUSY
        self._pending.add(update_id)
        return NEW

    def done(self, update_id: int, accepted: bool) -> None:
        """End what begin() started; remember ``update_id`` if it was accepted."""
        self._pending.discard(update_id)
        if accepted:
            self._seen[update_id] = None
            if len(self._seen) > self.size:
                self._seen.popitem(last=False)

    def __len__(self) -> int:
        return len(self._seen)

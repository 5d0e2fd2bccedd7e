"""HTTP/1.1 requests read and answers written, apart from any socket: no I/O, no clock.

What a server needs to take a request apart and put an answer together, with the limits
that keep a hostile client cheap:

- :func:`check_fields` applies those limits to a head another server parsed;
- :func:`find_head_end` finds where a request head ends in the bytes read so far, and
  :func:`check_unfinished_head` refuses one that is already too large (over ``max_head``
  bytes or ``max_headers`` header lines: 431), so a reader never waits for the rest;
- :func:`parse_head` turns the request line and header lines into a :class:`Head`: a
  malformed line, a header name with a space before its colon (``Transfer-Encoding :``)
  or a folded line is 400, a version other than HTTP/1.0 or 1.1 is 505;
- :func:`split_target` gives a target's path and query, in origin form (``/a?b``) or in
  absolute form (``http://host/a?b``, as sent to a proxy);
- :func:`parse_chunk_size` reads the size line of a chunk of a chunked body;
- :func:`response_head` writes the head of an answer.

A refusal is a :class:`Rejection`: the status, the short text answered, and a ``cause``
without variable parts (for rate-limited logging). The threaded server built on this is
``telegrambot/_httpserver.py``.
"""

from typing import Dict, Iterable, List, NamedTuple, Optional, Sequence, Tuple, Union

__all__ = [
    "MAX_HEAD",
    "MAX_HEADERS",
    "Rejection",
    "reject",
    "Head",
    "HeadError",
    "check_unfinished_head",
    "check_fields",
    "find_head_end",
    "parse_head",
    "split_target",
    "parse_chunk_size",
    "response_head",
]

#: Most bytes a request line and its header lines may take together (Telegram sends ~400).
MAX_HEAD = 16 * 1024
#: Most header lines a request may have.
MAX_HEADERS = 64

# characters of a header name or method (RFC 9110 "token")
_TCHAR = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


class Rejection(NamedTuple):
    """Why a request is refused: the status, the text answered, a fixed cause."""

    status: int
    text: str
    cause: str


def reject(status: int, cause: str, text: Optional[str] = None) -> Rejection:
    """A :class:`Rejection` whose cause is ``"<status> <cause>"`` (``text``: the cause)."""
    return Rejection(status, text or cause, f"{status} {cause}")


def split_target(target: str) -> Tuple[str, str]:
    """``(path, query)`` of a request target: ``/a/b?x=1`` or ``http://host/a/b?x=1``
    both give ``("/a/b", "x=1")``; a target without a path (``*``) is its own path."""
    if target[:1] != "/" and "://" in target:  # absolute form: drop scheme and authority
        rest = target.split("://", 1)[1]
        slash, question = rest.find("/"), rest.find("?")
        if slash < 0 or 0 <= question < slash:  # no path: "http://host" or "http://host?q"
            target = "/" + rest[question:] if question >= 0 else "/"
        else:
            target = rest[slash:]
    path, _, query = target.partition("?")
    return path, query


class Head(NamedTuple):
    """A parsed request head. ``headers`` maps lower-case names to values (a repeated
    header's values joined by ``", "``); ``lengths`` holds every Content-Length value;
    ``lines`` the header lines as they came (see :attr:`fields`)."""

    method: str
    target: str
    version: str
    headers: Dict[str, str]
    lengths: List[str]
    lines: Sequence[str] = ()

    @property
    def fields(self) -> List[Tuple[str, str]]:
        """The header lines as sent: ``(name, value)`` in their order, names in their case."""
        fields = []
        for line in self.lines:
            name, _, value = line.rstrip("\r").partition(":")
            fields.append((name, value.strip(" \t")))
        return fields

    @property
    def path(self) -> str:
        """The target's path: without its query string (or scheme and host, for a target
        in absolute form)."""
        return split_target(self.target)[0]

    @property
    def query(self) -> str:
        """The target's query string, without its ``?`` ("" if none)."""
        return split_target(self.target)[1]

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


def check_unfinished_head(
    buffer: Union[bytes, bytearray], max_head: int = MAX_HEAD, max_headers: int = MAX_HEADERS
) -> Optional[Rejection]:
    """The refusal of a head still arriving that is already too large (over ``max_head``
    bytes or ``max_headers`` lines), else None: a reader need not wait for the rest."""
    if len(buffer) > max_head:
        return reject(431, "request head too large")
    if buffer.count(b"\n") > max_headers + 1:  # the request line, the header lines
        return reject(431, "too many header lines")
    return None


def check_fields(
    fields: Iterable[Tuple[bytes, bytes]], max_head: int = MAX_HEAD, max_headers: int = MAX_HEADERS
) -> Optional[Rejection]:
    """The limits of :func:`check_unfinished_head` judged from a head another server
    parsed already (an ASGI server's ``scope["headers"]``, aiohttp's ``raw_headers``):
    over ``max_headers`` header lines or ``max_head`` bytes of them is 431, else None."""
    count = size = 0
    for name, value in fields:
        count += 1
        size += len(name) + len(value) + 4  # "name: value\r\n"
    if count > max_headers:
        return reject(431, "too many header lines")
    if size > max_head:
        return reject(431, "request head too large")
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


def parse_head(
    data: Union[bytes, bytearray], max_head: int = MAX_HEAD, max_headers: int = MAX_HEADERS
) -> Head:
    """The :class:`Head` in ``data`` (without the blank line that ends it); raises
    :class:`HeadError` for one that must be refused."""
    if len(data) > max_head:
        raise HeadError(reject(431, "request head too large"))
    lines = bytes(data).decode("latin-1").split("\n")
    while lines and lines[0] in ("", "\r"):  # empty lines before a request are allowed
        del lines[0]
    if not lines:
        raise HeadError(reject(400, "empty request"))
    parts = lines[0].rstrip("\r").split(" ")
    if len(parts) != 3 or not parts[0] or not _TCHAR.issuperset(parts[0]) or not parts[1]:
        raise HeadError(reject(400, "malformed request line"))
    method, target, version = parts
    if version not in ("HTTP/1.1", "HTTP/1.0"):
        if version.startswith("HTTP/"):
            raise HeadError(reject(505, "HTTP version not supported"))
        raise HeadError(reject(400, "malformed request line"))
    if len(lines) - 1 > max_headers:
        raise HeadError(reject(431, "too many header lines"))
    headers: Dict[str, str] = {}
    lengths: List[str] = []
    del lines[0]
    for line in lines:
        if line[:1] in (" ", "\t"):
            raise HeadError(reject(400, "folded header line"))
        name, colon, value = line.partition(":")
        if not colon or not name or not _TCHAR.issuperset(name):
            # "Transfer-Encoding : chunked" too: a space before the colon is not allowed
            raise HeadError(reject(400, "malformed header line"))
        value = value.strip(" \t\r")
        name = name.lower()
        if name == "content-length":
            lengths.append(value)
        if name in headers:
            headers[name] += ", " + value
        else:
            headers[name] = value
    return Head(method, target, version, headers, lengths, lines)


def parse_chunk_size(line: bytes) -> int:
    """The size of the chunk whose size line is ``line`` (extensions after ``;``
    ignored); raises ValueError for a malformed one."""
    digits = line.split(b";", 1)[0].strip()
    if not digits or len(digits) > 16 or not all(c in b"0123456789abcdefABCDEF" for c in digits):
        raise ValueError("malformed chunk size line")
    return int(digits, 16)


def response_head(
    status: int,
    reason: str,
    server: str,
    date: str,
    content_type: str,
    length: int,
    headers: Iterable[Tuple[str, str]] = (),
    connection: Optional[str] = None,
) -> bytes:
    """The head of an answer (status line with ``reason``, header lines, blank line),
    ready to send; ``connection``: the value of a Connection header, if any."""
    head = "HTTP/1.1 %d %s\r\nServer: %s\r\nDate: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n" % (
        status, reason, server, date, content_type, length)
    for name, value in headers:
        head += f"{name}: {value}\r\n"
    if connection is not None:
        head += f"Connection: {connection}\r\n"
    return (head + "\r\n").encode("latin-1")

"""A small threaded HTTP/1.1 server: the webhook receiver's and the emulator's.

One thread accepts connections; each connection is served on a thread of its own (named
by the user of the server: ``telegrambot-webhook-conn``, ``telegrambot-emulator-conn``),
request after request while the client keeps it alive. Reading a request is
:mod:`telegrambot.core.http`'s: the head is read into at most ``max_head`` bytes and
``max_headers`` lines (431 before the rest is waited for), and is parsed there (400, 505).

An application is a function ``handle(request) -> Response | None``, called on the
connection's thread once the head is parsed. It reads the body only if it wants it:
:meth:`Request.read` (``n`` bytes, as framed by Content-Length) or :meth:`Request.body`
(the whole body, Content-Length or chunked, up to a limit). ``Expect: 100-continue`` is
answered when the body is first read, so an application that refuses from the head
never invites the body. It returns a :class:`Response`, or None to drop the connection
without a word. The connection is kept for the next request unless the client or the
response says ``close``, or the body was not read to its end; when the server is the one
that closes, it reads (and drops) for a moment what the client still sends, so the answer
is not lost to a reset.

Limits on hostile clients: with ``read_timeout``, a connection may wait that long idle
for a request, and once a request's first byte came, all of it must arrive within that
time (a byte now and then cannot hold a connection); with ``connection_limit``, at most
that many connections are open: a new one beyond it pushes out the oldest connection that
was never :meth:`Request.trust`-ed (the webhook trusts a connection once a request on it
passed the checks), or is closed at once if every one is. TLS (``ssl_context``) is set up
on the connection's thread, so a slow handshake holds only its own.

:meth:`Server.stop` is orderly: ``drain(timeout)``, given by the application, makes it
answer 503 to what comes next and waits for the requests in flight; then the listener
closes, idle connections see their input end, answers being written complete until the
timeout, and what is left is cut off within one more second.
"""

import email.utils
import logging
import selectors
import socket
import ssl
import threading
import time
from http import HTTPStatus
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Tuple

from .core.http import (
    MAX_HEAD,
    MAX_HEADERS,
    Head,
    HeadError,
    Rejection,
    check_unfinished_head,
    find_head_end,
    parse_chunk_size,
    parse_head,
    response_head,
)

__all__ = ["Server", "Request", "Response", "reason"]

_CHUNK = 64 * 1024
_LINGER_BYTES = 256 * 1024  # read (and dropped) at most, after the server closes, first
_LINGER_SECONDS = 0.05
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_LINE = 1024  # the most bytes of a chunk size line or trailer line


class Response(NamedTuple):
    """An answer: status, body, content type, more header lines, and whether to close
    the connection after it."""

    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: Tuple[Tuple[str, str], ...] = ()
    close: bool = False


class _Reader:
    """Reads requests from a connection, with deadlines: a request may be awaited
    ``limit`` seconds, and once its first byte came, all of it must arrive within
    ``limit`` seconds (None: no limit)."""

    __slots__ = ("sock", "limit", "buffer", "deadline")

    def __init__(self, sock: socket.socket, limit: Optional[float]) -> None:
        self.sock = sock
        self.limit = limit
        self.buffer = bytearray()
        self.deadline: Optional[float] = None

    def _receive(self) -> bytes:
        if self.limit is not None:
            if self.deadline is None:
                self.sock.settimeout(self.limit)
            else:
                left = self.deadline - time.monotonic()
                if left <= 0:
                    raise socket.timeout("the request did not arrive whole in time")
                self.sock.settimeout(left)
        data = self.sock.recv(_CHUNK)
        if data and self.deadline is None and self.limit is not None:
            self.deadline = time.monotonic() + self.limit
        return data

    def head(self, max_head: int, max_headers: int) -> Optional[bytes]:
        """The next request head (without its blank line); None if the client closed the
        connection before sending one. Raises HeadError (431), EOFError, OSError."""
        buffer = self.buffer
        self.deadline = None
        if buffer and self.limit is not None:
            self.deadline = time.monotonic() + self.limit
        searched = 0
        while True:
            end, body = find_head_end(buffer, searched)
            if end >= 0:
                head = bytes(buffer[:end])
                del buffer[:body]
                return head
            too_large = check_unfinished_head(buffer, max_head, max_headers)
            if too_large is not None:
                raise HeadError(too_large)
            searched = len(buffer)
            data = self._receive()
            if not data:
                if buffer:
                    raise EOFError("the connection closed in the middle of a request")
                return None
            buffer += data

    def read(self, length: int) -> bytes:
        """``length`` bytes (fewer if the client closed the connection)."""
        buffer = self.buffer
        while len(buffer) < length:
            data = self._receive()
            if not data:
                break
            buffer += data
        data = bytes(buffer[:length])
        del buffer[:length]
        return data

    def drop(self, length: int) -> None:
        """Read ``length`` bytes and forget them, a piece at a time."""
        while length > 0:
            data = self.read(min(length, _CHUNK))
            if not data:
                raise EOFError("the body ended early")
            length -= len(data)

    def line(self) -> bytes:
        """One line (with its end), of at most ``_LINE`` bytes."""
        buffer = self.buffer
        searched = 0
        while True:
            end = buffer.find(b"\n", searched)
            if end >= 0:
                line = bytes(buffer[: end + 1])
                del buffer[: end + 1]
                return line
            if len(buffer) > _LINE:
                raise ValueError("a chunked body's line is too long")
            searched = len(buffer)
            data = self._receive()
            if not data:
                raise EOFError("the body ended early")
            buffer += data


class _Connection:
    """One open connection."""

    __slots__ = ("sock", "peer", "thread", "trusted")

    def __init__(self, sock: socket.socket, peer: str) -> None:
        self.sock = sock
        self.peer = peer
        self.thread: Optional[threading.Thread] = None
        self.trusted = False  # never pushed out to make room

    def shutdown(self, how: int) -> None:
        try:
            socket.socket.shutdown(self.sock, how)  # the plain socket's, also for TLS
        except OSError:
            pass


class Request:
    """One request: its parsed :class:`~telegrambot.core.http.Head`, the peer's
    address, and its body, read on demand."""

    __slots__ = ("head", "peer", "_conn", "_reader", "_read", "_asked")

    def __init__(self, head: Head, conn: _Connection, reader: _Reader) -> None:
        self.head = head
        self.peer = conn.peer
        self._conn = conn
        self._reader = reader
        self._read: Optional[int] = 0  # bytes of body read; None once read to its end
        self._asked = False  # "100 Continue" was sent, or need not be

    @property
    def consumed(self) -> bool:
        """Whether the body was read to its end (or there was none)."""
        if self._read is None:
            return True
        head = self.head
        if "transfer-encoding" in head.headers:
            return False
        lengths = head.lengths
        if not lengths:
            return True
        return len(lengths) == 1 and _length(lengths[0]) == self._read

    def trust(self) -> None:
        """Keep this connection when the server makes room for new ones."""
        self._conn.trusted = True

    def _continue(self) -> None:
        if not self._asked:
            self._asked = True
            head = self.head
            expect = head.headers.get("expect")
            if expect is not None and expect.lower() == "100-continue" and head.version == "HTTP/1.1":
                self._conn.sock.sendall(_CONTINUE)

    def read(self, length: int) -> bytes:
        """``length`` bytes of the body (fewer if the client closed the connection):
        for an application that judged the framing itself."""
        self._continue()
        data = self._reader.read(length)
        if self._read is not None:
            self._read += len(data)
        return data

    def body(self, limit: Optional[int] = None) -> Optional[bytes]:
        """The whole body, framed by Content-Length or chunked; None if it is longer than
        ``limit`` (then read and dropped, never held whole). Raises ValueError for a
        body that can't be read (a malformed length or chunk), EOFError if it ends early."""
        head = self.head
        coding = head.headers.get("transfer-encoding")
        if coding is not None and coding.lower() != "chunked":
            raise ValueError("unknown Transfer-Encoding")  # no way to tell where it ends
        self._continue()
        if coding is not None:
            data = self._chunked(limit)
        else:
            lengths = set(head.lengths) or {"0"}
            size = _length(lengths.pop())
            if lengths or size is None:
                raise ValueError("malformed Content-Length")
            if limit is not None and size > limit:
                self._reader.drop(size)
                data = None
            else:
                data = self._reader.read(size)
                if len(data) < size:
                    raise EOFError("the body ended early")
        self._read = None
        return data

    def _chunked(self, limit: Optional[int]) -> Optional[bytes]:
        reader = self._reader
        chunks: List[bytes] = []
        total = 0
        while True:
            size = parse_chunk_size(reader.line())
            if size == 0:
                while reader.line() not in (b"\r\n", b"\n"):  # trailer lines
                    pass
                return b"".join(chunks) if limit is None or total <= limit else None
            total += size
            if limit is not None and total > limit:
                chunks.clear()
                reader.drop(size)
            else:
                chunks.append(reader.read(size))
            reader.line()  # the end of the chunk


_REASONS: Dict[int, str] = {status.value: status.phrase for status in HTTPStatus}


def reason(status: int) -> str:
    """The reason phrase of ``status`` ("Unknown" for a code HTTP does not name)."""
    return _REASONS.get(status, "Unknown")


def _length(value: str) -> Optional[int]:
    """A Content-Length value's number, None if it is not one (or absurdly long)."""
    if value.isascii() and value.isdigit() and len(value) < 19:
        return int(value)
    return None


_date_cache: List[Any] = [0, ""]


def _http_date() -> str:
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache[0], _date_cache[1] = now, email.utils.formatdate(now, usegmt=True)
    return _date_cache[1]


class Server:
    """The server: binds at once (so a port in use fails here), serves from
    :meth:`start`. See the module documentation for the parameters' meaning;
    ``refused(rejection, peer)`` is told of every head refused before the application
    saw it, ``event(what, peer)`` of a connection closed at the connection limit: ``what``
    is ``"connection limit"`` (a new one refused, all are trusted) or ``"connection pushed
    out"`` (an untrusted one closed to make room)."""

    backlog = 128  # many clients connect at once (Telegram opens up to 100)

    def __init__(
        self,
        address: Tuple[str, int],
        handle: Callable[[Request], Optional[Response]],
        *,
        label: str,
        connection_name: str,
        logger: logging.Logger,
        server_header: str,
        ssl_context: Optional[ssl.SSLContext] = None,
        read_timeout: Optional[float] = None,
        connection_limit: Optional[int] = None,
        max_head: int = MAX_HEAD,
        max_headers: int = MAX_HEADERS,
        refused: Optional[Callable[[Rejection, str], None]] = None,
        event: Optional[Callable[[str, str], None]] = None,
    ) -> None:
        self.handle = handle
        self.label = label
        self.connection_name = connection_name
        self.logger = logger
        self.server_header = server_header
        self.ssl_context = ssl_context
        self.read_timeout = read_timeout
        self.connection_limit = connection_limit
        self.max_head = max_head
        self.max_headers = max_headers
        self.refused = refused
        self.event = event
        # open connections, oldest first; and those pushed out, until their threads end
        self.connections: Dict[socket.socket, _Connection] = {}
        self.leaving: Dict[socket.socket, _Connection] = {}
        self.connections_lock = threading.Lock()
        self._thread: Optional[threading.Thread] = None
        self._closing = threading.Event()
        self._stop_claimed = False
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.socket = socket.socket(family, socket.SOCK_STREAM)
        try:
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.socket.bind(address)
            self.socket.listen(self.backlog)
        except BaseException:
            self.socket.close()
            raise
        self.socket.setblocking(False)  # accept() only when told there is one
        self.server_address: Tuple[Any, ...] = self.socket.getsockname()
        self._wake_r, self._wake_w = socket.socketpair()

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    # -- accepting -------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Started, and not stopped."""
        return self._thread is not None and not self._closing.is_set()

    def start(self, thread_name: str) -> None:
        """Accept connections on a daemon thread named ``thread_name``."""
        self._thread = threading.Thread(target=self._accept_loop, name=thread_name, daemon=True)
        self._thread.start()

    def _accept_loop(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self.socket, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            while not self._closing.is_set():
                selector.select()
                if self._closing.is_set():
                    return
                try:
                    sock, address = self.socket.accept()
                except BlockingIOError:
                    continue
                except OSError as exc:  # out of file descriptors, say: let some close
                    self.logger.warning("%s: could not accept a connection: %s", self.label, exc)
                    self._closing.wait(0.05)
                    continue
                self._open(sock, address[0])

    def _open(self, sock: socket.socket, peer: str) -> None:
        if sock.family != socket.AF_UNIX:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn: Optional[_Connection] = _Connection(sock, peer)
        pushed_out = None
        with self.connections_lock:
            if self.connection_limit is not None and len(self.connections) >= self.connection_limit:
                for key, other in self.connections.items():  # the oldest untrusted one
                    if not other.trusted:
                        pushed_out = self.leaving[key] = self.connections.pop(key)
                        break
                else:
                    conn = None  # all trusted: refuse the new one
            if conn is not None:
                self.connections[sock] = conn
        if conn is None:
            self._event("connection limit", peer)
            _close(sock)
            return
        if pushed_out is not None:
            self._event("connection pushed out", pushed_out.peer)
            pushed_out.shutdown(socket.SHUT_RDWR)
        conn.thread = threading.Thread(
            target=self._serve_connection, args=(conn,), name=self.connection_name, daemon=True
        )
        conn.thread.start()

    def _event(self, what: str, peer: str) -> None:
        if self.event is not None:
            self.event(what, peer)

    # -- one connection --------------------------------------------------------------------

    def _serve_connection(self, conn: _Connection) -> None:
        sock = conn.sock
        try:
            if self.ssl_context is not None:
                sock.settimeout(self.read_timeout)
                conn.sock = self.ssl_context.wrap_socket(
                    sock, server_side=True, do_handshake_on_connect=False
                )
                conn.sock.do_handshake()
            self._serve_requests(conn)
        except (OSError, EOFError, ssl.SSLError) as exc:
            self.logger.debug("%s: connection from %s ended: %s", self.label, conn.peer, exc)
        except Exception:
            self.logger.exception("%s: unexpected error on a connection from %s",
                                  self.label, conn.peer)
        finally:
            with self.connections_lock:
                self.connections.pop(sock, None)
                self.leaving.pop(sock, None)
            _close(conn.sock)

    def _serve_requests(self, conn: _Connection) -> None:
        """Requests of one connection, until it closes or one ends it."""
        sock = conn.sock
        reader = _Reader(sock, self.read_timeout)
        max_head, max_headers = self.max_head, self.max_headers
        while True:
            try:
                data = reader.head(max_head, max_headers)
                if data is None:
                    return
                head = parse_head(data, max_head, max_headers)
            except HeadError as e:
                if self.refused is not None:
                    self.refused(e.rejection, conn.peer)
                self._send(sock, Response(e.rejection.status, e.rejection.text.encode()), None,
                           keep=False, linger=True)
                return
            request = Request(head, conn, reader)
            response = self.handle(request)
            if response is None:  # drop the connection unanswered
                conn.shutdown(socket.SHUT_RDWR)
                return
            # the server ends the connection: what the client still sends is not read
            ends = response.close or not request.consumed
            keep = head.keep_alive and not ends
            self._send(sock, response, head, keep, ends)
            if not keep:
                return

    def _send(
        self, sock: socket.socket, response: Response, head: Optional[Head], keep: bool,
        linger: bool,
    ) -> None:
        """Send ``response`` (its head only, to a HEAD request). With ``linger``, end the
        connection, reading (a little) and dropping what the client still sends first, so
        that the answer is not lost to a reset connection."""
        if keep:
            connection = "keep-alive" if head is not None and head.version == "HTTP/1.0" else None
        else:
            connection = "close"
        body = response.body
        status = response.status
        data = response_head(status, reason(status), self.server_header, _http_date(),
                             response.content_type, len(body), response.headers, connection)
        if head is None or head.method != "HEAD":
            data += body
        sock.sendall(data)
        if not linger:
            return
        try:
            socket.socket.shutdown(sock, socket.SHUT_WR)
            sock.settimeout(_LINGER_SECONDS)
            dropped = 0
            while dropped < _LINGER_BYTES:
                data = sock.recv(_CHUNK)
                if not data:
                    break
                dropped += len(data)
        except (OSError, ssl.SSLError):
            pass

    # -- stopping --------------------------------------------------------------------------

    def end_connections(self, how: int) -> List[threading.Thread]:
        """Shut the connections down (``how`` as in socket.shutdown); return their threads."""
        with self.connections_lock:
            conns = list(self.connections.values()) + list(self.leaving.values())
        for conn in conns:
            conn.shutdown(how)
        return [conn.thread for conn in conns if conn.thread is not None]

    def stop(self, timeout: float, drain: Optional[Callable[[float], bool]] = None) -> bool:
        """Stop: ``drain(timeout)`` first (the application refuses new requests and waits
        for those in flight; False if they did not finish), then close the listener, let
        answers being written complete until ``timeout``, and cut off what is left within
        one more second. False if a request had to be cut off; True at once if the server
        was stopped already, or is being stopped by another thread."""
        with self.connections_lock:
            if self._stop_claimed:  # stopped, or being stopped by another thread
                return True
            self._stop_claimed = True
        deadline = time.monotonic() + timeout
        finished = drain(timeout) if drain is not None else True
        self._closing.set()
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass
        if self._thread is not None:
            self._thread.join()
        # Idle keep-alive connections see an end of input; answers being written complete.
        for thread in self.end_connections(socket.SHUT_RD):
            thread.join(max(0.0, deadline - time.monotonic()))
        cut_off = time.monotonic() + 1.0  # one second for all of them, not each
        for thread in self.end_connections(socket.SHUT_RDWR):
            finished = False
            thread.join(max(0.0, cut_off - time.monotonic()))
        self.close()
        return finished

    def close(self) -> None:
        """Close the listening socket (stop() does)."""
        for sock in (self.socket, self._wake_r, self._wake_w):
            sock.close()


def _close(sock: socket.socket) -> None:
    try:
        socket.socket.shutdown(sock, socket.SHUT_WR)
    except OSError:
        pass
    sock.close()

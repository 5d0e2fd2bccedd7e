"""The emulator's HTTP side: a threaded HTTP/1.1 server and the request body decoders.

The server hands every request to ``emulator.serve(http_method, path, query, headers,
body)``, which returns an :class:`Answer` (or ``None`` to drop the connection unanswered).
Each connection has its own thread (``telegrambot-emulator-conn``); :meth:`Server.stop` ends
the accept loop and shuts down every open connection, so keep-alive threads end at once.
"""

import json
import logging
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from socketserver import TCPServer
from typing import Any, Dict, List, NamedTuple, Optional, Tuple
from urllib.parse import parse_qsl, unquote

logger = logging.getLogger(__name__)

Files = Dict[str, Tuple[str, bytes]]


class Answer(NamedTuple):
    """An HTTP answer: status, body bytes and content type."""

    status: int
    body: bytes
    content_type: str = "application/json"


def json_answer(status: int, payload: Any) -> Answer:
    return Answer(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"))


_REASONS = {
    200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
    409: "Conflict", 413: "Request Entity Too Large", 429: "Too Many Requests",
    500: "Internal Server Error", 502: "Bad Gateway",
}


class BadBody(ValueError):
    """The request body cannot be decoded."""


# -- body decoding ------------------------------------------------------------------------

def decode_body(content_type: str, body: bytes) -> Tuple[Dict[str, Any], Files]:
    """Parameters and files of a request body, by its content type.

    JSON bodies give typed values; urlencoded and multipart bodies give strings (the caller
    decodes them by parameter type). Files are ``{part name: (filename, bytes)}``.
    """
    mime = content_type.split(";", 1)[0].strip().lower()
    if not body:
        return {}, {}
    if mime == "application/json":
        try:
            params = json.loads(body.decode("utf-8"))
        except ValueError as exc:
            raise BadBody("can't parse JSON body: %s" % exc)
        if not isinstance(params, dict):
            raise BadBody("JSON body is not an object")
        return params, {}
    if mime == "multipart/form-data":
        match = re.search(r'boundary="?([^";]+)"?', content_type)
        if not match:
            raise BadBody("multipart body without boundary")
        return parse_multipart(body, match.group(1).encode("latin-1"))
    if mime in ("application/x-www-form-urlencoded", ""):
        return decode_query(body.decode("utf-8", "replace")), {}
    raise BadBody("unsupported content type %r" % mime)


def decode_query(query: str) -> Dict[str, Any]:
    return dict(parse_qsl(query, keep_blank_values=True))


_DISPOSITION_PARAM = re.compile(r';\s*([\w*]+)=("(?:[^"\\]|\\.)*"|[^;]*)')


def parse_multipart(body: bytes, boundary: bytes) -> Tuple[Dict[str, Any], Files]:
    params: Dict[str, Any] = {}
    files: Files = {}
    for part in (b"\r\n" + body).split(b"\r\n--" + boundary)[1:]:
        if part.startswith(b"--"):
            break
        head, sep, data = part.partition(b"\r\n\r\n")
        if not sep:
            raise BadBody("malformed multipart part")
        disposition = ""
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, _, value = line.partition(":")
            if key.strip().lower() == "content-disposition":
                disposition = value
        fields = {k.lower(): _unquote_param(v) for k, v in _DISPOSITION_PARAM.findall(disposition)}
        if "filename*" in fields:
            fields["filename"] = unquote(fields["filename*"].split("''", 1)[-1])
        name = fields.get("name")
        if name is None:
            raise BadBody("multipart part without a name")
        if "filename" in fields:
            files[name] = (fields["filename"], data)
        else:
            params[name] = data.decode("utf-8", "replace")
    return params, files


def _unquote_param(value: str) -> str:
    value = value.strip()
    if value.startswith('"') and value.endswith('"'):
        value = re.sub(r"\\(.)", r"\1", value[1:-1])
        # HTML5-style escaping used by urllib3 2.x
        value = value.replace("%22", '"').replace("%0D", "\r").replace("%0A", "\n")
    return value


# -- server ----------------------------------------------------------------------------------

class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "telegrambot-emulator"
    server: "Server"

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        self._serve()

    do_POST = do_GET

    def _serve(self) -> None:
        limit = getattr(self.server.emulator, "max_body", lambda: None)()
        try:
            body = self._read_body(limit)
        except (ValueError, OSError):
            self.close_connection = True
            self._write(json_answer(400, {"ok": False, "error_code": 400,
                                          "description": "Bad Request: unreadable body"}))
            return
        if body is None:  # over the limit: read and dropped, never held whole
            self._write(json_answer(413, {"ok": False, "error_code": 413,
                                          "description": "Request Entity Too Large"}))
            return
        target = self.path
        if target.startswith(("http://", "https://")):  # absolute form: we are the proxy
            target = "/" + target.split("/", 3)[-1] if target.count("/") >= 3 else "/"
        path, _, query = target.partition("?")
        answer = self.server.emulator.serve(self.command, path, query, self.headers, body)
        if answer is None:  # injected 'drop': close without a word
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self._write(answer)

    def _read_body(self, limit: Optional[int] = None) -> Optional[bytes]:
        """The request body; None if it is longer than ``limit`` (then read and dropped)."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: List[bytes] = []
            total = 0
            while True:
                size = int(self.rfile.readline(1024).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks) if limit is None or total <= limit else None
                total += size
                if limit is not None and total > limit:
                    chunks.clear()
                    self._drop(size)
                else:
                    chunks.append(self.rfile.read(size))
                self.rfile.readline(1024)
        length = int(self.headers.get("Content-Length") or 0)
        if limit is not None and length > limit:
            self._drop(length)
            return None
        return self.rfile.read(length) if length else b""

    def _drop(self, size: int) -> None:
        while size > 0:
            chunk = self.rfile.read(min(size, 1 << 20))
            if not chunk:
                raise OSError("body ended early")
            size -= len(chunk)

    def _write(self, answer: Answer) -> None:
        head = (
            "HTTP/1.1 %d %s\r\nServer: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n"
            "Connection: %s\r\n\r\n"
            % (answer.status, _REASONS.get(answer.status, "Unknown"), self.server_version,
               answer.content_type, len(answer.body),
               "close" if self.close_connection else "keep-alive")
        )
        self.wfile.write(head.encode("latin-1") + answer.body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # request lines carry the token; the emulator logs requests itself


class Server(HTTPServer):
    """HTTPServer with one named daemon thread per connection, all stoppable."""

    # many clients connect at once (a pool of 16 per bot, tests with 50 threads): with the
    # standard library's backlog of 5, the kernel would reset the connections past it
    request_queue_size = 128

    def __init__(self, address: Tuple[str, int], emulator: Any) -> None:
        self.emulator = emulator
        self._connections: Dict[socket.socket, threading.Thread] = {}
        self._conn_lock = threading.Lock()
        self._thread: Optional[threading.Thread] = None
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        TCPServer.server_bind(self)  # skip HTTPServer's reverse DNS lookup
        self.server_name, self.server_port = self.socket.getsockname()[:2]

    def start(self) -> None:
        self._closing = False
        self._thread = threading.Thread(target=self._accept_loop,
                                        name="telegrambot-emulator-server", daemon=True)
        self._thread.start()

    def _accept_loop(self) -> None:
        while True:
            try:
                request, client_address = self.socket.accept()
            except OSError:
                return
            if self._closing:
                request.close()
                return
            self.process_request(request, client_address)

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(target=self._connection, args=(request, client_address),
                                  name="telegrambot-emulator-conn", daemon=True)
        with self._conn_lock:
            self._connections[request] = thread
        thread.start()

    def _connection(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception as exc:  # a broken connection never affects the server
            logger.debug("emulator connection ended: %r", exc)
        finally:
            self.shutdown_request(request)
            with self._conn_lock:
                self._connections.pop(request, None)

    def stop(self, timeout: float = 2.0) -> None:
        if self._thread is not None:
            self._closing = True
            try:  # wake the blocking accept()
                address = (self.server_name, self.server_port)
                socket.create_connection(address, timeout=timeout).close()
            except OSError:
                pass
            self._thread.join(timeout)
        self.server_close()
        with self._conn_lock:
            connections = list(self._connections.items())
        # closing the read side ends idle keep-alive waits and lets answers in progress
        # (woken long polls) still be written; what remains after that is cut off
        for how in (socket.SHUT_RD, socket.SHUT_RDWR):
            for sock, _ in connections:
                try:
                    sock.shutdown(how)
                except OSError:
                    pass
            for _, thread in connections:
                thread.join(timeout / 2)

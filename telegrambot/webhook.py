"""Receiving updates on a webhook: a built-in HTTP(S) server and a WSGI app.

Telegram POSTs every Update as a JSON object to the URL given to
`setWebhook <https://core.telegram.org/bots/api#setwebhook>`_. The endpoint here applies
the same rules whichever HTTP server runs it:

- when a secret token is configured, the ``X-Telegram-Bot-Api-Secret-Token`` header must
  match it (compared in constant time), else 403 and the body is not read;
- only POST on the configured path (404 elsewhere, 405 for other methods);
- the body must declare its length (411; a chunked body is not read) and stay within
  ``max_body`` (413);
- the body must be a JSON object with an integer ``update_id`` (400);
- 200 is answered only once the update has been handed to the sink, so an update answered
  200 is never lost; a failing sink gets 500 and a full queue 503, and Telegram retries;
- an ``update_id`` already accepted is answered 200 again but not handed on twice;
- while the endpoint is stopping, new requests get 503.

Rejected requests never reach the sink; each is logged once, without headers or body.

A *sink* receives each accepted update as a dict: a :class:`queue.Queue` (for example the
``source=`` of :meth:`Bot.message_loop`), an object with a ``feed()`` method
(:class:`telegrambot.loop.OrderedWebhook`, :class:`telegrambot.loop.Webhook`) or any
callable taking the update.
"""

import collections
import hmac
import http.server
import io
import json
import logging
import pathlib
import queue
import secrets
import socket
import socketserver
import ssl
import threading
import time
from http import HTTPStatus
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple, Union
from urllib.parse import urlsplit

from .api import redact

logger = logging.getLogger(__name__)

__all__ = [
    "MAX_BODY",
    "SECRET_HEADER",
    "WebhookReceiver",
    "WebhookServer",
    "wsgi_app",
    "run_webhook",
    "WebhookRun",
]

#: Default limit on the size of a request body (1 MiB).
MAX_BODY = 1 << 20
#: The header in which Telegram repeats the ``secret_token`` given to setWebhook.
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

Update = Dict[str, Any]


def _feeder(sink: Any, put_timeout: float) -> Callable[[Update], Any]:
    """The function handing one update to ``sink``."""
    feed = getattr(sink, "feed", None)
    if callable(feed):
        return feed
    put = getattr(sink, "put", None)
    if callable(put):
        return lambda update: put(update, timeout=put_timeout)
    if callable(sink):
        return sink
    raise TypeError(
        f"a webhook sink must be a queue, have a feed() method or be callable, not {type(sink).__name__!r}"
    )


def _read_exactly(read: Callable[[int], bytes], length: int) -> bytes:
    chunks = []
    remaining = length
    while remaining > 0:
        chunk = read(remaining)
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


class WebhookReceiver:
    """The rules of a webhook endpoint, apart from any HTTP server.

    It is a WSGI application, and :meth:`receive` serves one request for any other
    framework (see ``examples/webhook_flask.py``). ``path=None`` accepts any path (the
    server or framework routes the requests); ``seen_size`` bounds how many accepted
    ``update_id`` values are remembered to drop redeliveries (about 140 bytes each);
    ``put_timeout`` is how long a bounded queue may block before the answer is 503.
    """

    def __init__(
        self,
        sink: Any,
        *,
        path: Optional[str] = None,
        secret_token: Optional[str] = None,
        max_body: int = MAX_BODY,
        seen_size: int = 10_000,
        put_timeout: float = 5.0,
    ) -> None:
        if max_body < 1 or seen_size < 1:
            raise ValueError("max_body and seen_size must be positive")
        self._feed = _feeder(sink, put_timeout)
        self.path = path
        self._secret = secret_token.encode() if secret_token else None
        self.max_body = max_body
        self.seen_size = seen_size
        self._cond = threading.Condition()
        self._accepting = True
        self._in_flight = 0
        self._seen: collections.OrderedDict[int, None] = collections.OrderedDict()
        self._pending: set = set()

    def __repr__(self) -> str:
        return f"<WebhookReceiver path={self.path!r} secret={bool(self._secret)} max_body={self.max_body}>"

    # -- stopping ----------------------------------------------------------------------

    @property
    def accepting(self) -> bool:
        """False once :meth:`close` was called: new requests get 503."""
        return self._accepting

    def close(self) -> None:
        """Answer 503 to every new request from now on; requests in flight carry on."""
        with self._cond:
            self._accepting = False

    def wait_idle(self, timeout: Optional[float] = None) -> bool:
        """Wait until no request is in flight; False if ``timeout`` ran out first."""
        with self._cond:
            return self._cond.wait_for(lambda: self._in_flight == 0, timeout)

    # -- one request -------------------------------------------------------------------

    def receive(
        self,
        method: str,
        path: str,
        header: Callable[[str], Optional[str]],
        content_length: Optional[str],
        read: Callable[[int], bytes],
        peer: Any = "?",
    ) -> Tuple[int, str]:
        """Apply the rules to one request; return the HTTP status and a short text.

        ``header(name)`` looks a request header up, ``read(n)`` reads from the body.
        The body is read only once the path, method, secret and length are accepted.
        """
        with self._cond:
            if not self._accepting:
                logger.info("webhook: 503 for a request from %s: stopping", peer)
                return 503, "stopping"
            self._in_flight += 1
        try:
            status, text = self._receive(method, path, header, content_length, read)
        finally:
            with self._cond:
                self._in_flight -= 1
                self._cond.notify_all()
        if status >= 400 and status != 500:  # a failing sink was logged with its traceback
            logger.warning("webhook: %d for a request from %s: %s", status, peer, text)
        return status, text

    def _receive(
        self,
        method: str,
        path: str,
        header: Callable[[str], Optional[str]],
        content_length: Optional[str],
        read: Callable[[int], bytes],
    ) -> Tuple[int, str]:
        if self.path is not None and path != self.path:
            return 404, "no webhook on this path"
        if method != "POST":
            return 405, "only POST is accepted"
        if self._secret is not None:
            given = header(SECRET_HEADER)
            if given is None:
                return 403, "missing secret token"
            if not hmac.compare_digest(given.encode("utf-8", "replace"), self._secret):
                return 403, "wrong secret token"
        if not content_length:
            return 411, "Content-Length required"
        if not (content_length.isascii() and content_length.isdigit()):
            return 400, "malformed Content-Length"
        # a length with more digits than the limit is over it (and may be too long for int())
        digits = content_length.lstrip("0") or "0"
        length = int(digits) if len(digits) <= len(str(self.max_body)) else None
        if length is None or length > self.max_body:
            return 413, f"body of {digits[:20]} bytes over the limit of {self.max_body}"
        body = _read_exactly(read, length)
        if len(body) != length:
            return 400, "body shorter than its Content-Length"
        try:
            update = json.loads(body)
        except (ValueError, RecursionError):
            return 400, "body is not JSON"
        if not isinstance(update, dict):
            return 400, "body is not a JSON object"
        update_id = update.get("update_id")
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            return 400, "no integer update_id"
        return self._hand_over(update_id, update)

    def _hand_over(self, update_id: int, update: Update) -> Tuple[int, str]:
        with self._cond:
            if update_id in self._seen:
                logger.info("webhook: update %d delivered again, not handed on twice", update_id)
                return 200, "already accepted"
            if update_id in self._pending:
                return 503, f"update {update_id} is being accepted by another request"
            self._pending.add(update_id)
        accepted = False
        try:
            self._feed(update)
            accepted = True
        except queue.Full:
            return 503, "queue full"
        except Exception as exc:
            logger.exception("webhook: 500: the sink failed on update %d", update_id)
            return 500, f"the sink failed on update {update_id}: {type(exc).__name__}"
        finally:
            with self._cond:
                self._pending.discard(update_id)
                if accepted:
                    self._seen[update_id] = None
                    if len(self._seen) > self.seen_size:
                        self._seen.popitem(last=False)
        return 200, "ok"

    # -- WSGI --------------------------------------------------------------------------

    def __call__(
        self, environ: Dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        """The WSGI entry point (PEP 3333)."""
        status, text = self.receive(
            environ.get("REQUEST_METHOD", "GET"),
            environ.get("PATH_INFO") or "/",
            lambda name: environ.get("HTTP_" + name.upper().replace("-", "_")),
            environ.get("CONTENT_LENGTH"),
            environ["wsgi.input"].read,
            environ.get("REMOTE_ADDR", "?"),
        )
        body = text.encode()
        start_response(f"{status} {HTTPStatus(status).phrase}", _response_headers(status, body))
        return [body]


def _response_headers(status: int, body: bytes) -> List[Tuple[str, str]]:
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
    if status == 405:
        headers.append(("Allow", "POST"))
    return headers


#: The WSGI application: ``wsgi_app(sink, path=None, secret_token=None, max_body=MAX_BODY)``
#: (the :class:`WebhookReceiver` is one). Call its ``close()`` before shutting the WSGI
#: server down, so late requests get 503.
wsgi_app = WebhookReceiver


# -- the built-in server -------------------------------------------------------------------


class _RequestReader(socket.SocketIO):
    """Reads a connection: a request may be awaited ``limit`` seconds, and once its first
    byte came, the rest must follow within ``limit`` seconds (a client sending a byte now
    and then cannot hold the connection)."""

    def __init__(self, sock: socket.socket, limit: float) -> None:
        super().__init__(sock, "rb")
        self.conn = sock
        self.limit = limit
        self.deadline: Optional[float] = None  # None while awaiting a request

    def readinto(self, b: Any) -> Optional[int]:
        if self.deadline is None:
            self.conn.settimeout(self.limit)
        else:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("the request did not arrive whole in time")
            self.conn.settimeout(left)
        n = super().readinto(b)
        if n and self.deadline is None:
            self.deadline = time.monotonic() + self.limit
        return n


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "telegrambot-webhook"
    sys_version = ""
    wbufsize = -1  # buffered: headers and body leave in one write
    disable_nagle_algorithm = True

    server: "_HTTPServer"

    def setup(self) -> None:
        super().setup()
        self.rfile.close()  # replaced by one that bounds a whole request's time
        self._reader = _RequestReader(self.connection, self.server.read_timeout)
        self.rfile = io.BufferedReader(self._reader)

    def handle_one_request(self) -> None:
        self._reader.deadline = None
        super().handle_one_request()

    def _handle(self) -> None:
        lengths = self.headers.get_all("Content-Length") or []
        length = lengths[0] if lengths else None
        if "Transfer-Encoding" in self.headers:
            length = None  # a chunked body is not read here: 411
        elif len(lengths) > 1:
            length = "several"  # which of them frames the body? 400
        status, text = self.server.receiver.receive(
            self.command,
            urlsplit(self.path).path,
            self.headers.get,
            length,
            self.rfile.read,
            self.client_address[0],
        )
        body = text.encode()
        self.send_response(status)
        for name, value in _response_headers(status, body):
            self.send_header(name, value)
        if status != 200:  # the body may be unread: never reuse this connection
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_POST = do_GET = do_HEAD = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _handle

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        """Accepted requests are not logged; rejections are, by the receiver."""

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("webhook: %s: %s", self.client_address[0], redact(format % args))


class _HTTPServer(http.server.HTTPServer):
    """An HTTPServer with one named daemon thread per connection, TLS in that thread."""

    request_queue_size = 128  # Telegram opens up to 100 connections at once

    def __init__(
        self,
        address: Tuple[str, int],
        receiver: WebhookReceiver,
        ssl_context: Optional[ssl.SSLContext],
        read_timeout: float,
        connection_limit: int,
    ) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.receiver = receiver
        self.ssl_context = ssl_context
        self.read_timeout = read_timeout
        self.connection_limit = connection_limit
        self.connections: Dict[Any, threading.Thread] = {}
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer's own server_bind looks the host name up (DNS): not needed here.
        socketserver.TCPServer.server_bind(self)
        self.server_name = str(self.server_address[0])
        self.server_port = self.server_address[1]

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self._serve_connection,
            args=(request, client_address),
            name="telegrambot-webhook-conn",
            daemon=True,
        )
        with self.connections_lock:
            full = len(self.connections) >= self.connection_limit
            if not full:
                self.connections[request] = thread
        if full:
            logger.warning(
                "webhook: %d connections open, one from %s refused",
                self.connection_limit,
                client_address[0],
            )
            self.shutdown_request(request)
        else:
            thread.start()

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.exception("webhook: could not serve a connection from %s", client_address[0])

    def _serve_connection(self, request: Any, client_address: Any) -> None:
        conn = request
        try:
            request.settimeout(self.read_timeout)
            if self.ssl_context is not None:
                conn = self.ssl_context.wrap_socket(
                    request, server_side=True, do_handshake_on_connect=False
                )
                with self.connections_lock:
                    self.connections[conn] = self.connections.pop(request)
                conn.do_handshake()
            self.finish_request(conn, client_address)
        except (OSError, ssl.SSLError) as exc:
            logger.debug("webhook: connection from %s ended: %s", client_address[0], exc)
        except Exception:
            logger.exception("webhook: unexpected error on a connection from %s", client_address[0])
        finally:
            with self.connections_lock:
                self.connections.pop(conn, None)
            self.shutdown_request(conn)

    def end_connections(self, how: int) -> List[threading.Thread]:
        """Shut the connections down (``how`` as in socket.shutdown); return their threads."""
        with self.connections_lock:
            items = list(self.connections.items())
        for conn, _ in items:
            try:
                socket.socket.shutdown(conn, how)  # the plain socket's, also for TLS
            except OSError:
                pass
        return [thread for _, thread in items]


class WebhookServer:
    """A webhook endpoint on the standard library's HTTP server, optionally over TLS.

    Listens on ``host``:``port`` (``port=0`` picks a free one, see :attr:`port`) and hands
    every update POSTed to ``path`` to ``sink`` (a queue, an OrderedWebhook or Webhook, a
    callable; see the module documentation for the rules). ``certfile``/``keyfile`` turn
    TLS on, e.g. with the self-signed certificate also given to
    `setWebhook <https://core.telegram.org/bots/api#setwebhook>`_. ``read_timeout`` bounds
    how long a connection may wait silent for a request, and how long a request may take
    to arrive whole; beyond ``connection_limit`` open connections, new ones are closed at
    once (Telegram opens at most 100).

    :meth:`start` serves on a daemon thread, :meth:`stop` lets requests in flight finish;
    also usable as a context manager.
    """

    def __init__(
        self,
        sink: Any,
        host: str = "0.0.0.0",
        port: int = 8443,
        path: str = "/",
        *,
        secret_token: Optional[str] = None,
        certfile: Optional[str] = None,
        keyfile: Optional[str] = None,
        max_body: int = MAX_BODY,
        seen_size: int = 10_000,
        put_timeout: float = 5.0,
        read_timeout: float = 30.0,
        connection_limit: int = 256,
    ) -> None:
        self.receiver = WebhookReceiver(
            sink,
            path=path,
            secret_token=secret_token,
            max_body=max_body,
            seen_size=seen_size,
            put_timeout=put_timeout,
        )
        self.host = host
        self._port = port
        self._ssl_context: Optional[ssl.SSLContext] = None
        if certfile:
            self._ssl_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self._ssl_context.load_cert_chain(certfile, keyfile)
        self.read_timeout = read_timeout
        self.connection_limit = connection_limit
        self._httpd: Optional[_HTTPServer] = None
        self._thread: Optional[threading.Thread] = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<WebhookServer {redact(self.url)} {state}>"

    @property
    def port(self) -> int:
        """The port listened on (the one picked when started with ``port=0``)."""
        return self._httpd.server_address[1] if self._httpd else self._port

    @property
    def url(self) -> str:
        """The local URL of the endpoint (not necessarily the public one); it holds the
        path as given, so it is redacted wherever this module logs it."""
        scheme = "https" if self._ssl_context else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}{self.receiver.path}"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> "WebhookServer":
        """Bind and serve on a daemon thread ``telegrambot-webhook-<port>``; return self."""
        with self._lock:
            if self._httpd is not None:
                raise RuntimeError("this WebhookServer was already started")
            self._httpd = _HTTPServer(
                (self.host, self._port),
                self.receiver,
                self._ssl_context,
                self.read_timeout,
                self.connection_limit,
            )
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                args=(0.1,),
                name=f"telegrambot-webhook-{self.port}",
                daemon=True,
            )
            self._thread.start()
        logger.info("webhook: listening on %s", redact(self.url))
        return self

    def stop(self, timeout: float = 10.0) -> bool:
        """Stop serving: answer 503 to new requests, let those in flight finish (at most
        ``timeout`` seconds), then close. Returns False if some had to be cut off."""
        deadline = time.monotonic() + timeout
        self.receiver.close()
        with self._lock:
            httpd, thread, self._thread = self._httpd, self._thread, None
        if httpd is None or thread is None:
            return True
        finished = self.receiver.wait_idle(timeout)
        httpd.shutdown()
        thread.join()
        # Idle keep-alive connections see an end of input; answers being written complete.
        threads = httpd.end_connections(socket.SHUT_RD)
        for conn_thread in threads:
            conn_thread.join(max(0.0, deadline - time.monotonic()))
        cut_off = time.monotonic() + 1.0  # one second for all of them, not each
        for conn_thread in httpd.end_connections(socket.SHUT_RDWR):
            finished = False
            conn_thread.join(max(0.0, cut_off - time.monotonic()))
        httpd.server_close()
        logger.info("webhook: stopped listening on %s", redact(self.url))
        return finished

    def __enter__(self) -> "WebhookServer":
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()


# -- one call: set the webhook and serve ---------------------------------------------------


class WebhookRun:
    """A bot running on a webhook, as :func:`run_webhook` starts it; :meth:`stop` ends it."""

    def __init__(
        self, bot: Any, server: WebhookServer, loop: Any, updates: "queue.Queue[Any]"
    ) -> None:
        self.bot = bot
        self.server = server
        self.loop = loop
        self.updates = updates

    def __repr__(self) -> str:
        return f"<WebhookRun {self.server!r}>"

    def stop(self, timeout: float = 10.0, *, delete_webhook: bool = False) -> None:
        """Stop receiving (requests in flight finish), let the loop handle what was
        accepted, end it; with ``delete_webhook``, also call
        `deleteWebhook <https://core.telegram.org/bots/api#deletewebhook>`_.

        Called from a handler, it returns at once and the same steps run on a
        ``telegrambot-webhook-stop`` thread: the caller's thread is the one that still has
        to handle the updates already accepted (answered 200, so Telegram will not send
        them again).
        """
        if self.loop._in_handler():
            threading.Thread(
                target=self._stop,
                args=(timeout, delete_webhook),
                name="telegrambot-webhook-stop",
                daemon=True,
            ).start()
            return
        self._stop(timeout, delete_webhook)

    def _stop(self, timeout: float, delete_webhook: bool) -> None:
        deadline = time.monotonic() + timeout
        self.server.stop(timeout)
        while not self.updates.empty() and time.monotonic() < deadline:
            time.sleep(0.01)
        self.loop.stop()
        if delete_webhook:
            self.bot.deleteWebhook()

    def run_forever(self) -> None:
        """Block until the server stops or Ctrl-C, then :meth:`stop`."""
        try:
            while self.server.running:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def __enter__(self) -> "WebhookRun":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()


def run_webhook(
    bot: Any,
    callback: Union[None, Callable[[Dict[str, Any]], Any], Dict[str, Callable[..., Any]]] = None,
    *,
    url: Optional[str] = None,
    host: str = "0.0.0.0",
    port: int = 8443,
    path: Optional[str] = None,
    secret_token: Optional[str] = None,
    certfile: Optional[str] = None,
    keyfile: Optional[str] = None,
    certificate: Any = None,
    allowed_updates: Optional[List[str]] = None,
    drop_pending_updates: Optional[bool] = None,
    max_connections: Optional[int] = None,
    ip_address: Optional[str] = None,
    max_body: int = MAX_BODY,
    ordered: bool = True,
    maxhold: float = 3,
    run_forever: bool = False,
) -> WebhookRun:
    """Run ``bot`` on a webhook: what :meth:`Bot.message_loop` does for polling.

    Starts a :class:`WebhookServer` on ``host``:``port`` (``path`` defaults to the path of
    ``url``), a message loop reading its queue and handing updates to ``callback`` (as
    ``message_loop`` does), then calls
    `setWebhook <https://core.telegram.org/bots/api#setwebhook>`_ with ``url`` (None: the
    server's own URL, for a Bot API server on the same host such as the emulator), ``secret_token`` (a random one when None), ``allowed_updates``,
    ``drop_pending_updates``, ``max_connections``, ``ip_address`` and ``certificate``: a
    file path or object to upload, or True to upload ``certfile`` (a self-signed
    certificate). ``certfile``/``keyfile`` turn TLS on for the server.

    Returns a :class:`WebhookRun`; with ``run_forever`` it blocks until Ctrl-C first.
    """
    if secret_token is None:
        secret_token = secrets.token_urlsafe(32)
    if path is None:
        path = (urlsplit(url).path if url else "") or "/"
    if certificate is True:
        if not certfile:
            raise ValueError("certificate=True uploads certfile, but no certfile was given")
        certificate = pathlib.Path(certfile)
    elif isinstance(certificate, str):
        certificate = pathlib.Path(certificate)
    updates: queue.Queue[Any] = queue.Queue()
    server = WebhookServer(
        updates,
        host,
        port,
        path,
        secret_token=secret_token,
        certfile=certfile,
        keyfile=keyfile,
        max_body=max_body,
    ).start()
    loop = None
    try:
        loop = bot.message_loop(callback, source=updates, ordered=ordered, maxhold=maxhold)
        bot.setWebhook(
            url or server.url,
            certificate=certificate,
            ip_address=ip_address,
            max_connections=max_connections,
            allowed_updates=allowed_updates,
            drop_pending_updates=drop_pending_updates,
            secret_token=secret_token,
        )
    except BaseException:
        server.stop()
        if loop is not None:
            loop.stop()
        raise
    run = WebhookRun(bot, server, loop, updates)
    if run_forever:
        print(
            f"Receiving updates for {redact(url or server.url)} on {redact(server.url)}. Ctrl-C to stop."
        )
        run.run_forever()
    return run

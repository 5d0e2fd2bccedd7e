"""Receiving updates on a webhook: a built-in HTTP(S) server and a WSGI app.

Telegram POSTs every Update as a JSON object to the URL given to
`setWebhook <https://core.telegram.org/bots/api#setwebhook>`_. The endpoint here applies
the same rules whichever HTTP server runs it (they live in
:mod:`telegrambot.core.webhook_rules`), and answers:

======  ===============================================================================
status  when
======  ===============================================================================
200     the update was handed to the sink (accepted), or it was accepted before (a
        redelivery: answered 200, not handed on twice)
400     a malformed request: bad JSON, not an object, no integer ``update_id``, a body
        shorter than its Content-Length, Content-Length with Transfer-Encoding, several
        Content-Lengths, a malformed header line (``Transfer-Encoding :`` included)
403     the ``X-Telegram-Bot-Api-Secret-Token`` header is missing or wrong (compared in
        constant time); the body is not read
404     another path; 405 another method (501 an unknown one); 505 not HTTP/1.x
411     no Content-Length (a chunked body is not read)
413     a body over ``max_body`` (judged from Content-Length, before reading)
417     an ``Expect`` other than ``100-continue``
431     a request head over 16 KiB or over 64 header lines (built-in server)
500     the sink raised (logged with its traceback): Telegram retries
503     the queue stayed full for ``put_timeout`` seconds, the same update_id is being
        accepted by another request, or the endpoint is stopping: Telegram retries
======  ===============================================================================

Every check that can be made from the head is made before the body is read, and the
built-in server answers ``Expect: 100-continue`` only once they passed. An update answered
200 is in the sink: see :doc:`/delivery` for what happens to it next.

Rejections are logged without headers or body, at most one line per cause a minute
(``log_interval``) with a count of those not shown, so a flood of bad requests cannot
flood the log.

The built-in server (:class:`WebhookServer`, on the HTTP server core the emulator runs on
too: ``telegrambot/_httpserver.py``) holds hostile clients to bounded memory and threads:
a request head is read into at most 16 KiB; each connection must send a whole request
within ``read_timeout`` of its first byte, and may wait idle that long; at most
``connection_limit`` connections are open. When they all are, a new connection pushes out
the oldest one that has not yet sent a request with the right secret (or been accepted,
without a secret), so clients without the secret cannot crowd Telegram out; a rejected
request's connection is closed.

The rules are I/O-free (:mod:`telegrambot.core.webhook_rules`), and every server drives
them in the same four steps; one that awaits (an ASGI app) can too, since nothing in them
blocks:

1. ``length = rules.check_request(method, path, header, several_lengths, check_expect)``
   judges the head (``header(name)`` looks a header up by its lower-case name): a
   :class:`~telegrambot.core.http.Rejection` is answered at once, and the body is never
   read; otherwise the body is ``length`` bytes long;
2. the server reads those bytes, however it reads (``read(n)``, ``await receive()``);
3. ``rules.check_body(body, length)`` gives ``(update_id, update)``, or a Rejection;
4. the update is accepted: :class:`~telegrambot.core.webhook_rules.DedupTable` says
   whether it is new (hand it to the sink, then ``done()``), accepted already (200, not
   handed on twice) or being accepted by another request (503).

:class:`WebhookReceiver` runs the steps for the built-in server, WSGI and
:meth:`WebhookReceiver.receive`, with the stop and in-flight bookkeeping around them.
Step 4 is its ``_accept()``: the one place where an update becomes accepted, where a
durable inbox writes it before the 200 is answered.

On asyncio, :class:`telegrambot.asgi.AsyncWebhookReceiver` (an ASGI app) and
:func:`telegrambot.aio.webhook.webhook_app` (an aiohttp app) run the same steps, with the
same state between requests (``telegrambot/_receiver.py``).

A *sink* receives each accepted update as a dict: a :class:`queue.Queue` (for example the
``source=`` of :meth:`Bot.message_loop`; a bounded one makes the receiver answer 503 when
full), an object with a ``feed()`` method (:class:`telegrambot.loop.OrderedWebhook`,
:class:`telegrambot.loop.Webhook`) or any callable taking the update.
"""

import functools
import logging
import pathlib
import queue
import secrets
import ssl
import threading
import time
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple, Union
from urllib.parse import urlsplit

from ._httpserver import Request, Response, Server, reason
from ._receiver import MAX_BODY, ReceiverBase
from .api import redact
from .core.webhook_rules import SECRET_HEADER, DedupTable, Rejection, listen_address

logger = logging.getLogger(__name__)

__all__ = [
    "MAX_BODY",
    "QUEUE_SIZE",
    "SECRET_HEADER",
    "WebhookReceiver",
    "WebhookServer",
    "wsgi_app",
    "run_webhook",
    "WebhookRun",
]

#: Default size of the queue :func:`run_webhook` hands updates over in (then 503).
QUEUE_SIZE = 1000

Update = Dict[str, Any]

_BAD_HEADER = Rejection(400, "malformed header line", "400 malformed header line")


def _feeder(sink: Any, put_timeout: float) -> Callable[[Update], Any]:
    """The function handing one update to ``sink``."""
    feed = getattr(sink, "feed", None)
    if callable(feed):
        from .loop import Webhook

        if isinstance(sink, Webhook):  # its queue may be bounded: wait as a queue would
            return lambda update: feed(update, timeout=put_timeout)
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


class WebhookReceiver(ReceiverBase):
    """The rules of a webhook endpoint, apart from any HTTP server.

    It is a WSGI application, and :meth:`receive` serves one request for any other
    framework (see ``examples/webhook_flask.py``). ``path=None`` accepts any path (the
    server or framework routes the requests); ``seen_size`` bounds how many accepted
    ``update_id`` values are remembered to drop redeliveries (about 140 bytes each);
    ``put_timeout`` is how long a bounded queue may block before the answer is 503;
    ``log_interval`` is the least time between two log lines of the same kind of rejection.
    ``seen`` is a :class:`telegrambot.core.webhook_rules.DedupTable` to use instead of a
    new one: receivers that follow one another (not at the same time) share it, so a
    redelivery is not handed on twice across a restart (:func:`run_webhook` shares the
    bot's).

    ``store`` (a :class:`telegrambot.storage.Store`; :func:`run_webhook` passes the
    bot's) makes the inbox durable: each update is written to the store before it is
    answered 200 (requests arriving together share a transaction), and an update the store
    already holds is answered 200 and not handed on again. If the store does not finish
    within ``put_timeout`` the answer is 503 (Telegram delivers it again).
    """

    _feeder = staticmethod(_feeder)

    def __init__(self, sink: Any, *, store: Any = None, **options: Any) -> None:
        super().__init__(sink, **options)
        self._store = store
        self._put_timeout = options.get("put_timeout", 5.0)
        # stored, but not handed to the sink (it was full): a redelivery hands them on
        self._unfed: Dict[int, None] = {}

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
        The body is read only once the path, method, secret, framing and length are
        accepted.
        """

        def lookup(name: str) -> Optional[str]:
            if name == "content-length":
                return content_length
            return header(_HEADER_NAMES.get(name, name))  # a lookup may mind the case

        # Expect is the framework's business: it answers before the body is read
        return self._serve(method, path, lookup, False, False,
                           lambda length: _read_exactly(read, length), None, peer)

    def _serve(
        self,
        method: str,
        path: str,
        header: Callable[[str], Optional[str]],
        several_lengths: bool,
        check_expect: bool,
        read: Callable[[int], bytes],
        checked: Optional[Callable[[], None]],
        peer: Any,
    ) -> Tuple[int, str]:
        """One request, as every server drives the rules: the head's checks (``header``
        looks up lower-case names), ``checked()`` once they passed, the body read with
        ``read(length)`` and checked, the update accepted."""
        stopping = self._enter(peer)
        if stopping is not None:
            return stopping.status, stopping.text
        try:
            rules = self.rules
            result: Union[Tuple[int, str], Rejection]
            length = rules.check_request(method, path, header, several_lengths, check_expect)
            if isinstance(length, Rejection):
                result = length
            else:
                if checked is not None:
                    checked()
                parsed = rules.check_body(read(length), length)
                result = parsed if isinstance(parsed, Rejection) else self._accept(*parsed)
        finally:
            self._leave()
        return self._answer(result, peer)

    def _accept(self, update_id: int, update: Update) -> Union[Tuple[int, str], Rejection]:
        """Hand a checked update over to the sink, once: ``(200, text)``, or why not.

        The one place where an update becomes accepted (answered 200); a durable inbox
        writes it here, before the answer. Requests arriving together call it from
        their own threads, so a store may commit theirs as one batch.
        """
        answer = self._begin(update_id)
        if answer is not None:
            return answer
        store = self._store
        if store is not None:
            try:
                stored = self._store_update(update_id, update)
            except BaseException as exc:
                return self._finish(update_id, exc)
            if stored is not None:
                with self._cond:
                    self._seen.done(update_id, not isinstance(stored, Rejection))
                return stored
        try:
            self._feed(update)
        except queue.Full as exc:
            if store is not None:
                with self._cond:
                    self._unfed[update_id] = None
                    if len(self._unfed) > self.seen_size:
                        del self._unfed[next(iter(self._unfed))]
            return self._finish(update_id, exc)
        except BaseException as exc:
            return self._finish(update_id, exc)
        if store is not None:
            with self._cond:
                self._unfed.pop(update_id, None)
        return self._finish(update_id, None)

    def _store_update(self, update_id: int, update: Update
                      ) -> Union[None, Tuple[int, str], Rejection]:
        """Write the update to the durable inbox; None if it is to be handed on now, else
        the answer (200 for one the store had already, 503 or 500 when the store failed)."""
        try:
            new = self._store.accept([update], timeout=self._put_timeout)[0]
        except TimeoutError:
            with self._cond:
                self._unfed[update_id] = None  # may land later: then hand it on when redelivered
            return Rejection(503, f"the store did not write update {update_id} in time",
                             "503 store busy")
        except Exception as exc:
            logger.exception("webhook: 500: update %d could not be written to the store", update_id)
            return Rejection(500, f"the store failed on update {update_id}: {type(exc).__name__}",
                             "500 store failed")
        if new:
            return None
        with self._cond:
            unfed = update_id in self._unfed
        if unfed:
            return None
        logger.info("webhook: update %d is in the store already, not handed on twice", update_id)
        return 200, "already accepted"

    # -- WSGI --------------------------------------------------------------------------

    def __call__(
        self, environ: Dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        """The WSGI entry point (PEP 3333)."""
        peer = environ.get("REMOTE_ADDR", "?")
        # a header name with a space before its colon ("Transfer-Encoding :") reaches the
        # application with that space in its key: the framing may be ambiguous, refuse it
        if any(" " in key or "\t" in key for key in environ if key.startswith("HTTP_")):
            self._log(_BAD_HEADER, peer, logging.WARNING)
            status, text = _BAD_HEADER.status, _BAD_HEADER.text
        else:
            read = environ["wsgi.input"].read

            def header(name: str) -> Optional[str]:
                key = _WSGI_KEYS.get(name) or "HTTP_" + name.upper().replace("-", "_")
                return environ.get(key)

            # Expect: the WSGI server answers it when the body is first read
            status, text = self._serve(
                environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO") or "/",
                header, False, False, lambda length: _read_exactly(read, length), None, peer,
            )
        body = text.encode()
        headers = [("Content-Type", _TEXT), ("Content-Length", str(len(body)))]
        headers.extend(_extra_headers(status))
        start_response(f"{status} {reason(status)}", headers)
        return [body]


_TEXT = "text/plain; charset=utf-8"
_WSGI_KEYS = {"content-length": "CONTENT_LENGTH", "content-type": "CONTENT_TYPE"}
_HEADER_NAMES = {SECRET_HEADER.lower(): SECRET_HEADER, "transfer-encoding": "Transfer-Encoding"}
_ALLOW = (("Allow", "POST"),)


def _extra_headers(status: int) -> Tuple[Tuple[str, str], ...]:
    """The header lines an answer carries besides its content's type and length."""
    return _ALLOW if status == 405 else ()


#: The WSGI application: ``wsgi_app(sink, path=None, secret_token=None, max_body=MAX_BODY)``
#: (the :class:`WebhookReceiver` is one). Call its ``close()`` before shutting the WSGI
#: server down, so late requests get 503.
wsgi_app = WebhookReceiver


# -- the built-in server -------------------------------------------------------------------


def _serve_request(receiver: WebhookReceiver, request: Request) -> Response:
    """One request of the built-in server: the receiver's rules, with the framing seen
    line by line, ``Expect: 100-continue`` answered once the head's checks passed, and a
    connection kept when the server makes room once a request on it passed them."""
    head = request.head
    status, text = receiver._serve(
        head.method, head.path, head.headers.get, len(head.lengths) > 1, True,
        request.read, request.trust, request.peer,
    )
    # a refused request's body may be unread: never reuse its connection
    return Response(status, text.encode(), _TEXT, _extra_headers(status), status != 200)


_CONNECTION_EVENTS = {
    "connection limit":
        "%d connections open, all with the right secret: one from %s refused",
    "connection pushed out":
        "%d connections open: one from %s that sent no request with the right secret "
        "was closed to make room",
}


class WebhookServer:
    """A webhook endpoint on the library's threaded HTTP server, optionally over TLS.

    Listens on ``host``:``port`` (``port=0`` picks a free one, see :attr:`port`) and hands
    every update POSTed to ``path`` to ``sink`` (a queue, an OrderedWebhook or Webhook, a
    callable; see the module documentation for the rules). ``certfile``/``keyfile`` turn
    TLS on, e.g. with the self-signed certificate also given to
    `setWebhook <https://core.telegram.org/bots/api#setwebhook>`_. ``read_timeout`` bounds
    how long a connection may wait silent for a request, and how long a request may take
    to arrive whole; at most ``connection_limit`` connections are open (Telegram opens at
    most 100): beyond it, a new connection pushes out the oldest that has not sent a
    request with the right secret, or is closed at once if every one has. See the module
    documentation for the limits on hostile clients, and ``log_interval``.

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
        log_interval: float = 60.0,
        seen: Optional[DedupTable] = None,
        store: Any = None,
    ) -> None:
        if connection_limit < 1:
            raise ValueError("connection_limit must be at least 1")
        self.receiver = WebhookReceiver(
            sink,
            path=path,
            secret_token=secret_token,
            max_body=max_body,
            seen_size=seen_size,
            put_timeout=put_timeout,
            log_interval=log_interval,
            seen=seen,
            store=store,
        )
        self.host = host
        self._port = port
        self._ssl_context: Optional[ssl.SSLContext] = None
        if certfile:
            self._ssl_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self._ssl_context.load_cert_chain(certfile, keyfile)
        self.read_timeout = read_timeout
        self.connection_limit = connection_limit
        self._httpd: Optional[Server] = None
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
        return self._httpd is not None and self._httpd.running

    def _connection_event(self, what: str, peer: str) -> None:
        self.receiver._log_event(what, logging.WARNING, _CONNECTION_EVENTS[what],
                                 self.connection_limit, peer)

    def start(self) -> "WebhookServer":
        """Bind and serve on a daemon thread ``telegrambot-webhook-<port>``; return self."""
        with self._lock:
            if self._httpd is not None:
                raise RuntimeError("this WebhookServer was already started")
            receiver = self.receiver
            self._httpd = Server(
                (self.host, self._port),
                functools.partial(_serve_request, receiver),
                label="webhook",
                connection_name="telegrambot-webhook-conn",
                logger=logger,
                server_header="telegrambot-webhook",
                ssl_context=self._ssl_context,
                read_timeout=self.read_timeout,
                connection_limit=self.connection_limit,
                refused=lambda rejection, peer: receiver._log(rejection, peer, logging.WARNING),
                event=self._connection_event,
            )
            self._httpd.start(f"telegrambot-webhook-{self.port}")
        logger.info("webhook: listening on %s", redact(self.url))
        return self

    def stop(self, timeout: float = 10.0) -> bool:
        """Stop serving: answer 503 to new requests, let those in flight finish (at most
        ``timeout`` seconds), then close. Returns False if some had to be cut off."""
        receiver = self.receiver
        receiver.close()
        with self._lock:
            httpd = self._httpd
            if httpd is None or not httpd.running:
                return True
        finished = httpd.stop(timeout, receiver.wait_idle)
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
        """Stop receiving (new requests get 503, so Telegram sends them again later;
        requests in flight finish), let the loop hand over every update accepted (answered
        200), end it; all within ``timeout`` seconds. The updates it could not hand over
        in time are logged at ERROR with their update_ids. With ``delete_webhook``, also
        call `deleteWebhook <https://core.telegram.org/bots/api#deletewebhook>`_.

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
        # the loop drains the queue (what was answered 200) before it ends
        self.loop.stop(max(0.0, deadline - time.monotonic()))
        if delete_webhook:
            self.bot.deleteWebhook()

    def run_forever(self) -> None:
        """Block until the server stops or Ctrl-C, then :meth:`stop`."""
        self.loop._waited = True  # ended on purpose if the program exits meanwhile
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


def _seen_table(bot: Any) -> DedupTable:
    """The update_ids the bot's webhook receivers accepted lately, kept on the bot."""
    state = bot._receiving
    with state.lock:
        if state.seen is None:
            state.seen = DedupTable(10_000)
        return state.seen


def webhook_settings(url: Optional[str], path: Optional[str], secret_token: Optional[str],
                     certificate: Any, certfile: Optional[str],
                     **options: Any) -> Tuple[str, Dict[str, Any]]:
    """The path to serve and the parameters of setWebhook besides its URL, as
    :func:`run_webhook` (and the asyncio one) use them: the path of ``url`` (or ``/``) when
    ``path`` is None, a random secret token when None, the certificate to upload (``True``:
    ``certfile``; a str: that path), and ``options`` (``ip_address``, ...) as given."""
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
    return path, dict(options, certificate=certificate, secret_token=secret_token)


def run_webhook(
    bot: Any,
    callback: Union[None, Callable[[Dict[str, Any]], Any], Dict[str, Callable[..., Any]]] = None,
    *,
    url: Optional[str] = None,
    host: Optional[str] = None,
    port: Optional[int] = None,
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
    queue_size: int = QUEUE_SIZE,
    put_timeout: float = 5.0,
    on_error: Optional[Callable[[BaseException, Any], Any]] = None,
) -> WebhookRun:
    """Run ``bot`` on a webhook: what :meth:`Bot.message_loop` does for polling.

    Starts a :class:`WebhookServer` on ``host``:``port`` (``path`` defaults to the path of
    ``url``), a message loop reading its queue and handing updates to ``callback`` (as
    ``message_loop`` does), then calls
    `setWebhook <https://core.telegram.org/bots/api#setwebhook>`_ with ``url``,
    ``secret_token`` (a random one when None), ``allowed_updates``,
    ``drop_pending_updates``, ``max_connections``, ``ip_address`` and ``certificate``: a
    file path or object to upload, or True to upload ``certfile`` (a self-signed
    certificate). ``certfile``/``keyfile`` turn TLS on for the server.

    With ``url`` (the public address Telegram POSTs to), the server listens on every
    interface (``host`` ``"0.0.0.0"``), port 8443, unless told otherwise. Without ``url``,
    the webhook is set to the server's own address, for a Bot API server on this machine:
    the server listens on loopback (``127.0.0.1``) on a free port unless told otherwise, so
    ``run_webhook(bot, handle)`` works with the emulator or a local Bot API server as it
    is; for a bot talking to Telegram's own servers, leaving ``url`` out is a ValueError
    (Telegram could not reach such an address).

    The server hands updates to the loop through a queue of at most ``queue_size``: when
    the handler falls that far behind, a request waits up to ``put_timeout`` seconds for
    room, then gets 503 and Telegram delivers the update again later, so memory stays
    bounded and what was answered 200 can be handed over when the bot stops.
    ``on_error`` is the loop's error hook (see :meth:`Bot.message_loop`).

    Returns a :class:`WebhookRun`; with ``run_forever`` it blocks until Ctrl-C first.
    """
    host, port = listen_address(url, host, port, getattr(bot, "api_url", ""))
    path, settings = webhook_settings(
        url, path, secret_token, certificate, certfile, ip_address=ip_address,
        max_connections=max_connections, allowed_updates=allowed_updates,
        drop_pending_updates=drop_pending_updates)
    updates: queue.Queue[Any] = queue.Queue(queue_size)
    server = WebhookServer(
        updates,
        host,
        port,
        path,
        secret_token=settings["secret_token"],
        certfile=certfile,
        keyfile=keyfile,
        max_body=max_body,
        put_timeout=put_timeout,
        seen=_seen_table(bot),
        store=getattr(bot, "store", None),
    ).start()
    loop = None
    try:
        loop = bot.message_loop(callback, source=updates, ordered=ordered, maxhold=maxhold,
                                on_error=on_error)
        bot.setWebhook(url or server.url, **settings)
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

"""Receiving webhook updates on aiohttp's web server (extra ``aio``).

:func:`webhook_app` makes an :class:`aiohttp.web.Application` that serves the webhook
receiver's rules (:mod:`telegrambot.core.webhook_rules`, through
:class:`telegrambot.asgi.AsyncWebhookReceiver`: the same checks, answers and logging as
:mod:`telegrambot.webhook`'s receiver) on every path and method, the rules deciding what
is 404 or 405. Its sink is an :class:`asyncio.Queue`, an object with ``feed()`` or a
callable, as for the ASGI app.

``Expect: 100-continue`` is answered by the receiver's own check of the head: a request
with a wrong secret or too large a body gets its refusal, not an invitation to send the
body. Parsing the head is aiohttp's (its limits on header lines: ``max_headers`` and
``max_field_size`` of :class:`aiohttp.web.AppRunner`); the head it parsed is then held to the
built-in server's limits (16 KiB, 64 lines: 431), and a body over ``max_body`` is refused
from its Content-Length. :func:`run_webhook` serves it, a message loop reading its queue,
and sets the webhook: what :func:`telegrambot.webhook.run_webhook` does for threads. A refused request's body is never read by the app; aiohttp drains
what the client still sends for ``lingering_time`` seconds (an :class:`~aiohttp.web.AppRunner`
option, 10 by default) before it closes the connection, so the answer is not lost to a reset.
"""

import asyncio
import logging
import ssl
from typing import Any, Callable, List, Optional, Tuple

from .._receiver import MAX_BODY
from ..asgi import AsyncWebhookReceiver
from ..core.http import MAX_HEADERS
from ..core.redact import redact
from ..core.webhook_rules import Rejection, listen_address
from ..webhook import QUEUE_SIZE, _seen_table, webhook_settings

try:
    from aiohttp import web
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "telegrambot.aio.webhook needs aiohttp: pip install 'telegrambot[aio]'"
    ) from exc

__all__ = ["webhook_app", "RECEIVER", "run_webhook", "WebhookRun"]

logger = logging.getLogger("telegrambot.webhook")

#: Where :func:`webhook_app` keeps its receiver: ``app[RECEIVER]``.
RECEIVER: Any = (web.AppKey("telegrambot_receiver", AsyncWebhookReceiver)
                 if hasattr(web, "AppKey") else "telegrambot_receiver")  # aiohttp < 3.9

_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


def webhook_app(sink: Any = None, *, receiver: Optional[AsyncWebhookReceiver] = None,
                **options: Any) -> web.Application:
    """An aiohttp application receiving webhook updates into ``sink``.

    ``options`` are :class:`~telegrambot.asgi.AsyncWebhookReceiver`'s (``path``,
    ``secret_token``, ``max_body``, ``seen_size``, ``put_timeout``, ``log_interval``,
    ``seen``); or pass a ``receiver`` made already. When the application shuts down, the
    receiver closes: late requests get 503 while those in flight finish.
    """
    if receiver is None:
        if sink is None:
            raise TypeError("webhook_app() needs a sink (or a receiver)")
        receiver = AsyncWebhookReceiver(sink, **options)
    elif sink is not None or options:
        raise TypeError("webhook_app() takes a sink and options, or a receiver, not both")
    made = receiver

    async def handle(request: web.Request) -> web.StreamResponse:
        async def read(length: int) -> bytes:
            try:
                return await request.content.readexactly(length)
            except asyncio.IncompleteReadError as short:  # the body ended early: 400
                return short.partial

        status, text = await made.serve(request.method, _path(request), _header(request), read,
                                        _several_lengths(request), request.remote or "?",
                                        request.raw_headers)
        return _response(status, text)

    async def expect(request: web.Request) -> Optional[web.StreamResponse]:
        if not made.accepting:
            return _response(503, "stopping")
        length = made.rules.check_request(request.method, _path(request), _header(request),
                                          _several_lengths(request), check_expect=True)
        if isinstance(length, Rejection):
            status, text = made._answer(length, request.remote or "?")
            return _response(status, text)
        if request.version >= (1, 1):
            await request.writer.write(_CONTINUE)
        return None

    async def close(app: web.Application) -> None:
        made.close()

    app = web.Application(client_max_size=receiver.max_body)
    app[RECEIVER] = receiver
    app.router.add_route("*", "/{tail:.*}", handle, expect_handler=expect)
    app.on_shutdown.append(close)
    return app


def _path(request: web.Request) -> str:
    return request.raw_path.partition("?")[0]


def _header(request: web.Request) -> Any:
    headers = request.headers

    def header(name: str) -> Optional[str]:
        values = headers.getall(name, ())
        if len(values) < 2:
            return values[0] if values else None
        return ", ".join(values)  # as a server that joins repeated lines sees them

    return header


def _several_lengths(request: web.Request) -> bool:
    return len(request.headers.getall("Content-Length", ())) > 1


def _response(status: int, text: str) -> web.Response:
    headers: Tuple[Tuple[str, str], ...] = (("Allow", "POST"),) if status == 405 else ()
    response = web.Response(status=status, text=text, headers=headers)
    if status != 200:  # its body may be unread: the connection is not kept
        response.force_close()
    return response


# -- one call: set the webhook and serve ---------------------------------------------------


class WebhookRun:
    """A bot running on a webhook, as :func:`run_webhook` starts it: ``await run.stop()``
    ends it, ``await run.wait()`` waits until then; also ``async with run:``."""

    def __init__(self, bot: Any, runner: web.AppRunner, receiver: AsyncWebhookReceiver,
                 loop: Any, updates: "asyncio.Queue[Any]", url: str, port: int) -> None:
        self.bot = bot
        self.runner = runner
        self.receiver = receiver
        self.loop = loop
        self.updates = updates
        self.url = url
        self._port = port
        self._stopped = asyncio.Event()
        self._stopping: Optional[asyncio.Task[None]] = None

    def __repr__(self) -> str:
        return f"<WebhookRun {redact(self.url)}>"

    @property
    def port(self) -> int:
        """The port listened on (the one picked for ``port=0``)."""
        return self._port

    async def stop(self, timeout: float = 10.0, *, delete_webhook: bool = False) -> None:
        """Stop receiving (new requests get 503, so Telegram sends them again later;
        requests in flight finish), let the loop hand over every update accepted (answered
        200), end it; all within ``timeout`` seconds. The updates it could not hand over in
        time are logged at ERROR with their update_ids. With ``delete_webhook``, also call
        `deleteWebhook <https://core.telegram.org/bots/api#deletewebhook>`_.

        Awaited in a handler, it returns at once and the same steps run in a
        ``telegrambot-webhook-stop`` task: the handler's task is the one that still has to
        hand over the updates already accepted."""
        if self._stopping is None:
            self._stopping = asyncio.get_running_loop().create_task(
                self._stop(timeout, delete_webhook), name="telegrambot-webhook-stop")
        if asyncio.current_task() is getattr(self.loop, "_task", None):
            return
        await asyncio.shield(self._stopping)

    async def _stop(self, timeout: float, delete_webhook: bool) -> None:
        clock = asyncio.get_running_loop().time
        deadline = clock() + timeout
        try:
            self.receiver.close()
            await self.receiver.wait_idle(timeout)
            await self.runner.cleanup()
            # the loop drains the queue (what was answered 200) before it ends
            await self.loop.stop(max(0.0, deadline - clock()))
            if delete_webhook:
                await self.bot.deleteWebhook()
        finally:
            self._stopped.set()

    async def wait(self) -> None:
        """Wait until the run is stopped."""
        await self._stopped.wait()

    async def __aenter__(self) -> "WebhookRun":
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.stop()


async def run_webhook(
    bot: Any,
    callback: Any = None,
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
    queue_size: int = QUEUE_SIZE,
    put_timeout: float = 5.0,
    on_error: Optional[Callable[[BaseException, Any], Any]] = None,
) -> WebhookRun:
    """Run an asyncio ``bot`` on a webhook: :func:`telegrambot.webhook.run_webhook` in the
    running event loop, on aiohttp's server.

    Serves :func:`webhook_app` on ``host``:``port`` (``path`` defaults to the path of
    ``url``; ``certfile``/``keyfile`` turn TLS on; where it listens when they are None is
    the threaded function's rule: with ``url``, every interface on port 8443; without one,
    loopback on a free port, for a Bot API server on this machine such as the emulator),
    starts ``bot.message_loop(callback, on_error=on_error)``
    reading the app's queue (at most ``queue_size`` updates: a request waits up to
    ``put_timeout`` seconds for room, then gets 503 and Telegram delivers the update again
    later), then calls `setWebhook <https://core.telegram.org/bots/api#setwebhook>`_ with
    ``url`` (None: the server's own URL, for a Bot API server on the same host such as the
    emulator), ``secret_token`` (a random one when None), ``allowed_updates``,
    ``drop_pending_updates``, ``max_connections``, ``ip_address`` and ``certificate`` (a
    file to upload, or True for ``certfile``). Returns a :class:`WebhookRun`.

    Unlike the threaded server, aiohttp's sets no deadline on reading a request and no cap
    on open connections: behind a reverse proxy (as Telegram's HTTPS requires anyway)
    those are the proxy's.
    """
    host, port = listen_address(url, host, port, getattr(bot, "api_url", ""))
    path, settings = webhook_settings(
        url, path, secret_token, certificate, certfile, ip_address=ip_address,
        max_connections=max_connections, allowed_updates=allowed_updates,
        drop_pending_updates=drop_pending_updates)
    ssl_context = None
    if certfile:
        ssl_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ssl_context.load_cert_chain(certfile, keyfile)
    updates: asyncio.Queue[Any] = asyncio.Queue(queue_size)
    receiver = AsyncWebhookReceiver(updates, path=path, secret_token=settings["secret_token"],
                                    max_body=max_body, put_timeout=put_timeout,
                                    seen=_seen_table(bot))
    # aiohttp's parser holds a head to the built-in server's line count; a refused
    # request's unread body is drained for at most a second, not aiohttp's default ten
    runner = web.AppRunner(webhook_app(receiver=receiver), access_log=None,
                           handle_signals=False, max_headers=MAX_HEADERS, lingering_time=1.0)
    await runner.setup()
    loop = None
    try:
        await web.TCPSite(runner, host, port, ssl_context=ssl_context).start()
        bound = runner.addresses[0][1]
        scheme = "https" if ssl_context else "http"
        local = f"{scheme}://{f'[{host}]' if ':' in host else host}:{bound}{path}"
        loop = bot.message_loop(callback, source=updates, ordered=ordered, maxhold=maxhold,
                                on_error=on_error)
        await bot.setWebhook(url or local, **settings)
    except BaseException:
        receiver.close()
        await runner.cleanup()
        if loop is not None:
            await loop.stop()
        raise
    logger.info("webhook: listening on %s", redact(local))
    return WebhookRun(bot, runner, receiver, loop, updates, local, bound)

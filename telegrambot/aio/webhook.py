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
from its Content-Length. A refused request's body is never read by the app; aiohttp drains
what the client still sends for ``lingering_time`` seconds (an :class:`~aiohttp.web.AppRunner`
option, 10 by default) before it closes the connection, so the answer is not lost to a reset.
"""

import asyncio
from typing import Any, Optional, Tuple

from ..asgi import AsyncWebhookReceiver
from ..core.webhook_rules import Rejection

try:
    from aiohttp import web
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "telegrambot.aio.webhook needs aiohttp: pip install 'telegrambot[aio]'"
    ) from exc

__all__ = ["webhook_app", "RECEIVER"]

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

"""Receiving webhook updates on asyncio: an ASGI application, with no dependency.

:class:`AsyncWebhookReceiver` applies the webhook receiver's rules
(:mod:`telegrambot.core.webhook_rules`, the same as :class:`telegrambot.webhook.WebhookReceiver`'s,
with the same answers: see :mod:`telegrambot.webhook`) on an event loop, and is itself an
`ASGI 3 <https://asgi.readthedocs.io/>`_ application: run it under any ASGI server
(uvicorn, hypercorn, ...), or through :func:`telegrambot.aio.webhook.webhook_app` on
aiohttp's server. Every request goes through the same four steps as in the threaded
receiver:

1. the head's checks (path, method, secret token compared in constant time, framing,
   size), before a byte of the body is received: a refused request's body is never read
   (an ASGI server answers ``Expect: 100-continue`` only when the body is first asked
   for, so a refused client is not invited to send it);
2. at most ``Content-Length`` bytes received (never more than ``max_body``);
3. the body checked (JSON object with an integer ``update_id``, else 400);
4. the update handed to the sink once (a redelivered update_id is answered 200 but not
   handed on twice; one being accepted by another request is 503).

A *sink* is an :class:`asyncio.Queue` (a bounded one: a request waits up to
``put_timeout`` seconds for room, then 503 and Telegram delivers it again later), an
object with a ``feed()`` method or any callable taking the update (its result awaited when
it is awaitable), or a :class:`queue.Queue` (handed over without waiting: 503 at once when
full). A sink that raises gets 500 with its traceback logged, and the app serves on.

A head the server parsed is held to the built-in server's limits (over 16 KiB or 64 header
lines: 431). What the ASGI server owns: reading the head (how much of one it buffers before
it ends), connection limits and timeouts against slow clients. Rejections are logged as in the
threaded receiver, at most one line per cause per ``log_interval``, without headers or
body. The ASGI ``lifespan`` protocol is served: at shutdown the receiver closes (503 to
late requests) and logs the counts of rejections not logged yet.
"""

import asyncio
import inspect
import logging
import queue
from typing import Any, Awaitable, Callable, Dict, Iterable, List, Optional, Tuple, Union

from ._receiver import MAX_BODY, ReceiverBase
from .core.http import check_fields
from .core.webhook_rules import Rejection

__all__ = ["AsyncWebhookReceiver", "asgi_app", "Disconnected", "MAX_BODY"]

Update = Dict[str, Any]
Read = Callable[[int], Awaitable[bytes]]

_BAD_HEADER = Rejection(400, "malformed header line", "400 malformed header line")
_TEXT = b"text/plain; charset=utf-8"


class Disconnected(ConnectionError):
    """The client went away before its body arrived: there is no one to answer."""


def _async_feeder(sink: Any, put_timeout: float) -> Callable[[Update], Awaitable[None]]:
    """The coroutine function handing one update to ``sink``."""
    if isinstance(sink, asyncio.Queue):
        aqueue = sink

        async def put(update: Update) -> None:
            try:
                aqueue.put_nowait(update)
            except asyncio.QueueFull:
                try:
                    await asyncio.wait_for(aqueue.put(update), put_timeout)
                except asyncio.TimeoutError:
                    raise queue.Full from None

        return put
    if isinstance(sink, queue.Queue):
        return _awaiting(sink.put_nowait)
    feed = getattr(sink, "feed", None)
    if callable(feed):
        return _awaiting(feed)
    if callable(sink):
        return _awaiting(sink)
    raise TypeError("a webhook sink must be an asyncio.Queue or queue.Queue, have a feed() "
                    f"method or be callable, not {type(sink).__name__!r}")


def _awaiting(function: Callable[[Update], Any]) -> Callable[[Update], Awaitable[None]]:
    """``function`` as a coroutine function: its result awaited if it is awaitable."""

    async def call(update: Update) -> None:
        result = function(update)
        if inspect.isawaitable(result):
            await result

    return call


class AsyncWebhookReceiver(ReceiverBase):
    """The webhook receiver's rules on an event loop; an ASGI application.

    The parameters are those of :class:`telegrambot.webhook.WebhookReceiver`:
    ``path=None`` accepts any path (the server routes), ``secret_token`` is the one given
    to `setWebhook <https://core.telegram.org/bots/api#setwebhook>`_, ``max_body`` bounds
    a body, ``seen_size`` how many accepted update_ids are remembered, ``put_timeout``
    how long a full :class:`asyncio.Queue` may be waited on before 503, ``log_interval``
    the least time between two log lines of one kind of rejection, ``seen`` a
    :class:`~telegrambot.core.webhook_rules.DedupTable` shared with the receivers before.
    """

    _feeder = staticmethod(_async_feeder)
    _idle: Optional[asyncio.Event] = None  # made by wait_idle(), in the running loop

    async def wait_idle(self, timeout: Optional[float] = None) -> bool:
        """Wait until no request is in flight; False if ``timeout`` ran out first."""
        if self._in_flight == 0:
            return True
        if self._idle is None:
            self._idle = asyncio.Event()
        self._idle.clear()
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except asyncio.TimeoutError:
            return self._in_flight == 0
        return True

    async def serve(
        self,
        method: str,
        path: str,
        header: Callable[[str], Optional[str]],
        read: Read,
        several_lengths: bool = False,
        peer: Any = "?",
        fields: Optional[Iterable[Tuple[bytes, bytes]]] = None,
    ) -> Tuple[int, str]:
        """Apply the rules to one request; return the HTTP status and a short text.

        ``header(name)`` looks a header up by its lower-case name; ``await read(n)``
        gives the body's ``n`` bytes (fewer if it ended early; raise :class:`Disconnected`
        if the client left), called only once the head's checks passed;
        ``several_lengths``: the request had more than one Content-Length line;
        ``fields``: the header lines as the server parsed them, ``(name, value)`` in
        bytes, to hold them to the built-in server's limits (16 KiB, 64 lines: else 431).
        """
        stopping = self._enter(peer)
        if stopping is not None:
            return stopping.status, stopping.text
        try:
            too_large = None if fields is None else check_fields(fields)
            if too_large is not None:
                return self._answer(too_large, peer)
            length = self.rules.check_request(method, path, header, several_lengths)
            if isinstance(length, Rejection):
                return self._answer(length, peer)
            parsed = self.rules.check_body(await read(length) if length else b"", length)
            if isinstance(parsed, Rejection):
                return self._answer(parsed, peer)
            return self._answer(await self._accept(*parsed), peer)
        finally:
            if self._leave() and self._idle is not None:
                self._idle.set()

    async def _accept(self, update_id: int, update: Update) -> Union[Tuple[int, str], Rejection]:
        """Hand a checked update over to the sink, once: ``(200, text)``, or why not. The
        one place of this receiver where an update becomes accepted (answered 200)."""
        answer = self._begin(update_id)
        if answer is not None:
            return answer
        try:
            await self._feed(update)
        except BaseException as exc:
            return self._finish(update_id, exc)
        return self._finish(update_id, None)

    # -- ASGI ------------------------------------------------------------------------------

    async def __call__(self, scope: Dict[str, Any], receive: Callable[[], Awaitable[Dict[str, Any]]],
                       send: Callable[[Dict[str, Any]], Awaitable[None]]) -> None:
        """The ASGI 3 entry point: ``http`` requests and the ``lifespan`` protocol."""
        kind = scope["type"]
        if kind == "lifespan":
            await self._lifespan(receive, send)
            return
        if kind != "http":  # a websocket: refuse the handshake
            await send({"type": "websocket.close", "code": 1008})
            return
        client = scope.get("client")
        peer = client[0] if client else "?"
        headers: Dict[str, str] = {}
        lengths = 0
        malformed = False
        for raw_name, raw_value in scope["headers"]:
            name = raw_name.decode("latin-1").lower()
            value = raw_value.decode("latin-1")
            lengths += name == "content-length"
            malformed = malformed or " " in name or "\t" in name
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        if malformed:  # "Transfer-Encoding :" passed on by a lenient server: framing unclear
            self._log(_BAD_HEADER, peer, logging.WARNING)
            status, text = _BAD_HEADER.status, _BAD_HEADER.text
        else:
            raw_path = scope.get("raw_path")
            path = raw_path.decode("latin-1").partition("?")[0] if raw_path else scope["path"]
            try:
                status, text = await self.serve(scope["method"], path, headers.get,
                                                _body_reader(receive), lengths > 1, peer,
                                                scope["headers"])
            except Disconnected:
                return
        body = text.encode()
        extra: List[Tuple[bytes, bytes]] = [(b"allow", b"POST")] if status == 405 else []
        if status != 200:  # its body may be unread: the connection is not kept
            extra.append((b"connection", b"close"))
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", _TEXT),
                                (b"content-length", str(len(body)).encode())] + extra})
        await send({"type": "http.response.body", "body": body})

    async def _lifespan(self, receive: Callable[[], Awaitable[Dict[str, Any]]],
                        send: Callable[[Dict[str, Any]], Awaitable[None]]) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


def _body_reader(receive: Callable[[], Awaitable[Dict[str, Any]]]) -> Read:
    """``read(n)`` over ASGI ``http.request`` messages: what came, up to ``n`` bytes and
    the rest of the message that crossed it (the caller then sees a wrong length)."""

    async def read(length: int) -> bytes:
        chunks = []
        got = 0
        while got < length:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise Disconnected("the client left before its body arrived")
            chunk = message.get("body", b"")
            chunks.append(chunk)
            got += len(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    return read


#: The ASGI application: ``asgi_app(sink, path=None, secret_token=None, max_body=MAX_BODY)``
#: (the :class:`AsyncWebhookReceiver` is one).
asgi_app = AsyncWebhookReceiver

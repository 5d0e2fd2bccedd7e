"""How :class:`telegrambot.aio.Bot` moves its requests: the awaitable :class:`Transport`
protocol and its default, :class:`AiohttpTransport`.

The same split as the threaded runtime's (:mod:`telegrambot.transport`): the bot turns a
call into a :class:`~telegrambot.core.request.Request` and the answer into a result or an
exception (:mod:`telegrambot.core`, shared by both runtimes); the transport only sends the
request and hands back the answer's status and body. Any object with the coroutine methods
of :class:`Transport` will do: ``Bot(token, transport=MyTransport())``.

:class:`AiohttpTransport` keeps one ``aiohttp.ClientSession`` per bot, made on the first
request inside the running event loop (nothing is made at import, or when the bot is
made), and closed by ``await bot.close_connections()`` or ``async with bot``. aiohttp is
imported on the first request too: ``import telegrambot.aio`` does not import it, and
without it the first request says which extra to install. A multipart upload is streamed:
the parts of the core's :class:`~telegrambot.core.request.MultipartBody` are sent as they
are read, a file a chunk at a time (read off the event loop). The token stays out of what
the transport lets escape: its exceptions (aiohttp's, kept as ``__cause__``) and the log
records of aiohttp's loggers (the access log of a webhook app on aiohttp included).
"""

import asyncio
import inspect
import logging
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Dict,
    Optional,
    Protocol,
    Set,
    Tuple,
    Union,
    runtime_checkable,
)

from .._requestline import DownloadLine, RequestLine
from ..core.answer import Answer
from ..core.redact import redact, redact_record, scrub_exception
from ..core.request import CHUNK_SIZE, Endpoint, MultipartBody, Request
from ..exception import ConnectError, ConnectTimeout, NetworkError, RequestTimeout

if TYPE_CHECKING:  # pragma: no cover
    import aiohttp

__all__ = [
    "AiohttpTransport", "Answer", "DEFAULT_CONNECT_TIMEOUT", "DEFAULT_READ_TIMEOUT",
    "TimeoutLike", "Transport", "aiohttp_module", "call", "download",
]

log = logging.getLogger(__name__)

#: A call's timeout: seconds (to connect, and to wait for each read), or an
#: ``aiohttp.ClientTimeout``; None for the transport's.
TimeoutLike = Union[None, float, "aiohttp.ClientTimeout"]

#: Seconds to connect, unless the transport or the call says otherwise.
DEFAULT_CONNECT_TIMEOUT = 10.0
#: Seconds to wait for each read of an answer (a long poll waits its own time).
DEFAULT_READ_TIMEOUT = 60.0

_AIOHTTP_LOGGERS = ("aiohttp.client", "aiohttp.internal", "aiohttp.access", "aiohttp.server",
                    "aiohttp.web", "aiohttp.websocket")
_aiohttp: Any = None


def aiohttp_module() -> Any:
    """The ``aiohttp`` module, imported on first use (its loggers then redact the token);
    ImportError naming the ``aio`` extra when it is not installed."""
    global _aiohttp
    if _aiohttp is None:
        try:
            import aiohttp
        except ImportError as e:
            raise ImportError(
                "telegrambot.aio needs aiohttp, which is not installed: "
                "pip install 'telegrambot[aio]'") from e
        for name in _AIOHTTP_LOGGERS:
            logging.getLogger(name).addFilter(redact_record)
        _aiohttp = aiohttp
    return _aiohttp


@runtime_checkable
class Transport(Protocol):
    """What a :class:`telegrambot.aio.Bot` needs of a transport: the methods of the
    threaded :class:`telegrambot.transport.Transport`, as coroutines.

    Called by any task of the event loop the bot runs in, at the same time. A failure to
    get an answer raises :class:`~telegrambot.exception.NetworkError`
    (:class:`~telegrambot.exception.ConnectError` when nothing was sent,
    :class:`~telegrambot.exception.RequestTimeout` for a timeout) with no token in its
    text; an HTTP error status is not the transport's business: it hands the answer back.
    """

    async def send(self, request: Request, timeout: Any = None) -> Any:
        """Send ``request`` and return the answer: an object with ``status`` (int) and
        ``data`` (the body, bytes), such as an :class:`Answer`. ``request.body`` is bytes,
        or a :class:`~telegrambot.core.request.MultipartBody` whose ``parts`` are walked
        (``Content-Length`` is in ``request.headers``). A long poll (``request.long_poll``
        not None) waits ``request.long_poll`` seconds for its answer unless ``timeout``
        says otherwise."""

    async def download(self, request: Request, sink: Callable[[bytes], Any], timeout: Any = None) -> Any:
        """GET ``request`` (a file). If the answer is 200, hand its body to ``sink`` a
        chunk at a time (awaiting what ``sink`` returns, if it is awaitable); return the
        answer (for another status, with the whole body as ``data``). An exception raised
        by ``sink`` is let through as it is."""

    async def abort_long_poll(self) -> None:
        """Make a long poll in progress fail at once with a NetworkError (``bot.stop()``
        awaits it)."""

    async def close(self) -> None:
        """Close the connections; the transport stays usable."""


async def call(transport: Any, endpoint: Endpoint, request: Request, timeout: Any = None) -> Any:
    """Send ``request`` through ``transport``: the result its answer gives, or the
    exception it stands for; the request's open files are put back on any failure. With
    DEBUG on for this module's logger, each request logs one line (as the threaded
    transport's, :mod:`telegrambot.core.requestlog`)."""
    try:
        if log.isEnabledFor(logging.DEBUG):
            with RequestLine(log, request) as line:
                return endpoint.result(request, line.answered(await transport.send(request, timeout)))
        return endpoint.result(request, await transport.send(request, timeout))
    except BaseException:
        request.rewind()
        raise


async def download(transport: Any, request: Request, sink: Callable[[bytes], Any],
                   timeout: Any = None) -> Any:
    """``await transport.download(request, sink, timeout)``; with DEBUG on for this
    module's logger, it logs one line (:func:`telegrambot.core.requestlog.download_note`)."""
    if not log.isEnabledFor(logging.DEBUG):
        return await transport.download(request, sink, timeout)
    with DownloadLine(log) as line:
        return line.answered(await transport.download(request, line.counting(sink), timeout))


class _SinkFailed(Exception):
    """Carries an exception raised by a download's sink past the network error mapping."""


class AiohttpTransport:
    """The default transport of :class:`telegrambot.aio.Bot`: one ``aiohttp.ClientSession``.

    ``Bot(token, proxy=..., pool_size=...)`` makes one with these options. The session is
    made on the first request, in the event loop running it; a bot used from another event
    loop later (a second ``asyncio.run()``) gets a session of that loop.

    :param request_timeout: default timeout of a call: seconds (to connect, and for each
        read) or an ``aiohttp.ClientTimeout``; default: 10 s to connect, 60 s per read.
    :param proxy: an ``http://`` proxy URL (``https://`` too where aiohttp supports it).
    :param proxy_basic_auth: ``(user, password)`` for the proxy.
    :param pool_size: connections open at most at once (aiohttp's connector ``limit``).
    :param session_options: more keyword arguments for ``aiohttp.ClientSession``.
    """

    def __init__(
        self,
        *,
        request_timeout: TimeoutLike = None,
        proxy: Optional[str] = None,
        proxy_basic_auth: Optional[Tuple[str, str]] = None,
        pool_size: int = 100,
        session_options: Optional[Dict[str, Any]] = None,
    ) -> None:
        if proxy is not None and not proxy.startswith(("http://", "https://")):
            raise ValueError("the asyncio transport takes an http:// or https:// proxy URL")
        self._request_timeout = request_timeout
        self._timeout: Any = None  # the ClientTimeout, made with the first session
        self._proxy = proxy
        self._proxy_basic_auth = proxy_basic_auth
        self._proxy_options: Dict[str, Any] = {}
        self._pool_size = pool_size
        self._session_options = dict(session_options or {})
        self._session: Any = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._polls: Set[asyncio.Future[Any]] = set()
        self._aborted: Set[asyncio.Future[Any]] = set()

    def __repr__(self) -> str:
        proxy = " proxy=%r" % redact(self._proxy) if self._proxy else ""
        state = "open" if self._session is not None and not self._session.closed else "idle"
        return "<AiohttpTransport %s%s>" % (state, proxy)

    @property
    def timeout(self) -> Any:
        """The default timeout of a call (an ``aiohttp.ClientTimeout``)."""
        if self._timeout is None:
            self._timeout = _as_timeout(self._request_timeout, None)
        return self._timeout

    # -- the session

    def _session_here(self) -> Any:
        """The session of the running event loop, made now if there is none."""
        loop = asyncio.get_running_loop()
        session = self._session
        if session is not None and self._loop is loop and not session.closed:
            return session
        aiohttp = aiohttp_module()
        if self._proxy and self._proxy_basic_auth and not self._proxy_options:
            self._proxy_options = {"proxy_auth": aiohttp.BasicAuth(*self._proxy_basic_auth)}
        options = dict(self._session_options)
        options.setdefault("timeout", self.timeout)
        options.setdefault("cookie_jar", aiohttp.DummyCookieJar())
        if "connector" not in options:
            options["connector"] = aiohttp.TCPConnector(limit=self._pool_size)
        # a session of an event loop that has ended cannot be closed from this one: let go
        self._session = aiohttp.ClientSession(**options)
        self._loop = loop
        return self._session

    async def close(self) -> None:
        """Close the session and its connections (the next request makes a new one)."""
        session, self._session = self._session, None
        if session is None or session.closed:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:  # pragma: no cover - awaited outside a loop
            running = None
        if running is self._loop:
            await session.close()

    async def abort_long_poll(self) -> None:
        """Make the long polls in progress fail at once with a NetworkError."""
        for poll in list(self._polls):
            self._aborted.add(poll)
            poll.cancel()

    # -- requests

    async def send(self, request: Request, timeout: TimeoutLike = None) -> Answer:
        """Send ``request``; its :class:`Answer`."""
        session = self._session_here()
        long_poll = request.long_poll
        if long_poll is None:
            return await self._exchange(session, request, _as_timeout(timeout, self.timeout))
        if timeout is None:
            timeout = _as_timeout(None, self.timeout, read=long_poll)
        else:
            timeout = _as_timeout(timeout, self.timeout)
        # the poll runs as a task of its own, so that abort_long_poll() can cut it alone
        poll = asyncio.ensure_future(self._exchange(session, request, timeout))
        _name(poll, "telegrambot-long-poll")
        self._polls.add(poll)
        try:
            return await poll
        except asyncio.CancelledError:
            if poll in self._aborted and not _cancelling():
                raise NetworkError("%s failed: the long poll was aborted" % request.method) from None
            raise
        finally:
            self._polls.discard(poll)
            self._aborted.discard(poll)

    async def download(self, request: Request, sink: Callable[[bytes], Any],
                       timeout: TimeoutLike = None) -> Answer:
        """Stream the file of ``request`` into ``sink``; its :class:`Answer` (for a status
        other than 200, with its body in ``data`` and nothing given to ``sink``)."""
        session = self._session_here()
        try:
            return await self._exchange(session, request, _as_timeout(timeout, self.timeout), sink)
        except _SinkFailed as e:
            raise e.args[0] from None

    async def _exchange(self, session: Any, request: Request, timeout: Any,
                        sink: Optional[Callable[[bytes], Any]] = None) -> Answer:
        aiohttp = _aiohttp
        body = request.body
        data = _stream(body) if isinstance(body, MultipartBody) else body
        try:
            async with session.request(
                request.http_method, request.origin + request.path, data=data,
                headers=request.headers, timeout=timeout, allow_redirects=False,
                proxy=self._proxy, **self._proxy_options,
            ) as response:
                if sink is None or response.status != 200:
                    return Answer(response.status, await response.read())
                async for chunk in response.content.iter_chunked(CHUNK_SIZE):
                    try:
                        written = sink(chunk)
                        if written is not None and inspect.isawaitable(written):
                            await written
                    except Exception as e:  # the caller's, not a network error
                        raise _SinkFailed(e) from None
                return Answer(200, b"")
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as e:
            where = redact(request.origin.split("://", 1)[-1])
            if self._proxy:
                where += " through the proxy"
            what = redact(request.path.rsplit("/", 1)[-1] or request.path)
            raise _network_error(what, e, where, timeout) from e


def _as_timeout(value: Any, default: Any, read: Optional[float] = None) -> Any:
    """An ``aiohttp.ClientTimeout`` for ``value`` (seconds, a ClientTimeout, None for
    ``default``); ``read``: the long poll's wait per read instead of the default's."""
    aiohttp = aiohttp_module()
    if isinstance(value, aiohttp.ClientTimeout):
        return value
    if value is None:
        if default is None:
            return aiohttp.ClientTimeout(total=None, connect=None,
                                         sock_connect=DEFAULT_CONNECT_TIMEOUT,
                                         sock_read=DEFAULT_READ_TIMEOUT)
        if read is None:
            return default
        return aiohttp.ClientTimeout(total=None, connect=None, sock_connect=default.sock_connect,
                                     sock_read=read)
    seconds = float(value)
    return aiohttp.ClientTimeout(total=None, connect=None, sock_connect=seconds, sock_read=seconds)


async def _stream(body: MultipartBody) -> Any:
    """The bytes of a multipart body, part by part: a file is read a chunk at a time in
    the loop's executor (the core's :meth:`Upload.chunks
    <telegrambot.core.request.Upload.chunks>` does the reading); the body's ``progress``,
    if any, is called in the event loop as each chunk is handed over (as the core's
    :class:`~telegrambot.core.request.MultipartBody` does when iterated)."""
    loop = asyncio.get_running_loop()
    progress, total, done = body.progress, body.upload_size, 0
    if progress is not None:
        progress(0, total)
    for part in body.parts:
        if isinstance(part, bytes):
            yield part
            continue
        chunks = part.chunks()
        try:
            while True:
                chunk = await loop.run_in_executor(None, next, chunks, None)
                if chunk is None:
                    break
                yield chunk
                done += len(chunk)
                if progress is not None:
                    progress(done, total)
        finally:
            chunks.close()


def _name(task: "asyncio.Future[Any]", name: str) -> None:
    set_name = getattr(task, "set_name", None)
    if set_name is not None:
        set_name(name)


def _cancelling() -> bool:
    """Whether the current task is being cancelled itself (Python 3.11+ can tell)."""
    task = asyncio.current_task()
    cancelling = getattr(task, "cancelling", None)
    return bool(cancelling()) if cancelling is not None else False


def _reason(e: BaseException) -> str:
    """The operating system's reason behind ``e``, as a short lower-case phrase."""
    found = getattr(e, "os_error", None) or (e if isinstance(e, OSError) else None)
    text = ""
    if found is not None:
        text = getattr(found, "strerror", None) or ""
    if not text:
        text = str(e) if not isinstance(e, asyncio.TimeoutError) else ""
    return redact(text[:1].lower() + text[1:])


def _network_error(what: str, e: BaseException, where: str, timeout: Any) -> NetworkError:
    """The library's exception for aiohttp's (or the socket's) error ``e``, in plain
    words; ``e`` stays the ``__cause__``, with the token removed from it."""
    aiohttp = _aiohttp
    scrub_exception(e)
    reason = _reason(e)
    detail = " (%s)" % reason if reason else ""
    connect_timeout = getattr(aiohttp, "ConnectionTimeoutError", ())
    if isinstance(e, aiohttp.ClientProxyConnectionError):
        return ConnectError("%s failed: could not connect to the proxy%s" % (what, detail))
    if isinstance(e, aiohttp.ClientHttpProxyError):
        return NetworkError("%s failed: the proxy failed%s" % (what, detail))
    if isinstance(e, aiohttp.ClientSSLError):
        return NetworkError("%s failed: TLS error with %s%s" % (what, where, detail))
    if isinstance(e, aiohttp.ClientConnectorError):
        return ConnectError("%s failed: could not connect to %s%s" % (what, where, detail))
    if connect_timeout and isinstance(e, connect_timeout):
        seconds = getattr(timeout, "sock_connect", None)
        within = " within %s s" % seconds if seconds else ""
        return ConnectTimeout("%s failed: could not connect to %s%s (connect timeout)"
                              % (what, where, within))
    if isinstance(e, asyncio.TimeoutError):
        seconds = getattr(timeout, "sock_read", None)
        within = " within %s s" % seconds if seconds else ""
        return RequestTimeout("%s failed: no answer from %s%s (read timeout)" % (what, where, within))
    if isinstance(e, (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError,
                      aiohttp.ClientOSError, OSError)):
        return NetworkError("%s failed: the connection to %s broke before the answer arrived%s"
                            % (what, where, detail))
    return NetworkError("%s failed: %s" % (what, reason or "the request could not complete"))


# the names of AiohttpTransport's options, which Bot takes too (its **transport_options)
_code = AiohttpTransport.__init__.__code__
_OPTIONS = frozenset(_code.co_varnames[_code.co_argcount:_code.co_argcount + _code.co_kwonlyargcount])
del _code

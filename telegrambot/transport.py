"""How the threaded :class:`~telegrambot.Bot` moves its requests: the :class:`Transport`
protocol and its default, :class:`Urllib3Transport`.

A transport only moves bytes. The bot turns a call into a
:class:`~telegrambot.core.request.Request` and the answer into a result or an exception
(:mod:`telegrambot.core`); in between, the transport sends the request and hands back the
answer's status and body. Any object with the methods of :class:`Transport` will do:
``Bot(token, transport=MyTransport())``.

:class:`Urllib3Transport` keeps a urllib3 pool of keep-alive connections for ordinary calls
(thread-safe) and a separate connection for the long poll of ``getUpdates``, so that a
20-second poll never holds up a send from another thread, and so that
:meth:`~Urllib3Transport.abort_long_poll` can cut it. It keeps the token out of everything
it lets escape: its exceptions (urllib3's, kept as ``__cause__``, included) and the log
records of urllib3's loggers.
"""

import logging
import queue
import socket
import threading
import weakref
from typing import (
    Any,
    Callable,
    Dict,
    Iterator,
    Optional,
    Protocol,
    Tuple,
    Union,
    runtime_checkable,
)

import urllib3
from urllib3.exceptions import ConnectTimeoutError as _ConnectTimeoutError
from urllib3.exceptions import HTTPError as _Urllib3Error
from urllib3.exceptions import NewConnectionError as _NewConnectionError
from urllib3.exceptions import ProtocolError as _ProtocolError
from urllib3.exceptions import ProxyError as _ProxyError
from urllib3.exceptions import ReadTimeoutError as _ReadTimeoutError
from urllib3.exceptions import SSLError as _SSLError

from ._requestline import DownloadLine, RequestLine
from .core.answer import Answer
from .core.redact import redact, redact_record, scrub_exception
from .core.request import CHUNK_SIZE, Endpoint, Request
from .exception import ConnectError, ConnectTimeout, NetworkError, RequestTimeout

__all__ = [
    "Answer", "DEFAULT_TIMEOUT", "TimeoutLike", "Transport", "Urllib3Transport", "call", "download",
    "set_proxy",
]

log = logging.getLogger(__name__)

TimeoutLike = Union[None, float, urllib3.Timeout]

#: Timeouts of an ordinary call unless the transport or the call says otherwise.
DEFAULT_TIMEOUT = urllib3.Timeout(connect=10.0, read=60.0)
_NO_RETRIES = urllib3.Retry(total=False, redirect=False)


@runtime_checkable
class Transport(Protocol):
    """What a :class:`~telegrambot.Bot` needs of a transport (the threaded runtime's).

    ``send`` and ``download`` are called from any thread, at the same time. A failure to
    get an answer raises :class:`~telegrambot.exception.NetworkError`
    (:class:`~telegrambot.exception.ConnectError` when nothing was sent,
    :class:`~telegrambot.exception.RequestTimeout` for a timeout) with no token in its text
    (:func:`telegrambot.core.redact.redact`, :func:`~telegrambot.core.redact.scrub_exception`).
    An HTTP error status is not the transport's business: it hands the answer back.
    """

    def send(self, request: Request, timeout: Any = None) -> Any:
        """Send ``request`` (``request.body`` is bytes, or a
        :class:`~telegrambot.core.request.MultipartBody` to iterate for its chunks, with
        ``Content-Length`` in ``request.headers``) and return the answer: an object with
        ``status`` (int) and ``data`` (the body, bytes), such as an :class:`Answer`.

        ``timeout`` is the call's own (seconds, or the transport's kind of timeout), None
        for the transport's default; a long poll (``request.long_poll`` not None) waits
        ``request.long_poll`` seconds for its answer unless the call says otherwise.
        """

    def download(self, request: Request, sink: Callable[[bytes], Any], timeout: Any = None) -> Any:
        """GET ``request`` (a file). If the answer is 200, hand its body to ``sink`` a
        chunk at a time; return the answer (``status``, and for another status the whole
        body as ``data``). An exception raised by ``sink`` is let through as it is."""

    def abort_long_poll(self) -> None:
        """Make a long poll in progress fail at once with a NetworkError (``bot.stop()``
        calls it); may do nothing if the transport cannot, the poll then ends at its
        timeout."""

    def close(self) -> None:
        """Close idle connections; the transport stays usable."""


def call(transport: Transport, endpoint: Endpoint, request: Request, timeout: Any = None) -> Any:
    """Send ``request`` through ``transport``: the result its answer gives
    (:meth:`Endpoint.result <telegrambot.core.request.Endpoint.result>`), or the exception
    it stands for. On any failure the request's open files are put back where they were,
    so that the same request can be sent again. With DEBUG on for this module's logger,
    each request logs one line (:mod:`telegrambot.core.requestlog`)."""
    try:
        if log.isEnabledFor(logging.DEBUG):
            with RequestLine(log, request) as line:
                return endpoint.result(request, line.answered(transport.send(request, timeout)))
        return endpoint.result(request, transport.send(request, timeout))
    except BaseException:
        request.rewind()
        raise


def download(transport: Transport, request: Request, sink: Callable[[bytes], Any],
             timeout: Any = None) -> Any:
    """``transport.download(request, sink, timeout)``; with DEBUG on for this module's
    logger, it logs one line (:func:`telegrambot.core.requestlog.download_note`)."""
    if not log.isEnabledFor(logging.DEBUG):
        return transport.download(request, sink, timeout)
    with DownloadLine(log) as line:
        return line.answered(transport.download(request, line.counting(sink), timeout))


# ---------------------------------------------------------------- urllib3's logs

_URLLIB3_LOGGERS = (
    "urllib3",
    "urllib3.connectionpool",
    "urllib3.poolmanager",
    "urllib3.connection",
    "urllib3.response",
    "urllib3.util.retry",
    "urllib3.contrib.socks",
)
for _name in _URLLIB3_LOGGERS:
    logging.getLogger(_name).addFilter(redact_record)


# ---------------------------------------------------------------- proxies, telepot's pools


class _PoolTable(dict):
    """telepot's ``api._pools``: a change makes every transport build its pools again."""

    def _changed(self) -> None:
        _settings.generation += 1

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        self._changed()

    def __delitem__(self, key: Any) -> None:
        super().__delitem__(key)
        self._changed()

    def update(self, *args: Any, **kwargs: Any) -> None:
        super().update(*args, **kwargs)
        self._changed()

    def pop(self, *args: Any) -> Any:
        value = super().pop(*args)
        self._changed()
        return value

    def clear(self) -> None:
        super().clear()
        self._changed()


class _Settings:
    """What every transport without a proxy of its own uses: :func:`set_proxy`'s proxy and
    the managers set the telepot way (``telegrambot.api._pools``, ``_onetime_pool_spec``).
    ``generation`` grows with each change, so that transports build their pools again."""

    def __init__(self) -> None:
        self.url: Optional[str] = None
        self.basic_auth: Optional[Tuple[str, str]] = None
        self.generation = 0
        self.pools: _PoolTable = _PoolTable()
        self.onetime_pool_spec: Optional[Tuple[Any, Dict[str, Any]]] = None

    def managers(self) -> Tuple[Any, Any]:
        """The managers set the telepot way, if any: (for ordinary calls, for the long poll)."""
        given = self.pools.get("default")
        spec = self.onetime_pool_spec
        if spec is None:
            return given, None
        cls, kwargs = spec
        return given, cls(**kwargs)


_settings = _Settings()


def set_proxy(url: Optional[str], basic_auth: Optional[Tuple[str, str]] = None) -> None:
    """Send the requests of every Bot without a ``proxy`` of its own through ``url``.

    ``url`` is ``http://host:port``, ``https://...`` or, with the ``socks`` extra,
    ``socks5://host:port``; ``basic_auth`` a ``(user, password)`` pair. None turns it off.
    It replaces pools set in ``telegrambot.api._pools`` and ``_onetime_pool_spec``, as
    telepot's did.
    """
    dict.clear(_settings.pools)
    _settings.onetime_pool_spec = None
    _settings.url = url
    _settings.basic_auth = basic_auth
    _settings.generation += 1


def _pool_manager(proxy: Optional[str], basic_auth: Optional[Tuple[str, str]], **kw: Any) -> Any:
    if not proxy:
        return urllib3.PoolManager(**kw)
    if proxy.startswith("socks"):
        try:
            from urllib3.contrib.socks import SOCKSProxyManager
        except ImportError as e:  # pragma: no cover - depends on the extra
            raise ImportError("a SOCKS proxy needs the 'socks' extra: pip install 'telegrambot[socks]'") from e
        username, password = basic_auth if basic_auth else (None, None)
        return SOCKSProxyManager(proxy, username=username, password=password, **kw)
    headers = urllib3.make_headers(proxy_basic_auth=":".join(basic_auth)) if basic_auth else None
    return urllib3.ProxyManager(proxy, proxy_headers=headers, **kw)


def _as_timeout(value: TimeoutLike, default: urllib3.Timeout) -> urllib3.Timeout:
    if value is None:
        return default
    if isinstance(value, urllib3.Timeout):
        return value
    return urllib3.Timeout(connect=float(value), read=float(value))


# ---------------------------------------------------------------- connections


def _tracking(connection_cls: Any, sockets: Any, lock: Any) -> Any:
    """A connection class that records its sockets in ``sockets`` (to abort a long poll),
    each from before it connects, so that a connect still in progress can be cut short."""

    class TrackingConnection(connection_cls):  # type: ignore[misc, valid-type]
        def _new_conn(self) -> socket.socket:
            # urllib3's own, but with the socket recorded before connect(): shutting a
            # connecting socket down ends its connect() at once
            try:
                return _connect((self._dns_host, self.port), self.timeout,
                                self.source_address, self.socket_options, sockets, lock)
            except socket.gaierror as e:
                raise _NewConnectionError(self, f"Failed to resolve {self.host!r}: {e}") from e
            except socket.timeout as e:
                raise _ConnectTimeoutError(
                    self, f"Connection to {self.host} timed out. (connect timeout={self.timeout})"
                ) from e
            except OSError as e:
                raise _NewConnectionError(self, f"Failed to establish a new connection: {e}") from e

        def connect(self) -> None:
            super().connect()
            with lock:
                sockets.add(self.sock)

    return TrackingConnection


def _connect(address: Tuple[str, int], timeout: Any, source_address: Any, options: Any,
             sockets: Any, lock: Any) -> socket.socket:
    """A connected socket to ``address`` (each address the name resolves to in turn), put
    in ``sockets`` before it connects."""
    host, port = address
    error: Optional[OSError] = None
    families = urllib3.util.connection.allowed_gai_family()
    for family, kind, proto, _, where in socket.getaddrinfo(host.strip("[]"), port, families,
                                                             socket.SOCK_STREAM):
        sock = socket.socket(family, kind, proto)
        try:
            for option in options or ():
                sock.setsockopt(*option)
            if isinstance(timeout, (int, float)):
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            with lock:
                sockets.add(sock)
            sock.connect(where)
            return sock
        except OSError as e:
            error = e
            sock.close()
    raise error if error is not None else OSError(f"no address found for {host!r}")


def _close_idle(manager: Any) -> None:
    """Close the idle connections of every pool of ``manager`` (None: nothing to close).

    The pools stay usable and connect again on demand; a connection in use is left alone.
    (``PoolManager.clear()`` would only forget the pools: their sockets would stay open.)
    """
    if manager is None:
        return
    for key in list(manager.pools.keys()):
        pool: Any = getattr(manager.pools.get(key), "pool", None)  # its queue of connections
        idle = []
        try:
            while True:
                idle.append(pool.get(block=False))
        except (queue.Empty, AttributeError):  # AttributeError: no pool, or a closed one
            pass
        for conn in idle:
            if conn is not None:
                conn.close()
            try:
                pool.put(conn, block=False)
            except queue.Full:
                pass


# ---------------------------------------------------------------- the transport


class Urllib3Transport:
    """The default transport: urllib3 connection pools. Thread-safe; one per Bot.

    ``Bot(token, proxy=..., pool_size=...)`` makes one with these options.

    :param request_timeout: default timeout of a call: seconds or a ``urllib3.Timeout``
        (default: :data:`DEFAULT_TIMEOUT`).
    :param proxy: ``http://``, ``https://`` or ``socks5://`` proxy URL (else the one set with
        :func:`set_proxy`, if any).
    :param proxy_basic_auth: ``(user, password)`` for the proxy.
    :param pool_size: connections kept alive for concurrent calls.
    :param pool_options: more keyword arguments for urllib3's ``PoolManager``, such as
        ``ca_certs`` to trust a local server's own certificate authority.
    """

    def __init__(
        self,
        *,
        request_timeout: TimeoutLike = None,
        proxy: Optional[str] = None,
        proxy_basic_auth: Optional[Tuple[str, str]] = None,
        pool_size: int = 16,
        pool_options: Optional[Dict[str, Any]] = None,
    ) -> None:
        #: The default timeout of a call (a ``urllib3.Timeout``).
        self.timeout = _as_timeout(request_timeout, DEFAULT_TIMEOUT)
        self._proxy = proxy
        self._proxy_basic_auth = proxy_basic_auth
        self._pool_size = pool_size
        self._pool_options = dict(pool_options or {})
        self._lock = threading.Lock()
        self._generation = -1
        # (manager, direct pools) for ordinary calls and for the long poll, each replaced
        # whole: the direct pools map an origin to its host's pool of the manager, used
        # without a proxy (no URL parsing per call); None when calls go through the manager
        self._route: Tuple[Any, Optional[Dict[str, Any]]] = (None, None)
        self._poll_route: Tuple[Any, Optional[Dict[str, Any]]] = (None, None)
        self._poll_sockets: weakref.WeakSet[Any] = weakref.WeakSet()
        self._build()

    def __repr__(self) -> str:
        proxy = self._proxy or _settings.url
        return "<Urllib3Transport%s>" % (" proxy=%r" % redact(proxy) if proxy else "")

    # -- pools

    def _build(self) -> None:
        with self._lock:
            if self._generation == _settings.generation and self._route[0] is not None:
                return
            old = (self._route[0], self._poll_route[0])
            # the generation first: set_proxy() changes it last, so a change made while
            # this runs is seen by the next call and built again
            generation = _settings.generation
            proxy, auth = self._proxy, self._proxy_basic_auth
            given, given_poll = None, None
            if proxy is None:
                proxy, auth = _settings.url, _settings.basic_auth
                given, given_poll = _settings.managers()
            options = dict(self._pool_options)
            manager = (given if given is not None
                       else _pool_manager(proxy, auth, maxsize=self._pool_size, **options))
            poll_manager = (given_poll if given_poll is not None
                            else _pool_manager(proxy, auth, maxsize=1, **options))
            self._route = (manager, {} if not proxy and given is None else None)
            self._poll_route = (poll_manager, {} if not proxy and given_poll is None else None)
            self._generation = generation
        for manager in old:  # a call still using one of them finishes normally
            _close_idle(manager)

    def _new_direct_pool(self, manager: Any, table: Dict[str, Any], origin: str, long_poll: bool) -> Any:
        with self._lock:
            pool = table.get(origin)
            if pool is None:
                pool = manager.connection_from_url(origin)
                if long_poll:
                    pool.ConnectionCls = _tracking(pool.ConnectionCls, self._poll_sockets, self._lock)
                table[origin] = pool
            return pool

    def close(self) -> None:
        """Close every idle pooled connection (the transport stays usable)."""
        _close_idle(self._route[0])
        _close_idle(self._poll_route[0])

    def abort_long_poll(self) -> None:
        """Make an in-flight long poll (``getUpdates``) fail at once with a NetworkError,
        also while its connection is still being made.

        Works on direct connections; through a proxy the poll ends at its own timeout.
        """
        with self._lock:
            sockets = list(self._poll_sockets)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    # -- requests

    def _urlopen(self, request: Request, timeout: Any, long_poll: bool, **kw: Any) -> Any:
        """urllib3's response to ``request``; a failure is the library's NetworkError."""
        if self._generation != _settings.generation and self._proxy is None:
            self._build()
        manager, table = self._poll_route if long_poll else self._route
        # never resent (not idempotent), never redirected; a body shorter than its
        # Content-Length is an error (urllib3 1.26 would pass it off as complete)
        kw.update(retries=_NO_RETRIES, redirect=False, enforce_content_length=True, timeout=timeout)
        try:
            if table is not None:
                pool = table.get(request.origin)
                if pool is None:
                    pool = self._new_direct_pool(manager, table, request.origin, long_poll)
                return pool.urlopen(request.http_method, request.path, **kw)
            return manager.urlopen(request.http_method, request.origin + request.path, **kw)
        except (_Urllib3Error, OSError) as e:
            raise _network_error(redact(request.path.rsplit("/", 1)[-1] or request.path), e,
                                 self._where(request.origin), timeout) from e

    def _where(self, origin: str) -> str:
        where = redact(origin.split("://", 1)[-1])
        return "%s through the proxy" % where if self._proxy or _settings.url else where

    def send(self, request: Request, timeout: TimeoutLike = None) -> Any:
        """Send ``request``; its answer, the urllib3 response (``status``, ``data``)."""
        long_poll = request.long_poll
        if timeout is not None:
            timeout = _as_timeout(timeout, self.timeout)
        elif long_poll is None:
            timeout = self.timeout
        else:
            timeout = urllib3.Timeout(connect=self.timeout.connect_timeout, read=long_poll)
        return self._urlopen(request, timeout, long_poll is not None, body=request.body,
                             headers=request.headers, preload_content=True)

    def download(self, request: Request, sink: Callable[[bytes], Any], timeout: TimeoutLike = None) -> Any:
        """Stream the file of ``request`` into ``sink``; the urllib3 response (for a status
        other than 200, with its body read into ``data`` and nothing given to ``sink``)."""
        response = self._urlopen(request, _as_timeout(timeout, self.timeout), False,
                                 preload_content=False)
        try:
            if response.status == 200:
                for chunk in _body(response):
                    sink(chunk)
            else:
                try:
                    response.read(decode_content=True, cache_content=True)
                except _Urllib3Error as e:
                    raise _network_error("download", e) from e
            return response
        except BaseException:
            response.close()  # what is left unread must not meet the next request
            raise
        finally:
            response.release_conn()


def _body(response: Any) -> Iterator[bytes]:
    """An answer's body, decoded, a chunk at a time; a broken connection is a NetworkError.

    (Errors writing the chunks somewhere are the caller's: they are not network errors.)
    """
    try:
        # decode_content explicitly: urllib3 leaves a chunked gzip body encoded otherwise
        yield from response.stream(CHUNK_SIZE, decode_content=True)
    except _Urllib3Error as e:
        raise _network_error("download", e) from e


# ---------------------------------------------------------------- errors


def _root_reason(e: BaseException) -> str:
    """The innermost operating-system reason behind ``e``, as a short lower-case phrase."""
    seen = set()
    found: Optional[BaseException] = None
    current: Optional[BaseException] = e
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and not isinstance(current, _Urllib3Error):
            found = current
        nested = [a for a in getattr(current, "args", ()) if isinstance(a, BaseException)]
        reason = getattr(current, "reason", None)
        current = (current.__cause__ or (reason if isinstance(reason, BaseException) else None)
                   or (nested[0] if nested else None) or current.__context__)
    if found is None:
        return ""
    text = getattr(found, "strerror", None) or (found.args[0] if found.args else "") or ""
    if not isinstance(text, str) or not text:
        text = type(found).__name__
    return redact(text[:1].lower() + text[1:])


def _network_error(what: str, e: BaseException, where: str = "the server",
                   timeout: Any = None) -> NetworkError:
    """The library's exception for the urllib3 or socket error ``e``.

    Its message says what happened in plain words (no urllib3 class names); ``e`` stays
    available as ``__cause__`` with the token removed from it.
    """
    scrub_exception(e)
    reason = _root_reason(e)
    detail = " (%s)" % reason if reason else ""
    if isinstance(e, _ProxyError):
        inner = getattr(e, "original_error", None)
        if isinstance(inner, _NewConnectionError):
            return ConnectError("%s failed: could not connect to the proxy%s" % (what, detail))
        return NetworkError("%s failed: the proxy failed%s" % (what, detail))
    if isinstance(e, _NewConnectionError):
        return ConnectError("%s failed: could not connect to %s%s" % (what, where, detail))
    if isinstance(e, _ConnectTimeoutError):
        seconds = getattr(timeout, "connect_timeout", None)
        within = " within %s s" % seconds if isinstance(seconds, (int, float)) else ""
        return ConnectTimeout("%s failed: could not connect to %s%s (connect timeout)"
                              % (what, where, within))
    if isinstance(e, _ReadTimeoutError) or isinstance(e, socket.timeout):
        seconds = getattr(timeout, "read_timeout", None)
        within = " within %s s" % seconds if isinstance(seconds, (int, float)) else ""
        return RequestTimeout("%s failed: no answer from %s%s (read timeout)" % (what, where, within))
    if isinstance(e, _SSLError):
        return NetworkError("%s failed: TLS error with %s%s" % (what, where, detail))
    if isinstance(e, _ProtocolError):
        return NetworkError("%s failed: the connection to %s broke before the answer arrived%s"
                            % (what, where, detail))
    return NetworkError("%s failed: %s" % (what, reason or "the request could not complete"))


# the names of Urllib3Transport's options, which Bot takes too (its **transport_options)
_code = Urllib3Transport.__init__.__code__
_OPTIONS = frozenset(_code.co_varnames[_code.co_argcount:_code.co_argcount + _code.co_kwonlyargcount])
del _code

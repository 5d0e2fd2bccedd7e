"""Transport: how a Bot API call becomes an HTTP request and its answer a result.

One :class:`Transport` per :class:`~telegrambot.Bot`: a urllib3 pool for ordinary calls
(thread-safe, keep-alive) and a separate single connection for the long poll of
``getUpdates``, so that a 20-second poll never holds up a send from another thread.

Encoding: parameters whose value is None are left out; objects (dicts, lists, namedtuples)
are sent as JSON with None fields dropped; ``datetime`` becomes a unix time (a naive one
is taken as local time, as ``datetime.timestamp()`` does) and ``timedelta`` a number of
seconds. A request is a JSON body unless something is uploaded, then a streamed
``multipart/form-data`` body in which files inside objects are referred to as
``attach://<name>``. An open file is sent from its current position; when the call fails,
it is put back there, so the same call can simply be made again (a stream that cannot
seek, such as a pipe, is read whole before sending and cannot be put back).

The bot token is part of every URL, so it is kept out of everything this module lets
escape: exception messages (urllib3's included, which become ``__cause__``) and
urllib3's own log records.
"""

import contextlib
import datetime as _dt
import io
import json
import logging
import mimetypes
import os
import pathlib
import queue
import re
import socket
import sys
import threading
import types
import uuid
import weakref
from typing import IO, Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import urllib3
from urllib3.exceptions import ConnectTimeoutError as _ConnectTimeoutError
from urllib3.exceptions import HTTPError as _Urllib3Error
from urllib3.exceptions import NewConnectionError as _NewConnectionError
from urllib3.exceptions import ProtocolError as _ProtocolError
from urllib3.exceptions import ProxyError as _ProxyError
from urllib3.exceptions import ReadTimeoutError as _ReadTimeoutError
from urllib3.exceptions import SSLError as _SSLError

from .exception import (
    BadHTTPResponse,
    ConnectError,
    ConnectTimeout,
    NetworkError,
    NotFound,
    RequestTimeout,
    error_class_for,
)

log = logging.getLogger(__name__)

#: Where a :class:`~telegrambot.Bot` made without ``api_url`` sends its requests. Set it
#: before making bots to point them all elsewhere (a local Bot API server, the emulator).
DEFAULT_API_URL = "https://api.telegram.org"

# Type aliases used by the generated method signatures.
JSONObject = Dict[str, Any]
ObjectLike = Union[Dict[str, Any], Sequence[Any]]  # a dict or a telegrambot.namedtuple object
InputFileLike = Union[str, bytes, IO[bytes], pathlib.PurePath, Tuple[str, Any]]
MsgIdentifier = Union[Tuple[Union[int, str], int], Tuple[str], str]
TimeLike = Union[int, _dt.datetime]
PeriodLike = Union[int, _dt.timedelta]
TimeoutLike = Union[None, float, urllib3.Timeout]

#: Timeouts of an ordinary call unless the Bot or the call says otherwise.
DEFAULT_TIMEOUT = urllib3.Timeout(connect=10.0, read=60.0)
#: Extra seconds allowed on top of getUpdates' own long-poll ``timeout``.
LONG_POLL_MARGIN = 10.0
_CHUNK = 64 * 1024
_NO_RETRIES = urllib3.Retry(total=False, redirect=False)


# ---------------------------------------------------------------- token redaction

# Replaced, never changed in place: redact() may iterate it while another thread registers.
_known_tokens: Tuple[str, ...] = ()
_tokens_lock = threading.Lock()
# the ":" may be percent-encoded, as in an error page that quotes the URL
_TOKEN_IN_TEXT = re.compile(r"\d{3,}(?::|%3[Aa])[A-Za-z0-9_-]{10,}")


def register_token(token: str) -> None:
    """Remember ``token`` so :func:`redact` removes it wherever it appears."""
    global _known_tokens
    if token:
        forms = {token, token.replace(":", "%3A"), token.replace(":", "%3a")}
        with _tokens_lock:
            # longest first, so a token that contains another is replaced whole
            _known_tokens = tuple(sorted(forms.union(_known_tokens), key=len, reverse=True))


def redact(text: str) -> str:
    """``text`` with every bot token (known ones, and anything shaped like one) replaced.

    A token whose ":" is percent-encoded (``%3A``, as a page quoting the URL may show it)
    is found too.
    """
    for token in _known_tokens:
        if token in text:
            text = text.replace(token, "<token>")
    return _TOKEN_IN_TEXT.sub("<token>", text)


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, BaseException):
        _scrub_exception(value)
    return value


def _scrub_exception(exc: BaseException, _seen: Optional[set] = None) -> None:
    """Remove tokens from an exception chain in place (args, urllib3's ``url``, causes)."""
    seen = _seen if _seen is not None else set()
    if id(exc) in seen:
        return
    seen.add(id(exc))
    try:
        exc.args = tuple(_scrub(a) for a in exc.args)
    except Exception:  # some exception types refuse new args; leave them
        pass
    for attr in ("url", "reason", "message"):
        value = getattr(exc, attr, None)
        if isinstance(value, str):
            try:
                setattr(exc, attr, redact(value))
            except Exception:
                pass
        elif isinstance(value, BaseException):
            _scrub_exception(value, seen)
    for linked in (exc.__cause__, exc.__context__):
        if linked is not None:
            _scrub_exception(linked, seen)


class _RedactingFilter(logging.Filter):
    """Rewrites records of urllib3's loggers so no URL in them shows a token."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_URLLIB3_LOGGERS = (
    "urllib3",
    "urllib3.connectionpool",
    "urllib3.poolmanager",
    "urllib3.connection",
    "urllib3.response",
    "urllib3.util.retry",
    "urllib3.contrib.socks",
)
_filter = _RedactingFilter()
for _name in _URLLIB3_LOGGERS:
    logging.getLogger(_name).addFilter(_filter)


# ---------------------------------------------------------------- proxies


class _ProxySetting:
    def __init__(self) -> None:
        self.url: Optional[str] = None
        self.basic_auth: Optional[Tuple[str, str]] = None
        self.generation = 0


_global_proxy = _ProxySetting()


def set_proxy(url: Optional[str], basic_auth: Optional[Tuple[str, str]] = None) -> None:
    """Send the requests of every Bot without a ``proxy`` of its own through ``url``.

    ``url`` is ``http://host:port``, ``https://...`` or, with the ``socks`` extra,
    ``socks5://host:port``; ``basic_auth`` a ``(user, password)`` pair. None turns it off.
    It replaces pools set in :data:`_pools` and :data:`_onetime_pool_spec`, as telepot's did.
    """
    global _onetime_pool_spec
    dict.clear(_pools)
    _onetime_pool_spec = None
    _global_proxy.url = url
    _global_proxy.basic_auth = basic_auth
    _global_proxy.generation += 1


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


# ---------------------------------------------------------------- encoding


def _is_file(value: Any) -> bool:
    return isinstance(value, (bytes, bytearray, memoryview, pathlib.PurePath)) or hasattr(value, "read")


def _is_named_file(value: Any) -> bool:
    return (
        type(value) is tuple
        and len(value) == 2
        and isinstance(value[0], str)
        and _is_file(value[1])
    )


def _scalar(value: Any) -> Any:
    if isinstance(value, _dt.datetime):
        return int(value.timestamp())
    if isinstance(value, _dt.timedelta):
        return int(value.total_seconds())
    return value


class _Upload:
    """A file part of a multipart body; ``start`` is where an open file was when found."""

    __slots__ = ("field", "filename", "source", "size", "start")

    def __init__(self, field: str, filename: str, source: Any, size: int, start: Optional[int] = None) -> None:
        self.field, self.filename, self.source, self.size = field, filename, source, size
        self.start = start


def _position_and_size(f: Any) -> Optional[Tuple[int, int]]:
    """Where the open file ``f`` is and how many bytes are left, or None if it cannot tell."""
    try:
        start = f.tell()
        if hasattr(f, "fileno"):
            try:
                return start, max(0, os.fstat(f.fileno()).st_size - start)
            except (OSError, ValueError, io.UnsupportedOperation):
                pass
        f.seek(0, io.SEEK_END)
        size = int(f.tell() - start)
        f.seek(start)
        return start, size
    except (OSError, ValueError, io.UnsupportedOperation):
        return None


def _open_upload(field: str, value: Any) -> _Upload:
    """Make an upload of ``value``; fails here, before any request, if it cannot be read."""
    filename = None
    if _is_named_file(value):
        filename, value = value
    if isinstance(value, pathlib.PurePath):
        path = os.fspath(value)
        # FileNotFoundError here, before anything is sent
        return _Upload(field, filename or os.path.basename(path), value, os.path.getsize(path))
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        return _Upload(field, filename or field, data, len(data))
    if not hasattr(value, "read"):
        raise TypeError("%s: cannot upload a %s" % (field, type(value).__name__))
    if filename is None:
        name = getattr(value, "name", None)
        filename = os.path.basename(name) if isinstance(name, str) else field
    if isinstance(value, io.TextIOBase):
        raise TypeError("%s: open the file in binary mode ('rb') to upload it" % field)
    where = _position_and_size(value)
    if where is None:  # a stream that cannot seek: read it once
        data = value.read()
        return _Upload(field, filename, bytes(data), len(data))
    return _Upload(field, filename, value, where[1], where[0])


class _Encoder:
    """Turns a params dict into JSON-ready values, collecting files found on the way."""

    def __init__(self, local_mode: bool) -> None:
        self.local_mode = local_mode
        self.uploads: List[_Upload] = []

    def _attach(self, value: Any) -> str:
        name = "file%d" % len(self.uploads)
        self.uploads.append(_open_upload(name, value))
        return "attach://" + name

    def _local_path(self, value: Any) -> Optional[str]:
        if self.local_mode and isinstance(value, pathlib.PurePath):
            return pathlib.Path(value).resolve().as_uri()
        return None

    def nested(self, value: Any) -> Any:
        """An object or array value, with files inside replaced by attach:// references."""
        if isinstance(value, (str, int, float, bool)) or value is None:
            return value
        if isinstance(value, dict):
            return {k: self.nested(v) for k, v in value.items() if v is not None}
        fields = getattr(value, "_fields", None)
        if fields is not None:  # a namedtuple object
            return {
                (k[:-1] if k.endswith("_") else k): self.nested(v)
                for k, v in zip(fields, value)
                if v is not None
            }
        if _is_file(value) or _is_named_file(value):
            return self._local_path(value) or self._attach(value)
        if isinstance(value, (list, tuple)):
            return [self.nested(v) for v in value]
        return _scalar(value)

    def top(self, name: str, value: Any) -> Any:
        """A top-level parameter: a file here is its own multipart field."""
        if isinstance(value, (str, int, float, bool)):
            return value
        if _is_file(value) or _is_named_file(value):
            local = self._local_path(value)
            if local is not None:
                return local
            self.uploads.append(_open_upload(name, value))
            return None
        return self.nested(value)


def to_jsonable(value: Any) -> Any:
    """``value`` as plain JSON data, the way it would be sent (None fields dropped)."""
    return _Encoder(False).nested(value)


def encode(params: Dict[str, Any], local_mode: bool = False) -> Tuple[Any, Dict[str, str]]:
    """Body and headers for a request carrying ``params``.

    Raises (before anything is sent) when a file cannot be read.
    """
    encoder = _Encoder(local_mode)
    fields = {}
    for name, value in params.items():
        if value is None:
            continue
        value = encoder.top(name, value)
        if value is not None:
            fields[name] = value
    if not encoder.uploads:
        body = json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        return body, {"Content-Type": "application/json"}
    return _multipart(fields, encoder.uploads)


def _form_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _multipart(fields: Dict[str, Any], uploads: List[_Upload]) -> Tuple[Any, Dict[str, str]]:
    boundary = uuid.uuid4().hex
    parts: List[Any] = []
    for name, value in fields.items():
        parts.append(
            (
                '--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
                % (boundary, name, _form_value(value))
            ).encode("utf-8")
        )
    for up in uploads:
        content_type = mimetypes.guess_type(up.filename)[0] or "application/octet-stream"
        filename = up.filename.replace('"', "%22").replace("\r", "").replace("\n", "")
        parts.append(
            (
                '--%s\r\nContent-Disposition: form-data; name="%s"; filename="%s"\r\n'
                "Content-Type: %s\r\n\r\n" % (boundary, up.field, filename, content_type)
            ).encode("utf-8", "replace")  # a file name that is not valid text gets "?"s
        )
        parts.append(up)
        parts.append(b"\r\n")
    parts.append(("--%s--\r\n" % boundary).encode("ascii"))
    length = sum(p.size if isinstance(p, _Upload) else len(p) for p in parts)
    headers = {
        "Content-Type": "multipart/form-data; boundary=%s" % boundary,
        "Content-Length": str(length),
    }
    return _MultipartBody(parts, uploads), headers


class _MultipartBody:
    """A streamed multipart body: files are read as they are sent, never held whole."""

    __slots__ = ("parts", "uploads")

    def __init__(self, parts: List[Any], uploads: List[_Upload]) -> None:
        self.parts, self.uploads = parts, uploads

    def __iter__(self) -> Iterator[bytes]:
        for part in self.parts:
            if not isinstance(part, _Upload):
                yield part
                continue
            source = part.source
            if isinstance(source, bytes):
                yield source
            elif isinstance(source, pathlib.PurePath):
                with open(source, "rb") as f:
                    yield from _read_chunks(f, part.size)
            else:
                yield from _read_chunks(source, part.size)

    def rewind(self) -> None:
        """Put every open file back where it was found (after a failed call)."""
        for up in self.uploads:
            if up.start is not None:
                try:
                    up.source.seek(up.start)
                except (OSError, ValueError):  # closed meanwhile: nothing to put back
                    pass


def _read_chunks(f: Any, size: int) -> Iterator[bytes]:
    left = size
    while left > 0:
        chunk = f.read(min(_CHUNK, left))
        if not chunk:
            raise NetworkError("upload source ended %d bytes early" % left)
        left -= len(chunk)
        yield chunk


def _is_id(value: Any) -> bool:
    return isinstance(value, (int, str)) and not isinstance(value, bool) and value != ""


def message_target(msg_identifier: Any, inline: bool) -> Dict[str, Any]:
    """The chat_id/message_id or inline_message_id parameters named by ``msg_identifier``.

    ``(chat_id, message_id)``, ``(inline_message_id,)`` or an inline_message_id string
    (the last two only where the method takes inline messages). A message dict (as
    received) is accepted too.
    """
    if isinstance(msg_identifier, dict):
        try:
            return {"chat_id": msg_identifier["chat"]["id"], "message_id": msg_identifier["message_id"]}
        except (KeyError, TypeError):
            raise ValueError("msg_identifier: a message dict needs 'chat' and 'message_id'") from None
    if isinstance(msg_identifier, tuple) and len(msg_identifier) == 2:
        chat_id, message_id = msg_identifier
        if not (_is_id(chat_id) and _is_id(message_id)):
            raise ValueError(
                "msg_identifier: chat_id and message_id must be ints or strings, not %r" % (msg_identifier,)
            )
        return {"chat_id": chat_id, "message_id": message_id}
    if inline:
        if isinstance(msg_identifier, tuple) and len(msg_identifier) == 1:
            msg_identifier = msg_identifier[0]
        if isinstance(msg_identifier, str) and msg_identifier:
            return {"inline_message_id": msg_identifier}
        raise ValueError(
            "msg_identifier must be (chat_id, message_id), (inline_message_id,) or an "
            "inline_message_id string, not %r" % (msg_identifier,)
        )
    raise ValueError("msg_identifier must be (chat_id, message_id), not %r" % (msg_identifier,))


# ---------------------------------------------------------------- answers


def parse_answer(status: int, data: bytes, response: Any = None, method: Optional[str] = None) -> Any:
    """The ``result`` of a Bot API answer, or the exception it stands for.

    An error answer becomes the :class:`~telegrambot.exception.TelegramError` subclass of
    its status and description (``method`` is recorded on it).
    """
    try:
        answer = json.loads(data)
    except ValueError:
        answer = None
    if not isinstance(answer, dict) or "ok" not in answer:
        text = data.decode("utf-8", "replace")
        raise BadHTTPResponse(status, redact(text), response)
    if answer["ok"]:
        return answer.get("result")
    description = str(answer.get("description", ""))
    cleaned = redact(description)
    if cleaned != description:  # a description that quotes a URL with the token in it
        description = cleaned
        answer = dict(answer, description=cleaned)
    error_code = answer.get("error_code", status)
    raise error_class_for(description, error_code)(description, error_code, answer, method)


def _as_timeout(value: TimeoutLike, default: urllib3.Timeout) -> urllib3.Timeout:
    if value is None:
        return default
    if isinstance(value, urllib3.Timeout):
        return value
    return urllib3.Timeout(connect=float(value), read=float(value))


# ---------------------------------------------------------------- transport


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


class Transport:
    """The HTTP side of one Bot. Thread-safe."""

    def __init__(
        self,
        token: str,
        api_url: str = DEFAULT_API_URL,
        *,
        request_timeout: TimeoutLike = None,
        proxy: Optional[str] = None,
        proxy_basic_auth: Optional[Tuple[str, str]] = None,
        local_mode: bool = False,
        test_environment: bool = False,
        pool_size: int = 16,
        pool_options: Optional[Dict[str, Any]] = None,
    ) -> None:
        register_token(token)
        self.api_url = api_url.rstrip("/")
        self.local_mode = local_mode
        # an api_url may have a path of its own (a server behind a reverse proxy)
        where = urllib3.util.parse_url(self.api_url)
        self._origin = "%s://%s" % (where.scheme or "http", where.netloc)
        base = (where.path or "").rstrip("/")
        env = "test/" if test_environment else ""
        self._method_prefix = "%s/bot%s/%s" % (base, token, env)
        self._not_found_hint = _api_url_hint(base, token)
        self._file_prefix = "%s/file/bot%s/%s" % (base, token, env)
        self.timeout = _as_timeout(request_timeout, DEFAULT_TIMEOUT)
        self._proxy = proxy
        self._proxy_basic_auth = proxy_basic_auth
        self._pool_size = pool_size
        self._pool_options = dict(pool_options or {})
        self._lock = threading.Lock()
        self._proxy_generation = -1
        self._manager: Any = None
        self._poll_manager: Any = None
        self._pool: Any = None
        self._poll_pool: Any = None
        self._poll_sockets: weakref.WeakSet[Any] = weakref.WeakSet()
        self._build()

    # -- pools

    def _build(self) -> None:
        with self._lock:
            if self._proxy_generation == _global_proxy.generation and self._manager is not None:
                return
            old = (self._manager, self._poll_manager)
            # the generation first: set_proxy() changes it last, so a change made while
            # this runs is seen by the next call and built again
            generation = _global_proxy.generation
            proxy, auth = self._proxy, self._proxy_basic_auth
            given, given_poll = None, None
            if proxy is None:
                proxy, auth = _global_proxy.url, _global_proxy.basic_auth
                given, given_poll = _telepot_pools()
            options = dict(self._pool_options)
            self._manager = (given if given is not None
                             else _pool_manager(proxy, auth, maxsize=self._pool_size, **options))
            self._poll_manager = (given_poll if given_poll is not None
                                  else _pool_manager(proxy, auth, maxsize=1, **options))
            # Without a proxy, talk to the host's pool directly: no URL parsing per call.
            direct = not proxy and given is None
            self._pool = self._manager.connection_from_url(self.api_url) if direct else None
            direct = not proxy and given_poll is None
            self._poll_pool = self._poll_manager.connection_from_url(self.api_url) if direct else None
            if self._poll_pool is not None:
                self._poll_pool.ConnectionCls = _tracking(
                    self._poll_pool.ConnectionCls, self._poll_sockets, self._lock
                )
            self._proxy_generation = generation
        for manager in old:  # a call still using one of them finishes normally
            _close_idle(manager)

    def close(self) -> None:
        """Close every idle pooled connection (the Transport stays usable)."""
        _close_idle(self._manager)
        _close_idle(self._poll_manager)

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

    def _send(self, long_poll: bool, method: str, url: str, **kw: Any) -> Any:
        if self._proxy_generation != _global_proxy.generation and self._proxy is None:
            self._build()
        pool = self._poll_pool if long_poll else self._pool
        # never resent (not idempotent), never redirected; a body shorter than its
        # Content-Length is an error (urllib3 1.26 would pass it off as complete)
        kw.update(retries=_NO_RETRIES, redirect=False, enforce_content_length=True)
        try:
            if pool is not None:
                return pool.urlopen(method, url, **kw)
            manager = self._poll_manager if long_poll else self._manager
            return manager.urlopen(method, self._origin + url, **kw)
        except (_Urllib3Error, OSError) as e:
            raise _network_error(self._describe(url), e, self._where(), kw.get("timeout")) from e

    @staticmethod
    def _describe(url: str) -> str:
        return redact(url.rsplit("/", 1)[-1] or url)

    def _where(self) -> str:
        proxy = self._proxy or _global_proxy.url
        where = redact(self._origin.split("://", 1)[-1])
        return "%s through the proxy" % where if proxy else where

    def call(
        self,
        method: str,
        params: Dict[str, Any],
        request_timeout: TimeoutLike = None,
    ) -> Any:
        """Call ``method`` with ``params`` and return its result (or raise)."""
        body, headers = encode(params, self.local_mode)
        long_poll = method == "getUpdates"
        if long_poll and request_timeout is None:
            poll = params.get("timeout") or 0
            timeout = urllib3.Timeout(connect=self.timeout.connect_timeout, read=float(poll) + LONG_POLL_MARGIN)
        else:
            timeout = _as_timeout(request_timeout, self.timeout)
        try:
            response = self._send(
                long_poll,
                "POST",
                self._method_prefix + method,
                body=body,
                headers=headers,
                timeout=timeout,
                preload_content=True,
            )
            return parse_answer(response.status, response.data, response, method)
        except NotFound as e:
            if self._not_found_hint:
                e.hint = self._not_found_hint
            raise
        except BaseException:
            if isinstance(body, _MultipartBody):
                body.rewind()  # so that the caller can retry with the same file objects
            raise

    def download(self, file_path: str, dest: Any, request_timeout: TimeoutLike = None) -> None:
        """Stream ``{api_url}/file/bot<token>/<file_path>`` into ``dest`` (a path or binary file).

        A path ``dest`` is removed again if the download fails.
        """
        response = self._send(
            False,
            "GET",
            self._file_prefix + file_path,
            timeout=_as_timeout(request_timeout, self.timeout),
            preload_content=False,
        )
        try:
            if response.status != 200:
                data = b"".join(_body(response))
                parse_answer(response.status, data, response, "download")  # raises its error
                raise BadHTTPResponse(response.status, redact(data.decode("utf-8", "replace")), response)
            if hasattr(dest, "write"):
                for chunk in _body(response):
                    dest.write(chunk)
                return
            f = open(dest, "wb")
            try:
                with f:
                    for chunk in _body(response):
                        f.write(chunk)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(dest)  # no truncated file that looks like a download
                raise
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
        yield from response.stream(_CHUNK, decode_content=True)
    except _Urllib3Error as e:
        raise _network_error("download", e) from e


def _api_url_hint(base: str, token: str) -> Optional[str]:
    """What to say on a 404 when the api_url's path looks like a mistake (else None)."""
    if base.endswith("/bot") or "/bot" + token in base or (token and token in base):
        return ("the api_url ends with /bot or holds the token: give the server's address "
                "only, such as https://api.telegram.org; the library adds /bot<token>/<method>")
    return None


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
    _scrub_exception(e)
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


# ---------------------------------------------------------------- telepot's module-level API

#: telepot's pool setting: a urllib3 ``PoolManager`` (or ``ProxyManager``, or a SOCKS one)
#: put here under ``'default'`` carries the calls of every Bot without a ``proxy`` of its
#: own; the getUpdates long poll gets a manager of its own, made from
#: :data:`_onetime_pool_spec` if set. Timeouts and retries are the library's, whatever the
#: manager's defaults. :func:`set_proxy` clears it.
_pools: Dict[str, Any]
#: telepot's ``(manager class, keyword arguments)``: the long poll's manager is made with it.
_onetime_pool_spec: Optional[Tuple[Any, Dict[str, Any]]] = None

_transports: "Dict[Tuple[str, str], Transport]" = {}
_transports_lock = threading.Lock()
_TRANSPORTS_KEPT = 8


class _PoolTable(dict):
    """``_pools``: a change makes every Transport build its pools again."""

    def _changed(self) -> None:
        _global_proxy.generation += 1

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


_pools = _PoolTable()


def _telepot_pools() -> Tuple[Any, Any]:
    """The managers set through :data:`_pools` and :data:`_onetime_pool_spec`, if any:
    (for ordinary calls, for the long poll)."""
    given = _pools.get("default")
    spec = _onetime_pool_spec
    if spec is None:
        return given, None
    cls, kwargs = spec
    return given, cls(**kwargs)


def _transport_for(token: str, api_url: Optional[str]) -> Transport:
    url = DEFAULT_API_URL if api_url is None else api_url
    with _transports_lock:
        transport = _transports.pop((token, url), None)
        if transport is None:
            transport = Transport(token, url)
            while len(_transports) >= _TRANSPORTS_KEPT:  # the least recently used goes
                _transports.pop(next(iter(_transports))).close()
        _transports[(token, url)] = transport
        return transport


def _telepot_kwargs(name: str, user_kw: Dict[str, Any], extra: Tuple[str, ...] = ()) -> None:
    unknown = sorted(set(user_kw) - {"timeout", "api_url"} - set(extra))
    if unknown:
        raise TypeError("%s() got unexpected keyword arguments %s (it takes timeout and api_url%s)"
                        % (name, ", ".join(map(repr, unknown)),
                           "".join(", " + e for e in extra)))


def request(req: Tuple[str, str, Optional[Dict[str, Any]], Optional[Dict[str, Any]]],
            **user_kw: Any) -> Any:
    """Call a Bot API method as telepot's ``api.request`` did: ``req`` is
    ``(token, method, params, files)``; ``files`` maps parameter names to files to upload
    (an open file, bytes, a path or a ``(filename, file)`` tuple). Returns the result, or
    raises the error the answer stands for.

    Keywords: ``timeout`` (seconds or ``urllib3.Timeout``) and ``api_url`` (default
    :data:`DEFAULT_API_URL`). The connections are shared by the calls for the same token.
    ``Bot.request(method, params)`` is the same for a bot.
    """
    _telepot_kwargs("request", user_kw)
    token, method, params, files = req
    merged = dict(params or {})
    if files:
        merged.update(files)
    return _transport_for(token, user_kw.get("api_url")).call(method, merged, user_kw.get("timeout"))


def download(req: Tuple[str, str], **user_kw: Any) -> Any:
    """Fetch a file as telepot's ``api.download`` did: ``req`` is ``(token, file_path)``
    (``file_path`` from getFile); returns the urllib3 response (its ``data``, or with
    ``preload_content=False`` its ``stream()``; release it when done). An error answer
    raises. Keywords: ``timeout``, ``api_url``, ``preload_content``.

    ``Bot.download_file(file_id, dest)`` is simpler.
    """
    _telepot_kwargs("download", user_kw, ("preload_content",))
    token, file_path = req
    transport = _transport_for(token, user_kw.get("api_url"))
    response = transport._send(
        False,
        "GET",
        transport._file_prefix + file_path,
        timeout=_as_timeout(user_kw.get("timeout"), transport.timeout),
        preload_content=user_kw.get("preload_content", True),
    )
    if response.status != 200:
        try:
            data = response.data or b""
            parse_answer(response.status, data, response)
            raise BadHTTPResponse(response.status, redact(data.decode("utf-8", "replace")), response)
        finally:
            response.release_conn()
    return response


class _ApiModule(types.ModuleType):
    """This module: assigning ``_pools`` or ``_onetime_pool_spec`` (as telepot code does)
    makes every Transport build its pools again."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "_pools" and not isinstance(value, _PoolTable):
            value = _PoolTable(value)
        super().__setattr__(name, value)
        if name in ("_pools", "_onetime_pool_spec"):
            _global_proxy.generation += 1


sys.modules[__name__].__class__ = _ApiModule

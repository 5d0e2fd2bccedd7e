"""Bot API calls turned into HTTP requests, with no I/O: what a transport sends.

:class:`Endpoint` is one bot's end of the Bot API: the server's address and the token, the
``local_mode`` and parameter defaults, and how a call becomes a :class:`Request` and an
answer its result (:meth:`Endpoint.result`, by :mod:`telegrambot.core.answer`). Both
runtimes' Bots do ``endpoint.call()`` -> ``transport.send()`` -> ``endpoint.result()``.

Encoding: parameters whose value is None are left out; objects (dicts, lists, namedtuples)
are sent as JSON with None fields dropped; ``datetime`` becomes a unix time (a naive one
is taken as local time, as ``datetime.timestamp()`` does) and ``timedelta`` a number of
seconds. A request is a JSON body unless something is uploaded, then a
``multipart/form-data`` :class:`MultipartBody` in which files inside objects are referred to
as ``attach://<name>``. With ``local_mode`` (a local Bot API server), a ``pathlib.Path`` is
sent as a ``file://`` URI instead of uploaded.

A ``str`` given for a method's file parameter (``photo``, ``document``, ...) is a file_id or
a URL, unless it is the path of an existing local file: then that file is uploaded, as a
``pathlib.Path`` would be. So never pass text from a user as a file argument: a path it
names would be uploaded. Inside objects (``InputMedia...``) a ``str`` is always sent as it
is: give a ``pathlib.Path`` there.

A progress callback ``progress(done, total)`` may be set on a multipart body
(:attr:`MultipartBody.progress`): iterating the body reports the bytes of its files handed
over so far, from ``(0, total)`` to ``(total, total)``.

A multipart body is described, not built: its parts are byte strings and :class:`Upload`
sources (bytes, a path, an open binary file), with the total length known beforehand.
Iterating it reads the sources a chunk at a time (a threaded transport streams it as it
is); an asyncio transport walks the same :attr:`MultipartBody.parts`. A file that cannot be
read fails when the request is made, before anything is sent. An open file is sent from
its current position; :meth:`Request.rewind` puts it back there after a failed call, so the
same request can be sent again (a stream that cannot seek, such as a pipe, is read whole
when the request is made).
"""

import datetime as _dt
import io
import json
import mimetypes
import os
import pathlib
import re
from typing import (
    IO,
    Any,
    Callable,
    Collection,
    Dict,
    Generator,
    Iterator,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Union,
)
from urllib.parse import urlsplit

from ..exception import NetworkError, NotFound
from .answer import parse_answer
from .methods import METHODS
from .redact import redact, register_token

__all__ = [
    "DEFAULT_API_URL",
    "CHUNK_SIZE", "Endpoint", "InputFileLike", "JSONObject", "LONG_POLL_MARGIN", "MsgIdentifier",
    "MultipartBody", "ObjectLike", "PeriodLike", "Progress", "Request", "TimeLike", "Upload",
    "encode", "local_file", "message_target", "renamed_param", "to_jsonable",
]

# Type aliases used by the generated method signatures.
JSONObject = Dict[str, Any]
ObjectLike = Union[Dict[str, Any], Sequence[Any]]  # a dict or a telegrambot.namedtuple object
InputFileLike = Union[str, bytes, IO[bytes], pathlib.PurePath, Tuple[str, Any]]
MsgIdentifier = Union[Tuple[Union[int, str], int], Tuple[str], str]
TimeLike = Union[int, _dt.datetime]
PeriodLike = Union[int, _dt.timedelta]
#: A progress callback: ``progress(done_bytes, total_bytes)``.
Progress = Callable[[int, int], Any]

#: Extra seconds allowed for the answer on top of getUpdates' own long-poll ``timeout``.
LONG_POLL_MARGIN = 10.0
#: Bytes read from an upload source at a time.
#: Where a bot made without ``api_url`` sends its requests (see
#: :data:`telegrambot.api.DEFAULT_API_URL`, which may be set to point them elsewhere).
DEFAULT_API_URL = "https://api.telegram.org"
CHUNK_SIZE = 64 * 1024

_NOT_NONE_ERROR = "%s(): %r is required and cannot be None"
# printable ASCII without the characters that would change the URL path ("/", "?", "#", "%")
_TOKEN_CHARS = re.compile(r"[^\x00-\x20\x7f-\U0010ffff/?#%]+")


# ---------------------------------------------------------------- the request


class Request:
    """One HTTP request to the Bot API, ready to send.

    ``method``: the Bot API method (``"download"`` for a file); ``http_method``: ``"POST"``
    or ``"GET"``; ``origin``: ``scheme://host[:port]`` of the server; ``path``: the rest of
    the URL (it holds the token: :func:`~telegrambot.core.redact.redact` anything that
    quotes it); ``body``: bytes (JSON), a :class:`MultipartBody` or None; ``headers``: the
    content headers; ``long_poll``: None, or for a getUpdates long poll the seconds its
    answer may take (the poll's ``timeout`` plus :data:`LONG_POLL_MARGIN`).
    """

    __slots__ = ("method", "http_method", "origin", "path", "body", "headers", "long_poll")

    def __init__(self, method: str, http_method: str, origin: str, path: str, body: Any,
                 headers: Dict[str, str], long_poll: Optional[float] = None) -> None:
        self.method, self.http_method, self.origin, self.path = method, http_method, origin, path
        self.body, self.headers, self.long_poll = body, headers, long_poll

    @property
    def url(self) -> str:
        """The whole URL (with the token)."""
        return self.origin + self.path

    def rewind(self) -> None:
        """Put the open files of a multipart body back where they were (after a failure)."""
        if isinstance(self.body, MultipartBody):
            self.body.rewind()

    def __repr__(self) -> str:
        return "<Request %s %s>" % (self.http_method, redact(self.url))


class Endpoint:
    """One bot's end of the Bot API: where its requests go, how its calls become requests
    and its answers results. Immutable; shared by every thread or task of the bot.

    :param token: the bot's token (registered for :func:`~telegrambot.core.redact.redact`);
        a ValueError, without the token in it, if it cannot be one.
    :param api_url: the server's address; it may have a path of its own (a server behind a
        reverse proxy). Without a scheme, ``http://``.
    :param test_environment: use Telegram's test environment (``.../bot<token>/test/...``).
    :param local_mode: the server is a local Bot API server: ``pathlib.Path`` uploads go as
        ``file://`` URIs.
    :param defaults: parameter defaults filled into the calls of :meth:`call`
        (:mod:`telegrambot.core.defaults`); a ValueError for a name no method or object takes.
    """

    __slots__ = ("api_url", "origin", "local_mode", "defaults", "_method_prefix", "_file_prefix",
                 "_not_found_hint")

    def __init__(self, token: str, api_url: str, *, test_environment: bool = False,
                 local_mode: bool = False, defaults: Optional[Mapping[str, Any]] = None) -> None:
        if not isinstance(token, str) or not _TOKEN_CHARS.fullmatch(token):
            # the token itself stays out of the message
            raise ValueError(
                "token must be a non-empty string of printable ASCII without spaces, '/', '?', "
                "'#' or '%' (a token read from a file may end with a newline: strip it)"
            )
        compiled = None
        if defaults is not None:
            from .defaults import Defaults

            compiled = Defaults(defaults)  # a bad key fails here, before anything is sent
        register_token(token)
        self.api_url = api_url.rstrip("/")
        where = urlsplit(self.api_url if "://" in self.api_url else "http://" + self.api_url)
        self.origin = "%s://%s" % (where.scheme.lower() or "http", where.netloc.rpartition("@")[2])
        base = where.path.rstrip("/")
        env = "test/" if test_environment else ""
        self._method_prefix = "%s/bot%s/%s" % (base, token, env)
        self._file_prefix = "%s/file/bot%s/%s" % (base, token, env)
        self._not_found_hint = _api_url_hint(base, token)
        self.local_mode = local_mode
        #: The compiled :class:`~telegrambot.core.defaults.Defaults`, or None.
        self.defaults = compiled if compiled is not None and compiled.values else None

    def __repr__(self) -> str:
        return "<Endpoint %s>" % redact(self.api_url)

    def call(self, method: str, params: Dict[str, Any], api_kwargs: Optional[Dict[str, Any]],
             progress: Optional[Progress] = None) -> Request:
        """The request of a Bot method's call: ``params`` (changed in place) checked for the
        required ones, filled with the defaults, then ``api_kwargs`` added. Raises, before
        anything is sent, on a required parameter that is None or a file that cannot be read.
        ``progress`` is set on the body if it uploads something.
        """
        self.check(method, params)
        if self.defaults is not None:
            self.defaults.apply(method, params)
        if api_kwargs:
            params.update(api_kwargs)
        return self.request(method, params, progress)

    @staticmethod
    def check(method: str, params: Dict[str, Any]) -> None:
        """Raise TypeError if a required parameter of ``method`` is None in ``params``."""
        for name in METHODS[method].required:
            if params.get(name) is None:
                raise TypeError(_NOT_NONE_ERROR % (method, name))

    def request(self, method: str, params: Dict[str, Any],
                progress: Optional[Progress] = None) -> Request:
        """The request calling ``method`` with ``params`` as they are (no defaults)."""
        info = METHODS.get(method)
        body, headers = encode(params, self.local_mode, info.uploads if info is not None else ())
        if progress is not None and isinstance(body, MultipartBody):
            body.progress = progress
        long_poll = None
        if method == "getUpdates":
            try:
                long_poll = float(params.get("timeout") or 0) + LONG_POLL_MARGIN
            except (TypeError, ValueError):  # the server will say what is wrong with it
                long_poll = LONG_POLL_MARGIN
        return Request(method, "POST", self.origin, self._method_prefix + method, body, headers,
                       long_poll)

    def file(self, file_path: str) -> Request:
        """The request downloading ``file_path`` (from getFile)."""
        return Request("download", "GET", self.origin, self._file_prefix + file_path, None, {})

    def result(self, request: Request, answer: Any) -> Any:
        """The result of ``answer`` (anything with ``status`` and ``data``, the transport's
        answer to ``request``), or the exception it stands for (see
        :func:`~telegrambot.core.answer.parse_answer`)."""
        try:
            return parse_answer(answer.status, answer.data, answer, request.method)
        except NotFound as e:
            if self._not_found_hint:
                e.hint = self._not_found_hint
            raise


def _api_url_hint(base: str, token: str) -> Optional[str]:
    """What to say on a 404 when the api_url's path looks like a mistake (else None)."""
    if base.endswith("/bot") or "/bot" + token in base or (token and token in base):
        return ("the api_url ends with /bot or holds the token: give the server's address "
                "only, such as https://api.telegram.org; the library adds /bot<token>/<method>")
    return None


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


class Upload:
    """A file part of a multipart body.

    ``field``: the form field; ``filename`` and ``content_type``: as the part's headers say;
    ``source``: bytes, a ``pathlib.PurePath`` (opened when sent) or an open binary file (read
    from ``start``, where it was found); ``size``: the bytes sent.
    """

    __slots__ = ("field", "filename", "content_type", "source", "size", "start")

    def __init__(self, field: str, filename: str, source: Any, size: int, start: Optional[int] = None) -> None:
        self.field, self.filename, self.source, self.size = field, filename, source, size
        self.content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        self.start = start

    def chunks(self) -> Generator[bytes, None, None]:
        """The file's bytes, read a chunk at a time (blocking reads)."""
        source = self.source
        if isinstance(source, bytes):
            yield source
        elif isinstance(source, pathlib.PurePath):
            with open(source, "rb") as f:
                yield from _read_chunks(f, self.size)
        else:
            yield from _read_chunks(source, self.size)

    def rewind(self) -> None:
        """Put an open file back at ``start`` (a closed one is left as it is)."""
        if self.start is not None:
            try:
                self.source.seek(self.start)
            except (OSError, ValueError):  # closed meanwhile: nothing to put back
                pass


def _read_chunks(f: Any, size: int) -> Iterator[bytes]:
    left = size
    while left > 0:
        chunk = f.read(min(CHUNK_SIZE, left))
        if not chunk:
            raise NetworkError("upload source ended %d bytes early" % left)
        left -= len(chunk)
        yield chunk


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


def local_file(value: str) -> bool:
    """True if ``value`` is the path of an existing local file (not a file_id, a URL or
    an ``attach://`` reference)."""
    if not value or len(value) > 4096 or "://" in value:
        return False
    try:
        return os.path.isfile(value)
    except (OSError, ValueError):  # a name the system refuses (a NUL byte, ...)
        return False


def _open_upload(field: str, value: Any) -> Upload:
    """Make an upload of ``value``; fails here, before any request, if it cannot be read."""
    filename = None
    if _is_named_file(value):
        filename, value = value
    if isinstance(value, pathlib.PurePath):
        path = os.fspath(value)
        # FileNotFoundError here, before anything is sent
        return Upload(field, filename or os.path.basename(path), value, os.path.getsize(path))
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        return Upload(field, filename or field, data, len(data))
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
        return Upload(field, filename, bytes(data), len(data))
    return Upload(field, filename, value, where[1], where[0])


class _Encoder:
    """Turns a params dict into JSON-ready values, collecting files found on the way."""

    def __init__(self, local_mode: bool, file_params: Collection[str] = ()) -> None:
        self.local_mode = local_mode
        self.file_params = file_params
        self.uploads: List[Upload] = []

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
        if isinstance(value, str):
            if name not in self.file_params or not local_file(value):
                return value
            value = pathlib.Path(value)  # a file parameter naming an existing file
        elif isinstance(value, (int, float, bool)):
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


def encode(params: Dict[str, Any], local_mode: bool = False,
           file_params: Collection[str] = ()) -> Tuple[Any, Dict[str, str]]:
    """Body and headers for a request carrying ``params``: JSON bytes, or a
    :class:`MultipartBody` when something is uploaded. A ``str`` given for one of
    ``file_params`` that is the path of an existing file is uploaded.

    Raises (before anything is sent) when a file cannot be read.
    """
    encoder = _Encoder(local_mode, file_params)
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
    multipart = MultipartBody(fields, encoder.uploads)
    return multipart, {"Content-Type": multipart.content_type, "Content-Length": str(multipart.length)}


def _form_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class MultipartBody:
    """A ``multipart/form-data`` body, described: iterate it for its bytes, a chunk at a
    time (files are read as they are sent, never held whole).

    ``parts``: byte strings and :class:`Upload` sources in order; ``uploads``: the uploads;
    ``boundary``, ``content_type``; ``length``: the body's size in bytes; ``progress``:
    None, or ``progress(done, total)`` called as the files' bytes are read out (``total``
    is :attr:`upload_size`; the calls start at ``(0, total)`` and end at ``(total, total)``,
    and start again at 0 if the body is sent again).
    """

    __slots__ = ("parts", "uploads", "boundary", "content_type", "length", "progress")

    def __init__(self, fields: Dict[str, Any], uploads: List[Upload]) -> None:
        boundary = os.urandom(16).hex()
        parts: List[Union[bytes, Upload]] = []
        for name, value in fields.items():
            parts.append(
                (
                    '--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
                    % (boundary, name, _form_value(value))
                ).encode("utf-8")
            )
        for up in uploads:
            filename = up.filename.replace('"', "%22").replace("\r", "").replace("\n", "")
            parts.append(
                (
                    '--%s\r\nContent-Disposition: form-data; name="%s"; filename="%s"\r\n'
                    "Content-Type: %s\r\n\r\n" % (boundary, up.field, filename, up.content_type)
                ).encode("utf-8", "replace")  # a file name that is not valid text gets "?"s
            )
            parts.append(up)
            parts.append(b"\r\n")
        parts.append(("--%s--\r\n" % boundary).encode("ascii"))
        self.parts, self.uploads, self.boundary = parts, uploads, boundary
        self.content_type = "multipart/form-data; boundary=%s" % boundary
        self.length = sum(p.size if isinstance(p, Upload) else len(p) for p in parts)
        self.progress: Optional[Progress] = None

    @property
    def upload_size(self) -> int:
        """The bytes of the files uploaded (the body without its form fields and heads)."""
        return sum(up.size for up in self.uploads)

    def __iter__(self) -> Iterator[bytes]:
        if self.progress is not None:
            yield from self._reporting(self.progress)
            return
        for part in self.parts:
            if isinstance(part, Upload):
                yield from part.chunks()
            else:
                yield part

    def _reporting(self, progress: Progress) -> Iterator[bytes]:
        total, done = self.upload_size, 0
        progress(0, total)
        for part in self.parts:
            if isinstance(part, Upload):
                for chunk in part.chunks():
                    yield chunk
                    done += len(chunk)  # handed over: the transport has sent it
                    progress(done, total)
            else:
                yield part

    def rewind(self) -> None:
        """Put every open file back where it was found (after a failed call)."""
        for up in self.uploads:
            up.rewind()


# ---------------------------------------------------------------- method arguments


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


def renamed_param(method: str, old: str, value: Any, new: str, new_value: Any) -> Any:
    """The value given under the old name of a parameter, unless the new one has one too."""
    if new_value is not None:
        raise TypeError("%s() got both %r and its old name %r" % (method, new, old))
    return value

"""The emulator's HTTP side: its server, answers, and the request body decoders.

The emulator runs on the library's HTTP server core (``telegrambot/_httpserver.py``, the
webhook receiver's too): each request's body is read whole (Content-Length or chunked; one
over the emulator's limit is read, dropped and answered 413), its target split into path
and query (in origin form, or in absolute form as a proxy gets it), then handed to
``emulator.serve(http_method, path, query, headers, body)``, which returns an
:class:`Answer` (or ``None`` to drop the connection unanswered). Each connection has its
own thread (``telegrambot-emulator-conn``); stopping the server ends the accept loop and
every open connection, so keep-alive threads end at once.
"""

import json
import logging
import re
from typing import Any, Dict, NamedTuple, Optional, Tuple
from urllib.parse import parse_qsl, unquote

from .._httpserver import Request, Response, Server
from ..core.http import Head, split_target

logger = logging.getLogger(__name__)

__all__ = ["Answer", "json_answer", "BadBody", "decode_body", "decode_query", "parse_multipart",
           "make_server"]

Files = Dict[str, Tuple[str, bytes]]


class Answer(NamedTuple):
    """An HTTP answer: status, body bytes and content type."""

    status: int
    body: bytes
    content_type: str = "application/json"


def json_answer(status: int, payload: Any) -> Answer:
    return Answer(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"))


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

# what http.server allowed: a test may send more than Telegram's front end would take
_MAX_HEAD = 64 * 1024
_MAX_HEADERS = 100
_HTTP_METHODS = frozenset({"GET", "POST"})


def make_server(address: Tuple[str, int], emulator: Any) -> Server:
    """The emulator's HTTP server, bound to ``address`` (start it with ``start()``)."""
    return Server(
        address,
        lambda request: _serve_request(emulator, request),
        label="emulator",
        connection_name="telegrambot-emulator-conn",
        logger=logger,
        server_header="telegrambot-emulator",
        max_head=_MAX_HEAD,
        max_headers=_MAX_HEADERS,
    )


def _serve_request(emulator: Any, request: Request) -> Optional[Response]:
    """One request: its body read whole (up to the emulator's limit), then served."""
    head = request.head
    if head.method not in _HTTP_METHODS:
        return _answer(json_answer(501, {"ok": False, "error_code": 501,
                                         "description": "Not Implemented"}), close=True)
    try:
        body = request.body(emulator.max_body())
    except (ValueError, OSError):
        return _answer(json_answer(400, {"ok": False, "error_code": 400,
                                         "description": "Bad Request: unreadable body"}), close=True)
    if body is None:  # over the limit: read and dropped, never held whole
        return _answer(json_answer(413, {"ok": False, "error_code": 413,
                                         "description": "Request Entity Too Large"}))
    path, query = split_target(head.target)
    answer = emulator.serve(head.method, path, query, Headers(head), body)
    if answer is None:  # injected 'drop': close without a word
        return None
    return _answer(answer)


class Headers(Dict[str, str]):
    """A request's headers: a dict of the names as sent; :meth:`get` ignores case."""

    def __init__(self, head: Head) -> None:
        super().__init__(head.fields)
        self._lower = head.headers

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        return self._lower.get(name.lower(), default)


def _answer(answer: Answer, close: bool = False) -> Response:
    return Response(answer.status, answer.body, answer.content_type, (), close)

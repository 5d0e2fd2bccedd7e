"""The rules of a webhook endpoint, apart from any server: no socket, no thread, no clock.

Whatever runs the endpoint (the built-in server, a WSGI or ASGI server, a framework), a
request goes through the same steps, each of which may refuse it with a
:class:`~telegrambot.core.http.Rejection`:

1. :meth:`WebhookRules.check_request` judges the head (method, path, headers), before
   any of the body is read: method (501 if unknown), path (404), method (405), secret
   token (403, compared in constant time), framing (Content-Length and
   Transfer-Encoding together, or several Content-Lengths: 400; a chunked body or no
   length: 411; a malformed length: 400), size (413) and, for a server that answers
   ``Expect`` itself, ``Expect`` (417 unless ``100-continue``). It returns the length
   of the body to read.
2. The runtime reads that many bytes, however it reads (blocking, awaiting).
3. :meth:`WebhookRules.check_body` turns the body into ``(update_id, update)``: JSON,
   an object, an integer ``update_id`` (else 400).
4. :class:`DedupTable` says whether that update_id is new (hand the update over, then
   call ``done()``), accepted already (answer 200, do not hand it on twice) or being
   accepted by another request (503).

Parsing a request head (431, 400, 505) is the built-in server's business:
:mod:`telegrambot.core.http`.

:func:`listen_address` decides where ``run_webhook`` listens when it is not told.
"""

import hmac
import json
from collections import OrderedDict
from typing import Any, Callable, Dict, Optional, Tuple, Union
from urllib.parse import urlsplit

from .http import Rejection, reject

__all__ = [
    "SECRET_HEADER",
    "Rejection",
    "WebhookRules",
    "DedupTable",
    "NEW",
    "SEEN",
    "BUSY",
    "PUBLIC_PORT",
    "TELEGRAM_HOSTS",
    "listen_address",
]

#: The header in which Telegram repeats the ``secret_token`` given to setWebhook.
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_SECRET_KEY = SECRET_HEADER.lower()

# the methods of RFC 9110 (and PATCH): another one is 501, these but POST 405
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"})


#: The hosts of Telegram's own Bot API servers: they cannot deliver to a loopback address.
TELEGRAM_HOSTS = frozenset({"api.telegram.org"})
#: Where a webhook server listens for a public URL when no port is given (one of the ports
#: Telegram delivers to).
PUBLIC_PORT = 8443


def listen_address(url: Optional[str], host: Optional[str], port: Optional[int],
                   api_url: str) -> Tuple[str, int]:
    """Where a webhook server listens: ``(host, port)``, 0 for any free port.

    With a public ``url`` (what setWebhook registers): every interface, port 8443, unless
    given. Without one, the webhook is the server's own address, which only a Bot API
    server on this machine can reach (the emulator, a local Bot API server): loopback
    (127.0.0.1) on a free port, unless given; and a ValueError, before anything starts,
    when ``api_url`` is Telegram's own server, which would refuse such a URL.
    """
    if url:
        return (host or "0.0.0.0", PUBLIC_PORT if port is None else port)
    api_host = urlsplit(api_url if "://" in api_url else "http://" + api_url).hostname or ""
    if api_host.lower() in TELEGRAM_HOSTS:
        raise ValueError(
            "run_webhook needs url=, the public HTTPS address Telegram is to POST updates to "
            "(such as https://bot.example.org:8443/hook): without one it would register this "
            "machine's own address, which only a Bot API server on this machine (the "
            "emulator, a local Bot API server) can reach")
    return (host or "127.0.0.1", 0 if port is None else port)


class WebhookRules:
    """The checks of a webhook endpoint (see the module documentation).

    :param path: the path to accept (None: any, the server routes).
    :param secret_token: the secret Telegram must send (None: not checked).
    :param max_body: the largest body accepted, in bytes.
    """

    __slots__ = ("path", "_secret", "max_body", "_max_digits")

    def __init__(self, path: Optional[str], secret_token: Optional[str], max_body: int) -> None:
        if max_body < 1:
            raise ValueError("max_body must be positive")
        self.path = path
        self._secret = secret_token.encode() if secret_token else None
        self.max_body = max_body
        self._max_digits = len(str(max_body))

    @property
    def has_secret(self) -> bool:
        return self._secret is not None

    def check_request(
        self,
        method: str,
        path: str,
        header: Callable[[str], Optional[str]],
        several_lengths: bool = False,
        check_expect: bool = False,
    ) -> Union[int, Rejection]:
        """The length of the body to read, or why the request is refused.

        ``header(name)`` looks a header up by its lower-case name (None if absent);
        ``several_lengths``: the request had more than one Content-Length line (a server
        that sees the lines says so); ``check_expect``: judge ``Expect`` too (for a server
        that answers ``100-continue`` itself, once this returned a length).
        """
        return self.check_head(
            method,
            path,
            header(_SECRET_KEY),
            header("content-length") or None,
            header("transfer-encoding"),
            header("expect") if check_expect else None,
            several_lengths,
        )

    def check_head(
        self,
        method: str,
        path: str,
        secret: Optional[str],
        content_length: Optional[str],
        transfer_encoding: Optional[str] = None,
        expect: Optional[str] = None,
        several_lengths: bool = False,
    ) -> Union[int, Rejection]:
        """:meth:`check_request` with the headers it looks at given one by one."""
        if method not in _METHODS:
            return reject(501, "method not implemented")
        if self.path is not None and path != self.path:
            return reject(404, "no webhook on this path")
        if method != "POST":
            return reject(405, "only POST is accepted")
        if self._secret is not None:
            if secret is None:
                return reject(403, "missing secret token")
            if not hmac.compare_digest(secret.encode("utf-8", "replace"), self._secret):
                return reject(403, "wrong secret token")
        if transfer_encoding is not None:
            if content_length is not None:
                return reject(400, "both Content-Length and Transfer-Encoding")
            return reject(411, "Content-Length required (a chunked body is not read)")
        if several_lengths:
            return reject(400, "several Content-Length headers")
        if not content_length:
            return reject(411, "Content-Length required")
        if not (content_length.isascii() and content_length.isdigit()):
            return reject(400, "malformed Content-Length")
        # a length with more digits than the limit is over it (and may be too long for int())
        digits = content_length.lstrip("0") or "0"
        length = int(digits) if len(digits) <= self._max_digits else None
        if length is None or length > self.max_body:
            return reject(
                413, "body too large", f"body of {digits[:20]} bytes over the limit of {self.max_body}"
            )
        if expect is not None and expect.lower() != "100-continue":
            return reject(417, "unknown Expect")
        return length

    @staticmethod
    def check_body(body: bytes, length: int) -> Union[Tuple[int, Dict[str, Any]], Rejection]:
        """``(update_id, update)`` from a body that should be ``length`` bytes long."""
        if len(body) != length:
            return reject(400, "body shorter than its Content-Length")
        try:
            update = json.loads(body)
        except (ValueError, RecursionError):
            return reject(400, "body is not JSON")
        if not isinstance(update, dict):
            return reject(400, "body is not a JSON object")
        update_id = update.get("update_id")
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            return reject(400, "no integer update_id")
        return update_id, update


#: Answers of :meth:`DedupTable.begin`.
NEW = 0  #: not seen: accept it, then call done()
SEEN = 1  #: accepted already: answer 200, do not hand it on
BUSY = 2  #: being accepted by another request right now


class DedupTable:
    """The update_ids accepted lately (at most ``size``, the oldest forgotten first) and
    those being accepted right now. Not thread-safe: the caller locks."""

    __slots__ = ("size", "_seen", "_pending")

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("seen_size must be positive")
        self.size = size
        self._seen: OrderedDict[int, None] = OrderedDict()
        self._pending: set = set()

    def begin(self, update_id: int) -> int:
        """NEW (and marked pending), SEEN or BUSY."""
        if update_id in self._seen:
            return SEEN
        if update_id in self._pending:
            return BUSY
        self._pending.add(update_id)
        return NEW

    def done(self, update_id: int, accepted: bool) -> None:
        """End what begin() started; remember ``update_id`` if it was accepted."""
        self._pending.discard(update_id)
        if accepted:
            self._seen[update_id] = None
            if len(self._seen) > self.size:
                self._seen.popitem(last=False)

    def __len__(self) -> int:
        return len(self._seen)

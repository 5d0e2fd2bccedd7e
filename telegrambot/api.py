"""telepot's ``api`` module: calls without a Bot, the proxy for every bot, the API's address.

- :func:`request` and :func:`download` call the Bot API with a ``(token, ...)`` tuple, as
  telepot's did; :func:`set_proxy`, ``_pools`` and ``_onetime_pool_spec`` route every bot
  without a proxy of its own, as telepot's did;
- :data:`DEFAULT_API_URL` is where a :class:`~telegrambot.Bot` made without ``api_url``
  sends its requests.

The client itself lives in :mod:`telegrambot.core.request` (calls to requests),
:mod:`telegrambot.core.answer` (answers to results or exceptions),
:mod:`telegrambot.core.redact` (the token kept out of text) and :mod:`telegrambot.transport`
(urllib3); the names they define that code imported from here (``redact``,
``register_token``, ``encode``, ``to_jsonable``, ``message_target``, ``parse_answer``,
``Transport``, ``DEFAULT_TIMEOUT``, the type aliases, ...) are importable from here too.
"""

import sys
import threading
import types
from typing import Any, Dict, NamedTuple, Optional, Tuple

from .core.answer import parse_answer, raise_download_error
from .core.redact import redact, register_token
from .core.request import DEFAULT_API_URL as _CORE_DEFAULT_API_URL
from .core.request import (
    LONG_POLL_MARGIN,
    Endpoint,
    InputFileLike,
    JSONObject,
    MsgIdentifier,
    ObjectLike,
    PeriodLike,
    TimeLike,
    encode,
    message_target,
    to_jsonable,
)
from .transport import (
    DEFAULT_TIMEOUT,
    TimeoutLike,
    _as_timeout,
    _PoolTable,
    _settings,
    call,
    set_proxy,
)
from .transport import Urllib3Transport as Transport

__all__ = [
    "DEFAULT_API_URL", "DEFAULT_TIMEOUT", "InputFileLike", "JSONObject", "LONG_POLL_MARGIN",
    "MsgIdentifier", "ObjectLike", "PeriodLike", "TimeLike", "TimeoutLike", "Transport",
    "download", "encode", "message_target", "parse_answer", "redact", "register_token",
    "request", "set_proxy", "to_jsonable",
]

#: Where a :class:`~telegrambot.Bot` made without ``api_url`` sends its requests. Set it
#: before making bots to point them all elsewhere (a local Bot API server, the emulator).
DEFAULT_API_URL = _CORE_DEFAULT_API_URL

# telepot's pool settings, kept by the transport module (see __getattr__ below):
#
# ``_pools``: a urllib3 ``PoolManager`` (or ``ProxyManager``, or a SOCKS one) put here under
# ``'default'`` carries the calls of every Bot without a ``proxy`` of its own; the getUpdates
# long poll gets a manager of its own, made from ``_onetime_pool_spec`` (``(manager class,
# keyword arguments)``) if set. Timeouts and retries are the library's, whatever the
# manager's defaults. :func:`set_proxy` clears both.
_POOL_SETTINGS = {"_pools": "pools", "_onetime_pool_spec": "onetime_pool_spec"}


def __getattr__(name: str) -> Any:
    if name in _POOL_SETTINGS:
        return getattr(_settings, _POOL_SETTINGS[name])
    raise AttributeError("module %r has no attribute %r" % (__name__, name))


class _ApiModule(types.ModuleType):
    """This module: assigning ``_pools`` or ``_onetime_pool_spec`` (as telepot code does)
    makes every transport build its pools again."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in _POOL_SETTINGS:
            super().__setattr__(name, value)
            return
        if name == "_pools" and not isinstance(value, _PoolTable):
            value = _PoolTable(value)
        setattr(_settings, _POOL_SETTINGS[name], value)
        _settings.generation += 1


sys.modules[__name__].__class__ = _ApiModule


# ---------------------------------------------------------------- telepot's calls


class _Client(NamedTuple):
    """What the calls for one (token, api_url) share."""

    endpoint: Endpoint
    transport: Transport

    def close(self) -> None:
        self.transport.close()


# (token, api_url) -> its client, the least recently used first
_clients: Dict[Tuple[str, str], _Client] = {}
_clients_lock = threading.Lock()
_CLIENTS_KEPT = 8


def _client_for(token: str, api_url: Optional[str]) -> _Client:
    url = DEFAULT_API_URL if api_url is None else api_url
    with _clients_lock:
        client = _clients.pop((token, url), None)
        if client is None:
            client = _Client(Endpoint(token, url), Transport())
            while len(_clients) >= _CLIENTS_KEPT:  # the least recently used goes
                _clients.pop(next(iter(_clients))).close()
        _clients[(token, url)] = client
        return client


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
    endpoint, transport = _client_for(token, user_kw.get("api_url"))
    return call(transport, endpoint, endpoint.request(method, merged), user_kw.get("timeout"))


def download(req: Tuple[str, str], **user_kw: Any) -> Any:
    """Fetch a file as telepot's ``api.download`` did: ``req`` is ``(token, file_path)``
    (``file_path`` from getFile); returns the urllib3 response (its ``data``, or with
    ``preload_content=False`` its ``stream()``; release it when done). An error answer
    raises. Keywords: ``timeout``, ``api_url``, ``preload_content``.

    ``Bot.download_file(file_id, dest)`` is simpler.
    """
    _telepot_kwargs("download", user_kw, ("preload_content",))
    token, file_path = req
    endpoint, transport = _client_for(token, user_kw.get("api_url"))
    response = transport._urlopen(
        endpoint.file(file_path),
        _as_timeout(user_kw.get("timeout"), transport.timeout),
        False,
        preload_content=user_kw.get("preload_content", True),
    )
    if response.status != 200:
        try:
            raise_download_error(response.status, response.data or b"", response, None)
        finally:
            response.release_conn()
    return response

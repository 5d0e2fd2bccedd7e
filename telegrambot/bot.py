"""The blocking Bot API client: :class:`Bot`.

A call goes prepare -> send -> parse: :class:`~telegrambot.core.request.Endpoint` turns it
into a request (I/O-free, shared with the asyncio runtime), the bot's
:class:`~telegrambot.transport.Transport` sends it (through the rate limiter, if any), and
the endpoint turns the answer into the result or the exception it stands for.
"""

import contextlib
import os
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional, Union

from . import api  # noqa: F401 - its DEFAULT_API_URL is the bots' default
from ._botbase import BotBase, DownloadProgress, PathSink, copy_local, file_path_of, local_copy
from ._methods import Methods
from .core.answer import raise_download_error
from .core.methods import RENAMED_METHODS, RENAMED_PARAMS
from .core.request import CHUNK_SIZE, Progress, Request
from .transport import _OPTIONS, TimeoutLike, Urllib3Transport, call, download

__all__ = ["Bot", "RENAMED_METHODS", "RENAMED_PARAMS"]

if TYPE_CHECKING:  # pragma: no cover
    from .callbackdata import CallbackDataCache
    from .ratelimit import RateLimiter
    from .storage import Store

class Bot(BotBase, Methods):
    """A Telegram bot: every Bot API method is a method of this class.

    Methods are named as in the Bot API (``sendMessage``) and in snake_case
    (``send_message``). Required parameters are positional, in API order, optional ones
    keyword-only; each method also takes ``api_kwargs`` (extra parameters sent as they are,
    for API features newer than this library) and ``request_timeout`` (seconds or a
    ``urllib3.Timeout`` for this one call). Results are plain JSON data: Bot API objects
    are dicts.

    :param token: the token from @BotFather.
    :param api_url: where the Bot API lives; a local Bot API server or the emulator
        (:mod:`telegrambot.testing`) go here. Default: :data:`telegrambot.api.DEFAULT_API_URL`
        as it is when the bot is made.
    :param local_mode: the server is a local Bot API server: ``pathlib.Path`` uploads are
        sent as ``file://`` URIs and downloads are copied from its disk.
    :param test_environment: use Telegram's test environment.
    :param defaults: values for parameters that calls leave out, such as
        ``{"parse_mode": "HTML", "protect_content": True}``: each fills that parameter of
        every method that has it, and that field of the objects a call carries
        (``InputMedia*`` captions, inline query results, ...). An argument given wins;
        ``api_kwargs={"parse_mode": None}`` sends one call without it. A name that no
        method or object takes is a ValueError here. See :mod:`telegrambot.core.defaults`.
    :param rate_limiter: flood control (:mod:`telegrambot.ratelimit`): True for Telegram's
        limits, or a :class:`~telegrambot.ratelimit.RateLimiter` with limits of its own.
        Calls then wait instead of failing with 429, and safe ones are retried after
        network errors. Off by default.
    :param arbitrary_callback_data: let an inline button's ``callback_data`` be any
        object (:mod:`telegrambot.callbackdata`): True keeps the data of the last 1024
        keyboards sent, an int that many (in the bot's ``store`` too, if it has one, so
        buttons work after a restart), or give a
        :class:`~telegrambot.callbackdata.CallbackDataCache` of your own. Incoming
        callback queries then carry the object again, or an
        :class:`~telegrambot.core.callbackdata.InvalidCallbackData`. Off by default.
    :param transport: what moves the bot's requests: an object with the methods of
        :class:`telegrambot.transport.Transport`. Default: a
        :class:`~telegrambot.transport.Urllib3Transport` made with ``transport_options``.
    :param transport_options: the options of the default transport
        (:class:`~telegrambot.transport.Urllib3Transport`): ``request_timeout`` (default
        timeout of a call, seconds or ``urllib3.Timeout``), ``proxy`` (``http://``,
        ``https://`` or ``socks5://`` URL; else the one set with
        :func:`telegrambot.api.set_proxy`, if any), ``proxy_basic_auth`` (``(user,
        password)``), ``pool_size`` (connections kept alive for concurrent calls, 16) and
        ``pool_options`` (more keyword arguments for urllib3's ``PoolManager``, such as
        ``ca_certs``). A TypeError with ``transport``: give them to that transport.
    :param store: a :class:`telegrambot.storage.Store` (``SQLiteStore("bot.db")``) to keep
        what must survive a restart: updates are written to it before they are accepted
        (the durable inbox) and marked done once handled, those accepted and not handled
        are handed over first when a loop starts, events with JSON data are kept there,
        and a :class:`~telegrambot.DelegatorBot`'s delegates keep ``self.state`` there.
        See :doc:`/persistence`. None (the default): nothing is stored.
    """

    _default_transport = Urllib3Transport
    _TRANSPORT_OPTIONS = _OPTIONS
    _TRANSPORT_PROTOCOL = "telegrambot.transport.Transport"

    def __init__(self, token: str, *args: Any, store: Optional["Store"] = None,
                 arbitrary_callback_data: Union[bool, int, "CallbackDataCache"] = False,
                 **kwargs: Any) -> None:
        super().__init__(token, *args, **kwargs)
        self._store = _store(store)
        self._durable: Any = None  # a telegrambot._durable.Durable with a store
        if self._store is not None:
            from ._durable import Durable

            self._durable = Durable(self._store)
        self._callback_data: Optional[CallbackDataCache] = None
        if arbitrary_callback_data is not False:
            from .callbackdata import make_cache

            # with a store, the keyboards are kept there too (a cache given keeps its own)
            self._callback_data = make_cache(arbitrary_callback_data, self._store, self.id)

    @property
    def callback_data(self) -> Optional["CallbackDataCache"]:
        """The cache of ``arbitrary_callback_data``
        (:class:`~telegrambot.callbackdata.CallbackDataCache`), or None when it is off."""
        return self._callback_data

    @property
    def store(self) -> Optional["Store"]:
        """The bot's :class:`~telegrambot.storage.Store`, or None."""
        return self._store

    def _default_limiter(self) -> "RateLimiter":
        from .ratelimit import RateLimiter

        return RateLimiter()

    def __enter__(self) -> "Bot":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close_connections()

    def close_connections(self) -> None:
        """Close the idle pooled connections (the bot stays usable; new ones open as needed).

        Not to be confused with :meth:`close`, the Bot API method.
        """
        self._transport.close()

    # ------------------------------------------------------------ calling

    def _call(
        self,
        method: str,
        params: Dict[str, Any],
        api_kwargs: Optional[Dict[str, Any]],
        request_timeout: TimeoutLike,
        progress: Optional[Progress] = None,
    ) -> Any:
        if self._callback_data is not None:
            return self._call_with_callback_data(method, params, api_kwargs, request_timeout,
                                                 progress)
        return self._send(method, params,
                          self._endpoint.call(method, params, api_kwargs, progress), request_timeout)

    def _call_with_callback_data(
        self,
        method: str,
        params: Dict[str, Any],
        api_kwargs: Optional[Dict[str, Any]],
        request_timeout: TimeoutLike,
        progress: Optional[Progress] = None,
    ) -> Any:
        """:meth:`_call` with arbitrary callback data: the call's keyboards kept and sent
        as ids, the objects put back into its result."""
        cache = self._callback_data
        assert cache is not None
        self._endpoint.check(method, params)  # a wrong call keeps nothing
        cache.encode(method, params)
        result = self._send(method, params,
                            self._endpoint.call(method, params, api_kwargs, progress),
                            request_timeout)
        return cache.decode_result(method, result)

    def request(
        self,
        method: str,
        params: Optional[Dict[str, Any]] = None,
        *,
        request_timeout: TimeoutLike = None,
        progress: Optional[Progress] = None,
    ) -> Any:
        """Call any Bot API method by name, with its parameters as a dict.

        Useful for methods newer than this library. The encoding rules are those of the
        named methods (files, objects, ``datetime``; a ``str`` naming an existing file is
        uploaded only for the file parameters of a method this library knows). The
        parameters are sent as given: the bot's ``defaults`` are not added. ``progress``:
        as for the upload methods.
        """
        params = dict(params or {})
        return self._send(method, params, self._endpoint.request(method, params, progress),
                          request_timeout)

    def _send(self, method: str, params: Dict[str, Any], request: Request,
              timeout: TimeoutLike) -> Any:
        """Send a prepared request (through the rate limiter, if any); its result."""
        limiter = self._limiter
        if limiter is None:
            return call(self._transport, self._endpoint, request, timeout)
        return limiter.call(method, params, lambda: call(self._transport, self._endpoint, request, timeout))

    def download_file(
        self,
        file_id: str,
        dest: Any,
        *,
        request_timeout: TimeoutLike = None,
        progress: Optional[Progress] = None,
    ) -> None:
        """Download a file by its ``file_id`` into ``dest``: a path or a binary file object.

        If the download fails, no partial file is left at a path ``dest``. ``progress``:
        None, or ``progress(done, total)`` called as the file's bytes arrive, from ``(0,
        total)`` to ``(total, total)``; ``total`` is the size getFile gives (if it gives
        none, each call has ``done`` as ``total`` too, and the last is the file's size).

        https://core.telegram.org/bots/api#getfile
        """
        info = self.getFile(file_id, request_timeout=request_timeout)
        file_path = file_path_of(info)
        local = local_copy(self._endpoint, file_path)
        if progress is not None:
            size = info.get("file_size")
            if local:
                size = os.path.getsize(file_path)
            return self._download_reporting(file_path, dest, request_timeout, progress,
                                            size if isinstance(size, int) else None, local)
        if local:
            copy_local(file_path, dest)
            return None
        request = self._endpoint.file(file_path)
        if hasattr(dest, "write"):
            answer = download(self._transport, request, dest.write, request_timeout)
        else:
            answer = _download_to_path(self._transport, request, dest, request_timeout)
        if answer.status != 200:
            raise_download_error(answer.status, answer.data or b"", answer)
        return None

    def _download_reporting(self, file_path: str, dest: Any, request_timeout: TimeoutLike,
                            progress: Progress, size: Optional[int], local: bool) -> None:
        """download_file with a progress callback."""
        report = DownloadProgress(progress, size)
        if local:
            with open(file_path, "rb") as src:
                if hasattr(dest, "write"):
                    _copy(src, report.wrap(dest.write))
                else:
                    try:
                        with open(dest, "wb") as out:
                            _copy(src, report.wrap(out.write))
                    except BaseException:
                        with contextlib.suppress(OSError):
                            os.unlink(dest)  # no truncated copy
                        raise
            report.finish()
            return
        request = self._endpoint.file(file_path)
        if hasattr(dest, "write"):
            answer = download(self._transport, request, report.wrap(dest.write), request_timeout)
        else:
            answer = _download_to_path(self._transport, request, dest, request_timeout, report.wrap)
        if answer.status != 200:
            raise_download_error(answer.status, answer.data or b"", answer)
        report.finish()

    # ------------------------------------------------------------ receiving

    def _new_scheduler(self) -> Any:
        from .scheduler import Scheduler

        scheduler = Scheduler(store=self._store)
        scheduler._tracker = self._durable  # fired stored events: done when handled
        return scheduler

    def message_loop(
        self,
        callback: Union[None, Callable[..., Any], Dict[Any, Callable[..., Any]]] = None,
        relax: float = 0.1,
        timeout: int = 20,
        source: Any = None,
        ordered: bool = True,
        maxhold: float = 3,
        run_forever: Union[bool, str] = False,
        allowed_updates: Optional[Any] = None,
        *,
        on_error: Optional[Callable[[BaseException, Any], Any]] = None,
    ) -> Any:
        """Receive updates on a thread and hand each to ``callback`` (see :mod:`telegrambot.loop`).

        ``callback`` is a function, a routing table ``{flavor: function}``, or None for
        :meth:`handle` (the default router to the bot's ``on_<flavor>`` methods; a bot
        with no such method and no ``handle`` of its own raises TypeError here). Without
        ``source``, updates are polled with getUpdates; with a ``queue.Queue`` as
        ``source``, they are read from it (webhook payloads).

        ``on_error(exception, update)`` is called, on the loop's thread, when the handler
        raises: ``update`` is the whole update (with its ``update_id``), or the event for
        an event. Without it the error is logged at ERROR with the update_id and the
        traceback (a :class:`~telegrambot.DelegatorBot`'s loops use its ``on_error``). An
        exception raised by ``on_error`` itself is logged; the loop goes on either way.

        Returns the loop, whose ``stop()`` ends it and ``wait()`` blocks until it ends;
        ``run_forever`` (True, or a line to print first) waits here. A bot polls with one
        loop at a time: a second polling ``message_loop`` while one runs raises
        RuntimeError (two pollers would each receive every update).
        """
        from .loop import bot_message_loop

        return bot_message_loop(
            self,
            callback,
            relax=relax,
            timeout=timeout,
            source=source,
            ordered=ordered,
            maxhold=maxhold,
            run_forever=run_forever,
            allowed_updates=allowed_updates,
            on_error=on_error,
        )

    def stop(self, timeout: float = 2.0) -> None:
        """End every loop started by :meth:`message_loop`, and the scheduler."""
        from .loop import bot_stop

        bot_stop(self, timeout)


def _store(value: Any) -> Any:
    if value is None:
        return None
    from .storage import Store

    if not isinstance(value, Store):
        raise TypeError("store must be a store of telegrambot.storage (such as "
                        "SQLiteStore('bot.db') or MemoryStore()), not %r" % (value,))
    return value


def _copy(src: Any, write: Callable[[bytes], Any]) -> None:
    """Copy the open binary file ``src`` into ``write``, a chunk at a time."""
    while True:
        chunk = src.read(CHUNK_SIZE)
        if not chunk:
            return
        write(chunk)


def _download_to_path(transport: Any, request: Request, dest: Any, timeout: TimeoutLike,
                      wrap: Optional[Callable[[Callable[[bytes], Any]], Callable[[bytes], Any]]] = None
                      ) -> Any:
    """Download into the file at ``dest`` (see :class:`~telegrambot._botbase.PathSink`);
    ``wrap`` wraps the function writing the file (to count its bytes)."""
    with PathSink(dest) as sink:
        answer = download(transport, request, wrap(sink.write) if wrap else sink.write, timeout)
        sink.finish(answer.status)
    return answer


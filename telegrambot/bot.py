"""The blocking Bot API client: :class:`Bot`.

A call goes prepare -> send -> parse: :class:`~telegrambot.core.request.Endpoint` turns it
into a request (I/O-free, shared with the asyncio runtime), the bot's
:class:`~telegrambot.transport.Transport` sends it (through the rate limiter, if any), and
the endpoint turns the answer into the result or the exception it stands for.
"""

import contextlib
import os
import shutil
import threading
from typing import TYPE_CHECKING, Any, Callable, Dict, Mapping, Optional, Union

from . import api
from ._methods import Methods
from .core.answer import raise_download_error
from .core.methods import RENAMED_METHODS, RENAMED_PARAMS
from .core.polling import Receiving
from .core.request import CHUNK_SIZE, Endpoint, Progress, Request
from .transport import _OPTIONS, TimeoutLike, Transport, Urllib3Transport, call, download

__all__ = ["Bot", "RENAMED_METHODS", "RENAMED_PARAMS"]

if TYPE_CHECKING:  # pragma: no cover
    from .ratelimit import RateLimiter

_TRANSPORT_METHODS = ("send", "download", "abort_long_poll", "close")


class Bot(Methods):
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
    """

    def __init__(
        self,
        token: str,
        api_url: Optional[str] = None,
        *,
        local_mode: bool = False,
        test_environment: bool = False,
        defaults: Optional[Mapping[str, Any]] = None,
        rate_limiter: Union[None, bool, "RateLimiter"] = None,
        transport: Optional[Transport] = None,
        **transport_options: Any,
    ) -> None:
        # a token that cannot be one, or a default no method takes: ValueError here
        self._endpoint = Endpoint(token, api.DEFAULT_API_URL if api_url is None else api_url,
                                  test_environment=test_environment, local_mode=local_mode,
                                  defaults=defaults)
        self._token = token
        self._transport: Transport = _transport(transport, transport_options)
        self._limiter = _rate_limiter(rate_limiter)
        self._scheduler: Any = None
        self._router: Any = None
        self._scheduler_lock = threading.Lock()
        # what the receiving loops share (loop.py, webhook.py); never held across I/O
        self._receiving = Receiving(threading.Lock())

    def __repr__(self) -> str:
        return "<%s id=%s api_url=%r>" % (type(self).__name__, self.id, api.redact(self.api_url))

    def __enter__(self) -> "Bot":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close_connections()

    @property
    def id(self) -> Optional[int]:
        """The bot's user id, read from the token (None if the token does not show it)."""
        head = self._token.split(":", 1)[0]
        return int(head) if head.isdigit() else None

    @property
    def api_url(self) -> str:
        return self._endpoint.api_url

    @property
    def transport(self) -> Transport:
        """What moves the bot's requests (see :mod:`telegrambot.transport`)."""
        return self._transport

    @property
    def defaults(self) -> Dict[str, Any]:
        """The parameter defaults given to the constructor (a copy; empty if none)."""
        compiled = self._endpoint.defaults
        return dict(compiled.values) if compiled is not None else {}

    @property
    def rate_limiter(self) -> Optional["RateLimiter"]:
        """The bot's :class:`~telegrambot.ratelimit.RateLimiter`, or None."""
        return self._limiter

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
        request = self._endpoint.call(method, params, api_kwargs, progress)
        if self._limiter is None:
            return call(self._transport, self._endpoint, request, request_timeout)
        return self._limiter.call(
            method, params, lambda: call(self._transport, self._endpoint, request, request_timeout))

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
        request = self._endpoint.request(method, params, progress)
        if self._limiter is None:
            return call(self._transport, self._endpoint, request, request_timeout)
        return self._limiter.call(
            method, params, lambda: call(self._transport, self._endpoint, request, request_timeout))

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
        file_path = info.get("file_path")
        if not file_path:
            raise ValueError("getFile gave no file_path for this file_id; it cannot be downloaded")
        local = (self._endpoint.local_mode and os.path.isabs(file_path)
                 and os.path.exists(file_path))
        if progress is not None:
            size = info.get("file_size")
            if local:
                size = os.path.getsize(file_path)
            return self._download_reporting(file_path, dest, request_timeout, progress,
                                            size if isinstance(size, int) else None, local)
        if local:
            if hasattr(dest, "write"):
                with open(file_path, "rb") as src:
                    shutil.copyfileobj(src, dest)
            else:
                shutil.copyfile(file_path, os.fspath(dest))
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
        done = 0
        progress(0, size if size is not None else 0)

        def counted(write: Callable[[bytes], Any]) -> Callable[[bytes], Any]:
            def sink(chunk: bytes) -> Any:
                nonlocal done
                result = write(chunk)
                done += len(chunk)
                progress(done, size if size is not None and size >= done else done)
                return result
            return sink

        if local:
            with open(file_path, "rb") as src:
                if hasattr(dest, "write"):
                    _copy(src, counted(dest.write))
                else:
                    try:
                        with open(dest, "wb") as out:
                            _copy(src, counted(out.write))
                    except BaseException:
                        with contextlib.suppress(OSError):
                            os.unlink(dest)  # no truncated copy
                        raise
            if size != done:
                progress(done, done)
            return
        request = self._endpoint.file(file_path)
        if hasattr(dest, "write"):
            answer = download(self._transport, request, counted(dest.write), request_timeout)
        else:
            answer = _download_to_path(self._transport, request, dest, request_timeout, counted)
        if answer.status != 200:
            raise_download_error(answer.status, answer.data or b"", answer)
        if size != done:  # getFile gave no size, or not this one: end at the true total
            progress(done, done)

    # ------------------------------------------------------------ receiving

    @property
    def router(self) -> Any:
        """The default router of :meth:`handle` (a :class:`telegrambot.helper.Router` by
        flavor). Its ``routing_table`` maps a flavor to its handler, ``on_<flavor>`` by
        default; set an entry to route a flavor elsewhere
        (``bot.router.routing_table['_alarm'] = on_alarm``)."""
        router = self._router
        if router is None:
            from .helper.router import default_router

            with self._scheduler_lock:
                router = self._router
                if router is None:
                    router = self._router = default_router(self)
        return router

    def handle(self, msg: Dict[str, Any]) -> Any:
        """Called by :meth:`message_loop` when no callback is given: the default router.

        Each update goes by flavor to a method of the bot: ``on_chat_message``,
        ``on_edited_chat_message`` (else ``on_chat_message``), ``on_callback_query``,
        ``on_inline_query``, ``on_chosen_inline_result``, ``on_shipping_query``,
        ``on_pre_checkout_query``, ``on_my_chat_member``, ... (``on_<flavor>``, see
        :func:`telegrambot.flavor`), and an event ``{'_alarm': ...}`` to ``on__alarm``.
        A flavor without a method is ignored (logged at DEBUG). Override ``handle`` to
        take every update yourself. A loop looks the methods (and the entries set in
        :attr:`router`) up when it starts, and calls them directly.
        """
        return self.router.route(msg)

    def _flavor_table(self) -> Dict[str, Callable[..., Any]]:
        """The handlers of the flavors of updates that have one, for a loop to call
        directly (it knows each update's flavor); :meth:`handle` takes the rest. Empty
        when ``handle`` is overridden. Looked up when the loop starts."""
        if type(self).handle is not Bot.handle:
            return {}
        from .core.flavor import handler_names, update_flavors

        routing_table = self.router.routing_table
        custom = set(_custom_keys(routing_table))
        table: Dict[str, Callable[..., Any]] = {}
        for flavor in set(update_flavors.values()):
            if flavor in custom:
                table[flavor] = routing_table[flavor]
                continue
            for name in handler_names(flavor):
                method = getattr(self, name, None)
                if callable(method):
                    table[flavor] = method
                    break
        return table

    def _check_handlers(self) -> None:
        """Raise TypeError when :meth:`handle` would have nowhere to route: the class
        neither overrides ``handle`` nor defines any ``on_*`` method (so a forgotten
        callback fails when the loop starts, not once per update)."""
        if type(self).handle is not Bot.handle:
            return
        if any(name.startswith("on_") and callable(getattr(self, name, None)) for name in dir(self)):
            return
        router = self._router
        if router is not None and _custom_keys(router.routing_table):
            return
        raise TypeError(
            "%s has nothing to handle updates with: pass a callback (a function or a routing "
            "table) to message_loop(), define on_chat_message() or another on_<flavor>() "
            "method in a subclass, or override handle()" % type(self).__name__
        )

    @property
    def scheduler(self) -> Any:
        """The bot's event scheduler (:class:`telegrambot.scheduler.Scheduler`)."""
        if self._scheduler is None:
            with self._scheduler_lock:
                if self._scheduler is None:
                    from .scheduler import Scheduler

                    self._scheduler = Scheduler()
        return self._scheduler

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


def _transport(given: Any, options: Dict[str, Any]) -> Any:
    """The bot's transport: ``given``, or the default one made with ``options``."""
    if given is None:
        unknown = sorted(set(options) - _OPTIONS)
        if unknown:
            raise TypeError("Bot() got an unexpected keyword argument %r" % unknown[0])
        return Urllib3Transport(**options)
    if options:
        raise TypeError(
            "Bot() got transport= and %s, which are options of the default transport: "
            "set them on the transport you pass instead" % ", ".join(sorted(options)))
    missing = [name for name in _TRANSPORT_METHODS if not callable(getattr(given, name, None))]
    if missing:
        raise TypeError("transport must have the methods send(), download(), abort_long_poll() "
                        "and close() (see telegrambot.transport.Transport); %r has no %s"
                        % (given, ", ".join(m + "()" for m in missing)))
    return given


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
    """Download into the file at ``dest``, made at the first chunk of a 200 answer (an
    error answer leaves no file) and removed again if the download fails midway. ``wrap``
    wraps the function writing the file (to count its bytes)."""
    opened: list = []

    def write(chunk: bytes) -> None:
        if not opened:
            opened.append(open(dest, "wb"))
        opened[0].write(chunk)

    try:
        answer = download(transport, request, wrap(write) if wrap else write, timeout)
        if answer.status == 200 and not opened:
            opened.append(open(dest, "wb"))  # an empty file
    except BaseException:
        if opened:
            opened[0].close()
            with contextlib.suppress(OSError):
                os.unlink(dest)  # no truncated file that looks like a download
        raise
    finally:
        if opened:
            opened[0].close()
    return answer


def _rate_limiter(value: Any) -> Any:
    if value is None or value is False:
        return None
    if value is True:
        from .ratelimit import RateLimiter

        return RateLimiter()
    if not callable(getattr(value, "call", None)):
        raise TypeError("rate_limiter must be True, False, None or a RateLimiter, not %r"
                        % (value,))
    return value


def _custom_keys(routing_table: Dict[Any, Any]) -> list:
    """The entries of a router's table set from outside (all of them for a plain dict)."""
    custom = getattr(routing_table, "custom_keys", None)
    return custom() if custom is not None else list(routing_table)

"""What both runtimes' Bots share: the endpoint, the receiving state, the default router.

:class:`BotBase` holds what a bot is apart from how it moves bytes and waits: its
:class:`~telegrambot.core.request.Endpoint` (token, address, defaults), its receiving state
(:class:`~telegrambot.core.polling.Receiving`), its default router and the flavor table the
loops call directly, its scheduler (made on first use, of the runtime's class). The
threaded :class:`telegrambot.Bot` and :class:`telegrambot.aio.Bot` add their transport,
``_call`` and loops; this class makes their transport (the given one, checked, or the
runtime's default made with the bot's transport options) and rate limiter. Nothing here
does I/O.
"""

import os
import shutil
import sys
import threading
from typing import Any, Callable, Dict, FrozenSet, Mapping, Optional

from .core.polling import Receiving
from .core.request import DEFAULT_API_URL, Endpoint

__all__ = ["BotBase", "DownloadProgress", "PathSink", "TRANSPORT_METHODS", "copy_local", "file_path_of", "local_copy",
           "make_limiter", "make_transport"]

#: What a transport has, in both runtimes (coroutines in the asyncio one).
TRANSPORT_METHODS = ("send", "download", "abort_long_poll", "close")


class BotBase:
    """The runtime-independent part of a Bot (see the module documentation)."""

    def __init__(
        self,
        token: str,
        api_url: Optional[str] = None,
        *,
        local_mode: bool = False,
        test_environment: bool = False,
        defaults: Optional[Mapping[str, Any]] = None,
        rate_limiter: Any = None,
        transport: Any = None,
        **transport_options: Any,
    ) -> None:
        if api_url is None:  # telegrambot.api.DEFAULT_API_URL as it is now, if it was set
            api = sys.modules.get("telegrambot.api")
            api_url = DEFAULT_API_URL if api is None else api.DEFAULT_API_URL
        # a token that cannot be one, or a default no method takes: ValueError here
        self._endpoint = Endpoint(token, api_url, test_environment=test_environment,
                                  local_mode=local_mode, defaults=defaults)
        self._transport = make_transport(transport, transport_options,
                                         self._TRANSPORT_OPTIONS, self._default_transport,
                                         self._TRANSPORT_PROTOCOL)
        self._limiter = make_limiter(rate_limiter, self._default_limiter)
        self._token = token
        self._scheduler: Any = None
        self._router: Any = None
        self._scheduler_lock = threading.Lock()
        # what the receiving loops share; never held across I/O (or an await)
        self._receiving = Receiving(threading.Lock())

    # what each runtime's Bot sets: its default transport's class, the names of that
    # transport's options, and the protocol a transport given instead must follow
    _default_transport: Callable[..., Any]
    _TRANSPORT_OPTIONS: FrozenSet[str] = frozenset()
    _TRANSPORT_PROTOCOL = ""

    def _default_limiter(self) -> Any:
        """The runtime's rate limiter with Telegram's limits (for ``rate_limiter=True``)."""
        raise NotImplementedError

    @property
    def transport(self) -> Any:
        """What moves the bot's requests (see :mod:`telegrambot.transport`, and
        :mod:`telegrambot.aio.transport` for an asyncio bot)."""
        return self._transport

    @property
    def rate_limiter(self) -> Any:
        """The bot's rate limiter (:class:`telegrambot.ratelimit.RateLimiter`, or
        :class:`telegrambot.aio.ratelimit.RateLimiter` for an asyncio bot), or None."""
        return self._limiter

    def __repr__(self) -> str:
        from .core.redact import redact

        return "<%s id=%s api_url=%r>" % (type(self).__name__, self.id, redact(self.api_url))

    @property
    def id(self) -> Optional[int]:
        """The bot's user id, read from the token (None if the token does not show it)."""
        head = self._token.split(":", 1)[0]
        return int(head) if head.isdigit() else None

    @property
    def api_url(self) -> str:
        return self._endpoint.api_url

    @property
    def defaults(self) -> Dict[str, Any]:
        """The parameter defaults given to the constructor (a copy; empty if none)."""
        compiled = self._endpoint.defaults
        return dict(compiled.values) if compiled is not None else {}

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
        if type(self).handle is not BotBase.handle:
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
        if type(self).handle is not BotBase.handle:
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
        """The bot's event scheduler (:class:`telegrambot.scheduler.Scheduler`, or
        :class:`telegrambot.aio.scheduler.Scheduler` for an asyncio bot)."""
        if self._scheduler is None:
            with self._scheduler_lock:
                if self._scheduler is None:
                    self._scheduler = self._new_scheduler()
        return self._scheduler


    def _new_scheduler(self) -> Any:
        """The runtime's scheduler (made on first use of :attr:`scheduler`)."""
        raise NotImplementedError


def make_transport(given: Any, options: Dict[str, Any], known: FrozenSet[str],
                   default: Callable[..., Any], protocol: str) -> Any:
    """A bot's transport: ``given``, checked to have the methods of a transport, or the
    default one made by ``default(**options)`` (``known``: the names it takes).
    ``protocol`` names the protocol class in the error messages."""
    if given is None:
        unknown = sorted(set(options) - known)
        if unknown:
            raise TypeError("Bot() got an unexpected keyword argument %r" % unknown[0])
        return default(**options)
    if options:
        raise TypeError(
            "Bot() got transport= and %s, which are options of the default transport: "
            "set them on the transport you pass instead" % ", ".join(sorted(options)))
    missing = [name for name in TRANSPORT_METHODS if not callable(getattr(given, name, None))]
    if missing:
        raise TypeError("transport must have the methods send(), download(), abort_long_poll() "
                        "and close() (see %s); %r has no %s"
                        % (protocol, given, ", ".join(m + "()" for m in missing)))
    return given


def make_limiter(value: Any, default: Callable[[], Any]) -> Any:
    """A bot's rate limiter: None for None or False, ``default()`` for True, else
    ``value`` (checked to have a ``call`` method)."""
    if value is None or value is False:
        return None
    if value is True:
        return default()
    if not callable(getattr(value, "call", None)):
        raise TypeError("rate_limiter must be True, False, None or a RateLimiter, not %r"
                        % (value,))
    return value


def _custom_keys(routing_table: Dict[Any, Any]) -> list:
    """The entries of a router's table set from outside (all of them for a plain dict)."""
    custom = getattr(routing_table, "custom_keys", None)
    return custom() if custom is not None else list(routing_table)


# ---------------------------------------------------------------- downloads


def file_path_of(info: Any) -> str:
    """The ``file_path`` of a getFile result; ValueError when there is none."""
    file_path = info.get("file_path") if isinstance(info, dict) else None
    if not file_path:
        raise ValueError("getFile gave no file_path for this file_id; it cannot be downloaded")
    return file_path


def local_copy(endpoint: Endpoint, file_path: str) -> bool:
    """Whether ``file_path`` is a file of a local Bot API server's disk, to be copied
    rather than downloaded (``local_mode``, an absolute path that exists here)."""
    return endpoint.local_mode and os.path.isabs(file_path) and os.path.exists(file_path)


def copy_local(file_path: str, dest: Any) -> None:
    """Copy a local Bot API server's file into ``dest``, a path or a binary file object."""
    if hasattr(dest, "write"):
        with open(file_path, "rb") as src:
            shutil.copyfileobj(src, dest)
    else:
        shutil.copyfile(file_path, os.fspath(dest))


class DownloadProgress:
    """Reports a download's progress to ``progress(done, total)``: ``(0, total)`` at once,
    then after each chunk written through :meth:`wrap`; ``total`` is ``size`` (what getFile
    said), or ``done`` where there is no size or the file grew past it. :meth:`finish`
    reports ``(done, done)`` when the file did not end at ``size``."""

    __slots__ = ("progress", "size", "done")

    def __init__(self, progress: Callable[[int, int], Any], size: Optional[int]) -> None:
        self.progress, self.size, self.done = progress, size, 0
        progress(0, size if size is not None else 0)

    def wrap(self, write: Callable[[bytes], Any]) -> Callable[[bytes], Any]:
        """``write``, reporting each chunk once written (what ``write`` returns is kept,
        so an awaitable is awaited by the caller)."""
        def sink(chunk: bytes) -> Any:
            result = write(chunk)
            self.done += len(chunk)
            size = self.size
            self.progress(self.done, size if size is not None and size >= self.done else self.done)
            return result
        return sink

    def finish(self) -> None:
        if self.size != self.done:  # getFile gave no size, or not this one
            self.progress(self.done, self.done)


class PathSink:
    """The sink of a download into the file at ``dest``: made at the first chunk of a 200
    answer (an error answer leaves no file), removed again if the download fails midway.
    A context manager: ``with PathSink(dest) as sink: answer = download(sink.write);
    sink.finish(answer.status)`` (an exception in the block removes the file)."""

    __slots__ = ("dest", "file")

    def __init__(self, dest: Any) -> None:
        self.dest = dest
        self.file: Any = None

    def write(self, chunk: bytes) -> None:
        if self.file is None:
            self.file = open(self.dest, "wb")
        self.file.write(chunk)

    def finish(self, status: int) -> None:
        """The download ended with ``status``: a 200 with no body is an empty file."""
        if status == 200 and self.file is None:
            self.file = open(self.dest, "wb")
        self.close()

    def fail(self) -> None:
        """The download failed: no truncated file that looks like a download."""
        if self.file is not None:
            self.close()
            try:
                os.unlink(self.dest)
            except OSError:
                pass

    def close(self) -> None:
        if self.file is not None:
            self.file.close()

    def __enter__(self) -> "PathSink":
        return self

    def __exit__(self, kind: Any, *rest: Any) -> None:
        if kind is not None:
            self.fail()

"""The asyncio Bot API client: :class:`Bot`.

The threaded :class:`telegrambot.Bot` with coroutines: every Bot API method is an
``async def`` generated from the same schema (:mod:`telegrambot.aio._methods`), and a call
goes the same way, prepare -> send -> parse: the core's
:class:`~telegrambot.core.request.Endpoint` encodes it and reads the answer, the bot's
:class:`~telegrambot.aio.transport.Transport` moves the bytes (aiohttp by default), through
the asyncio :class:`~telegrambot.aio.ratelimit.RateLimiter` if one is set.
"""

import asyncio
import os
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional, Union

from .._botbase import BotBase, DownloadProgress, PathSink, copy_local, file_path_of, local_copy
from ..core.answer import raise_download_error
from ..core.request import Progress, Request
from ._methods import Methods
from .transport import _OPTIONS, AiohttpTransport, TimeoutLike, call, download

__all__ = ["Bot"]

if TYPE_CHECKING:  # pragma: no cover
    from .ratelimit import RateLimiter


class Bot(BotBase, Methods):
    """A Telegram bot for asyncio: every Bot API method is a coroutine method of this class.

    The names, parameters, aliases and docstrings are the threaded
    :class:`telegrambot.Bot`'s (``await bot.sendMessage(chat_id, "hi")``, ``await
    bot.send_message(...)``), and so are the constructor's arguments; ``request_timeout``
    is seconds or an ``aiohttp.ClientTimeout``.

    The default transport keeps one ``aiohttp.ClientSession``, made on the first request
    inside the running event loop (nothing is made when the bot is), and closed by ``async
    with bot:`` or ``await bot.close_connections()``.

    :param token: the token from @BotFather.
    :param api_url: where the Bot API lives (a local Bot API server, the emulator).
    :param local_mode: the server is a local Bot API server (see :class:`telegrambot.Bot`).
    :param test_environment: use Telegram's test environment.
    :param defaults: values for parameters that calls leave out (see
        :class:`telegrambot.Bot`).
    :param rate_limiter: True for Telegram's limits, or a
        :class:`telegrambot.aio.ratelimit.RateLimiter`; off by default.
    :param transport: an object with the coroutine methods of
        :class:`telegrambot.aio.transport.Transport`. Default: an
        :class:`~telegrambot.aio.transport.AiohttpTransport` made with ``transport_options``.
    :param transport_options: the options of the default transport: ``request_timeout``,
        ``proxy`` (an ``http://`` URL), ``proxy_basic_auth``, ``pool_size`` and
        ``session_options`` (more keyword arguments for ``aiohttp.ClientSession``).
    """

    _default_transport = AiohttpTransport
    _TRANSPORT_OPTIONS = _OPTIONS
    _TRANSPORT_PROTOCOL = "telegrambot.aio.transport.Transport"

    def _default_limiter(self) -> "RateLimiter":
        from .ratelimit import RateLimiter

        return RateLimiter()

    async def __aenter__(self) -> "Bot":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        """Stop the bot's loops and scheduler (if any) and close its connections."""
        try:
            if self._receiving.loops or self._scheduler is not None:
                await self.stop()
        finally:
            await self.close_connections()

    async def close_connections(self) -> None:
        """Close the bot's ``aiohttp`` session and its connections (the bot stays usable: the
        next call opens a new one).

        Not to be confused with :meth:`close`, the Bot API method.
        """
        await self._transport.close()

    # ------------------------------------------------------------ calling

    async def _call(
        self,
        method: str,
        params: Dict[str, Any],
        api_kwargs: Optional[Dict[str, Any]],
        request_timeout: TimeoutLike,
        progress: Optional[Progress] = None,
    ) -> Any:
        return await self._send(method, params,
                                self._endpoint.call(method, params, api_kwargs, progress),
                                request_timeout)

    async def request(
        self,
        method: str,
        params: Optional[Dict[str, Any]] = None,
        *,
        request_timeout: TimeoutLike = None,
        progress: Optional[Progress] = None,
    ) -> Any:
        """Call any Bot API method by name, with its parameters as a dict (see
        :meth:`telegrambot.Bot.request`); the bot's ``defaults`` are not added."""
        params = dict(params or {})
        return await self._send(method, params, self._endpoint.request(method, params, progress),
                                request_timeout)

    async def _send(self, method: str, params: Dict[str, Any], request: Request,
                    timeout: TimeoutLike) -> Any:
        limiter = self._limiter
        if limiter is None:
            return await call(self._transport, self._endpoint, request, timeout)
        return await limiter.call(method, params,
                                  lambda: call(self._transport, self._endpoint, request, timeout))

    async def download_file(
        self,
        file_id: str,
        dest: Any,
        *,
        request_timeout: TimeoutLike = None,
        progress: Optional[Progress] = None,
    ) -> None:
        """Download a file by its ``file_id`` into ``dest``: a path or a binary file object
        (its ``write`` may be a coroutine function). If the download fails, no partial file
        is left at a path ``dest``. ``progress(done, total)``: as in
        :meth:`telegrambot.Bot.download_file`, called in the event loop.

        https://core.telegram.org/bots/api#getfile
        """
        info = await self.getFile(file_id, request_timeout=request_timeout)
        file_path = file_path_of(info)
        size = info.get("file_size")
        if local_copy(self._endpoint, file_path):  # a local server's file: copied off the loop
            report = None if progress is None else DownloadProgress(progress, os.path.getsize(file_path))
            await asyncio.get_running_loop().run_in_executor(None, copy_local, file_path, dest)
            if report is not None:
                report.done = report.size or 0
                report.progress(report.done, report.done)
            return
        report = None if progress is None else DownloadProgress(
            progress, size if isinstance(size, int) else None)
        request = self._endpoint.file(file_path)
        if hasattr(dest, "write"):
            write = dest.write if report is None else report.wrap(dest.write)
            answer = await download(self._transport, request, write, request_timeout)
        else:
            with PathSink(dest) as sink:
                write = sink.write if report is None else report.wrap(sink.write)
                answer = await download(self._transport, request, write, request_timeout)
                sink.finish(answer.status)
        if answer.status != 200:
            raise_download_error(answer.status, answer.data or b"", answer)
        if report is not None:
            report.finish()

    # ------------------------------------------------------------ receiving

    def _new_scheduler(self) -> Any:
        from .scheduler import Scheduler

        return Scheduler()

    def message_loop(
        self,
        callback: Union[None, Callable[..., Any], Dict[Any, Callable[..., Any]]] = None,
        relax: float = 0.1,
        timeout: int = 20,
        source: Any = None,
        ordered: bool = True,
        maxhold: float = 3,
        allowed_updates: Optional[Any] = None,
        *,
        on_error: Optional[Callable[[BaseException, Any], Any]] = None,
    ) -> Any:
        """Receive updates in a task and hand each to ``callback`` (see
        :mod:`telegrambot.aio.loop`); call it inside the running event loop.

        As :meth:`telegrambot.Bot.message_loop`: ``callback`` is a function (plain or
        ``async def``), a routing table ``{flavor: function}``, or None for :meth:`handle`.
        Without ``source``, updates are polled with getUpdates; with an ``asyncio.Queue``,
        they are read from it. ``on_error(exception, update)`` (a function or a coroutine
        function) gets what the handler raises instead of the log. Returns the loop: ``await loop.wait()`` runs until it is
        stopped, ``await loop.stop()`` or ``await bot.stop()`` stops it.
        """
        from .loop import bot_message_loop

        return bot_message_loop(self, callback, relax=relax, timeout=timeout, source=source,
                                ordered=ordered, maxhold=maxhold, allowed_updates=allowed_updates,
                                on_error=on_error)

    async def stop(self, timeout: float = 2.0) -> None:
        """End every loop started by :meth:`message_loop`, and the scheduler."""
        from .loop import bot_stop

        await bot_stop(self, timeout)

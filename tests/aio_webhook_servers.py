"""Real servers for the asyncio webhook apps, on an event loop of their own thread.

``ASGI``: :class:`telegrambot.asgi.AsyncWebhookReceiver` under uvicorn (HTTP/1.1 by h11);
``AIOHTTP``: :func:`telegrambot.aio.webhook.webhook_app` under aiohttp's server. Either
listens on a free loopback port; tests talk to it with the same plain-socket and
http.client helpers as the threaded receiver's tests.
"""

import asyncio
import socket
import threading
from typing import Any, Callable, List

ASGI = "asgi"
AIOHTTP = "aiohttp"
KINDS = (ASGI, AIOHTTP)


class LoopThread:
    """An event loop running on a thread ``test-aio-loop``; :meth:`run` runs a coroutine
    on it from the test's thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="test-aio-loop",
                                       daemon=True)
        self.thread.start()

    def run(self, coro: Any, timeout: float = 10.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def call(self, function: Callable[[], Any], timeout: float = 10.0) -> Any:
        async def call() -> Any:
            return function()

        return self.run(call(), timeout)

    def close(self) -> None:
        async def leftovers() -> List[asyncio.Task]:
            return [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]

        left = self.run(leftovers())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()
        assert not left, f"tasks left running: {left}"


class AioServer:
    """One of the apps on a real server: ``port``, ``receiver``, ``queue`` (the
    asyncio.Queue sink, when it is one), :meth:`drain`, :meth:`stop`."""

    def __init__(self, kind: str, sink: Any = None, *, maxsize: int = 0, **options: Any) -> None:
        self.kind = kind
        self.runner = LoopThread()
        self.queue = None
        if sink is None:
            self.queue = sink = self.runner.call(lambda: asyncio.Queue(maxsize))
        self.stopped = False
        self.port = self.runner.run(self._start(sink, options))

    async def _start(self, sink: Any, options: Any) -> int:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        if self.kind == ASGI:
            import uvicorn

            from telegrambot.asgi import AsyncWebhookReceiver

            self.receiver = AsyncWebhookReceiver(sink, **options)
            config = uvicorn.Config(self.receiver, lifespan="on", log_level="critical",
                                    access_log=False, http="h11", timeout_graceful_shutdown=1)
            self.server = uvicorn.Server(config)
            self.task = asyncio.get_running_loop().create_task(self.server.serve([sock]))
            while not self.server.started:
                await asyncio.sleep(0.005)
                if self.task.done():
                    self.task.result()
        else:
            from aiohttp import web

            from telegrambot.aio.webhook import RECEIVER, webhook_app

            app = webhook_app(sink, **options)
            self.receiver = app[RECEIVER]
            # lingering_time: how long the unread body of a refused request is drained
            # (aiohttp's default, 10 s, holds its connection's task that long)
            self.server = web.AppRunner(app, access_log=None, max_headers=64, shutdown_timeout=1,
                                        lingering_time=0.5)
            await self.server.setup()
            await web.SockSite(self.server, sock).start()
        return port

    async def _stop(self) -> None:
        if self.kind == ASGI:
            self.server.should_exit = True
            await self.task
        else:
            await self.server.cleanup()
        # connections cut off by the shutdown end their tasks on the next turns of the loop
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        if others:
            await asyncio.wait(others, timeout=2)

    def drain(self) -> List[Any]:
        """What the queue holds now, taken out."""
        def take() -> List[Any]:
            items = []
            while not self.queue.empty():
                items.append(self.queue.get_nowait())
            return items

        return self.runner.call(take)

    def stop(self) -> None:
        if not self.stopped:
            self.stopped = True
            try:
                self.runner.run(self._stop())
            finally:
                self.runner.close()

    def __enter__(self) -> "AioServer":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

"""Throughput of the asyncio webhook apps, each beside a bare app on the same server.

The clients are bench_webhook.py's (``--clients`` threads in a child process POSTing
``--updates`` distinct updates on loopback, kept-alive connections or a new one per
update); each server runs in an event loop of its own thread:

- aiohttp: a bare handler (reads the body, answers 200), the baseline, against
  ``telegrambot.aio.webhook.webhook_app`` with a secret token feeding an ``asyncio.Queue``
  that a task drains;
- uvicorn (h11): a bare ASGI app, the baseline, against
  ``telegrambot.asgi.AsyncWebhookReceiver`` the same way;
- and the threaded ``WebhookServer`` of bench_webhook.py, for reference.

Every run checks that each update arrived exactly once. Rounds interleave; the best round
of each counts (other load only slows a round down).

Run: ``python benchmarks/bench_aio_webhook.py [--updates 10000] [--clients 50] [--rounds 3]``
"""

import argparse
import asyncio
import collections
import os
import socket
import sys
import threading
from typing import Any, Callable, Dict

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_webhook import PATH, SECRET, bench_receiver, measure  # noqa: E402

from telegrambot.asgi import AsyncWebhookReceiver  # noqa: E402


class Served:
    """A server started by ``start(sock)`` in an event loop on its own thread."""

    def __init__(self, start: Callable[[socket.socket], Any]) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self.stop_server = self.run(start(sock))

    def run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(60)

    def close(self) -> None:
        async def finish() -> None:
            for updates in _QUEUES:  # every update answered 200 is counted first
                await updates.join()
            _QUEUES.clear()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        self.run(self.stop_server())
        self.run(finish())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


_QUEUES: list = []  # the sink queues of the server being measured


async def drained(seen: Dict[int, int]) -> "asyncio.Queue[Any]":
    updates: asyncio.Queue[Any] = asyncio.Queue()
    _QUEUES.append(updates)

    async def consume() -> None:
        while True:
            update = await updates.get()
            seen[update["update_id"]] = seen.get(update["update_id"], 0) + 1
            updates.task_done()

    asyncio.get_running_loop().create_task(consume())
    return updates


def aiohttp_server(app_of: Callable[[], Any]) -> Callable[[socket.socket], Any]:
    async def start(sock: socket.socket) -> Any:
        from aiohttp import web

        runner = web.AppRunner(await app_of(), access_log=None, handle_signals=False)
        await runner.setup()
        await web.SockSite(runner, sock).start()
        return runner.cleanup

    return start


def uvicorn_server(app_of: Callable[[], Any]) -> Callable[[socket.socket], Any]:
    async def start(sock: socket.socket) -> Any:
        import uvicorn

        config = uvicorn.Config(await app_of(), lifespan="off", log_level="critical",
                                access_log=False, http="h11", backlog=128)
        server = uvicorn.Server(config)
        task = asyncio.get_running_loop().create_task(server.serve([sock]))
        while not server.started:
            await asyncio.sleep(0.01)

        async def stop() -> None:
            server.should_exit = True
            await task

        return stop

    return start


async def bare_aiohttp() -> Any:
    from aiohttp import web

    async def handle(request: Any) -> Any:
        await request.read()
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post(PATH, handle)
    return app


async def bare_asgi() -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        more = True
        while more:
            message = await receive()
            more = message.get("more_body", False)
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/plain"), (b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"ok"})

    return app


def rate(args: argparse.Namespace, keep_alive: bool, start: Callable[[socket.socket], Any],
         seen: Any = None) -> float:
    served = Served(start)
    try:
        result = measure(served.port, args, keep_alive)
    finally:
        served.close()
    if seen is not None and (len(seen) != args.updates or set(seen.values()) != {1}):
        raise SystemExit("updates lost or duplicated: %d distinct of %d" % (len(seen), args.updates))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--updates", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3, help="runs of each; the best counts")
    args = parser.parse_args()
    print("%d updates, %d concurrent clients, loopback, %d CPUs, best of %d rounds"
          % (args.updates, args.clients, os.cpu_count(), args.rounds))
    for keep_alive in (True, False):
        best: Dict[str, float] = collections.defaultdict(float)
        for _ in range(args.rounds):
            cases = {
                "aiohttp, bare handler": (aiohttp_server(bare_aiohttp), None),
                "uvicorn, bare ASGI app": (uvicorn_server(bare_asgi), None),
            }
            seen_aiohttp: Dict[int, int] = {}
            seen_asgi: Dict[int, int] = {}

            async def aiohttp_app(seen: Dict[int, int] = seen_aiohttp) -> Any:
                from telegrambot.aio.webhook import webhook_app

                return webhook_app(await drained(seen), path=PATH, secret_token=SECRET)

            async def asgi_app(seen: Dict[int, int] = seen_asgi) -> Any:
                return AsyncWebhookReceiver(await drained(seen), path=PATH, secret_token=SECRET)

            cases["aiohttp, webhook_app"] = (aiohttp_server(aiohttp_app), seen_aiohttp)
            cases["uvicorn, AsyncWebhookReceiver"] = (uvicorn_server(asgi_app), seen_asgi)
            for name, (start, seen) in cases.items():
                best[name] = max(best[name], rate(args, keep_alive, start, seen))
            best["threaded WebhookServer"] = max(best["threaded WebhookServer"],
                                                 bench_receiver(args, keep_alive))
        print("kept-alive connections:" if keep_alive else "a new connection per update:")
        for name, value in best.items():
            base = {"aiohttp, webhook_app": "aiohttp, bare handler",
                    "uvicorn, AsyncWebhookReceiver": "uvicorn, bare ASGI app"}.get(name)
            ratio = "  (%.0f%% of its bare app)" % (100 * value / best[base]) if base else ""
            print("  %-32s %8.0f updates/s%s" % (name, value, ratio))


if __name__ == "__main__":
    main()

"""telegrambot.aio.Bot over real loopback HTTP (aiohttp) against the emulator: what is the
asyncio runtime's own (the session's lifecycle, imports, the generated coroutines, the
asyncio rate limiter, transports). The scenarios both runtimes share are in
tests/test_runtimes.py."""

import asyncio
import inspect
import json
import logging
import subprocess
import sys

import pytest

pytest.importorskip("aiohttp")

import telegrambot  # noqa: E402
from telegrambot.aio import Bot  # noqa: E402
from telegrambot.aio.ratelimit import RateLimiter  # noqa: E402
from telegrambot.aio.transport import AiohttpTransport  # noqa: E402
from telegrambot.core.limits import FloodLimits, Limit  # noqa: E402
from telegrambot.exception import (  # noqa: E402
    ChatNotFoundError,
    ConnectError,
    NetworkError,
    RetryAfterTooLong,
    ServerError,
    TooManyRequests,
)
from telegrambot.testing import Emulator  # noqa: E402
from telegrambot.testing.pytest_plugin import check_no_task_leak, library_tasks  # noqa: E402
from telegrambot.testing.rules import Rules  # noqa: E402


async def _checked(coro):
    before = library_tasks()
    result = await coro
    await check_no_task_leak(before)  # every telegrambot- task the test started has ended
    return result


def run(coro):
    return asyncio.run(asyncio.wait_for(_checked(coro), 30))


def test_importing_telegrambot_or_its_aio_package_does_not_import_aiohttp():
    code = ("import sys, telegrambot, telegrambot.aio; from telegrambot.aio import Bot; "
            "Bot('1:abcdefghijklmnopqrstuvwx'); print('aiohttp' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_every_method_is_the_threaded_bots_as_a_coroutine():
    threaded = telegrambot.Bot
    names = [n for n, v in vars(threaded.__mro__[2]).items() if callable(v) and not n.startswith("_")]
    assert len(names) >= 185 * 2  # each method and its snake_case alias (and old names)
    for name in names:
        sync, coro = getattr(threaded, name), getattr(Bot, name)
        assert inspect.iscoroutinefunction(coro), name
        assert inspect.signature(coro) == inspect.signature(sync), name
        assert coro.__doc__ == sync.__doc__, name
    assert Bot.send_message is Bot.sendMessage and Bot.kickChatMember is Bot.banChatMember
    for name in ("request", "download_file", "close_connections", "stop"):
        assert inspect.iscoroutinefunction(getattr(Bot, name)), name


def test_one_session_made_lazily_in_the_loop_and_closed_by_async_with(emulator):
    bot = Bot(emulator.token, emulator.api_url)
    transport = bot.transport
    assert isinstance(transport, AiohttpTransport) and transport._session is None

    async def main():
        async with bot:
            assert transport._session is None  # entering makes nothing either
            await bot.getMe()
            session = transport._session
            await bot.getMe()
            assert transport._session is session and not session.closed
        assert session.closed and transport._session is None
        await bot.getMe()  # usable again: a new session
        again = transport._session
        assert again is not session
        await bot.close_connections()
        assert again.closed
        return session

    run(main())


def test_a_bot_used_in_a_second_event_loop_gets_a_session_of_that_loop(emulator):
    bot = Bot(emulator.token, emulator.api_url)

    async def me():
        return (await bot.getMe())["id"], bot.transport._session

    first_id, first = run(me())
    second_id, second = run(me())  # the first loop is gone; no "attached to another loop"
    assert first_id == second_id == bot.id and first is not second
    run(bot.close_connections())


def test_defaults_and_api_kwargs_as_in_the_threaded_bot(emulator):
    alice = emulator.user("Alice")

    async def main():
        async with Bot(emulator.token, emulator.api_url, defaults={"parse_mode": "HTML"}) as bot:
            await bot.sendMessage(alice.id, "<b>x</b>")
            first = emulator.requests[-1].params
            await bot.sendMessage(alice.id, "y", api_kwargs={"parse_mode": None})
            return first, emulator.requests[-1].params

    first, second = run(main())
    assert first["parse_mode"] == "HTML" and "parse_mode" not in second
    with pytest.raises(ValueError):
        Bot(emulator.token, emulator.api_url, defaults={"no_such_parameter": 1})


def test_transport_is_any_object_with_the_coroutine_methods(emulator):
    class Recording:
        def __init__(self):
            self.inner = AiohttpTransport()
            self.methods = []

        async def send(self, request, timeout=None):
            self.methods.append(request.method)
            return await self.inner.send(request, timeout)

        async def download(self, request, sink, timeout=None):
            return await self.inner.download(request, sink, timeout)

        async def abort_long_poll(self):
            await self.inner.abort_long_poll()

        async def close(self):
            await self.inner.close()

    recording = Recording()

    async def main():
        async with Bot(emulator.token, emulator.api_url, transport=recording) as bot:
            return await bot.getMe()

    assert run(main())["is_bot"] and recording.methods == ["getMe"]
    with pytest.raises(TypeError, match="telegrambot.aio.transport.Transport"):
        Bot(emulator.token, emulator.api_url, transport=object())
    with pytest.raises(TypeError, match="pool_size"):
        Bot(emulator.token, emulator.api_url, transport=recording, pool_size=2)
    with pytest.raises(TypeError, match="unexpected keyword"):
        Bot(emulator.token, emulator.api_url, no_such_option=1)


def test_download_into_an_async_writer_and_a_path(emulator, tmp_path):
    alice = emulator.user("Alice")

    class AsyncWriter:
        def __init__(self):
            self.chunks = []

        async def write(self, chunk):
            self.chunks.append(chunk)

    blob = bytes(range(256)) * 4096  # 1 MiB: several chunks

    async def main():
        async with Bot(emulator.token, emulator.api_url) as bot:
            doc = await bot.sendDocument(alice.id, ("b.bin", blob))
            writer = AsyncWriter()
            await bot.download_file(doc["document"]["file_id"], writer)
            await bot.download_file(doc["document"]["file_id"], str(tmp_path / "b.bin"))
            return writer

    writer = run(main())
    assert len(writer.chunks) > 1 and b"".join(writer.chunks) == blob
    assert (tmp_path / "b.bin").read_bytes() == blob


def test_abort_long_poll_ends_a_poll_at_once_and_other_calls_go_on(emulator):
    async def main():
        async with Bot(emulator.token, emulator.api_url) as bot:
            poll = asyncio.ensure_future(bot.getUpdates(timeout=20))
            await emulator_request(emulator, "getUpdates")
            assert (await bot.getMe())["is_bot"]  # a long poll does not hold other calls
            await bot.transport.abort_long_poll()
            with pytest.raises(NetworkError, match="aborted"):
                await asyncio.wait_for(poll, 2)

    run(main())


async def emulator_request(emulator, method):
    """Wait (without blocking the event loop) until the emulator has seen ``method``."""
    await asyncio.get_running_loop().run_in_executor(None, emulator.wait_for_request, method)


def test_refused_connection_is_a_connect_error_without_the_token():
    token = "123:abcdefghijklmnopqrstuvwxyz"

    async def main():
        async with Bot(token, api_url="http://127.0.0.1:9") as bot:
            await bot.getMe()

    with pytest.raises(ConnectError) as info:
        run(main())
    assert token not in str(info.value) and token not in repr(info.value.__cause__)


FAST = FloodLimits(overall=Limit(300, 1.0, 30), private=Limit(10, 1.0, 4),
                   group=Limit(20, 2.0, 5), paid=Limit(3000, 1.0, 300))


def test_the_asyncio_limiter_paces_tasks_and_waits_out_a_429():
    with Emulator(strict=Rules(flood=FAST)) as emu:
        alice = emu.user("Alice")
        limiter = RateLimiter(FAST, headroom=0.05, max_wait=10)

        async def main():
            async with Bot(emu.token, emu.api_url, rate_limiter=limiter) as bot:
                assert bot.rate_limiter is limiter
                await asyncio.gather(*(bot.sendMessage(alice.id, "n%d" % i) for i in range(10)))
                emu.inject("getChat", "retry_after", seconds=1)
                assert (await bot.getChat(alice.id))["id"] == alice.id
                emu.inject("getChat", "retry_after", seconds=5)
                with limiter.limit_wait(2), pytest.raises(RetryAfterTooLong):
                    await bot.getChat(alice.id)

        run(main())
        statuses = [r.status for r in emu.requests if r.method == "sendMessage"]
        assert statuses == [200] * 10  # the limiter held the tasks instead of a 429
        assert limiter.waits >= 6 and limiter.retries_after_429 == 1
    assert isinstance(Bot("1:abcdefghijklmnopqrstuvwx", rate_limiter=True).rate_limiter, RateLimiter)


def test_the_asyncio_limiter_repeats_only_what_is_safe_to_repeat():
    limiter = RateLimiter(backoff=0.01, network_retries=2)
    calls = []

    async def failing(error):
        calls.append(error)
        raise error

    async def main():
        with pytest.raises(ServerError):
            await limiter.call("sendMessage", {"chat_id": 1}, lambda: failing(ServerError("x", 500, {})))
        assert len(calls) == 1  # an answer may have been lost: never sent again
        with pytest.raises(ConnectError):
            await limiter.call("sendMessage", {"chat_id": 1}, lambda: failing(ConnectError("x")))
        assert len(calls) == 4  # nothing was sent: tried twice more
        with pytest.raises(TooManyRequests):
            await limiter.call("getMe", {}, lambda: failing(
                TooManyRequests("Too Many Requests: retry after 0", 429, {"parameters": {"retry_after": 0}})))

    run(main())
    assert limiter.network_retries_made == 2 and limiter.retries_after_429 == 3


def test_the_generated_file_is_the_generators_output():
    import importlib.util
    import os

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    spec = importlib.util.spec_from_file_location("generate", os.path.join(root, "tools", "generate.py"))
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    with open(os.path.join(root, "telegrambot", "botapi.json"), encoding="utf-8") as f:
        facts = json.load(f)
    with open(os.path.join(root, "telegrambot", "aio", "_methods.py"), encoding="utf-8") as f:
        assert f.read() == generate.methods_module(facts, asynchronous=True)


def test_upload_and_download_progress(emulator, tmp_path):
    alice = emulator.user("Alice")
    blob = bytes(range(256)) * 1024  # 256 KiB: several chunks each way
    path = tmp_path / "up.bin"
    path.write_bytes(blob)
    sent, received = [], []

    async def main():
        async with Bot(emulator.token, emulator.api_url) as bot:
            doc = await bot.sendDocument(alice.id, path, progress=lambda d, t: sent.append((d, t)))
            await bot.download_file(doc["document"]["file_id"], str(tmp_path / "down.bin"),
                                    progress=lambda d, t: received.append((d, t)))

    run(main())
    for calls in (sent, received):
        assert calls[0] == (0, len(blob)) and calls[-1] == (len(blob), len(blob))
        assert len(calls) > 2 and [d for d, _ in calls] == sorted(d for d, _ in calls)
    assert (tmp_path / "down.bin").read_bytes() == blob


def test_debug_shows_one_line_per_request_without_the_token(emulator, caplog, tmp_path):
    alice = emulator.user("Alice")

    async def main():
        async with Bot(emulator.token, emulator.api_url) as bot:
            await bot.getMe()
            doc = await bot.sendDocument(alice.id, ("a.bin", b"x" * 1000))
            await bot.download_file(doc["document"]["file_id"], str(tmp_path / "a.bin"))
            with pytest.raises(ChatNotFoundError):
                await bot.sendMessage(-42, "nobody")

    with caplog.at_level(logging.DEBUG, logger="telegrambot.aio.transport"):
        run(main())
    lines = [r.getMessage() for r in caplog.records if r.name == "telegrambot.aio.transport"]
    assert any(line.startswith("getMe: HTTP 200 ok") for line in lines), lines
    assert any(line.startswith("sendMessage: HTTP 400 error_code 400") for line in lines), lines
    assert any(line.startswith("download: HTTP 200") and "1000 bytes received" in line
               for line in lines), lines
    assert emulator.token not in caplog.text

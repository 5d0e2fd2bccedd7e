"""The asyncio runtime's loops and scheduler (telegrambot.aio.loop, telegrambot.aio.scheduler):
what is theirs alone. Polling, routing and stopping scenarios shared with the threaded
runtime are in tests/test_runtimes.py."""

import asyncio
import logging
import time

import pytest

pytest.importorskip("aiohttp")

from telegrambot.aio import Bot, MessageLoop, OrderedWebhook, Webhook  # noqa: E402
from telegrambot.exception import EventNotFound  # noqa: E402
from telegrambot.testing.pytest_plugin import check_no_task_leak, library_tasks  # noqa: E402


def update(update_id, text="x"):
    return {"update_id": update_id,
            "message": {"message_id": update_id, "date": 0, "chat": {"id": 1, "type": "private"},
                        "text": text}}


class Seen:
    """An async handler recording the update texts (or events) it gets, one at a time."""

    def __init__(self):
        self.items = []
        self.busy = False
        self.overlapped = False
        self.changed = asyncio.Event()

    async def __call__(self, msg):
        if self.busy:
            self.overlapped = True
        self.busy = True
        await asyncio.sleep(0)  # give another task the chance to come in between
        self.items.append(msg.get("text", msg))
        self.busy = False
        self.changed.set()

    async def wait(self, n, timeout=5.0):
        async def enough():
            while len(self.items) < n:
                self.changed.clear()
                await self.changed.wait()
        await asyncio.wait_for(enough(), timeout)
        return self.items


def test_polling_awaits_async_handlers_one_at_a_time_with_events(emulator, aio_run):
    alice = emulator.user("Alice")

    async def main():
        async with Bot(emulator.token, emulator.api_url) as bot:
            seen = Seen()
            loop = bot.message_loop(seen)
            assert isinstance(loop, MessageLoop) and loop.is_alive()
            names = {t.get_name() for t in library_tasks()}
            assert {"telegrambot-poll", "telegrambot-scheduler"} <= names
            for i in range(5):
                bot.scheduler.event_now({"_tick": i})
            await asyncio.get_running_loop().run_in_executor(None, alice.send, "hi")
            await seen.wait(6)
            assert not seen.overlapped  # the handler never ran for two things at once
            assert "hi" in seen.items
        assert not loop.is_alive() and library_tasks() == set()

    aio_run(main())


def test_scheduler_fires_in_time_order_and_cancels(emulator, aio_run):
    async def main():
        async with Bot(emulator.token, emulator.api_url) as bot:
            fired = []
            done = asyncio.Event()

            def on(event):
                fired.append(next(iter(event)))
                if "_last" in event:
                    done.set()

            Webhook(bot, on).run_as_task()  # a loop connects the scheduler to the handler
            scheduler = bot.scheduler
            scheduler.event_later(0.06, {"_c": 1})
            cancelled = scheduler.event_later(0.02, {"_never": 1})
            scheduler.event_at(time.time() + 0.03, {"_b": 1})
            scheduler.event_later(0.01, {"_a": 1})
            scheduler.event_later(0.1, {"_last": 1})
            scheduler.cancel(cancelled)
            with pytest.raises(EventNotFound):
                scheduler.cancel(cancelled)
            assert scheduler.pending() == 4
            await asyncio.wait_for(done.wait(), 5)
            assert fired == ["_a", "_b", "_c", "_last"]

    aio_run(main())


def test_ordered_webhook_holds_a_gap_at_most_maxhold(emulator, aio_run, caplog):
    async def main():
        async with Bot(emulator.token, emulator.api_url) as bot:
            seen = Seen()
            hook = OrderedWebhook(bot, seen).run_as_task(maxhold=0.2)
            for update_id in (1, 3, 2, 5):  # 4 never comes
                await hook.feed(update(update_id, str(update_id)))
            await hook.feed('{"update_id": 6, "message": {"message_id": 6, "date": 0, '
                            '"chat": {"id": 1, "type": "private"}, "text": "6"}}')
            await seen.wait(3)
            assert seen.items == ["1", "2", "3"]  # 5 and 6 wait for 4
            start = time.monotonic()
            await seen.wait(5)
            assert time.monotonic() - start >= 0.1
            assert seen.items == ["1", "2", "3", "5", "6"]
            with pytest.raises(ValueError):
                await hook.feed({"message": {}})

    with caplog.at_level(logging.WARNING, logger="telegrambot"):
        aio_run(main())


def test_stop_hands_over_what_is_queued_and_reports_what_it_cannot(emulator, aio_run, caplog):
    async def main():
        async with Bot(emulator.token, emulator.api_url) as bot:
            seen = Seen()
            hook = Webhook(bot, seen).run_as_task()
            for i in range(1, 6):
                hook.feed_nowait(update(i, str(i)))
            await hook.stop()
            assert seen.items == ["1", "2", "3", "4", "5"]  # accepted: all handed over

            async def slow(msg):
                await asyncio.sleep(30)

            stuck = Webhook(bot, slow).run_as_task()
            for i in range(10, 14):
                stuck.feed_nowait(update(i))
            await asyncio.sleep(0.05)  # the first one is in the handler
            start = time.monotonic()
            await stuck.stop(timeout=0.3)
            assert time.monotonic() - start < 2 and not stuck.is_alive()

    with caplog.at_level(logging.ERROR, logger="telegrambot"):
        aio_run(main())
    lost = [r.getMessage() for r in caplog.records if "lost" in r.getMessage()]
    assert lost and "11-13" in lost[-1]


def test_a_handler_exception_is_logged_with_the_update_id(emulator, aio_run, caplog):
    async def main():
        async with Bot(emulator.token, emulator.api_url) as bot:
            seen = Seen()

            async def handler(msg):
                if msg["text"] == "boom":
                    raise RuntimeError("on purpose")
                await seen(msg)

            hook = Webhook(bot, handler).run_as_task()
            await hook.feed(update(41, "boom"))
            await hook.feed(update(42, "after"))
            await seen.wait(1)

    with caplog.at_level(logging.ERROR, logger="telegrambot"):
        aio_run(main())
    failures = [r for r in caplog.records if r.exc_info]
    assert failures and "update 41" in failures[0].getMessage()


def test_stop_from_inside_a_handler_returns_and_the_loop_ends(emulator, aio_run):
    async def main():
        async with Bot(emulator.token, emulator.api_url) as bot:
            handled = []

            async def handler(msg):
                handled.append(msg["text"])
                await hook.stop()  # returns at once: the loop ends after this handler

            hook = Webhook(bot, handler).run_as_task()
            await hook.feed(update(1, "first"))
            assert await hook.join(2)
            assert handled == ["first"]

    aio_run(main())


def test_a_loop_needs_a_running_event_loop(emulator):
    bot = Bot(emulator.token, emulator.api_url)
    with pytest.raises(RuntimeError):
        MessageLoop(bot, lambda msg: None).run_as_task()


def test_the_task_leak_check_names_a_task_left_running(aio_run):
    async def main():
        before = library_tasks()
        task = asyncio.get_running_loop().create_task(asyncio.sleep(30))
        task.set_name("telegrambot-forgotten")
        try:
            with pytest.raises(pytest.fail.Exception, match="telegrambot-forgotten"):
                await check_no_task_leak(before, grace=0.05)
        finally:
            task.cancel()

    aio_run(main())


def test_bot_stop_from_an_event_handler_ends_loop_and_scheduler(emulator, aio_run):
    async def main():
        bot = Bot(emulator.token, emulator.api_url)
        stopped = asyncio.Event()

        async def on(msg):
            if "_stop" in msg:
                await bot.stop()  # from the scheduler's task: returns, everything ends after
                stopped.set()

        hook = Webhook(bot, on).run_as_task()
        bot.scheduler.event_later(0.01, {"_stop": True})
        await asyncio.wait_for(stopped.wait(), 5)
        assert await hook.join(2)
        await asyncio.sleep(0)  # the scheduler's task returns after the handler
        await asyncio.wait_for(asyncio.gather(*library_tasks()), 2)
        assert not bot.scheduler.is_alive()
        await bot.close_connections()

    aio_run(main())


def test_a_handler_that_stops_and_restarts_polling_gets_no_update_twice(emulator, aio_run):
    alice = emulator.user("Alice")

    async def main():
        async with Bot(emulator.token, emulator.api_url) as bot:
            first, second = [], Seen()

            async def restart(msg):
                first.append(msg["text"])
                await bot.stop()
                bot.message_loop(second)  # waits for this loop to end, goes on from its offset

            bot.message_loop(restart)
            for text in ("a", "b", "c"):
                await asyncio.get_running_loop().run_in_executor(None, alice.send, text)
            await second.wait(2)
            assert first == ["a"] and second.items == ["b", "c"]

    aio_run(main())


def test_on_error_gets_what_a_handler_raised_and_a_failing_hook_is_logged(emulator, aio_run, caplog):
    async def main():
        async with Bot(emulator.token, emulator.api_url) as bot:
            got = []

            async def hook(exc, update):
                got.append((str(exc), update["update_id"]))
                if update["update_id"] == 2:
                    raise ValueError("the hook failed too")

            def handler(msg):
                raise RuntimeError("boom %s" % msg["text"])

            hook_loop = Webhook(bot, handler, on_error=hook).run_as_task()
            for i in (1, 2, 3):
                await hook_loop.feed(update(i, str(i)))
            await hook_loop.stop()
            return got

    with caplog.at_level(logging.ERROR, logger="telegrambot"):
        got = aio_run(main())
    assert got == [("boom 1", 1), ("boom 2", 2), ("boom 3", 3)]
    failed = [r for r in caplog.records if "on_error failed" in r.getMessage()]
    assert len(failed) == 1 and "update 2" in failed[0].getMessage()
    with pytest.raises(TypeError, match="on_error"):
        Webhook(Bot(emulator.token, emulator.api_url), print, on_error="not a function")


def test_starting_a_running_loop_again_is_refused_and_changes_nothing(emulator, aio_run):
    async def main():
        async with Bot(emulator.token, emulator.api_url) as bot:
            seen = Seen()
            hook = OrderedWebhook(bot, seen).run_as_task(maxhold=5)
            await hook.feed(update(1, "1"))
            await hook.feed(update(3, "3"))  # held: 2 has not come
            await seen.wait(1)
            with pytest.raises(RuntimeError, match="already running"):
                hook.run_as_task(maxhold=0)
            await hook.feed(update(2, "2"))  # the held 3 is still there, in order
            assert await seen.wait(3) == ["1", "2", "3"]

    aio_run(main())


def test_the_default_router_awaits_on_flavor_methods_of_a_bot_subclass(emulator, aio_run):
    class Echo(Bot):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.seen = Seen()

        async def on_chat_message(self, msg):
            await self.sendMessage(msg["chat"]["id"], "echo " + msg["text"])
            await self.seen(msg)

        async def on__alarm(self, event):
            await self.seen({"text": "alarm %s" % event["_alarm"]})

    alice = emulator.user("Alice")

    async def main():
        async with Echo(emulator.token, emulator.api_url) as bot:
            bot.message_loop()  # no callback: the bot's on_<flavor> methods
            await asyncio.get_running_loop().run_in_executor(None, alice.send, "hi")
            bot.scheduler.event_later(0.01, {"_alarm": 7})
            await bot.seen.wait(2)
            return sorted(bot.seen.items)

    assert aio_run(main()) == ["alarm 7", "hi"]
    assert alice.wait_for_message()["text"] == "echo hi"
    with pytest.raises(TypeError, match="nothing to handle updates"):
        Webhook(Bot(emulator.token, emulator.api_url))

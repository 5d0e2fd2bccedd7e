"""Delegation on asyncio: DelegatorBot's tasks, listeners, the idle sweeper, the handlers
and the answerer, against the emulator (updates read with getUpdates by the asyncio bot and
handed to ``bot.handle`` as a loop does)."""

import asyncio
import logging
import time

import pytest

from telegrambot import exception
from telegrambot.aio.delegate import (
    DelegatorBot,
    call,
    create_open,
    include_callback_query_chat_id,
    pave_event_space,
    per_callback_query_origin,
    per_chat_id,
    per_from_id,
    per_inline_from_id,
)
from telegrambot.aio.helper import (
    Answerer,
    CallbackQueryOriginHandler,
    ChatHandler,
    InlineUserHandler,
    ListenerHub,
    UserHandler,
)

pytest.importorskip("aiohttp")


def library_tasks():
    return {t for t in asyncio.all_tasks() if t.get_name().startswith("telegrambot-")
            and not t.done()}


class Pump:
    """Reads the emulator's updates with getUpdates and hands each inner object to
    ``bot.handle``, as a message loop does."""

    def __init__(self, bot):
        self.bot = bot
        self.offset = None

    async def __call__(self, count):
        handed = 0
        while handed < count:
            updates = await self.bot.getUpdates(offset=self.offset, timeout=2)
            for update in updates:
                self.offset = update["update_id"] + 1
                inner = next(value for key, value in update.items() if key != "update_id")
                self.bot.handle(inner)
                handed += 1
        return handed


def make_bot(emulator, *patterns):
    return DelegatorBot(emulator.token, list(patterns), api_url=emulator.api_url)


async def until(condition, timeout=5.0):
    """Wait (polling the event loop) until ``condition()`` holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.005)


async def wait_for_message(person, **kwargs):
    """The person's next message from the bot, waited for off the event loop."""
    return await asyncio.to_thread(person.wait_for_message, **kwargs)


class Echo(ChatHandler):
    closed = []

    def __init__(self, seed_tuple, **kwargs):
        super().__init__(seed_tuple, **kwargs)
        self.count = 0

    async def on_chat_message(self, msg):
        self.count += 1
        await self.sender.sendMessage(f"{self.count}: {msg['text']}")

    def on_close(self, ex):
        super().on_close(ex)
        type(self).closed.append((self.chat_id, type(ex).__name__))


def test_one_task_per_chat_handles_its_messages_in_order(emulator, aio_run):
    Echo.closed = []

    async def main():
        bot = make_bot(emulator, pave_event_space()(per_chat_id(), create_open, Echo, timeout=30))
        async with bot:
            pump = Pump(bot)
            alice, bob = emulator.user("Alice"), emulator.user("Bob")
            for text in ("a", "b", "c"):
                alice.send(text)
            bob.send("x")
            await pump(4)
            assert bot.delegate_count() == 2
            names = sorted(t.get_name() for t in library_tasks())
            assert names == sorted(["telegrambot-delegate-%d" % alice.id,
                                    "telegrambot-delegate-%d" % bob.id,
                                    "telegrambot-idle-sweeper"])
            texts = [(await wait_for_message(alice))["text"] for _ in range(3)]
            assert texts == ["1: a", "2: b", "3: c"]
            assert (await wait_for_message(bob))["text"] == "1: x"
            await bot.stop_delegates()
            assert bot.delegate_count() == 0
        assert sorted(Echo.closed) == sorted([(alice.id, "StopListening"),
                                              (bob.id, "StopListening")])

    aio_run(main())


def test_idle_delegates_end_after_their_timeout_with_one_sweeper_task(emulator, aio_run):
    ended = []

    class Idle(ChatHandler):
        def on_chat_message(self, msg):
            pass

        def on_close(self, ex):
            super().on_close(ex)
            ended.append((self.chat_id, type(ex).__name__, time.monotonic()))

    async def main():
        bot = make_bot(emulator, pave_event_space()(per_chat_id(), create_open, Idle, timeout=0.3))
        chats = list(range(1, 51))
        started = time.monotonic()
        for chat_id in chats:
            bot.handle({"message_id": 1, "date": 0, "text": "hi",
                        "chat": {"id": chat_id, "type": "private"}})
        await asyncio.sleep(0)
        sweepers = [t for t in library_tasks() if t.get_name() == "telegrambot-idle-sweeper"]
        assert len(sweepers) == 1 and bot.delegate_count() == 50  # not a timer each
        await until(lambda: len(ended) == 50)
        assert sorted(chat for chat, _, _ in ended) == chats
        assert {kind for _, kind, _ in ended} == {"IdleTerminate"}
        assert min(at for _, _, at in ended) - started >= 0.3
        assert bot.delegate_count() == 0
        await bot.stop_delegates()

    aio_run(main())


def test_a_delegate_that_had_a_message_after_its_idle_event_was_put_lives_on(emulator, aio_run):
    """The idle event and a message queued together: the message comes first, so the
    delegate is not idle when it reads the event, and is watched again."""
    events = []

    class Busy(ChatHandler):
        def on_chat_message(self, msg):
            events.append(msg["text"])

        def on_close(self, ex):
            super().on_close(ex)
            events.append(type(ex).__name__)

    async def main():
        bot = make_bot(emulator, pave_event_space()(per_chat_id(), create_open, Busy, timeout=60))
        msg = {"message_id": 1, "date": 0, "text": "first", "chat": {"id": 7, "type": "private"}}
        bot.handle(msg)
        await asyncio.sleep(0)
        (delegate,) = list(bot._delegates.live)
        listener = delegate.listeners[0]
        bot.handle(dict(msg, text="second"))
        listener._put({"_idle": {"seconds": 60}})  # as the sweeper would, had the time come
        # the positive barrier: the idle event was read, and the delegate watched again
        await until(lambda: len(bot.idle_sweeper) == 2)  # its first entry, and this one
        assert events == ["first", "second"] and bot.delegate_count() == 1
        await bot.stop_delegates()
        assert events[-1] == "StopListening"

    aio_run(main())


def test_messages_left_by_an_ending_delegate_go_to_its_successor(emulator, aio_run):
    seen = []

    made = []

    class Quitter(ChatHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)
            self.number = len(made)

        async def on_chat_message(self, msg):
            seen.append((self.number, msg["text"]))
            if msg["text"] == "quit":
                self.close()

    async def main():
        bot = make_bot(emulator, pave_event_space()(per_chat_id(), create_open, Quitter, timeout=60))
        for text in ("a", "quit", "b", "c"):  # all queued before the delegate runs
            bot.handle({"message_id": 1, "date": 0, "text": text,
                        "chat": {"id": 3, "type": "private"}})
        await until(lambda: len(seen) >= 4)
        assert [text for _, text in seen] == ["a", "quit", "b", "c"]
        first, second = seen[0][0], seen[2][0]
        assert (first, seen[1][0], second, seen[3][0]) == (1, 1, 2, 2)
        assert bot.delegate_count() == 1
        await bot.stop_delegates()

    aio_run(main())


def test_a_failing_handler_is_logged_and_the_next_message_starts_a_new_delegate(emulator, caplog, aio_run):
    closed = []

    class Fragile(ChatHandler):
        def on_chat_message(self, msg):
            if msg["text"] == "boom":
                raise RuntimeError("boom")

        def on_close(self, ex):
            super().on_close(ex)
            closed.append(type(ex).__name__)

    async def main():
        bot = make_bot(emulator, pave_event_space()(per_chat_id(), create_open, Fragile, timeout=60))
        msg = {"message_id": 1, "date": 0, "text": "boom", "chat": {"id": 4, "type": "private"}}
        bot.handle(msg)
        await until(lambda: closed)
        await asyncio.sleep(0)
        assert bot.delegate_count() == 0
        bot.handle(dict(msg, text="fine"))
        await asyncio.sleep(0)
        assert bot.delegate_count() == 1
        await bot.stop_delegates()

    aio_run(main())
    assert closed == ["RuntimeError", "StopListening"]
    assert any(r.levelno == logging.ERROR and r.exc_info for r in caplog.records)


def test_idle_events_never_start_a_delegate_and_none_seeds_start_nothing(emulator, aio_run):
    async def main():
        bot = make_bot(emulator, pave_event_space()(per_chat_id(), create_open, Echo, timeout=60))
        bot.handle({"_idle": {"source": {"space": 1, "id": 5}, "seconds": 1}})
        bot.handle({"id": "q", "from": {"id": 5}, "query": "x", "offset": ""})  # no chat
        bot.handle({"message_id": 1, "date": 0, "text": "x", "chat": {"id": 6, "type": "private"}})
        assert bot.delegate_count() == 1  # the positive barrier: the message started one
        await bot.stop_delegates()

    aio_run(main())


def test_listener_wait_times_out_and_stop_ends_a_plain_coroutine_delegate(emulator, aio_run):
    outcomes = []

    async def waiter(seed_tuple):
        bot, msg, seed = seed_tuple
        listener = bot.create_listener()
        listener.capture([{"chat": {"id": seed}}])
        try:
            await listener.wait(timeout=0.05)
        except exception.WaitTooLong:
            outcomes.append("timeout")
        try:
            outcomes.append((await listener.wait())["text"])
            await listener.wait()
        except exception.StopListening:
            outcomes.append("stopped")

    async def main():
        bot = make_bot(emulator, (per_chat_id(), call(waiter)))
        msg = {"message_id": 1, "date": 0, "text": "one", "chat": {"id": 9, "type": "private"}}
        bot.handle(msg)
        await until(lambda: outcomes)
        bot.handle(dict(msg, text="two"))
        await until(lambda: len(outcomes) >= 2)
        await bot.stop_delegates()
        assert outcomes == ["timeout", "two", "stopped"]
        (listener,) = [lst for lst in [bot.create_listener()]]  # made outside any delegate
        assert not listener.closed

    aio_run(main())


def test_stop_cancels_a_delegate_that_does_not_listen(emulator, caplog, aio_run):
    async def stubborn(seed_tuple):
        await asyncio.Event().wait()

    async def main():
        bot = make_bot(emulator, (per_chat_id(), call(stubborn)))
        bot.handle({"message_id": 1, "date": 0, "text": "x", "chat": {"id": 2, "type": "private"}})
        await asyncio.sleep(0)
        assert bot.delegate_count() == 1
        await bot.stop_delegates(timeout=0.1)
        assert bot.delegate_count() == 0

    aio_run(main())
    assert any("still running after stop, cancelled" in r.getMessage() for r in caplog.records)


def test_user_inline_and_callback_origin_handlers(emulator, aio_run):
    got = []

    class Users(UserHandler):
        def on_chat_message(self, msg):
            got.append(("user", self.user_id, msg["text"]))

    class Inline(InlineUserHandler):
        def on_inline_query(self, msg):
            got.append(("inline", self.user_id, msg["query"]))

        def on_chosen_inline_result(self, msg):
            got.append(("chosen", self.user_id, msg["result_id"]))

    class Origin(CallbackQueryOriginHandler):
        async def on_callback_query(self, msg):
            got.append(("origin", self.origin, msg["data"]))
            await self.editor.editMessageText("pressed " + msg["data"])

    async def main():
        bot = make_bot(
            emulator,
            pave_event_space()(per_from_id(), create_open, Users, timeout=60, flavors=["chat"]),
            pave_event_space()(per_inline_from_id(), create_open, Inline, timeout=60),
            pave_event_space()(per_callback_query_origin(), create_open, Origin, timeout=60))
        async with bot:
            pump = Pump(bot)
            alice = emulator.user("Alice")
            alice.send("hello")
            alice.inline_query("cats")
            alice.choose_inline_result("r1", "cats")
            await pump(3)
            sent = await bot.sendMessage(alice.id, "pick", reply_markup={
                "inline_keyboard": [[{"text": "Yes", "callback_data": "yes"}]]})
            alice.press(sent, "yes")
            await pump(1)
            while len(got) < 4:
                await asyncio.sleep(0.01)
            edited = await wait_for_message(alice, predicate=lambda m: m.get("text") == "pressed yes")
            assert edited["message_id"] == sent["message_id"]
            await bot.stop_delegates()
        assert sorted(got) == sorted([
            ("user", alice.id, "hello"), ("inline", alice.id, "cats"),
            ("chosen", alice.id, "r1"), ("origin", (alice.id, sent["message_id"]), "yes")])

    aio_run(main())


def test_include_callback_query_chat_id_sends_a_chats_callback_queries_to_its_delegate(emulator, aio_run):
    got = []

    class Chat(ChatHandler):
        async def on_chat_message(self, msg):
            await self.sender.sendMessage("pick", reply_markup={
                "inline_keyboard": [[{"text": "A", "callback_data": "a"}]]})

        def on_callback_query(self, msg):
            got.append(msg["data"])

    async def main():
        bot = make_bot(emulator, include_callback_query_chat_id(pave_event_space())(
            per_chat_id(), create_open, Chat, timeout=60))
        async with bot:
            pump = Pump(bot)
            alice = emulator.user("Alice")
            alice.send("start")
            await pump(1)
            keyboard = await wait_for_message(alice)
            alice.press(keyboard, "a")
            await pump(1)
            while not got:
                await asyncio.sleep(0.01)
            assert got == ["a"] and bot.delegate_count() == 1
            await bot.stop_delegates()

    aio_run(main())


def test_the_answerer_answers_the_latest_query_of_a_user(emulator, aio_run):
    """While the first query is computed, two more come: the second is replaced by the
    third before its turn, the first's answer is dropped (superseded), the third's sent."""
    computed = []

    async def main():
        release = asyncio.Event()

        async def compute(query):
            computed.append(query)
            if query == "c":
                await release.wait()
            return [{"type": "article", "id": query, "title": query,
                     "input_message_content": {"message_text": query}}]

        bot = make_bot(emulator)
        async with bot:
            alice = emulator.user("Alice")
            queries = [alice.inline_query(q) for q in ("c", "ca", "cat")]
            answerer = Answerer(bot)
            answerer.answer(queries[0], compute, "c")
            await until(lambda: computed == ["c"])
            for query in queries[1:]:
                answerer.answer(query, compute, query["query"])
            release.set()
            await until(lambda: not answerer._slots)
        answered = [r.params["inline_query_id"] for r in emulator.requests
                    if r.method == "answerInlineQuery"]
        assert computed == ["c", "cat"]
        assert answered == [queries[2]["id"]]

    aio_run(main())


def test_a_hub_delivers_only_to_the_listeners_that_captured():
    async def main():
        hub = ListenerHub()
        one, two = hub.listener(), hub.listener()
        one.capture([{"chat": {"id": 1}}])
        two.capture([{"chat": {"id": 2}}])
        assert hub.deliver({"chat": {"id": 1}, "text": "x"}) == 1
        assert (await one.wait())["text"] == "x"
        assert hub.close(two) == [] and two.closed
        with pytest.raises(RuntimeError):
            two.capture([{"chat": {"id": 3}}])

    asyncio.run(main())


def test_a_coroutine_on_error_is_awaited_and_one_that_raises_is_logged(emulator, aio_run, caplog):
    got = []

    class Fragile(ChatHandler):
        def on_chat_message(self, msg):
            raise ValueError(msg["text"])

    async def hook(exc, msg):
        got.append((str(exc), msg["text"]))
        if msg["text"] == "twice":
            raise KeyError("the hook failed")

    async def main():
        bot = DelegatorBot(emulator.token, [pave_event_space()(
            per_chat_id(), create_open, Fragile, timeout=10)], api_url=emulator.api_url,
            on_error=hook)
        for chat_id, text in ((1, "once"), (2, "twice")):
            bot.handle({"message_id": 1, "date": 0, "text": text,
                        "chat": {"id": chat_id, "type": "private"}})
        await until(lambda: len(got) == 2 and bot.delegate_count() == 0)
        await bot.stop_delegates()

    aio_run(main())
    assert sorted(got) == [("once", "once"), ("twice", "twice")]
    (record,) = [r for r in caplog.records if "on_error failed" in r.getMessage()]
    assert record.levelno == logging.ERROR and isinstance(record.exc_info[1], KeyError)


def test_an_answerers_failure_goes_to_its_on_error_with_the_inline_query(emulator, aio_run):
    got = []

    def compute():
        raise LookupError("no results")

    async def main():
        bot = make_bot(emulator)
        async with bot:
            answerer = Answerer(bot, on_error=lambda exc, query: got.append((exc, query)))
            query = emulator.user("Alice").inline_query("x")
            answerer.answer(query, compute)
            await until(lambda: got)
        return query

    query = aio_run(main())
    (exc, failed), = got
    assert isinstance(exc, LookupError) and failed is query
    with pytest.raises(TypeError, match="on_error must be a function"):
        DelegatorBot(emulator.token, [], api_url=emulator.api_url, on_error="log")


def test_a_speaker_bots_microphone_reaches_the_listeners_that_captured(emulator, aio_run):
    from telegrambot.aio.delegate import SpeakerBot

    async def main():
        bot = SpeakerBot(emulator.token, api_url=emulator.api_url)
        heard = []
        listener = bot.create_listener()
        listener.capture([{"chat": {"id": 5}}])
        extra = asyncio.Queue()
        bot.mic.add(extra)  # a plain queue gets every message sent
        assert bot.mic.send({"chat": {"id": 6}, "text": "not for it"}) == 0
        assert bot.mic.send({"chat": {"id": 5}, "text": "for it"}) == 1
        heard.append((await listener.wait(timeout=1))["text"])
        assert heard == ["for it"] and extra.qsize() == 2
        listener.close()

    aio_run(main())

"""The error hook: ``message_loop(..., on_error=fn)`` and ``DelegatorBot(..., on_error=fn)``
get every exception a handler, a delegate or a seeder raised, with what it was handling;
without one the error is logged with the update_id; a hook that raises ends nothing."""

import logging
import queue
import threading

import pytest

from telegrambot import DelegatorBot
from telegrambot.delegate import call, create_open, pave_event_space, per_chat_id
from telegrambot.helper import ChatHandler
from telegrambot.webhook import run_webhook


class Errors:
    """Records ``on_error`` calls; wait(n) blocks until n arrived."""

    def __init__(self, fail=False):
        self.calls = []
        self.threads = []
        self.fail = fail
        self._cond = threading.Condition()

    def __call__(self, exc, obj):
        with self._cond:
            self.calls.append((exc, obj))
            self.threads.append(threading.current_thread().name)
            self._cond.notify_all()
        if self.fail:
            raise LookupError("the hook itself fails")

    def wait(self, n, timeout=5.0):
        return self.wait_for(lambda calls: len(calls) >= n, timeout)

    def wait_for(self, predicate, timeout=5.0):
        with self._cond:
            assert self._cond.wait_for(lambda: predicate(self.calls), timeout), self.calls
            return list(self.calls)


class Seen:
    """A handler that records what it gets and raises on a text that says 'boom'."""

    def __init__(self):
        self.items = []
        self._cond = threading.Condition()

    def __call__(self, msg):
        with self._cond:
            self.items.append(msg)
            self._cond.notify_all()
        if "boom" in str(msg.get("text", "")) or "_boom" in msg:
            raise ValueError("handler failure on purpose")

    def wait(self, n, timeout=5.0):
        with self._cond:
            assert self._cond.wait_for(lambda: len(self.items) >= n, timeout), self.items
            return list(self.items)


def text_message(chat_id, text, message_id):
    return {"message_id": message_id, "date": 0, "chat": {"id": chat_id, "type": "private"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "U"}, "text": text}


# ------------------------------------------------------------------ loops


def test_a_loop_hands_the_handlers_exception_and_the_update_to_on_error(emulator, bot):
    seen, errors = Seen(), Errors()
    bot.message_loop(seen, on_error=errors)
    alice = emulator.user("Alice")
    alice.send("boom")
    after = alice.send("after")
    (exc, update), = errors.wait(1)
    assert isinstance(exc, ValueError) and str(exc) == "handler failure on purpose"
    assert update["message"]["text"] == "boom" and isinstance(update["update_id"], int)
    assert errors.threads == ["telegrambot-poll"]
    assert seen.wait(2)[1]["message_id"] == after["message_id"]  # the next update follows


def test_a_routing_tables_handler_error_goes_to_on_error(emulator, bot):
    seen, errors = Seen(), Errors()
    bot.message_loop({"chat": seen}, on_error=errors)
    emulator.user("Alice").send("boom")
    (exc, update), = errors.wait(1)
    assert isinstance(exc, ValueError) and update["message"]["text"] == "boom"


def test_an_event_handlers_error_goes_to_on_error_with_the_event(bot):
    seen, errors = Seen(), Errors()
    bot.message_loop({"_boom": seen, "chat": seen}, on_error=errors)
    bot.scheduler.event_now({"_boom": {"n": 1}})
    (exc, event), = errors.wait(1)
    assert isinstance(exc, ValueError) and event == {"_boom": {"n": 1}}


def test_without_on_error_the_failure_is_logged_with_the_update_id(emulator, bot, caplog):
    seen = Seen()
    with caplog.at_level(logging.ERROR, logger="telegrambot.loop"):
        bot.message_loop(seen)
        failed = emulator.push_update("message", text_message(1, "boom", 1))
        emulator.push_update("message", text_message(1, "after", 2))
        seen.wait(2)
    (record,) = [r for r in caplog.records if r.name == "telegrambot.loop"]
    assert record.getMessage() == "handler failed on update %d" % failed["update_id"]
    assert record.exc_info and isinstance(record.exc_info[1], ValueError)


def test_an_on_error_that_raises_is_logged_and_the_loop_goes_on(emulator, bot, caplog):
    seen, errors = Seen(), Errors(fail=True)
    with caplog.at_level(logging.ERROR, logger="telegrambot.loop"):
        bot.message_loop(seen, on_error=errors)
        alice = emulator.user("Alice")
        alice.send("boom 1")
        alice.send("boom 2")
        alice.send("fine")
        seen.wait(3)
        errors.wait(2)
    failures = [r for r in caplog.records if r.name == "telegrambot.loop"]
    assert len(failures) == 2
    for record in failures:
        assert record.getMessage().startswith("on_error failed; it was given this error: "
                                              "handler failed on update ")
        assert isinstance(record.exc_info[1], LookupError)
        assert isinstance(record.exc_info[1].__context__, ValueError)  # both tracebacks shown


def test_a_queue_fed_loop_and_run_webhook_take_on_error(emulator):
    bot = emulator.make_bot()
    seen, errors = Seen(), Errors()
    source = queue.Queue()
    try:
        bot.message_loop(seen, source=source, on_error=errors)
        source.put({"update_id": 7, "message": text_message(1, "boom", 1)})
        (exc, update), = errors.wait(1)
        assert update["update_id"] == 7
    finally:
        bot.stop()
    hook = Errors()
    run = run_webhook(emulator.make_bot(), Seen(), host="127.0.0.1", port=0, on_error=hook)
    try:
        emulator.user("Bob").send("boom")
        (exc, update), = hook.wait(1)
        assert update["message"]["text"] == "boom"
    finally:
        run.stop()


# ------------------------------------------------------------------ delegates


@pytest.fixture
def delegator(emulator):
    made = []

    def make(patterns, **kwargs):
        bot = DelegatorBot(emulator.token, patterns, api_url=emulator.api_url, **kwargs)
        made.append(bot)
        bot.message_loop()
        return bot

    yield make
    for bot in made:
        bot.stop()
        bot.close_connections()


def test_an_exception_ending_a_delegate_reaches_on_error_and_on_close(emulator, delegator):
    closed = []
    closing = threading.Event()

    class Fragile(ChatHandler):
        def on_chat_message(self, msg):
            if msg["text"] == "boom":
                raise ValueError("kaboom")
            self.sender.sendMessage("ok " + msg["text"])

        def on_close(self, ex):
            closed.append(ex)
            closing.set()

    errors = Errors()
    delegator([pave_event_space()(per_chat_id(), create_open, Fragile, timeout=10)],
              on_error=errors)
    alice = emulator.user("Alice")
    alice.send("first")
    assert alice.wait_for_message()["text"] == "ok first"
    alice.send("boom")  # not the delegate's first message: the one it was handling counts
    (exc, msg), = errors.wait(1)
    assert closing.wait(5)
    assert isinstance(exc, ValueError) and str(exc) == "kaboom"
    assert msg["text"] == "boom" and msg["chat"]["id"] == alice.id
    assert closed == [exc]
    assert errors.threads == ["telegrambot-delegate-%d" % alice.id]


def test_a_delegates_event_handler_error_reaches_on_error_with_the_event(emulator, delegator):
    class Alarmed(ChatHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.router.routing_table["_alarm"] = self.on__alarm

        def on_chat_message(self, msg):
            self.scheduler.event_now(("_alarm", {"text": msg["text"]}))

        def on__alarm(self, event):
            raise KeyError(event["_alarm"]["text"])

        def on_close(self, ex):
            pass

    errors = Errors()
    delegator([pave_event_space()(per_chat_id(), create_open, Alarmed, timeout=10)],
              on_error=errors)
    alice = emulator.user("Alice")
    alice.send("wake")
    (exc, event), = errors.wait(1)
    assert isinstance(exc, KeyError) and event["_alarm"]["text"] == "wake"
    assert event["_alarm"]["source"]["id"] == alice.id


def test_a_function_delegate_and_a_seeder_report_with_the_message(emulator, delegator):
    def worker(seed_tuple):
        bot, msg, seed = seed_tuple
        raise RuntimeError("worker failed on %s" % msg["text"])

    def picky_seeder(msg):
        if msg.get("text") == "seed boom":
            raise TypeError("the seeder failed")
        return None

    errors = Errors()
    delegator([(per_chat_id(), call(worker)), (picky_seeder, call(worker))], on_error=errors)
    alice = emulator.user("Alice")
    alice.send("hello")
    (exc, msg), = errors.wait(1)
    assert isinstance(exc, RuntimeError) and msg["text"] == "hello"
    alice.send("seed boom")  # the seeder raises on the loop's thread
    calls = errors.wait_for(lambda calls: any(isinstance(e, TypeError) for e, _ in calls))
    seeder = [(e, m) for e, m in calls if isinstance(e, TypeError)]
    assert len(seeder) == 1 and seeder[0][1]["text"] == "seed boom"


def test_without_on_error_a_delegate_failure_is_logged(emulator, delegator, caplog):
    done = threading.Event()

    class Fragile(ChatHandler):
        def on_chat_message(self, msg):
            raise ValueError("kaboom")

        def on_close(self, ex):
            done.set()

    with caplog.at_level(logging.ERROR, logger="telegrambot.delegate"):
        delegator([pave_event_space()(per_chat_id(), create_open, Fragile, timeout=10)])
        emulator.user("Alice").send("x")
        assert done.wait(5)
    (record,) = [r for r in caplog.records if r.name == "telegrambot.delegate"]
    assert "delegate Fragile for seed" in record.getMessage()
    assert isinstance(record.exc_info[1], ValueError)


def test_on_error_must_be_callable(emulator):
    with pytest.raises(TypeError, match="on_error must be a function"):
        DelegatorBot(emulator.token, [], api_url=emulator.api_url, on_error="log")


def test_message_loop_refuses_an_on_error_that_is_not_callable(bot):
    with pytest.raises(TypeError, match="on_error must be a function"):
        bot.message_loop(lambda msg: None, on_error=42)
    assert not bot._receiving.loops  # nothing started


def test_an_on_close_that_raises_reaches_on_error_and_the_delegate_is_retired(
        emulator, delegator):
    class Closing(ChatHandler):
        def on_chat_message(self, msg):
            self.close()  # StopListening: a normal end, then on_close fails

        def on_close(self, ex):
            raise OSError("on_close failed on purpose")

    errors = Errors()
    delegator([pave_event_space()(per_chat_id(), create_open, Closing, timeout=10)],
                    on_error=errors)
    alice = emulator.user("Alice")
    alice.send("bye")
    (exc, msg), = errors.wait(1)
    assert isinstance(exc, OSError) and msg["text"] == "bye"
    alice.send("again")  # the seed's delegate was retired: a new one starts and closes
    calls = errors.wait(2)
    assert calls[1][1]["text"] == "again"
    assert errors.threads == ["telegrambot-delegate-%d" % alice.id] * 2


def test_a_callable_events_error_goes_to_the_loops_on_error(bot):
    errors = Errors()
    bot.message_loop(lambda msg: None, on_error=errors)

    def alarm():
        raise ZeroDivisionError("computed event failed")

    bot.scheduler.event_now(alarm)
    (exc, event), = errors.wait(1)
    assert isinstance(exc, ZeroDivisionError) and event is alarm
    assert errors.threads == ["telegrambot-scheduler"]


def test_an_answerers_failure_goes_to_the_bots_on_error_with_the_inline_query(emulator):
    from telegrambot.helper import Answerer

    errors = Errors()
    bot = DelegatorBot(emulator.token, [], api_url=emulator.api_url, on_error=errors)
    try:
        query = emulator.user("Alice").inline_query("q")
        Answerer(bot).answer(query, lambda: 1 / 0)
        (exc, obj), = errors.wait(1)
        assert isinstance(exc, ZeroDivisionError) and obj["id"] == query["id"]
        own = Errors()
        Answerer(bot, on_error=own).answer(query, lambda: "not an answer")
        (exc, obj), = own.wait(1)
        assert isinstance(exc, ValueError) and obj is query
    finally:
        bot.close_connections()


def test_the_loop_classes_take_on_error(emulator, bot):
    from telegrambot.loop import MessageLoop, OrderedWebhook

    errors = Errors()
    loop = MessageLoop(bot, Seen(), on_error=errors).run_as_thread()
    try:
        emulator.user("Alice").send("boom")
        (exc, update), = errors.wait(1)
        assert isinstance(exc, ValueError) and update["message"]["text"] == "boom"
    finally:
        loop.stop()
    fed = Errors()
    ordered = OrderedWebhook(bot, Seen(), on_error=fed).run_as_thread(maxhold=5)
    try:
        ordered.feed({"update_id": 41, "message": text_message(1, "boom", 1)})
        (exc, update), = fed.wait(1)
        assert update["update_id"] == 41
    finally:
        ordered.stop()

"""A bot with a store, against the emulator: the durable inbox (polling and webhook),
what is handed over first after a restart, delegates' ``self.state``, done marks when an
update went to several delegates, stored and repeating events."""

import http.client
import json
import logging
import queue
import threading
import time

import pytest

from telegrambot import Bot, DelegatorBot
from telegrambot.delegate import create_open, pave_event_space, per_chat_id, per_from_id
from telegrambot.exception import EventNotFound
from telegrambot.helper import ChatHandler, UserHandler
from telegrambot.storage import EventRecord, MemoryStore, SQLiteStore, UnstorableValue
from telegrambot.webhook import WebhookServer


class WatchedStore(MemoryStore):
    """A MemoryStore whose commits wake :meth:`wait_until` (the test waits on an event,
    not a sleep)."""

    def __init__(self):
        super().__init__()
        self.changed = threading.Condition()

    def submit(self, changes):
        ticket = super().submit(changes)
        ticket.add_done_callback(self._notify)
        return ticket

    def _notify(self, ticket):
        with self.changed:
            self.changed.notify_all()

    def wait_until(self, predicate, timeout=5.0):
        with self.changed:
            assert self.changed.wait_for(predicate, timeout), "the store did not get there"


@pytest.fixture
def stores():
    made = []

    def make(path=None):
        store = WatchedStore() if path is None else SQLiteStore(str(path))
        made.append(store)
        return store

    yield make
    for store in made:
        store.close()


def _stop(bot):
    bot.stop()
    bot.close_connections()


def test_store_must_be_a_store(emulator):
    with pytest.raises(TypeError, match="store must be a store"):
        Bot(emulator.token, api_url=emulator.api_url, store="bot.db")


def test_polled_update_is_in_the_inbox_while_handled_and_done_after(emulator, stores):
    store = stores()
    bot = Bot(emulator.token, api_url=emulator.api_url, store=store)
    seen = queue.Queue()
    bot.message_loop(lambda msg: seen.put([e.update_id for e in store.pending()]))
    try:
        alice = emulator.user("Alice")
        alice.send("hi")
        update_id = emulator.updates[-1]["update_id"]
        assert seen.get(timeout=5) == [update_id]
        store.wait_until(lambda: not store.pending())
        assert store.accept([emulator.updates[-1]]) == [False]  # done: a redelivery is known
    finally:
        _stop(bot)


def test_polling_skips_an_update_the_store_has_done(emulator, stores):
    store = stores()
    alice = emulator.user("Alice")
    first = emulator._next_update_id
    store.accept([{"update_id": first, "message": {"text": "before"}}])
    store.mark_done([first])
    bot = Bot(emulator.token, api_url=emulator.api_url, store=store)
    handled = queue.Queue()
    bot.message_loop(lambda msg: handled.put(msg["text"]))
    try:
        alice.send("one")  # numbered `first`: a redelivery of a done update
        alice.send("two")
        assert handled.get(timeout=5) == "two"  # the barrier: "one" had its chance first
        assert handled.empty()
    finally:
        _stop(bot)


def test_updates_accepted_and_not_done_are_handed_over_first_in_order(emulator, stores):
    store = stores()
    alice = emulator.user("Alice")
    chat = {"id": alice.id, "type": "private"}
    old = [{"update_id": 7 + n, "message": {"message_id": n, "date": 0, "chat": chat,
                                            "text": "old %d" % n}} for n in range(3)]
    store.accept(old)
    bot = Bot(emulator.token, api_url=emulator.api_url, store=store)
    handled = queue.Queue()
    bot.message_loop(lambda msg: handled.put(msg["text"]))
    try:
        alice.send("new")
        assert [handled.get(timeout=5) for _ in range(4)] == ["old 0", "old 1", "old 2", "new"]
        store.wait_until(lambda: not store.pending())
    finally:
        _stop(bot)


def test_webhook_writes_the_update_to_the_store_before_answering(emulator, stores):
    store = stores()
    in_store = queue.Queue()

    def sink(update):
        in_store.put([e.update_id for e in store.pending()])

    server = WebhookServer(sink, "127.0.0.1", 0, "/hook", store=store).start()
    bot = emulator.make_bot()
    try:
        bot.setWebhook(server.url)
        alice = emulator.user("Alice")
        alice.send("hi")
        update = emulator.updates[-1]
        assert in_store.get(timeout=5) == [update["update_id"]]
        # Telegram delivers it again (our 200 was lost): 200, not handed on twice
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        conn.request("POST", "/hook", json.dumps(update), {"Content-Type": "application/json"})
        response = conn.getresponse()
        assert (response.status, response.read()) == (200, b"already accepted")
        conn.close()
        alice.send("again")  # the barrier: handed on after the redelivery was answered
        assert in_store.get(timeout=5) == [update["update_id"], emulator.updates[-1]["update_id"]]
        assert in_store.empty()
    finally:
        server.stop()
        bot.deleteWebhook()
        bot.close_connections()


def test_webhook_run_with_a_store_marks_updates_done(emulator, webhook_bot, stores):
    store = stores()
    bot = Bot(emulator.token, api_url=emulator.api_url, store=store)
    handled = queue.Queue()
    webhook_bot(lambda msg: handled.put(msg["text"]), bot=bot)
    emulator.user("Alice").send("hi")
    assert handled.get(timeout=5) == "hi"
    store.wait_until(lambda: not store.pending())
    assert store.accept([emulator.updates[-1]]) == [False]


class Counter(ChatHandler):
    closed = None

    def on_chat_message(self, msg):
        self.state["count"] = self.state.get("count", 0) + 1
        self.sender.sendMessage("count %d" % self.state["count"])

    def on_close(self, ex):
        if Counter.closed is not None:
            Counter.closed.set()


def _counter_bot(emulator, store=None, timeout=10):
    bot = DelegatorBot(emulator.token, [
        pave_event_space()(per_chat_id(), create_open, Counter, timeout=timeout),
    ], api_url=emulator.api_url, store=store)
    bot.message_loop()
    return bot


def test_state_survives_an_idle_close_without_a_store(emulator):
    Counter.closed = threading.Event()
    bot = _counter_bot(emulator, timeout=0.2)
    try:
        alice = emulator.user("Alice")
        alice.send("one")
        assert emulator.wait_for_message(alice.id)["text"] == "count 1"
        assert Counter.closed.wait(5)
        alice.send("two")  # a new delegate, the same state
        assert emulator.wait_for_message(alice.id)["text"] == "count 2"
    finally:
        Counter.closed = None
        _stop(bot)


def test_state_survives_a_restart_with_a_sqlite_store(emulator, stores, tmp_path):
    alice, bob = emulator.user("Alice"), emulator.user("Bob")
    for run, expected in ((0, ["count 1", "count 2"]), (1, ["count 3", "count 4"])):
        store = stores(tmp_path / "bot.db")
        bot = _counter_bot(emulator, store)
        try:
            for text in expected:
                alice.send("hi")
                assert emulator.wait_for_message(alice.id)["text"] == text
            bob.send("hi")
            assert emulator.wait_for_message(bob.id)["text"] == "count %d" % (run + 1)
        finally:
            _stop(bot)
        store.kv_set("test", "barrier", 1)  # a commit after what the bot submitted
        assert store.pending() == []
        assert store.load("chat:%d" % alice.id).data == {"count": 2 * run + 2}
        store.close()


class Picky(ChatHandler):
    def on_chat_message(self, msg):
        text = msg["text"]
        self.state["count"] = self.state.get("count", 0) + 1
        if text == "bad":
            self.state["when"] = threading.Lock()
        elif text == "fix":
            del self.state["when"]
        self.sender.sendMessage("ok %d" % self.state["count"])


def test_a_state_that_is_not_json_is_logged_and_loses_nothing(emulator, stores, caplog):
    store = stores()
    bot = DelegatorBot(emulator.token, [
        pave_event_space()(per_chat_id(), create_open, Picky, timeout=10),
    ], api_url=emulator.api_url, store=store)
    bot.message_loop()
    key = "chat:%d" % emulator.user("Alice").id
    alice = emulator.user_named("Alice")
    try:
        alice.send("good")
        assert emulator.wait_for_message(alice.id)["text"] == "ok 1"
        with caplog.at_level(logging.ERROR, logger="telegrambot"):
            alice.send("bad")
            assert emulator.wait_for_message(alice.id)["text"] == "ok 2"
            bad_id = emulator.updates[-1]["update_id"]
            store.wait_until(lambda: not store.pending())  # still marked done
        errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
        assert any(str(bad_id) in e and key in e and "lock" in e and "['when']" in e
                   for e in errors), errors
        assert store.load(key).data == {"count": 1}  # the stored state stays whole
        alice.send("fix")
        assert emulator.wait_for_message(alice.id)["text"] == "ok 3"
        store.wait_until(lambda: store.load(key).data == {"count": 3})
    finally:
        _stop(bot)


class Slow(ChatHandler):
    release = None
    entered = None

    def on_chat_message(self, msg):
        Slow.entered.set()
        assert Slow.release.wait(5)
        self.state["chat"] = self.state.get("chat", 0) + 1


class Quick(UserHandler):
    done = None

    def on_chat_message(self, msg):
        self.state["user"] = self.state.get("user", 0) + 1
        Quick.done.put(msg["text"])


def test_an_update_for_two_delegates_is_done_when_both_finished(emulator, stores):
    store = stores()
    Slow.release, Slow.entered, Quick.done = threading.Event(), threading.Event(), queue.Queue()
    bot = DelegatorBot(emulator.token, [
        pave_event_space()(per_chat_id(), create_open, Slow, timeout=10),
        pave_event_space()(per_from_id(), create_open, Quick, timeout=10),
    ], api_url=emulator.api_url, store=store)
    bot.message_loop()
    try:
        alice = emulator.user("Alice")
        alice.send("hi")
        update_id = emulator.updates[-1]["update_id"]
        assert Quick.done.get(timeout=5) == "hi" and Slow.entered.wait(5)
        store.wait_until(lambda: store.load("user:%d" % alice.id) is not None)
        assert [e.update_id for e in store.pending()] == [update_id]
        assert store.pending()[0].applied == {"user:%d" % alice.id}
        Slow.release.set()
        store.wait_until(lambda: not store.pending())
        assert store.load("chat:%d" % alice.id).data == {"chat": 1}
    finally:
        Slow.release.set()
        _stop(bot)


def test_a_key_that_applied_an_update_before_a_crash_does_not_apply_it_again(emulator, stores):
    store = stores()
    alice = emulator.user("Alice")
    chat = {"id": alice.id, "type": "private"}
    user = {"id": alice.id, "is_bot": False, "first_name": "Alice"}
    update = {"update_id": 5, "message": {"message_id": 1, "date": 0, "chat": chat,
                                          "from": user, "text": "before"}}
    store.accept([update])
    # the chat's delegate saved it before the crash, the user's did not
    store.save("chat:%d" % alice.id, {"chat": 1}, version=0, applied=5)
    Slow.release, Slow.entered, Quick.done = threading.Event(), threading.Event(), queue.Queue()
    Slow.release.set()
    bot = DelegatorBot(emulator.token, [
        pave_event_space()(per_chat_id(), create_open, Slow, timeout=10),
        pave_event_space()(per_from_id(), create_open, Quick, timeout=10),
    ], api_url=emulator.api_url, store=store)
    bot.message_loop()
    try:
        assert Quick.done.get(timeout=5) == "before"
        store.wait_until(lambda: not store.pending())
        assert store.load("chat:%d" % alice.id).data == {"chat": 1}
        alice.send("after")  # the barrier: the chat's delegate handles the next one
        assert Quick.done.get(timeout=5) == "after"
        store.wait_until(lambda: store.load("chat:%d" % alice.id).data == {"chat": 2})
    finally:
        _stop(bot)


# -- events


class Alarms(Bot):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fired = queue.Queue()

    def on__alarm(self, event):
        self.fired.put(event["_alarm"])


def test_a_stored_event_fires_after_a_restart_late_ones_marked(emulator, stores):
    store = stores()
    now = time.time()
    store.put_events([EventRecord("missed", now - 60, {"_alarm": {"n": 1}}),
                      EventRecord("soon", now + 0.1, {"_alarm": {"n": 2}})])
    bot = Alarms(emulator.token, api_url=emulator.api_url, store=store)
    bot.message_loop()
    try:
        assert bot.fired.get(timeout=5) == {"n": 1, "late": True}
        assert bot.fired.get(timeout=5) == {"n": 2}
        store.wait_until(lambda: not store.events())
    finally:
        _stop(bot)


def test_events_are_stored_until_handled_and_cancel_removes_them(emulator, stores):
    store = stores()
    bot = Alarms(emulator.token, api_url=emulator.api_url, store=store)
    bot.message_loop()
    try:
        kept = bot.scheduler.event_later(3600, {"_alarm": {"n": "kept"}})
        gone = bot.scheduler.event_later(3600, {"_alarm": {"n": "gone"}})
        bot.scheduler.event_later(3600, {"_idle": {"seconds": 1}})  # never stored
        assert [e.data["_alarm"]["n"] for e in store.events()] == ["kept", "gone"]
        bot.scheduler.cancel(gone)
        assert [e.id for e in store.events()] == [kept.key]
        with pytest.raises(UnstorableValue, match="set"):
            bot.scheduler.event_later(1, {"_alarm": {"n": {1, 2}}})
        assert len(store.events()) == 1
        bot.scheduler.event_later(0.01, {"_alarm": {"n": "now"}})
        assert bot.fired.get(timeout=5) == {"n": "now"}
        store.wait_until(lambda: len(store.events()) == 1)
    finally:
        _stop(bot)


def test_event_every_repeats_until_cancelled_and_its_record_moves_on(emulator, stores):
    store = stores()
    bot = Alarms(emulator.token, api_url=emulator.api_url, store=store)
    bot.message_loop()
    try:
        every = bot.scheduler.event_every(0.05, {"_alarm": {"n": "tick"}})
        due = store.events()[0].due
        assert [bot.fired.get(timeout=5) for _ in range(3)] == [{"n": "tick"}] * 3
        store.wait_until(lambda: store.events() and store.events()[0].due > due)
        bot.scheduler.cancel(every)
        assert store.events() == []
        bot.scheduler.event_later(0.1, {"_alarm": {"n": "last"}})
        while True:  # ticks fired before the cancel may still be queued
            got = bot.fired.get(timeout=5)
            if got == {"n": "last"}:
                break
            assert got == {"n": "tick"}
        assert bot.fired.empty()
    finally:
        _stop(bot)


class Failing(ChatHandler):
    def on_chat_message(self, msg):
        self.state["tried"] = self.state.get("tried", 0) + 1
        if msg["text"] == "boom":
            raise ValueError("boom")
        self.sender.sendMessage("tried %d" % self.state["tried"])


def test_a_handler_that_raises_goes_to_on_error_and_its_update_is_done(emulator, stores):
    store = stores()
    errors = queue.Queue()
    bot = DelegatorBot(emulator.token, [
        pave_event_space()(per_chat_id(), create_open, Failing, timeout=10),
    ], api_url=emulator.api_url, store=store, on_error=lambda e, m: errors.put((e, m)))
    bot.message_loop()
    try:
        alice = emulator.user("Alice")
        alice.send("boom")
        error, msg = errors.get(timeout=5)
        assert isinstance(error, ValueError) and msg["text"] == "boom"
        store.wait_until(lambda: not store.pending())  # handled (with an error): done
        assert store.load("chat:%d" % alice.id) is None  # its state change not saved
        alice.send("again")  # a new delegate (the failed one ended), the stored state
        assert emulator.wait_for_message(alice.id)["text"] == "tried 1"
    finally:
        _stop(bot)


def test_events_due_at_once_leave_no_record(emulator, stores, tmp_path):
    store = stores(tmp_path / "bot.db")
    bot = Alarms(emulator.token, api_url=emulator.api_url, store=store)
    bot.message_loop()
    try:
        for n in range(20):  # some fire while others are being stored
            bot.scheduler.event_later(0, {"_alarm": {"n": n}})
        assert sorted(bot.fired.get(timeout=5)["n"] for _ in range(20)) == list(range(20))
    finally:
        _stop(bot)
    store.kv_set("test", "barrier", 1)  # a commit after what the bot submitted
    assert store.events() == []


class Quiz(ChatHandler):
    state_scope = "quiz"

    def on_chat_message(self, msg):
        self.state["quiz"] = self.state.get("quiz", 0) + 1


class Untracked(ChatHandler):
    state_scope = None

    def on_chat_message(self, msg):
        self.state["seen"] = True  # a dict of its own, never stored
        Quick.done.put(msg["text"])


def test_state_scope_files_states_apart_and_none_keeps_none(emulator, stores):
    store = stores()
    Quick.done = queue.Queue()
    bot = DelegatorBot(emulator.token, [
        pave_event_space()(per_chat_id(), create_open, Counter, timeout=10),
        pave_event_space()(per_chat_id(), create_open, Quiz, timeout=10),
        pave_event_space()(per_chat_id(), create_open, Untracked, timeout=10),
    ], api_url=emulator.api_url, store=store)
    bot.message_loop()
    try:
        alice = emulator.user("Alice")
        alice.send("hi")
        assert emulator.wait_for_message(alice.id)["text"] == "count 1"
        assert Quick.done.get(timeout=5) == "hi"
        store.wait_until(lambda: not store.pending())
        assert store.load("chat:%d" % alice.id).data == {"count": 1}
        assert store.load("quiz:%d" % alice.id).data == {"quiz": 1}
    finally:
        _stop(bot)


class Planner(ChatHandler):
    fired = None

    def on_chat_message(self, msg):
        text = msg["text"]
        event = self.scheduler.event_later(0.01 if text == "soon" else 3600,
                                           ("_plan", {"text": text}))
        if text == "never":
            self.scheduler.cancel(event)  # held for this message's commit: never stored
            with pytest.raises(EventNotFound):
                self.scheduler.cancel(event)
        self.state["planned"] = self.state.get("planned", 0) + 1
        self.sender.sendMessage("planned %s" % text)

    def on__plan(self, event):
        Planner.fired.put(event["_plan"]["text"])


def test_events_a_delegate_schedules_are_stored_with_its_state(emulator, stores):
    store = stores()
    Planner.fired = queue.Queue()
    bot = DelegatorBot(emulator.token, [
        pave_event_space()(per_chat_id(), create_open, Planner, timeout=10),
    ], api_url=emulator.api_url, store=store)
    bot.message_loop()
    try:
        alice = emulator.user("Alice")
        alice.send("later")
        assert emulator.wait_for_message(alice.id)["text"] == "planned later"
        store.wait_until(lambda: not store.pending())
        # stored in the commit of the update that scheduled it, with the state
        assert [e.data["_plan"]["text"] for e in store.events()] == ["later"]
        assert store.load("chat:%d" % alice.id).data == {"planned": 1}
        alice.send("never")
        assert emulator.wait_for_message(alice.id)["text"] == "planned never"
        alice.send("soon")
        assert emulator.wait_for_message(alice.id)["text"] == "planned soon"
        assert Planner.fired.get(timeout=5) == "soon"  # held events fire once committed
        store.wait_until(lambda: [e.data["_plan"]["text"] for e in store.events()] == ["later"])
        assert Planner.fired.empty()  # "never" was cancelled before it could be stored
    finally:
        _stop(bot)

"""Conversations: step methods chosen by the state in self.state (entry points, steps,
fallbacks, a timeout, nesting), the rules with no I/O and delegates over loopback; a
conversation whose self.state is kept elsewhere resumes in a new delegate."""

import importlib
import os
import sys
import threading

import pytest

from telegrambot import DelegatorBot
from telegrambot.conversation import END, Conversation, Pop, Push, entry, fallback, on_timeout, step
from telegrambot.core import conversation as core
from telegrambot.delegate import (
    create_open,
    include_callback_query_chat_id,
    pave_event_space,
    per_chat_id,
)
from telegrambot.helper import ChatHandler


def text(t, **more):
    return dict({"message_id": 1, "chat": {"id": 5, "type": "private"}, "from": {"id": 5},
                 "date": 0, "text": t}, **more)


def query(data):
    return {"id": "1", "from": {"id": 5}, "chat_instance": "1", "data": data,
            "message": text("menu")}


# ------------------------------------------------------------------ the rules, no I/O


def test_matchers():
    m = core.matcher(command="start")
    assert m(text("/start")) and m(text("/start@emulator_bot now")) and m(text("/start x"))
    assert not m(text("/started")) and not m(text("start")) and not m(query("start"))
    anything = core.matcher(text=True)
    assert anything(text("hi")) and not anything(text("/cmd")) and not anything({"photo": []})
    regex = core.matcher(text="^(Boy|Girl)$")
    assert regex(text("Boy")) and not regex(text("Dragon"))
    photo = core.matcher(content=("photo", "document"))
    assert photo(dict(text("x"), photo=[])) and not photo(text("x"))
    assert core.matcher(data="^add$")(query("add")) and not core.matcher(data="^add$")(query("x"))
    assert core.matcher(data=("add", 1))(query(("add", 1)))  # arbitrary callback data
    assert not core.matcher(data="^add")(query(("add", 1)))
    assert core.matcher(data=lambda d: d > 2)(query(3))
    assert not core.matcher(data="add")(text("add"))  # data means callback queries
    assert core.matcher(when=lambda m: m["from"]["id"] == 5)(text("x"))
    assert not core.matcher()(None)
    with pytest.raises(ValueError, match="without the slash"):
        core.matcher(command="/start")


def test_advance():
    a = core.advance
    assert a(["x"], None) == ["x"] and a(["x"], "y") == ["y"] and a([], "y") == ["y"]
    assert a(["x", "y"], END) == []
    assert a(["x"], Push("y")) == ["x", "y"]
    assert a(["x", "y"], Pop()) == ["x"] and a(["x", "y"], Pop("z")) == ["z"]
    assert a(["x"], Pop("z")) == []  # leaving the top level ends it
    assert a(["x", "y"], "z", entered=True) == ["z"]
    for wrong in (3, ["x"], object()):
        with pytest.raises(TypeError, match="returns the next state's name"):
            a(["x"], wrong)
    with pytest.raises(TypeError, match="non-empty str"):
        Push(1)
    with pytest.raises(TypeError, match="non-empty str"):
        a(["x"], "")


def test_pick_and_the_order_of_routes():
    class Talk(Conversation):
        @entry(command="start")
        def begin(self, msg): ...

        @step("a", text="^one$")
        @step("b", text=True)
        def first(self, msg): ...

        @step("a", text=True)
        def second(self, msg): ...

        @fallback(command="cancel")
        def cancel(self, msg): ...

        @fallback(text=True, states=["b"])
        def only_in_b(self, msg): ...

    routes = core.routes_of(Talk)
    assert [(r.kind, r.name) for r in routes] == [
        ("entry", "begin"), ("step", "first"), ("step", "first"), ("step", "second"),
        ("fallback", "cancel"), ("fallback", "only_in_b")]
    pick = lambda stack, msg, reentry=False: getattr(  # noqa: E731
        core.pick(routes, stack, msg, reentry), "name", None)
    assert pick([], text("/start")) == "begin" and pick([], text("one")) is None
    assert pick(["a"], text("one")) == "first" and pick(["a"], text("two")) == "second"
    assert pick(["a"], text("/cancel")) == "cancel" and pick(["a"], text("/start")) is None
    assert pick(["a"], text("/start"), True) == "begin"
    assert pick(["c"], text("x")) is None and pick(["b"], text("/x")) is None
    assert pick(["x", "b"], text("x")) == "first"  # the innermost level decides

    class Overridden(Talk):
        def second(self, msg): ...  # no decorator: no longer a step

    assert "second" not in [r.name for r in core.routes_of(Overridden)]


# ------------------------------------------------------------------ delegates over loopback

class Recorder:
    def __init__(self):
        self.lines = []
        self.cond = threading.Condition()

    def add(self, line):
        with self.cond:
            self.lines.append(line)
            self.cond.notify_all()

    def wait(self, n, timeout=5.0):
        with self.cond:
            assert self.cond.wait_for(lambda: len(self.lines) >= n, timeout), self.lines
            return self.lines[n - 1]


class Family(Conversation, ChatHandler):
    """A two-level conversation: a menu, and a nested level that asks for names."""

    conversation_timeout = None

    def __init__(self, seed_tuple, log, **kwargs):
        super().__init__(seed_tuple, **kwargs)
        self.log = log

    def say(self, what):
        self.log.add((what, self.conversation))  # where it stood before this step moved it

    @entry(command="start")
    def start(self, msg):
        self.state["names"] = []
        self.say("menu")
        return "menu"

    @step("menu", data="^add$")
    def add(self, msg):
        self.say("adding")
        return Push("typing")

    @step("typing", text=True)
    def name(self, msg):
        self.state["names"].append(msg["text"])
        self.say("got " + msg["text"])  # stays: more names may follow

    @fallback(command="back", states=["typing"])
    def back(self, msg):
        self.say("back")
        return Pop("menu_again")

    @step("menu_again", text="^show$")
    def show(self, msg):
        self.say(",".join(self.state["names"]))

    @fallback(command="stop")
    def stop(self, msg):
        self.say("stopped")
        return END

    @on_timeout
    def timed_out(self, state):
        self.say("timed out in " + state)

    def on_unmatched(self, msg):
        self.say("unmatched")


def family_bot(emulator, log, cls=Family, store=None):
    bot = DelegatorBot(emulator.token, [
        include_callback_query_chat_id(pave_event_space())(
            per_chat_id(), create_open, cls, log=log, timeout=30),
    ], api_url=emulator.api_url, store=store)
    bot.message_loop()
    return bot


def test_entry_steps_nesting_and_fallbacks(emulator):
    log = Recorder()
    bot = family_bot(emulator, log)
    alice = emulator.user("Alice")
    alice.send("hello")
    assert log.wait(1) == ("unmatched", [])
    alice.send("/start")
    assert log.wait(2) == ("menu", [])
    bot.sendMessage(alice.id, "Menu", reply_markup={"inline_keyboard": [[
        {"text": "Add", "callback_data": "add"}]]})
    alice.press(alice.wait_for_message(), "Add")
    assert log.wait(3) == ("adding", ["menu"])
    alice.send("Ann")
    alice.send("Bob")
    assert log.wait(5) == ("got Bob", ["menu", "typing"])
    alice.send("/stop")  # a fallback of every state ends every level
    assert log.wait(6) == ("stopped", ["menu", "typing"])
    alice.send("/start")
    alice.press(alice.received()[-1], "Add")
    alice.send("Cy")
    alice.send("/back")
    assert log.wait(10) == ("back", ["menu", "typing"])
    alice.send("/back")  # only a fallback of "typing"
    assert log.wait(11) == ("unmatched", ["menu_again"])
    alice.send("show")
    assert log.wait(12) == ("Cy", ["menu_again"])
    bot.stop()


class Quick(Family):
    conversation_timeout = 0.3


def test_a_conversation_times_out_on_its_event(emulator):
    log = Recorder()
    bot = family_bot(emulator, log, Quick)
    alice = emulator.user("Alice")
    alice.send("/start")
    assert log.wait(1) == ("menu", [])
    assert log.wait(2) == ("timed out in menu", ["menu"])  # the scheduler's event
    alice.send("show")  # over: not a step any more
    assert log.wait(3) == ("unmatched", [])
    bot.stop()


class Idle(Family):
    conversation_timeout = 60

    def on_close(self, ex):
        pending = self._conversation_event
        super().on_close(ex)
        self.log.add(("closed", pending))


def test_closing_cancels_the_pending_timeout_event(emulator):
    """A delegate that closes (idle) mid-conversation takes its timeout event along: left
    pending, it would start a delegate for nothing when it fires."""
    from telegrambot.exception import EventNotFound

    log = Recorder()
    bot = DelegatorBot(emulator.token, [
        pave_event_space()(per_chat_id(), create_open, Idle, log=log, timeout=0.2)],
        api_url=emulator.api_url)
    bot.message_loop()
    alice = emulator.user("Alice")
    alice.send("/start")
    assert log.wait(1) == ("menu", [])
    what, pending = log.wait(2)
    assert what == "closed" and pending is not None
    with pytest.raises(EventNotFound):
        bot.scheduler.cancel(pending)  # cancelled already
    bot.stop()


def test_a_deadline_passed_is_found_by_the_next_message():
    """Without the event (a restart, a delegate with no scheduler), the next message finds
    the deadline passed: the timeout handlers run, then the message starts afresh."""
    log = Recorder()

    class Plain(Conversation):
        conversation_timeout = 60

        @entry(command="start")
        def start(self, msg):
            log.add("start")
            return "waiting"

        @step("waiting", text=True)
        def answer(self, msg):
            log.add("answer")
            return END

        @on_timeout
        def late(self, state):
            log.add("late in " + state)

    talk = Plain()
    assert talk.state == {} and talk.conversation == []
    assert talk.converse(text("/start")) and talk.conversation == ["waiting"]
    assert talk.state["conversation_deadline"] > 0
    talk.state["conversation_deadline"] -= 120  # as if two minutes had gone by
    assert not talk.converse(text("too late"))  # over, and not an entry point
    assert log.lines == ["start", "late in waiting"] and talk.state == {}
    talk.end_conversation()
    assert talk.state == {}
    # an edit is not an answer: no step takes it, and it is not "unmatched" either
    unmatched = []
    talk.on_unmatched = unmatched.append
    talk.converse(text("/start"))
    edited = text("my answer", edit_date=1)
    assert talk.on_edited_chat_message(edited) is False and unmatched == []
    assert talk.conversation == ["waiting"]
    assert talk.on_chat_message(text("my answer")) and talk.conversation == []


def test_a_nested_conversation_resumes_after_a_restart(emulator, tmp_path):
    """Where a conversation stands is in self.state, which the bot's store keeps: a new
    bot on the same file goes on at the same level and state."""
    from telegrambot.storage import SQLiteStore

    path = str(tmp_path / "bot.db")
    log = Recorder()
    store = SQLiteStore(path)
    bot = family_bot(emulator, log, store=store)
    alice = emulator.user("Alice")
    alice.send("/start")
    bot.sendMessage(alice.id, "Menu", reply_markup={"inline_keyboard": [[
        {"text": "Add", "callback_data": "add"}]]})
    alice.press(alice.wait_for_message(), "Add")
    alice.send("Dee")
    assert log.wait(3) == ("got Dee", ["menu", "typing"])
    bot.stop()
    store.close()

    store = SQLiteStore(path)  # "after a restart"
    bot = family_bot(emulator, log, store=store)
    alice.send("Eve")
    assert log.wait(4) == ("got Eve", ["menu", "typing"])
    alice.send("/back")
    alice.send("show")
    assert log.wait(6) == ("Dee,Eve", ["menu_again"])
    bot.stop()
    store.close()


def test_the_persistent_example_goes_on_after_a_restart(emulator, tmp_path):
    """examples/persistent_conversation.py, stopped in the middle of a conversation and
    started again on the same SQLite file: the same step, the same facts."""
    from telegrambot.storage import SQLiteStore

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                    "examples"))
    try:
        example = importlib.import_module("persistent_conversation")
    finally:
        sys.path.pop(0)
    path = str(tmp_path / "conversations.sqlite")

    def run():
        store = SQLiteStore(path)
        return store, example.start(emulator.token, emulator.api_url, store=store)

    store, bot = run()
    alice = emulator.user("Alice")
    for said, heard in [("/start", "Hi! My name is Doctor Botter. I will hold"),
                        ("Age", "Your age? Yes"), ("40", "Age - 40"),
                        ("Something else...", "please send me the category first"),
                        ("Favourite tea", "Your favourite tea? Yes")]:
        alice.send(said)
        assert heard in alice.wait_for_message()["text"]
    bot.stop()  # waiting for the answer about tea
    store.close()

    store, bot = run()
    alice.send("Earl Grey")
    told = alice.wait_for_message()["text"]
    assert "Age - 40\nFavourite tea - earl grey\n" in told, told
    alice.send("Done")
    assert "Until next time!" in alice.wait_for_message()["text"]
    bot.stop()
    store.close()
    store, bot = run()
    alice.send("/start")
    assert "You already told me your age, favourite tea." in alice.wait_for_message()["text"]
    bot.stop()
    store.close()

"""DelegatorBot and telegrambot.delegate against the emulator: seeds, delegates, idle
timeouts, failures, stopping, inline queries with an Answerer, callback query quizzes and
events."""

import itertools
import logging
import re
import threading
import time

import pytest

from telegrambot import DelegatorBot
from telegrambot.delegate import (
    call,
    chain,
    create_open,
    create_run,
    include_callback_query_chat_id,
    intercept_callback_query_origin,
    pair,
    pave_event_space,
    per_application,
    per_callback_query_chat_id,
    per_callback_query_origin,
    per_chat_id,
    per_chat_id_except,
    per_chat_id_in,
    per_event_source_id,
    per_from_id,
    per_from_id_except,
    per_from_id_in,
    per_inline_from_id,
    per_inline_from_id_except,
    per_inline_from_id_in,
    per_message,
    until,
)
from telegrambot.exception import IdleTerminate, StopListening, WaitTooLong
from telegrambot.helper import (
    AnswererMixin,
    CallbackQueryOriginHandler,
    ChatHandler,
    InlineUserHandler,
    InterceptCallbackQueryMixin,
    Monitor,
    UserHandler,
)

SERIALS = itertools.count(1)
INLINE_KEYBOARD = {"inline_keyboard": [[{"text": "2", "callback_data": "2"},
                                        {"text": "3", "callback_data": "3"}]]}


class Journal:
    """Thread-safe record of what delegates saw; wait_for() blocks on a condition."""

    def __init__(self):
        self.entries = []
        self._cond = threading.Condition()

    def add(self, *entry):
        with self._cond:
            self.entries.append(entry)
            self._cond.notify_all()

    def wait_for(self, predicate, timeout=5.0):
        with self._cond:
            assert self._cond.wait_for(lambda: predicate(self.entries), timeout), self.entries
        return list(self.entries)

    def wait_count(self, kind, n, timeout=5.0):
        return self.wait_for(lambda es: sum(1 for e in es if e[0] == kind) >= n, timeout)

    def of(self, kind):
        with self._cond:
            return [e[1:] for e in self.entries if e[0] == kind]


@pytest.fixture
def journal():
    return Journal()


@pytest.fixture
def make_bot(emulator):
    """make_bot(patterns, loop=True): a DelegatorBot on the emulator, stopped afterwards."""
    made = []

    def make(patterns, loop=True, **kwargs):
        bot = DelegatorBot(emulator.token, patterns, api_url=emulator.api_url, **kwargs)
        made.append(bot)
        if loop:
            bot.message_loop()
        return bot

    yield make
    for bot in made:
        bot.stop()
        bot.close_connections()


def delegate_threads():
    return sorted(t.name for t in threading.enumerate()
                  if t.name.startswith("telegrambot-delegate-") and t.is_alive())


def wait_threads(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not predicate(delegate_threads()):
        assert time.monotonic() < deadline, delegate_threads()
        time.sleep(0.01)


def text_msg(chat_id, text, message_id=1, chat_type="private"):
    return {"message_id": message_id, "date": 0, "text": text,
            "chat": {"id": chat_id, "type": chat_type},
            "from": {"id": chat_id, "is_bot": False, "first_name": "U"}}


# ------------------------------------------------------------------ the seed's message counter


def counter_class(journal):
    class MessageCounter(ChatHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._count = 0

        def on_chat_message(self, msg):
            self._count += 1
            self.sender.sendMessage(str(self._count))

        def on_close(self, ex):
            journal.add("closed", self.chat_id, type(ex))

    return MessageCounter


def test_message_counter_per_chat_with_idle_timeout(emulator, make_bot, journal):
    make_bot([pave_event_space()(per_chat_id(), create_open, counter_class(journal), timeout=0.8)])
    alice, bob = emulator.user("Alice"), emulator.user("Bob")
    for expected in ("1", "2", "3"):
        alice.send("hi")
        assert alice.wait_for_message()["text"] == expected
    bob.send("hello")
    assert bob.wait_for_message()["text"] == "1"
    assert delegate_threads() == sorted(
        ["telegrambot-delegate-%d" % alice.id, "telegrambot-delegate-%d" % bob.id])

    journal.wait_count("closed", 2)
    assert {(chat, kind) for chat, kind in journal.of("closed")} == {
        (alice.id, IdleTerminate), (bob.id, IdleTerminate)}
    wait_threads(lambda names: not names)

    alice.send("back again")  # a fresh delegate, counting from 1
    assert alice.wait_for_message()["text"] == "1"


def test_a_delegate_failure_is_logged_closes_it_and_spares_the_others(emulator, make_bot, journal, caplog):
    class Fragile(ChatHandler):
        def on_chat_message(self, msg):
            if msg["text"] == "boom":
                raise ValueError("kaboom")
            self.sender.sendMessage("ok " + msg["text"])

        def on_close(self, ex):
            journal.add("closed", self.chat_id, ex)

    make_bot([pave_event_space()(per_chat_id(), create_open, Fragile, timeout=10)])
    alice, bob = emulator.user("Alice"), emulator.user("Bob")
    bob.send("first")
    assert bob.wait_for_message()["text"] == "ok first"
    with caplog.at_level(logging.ERROR):
        alice.send("boom")
        journal.wait_count("closed", 1)
    (chat, ex), = journal.of("closed")
    assert chat == alice.id and isinstance(ex, ValueError) and str(ex) == "kaboom"
    assert any("kaboom" in r.getMessage() or (r.exc_info and "kaboom" in str(r.exc_info[1]))
               for r in caplog.records)
    wait_threads(lambda names: names == ["telegrambot-delegate-%d" % bob.id])

    bob.send("second")  # the other delegate goes on
    assert bob.wait_for_message()["text"] == "ok second"
    alice.send("again")  # and the failed chat gets a new one
    assert alice.wait_for_message()["text"] == "ok again"


def test_stop_ends_every_delegate(emulator, make_bot, journal):
    bot = make_bot([pave_event_space()(per_chat_id(), create_open, counter_class(journal), timeout=30)])
    users = [emulator.user("U%d" % n) for n in range(5)]
    for user in users:
        user.send("hi")
    for user in users:
        user.wait_for_message()
    assert len(delegate_threads()) == 5
    bot.stop()
    assert delegate_threads() == []
    assert sorted(kind.__name__ for _, kind in journal.of("closed")) == ["StopListening"] * 5


def test_a_message_arriving_as_the_timeout_fires_reaches_a_successor(emulator, make_bot, journal):
    gate = threading.Event()

    class Slow(ChatHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.serial = next(SERIALS)

        def on_chat_message(self, msg):
            journal.add("got", self.serial, msg["text"])
            if msg["text"] == "block":
                journal.add("blocked", self)
                gate.wait(5)

        def on_close(self, ex):
            journal.add("closed", self.serial, type(ex))

    bot = make_bot([pave_event_space()(per_chat_id(), create_open, Slow, timeout=0.05)], loop=False)
    bot.handle(text_msg(7, "block"))
    journal.wait_count("blocked", 1)
    first = journal.of("blocked")[0][0]
    time.sleep(0.1)  # let the idle timeout pass while the handler is busy
    # the timeout event fires, and right behind it a message arrives for the same chat
    bot.handle(first.idle_event_coordinator._timeout_event.data)
    bot.handle(text_msg(7, "after", 2))
    gate.set()

    entries = journal.wait_for(lambda es: ("got",) == es[-1][:1] and es[-1][2] == "after")
    got = [(who, text) for kind, who, *rest in entries if kind == "got" for text in rest[:1]]
    assert got[0] == (first.serial, "block")
    assert got[1][1] == "after" and got[1][0] != first.serial  # handled by a new delegate
    assert ("closed", first.serial, IdleTerminate) in entries


def test_seeds_hashable_unhashable_none_and_every_pattern(emulator, make_bot, journal):
    done = threading.Event()

    def per_chat(seed_tuple):
        bot, msg, seed = seed_tuple
        journal.add("chat", seed, msg["text"])

    def each(seed_tuple, tag):
        bot, msg, seed = seed_tuple
        journal.add("each", tag, msg["text"])

    def blocking(seed_tuple):
        journal.add("app", seed_tuple[2])
        done.wait(5)

    bot = make_bot([
        pair(per_chat_id(), call, per_chat),
        (per_message(), call(each, "x")),
        (lambda msg: None, call(per_chat)),
        (per_application(), call(blocking)),
    ], loop=False)
    bot.handle(text_msg(1, "a"))
    bot.handle(text_msg(2, "b"))
    done.set()
    journal.wait_count("each", 2)
    wait_threads(lambda names: not names)
    assert sorted(journal.of("chat")) == [(1, "a"), (2, "b")]
    assert sorted(journal.of("each")) == [("x", "a"), ("x", "b")]
    assert journal.of("app") == [(1,)]  # at most one live delegate per hashable seed


def test_delegates_as_thread_objects_functions_and_tuples(emulator, make_bot, journal):
    class Worker(threading.Thread):
        def __init__(self, seed_tuple):
            super().__init__(name="telegrambot-test-worker", daemon=True)
            self.seed = seed_tuple[2]

        def run(self):
            journal.add("thread", self.seed)

    class Runner:
        def __init__(self, seed_tuple, tag):
            self.seed, self.tag = seed_tuple[2], tag

        def run(self):
            journal.add("run", self.seed, self.tag)

    bot = make_bot([
        (per_chat_id(), Worker),
        (per_chat_id(), create_run(Runner, "r")),
        (per_chat_id(), lambda st: (journal.add, ("tuple", st[2]), {})),
    ], loop=False)
    bot.handle(text_msg(5, "x"))
    journal.wait_for(lambda es: len(es) == 3)
    wait_threads(lambda names: not names)
    assert sorted(journal.entries) == [("run", 5, "r"), ("thread", 5), ("tuple", 5)]

    bad = make_bot([(per_chat_id(), lambda st: 42)], loop=False)
    bad.handle(text_msg(5, "x"))  # logged, not raised
    assert bad.delegate_count() == 0


def test_a_thread_object_that_ended_is_replaced(emulator, make_bot, journal):
    made = []

    class Once(threading.Thread):
        def __init__(self, seed_tuple):
            super().__init__(name="telegrambot-test-once", daemon=True)
            self.text = seed_tuple[1]["text"]
            made.append(self)

        def run(self):
            journal.add("ran", self.text)

    bot = make_bot([(per_chat_id(), Once)], loop=False)
    bot.handle(text_msg(3, "one"))
    journal.wait_count("ran", 1)
    # join the thread object itself: on Python 3.13 a thread leaves threading.enumerate()
    # a moment before is_alive() turns False
    made[0].join(5)
    bot.handle(text_msg(3, "two"))
    journal.wait_count("ran", 2)
    assert journal.of("ran") == [("one",), ("two",)]


def test_seeders():
    private = text_msg(10, "hi")
    group = text_msg(-20, "hi", chat_type="group")
    inline = {"id": "q", "from": {"id": 10}, "query": "x", "offset": "", "chat_type": "sender"}
    chosen = {"result_id": "r", "from": {"id": 10}, "query": "x", "inline_message_id": "IM"}
    cbq_chat = {"id": "c", "from": {"id": 10}, "chat_instance": "i", "data": "d",
                "message": text_msg(-20, "q", 77, chat_type="group")}
    cbq_inline = {"id": "c", "from": {"id": 10}, "chat_instance": "i", "data": "d",
                  "inline_message_id": "IM"}
    event = {"_alarm": {"source": {"space": 3, "id": 99}}}

    assert per_chat_id()(private) == 10 and per_chat_id(types=["group"])(private) is None
    assert per_chat_id(types=["group"])(group) == -20 and per_chat_id()(inline) is None
    assert per_chat_id_in({10})(private) == 10 and per_chat_id_in({11})(private) is None
    assert per_chat_id_except({10})(private) is None and per_chat_id_except({11})(private) == 10
    assert per_from_id()(private) == 10 and per_from_id()(inline) == 10
    assert per_from_id()(cbq_chat) is None and per_from_id(flavors="all")(cbq_chat) == 10
    assert per_from_id_in({10})(private) == 10 and per_from_id_in({1})(private) is None
    assert per_from_id_except({10})(private) is None and per_from_id_except({1})(private) == 10
    assert per_inline_from_id()(private) is None and per_inline_from_id()(chosen) == 10
    assert per_inline_from_id_in({10})(inline) == 10 and per_inline_from_id_in({1})(inline) is None
    assert per_inline_from_id_except({10})(inline) is None
    assert per_inline_from_id_except({1})(inline) == 10
    assert per_application()(private) == 1 and per_application()(event) == 1
    assert per_message()(private) == [] and per_message(flavors=["inline_query"])(private) is None
    assert per_event_source_id(3)(event) == 99 and per_event_source_id(4)(event) is None
    assert per_event_source_id(3)(private) is None
    assert per_callback_query_chat_id()(cbq_chat) == -20
    assert per_callback_query_chat_id(types=["private"])(cbq_chat) is None
    assert per_callback_query_chat_id()(cbq_inline) is None
    assert per_callback_query_origin()(cbq_chat) == (-20, 77)
    assert per_callback_query_origin()(cbq_inline) == ("IM",)
    assert per_callback_query_origin(origins=["inline"])(cbq_chat) is None
    assert per_callback_query_origin(origins=["chat"])(cbq_inline) is None
    assert per_callback_query_origin()(private) is None
    assert per_chat_id()({"weird": "object", "shape": 1}) is None  # no flavor: no seed

    assert chain(per_inline_from_id(), per_chat_id())(private) == 10
    assert until(lambda s: s is not None and s > 50, [per_chat_id(), lambda m: 60])(private) == 60
    assert until(lambda s: False, [per_chat_id()])(private) is None


def test_pair_producers_compose():
    def factory(*args, **kwargs):
        return args, kwargs

    seeder, (args, kwargs) = pair(per_chat_id(), factory, 1, a=2)
    assert args == (1,) and kwargs == {"a": 2} and seeder(text_msg(4, "x")) == 4

    seeder, (args, kwargs) = include_callback_query_chat_id(pave_event_space())(
        per_chat_id(), factory, timeout=1)
    space = kwargs["event_space"]
    assert kwargs["include_callback_query"] is True and kwargs["timeout"] == 1
    assert seeder({"_x": {"source": {"space": space, "id": 8}}}) == 8
    assert seeder({"id": "c", "from": {"id": 1}, "chat_instance": "i",
                   "message": text_msg(-5, "q")}) == -5
    other = pave_event_space()(per_chat_id(), factory)[1][1]["event_space"]
    assert other != space

    seeder, (args, kwargs) = intercept_callback_query_origin(origins=["chat"])(per_chat_id(), factory)
    chat_notify, inline_notify = kwargs["intercept_callback_query"]
    assert callable(chat_notify) and inline_notify is False
    query = {"id": "c", "from": {"id": 1}, "chat_instance": "i", "message": text_msg(-5, "q", 9)}
    assert seeder(query) is None
    chat_notify((-5, 9), 1234, True)
    assert seeder(query) == 1234
    chat_notify((-5, 9), 1234, False)
    assert seeder(query) is None


# ------------------------------------------------------------------ inline queries


def test_inline_query_counter_per_user_with_answerer(emulator, make_bot, journal):
    release = threading.Event()

    class QueryCounter(InlineUserHandler, AnswererMixin):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._count = 0

        def on_inline_query(self, msg):
            self._count += 1
            query = msg["query"]
            count = self._count

            def compute():
                journal.add("computing", query, threading.current_thread().name)
                if query == "slow":
                    release.wait(5)
                return [{"type": "article", "id": "r%d" % count, "title": "%s %d" % (query, count),
                         "input_message_content": {"message_text": query}}]

            self.answerer.answer(msg, compute)
            journal.add("query", query)

        def on_chosen_inline_result(self, msg):
            journal.add("chosen", msg["result_id"])

    make_bot([pave_event_space()(per_inline_from_id(), create_open, QueryCounter, timeout=10)])
    alice, bob = emulator.user("Alice"), emulator.user("Bob")

    slow = alice.inline_query("slow")
    journal.wait_count("computing", 1)
    alice.inline_query("fas")        # superseded while the slow one computes
    last = alice.inline_query("fast")
    bob_query = bob.inline_query("bob")

    answer = emulator.wait_for_request(
        "answerInlineQuery", predicate=lambda r: r.params["inline_query_id"] == bob_query["id"])
    assert answer.params["results"][0]["title"] == "bob 1"  # bob has his own delegate and count
    journal.wait_count("query", 4)  # alice's delegate has handed over all her queries
    release.set()
    answer = emulator.wait_for_request(
        "answerInlineQuery", predicate=lambda r: r.params["inline_query_id"] == last["id"])
    assert answer.params["results"][0]["title"] == "fast 3"
    alice.choose_inline_result("r3", "fast")
    journal.wait_count("chosen", 1)

    deadline = time.monotonic() + 5
    while any(t.name.startswith("telegrambot-answerer-") for t in threading.enumerate()):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    answered = [r.params["inline_query_id"] for r in emulator.requests if r.method == "answerInlineQuery"]
    assert slow["id"] not in answered  # superseded: computed, never sent
    assert sorted(answered) == sorted([last["id"], bob_query["id"]])
    computing = journal.of("computing")
    assert [q for q, name in computing if name == "telegrambot-answerer-%d" % alice.id] == ["slow", "fast"]
    assert [q for q, name in computing if name == "telegrambot-answerer-%d" % bob.id] == ["bob"]


# ------------------------------------------------------------------ callback queries


def test_callback_query_quiz_with_intercept_callback_query_origin(emulator, make_bot, journal):
    class Quiz(ChatHandler, InterceptCallbackQueryMixin):
        questions = [("1+1?", "2"), ("1+2?", "3")]

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._score = 0
            self._asked = None

        def on_chat_message(self, msg):
            if msg["text"] == "/quiz":
                self._ask(0, None)
            else:
                journal.add("chat", msg["text"], self._asked)

        def _ask(self, number, message):
            question, _ = self.questions[number]
            if message is None:
                sent = self.sender.sendMessage(question, reply_markup=INLINE_KEYBOARD)
            else:
                sent = self.bot.editMessageText(message, question, reply_markup=INLINE_KEYBOARD)
            self._asked = number
            journal.add("asked", number, sent["message_id"])

        def on_callback_query(self, msg):
            number = self._asked
            if number is None:  # a new delegate: the quiz went on without us
                number = int(msg["message"]["text"] == "1+2?")
            self._score += msg["data"] == self.questions[number][1]
            self.bot.answerCallbackQuery(msg["id"], text="noted")
            origin = (msg["message"]["chat"]["id"], msg["message"]["message_id"])
            if number + 1 < len(self.questions):
                self._ask(number + 1, origin)
            else:
                self.bot.editMessageText(origin, "done", reply_markup=None)
                self._asked = None
                journal.add("done", self._score)

        def on_close(self, ex):
            journal.add("closed", type(ex))

    make_bot([intercept_callback_query_origin(pave_event_space())(
        per_chat_id(), create_open, Quiz, timeout=0.5)])
    alice = emulator.user("Alice")
    alice.send("/quiz")
    question = alice.wait_for_message()
    assert question["text"] == "1+1?"
    journal.wait_count("asked", 1)  # sent, and its origin captured
    alice.press(question, "2")
    journal.wait_count("asked", 2)
    emulator.wait_for_request("answerCallbackQuery")

    journal.wait_count("closed", 1)  # idle: the delegate closes with the quiz half done
    wait_threads(lambda names: not names)
    alice.press(question, "3")  # the origin still maps to alice's chat: a new delegate gets it
    journal.wait_count("done", 1)
    assert journal.of("done") == [(1,)]  # the new delegate counts from zero
    emulator.wait_until(lambda: emulator.transcript(alice)[1].get("text") == "done")

    # the keyboard is gone: the origin is no longer captured nor mapped. A press that left
    # her phone before the keyboard went away still arrives: the emulator allows it only
    # with its "buttons" rule off
    emulator.rules.buttons = False
    alice.press(question, "2")
    alice.send("after")
    journal.wait_count("chat", 1)
    assert len(journal.of("done")) == 1 and len(journal.of("asked")) == 2


def test_callback_query_origin_handler_quiz(emulator, make_bot, journal):
    class Starter(ChatHandler):
        def on_chat_message(self, msg):
            self.sender.sendMessage("Press START", reply_markup={
                "inline_keyboard": [[{"text": "START", "callback_data": "start"}]]})
            self.close()

    class Quizzer(CallbackQueryOriginHandler):
        def on_callback_query(self, msg):
            journal.add("query", self.origin, msg["data"])
            if msg["data"] == "start":
                self.editor.editMessageText("1+1?", reply_markup=INLINE_KEYBOARD)
            else:
                self.editor.editMessageText("answer: " + msg["data"], reply_markup=None)
                self.close()

    make_bot([pave_event_space()(per_chat_id(), create_open, Starter, timeout=3),
              pave_event_space()(per_callback_query_origin(), create_open, Quizzer, timeout=3)])
    alice = emulator.user("Alice")
    alice.send("go")
    start = alice.wait_for_message()
    alice.press(start, "start")
    journal.wait_count("query", 1)
    emulator.wait_until(lambda: emulator.transcript(alice)[1].get("text") == "1+1?")
    alice.press(start, "2")
    journal.wait_count("query", 2)
    emulator.wait_until(lambda: emulator.transcript(alice)[1].get("text") == "answer: 2")
    origin = (alice.id, start["message_id"])
    assert journal.of("query") == [(origin, "start"), (origin, "2")]
    wait_threads(lambda names: "telegrambot-delegate-(%d, %d)" % origin not in names)


def test_include_callback_query_chat_id(emulator, make_bot, journal):
    class Lover(ChatHandler):
        def on_chat_message(self, msg):
            self.sender.sendMessage("Do you love me?", reply_markup={
                "inline_keyboard": [[{"text": "Yes", "callback_data": "yes"}]]})

        def on_callback_query(self, msg):
            journal.add("answer", self.chat_id, msg["data"])

    make_bot([include_callback_query_chat_id(pave_event_space())(
        per_chat_id(types=["private"]), create_open, Lover, timeout=5)])
    alice = emulator.user("Alice")
    alice.send("hi")
    alice.press(alice.wait_for_message(), "yes")
    journal.wait_count("answer", 1)
    assert journal.of("answer") == [(alice.id, "yes")]
    assert len(delegate_threads()) == 1


# ------------------------------------------------------------------ events and listeners


def test_events_through_the_scheduler_reach_their_own_delegate_only(emulator, make_bot, journal):
    class Alarmed(ChatHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.router.routing_table["_alarm"] = self.on__alarm

        def on_chat_message(self, msg):
            self.scheduler.event_later(0.05, ("_alarm", {"text": msg["text"]}))

        def on__alarm(self, event):
            journal.add("alarm", self.chat_id, event["_alarm"]["text"], event["_alarm"]["source"]["id"])

    make_bot([pave_event_space()(per_chat_id(), create_open, Alarmed, timeout=5),
              pave_event_space()(per_chat_id(), create_open, Alarmed, timeout=5)])
    users = [emulator.user("U%d" % n) for n in range(3)]
    for user in users:
        user.send("wake %d" % user.id)
    journal.wait_count("alarm", 6)
    alarms = journal.of("alarm")
    # two patterns, two delegates per chat, each gets its own alarm once
    assert sorted(alarms) == sorted([(u.id, "wake %d" % u.id, u.id) for u in users] * 2)
    assert len(delegate_threads()) == 6


def test_monitor_with_regex_key_and_function_templates(emulator, make_bot, journal):
    class Watcher(Monitor):
        def on_chat_message(self, msg):
            journal.add("seen", msg.get("text") or msg.get("caption"))

    capture = [[{re.compile("^(text|caption)$"): lambda value: "secret" in value}],
               [{"chat": {"type": "group"}}, lambda msg: "photo" not in msg]]
    make_bot([(per_application(), create_open(Watcher, capture))])
    alice = emulator.user("Alice")
    group = emulator.group("G", [alice])
    alice.send("a secret")          # the first message starts the monitor (open gets it)
    alice.send("public")            # no
    alice.send_photo(caption="top secret")
    alice.send("in the group", chat=group)
    alice.send("secret", chat=group)
    alice.send("end secret")
    journal.wait_count("seen", 5)
    assert [e[0] for e in journal.of("seen")] == [
        "a secret", "top secret", "in the group", "secret", "end secret"]


def test_user_handler_sees_a_user_in_every_chat(emulator, make_bot, journal):
    class PerUser(UserHandler):
        def on_chat_message(self, msg):
            journal.add("msg", self.user_id, msg["chat"]["id"], msg["text"])

    make_bot([pave_event_space()(per_from_id(), create_open, PerUser, timeout=5)])
    alice, bob = emulator.user("Alice"), emulator.user("Bob")
    group = emulator.group("G", [alice, bob])
    alice.send("1")
    alice.send("2", chat=group)
    bob.send("3", chat=group)
    journal.wait_count("msg", 3)
    assert sorted(journal.of("msg")) == sorted(
        [(alice.id, alice.id, "1"), (alice.id, group.id, "2"), (bob.id, group.id, "3")])
    assert len(delegate_threads()) == 2


def test_thread_stack_size_option(emulator, make_bot, journal):
    bot = make_bot([pave_event_space()(per_chat_id(), create_open, counter_class(journal), timeout=5)],
                   loop=False, thread_stack_size=256 * 1024)
    before = threading.stack_size()
    alice = emulator.user("Alice")
    bot.handle(text_msg(alice.id, "hi"))
    assert threading.stack_size() == before  # set for the delegate's start only
    assert alice.wait_for_message()["text"] == "1"


def test_messages_queued_for_a_closing_delegate_reach_its_successor_in_order(emulator, make_bot, journal):
    class Closer(ChatHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.serial = next(SERIALS)

        def on_chat_message(self, msg):
            journal.add("got", self.serial, msg["text"])
            if msg["text"] == "close":
                self.close()

        def on_close(self, ex):
            journal.add("closed", self.serial, type(ex))

    bot = make_bot([pave_event_space()(per_chat_id(), create_open, Closer, timeout=5)], loop=False)
    for n, text in enumerate(["a", "close", "b", "c"]):
        bot.handle(text_msg(9, text, n + 1))
    entries = journal.wait_count("got", 4)
    got = [(who, text) for kind, who, *rest in entries if kind == "got" for text in rest]
    assert [text for _, text in got] == ["a", "close", "b", "c"]  # nothing lost, in order
    assert got[0][0] == got[1][0] != got[2][0] == got[3][0]
    assert ("closed", got[0][0], StopListening) in entries


def test_a_delegate_started_from_another_delegates_thread_owns_its_listener(emulator, make_bot, journal):
    class Relay(ChatHandler):
        def on_chat_message(self, msg):
            journal.add("got", self.chat_id, msg["text"])
            if msg["text"] == "relay":
                self.bot.handle(text_msg(2, "started by 1"))
                self.close()

        def on_close(self, ex):
            journal.add("closed", self.chat_id)

    bot = make_bot([pave_event_space()(per_chat_id(), create_open, Relay, timeout=5)], loop=False)
    bot.handle(text_msg(1, "relay"))
    journal.wait_for(lambda es: ("closed", 1) in es)
    bot.handle(text_msg(2, "next"))  # chat 2's delegate outlived chat 1's and still listens
    journal.wait_count("got", 3)
    assert journal.of("got") == [(1, "relay"), (2, "started by 1"), (2, "next")]


def test_thread_stack_size_is_checked(emulator):
    with pytest.raises(ValueError, match="32 KiB"):
        DelegatorBot(emulator.token, [], api_url=emulator.api_url, thread_stack_size=4096)


def test_hundreds_of_live_delegates_each_get_their_own_messages(emulator, make_bot):
    counts = {}
    done = threading.Event()
    total = itertools.count(1)

    class Counting(ChatHandler):
        def on_chat_message(self, msg):
            counts[self.chat_id] = counts.get(self.chat_id, 0) + 1
            if next(total) == 500 * 4:
                done.set()

    bot = make_bot([pave_event_space()(per_chat_id(), create_open, Counting, timeout=30)],
                   loop=False, thread_stack_size=128 * 1024)
    for n in range(4):
        for chat_id in range(1, 501):
            bot.handle(text_msg(chat_id, "m%d" % n, n + 1))
    assert done.wait(20)
    assert counts == {chat_id: 4 for chat_id in range(1, 501)}
    assert bot.delegate_count() == 500
    bot.stop()
    assert bot.delegate_count() == 0 and delegate_threads() == []


def test_an_idle_event_never_starts_a_delegate(emulator, make_bot, journal):
    given = {}

    def factory(*args, **kwargs):
        given.update(kwargs)
        return create_open(*args, **kwargs)

    seeder, delegator = pave_event_space()(per_chat_id(), factory, counter_class(journal), timeout=5)
    bot = make_bot([(seeder, delegator)], loop=False)
    idle = {"_idle": {"source": {"space": given["event_space"], "id": 5}, "seconds": 5}}
    assert seeder(idle) == 5  # it has a seed, but concerns only a delegate that is gone
    bot.handle(idle)
    assert bot.delegate_count() == 0 and delegate_threads() == []


def test_a_message_for_an_ended_thread_object_reaches_its_successor_once(emulator, make_bot, journal):
    made = []

    class Worker(threading.Thread):
        """A delegate of the caller's own: a thread object with a listener."""

        def __init__(self, seed_tuple):
            super().__init__(name="telegrambot-test-worker", daemon=True)
            bot, msg, seed = seed_tuple
            self.serial = next(SERIALS)
            self.listener = bot.create_listener()
            self.listener.capture([{"chat": {"id": seed}}])
            journal.add("got", self.serial, msg["text"])
            made.append(self)

        def run(self):
            try:
                while True:  # until nothing more comes: a duplicate would already be queued
                    journal.add("got", self.serial, self.listener.wait(timeout=0.2)["text"])
            except WaitTooLong:
                journal.add("ended", self.serial)

    bot = make_bot([(per_chat_id(), Worker)], loop=False)
    bot.handle(text_msg(3, "one"))
    journal.wait_count("ended", 1)
    made[0].join(5)  # the object itself, not found by name (see above)
    bot.handle(text_msg(3, "two"))  # queued in the ended worker's listener, then handed on
    journal.wait_count("ended", 2)
    got = journal.of("got")
    assert [text for _, text in got] == ["one", "two"] and got[0][0] != got[1][0]


def test_what_a_closing_delegate_captured_for_another_seed_is_not_handed_out_again(emulator, make_bot, journal):
    gate = threading.Event()

    class Eavesdropper(ChatHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            if self.chat_id == 1:
                self.listener.capture([{"chat": {"id": 2}}])  # also hears chat 2

        def on_chat_message(self, msg):
            journal.add("got", self.chat_id, msg["chat"]["id"], msg["text"])
            if msg["text"] == "close":
                gate.wait(5)
                self.close()

    bot = make_bot([pave_event_space()(per_chat_id(), create_open, Eavesdropper, timeout=5)], loop=False)
    bot.handle(text_msg(1, "close"))
    journal.wait_count("got", 1)
    bot.handle(text_msg(2, "x"))  # starts chat 2's delegate, and is queued for chat 1's too
    journal.wait_count("got", 2)
    gate.set()
    wait_threads(lambda names: names == ["telegrambot-delegate-2"])
    bot.handle(text_msg(2, "y"))
    journal.wait_for(lambda es: ("got", 2, 2, "y") in es)
    assert [text for who, _, text in journal.of("got") if who == 2] == ["x", "y"]


def test_delegate_starts_on_two_bots_at_once_leave_the_stack_size_as_it_was(emulator, make_bot):
    before = threading.stack_size()
    a_in, b_in, a_done = threading.Event(), threading.Event(), threading.Event()

    class Gate(threading.Thread):
        """A thread object whose start() holds on until another event (bounded)."""

        def __init__(self, entered, proceed):
            super().__init__(name="telegrambot-test-gate", daemon=True)
            self.entered, self.proceed = entered, proceed

        def start(self):
            self.entered.set()
            self.proceed.wait(0.3)  # times out when the other bot's start waits for this one
            super().start()

        def run(self):
            pass

    bot_a = make_bot([(per_chat_id(), lambda st: Gate(a_in, b_in))], loop=False,
                     thread_stack_size=64 * 1024)
    bot_b = make_bot([(per_chat_id(), lambda st: Gate(b_in, a_done))], loop=False,
                     thread_stack_size=128 * 1024)
    handlers = [threading.Thread(target=bot.handle, args=(text_msg(n, "x"),), name="telegrambot-test-handle")
                for n, bot in ((1, bot_a), (2, bot_b))]
    try:
        handlers[0].start()
        assert a_in.wait(5)  # bot A is starting its delegate, with its stack size set
        handlers[1].start()
        handlers[0].join(5)
        a_done.set()
        handlers[1].join(5)
        assert threading.stack_size() == before
    finally:
        threading.stack_size(before)


def test_a_delegate_built_while_another_is_being_built_leaves_it_its_listener(emulator, make_bot, journal):
    class Spawner(ChatHandler):
        def __init__(self, seed_tuple, **kwargs):
            bot, _, seed = seed_tuple
            if seed == 1:
                bot.handle(text_msg(2, "spawned"))  # chat 2's delegate is built inside this
            super().__init__(seed_tuple, **kwargs)  # and then this one's listener
            journal.add("built", self)

        def on_chat_message(self, msg):
            self.close()

    bot = make_bot([pave_event_space()(per_chat_id(), create_open, Spawner, timeout=5)], loop=False)
    bot.handle(text_msg(1, "go"))
    journal.wait_count("built", 2)
    wait_threads(lambda names: not names)
    assert [delegate.listener.closed for (delegate,) in journal.of("built")] == [True, True]


# ------------------------------------------------------------------ issue 11: bounded, retired


def test_a_thread_object_delegate_is_retired_when_it_ends(emulator, make_bot):
    """Issue 11, item 11: its listener stops capturing, its registry entry goes."""
    workers = []

    class Worker(threading.Thread):
        def __init__(self, seed_tuple):
            super().__init__(name="telegrambot-test-worker", daemon=True)
            bot, msg, seed = seed_tuple
            self.listener = bot.create_listener()
            self.listener.capture([{"chat": {"id": seed}}])
            self.listener.capture([{"chat": {"id": 99}}])  # also hears another chat
            workers.append(self)

        def run(self):
            pass  # done at once

    bot = make_bot([(per_chat_id_in({1, 2, 3}), Worker)], loop=False)
    for chat_id in (1, 2, 3):
        bot.handle(text_msg(chat_id, "hi"))
    for worker in workers:
        worker.join(5)
    assert [w.listener.closed for w in workers] == [True, True, True]
    assert [w.listener.list_captures() for w in workers] == [[], [], []]
    assert bot.delegate_count() == 0 and not bot._delegates.live  # nothing kept for them
    bot.handle(text_msg(1, "again"))  # a new one starts for the same seed
    assert len(workers) == 4


def test_other_startables_are_retired_once_many_have_ended(make_bot):
    class Task:
        """Something with start() and is_alive() that is not a thread object."""

        def __init__(self, seed_tuple):
            self.listener = seed_tuple[0].create_listener()
            self.listener.capture([{"chat": {"id": seed_tuple[2]}}])

        def start(self):
            pass

        def is_alive(self):
            return False  # ended as soon as started

    bot = make_bot([(per_chat_id(), Task)], loop=False)
    for chat_id in range(1, 1001):
        bot.handle(text_msg(chat_id, "hi"))
    assert len(bot._delegates.live) < 200  # swept as their number grows, not kept forever


def test_the_callback_query_origin_map_is_bounded(make_bot):
    """Issue 11, item 14: the oldest origins are forgotten, the newest kept."""
    def factory(*args, **kwargs):
        return args, kwargs

    seeder, (args, kwargs) = intercept_callback_query_origin(max_origins=100)(
        per_chat_id(), factory)
    notify = kwargs["intercept_callback_query"]
    for message_id in range(1, 20_001):  # messages with buttons sent over a long time
        notify((-5, message_id), 1234, True)

    def query(message_id):
        return {"id": "c", "from": {"id": 1}, "chat_instance": "i",
                "message": text_msg(-5, "q", message_id)}

    assert seeder(query(20_000)) == 1234 and seeder(query(19_901)) == 1234
    assert seeder(query(19_900)) is None and seeder(query(1)) is None


def test_a_delegates_captured_origins_are_bounded(monkeypatch):
    from telegrambot.core.bounded import LimitedSet
    from telegrambot.helper import CallbackQueryCoordinator, ListenerHub

    changes = []
    listener = ListenerHub().listener()
    coordinator = CallbackQueryCoordinator(7, LimitedSet(3), lambda *c: changes.append(c), False)
    coordinator.configure(listener)
    for message_id in range(1, 6):
        coordinator.capture_origin((-5, message_id))
    captured = [pattern[0]["message"]["message_id"] for pattern in listener.list_captures()]
    assert captured == [3, 4, 5]
    assert ((-5, 1), 7, False) in changes and ((-5, 2), 7, False) in changes
    assert ((-5, 3), 7, False) not in changes


def test_stopping_many_delegates_wakes_them_a_few_at_a_time(make_bot, journal):
    """Issue 11, item 14: stop() no longer wakes every delegate at once (the time for
    10,000 is measured by benchmarks/bench_delegation.py)."""
    class Waiter(ChatHandler):
        def on_chat_message(self, msg):
            journal.add("got", self.chat_id)

    bot = make_bot([pave_event_space()(per_chat_id(), create_open, Waiter, timeout=60)],
                   loop=False)
    for chat_id in range(1, 301):
        bot.handle(text_msg(chat_id, "hi"))
    journal.wait_count("got", 300)
    woken = []
    hub = bot._hub
    put = hub.put

    def counting_put(listener, msg):
        put(listener, msg)
        woken.append(hub._waking)

    hub.put = counting_put
    bot.stop_delegates(10)
    assert bot.delegate_count() == 0
    assert len(woken) == 300 and max(woken) <= hub._max_waking


def test_the_futex_hash_is_left_alone_unless_asked(make_bot, monkeypatch):
    """Issue 11, item 15: the process-wide prctl is opt-in."""
    from telegrambot import _delegator

    calls = []
    release = threading.Event()
    monkeypatch.setattr(_delegator, "_widen_futex_hash", lambda: calls.append(1))
    monkeypatch.setattr(_delegator, "_MANY_THREADS", 3)
    try:
        default = make_bot([(per_chat_id(), call(lambda seed_tuple: release.wait(5)))],
                           loop=False)
        for chat_id in range(5):
            default.handle(text_msg(chat_id, "hi"))
        assert default.delegate_count() == 5 and calls == []
        asked = make_bot([(per_chat_id(), call(lambda seed_tuple: release.wait(5)))],
                         loop=False, widen_futex_hash=True)
        for chat_id in range(5):
            asked.handle(text_msg(chat_id, "hi"))
        assert calls  # the positive barrier: the same steps do call it when asked
    finally:
        release.set()

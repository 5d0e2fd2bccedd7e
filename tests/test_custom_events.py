"""Custom updates: DelegatorBot.deliver_event hands an event of the caller's to the delegate
of a given seed (started if none is alive), on the loop's thread, in turn with updates."""

import threading

import pytest

import telegrambot
from telegrambot import DelegatorBot
from telegrambot.delegate import create_open, pave_event_space, per_chat_id, per_from_id
from telegrambot.helper import ChatHandler, UserHandler


class Log:
    def __init__(self):
        self.items = []
        self.cond = threading.Condition()

    def add(self, item):
        with self.cond:
            self.items.append(item)
            self.cond.notify_all()

    def wait(self, n, timeout=5.0):
        with self.cond:
            assert self.cond.wait_for(lambda: len(self.items) >= n, timeout), self.items
            return list(self.items)


class Chat(ChatHandler):
    def __init__(self, seed_tuple, log, **kwargs):
        super().__init__(seed_tuple, **kwargs)
        self.log = log
        self.made = id(self)
        log.add(("open", self.chat_id, threading.current_thread().name))

    def on_chat_message(self, msg):
        self.log.add(("message", self.chat_id, msg["text"], self.made))

    def on__payload(self, event):
        self.log.add(("payload", self.chat_id, telegrambot.peel(event)["payload"], self.made))


def chat_pattern(log, timeout=10):
    return pave_event_space()(per_chat_id(), create_open, Chat, log=log, timeout=timeout)


def test_an_event_goes_to_the_live_delegate_of_its_seed(emulator):
    log = Log()
    bot = DelegatorBot(emulator.token, [chat_pattern(log)], api_url=emulator.api_url)
    bot.message_loop()
    alice, bob = emulator.user("Alice"), emulator.user("Bob")
    alice.send("hi")
    bob.send("hello")
    items = log.wait(4)
    made = {item[1]: item[3] for item in items if item[0] == "message"}
    bot.deliver_event(bob.id, "_payload", {"payload": "for Bob"})
    bot.deliver_event(alice.id, "_payload", {"payload": "for Alice"})
    items = log.wait(6)[4:]
    assert sorted(items) == sorted([("payload", bob.id, "for Bob", made[bob.id]),
                                    ("payload", alice.id, "for Alice", made[alice.id])])
    assert bot.delegate_count() == 2
    bot.stop()


def test_an_event_starts_the_delegate_when_none_is_alive(emulator):
    log = Log()
    bot = DelegatorBot(emulator.token, [chat_pattern(log)], api_url=emulator.api_url)
    bot.message_loop()
    carol = emulator.user("Carol")
    event = bot.deliver_event(carol.id, "_payload", {"payload": "first"})
    assert telegrambot.peel(event.data)["payload"] == "first"
    opened, payload = log.wait(2)
    assert opened[:2] == ("open", carol.id)
    assert payload[:3] == ("payload", carol.id, "first")
    carol.send("and now a message")  # the same delegate gets her messages
    assert log.wait(3)[2] == ("message", carol.id, "and now a message", payload[3])
    bot.stop()


def test_events_keep_their_order_and_their_delegate(emulator):
    log = Log()
    bot = DelegatorBot(emulator.token, [chat_pattern(log)], api_url=emulator.api_url)
    bot.message_loop()
    dave = emulator.user("Dave")
    dave.send("one")
    log.wait(2)
    for n in range(20):
        bot.deliver_event(dave.id, "_payload", {"payload": n})
    items = log.wait(22)
    assert [i[2] for i in items[2:22]] == list(range(20))  # in the order they were given
    dave.send("two")
    assert log.wait(23)[22][2:] == ("two", items[2][3])  # the same delegate throughout
    bot.stop()


def test_which_pattern_and_bad_arguments(emulator):
    log = Log()
    users = Log()

    class User(UserHandler):
        def on__payload(self, event):
            users.add(telegrambot.peel(event)["payload"])

    plain = DelegatorBot(emulator.token, [(per_chat_id(), create_open(Chat, log=log))],
                         api_url=emulator.api_url)
    with pytest.raises(ValueError, match="no delegation pattern is made with pave_event_space"):
        plain.deliver_event(1, "_payload")
    both = DelegatorBot(emulator.token, [
        chat_pattern(log),
        (per_chat_id(), create_open(Chat, log=log)),
        pave_event_space()(per_from_id(), create_open, User, timeout=10),
    ], api_url=emulator.api_url)
    with pytest.raises(ValueError, match="more than one"):
        both.deliver_event(1, "_payload")
    with pytest.raises(ValueError, match="pattern 1 is not made with pave_event_space"):
        both.deliver_event(1, "_payload", pattern=1)
    with pytest.raises(ValueError, match="an index in delegation_patterns"):
        both.deliver_event(1, "_payload", pattern=3)
    with pytest.raises(ValueError, match="must start with _underscore"):
        both.deliver_event(1, "payload", pattern=0)
    with pytest.raises(ValueError, match="seed of None"):
        both.deliver_event(None, "_payload", pattern=0)
    with pytest.raises(TypeError, match="data must be a dict"):
        both.deliver_event(1, "_payload", "x", pattern=0)
    both.message_loop()
    erin = emulator.user("Erin")
    both.deliver_event(erin.id, "_payload", {"payload": "to the user's delegate"}, pattern=2)
    assert users.wait(1) == ["to the user's delegate"]
    both.deliver_event(erin.id, "_payload", {"payload": "to the chat's"}, pattern=0)
    assert log.wait(2)[1][:3] == ("payload", erin.id, "to the chat's")
    assert users.items == ["to the user's delegate"]  # the chat's event went to the chat only
    both.stop()


def test_with_a_store_an_event_outlives_the_process(emulator, tmp_path):
    """deliver_event with the bot's store: stored before it returns, so an event the
    process could not hand over (here: no loop ran at all) reaches the delegate after a
    restart."""
    from telegrambot.storage import SQLiteStore

    path = str(tmp_path / "bot.db")
    log = Log()
    # one pattern for both bots: a new process numbers its event spaces afresh, in the
    # order its patterns are made, as this one did; in one process a new pattern would
    # get a new number
    pattern = chat_pattern(log)
    frank = emulator.user("Frank")
    store = SQLiteStore(path)
    bot = DelegatorBot(emulator.token, [pattern], api_url=emulator.api_url, store=store)
    bot.deliver_event(frank.id, "_payload", {"payload": "kept"})
    store.close()  # the process ends before any loop ran

    store = SQLiteStore(path)
    bot = DelegatorBot(emulator.token, [pattern], api_url=emulator.api_url, store=store)
    bot.message_loop()
    opened, payload = log.wait(2)
    assert opened[:2] == ("open", frank.id) and payload[:3] == ("payload", frank.id, "kept")
    bot.stop()
    store.close()

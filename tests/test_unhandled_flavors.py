"""A delegate lives on through every update type it has no method for.

Each of the 27 update types of Bot API 10.3 is pushed through the emulator's simulated
people to a delegate that defines only ``on_chat_message`` (and captures everything): the
flavors it has no method for are ignored, logged at DEBUG, and the same delegate answers
the message that follows them all.
"""

import logging
import threading

import pytest

from telegrambot import DelegatorBot
from telegrambot.delegate import (
    create_open,
    pave_event_space,
    per_application,
    per_chat_id_in,
    per_from_id_in,
)
from telegrambot.helper import (
    CallbackQueryOriginHandler,
    ChatHandler,
    InlineUserHandler,
    Monitor,
    UserHandler,
)

# update type -> the flavor a handler sees it as
CHAT_TYPES = {"message": "chat", "channel_post": "chat", "business_message": "chat",
              "guest_message": "chat", "edited_message": "edited_chat",
              "edited_channel_post": "edited_chat", "edited_business_message": "edited_chat"}


def _only_chat_messages(base):
    class OnlyChat(base):
        instances = []

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.listener.capture([lambda msg: True])  # everything reaches this delegate
            self.chat_messages = 0
            self.instances.append(self)

        def on_chat_message(self, msg):
            self.chat_messages += 1
            if msg.get("text") == "last":
                self.bot.sendMessage(msg["chat"]["id"], "%d chat messages, delegate %d of %d" % (
                    self.chat_messages, self.instances.index(self) + 1, len(self.instances)))

        def on_close(self, ex):
            self.closed = ex

    OnlyChat.__name__ = "OnlyChat" + base.__name__
    return OnlyChat


def _patterns(kind, alice_id):
    cls = _only_chat_messages(kind)
    if kind is ChatHandler:
        pattern = pave_event_space()(per_chat_id_in([alice_id]), create_open, cls, timeout=60)
    elif kind is Monitor:
        pattern = (per_application(), create_open(cls, capture=[]))
    elif kind is CallbackQueryOriginHandler:
        first = []

        def seeder(msg):  # the delegate of one origin, started by Alice's first message
            if not first and msg.get("text") == "first":
                first.append((alice_id, msg["message_id"]))
            return first[0] if first else None

        pattern = pave_event_space()(seeder, create_open, cls, timeout=60)
    elif kind is UserHandler:
        pattern = pave_event_space()(per_from_id_in([alice_id], flavors="all"), create_open, cls,
                                     flavors="all", timeout=60)
    else:
        pattern = pave_event_space()(per_from_id_in([alice_id], flavors="all"), create_open, cls,
                                     timeout=60)
    return cls, pattern


def _push_every_update_type(emulator, bot, alice, bob):
    """Make the emulator deliver one update of each of the 27 types; returns them."""
    group = emulator.supergroup("Club", members=[bob])
    channel = emulator.channel("News")
    pushed = []
    first = alice.send("one")
    pushed.append("message")
    alice.edit(first, "one, edited")
    post = channel.post("news")
    channel.edit(post, "news, edited")
    alice.connect_business()
    business = alice.send_business("at work")
    alice.edit(business, "at work, edited")
    alice.delete_business([business])
    alice.send_guest("guest here")
    alice.react(first, "👍")
    alice.private.reaction_count(first, {"👍": 2})
    alice.inline_query("weather")
    alice.choose_inline_result("r1", "weather")
    alice.press("inline-1", "data")
    alice.shipping_query("order-1")
    alice.pre_checkout_query("order-1")
    alice.purchase_paid_media("media-1")
    options = [{"text": "yes"}, {"text": "no"}]
    anonymous = bot.sendPoll(alice.id, "Anonymous?", options)
    alice.answer_poll(anonymous, [0])
    named = bot.sendPoll(alice.id, "Named?", options, is_anonymous=False)
    alice.answer_poll(named, [1])
    alice.block_bot()
    alice.unblock_bot()
    alice.join(group)
    alice.request_join(group)
    alice.boost(group)
    alice.remove_boost(group)
    alice.create_managed_bot("Helper")
    alice.update_subscription("subscription-1")
    alice.stop_generation(7)
    return {next(k for k in update if k != "update_id") for update in emulator.updates}


@pytest.mark.parametrize("kind", [ChatHandler, UserHandler, InlineUserHandler,
                                  CallbackQueryOriginHandler, Monitor],
                         ids=lambda kind: kind.__name__)
def test_a_delegate_ignores_the_update_types_it_has_no_method_for(emulator, caplog, kind):
    alice, bob = emulator.user("Alice"), emulator.user("Bob")
    cls, pattern = _patterns(kind, alice.id)
    bot = DelegatorBot(emulator.token, [pattern], api_url=emulator.api_url)
    caplog.set_level(logging.DEBUG, logger="telegrambot.helper")
    try:
        bot.message_loop(allowed_updates=list(emulator.facts.update_types))
        alice.send("first")
        emulator.wait_until(lambda: cls.instances)  # the delegate is up
        delivered = _push_every_update_type(emulator, bot, alice, bob)
        assert delivered == set(emulator.facts.update_types)  # all 27 went out
        alice.send("last")
        reply = alice.wait_for_message(predicate=lambda m: "chat messages" in m.get("text", ""))
    finally:
        bot.stop()
        bot.close_connections()
    assert len(emulator.facts.update_types) == 27
    # the same delegate handled everything: nothing ended it on the way
    assert reply["text"].endswith("delegate 1 of 1"), reply["text"]
    assert not hasattr(cls.instances[0], "closed") or "StopListening" in type(
        cls.instances[0].closed).__name__
    ignored = set()
    for record in caplog.records:
        text = record.getMessage()
        if record.levelno == logging.DEBUG and text.startswith(cls.__name__ + " has no "):
            ignored.add(text.rsplit(": ", 1)[1].replace(" ignored", ""))
    expected = {t for t in emulator.facts.update_types if t not in CHAT_TYPES}
    assert ignored == expected
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [
        r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_chat_handler_outlives_being_blocked(emulator):
    """The case that killed delegates: the user blocks the bot (my_chat_member in her chat)."""
    closed = threading.Event()

    class Counter(ChatHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.count = 0

        def on_chat_message(self, msg):
            self.count += 1
            self.sender.sendMessage("message %d" % self.count)

        def on_close(self, ex):
            closed.set()

    alice = emulator.user("Alice")
    bot = DelegatorBot(emulator.token, [
        pave_event_space()(per_chat_id_in([alice.id]), create_open, Counter, timeout=60),
    ], api_url=emulator.api_url)
    try:
        bot.message_loop()
        alice.send("a")
        assert alice.wait_for_message()["text"] == "message 1"
        alice.block_bot()
        alice.unblock_bot()
        alice.send("b")
        assert alice.wait_for_message()["text"] == "message 2"  # the count survived
        assert not closed.is_set()
    finally:
        bot.stop()
        bot.close_connections()

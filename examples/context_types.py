"""Data per chat and per bot, without a context object: attributes.

``/start`` sends a message with a [Click me!] button that counts its clicks, each message
its own count; ``/print_users`` lists everyone who has used the bot. The counts belong to
a chat, so they are attributes of the chat's ``ClickCounter`` (a ChatHandler: one object
per chat, on its own thread, which also receives the presses on its messages). The users
belong to the whole bot, so they are an attribute of a ``DelegatorBot`` subclass that
notes the sender of every update in ``handle`` before delegating it; delegates reach it
as ``self.bot``. Both live in memory: a chat's counts go when its handler closes after
``IDLE`` quiet seconds. The counterpart of python-telegram-bot's contexttypesbot.py
(there: a custom CallbackContext with chat_data and bot_data).
"""

import collections
import sys
import threading

from _common import main

import telegrambot
from telegrambot import DelegatorBot
from telegrambot.delegate import (
    create_open,
    include_callback_query_chat_id,
    pave_event_space,
    per_chat_id,
)
from telegrambot.helper import ChatHandler

BUTTON = {"inline_keyboard": [[{"text": "Click me!", "callback_data": "click"}]]}
IDLE = 600.0  # seconds


def clicked(times):
    return "This button was clicked <i>%d</i> times." % times


class UserTrackingBot(DelegatorBot):
    """Remembers the id of every user it hears from."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._user_ids = set()
        self._user_ids_lock = threading.Lock()  # read by delegates, on their own threads

    def handle(self, msg):
        user = msg.get("from") or msg.get("user")  # most updates say who caused them
        if user is not None:
            with self._user_ids_lock:
                self._user_ids.add(user["id"])
        super().handle(msg)

    def user_ids(self):
        with self._user_ids_lock:
            return sorted(self._user_ids)


class ClickCounter(ChatHandler):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.clicks = collections.Counter()  # message id -> clicks on its button

    def on_chat_message(self, msg):
        text = msg.get("text", "")
        if text.startswith("/print_users"):
            self.sender.sendMessage("The following user IDs have used this bot: %s" % (
                ", ".join(str(user_id) for user_id in self.bot.user_ids())))
        elif text.startswith("/start"):
            self.sender.sendMessage(clicked(0), parse_mode="HTML", reply_markup=BUTTON)

    def on_callback_query(self, msg):
        query_id, from_id, data = telegrambot.glance(msg, flavor="callback_query")
        message_id = msg["message"]["message_id"]
        self.clicks[message_id] += 1
        self.bot.answerCallbackQuery(query_id)
        self.bot.editMessageText(telegrambot.origin_identifier(msg), clicked(self.clicks[message_id]),
                                 parse_mode="HTML", reply_markup=BUTTON)


def start(token, api_url):
    bot = UserTrackingBot(token, [
        include_callback_query_chat_id(pave_event_space())(
            per_chat_id(), create_open, ClickCounter, timeout=IDLE),
    ], api_url=api_url)
    bot.message_loop()
    return bot


def scenario(talk):
    alice, bob, carol = talk.user("Alice"), talk.user("Bob"), talk.user("Carol")
    talk.say(alice, "/start")
    first = talk.expect(alice, "This button was clicked 0 times.\n[Click me!]")
    assert first["entities"] == [{"type": "italic", "offset": 24, "length": 1}], first
    for times in (1, 2):
        talk.expect_answer(talk.press(alice, first, "Click me!"))
        talk.expect_edit(first, "clicked %d times." % times)
    talk.say(alice, "/start")
    second = talk.expect(alice, "clicked 0 times.")
    talk.expect_answer(talk.press(alice, second, "Click me!"))
    talk.expect_edit(second, "clicked 1 times.")  # each message counts its own clicks
    talk.expect_answer(talk.press(alice, first, "Click me!"))
    talk.expect_edit(first, "clicked 3 times.")

    talk.say(bob, "/start")
    his = talk.expect(bob, "clicked 0 times.")
    talk.expect_answer(talk.press(bob, his, "Click me!"))
    talk.expect_edit(his, "clicked 1 times.")  # and each chat its own messages

    talk.say(carol, "/print_users")
    talk.expect(carol, "The following user IDs have used this bot: %d, %d, %d"
                % (alice.id, bob.id, carol.id))


if __name__ == "__main__":
    sys.exit(main(start, scenario, __doc__))

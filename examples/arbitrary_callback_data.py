"""Arbitrary callback data: buttons that carry Python objects, kept across restarts.

``/start`` sends five buttons, 1 to 5, each carrying a tuple ``(number, numbers so far)``
as its ``callback_data``; a press appends the number and edits the message with the list
and five new buttons. With ``Bot(arbitrary_callback_data=True)`` the library keeps each
keyboard's objects and sends short ids to Telegram (whose limit is 64 bytes of text), and
a press brings the object back as ``query["data"]``. With ``--store FILE`` the keyboards
are kept in that SQLite file too, so buttons sent before a restart still work.
``/clear`` forgets every keyboard: a button pressed after that brings an
``InvalidCallbackData``, and the bot says so. The counterpart of python-telegram-bot's
arbitrarycallbackdatabot.py::

    python examples/arbitrary_callback_data.py TOKEN --store keyboards.db
"""

import sys

from _common import main

import telegrambot
from telegrambot import InvalidCallbackData

HELP = ("Use /start to test this bot. Use /clear to clear the stored data so that you can "
        "see what happens if the button data is not available.")


def keyboard(numbers):
    """Five buttons in a column, each carrying (its number, the numbers so far)."""
    return {"inline_keyboard": [[{"text": str(n), "callback_data": (n, numbers)}]
                                for n in range(1, 6)]}


class ListBot(telegrambot.Bot):
    def on_chat_message(self, msg):
        chat_id = msg["chat"]["id"]
        command = msg.get("text", "").split(maxsplit=1)[0:1]
        if command == ["/start"]:
            self.sendMessage(chat_id, "Please choose:", reply_markup=keyboard([]))
        elif command == ["/clear"]:
            self.callback_data.clear()
            self.sendMessage(chat_id, "All clear!")
        else:
            self.sendMessage(chat_id, HELP)

    def on_callback_query(self, query):
        self.answerCallbackQuery(query["id"])
        where = telegrambot.origin_identifier(query)
        if isinstance(query["data"], InvalidCallbackData):
            self.editMessageText(where, "Sorry, I could not process this button click \U0001f615 "
                                        "Please send /start to get a new keyboard.")
            return
        number, numbers = query["data"]  # the tuple the button was given
        numbers = numbers + [number]  # a new list: the old buttons keep theirs
        self.editMessageText(where, "So far you've selected %s. Choose the next item:" % numbers,
                             reply_markup=keyboard(numbers))
        self.callback_data.drop(query)  # the old buttons are gone from the message


def start(token, api_url, store=None):
    bot = ListBot(token, api_url, store=store, arbitrary_callback_data=True)
    bot.message_loop()
    return bot


def scenario(talk):
    alice = talk.user("Alice")
    talk.say(alice, "/help")
    talk.expect(alice, "Use /start to test this bot.")
    talk.say(alice, "/start")
    menu = talk.expect(alice, "Please choose:\n[1] [2] [3] [4] [5]")
    wire = [row[0]["callback_data"] for row in menu["reply_markup"]["inline_keyboard"]]
    assert all(isinstance(data, str) and len(data) < 64 for data in wire), wire
    talk.expect_answer(talk.press(alice, menu, "3"))
    talk.expect_edit(menu, "So far you've selected [3]. Choose the next item:\n[1] [2]")
    talk.expect_answer(talk.press(alice, menu, "5"))
    talk.expect_edit(menu, "So far you've selected [3, 5].")
    talk.say(alice, "/start")
    second = talk.expect(alice, "Please choose:")
    talk.expect_answer(talk.press(alice, second, "1"))
    talk.expect_edit(second, "So far you've selected [1].")
    talk.say(alice, "/clear")
    talk.expect(alice, "All clear!")
    talk.expect_answer(talk.press(alice, menu, "2"))
    talk.expect_edit(menu, "Sorry, I could not process this button click")


if __name__ == "__main__":
    sys.exit(main(start, scenario, __doc__))

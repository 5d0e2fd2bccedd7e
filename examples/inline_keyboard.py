"""Inline keyboard: three buttons under a message; a press edits the message.

``/start`` sends "Please choose:" with buttons Option 1 and Option 2 on one row and
Option 3 on the next. Pressing one answers the callback query (clients show a spinner on
the button until it is answered) and edits the message to say which was selected.
Anything else gets a hint. The counterpart of python-telegram-bot's inlinekeyboard.py.
"""

import sys

from _common import main

import telegrambot

KEYBOARD = {"inline_keyboard": [
    [{"text": "Option 1", "callback_data": "1"}, {"text": "Option 2", "callback_data": "2"}],
    [{"text": "Option 3", "callback_data": "3"}],
]}


def start(token, api_url):
    bot = telegrambot.Bot(token, api_url)

    def on_chat(msg):
        content_type, chat_type, chat_id = telegrambot.glance(msg)
        if msg.get("text", "").startswith("/start"):
            bot.sendMessage(chat_id, "Please choose:", reply_markup=KEYBOARD)
        else:
            bot.sendMessage(chat_id, "Use /start to test this bot.")

    def on_callback_query(msg):
        query_id, from_id, data = telegrambot.glance(msg, flavor="callback_query")
        bot.answerCallbackQuery(query_id)
        # the message the button is under: (chat_id, message_id), or the inline message id
        bot.editMessageText(telegrambot.origin_identifier(msg), "Selected option: %s" % data)

    bot.message_loop({"chat": on_chat, "callback_query": on_callback_query})
    return bot


def scenario(talk):
    alice = talk.user("Alice")
    talk.say(alice, "/help")
    talk.expect(alice, "Use /start to test this bot.")
    talk.say(alice, "/start")
    menu = talk.expect(alice, "Please choose:\n[Option 1] [Option 2] [Option 3]")
    rows = [[b["text"] for b in row] for row in menu["reply_markup"]["inline_keyboard"]]
    assert rows == [["Option 1", "Option 2"], ["Option 3"]], rows
    talk.expect_answer(talk.press(alice, menu, "Option 2"))
    edited = talk.expect_edit(menu, "Selected option: 2")
    assert "reply_markup" not in edited, "the buttons should be gone"
    talk.say(alice, "/start")
    menu = talk.expect(alice, "Please choose:")
    talk.expect_answer(talk.press(alice, menu, "Option 3"))
    talk.expect_edit(menu, "Selected option: 3")


if __name__ == "__main__":
    sys.exit(main(start, scenario, __doc__))

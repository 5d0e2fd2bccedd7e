"""Echo bot: the smallest useful bot, a skeleton to start from.

``/start`` greets the user by a mention and asks for a reply (her app opens one at once),
``/help`` helps, other text is echoed and anything else is named (``glance`` tells what
arrived). The counterpart of python-telegram-bot's echobot.py.
"""

import html
import sys

from _common import main

import telegrambot


def start(token, api_url):
    bot = telegrambot.Bot(token, api_url)

    def handle(msg):
        content_type, chat_type, chat_id = telegrambot.glance(msg)
        if content_type != "text":
            bot.sendMessage(chat_id, "That was a %s, in a %s chat." % (content_type, chat_type))
        elif msg["text"].startswith("/start"):
            user = msg["from"]
            mention = '<a href="tg://user?id=%d">%s</a>' % (user["id"], html.escape(user["first_name"]))
            bot.sendMessage(chat_id, "Hi %s!" % mention, parse_mode="HTML",
                            reply_markup={"force_reply": True, "selective": True})
        elif msg["text"].startswith("/help"):
            bot.sendMessage(chat_id, "Help!")
        else:
            bot.sendMessage(chat_id, msg["text"])

    bot.message_loop(handle)
    return bot


def scenario(talk):
    alice = talk.user("Alice")
    talk.say(alice, "/start")
    hello = talk.expect(alice, "Hi Alice!")
    assert [(e["type"], e["user"]["id"]) for e in hello["entities"]] == [("text_mention", alice.id)]
    asked = talk.emu.wait_for_request("sendMessage", predicate=lambda r: r.params["text"].startswith("Hi"))
    assert asked.params["reply_markup"] == {"force_reply": True, "selective": True}, asked
    talk.note("her app opens a reply to it")
    talk.say(alice, "/help")
    talk.expect(alice, "Help!")
    talk.say(alice, "Hello, bot!")
    talk.expect(alice, "Hello, bot!")
    talk.act(alice, "sends a photo", lambda: alice.send_photo())
    talk.expect(alice, "That was a photo, in a private chat.")


if __name__ == "__main__":
    sys.exit(main(start, scenario, __doc__))

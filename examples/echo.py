"""Echo bot: the smallest useful bot, a skeleton to start from.

``glance`` tells what arrived; text is echoed, anything else is named.
"""

import sys

from _common import main

import telegrambot


def start(token, api_url):
    bot = telegrambot.Bot(token, api_url)

    def handle(msg):
        content_type, chat_type, chat_id = telegrambot.glance(msg)
        if content_type == "text":
            bot.sendMessage(chat_id, msg["text"])
        else:
            bot.sendMessage(chat_id, "That was a %s, in a %s chat." % (content_type, chat_type))

    bot.message_loop(handle)
    return bot


def scenario(talk):
    alice = talk.user("Alice")
    talk.say(alice, "Hello, bot!")
    talk.expect(alice, "Hello, bot!")
    talk.act(alice, "sends a photo", lambda: alice.send_photo())
    talk.expect(alice, "That was a photo, in a private chat.")


if __name__ == "__main__":
    sys.exit(main(start, scenario, __doc__))

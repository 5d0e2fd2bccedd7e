"""Routing tables: one function per kind of thing, no chains of ``if``.

``message_loop`` takes a table from flavor to function; inside the ``chat`` flavor a
:class:`~telegrambot.helper.Router` picks a function per command, and another one per
content type for everything that is not a command.
"""

import sys

from _common import main

import telegrambot
from telegrambot.helper import Router
from telegrambot.routing import by_chat_command, by_content_type


def start(token, api_url):
    bot = telegrambot.Bot(token, api_url)

    def reply(msg, text):
        bot.sendMessage(msg["chat"]["id"], text)

    # content type -> function; each also receives the content itself (msg[content_type])
    contents = Router(by_content_type(), {
        "text": lambda msg, text: reply(msg, "Commands start with /, try /help."),
        "photo": lambda msg, sizes: reply(msg, "A photo, %d sizes." % len(sizes)),
        "location": lambda msg, loc: reply(msg, "You are at %.2f, %.2f." % (
            loc["latitude"], loc["longitude"])),
        None: lambda msg, content: reply(msg, "I have no use for that."),
    })

    # command -> function; by_chat_command(pass_args=True) passes the words after it
    commands = Router(by_chat_command(pass_args=True), {
        "start": lambda msg, args: reply(msg, "Hello! Try /help."),
        "help": lambda msg, args: reply(msg, "/add 1 2 3 adds numbers; send a photo or a location."),
        "add": lambda msg, args: reply(msg, "= %g" % sum(float(a) for a in args)),
        (None,): contents.route,  # not a command at all: route by content type
        None: lambda msg, args: reply(msg, "Unknown command."),
    })

    def on_chat(msg):
        if "text" in msg:
            commands.route(msg)
        else:
            contents.route(msg)

    def on_edited_chat(msg):
        reply(msg, "I saw that edit.")

    bot.message_loop({"chat": on_chat, "edited_chat": on_edited_chat})
    return bot


def scenario(talk):
    alice = talk.user("Alice")
    talk.say(alice, "/help")
    talk.expect(alice, "/add 1 2 3")
    message = talk.say(alice, "/add 1 2 3.5")
    talk.expect(alice, "= 6.5")
    talk.say(alice, "/fly")
    talk.expect(alice, "Unknown command.")
    talk.say(alice, "plain words")
    talk.expect(alice, "Commands start with /")
    talk.act(alice, "sends a location",
             lambda: alice.send(location={"latitude": 51.5, "longitude": -0.12}))
    talk.expect(alice, "You are at 51.50, -0.12.")
    talk.act(alice, "edits /add 1 2 3.5", lambda: alice.edit(message, "/add 1 2 3"))
    talk.expect(alice, "I saw that edit.")


if __name__ == "__main__":
    sys.exit(main(start, scenario, __doc__))

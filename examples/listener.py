"""A conversation written top to bottom: a function delegate waiting on a Listener.

Where a ChatHandler answers one message per method call, a delegate made with ``call``
is a plain function on its own thread: it asks, waits for the reply with
``listener.wait()``, and goes on. Local variables are its state.
"""

import sys

from _common import main

from telegrambot import DelegatorBot
from telegrambot.delegate import call, per_chat_id
from telegrambot.exception import WaitTooLong

PATIENCE = 2.0  # seconds to wait for each answer


def questionnaire(seed_tuple):
    bot, first_msg, chat_id = seed_tuple
    listener = bot.create_listener()  # closed by the bot when this function returns
    listener.capture([{"chat": {"id": chat_id}}])

    def ask(question):
        bot.sendMessage(chat_id, question)
        return listener.wait(timeout=PATIENCE).get("text", "")

    try:
        name = ask("Hello! What is your name?")
        colour = ask("And your favourite colour, %s?" % name)
        bot.sendMessage(chat_id, "%s likes %s. Noted!" % (name, colour.lower()))
    except WaitTooLong:
        bot.sendMessage(chat_id, "No answer? Never mind. Say anything to start again.")


def start(token, api_url):
    bot = DelegatorBot(token, [(per_chat_id(types=["private"]), call(questionnaire))],
                       api_url=api_url)
    bot.message_loop()
    return bot


def scenario(talk):
    alice = talk.user("Alice")
    talk.say(alice, "hi")
    talk.expect(alice, "What is your name?")
    talk.say(alice, "Alice")
    talk.expect(alice, "favourite colour, Alice?")
    talk.say(alice, "Green")
    talk.expect(alice, "Alice likes green. Noted!")
    talk.say(alice, "hi again")
    talk.expect(alice, "What is your name?")
    talk.note("Alice does not answer")
    talk.expect(alice, "No answer?")


if __name__ == "__main__":
    sys.exit(main(start, scenario, __doc__))

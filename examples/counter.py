"""Per-chat counter: a ChatHandler per chat, closed after a quiet spell.

Each chat gets its own ``MessageCounter`` on its own thread, so the count is a plain
attribute. After ``IDLE`` seconds without a message the handler closes (``on_close`` says
goodbye); the next message starts a fresh one, counting from 1 again.
"""

import sys

from _common import main

from telegrambot import DelegatorBot
from telegrambot.delegate import create_open, pave_event_space, per_chat_id
from telegrambot.exception import IdleTerminate
from telegrambot.helper import ChatHandler

IDLE = 2.0  # seconds; a real bot would wait longer


class MessageCounter(ChatHandler):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.count = 0

    def on_chat_message(self, msg):
        self.count += 1
        self.sender.sendMessage("Message %d of this conversation" % self.count)

    def on_close(self, ex):
        if isinstance(ex, IdleTerminate):
            self.sender.sendMessage("Quiet for %g s: I forget the count." % ex.seconds)


def start(token, api_url):
    bot = DelegatorBot(token, [
        pave_event_space()(per_chat_id(), create_open, MessageCounter, timeout=IDLE),
    ], api_url=api_url)
    bot.message_loop()
    return bot


def scenario(talk):
    alice, bob = talk.user("Alice"), talk.user("Bob")
    for number, text in enumerate(("one", "two", "three"), 1):
        talk.say(alice, text)
        talk.expect(alice, "Message %d " % number)
    talk.say(bob, "hi")
    talk.expect(bob, "Message 1 ")  # Bob's chat has a counter of its own
    talk.note("both wait")
    talk.expect(alice, "I forget the count.")
    talk.expect(bob, "I forget the count.")
    talk.say(alice, "again")
    talk.expect(alice, "Message 1 ")


if __name__ == "__main__":
    sys.exit(main(start, scenario, __doc__))

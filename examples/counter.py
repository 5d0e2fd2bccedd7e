"""Per-chat counter: a ChatHandler per chat, its count in ``self.state``.

Each chat gets its own ``MessageCounter`` on its own thread. The count lives in
``self.state``, the dict a delegate keeps under its seed (the chat id): after ``IDLE``
seconds without a message the handler closes, and the next message starts a fresh handler
that finds the count where the last one left it. With ``--store bot.db`` the state is kept
in that SQLite file, so the count also survives a restart of the bot (run it twice)::

    python examples/counter.py --emulate --store /tmp/counter.db
"""

import sys

from _common import main

from telegrambot import DelegatorBot
from telegrambot.delegate import create_open, pave_event_space, per_chat_id
from telegrambot.exception import IdleTerminate
from telegrambot.helper import ChatHandler

IDLE = 2.0  # seconds; a real bot would wait longer


class MessageCounter(ChatHandler):
    def on_chat_message(self, msg):
        self.state["count"] = self.state.get("count", 0) + 1
        self.sender.sendMessage("Message %d of this conversation" % self.state["count"])

    def on_close(self, ex):
        if isinstance(ex, IdleTerminate):
            self.sender.sendMessage("Quiet for %g s: I close; the count stays." % ex.seconds)


def start(token, api_url, store=None):
    bot = DelegatorBot(token, [
        pave_event_space()(per_chat_id(), create_open, MessageCounter, timeout=IDLE),
    ], api_url=api_url, store=store)
    bot.message_loop()
    return bot


def count(reply):
    """The number in "Message N of this conversation"."""
    return int(reply["text"].split()[1])


def scenario(talk):
    alice, bob = talk.user("Alice"), talk.user("Bob")
    talk.say(alice, "one")
    first = count(talk.expect(alice, "Message "))  # 1, unless a stored count goes on
    for number, text in enumerate(("two", "three"), first + 1):
        talk.say(alice, text)
        talk.expect(alice, "Message %d " % number)
    talk.say(bob, "hi")
    talk.expect(bob, "Message ")  # Bob's chat has a count of its own
    talk.note("both wait")
    talk.expect(alice, "the count stays.")
    talk.expect(bob, "the count stays.")
    talk.say(alice, "again")
    talk.expect(alice, "Message %d " % (first + 3))  # a new handler, the same state


if __name__ == "__main__":
    sys.exit(main(start, scenario, __doc__))

"""An inline handler per user: each user's inline activity goes to an object of its own.

``per_inline_from_id`` seeds a delegate per user for inline queries and chosen results;
``InlineUserHandler`` receives them, and ``AnswererMixin`` gives it ``self.answerer``.
State (here: how many queries the user sent, what they chose) is kept in attributes until
the user has been quiet for ``IDLE`` seconds.
"""

import sys

from _common import main

import telegrambot
from telegrambot import DelegatorBot
from telegrambot.delegate import create_open, pave_event_space, per_inline_from_id
from telegrambot.helper import AnswererMixin, InlineUserHandler
from telegrambot.namedtuple import InlineQueryResultArticle, InputTextMessageContent

IDLE = 2.0  # seconds


class QueryCounter(InlineUserHandler, AnswererMixin):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.queries = 0
        self.chosen = []

    def on_inline_query(self, msg):
        query_id, from_id, query = telegrambot.glance(msg, flavor="inline_query")
        self.queries += 1
        count = self.queries

        def compute():
            return [InlineQueryResultArticle(
                id="q%d" % count, title="Query %d from you: %s" % (count, query),
                input_message_content=InputTextMessageContent(message_text=query or "..."),
            )]

        self.answerer.answer(msg, compute)

    def on_chosen_inline_result(self, msg):
        result_id, from_id, query = telegrambot.glance(msg, flavor="chosen_inline_result")
        self.chosen.append(result_id)

    def on_close(self, ex):
        self.sender.sendMessage("You sent %d inline queries and chose %s." % (
            self.queries, ", ".join(self.chosen) or "nothing"))


def start(token, api_url):
    bot = DelegatorBot(token, [
        pave_event_space()(per_inline_from_id(), create_open, QueryCounter, timeout=IDLE),
    ], api_url=api_url)
    bot.message_loop()
    return bot


def scenario(talk):
    alice, bob = talk.user("Alice"), talk.user("Bob")
    for user, words in ((alice, "cats"), (bob, "dogs"), (alice, "cats and mice")):
        talk.show(user.user["first_name"], "(types @emulator_bot %s)" % words)
        talk.expect_answer(user.inline_query(words), "from you: " + words)
    talk.act(alice, "chooses q2", lambda: alice.choose_inline_result("q2", "cats and mice"))
    talk.note("both go quiet")
    talk.expect(alice, "You sent 2 inline queries and chose q2.")
    talk.expect(bob, "You sent 1 inline queries and chose nothing.")


if __name__ == "__main__":
    sys.exit(main(start, scenario, __doc__))

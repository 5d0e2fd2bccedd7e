"""An inline handler per user on asyncio: the twin of inline_per_user.py.

``per_inline_from_id`` seeds a delegate per user for inline queries and chosen results; an
``InlineUserHandler`` task receives them and answers through an ``Answerer`` (a task per
user, a newer query superseding an older one still being computed). State is kept in
attributes until the user has been quiet for ``IDLE`` seconds. The same scripted users as
inline_per_user.py check it. Needs the ``aio`` extra.
"""

import sys

from _common import in_event_loop, main
from inline_per_user import IDLE, scenario

import telegrambot
from telegrambot.aio.delegate import DelegatorBot, create_open, pave_event_space, per_inline_from_id
from telegrambot.aio.helper import Answerer, InlineUserHandler
from telegrambot.namedtuple import InlineQueryResultArticle, InputTextMessageContent


class QueryCounter(InlineUserHandler):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.answerer = Answerer(self.bot)
        self.queries = 0
        self.chosen = []

    def on_inline_query(self, msg):
        query_id, from_id, query = telegrambot.glance(msg, flavor="inline_query")
        self.queries += 1
        count = self.queries

        async def compute():
            return [InlineQueryResultArticle(
                id="q%d" % count, title="Query %d from you: %s" % (count, query),
                input_message_content=InputTextMessageContent(message_text=query or "..."),
            )]

        self.answerer.answer(msg, compute)

    def on_chosen_inline_result(self, msg):
        result_id, from_id, query = telegrambot.glance(msg, flavor="chosen_inline_result")
        self.chosen.append(result_id)

    async def on_close(self, ex):
        await self.sender.sendMessage("You sent %d inline queries and chose %s." % (
            self.queries, ", ".join(self.chosen) or "nothing"))


async def serve(token, api_url, stopped):
    async with DelegatorBot(token, [
        pave_event_space()(per_inline_from_id(), create_open, QueryCounter, timeout=IDLE),
    ], api_url=api_url) as bot:
        bot.message_loop()
        await stopped.wait()


if __name__ == "__main__":
    sys.exit(main(in_event_loop(serve), scenario, __doc__))

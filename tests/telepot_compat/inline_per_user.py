"""Answer inline queries per user: each user has a QueryCounter of her own.

$ python inline_per_user.py <token> [idle seconds]
"""

import sys

import telegrambot as telepot
from telegrambot.delegate import create_open, pave_event_space, per_inline_from_id
from telegrambot.namedtuple import InlineQueryResultArticle, InputTextMessageContent


class QueryCounter(telepot.helper.InlineUserHandler, telepot.helper.AnswererMixin):
    def __init__(self, *args, **kwargs):
        super(QueryCounter, self).__init__(*args, **kwargs)
        self._count = 0

    def on_inline_query(self, msg):
        def compute():
            query_id, from_id, query_string = telepot.glance(msg, flavor='inline_query')
            print(self.id, ':', 'Inline Query:', query_id, from_id, query_string)

            self._count += 1
            text = '%d. %s' % (self._count, query_string)

            articles = [InlineQueryResultArticle(
                            id='abc',
                            title=text,
                            input_message_content=InputTextMessageContent(
                                message_text=text
                            )
                       )]

            return articles

        self.answerer.answer(msg, compute)

    def on_chosen_inline_result(self, msg):
        result_id, from_id, query_string = telepot.glance(msg, flavor='chosen_inline_result')
        print(self.id, ':', 'Chosen Inline Result:', result_id, from_id, query_string)
        self.sender.sendMessage('You sent %d inline queries and chose %s' % (self._count, query_string))


TOKEN = sys.argv[1]  # get token from command-line
TIMEOUT = float(sys.argv[2]) if len(sys.argv) > 2 else 10

bot = telepot.DelegatorBot(TOKEN, [
    pave_event_space()(
        per_inline_from_id(), create_open, QueryCounter, timeout=TIMEOUT),
])
bot.message_loop(run_forever='Listening ...')

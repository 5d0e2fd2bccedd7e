"""The skeleton of a telepot bot with the default router: a Bot subclass whose
on_chat_message / on_callback_query / on_inline_query methods receive what
message_loop() (given no callback) routes to them.

$ python skeleton.py <token>
"""

import sys

import telegrambot as telepot
from telegrambot.namedtuple import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
)


class YourBot(telepot.Bot):
    def on_chat_message(self, msg):
        content_type, chat_type, chat_id = telepot.glance(msg)
        print('Chat:', content_type, chat_type, chat_id)

        if content_type != 'text':
            self.sendMessage(chat_id, 'I only read text, not %s' % content_type)
            return

        keyboard = InlineKeyboardMarkup(inline_keyboard=[
            [InlineKeyboardButton(text='Press me', callback_data='press')],
        ])
        self.sendMessage(chat_id, 'You said: %s' % msg['text'], reply_markup=keyboard)

    def on_callback_query(self, msg):
        query_id, from_id, query_data = telepot.glance(msg, flavor='callback_query')
        print('Callback Query:', query_id, from_id, query_data)
        self.answerCallbackQuery(query_id, text='Got it')

    def on_inline_query(self, msg):
        query_id, from_id, query_string = telepot.glance(msg, flavor='inline_query')
        articles = [InlineQueryResultArticle(
                        id='abc',
                        title=query_string.upper(),
                        input_message_content=InputTextMessageContent(
                            message_text=query_string.upper()
                        )
                   )]
        self.answerInlineQuery(query_id, articles)


TOKEN = sys.argv[1]  # get token from command-line

bot = YourBot(TOKEN)
bot.message_loop(run_forever='Listening ...')

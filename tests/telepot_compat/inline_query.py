"""Answer inline queries with an Answerer: at most one thread computes per user, and an
answer overtaken by a newer query of the same user is dropped.

The last character of the query picks the results: `a` articles, `p` photos, `b` both,
with a button to switch to a private chat with the bot.

$ python inline_query.py <token>
"""

import sys
import time

import telegrambot as telepot
from telegrambot.namedtuple import (
    InlineQueryResultArticle,
    InlineQueryResultPhoto,
    InputTextMessageContent,
)


def on_inline_query(msg):
    def compute():
        query_id, from_id, query_string = telepot.glance(msg, flavor='inline_query')
        print('Inline Query:', query_id, from_id, query_string)

        articles = [InlineQueryResultArticle(
                        id='abcde', title='Telegram',
                        input_message_content=InputTextMessageContent(message_text='Telegram is a messaging app')),
                    dict(type='article',
                         id='fghij', title='Google', input_message_content=dict(message_text='Google is a search engine'))]

        photo1_url = 'https://core.telegram.org/file/811140934/1/tbDSLHSaijc/fdcc7b6d5fb3354adf'
        photo2_url = 'https://www.telegram.org/img/t_logo.png'
        photos = [InlineQueryResultPhoto(
                      id='12345', photo_url=photo1_url, thumb_url=photo1_url),
                  dict(type='photo',
                       id='67890', photo_url=photo2_url, thumbnail_url=photo2_url)]

        result_type = query_string[-1:].lower()

        if result_type == 'a':
            return articles
        elif result_type == 'p':
            return photos
        else:
            return dict(results=articles + photos, cache_time=0, switch_pm_text='Back to Bot',
                        switch_pm_parameter='inline')

    answerer.answer(msg, compute)


def on_chosen_inline_result(msg):
    result_id, from_id, query_string = telepot.glance(msg, flavor='chosen_inline_result')
    print('Chosen Inline Result:', result_id, from_id, query_string)
    bot.sendMessage(from_id, 'You chose %s for "%s"' % (result_id, query_string))


TOKEN = sys.argv[1]  # get token from command-line

bot = telepot.Bot(TOKEN)
answerer = telepot.helper.Answerer(bot)

bot.message_loop({'inline_query': on_inline_query,
                  'chosen_inline_result': on_chosen_inline_result})
print('Listening ...')

while 1:
    time.sleep(10)

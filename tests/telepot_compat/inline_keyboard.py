"""A bot which does two things:

- When you send it a message, it gives you an inline keyboard.
- When you press a button on the inline keyboard, it says "Got it" (and edits its message
  for the second button).

$ python inline_keyboard.py <token>
"""

import sys
import time

import telegrambot as telepot
from telegrambot.namedtuple import InlineKeyboardButton, InlineKeyboardMarkup

message_with_inline_keyboard = None


def on_chat_message(msg):
    content_type, chat_type, chat_id = telepot.glance(msg)

    keyboard = InlineKeyboardMarkup(inline_keyboard=[
                   [InlineKeyboardButton(text='Press me', callback_data='press')],
                   [dict(text='Edit me', callback_data='edit')],
               ])

    global message_with_inline_keyboard
    message_with_inline_keyboard = bot.sendMessage(chat_id, 'Use inline keyboard', reply_markup=keyboard)


def on_callback_query(msg):
    query_id, from_id, query_data = telepot.glance(msg, flavor='callback_query')
    print('Callback Query:', query_id, from_id, query_data)

    if query_data == 'edit' and message_with_inline_keyboard:
        msg_idf = telepot.message_identifier(message_with_inline_keyboard)
        bot.editMessageText(msg_idf, 'NEW MESSAGE HERE!!!!!')
        bot.answerCallbackQuery(query_id, text='Edited')
    else:
        bot.answerCallbackQuery(query_id, text='Got it')


TOKEN = sys.argv[1]  # get token from command-line

bot = telepot.Bot(TOKEN)
bot.message_loop({'chat': on_chat_message,
                  'callback_query': on_callback_query})
print('Listening ...')

while 1:
    time.sleep(10)

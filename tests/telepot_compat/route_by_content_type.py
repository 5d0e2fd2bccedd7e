"""Route chat messages by content type, and text by command, with telepot.routing.

$ python route_by_content_type.py <token>
"""

import sys
import time

import telegrambot as telepot
from telegrambot.routing import (
    by_chat_command,
    by_content_type,
    make_content_type_routing_table,
    make_routing_table,
)


class ContentTypeHandler(object):
    def __init__(self, bot):
        self._bot = bot

        # text goes through a second router, by command
        self.command_router = telepot.helper.Router(by_chat_command(pass_args=True),
                                                    make_routing_table(self, ['start', 'add'],
                                                                       prefix='on_command_'))
        self.command_router.routing_table[(None,)] = self.on_plain_text
        self.command_router.routing_table[None] = self.on_unknown_command

        table = make_content_type_routing_table(self)
        # only these are handled here; anything else goes to the default
        table = {k: v for k, v in table.items() if k in ('text', 'photo', 'location')}
        table[None] = self.on_other
        self.router = telepot.helper.Router(by_content_type(), table)

    def on_text(self, msg, text):
        self.command_router.route(msg)

    def on_photo(self, msg, photo):
        biggest = photo[-1]
        self._bot.sendMessage(msg['chat']['id'], 'A photo, %dx%d' % (biggest['width'], biggest['height']))

    def on_location(self, msg, location):
        self._bot.sendMessage(msg['chat']['id'], 'You are at %.2f, %.2f' % (location['latitude'], location['longitude']))

    def on_other(self, msg, content):
        content_type, chat_type, chat_id = telepot.glance(msg)
        self._bot.sendMessage(chat_id, 'I do not handle %s' % content_type)

    def on_command_start(self, msg, args):
        self._bot.sendMessage(msg['chat']['id'], 'Welcome!')

    def on_command_add(self, msg, args):
        self._bot.sendMessage(msg['chat']['id'], '= %g' % sum(float(a) for a in args))

    def on_plain_text(self, msg, *args):
        self._bot.sendMessage(msg['chat']['id'], 'Just text: %s' % msg['text'])

    def on_unknown_command(self, msg, *args):
        self._bot.sendMessage(msg['chat']['id'], 'Unknown command')


TOKEN = sys.argv[1]

bot = telepot.Bot(TOKEN)
handler = ContentTypeHandler(bot)
bot.message_loop({'chat': handler.router.route})
print('Listening ...')

while 1:
    time.sleep(10)

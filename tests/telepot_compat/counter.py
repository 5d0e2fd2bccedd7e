"""Count messages per chat; after a quiet spell the counter says so and starts over.

$ python counter.py <token> [idle seconds]
"""

import sys

import telegrambot as telepot
from telegrambot.delegate import create_open, pave_event_space, per_chat_id


class MessageCounter(telepot.helper.ChatHandler):
    def __init__(self, *args, **kwargs):
        super(MessageCounter, self).__init__(*args, **kwargs)
        self._count = 0

    def on_chat_message(self, msg):
        self._count += 1
        self.sender.sendMessage(self._count)

    def on__idle(self, event):
        self.sender.sendMessage('Idle for %g seconds, counting from zero again' % event['_idle']['seconds'])
        self.close()


TOKEN = sys.argv[1]  # get token from command-line
TIMEOUT = float(sys.argv[2]) if len(sys.argv) > 2 else 10

bot = telepot.DelegatorBot(TOKEN, [
    pave_event_space()(
        per_chat_id(), create_open, MessageCounter, timeout=TIMEOUT),
])
bot.message_loop(run_forever='Listening ...')

"""A SpeakerBot: handle() broadcasts every message on the bot's microphone, and a thread
per chat listens for that chat's messages. Each thread counts the words it is told until
it hears "bye".

$ python broadcast.py <token>
"""

import sys
import threading
import time

import telegrambot as telepot


class WordCounter(threading.Thread):
    def __init__(self, bot, chat_id, listener):
        super(WordCounter, self).__init__()
        self.daemon = True
        self._bot = bot
        self._chat_id = chat_id
        self._listener = listener

    def run(self):
        words = 0
        self._bot.sendMessage(self._chat_id, 'Talk to me, say bye when done')
        while 1:
            msg = self._listener.wait()

            if msg.get('text') == 'bye':
                # done first, so the next message of this chat starts a new counter
                self._bot.done(self._chat_id, self._listener)
                self._bot.sendMessage(self._chat_id, 'Bye! You said %d words' % words)
                return

            words += len(msg.get('text', '').split())
            self._bot.sendMessage(self._chat_id, '%d words so far' % words)


class WordCounterBot(telepot.SpeakerBot):
    def __init__(self, token):
        super(WordCounterBot, self).__init__(token)
        self._threads = {}
        self._lock = threading.Lock()

    def done(self, chat_id, listener):
        with self._lock:
            del self._threads[chat_id]
        listener.close()

    def handle(self, msg):
        self.mic.send(msg)
        content_type, chat_type, chat_id = telepot.glance(msg)

        with self._lock:
            if chat_id not in self._threads:
                ln = self.create_listener()
                ln.capture([{'chat': {'id': chat_id}}])
                t = WordCounter(self, chat_id, ln)
                self._threads[chat_id] = t
                t.start()


TOKEN = sys.argv[1]

bot = WordCounterBot(TOKEN)
bot.message_loop()
print('Listening ...')

while 1:
    time.sleep(10)

"""Send a number, the delay in seconds: the bot sends you an alarm after that delay. It
shows the built-in scheduler and custom events.

$ python alarm.py <token>
"""

import sys
import time

import telegrambot as telepot
from telegrambot.delegate import create_open, pave_event_space, per_chat_id
from telegrambot.loop import MessageLoop


class AlarmSetter(telepot.helper.ChatHandler):
    def __init__(self, *args, **kwargs):
        super(AlarmSetter, self).__init__(*args, **kwargs)

        # 1. Customize the routing table:
        #      On seeing an event of flavor `_alarm`, call `self.on__alarm`.
        self.router.routing_table['_alarm'] = self.on__alarm

    # 2. Define event-handling function
    def on__alarm(self, event):
        print(event)  # see what the event object actually looks like
        self.sender.sendMessage('Beep beep, time to wake up! (%g s)' % event['_alarm']['payload'])

    def on_chat_message(self, msg):
        try:
            delay = float(msg['text'])

            # 3. Schedule event
            #      The second argument is the event spec: a 2-tuple of (flavor, dict).
            self.scheduler.event_later(delay, ('_alarm', {'payload': delay}))
            self.sender.sendMessage('Got it. Alarm is set at %.1f seconds from now.' % delay)
        except ValueError:
            self.sender.sendMessage('Not a number. No alarm set.')


TOKEN = sys.argv[1]

bot = telepot.DelegatorBot(TOKEN, [
    pave_event_space()(
        per_chat_id(), create_open, AlarmSetter, timeout=10),
])
MessageLoop(bot).run_as_thread()
print('Listening ...')

while 1:
    time.sleep(10)

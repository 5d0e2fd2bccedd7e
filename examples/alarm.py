"""Alarms: events from the scheduler, handled like messages.

Say ``2.5 tea`` and the chat's ``AlarmSetter`` schedules an ``_alarm`` event 2.5 seconds
ahead; when it fires, it arrives in the handler through its routing table, on the same
thread as the messages, so no locking is needed. ``cancel`` withdraws the alarm.
"""

import sys

from _common import main

from telegrambot import DelegatorBot
from telegrambot.delegate import create_open, pave_event_space, per_chat_id
from telegrambot.exception import EventNotFound
from telegrambot.helper import ChatHandler

IDLE = 10.0  # seconds; longer than the alarms of the scenario


class AlarmSetter(ChatHandler):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.router.routing_table["_alarm"] = self.on__alarm  # event flavor -> method
        self.pending = None

    def on_chat_message(self, msg):
        text = msg.get("text", "")
        if text == "cancel":
            self.sender.sendMessage("Alarm cancelled." if self.cancel() else "No alarm to cancel.")
            return
        delay, _, what = text.partition(" ")
        try:
            delay = float(delay)
        except ValueError:
            self.sender.sendMessage("Say '<seconds> <what for>', or 'cancel'.")
            return
        self.cancel()  # one alarm at a time
        self.pending = self.scheduler.event_later(delay, ("_alarm", {"what": what or "alarm"}))
        self.sender.sendMessage("Alarm set: %s in %g s." % (what or "alarm", delay))

    def cancel(self):
        """Withdraw the pending alarm; False if there was none."""
        event, self.pending = self.pending, None
        if event is None:
            return False
        try:
            self.scheduler.cancel(event)
        except EventNotFound:  # it fired just now: its event is on the way here
            return False
        return True

    def on__alarm(self, event):
        self.pending = None
        self.sender.sendMessage("Beep beep! Time for %s." % event["_alarm"]["what"])


def start(token, api_url):
    bot = DelegatorBot(token, [
        pave_event_space()(per_chat_id(), create_open, AlarmSetter, timeout=IDLE),
    ], api_url=api_url)
    bot.message_loop()
    return bot


def scenario(talk):
    alice = talk.user("Alice")
    talk.say(alice, "0.5 tea")
    talk.expect(alice, "Alarm set: tea in 0.5 s.")
    talk.expect(alice, "Beep beep! Time for tea.")
    talk.say(alice, "30 cake")
    talk.expect(alice, "Alarm set: cake in 30 s.")
    talk.say(alice, "cancel")
    talk.expect(alice, "Alarm cancelled.")
    talk.say(alice, "cancel")
    talk.expect(alice, "No alarm to cancel.")


if __name__ == "__main__":
    sys.exit(main(start, scenario, __doc__))

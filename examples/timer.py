"""Timers: ``/set <seconds>`` and ``/unset``, one timer per chat, on the bot's scheduler.

``/set 30`` schedules a ``_timer`` event 30 seconds ahead on ``bot.scheduler``; when it
fires, ``message_loop`` hands it to the ``_timer`` entry of the same routing table as the
messages, on the same thread, so the dict of pending timers needs no lock. A new ``/set``
replaces the chat's timer, ``/unset`` cancels it. (For a timer kept by a per-chat
delegate, see alarm.py.) The counterpart of python-telegram-bot's timerbot.py (there:
the JobQueue).
"""

import itertools
import math
import sys

from _common import main

import telegrambot
from telegrambot.exception import EventNotFound
from telegrambot.helper import Router
from telegrambot.routing import by_chat_command


def start(token, api_url):
    bot = telegrambot.Bot(token, api_url)
    timers = {}  # chat id -> (number, Event) of its pending timer
    numbers = itertools.count(1)

    def reply(msg, text):
        bot.sendMessage(msg["chat"]["id"], text)

    def cancel(chat_id):
        """Withdraw the chat's timer; False if it had none."""
        pending = timers.pop(chat_id, None)
        if pending is None:
            return False
        try:
            bot.scheduler.cancel(pending[1])
        except EventNotFound:
            pass  # it fired a moment ago; on_timer will see it is no longer pending
        return True

    def set_timer(msg, args):
        try:
            seconds = float(args[0])
        except (IndexError, ValueError):
            seconds = math.nan
        if math.isnan(seconds):
            reply(msg, "Usage: /set <seconds>")
            return
        if seconds < 0:
            reply(msg, "Sorry, we can not go back to the future!")
            return
        chat_id = msg["chat"]["id"]
        replaced = cancel(chat_id)
        number = next(numbers)
        event = bot.scheduler.event_later(
            seconds, {"_timer": {"chat_id": chat_id, "number": number, "seconds": seconds}})
        timers[chat_id] = (number, event)
        reply(msg, "Timer successfully set!" + (" Old one was removed." if replaced else ""))

    def unset(msg, args):
        reply(msg, "Timer successfully cancelled!" if cancel(msg["chat"]["id"])
              else "You have no active timer.")

    commands = Router(by_chat_command(pass_args=True), {
        "set": set_timer,
        "unset": unset,
        None: lambda msg, args: reply(msg, "Hi! Use /set <seconds> to set a timer."),
    })

    def on_chat(msg):
        if "text" in msg:
            commands.route(msg)

    def on_timer(event):
        timer = telegrambot.peel(event)
        pending = timers.get(timer["chat_id"])
        if pending is None or pending[0] != timer["number"]:
            return  # cancelled or replaced just as it fired
        del timers[timer["chat_id"]]
        bot.sendMessage(timer["chat_id"], "Beep! %g seconds are over!" % timer["seconds"])

    bot.message_loop({"chat": on_chat, "_timer": on_timer})
    return bot


def scenario(talk):
    alice, bob = talk.user("Alice"), talk.user("Bob")
    talk.say(alice, "/start")
    talk.expect(alice, "Hi! Use /set <seconds> to set a timer.")
    talk.say(bob, "/set soon")
    talk.expect(bob, "Usage: /set <seconds>")
    talk.say(bob, "/set -5")
    talk.expect(bob, "Sorry, we can not go back to the future!")

    talk.say(alice, "/set 3")
    assert talk.expect(alice)["text"] == "Timer successfully set!"
    talk.say(alice, "/set 1")
    talk.expect(alice, "Timer successfully set! Old one was removed.")
    talk.say(bob, "/set 3")  # Bob's chat has a timer of its own
    talk.expect(bob, "Timer successfully set!")
    talk.expect(alice, "Beep! 1 seconds are over!")
    talk.expect(bob, "Beep! 3 seconds are over!")
    # events fire in time order, one at a time: had Alice's replaced 3 s timer fired,
    # its beep would have come before Bob's
    beeps = [m["text"] for m in alice.received() if m["text"].startswith("Beep")]
    assert beeps == ["Beep! 1 seconds are over!"], beeps

    talk.say(alice, "/set 30")
    talk.expect(alice, "Timer successfully set!")
    talk.say(alice, "/unset")
    talk.expect(alice, "Timer successfully cancelled!")
    talk.say(alice, "/unset")
    talk.expect(alice, "You have no active timer.")
    talk.say(alice, "/set 0.2")
    assert talk.expect(alice)["text"] == "Timer successfully set!"  # nothing left to replace
    talk.expect(alice, "Beep! 0.2 seconds are over!")

if __name__ == "__main__":
    sys.exit(main(start, scenario, __doc__))

"""The bare API: an echo bot with its own getUpdates loop, no message_loop.

Only ``Bot`` methods: ``getUpdates`` in a loop on a thread of our own, the offset moved
past each update once it is handled (the next call confirms it to Telegram), and
``sendMessage``. A user who blocked the bot makes the answer fail with ``Forbidden``; the
update is skipped. Network trouble is waited out. To stop, ``stop()`` makes a
``getUpdates`` call of its own: Telegram then ends the long poll in progress with 409
Conflict, so the thread sees it is stopping at once instead of after its 10-second poll.
The counterpart of python-telegram-bot's rawapibot.py.
"""

import logging
import sys
import threading

from _common import main

import telegrambot
from telegrambot.exception import Conflict, Forbidden, NetworkError, TelegramError

log = logging.getLogger("raw_api")
POLL = 10  # seconds a getUpdates call waits for updates


class EchoLoop:
    def __init__(self, bot):
        self.bot = bot
        self.offset = None  # the update_id after the last one handled
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, name="raw-api-echo")

    def run(self):
        while not self.stopping.is_set():
            try:
                updates = self.bot.getUpdates(offset=self.offset, timeout=POLL,
                                              allowed_updates=["message"])
            except Conflict:
                continue  # another getUpdates took over: stop() does that (or a second instance)
            except (NetworkError, TelegramError) as e:
                log.warning("getUpdates failed (%s); again in 1 s", e)
                self.stopping.wait(1.0)
                continue
            for update in updates:
                self.echo(update.get("message") or {})
                self.offset = update["update_id"] + 1

    def echo(self, message):
        if "text" not in message:
            return  # not every update is a message, not every message has text
        log.info("found message %r", message["text"])
        try:
            self.bot.sendMessage(message["chat"]["id"], message["text"])
        except Forbidden:
            log.info("chat %s blocked the bot or removed it: skipped", message["chat"]["id"])

    def stop(self):
        self.stopping.set()
        while self.thread.is_alive():
            self.confirm()  # also ends a long poll in progress (409 there)
            self.thread.join(0.1)
        self.confirm()  # the updates handled since will not come again
        self.bot.close_connections()

    def confirm(self):
        """Tell Telegram which updates are done: a getUpdates with the offset reached."""
        try:
            self.bot.getUpdates(offset=self.offset, timeout=0, limit=1)
        except (NetworkError, TelegramError):
            pass


def start(token, api_url):
    loop = EchoLoop(telegrambot.Bot(token, api_url))
    loop.thread.start()
    return loop


def scenario(talk):
    alice, bob = talk.user("Alice"), talk.user("Bob")
    talk.say(alice, "Hello, raw API!")
    talk.expect(alice, "Hello, raw API!")
    talk.act(alice, "sends a photo", lambda: alice.send_photo())
    talk.say(alice, "Did you see my photo?")
    assert talk.expect(alice)["text"] == "Did you see my photo?"  # no answer to the photo

    def blocks():
        talk.emu.inject("sendMessage", "blocked")  # what Telegram answers once blocked
        bob.send("bye")
        bob.block_bot()

    talk.act(bob, "says 'bye' and blocks the bot before it answers", blocks)
    talk.say(alice, "Still there?")
    talk.expect(alice, "Still there?")  # the loop went on past Bob's update
    assert bob.received() == [], bob.received()
    assert [r.status for r in talk.emu.requests
            if r.method == "sendMessage" and r.params["chat_id"] == bob.id] == [403]
    # it took nothing but Bot methods, and no message_loop thread
    assert {r.method for r in talk.emu.requests} == {"getUpdates", "sendMessage"}
    assert not [t.name for t in threading.enumerate() if t.name == "telegrambot-poll"]


if __name__ == "__main__":
    sys.exit(main(start, scenario, __doc__))

"""A bot process with an SQLiteStore, run (and killed) by tests/test_persistence_crash.py.

``python persistence_crash_child.py DB API_URL TOKEN poll|webhook``

A DelegatorBot with one ChatHandler per chat and one UserHandler per user (each update
goes to two delegates, the last to finish marks it done); each handler keeps in ``self.state`` the
sequence numbers of the messages it handled (``seen``) and, for a message ``alarm N``,
schedules an event that appends N to ``alarms`` when it fires (once: a handler that
repeats after a crash checks first, as the persistence docs advise). The user's handler counts the user's messages
in ``count``. It prints ``ready``
once it receives, ``h`` for each message handled (before its state is saved), then runs until its stdin closes; then it waits for the events still
stored to fire and the inbox to empty, stops and closes the store.
"""

import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from telegrambot import DelegatorBot  # noqa: E402
from telegrambot.delegate import (  # noqa: E402
    create_open,
    pave_event_space,
    per_chat_id,
    per_from_id,
)
from telegrambot.helper import ChatHandler, UserHandler  # noqa: E402
from telegrambot.storage import SQLiteStore  # noqa: E402
from telegrambot.webhook import run_webhook  # noqa: E402


class Keeper(ChatHandler):
    def on_chat_message(self, msg):
        words = msg.get("text", "").split()
        seq = int(words[-1])
        time.sleep(random.random() * 0.004)  # some work: a kill may land in the middle
        self.state.setdefault("seen", []).append(seq)
        if words[0] == "alarm":
            self.scheduler.event_later(0.05, ("_alarm", {"n": seq}))
        os.write(1, b"h\n")  # handled (its state is saved after this returns)

    def on__alarm(self, event):
        n = event["_alarm"]["n"]
        alarms = self.state.setdefault("alarms", [])
        if n not in alarms:
            alarms.append(n)


class Tally(UserHandler):
    """A second delegate for each update: the user's count of messages."""

    def on_chat_message(self, msg):
        self.state["count"] = self.state.get("count", 0) + 1
        time.sleep(random.random() * 0.002)


def main():
    import logging
    logging.basicConfig(level=logging.WARNING, format="%(name)s %(levelname)s %(message)s")
    path, api_url, token, mode = sys.argv[1:5]
    store = SQLiteStore(path, synchronous="normal")
    bot = DelegatorBot(token, [
        pave_event_space()(per_chat_id(), create_open, Keeper, timeout=0.5),
        pave_event_space()(per_from_id(), create_open, Tally, timeout=0.3),
    ], api_url=api_url, store=store)
    run = None
    if mode == "webhook":
        run = run_webhook(bot, host="127.0.0.1", port=0, ordered=False)
    else:
        bot.deleteWebhook()
        bot.message_loop()
    os.write(1, b"ready\n")
    sys.stdin.read()  # until the test closes it
    deadline = time.monotonic() + 10
    while (store.events() or store.pending()) and time.monotonic() < deadline:
        time.sleep(0.02)
    if run is not None:
        run.stop()
    bot.stop()
    store.close()
    os.write(1, b"closed\n")


if __name__ == "__main__":
    main()

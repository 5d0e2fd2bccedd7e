"""A conversation that survives a restart: its state kept in SQLite.

Doctor Botter again (see ``conversation2.py``): topics on a reply keyboard, the facts the
user tells, "Done" to end. Here each chat's ``self.state`` (the facts, and where the
conversation stands) is loaded from a :class:`~telegrambot.storage.SQLiteStore` when the
chat's delegate starts and saved after each message, so stopping the bot in the middle
of a conversation loses nothing: started again, it goes on at the same step and still
knows the facts. ``/start`` says what it knows already; ``/show_data``, outside the
conversation, lists it. The counterpart of python-telegram-bot's
persistentconversationbot.py.

The store is wired by hand here, in :class:`StoredState`: a delegate's ``self.state``
loaded and saved under its state key.
"""

import os
import sys
import tempfile

from _common import main

from telegrambot import DelegatorBot
from telegrambot.conversation import END, Conversation, entry, fallback, step
from telegrambot.delegate import create_open, pave_event_space, per_chat_id
from telegrambot.helper import ChatHandler
from telegrambot.storage import SQLiteStore, state_key

TOPICS = {"keyboard": [[{"text": "Age"}, {"text": "Favourite colour"}],
                       [{"text": "Number of siblings"}, {"text": "Something else..."}],
                       [{"text": "Done"}]],
          "one_time_keyboard": True}
ANSWER = "^(?!/|Done$)"  # any text but a command or "Done"


def listed(facts):
    return "\n" + "\n".join("%s - %s" % item for item in facts.items()) + "\n"


class StoredState:
    """A delegate whose ``self.state`` lives in ``store`` under its chat's state key."""

    def __init__(self, seed_tuple, store, **kwargs):
        super().__init__(seed_tuple, **kwargs)
        self.db, self.key = store, state_key("chat", seed_tuple[2])
        record = store.load(self.key)
        self.state = record.data if record is not None else {}

    def on_message(self, msg):
        try:
            return super().on_message(msg)
        finally:
            self.db.save(self.key, self.state)  # durable when it returns


class Doctor(StoredState, Conversation, ChatHandler):
    @entry(command="start")
    def start(self, msg):
        facts = self.state.get("facts")
        if facts:
            text = ("Hi! My name is Doctor Botter. You already told me your %s. Why don't you "
                    "tell me something more about yourself? Or change anything I already know."
                    % ", ".join(f.lower() for f in facts))
        else:
            text = ("Hi! My name is Doctor Botter. I will hold a more complex conversation "
                    "with you. Why don't you tell me something about yourself?")
        self.sender.sendMessage(text, reply_markup=TOPICS)
        return "choosing"

    @step("choosing", text="^(Age|Favourite colour|Number of siblings)$")
    @step("typing_choice", text=ANSWER)
    def regular_choice(self, msg):
        choice = self.state["choice"] = msg["text"]
        known = self.state.get("facts", {}).get(choice)
        if known:
            self.sender.sendMessage("Your %s? I already know the following about that: %s"
                                    % (choice.lower(), known))
        else:
            self.sender.sendMessage("Your %s? Yes, I would love to hear about that!"
                                    % choice.lower())
        return "typing_reply"

    @step("choosing", text="^Something else...$")
    def custom_choice(self, msg):
        self.sender.sendMessage('Alright, please send me the category first, for example '
                                '"Most impressive skill"')
        return "typing_choice"

    @step("typing_reply", text=ANSWER)
    def received_information(self, msg):
        facts = self.state.setdefault("facts", {})
        facts[self.state.pop("choice")] = msg["text"].lower()
        self.sender.sendMessage("Neat! Just so you know, this is what you already told me:%s"
                                "You can tell me more, or change your opinion on something."
                                % listed(facts), reply_markup=TOPICS)
        return "choosing"

    @fallback(text="^Done$")
    def done(self, msg):
        self.state.pop("choice", None)
        self.sender.sendMessage("I learned these facts about you:%sUntil next time!"
                                % listed(self.state.get("facts", {})),
                                reply_markup={"remove_keyboard": True})
        return END

    def on_unmatched(self, msg):
        if msg.get("text") == "/show_data":  # in a conversation or not
            self.sender.sendMessage("This is what you already told me:%s"
                                    % listed(self.state.get("facts", {})))


class DoctorBot(DelegatorBot):
    def __init__(self, token, api_url, path):
        self.db = SQLiteStore(path)
        super().__init__(token, [
            pave_event_space()(per_chat_id(types=["private"]), create_open, Doctor,
                               store=self.db, timeout=900),
        ], api_url=api_url, rate_limiter=True)

    def stop(self, timeout=2.0):
        super().stop(timeout)
        self.db.close()


def start(token, api_url, path="persistent_conversation.sqlite"):
    bot = DoctorBot(token, api_url, path)
    bot.message_loop()
    return bot


def scenario(talk):
    alice = talk.user("Alice")
    talk.say(alice, "/start")
    talk.expect(alice, "I will hold a more complex conversation with you.")
    talk.say(alice, "Age")
    talk.expect(alice, "Your age? Yes, I would love to hear about that!")
    talk.say(alice, "32")
    talk.expect(alice, "this is what you already told me:\nAge - 32\n")
    talk.say(alice, "Age")
    talk.expect(alice, "Your age? I already know the following about that: 32")
    talk.say(alice, "33")
    talk.expect(alice, "Age - 33")
    talk.say(alice, "/show_data")
    talk.expect(alice, "This is what you already told me:\nAge - 33\n")
    talk.say(alice, "Done")
    talk.expect(alice, "I learned these facts about you:\nAge - 33\nUntil next time!")
    talk.say(alice, "/start")
    talk.expect(alice, "You already told me your age. Why don't you tell me something more")


if __name__ == "__main__":
    if "--emulate" in sys.argv:  # keep the emulated run's store out of the working folder
        folder = tempfile.mkdtemp()
        _start = start

        def start(token, api_url):  # noqa: F811
            return _start(token, api_url, os.path.join(folder, "conversations.sqlite"))

    sys.exit(main(start, scenario, __doc__))

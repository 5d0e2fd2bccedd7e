"""A conversation that survives a restart: its state kept in SQLite.

Doctor Botter again (see ``conversation2.py``): topics on a reply keyboard, the facts the
user tells, "Done" to end. Each chat's ``self.state`` holds the facts and where the
conversation stands; with ``--store FILE`` the bot keeps it in that SQLite file, saved
with each update its delegate handled, so stopping the bot in the middle of a
conversation loses nothing: started again, it goes on at the same step and still knows
the facts. ``/start`` says what it knows already; ``/show_data``, outside the
conversation, lists it. The counterpart of python-telegram-bot's
persistentconversationbot.py::

    python examples/persistent_conversation.py TOKEN --store conversations.db
"""

import sys

from _common import main

from telegrambot import DelegatorBot
from telegrambot.conversation import END, Conversation, entry, fallback, step
from telegrambot.delegate import create_open, pave_event_space, per_chat_id
from telegrambot.helper import ChatHandler

TOPICS = {"keyboard": [[{"text": "Age"}, {"text": "Favourite colour"}],
                       [{"text": "Number of siblings"}, {"text": "Something else..."}],
                       [{"text": "Done"}]],
          "one_time_keyboard": True}
ANSWER = "^(?!/|Done$)"  # any text but a command or "Done"


def listed(facts):
    return "\n" + "\n".join("%s - %s" % item for item in facts.items()) + "\n"


class Doctor(Conversation, ChatHandler):
    allow_reentry = True  # /start in the middle (after a restart, say) starts afresh
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


def start(token, api_url, store=None):
    bot = DelegatorBot(token, [
        pave_event_space()(per_chat_id(types=["private"]), create_open, Doctor, timeout=900),
    ], api_url=api_url, rate_limiter=True, store=store)
    bot.message_loop()
    return bot


def scenario(talk):
    alice = talk.user("Alice")
    talk.say(alice, "/start")  # with a store used before, the bot remembers her facts
    talk.expect(alice, "Hi! My name is Doctor Botter.")
    talk.say(alice, "Age")
    talk.expect(alice, "Your age?")
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
    sys.exit(main(start, scenario, __doc__))

"""A conversation with choices: what the user tells is kept as facts of their chat.

``/start`` shows a reply keyboard of topics; a topic is answered with a question, the
answer is kept, and the keyboard comes back with what is known so far. "Something
else..." asks for a topic of the user's own first. "Done" ends the conversation at any
step and sums up. The facts live in the delegate's ``self.state`` with the conversation's
position. The counterpart of python-telegram-bot's conversationbot2.py.
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
    @entry(command="start")
    def start(self, msg):
        self.sender.sendMessage("Hi! My name is Doctor Botter. I will hold a more complex "
                                "conversation with you. Why don't you tell me something about "
                                "yourself?", reply_markup=TOPICS)
        return "choosing"

    @step("choosing", text="^(Age|Favourite colour|Number of siblings)$")
    @step("typing_choice", text=ANSWER)
    def regular_choice(self, msg):
        self.state["choice"] = msg["text"]
        self.sender.sendMessage("Your %s? Yes, I would love to hear about that!"
                                % msg["text"].lower())
        return "typing_reply"

    @step("choosing", text="^Something else...$")
    def custom_choice(self, msg):
        self.sender.sendMessage('Alright, please send me the category first, for example '
                                '"Most impressive skill"')
        return "typing_choice"

    @step("typing_reply", text=ANSWER)
    def received_information(self, msg):
        facts = self.state.setdefault("facts", {})
        facts[self.state.pop("choice")] = msg["text"]
        self.sender.sendMessage("Neat! Just so you know, this is what you already told me:%s"
                                "You can tell me more, or change your opinion on something."
                                % listed(facts), reply_markup=TOPICS)
        return "choosing"

    @fallback(text="^Done$")
    def done(self, msg):
        self.state.pop("choice", None)
        facts = self.state.pop("facts", {})
        self.sender.sendMessage("I learned these facts about you:%sUntil next time!" % listed(facts),
                                reply_markup={"remove_keyboard": True})
        return END


def start(token, api_url):
    bot = DelegatorBot(token, [
        pave_event_space()(per_chat_id(types=["private"]), create_open, Doctor, timeout=900),
    ], api_url=api_url, rate_limiter=True)
    bot.message_loop()
    return bot


def scenario(talk):
    alice = talk.user("Alice")
    talk.say(alice, "/start")
    talk.expect(alice, "Hi! My name is Doctor Botter.")
    talk.say(alice, "Age")
    talk.expect(alice, "Your age? Yes, I would love to hear about that!")
    talk.say(alice, "Done")  # a fallback: ends it at any step
    talk.expect(alice, "I learned these facts about you:\n\nUntil next time!")
    talk.say(alice, "/start")
    talk.expect(alice, "Why don't you tell me something about yourself?")
    talk.say(alice, "Favourite colour")
    talk.expect(alice, "Your favourite colour? Yes")
    talk.say(alice, "Blue")
    talk.expect(alice, "this is what you already told me:\nFavourite colour - Blue\n")
    talk.say(alice, "Something else...")
    talk.expect(alice, "please send me the category first")
    talk.say(alice, "Most impressive skill")
    talk.expect(alice, "Your most impressive skill? Yes")
    talk.say(alice, "Juggling")
    talk.expect(alice, "Favourite colour - Blue\nMost impressive skill - Juggling\n")
    talk.say(alice, "Done")
    talk.expect(alice, "I learned these facts about you:\nFavourite colour - Blue\n"
                       "Most impressive skill - Juggling\nUntil next time!")


if __name__ == "__main__":
    sys.exit(main(start, scenario, __doc__))

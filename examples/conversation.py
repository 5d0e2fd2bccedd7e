"""A conversation with steps: entry point, states, fallbacks, the delegate way.

Each private chat gets a :class:`~telegrambot.helper.ChatHandler` that is also a
:class:`~telegrambot.conversation.Conversation`: ``/start`` asks for a gender (a one-time
reply keyboard), then a photo (or ``/skip``), a location (or ``/skip``) and a few words;
``/cancel`` ends it at any step. Each step is a method that says which messages it takes
and returns the next state. A message no step takes gets a hint instead of silence, and
ten minutes without an answer end the conversation. The counterpart of
python-telegram-bot's conversationbot.py.
"""

import io
import sys

from _common import main

from telegrambot import DelegatorBot
from telegrambot.conversation import END, Conversation, entry, fallback, on_timeout, step
from telegrambot.delegate import create_open, pave_event_space, per_chat_id
from telegrambot.helper import ChatHandler

GENDERS = {"keyboard": [[{"text": "Boy"}, {"text": "Girl"}, {"text": "Other"}]],
           "one_time_keyboard": True, "input_field_placeholder": "Boy or Girl?"}
NO_KEYBOARD = {"remove_keyboard": True}


class Professor(Conversation, ChatHandler):
    conversation_timeout = 600

    @entry(command="start")
    def start(self, msg):
        self.sender.sendMessage(
            "Hi! My name is Professor Bot. I will hold a conversation with you. Send /cancel "
            "to stop talking to me.\n\nAre you a boy or a girl?", reply_markup=GENDERS)
        return "gender"

    @step("gender", text="^(Boy|Girl|Other)$")
    def gender(self, msg):
        self.gender_ = msg["text"]
        self.sender.sendMessage("I see! Please send me a photo of yourself, so I know what you "
                                "look like, or send /skip if you don't want to.",
                                reply_markup=NO_KEYBOARD)
        return "photo"

    @step("photo", content="photo")
    def photo(self, msg):
        picture = io.BytesIO()
        self.bot.download_file(msg["photo"][-1]["file_id"], picture)
        self.sender.sendMessage("Gorgeous! (%d bytes.) Now, send me your location please, or "
                                "send /skip if you don't want to." % len(picture.getvalue()))
        return "location"

    @step("photo", command="skip")
    def skip_photo(self, msg):
        self.sender.sendMessage("I bet you look great! Now, send me your location please, "
                                "or send /skip.")
        return "location"

    @step("location", content="location")
    def location(self, msg):
        self.sender.sendMessage("Maybe I can visit you sometime! At last, tell me something "
                                "about yourself.")
        return "bio"

    @step("location", command="skip")
    def skip_location(self, msg):
        self.sender.sendMessage("You seem a bit paranoid! At last, tell me something about "
                                "yourself.")
        return "bio"

    @step("bio", text=True)
    def bio(self, msg):
        self.sender.sendMessage("Thank you! I hope we can talk again some day.")
        return END

    @fallback(command="cancel")
    def cancel(self, msg):
        self.sender.sendMessage("Bye! I hope we can talk again some day.",
                                reply_markup=NO_KEYBOARD)
        return END

    @on_timeout
    def timed_out(self, state):
        self.sender.sendMessage("No answer for ten minutes: let's talk another time.",
                                reply_markup=NO_KEYBOARD)

    def on_unmatched(self, msg):
        if self.conversation:
            self.sender.sendMessage("That is not what I asked (we are at: %s). Send /cancel "
                                    "to stop." % self.conversation[-1])
        else:
            self.sender.sendMessage("Send /start to talk to me.")


def start(token, api_url):
    bot = DelegatorBot(token, [
        pave_event_space()(per_chat_id(types=["private"]), create_open, Professor, timeout=900),
    ], api_url=api_url, rate_limiter=True)  # a chatty step stays within Telegram's limits
    bot.message_loop()
    return bot


def scenario(talk):
    alice = talk.user("Alice")
    talk.say(alice, "hello")
    talk.expect(alice, "Send /start to talk to me.")
    talk.say(alice, "/start")
    talk.expect(alice, "Are you a boy or a girl?")
    assert [[b["text"] for b in row] for row in alice.keyboard()] == [["Boy", "Girl", "Other"]]
    talk.say(alice, "Dragon")
    talk.expect(alice, "That is not what I asked (we are at: gender)")
    talk.say(alice, "Girl")
    talk.expect(alice, "I see! Please send me a photo of yourself")
    assert alice.keyboard() is None, "the keyboard should be gone"
    talk.act(alice, "sends a photo", alice.send_photo)
    talk.expect(alice, "Gorgeous! (18 bytes.) Now, send me your location please")
    talk.say(alice, "/skip")
    talk.expect(alice, "You seem a bit paranoid!")
    talk.say(alice, "I like tea.")
    talk.expect(alice, "Thank you! I hope we can talk again some day.")
    talk.say(alice, "I like tea.")  # the conversation is over
    talk.expect(alice, "Send /start to talk to me.")
    talk.say(alice, "/start")
    talk.expect(alice, "Are you a boy or a girl?")
    talk.say(alice, "Other")
    talk.expect(alice, "or send /skip if you don't want to.")
    talk.say(alice, "/skip")
    talk.expect(alice, "I bet you look great!")
    talk.act(alice, "shares her location",
             lambda: alice.send(location={"latitude": 51.5, "longitude": -0.12}))
    talk.expect(alice, "Maybe I can visit you sometime!")
    talk.say(alice, "/cancel")
    talk.expect(alice, "Bye! I hope we can talk again some day.")


if __name__ == "__main__":
    sys.exit(main(start, scenario, __doc__))

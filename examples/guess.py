"""Guess the number: a game per chat, kept in ``self.state``.

The first message of a chat starts a game (``open``); each later message is a guess
(``on_chat_message``). The secret, the tries and the games won are in ``self.state``, the
dict the chat's handler keeps under the chat id: after ``IDLE`` quiet seconds the handler
closes (``on__idle``), and the next message finds the game where it was. With
``--store bot.db`` the state is kept in that SQLite file, so the game and the score also
survive a restart of the bot (run it twice)::

    python examples/guess.py --emulate --store /tmp/guess.db
"""

import random
import sys

from _common import main

import telegrambot
from telegrambot import DelegatorBot
from telegrambot.delegate import create_open, pave_event_space, per_chat_id
from telegrambot.helper import ChatHandler

IDLE = 2.0  # seconds


class Player(ChatHandler):
    def open(self, initial_msg, seed):
        if "secret" in self.state:
            return False  # a game in progress: the first message is a guess
        self.state["secret"] = random.randint(1, 100)
        self.state["tries"] = 0
        self.sender.sendMessage("I am thinking of a number from 1 to 100. Guess! "
                                "(games won so far: %d)" % self.state.get("won", 0))
        return True  # the first message only starts the game: no on_chat_message for it

    def on_chat_message(self, msg):
        content_type, chat_type, chat_id = telegrambot.glance(msg)
        try:
            guess = int(msg["text"]) if content_type == "text" else None
        except ValueError:
            guess = None
        if guess is None:
            self.sender.sendMessage("A whole number, please.")
            return
        state = self.state
        state["tries"] += 1
        if guess < state["secret"]:
            self.sender.sendMessage("Larger than %d." % guess)
        elif guess > state["secret"]:
            self.sender.sendMessage("Smaller than %d." % guess)
        else:
            state["won"] = state.get("won", 0) + 1
            self.sender.sendMessage("%d is right! %d tries. Games won: %d."
                                    % (guess, state.pop("tries"), state["won"]))
            del state["secret"]
            self.close()  # the next message starts a new game

    def on__idle(self, event):
        self.sender.sendMessage("Quiet for a while: the game waits (%d tries so far)."
                                % self.state["tries"])
        self.close()


def start(token, api_url, store=None):
    bot = DelegatorBot(token, [
        pave_event_space()(per_chat_id(), create_open, Player, timeout=IDLE),
    ], api_url=api_url, store=store)
    bot.message_loop()
    return bot


def play(talk, alice):
    """Halve the range until the guess is right: seven guesses at most."""
    low, high = 1, 100
    while True:
        guess = (low + high) // 2
        talk.say(alice, str(guess))
        hint = talk.expect(alice)["text"]
        if hint.startswith("Larger"):
            low = guess + 1
        elif hint.startswith("Smaller"):
            high = guess - 1
        else:
            assert "is right" in hint, hint
            return
        assert low <= high, "the hints contradict each other"


def scenario(talk):
    alice = talk.user("Alice")
    talk.say(alice, "let's play")
    reply = talk.expect(alice)["text"]
    if "Guess!" in reply:  # a new game
        talk.say(alice, "fifty")
        talk.expect(alice, "A whole number")
    else:  # a game kept in the store from an earlier run goes on: that was a guess
        assert reply.startswith("A whole number"), reply
    play(talk, alice)
    talk.say(alice, "again!")
    talk.expect(alice, "Guess!")
    talk.note("Alice goes quiet")
    talk.expect(alice, "the game waits (0 tries so far)")
    talk.say(alice, "fifty")  # a new handler, the same game: this is a guess
    talk.expect(alice, "A whole number")


if __name__ == "__main__":
    sys.exit(main(start, scenario, __doc__))

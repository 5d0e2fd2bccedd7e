"""Guess the number: a game per chat, its state kept in a ChatHandler.

The first message of a chat starts a game (``open``); each later message is a guess
(``on_chat_message``); after ``IDLE`` quiet seconds the game ends and the number is
revealed (``on__idle``). The secret and the count of tries are plain attributes: the
handler lives as long as the game, on its own thread.
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
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.secret = random.randint(1, 100)
        self.tries = 0

    def open(self, initial_msg, seed):
        self.sender.sendMessage("I am thinking of a number from 1 to 100. Guess!")
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
        self.tries += 1
        if guess < self.secret:
            self.sender.sendMessage("Larger than %d." % guess)
        elif guess > self.secret:
            self.sender.sendMessage("Smaller than %d." % guess)
        else:
            self.sender.sendMessage("%d is right! %d tries." % (guess, self.tries))
            self.close()  # the next message starts a new game

    def on__idle(self, event):
        self.sender.sendMessage("Game over, it was %d." % self.secret)
        self.close()


def start(token, api_url):
    bot = DelegatorBot(token, [
        pave_event_space()(per_chat_id(), create_open, Player, timeout=IDLE),
    ], api_url=api_url)
    bot.message_loop()
    return bot


def scenario(talk):
    alice = talk.user("Alice")
    talk.say(alice, "let's play")
    talk.expect(alice, "Guess!")
    talk.say(alice, "fifty")
    talk.expect(alice, "A whole number")
    low, high = 1, 100  # Alice halves the range: seven guesses at most
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
            break
        assert low <= high, "the hints contradict each other"
    talk.say(alice, "again!")
    talk.expect(alice, "Guess!")
    talk.note("Alice gives up and goes quiet")
    talk.expect(alice, "Game over, it was")


if __name__ == "__main__":
    sys.exit(main(start, scenario, __doc__))

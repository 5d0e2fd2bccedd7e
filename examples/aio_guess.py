"""Guess the number on asyncio: the twin of guess.py with ``telegrambot.aio``.

A game per chat, its state kept in a ``ChatHandler`` that runs as a task: the first
message starts a game (``open``), each later one is a guess (``on_chat_message``), and
after ``IDLE`` quiet seconds the game ends and the number is revealed (``on__idle``). The
same scripted user as guess.py plays it. Needs the ``aio`` extra.
"""

import random
import sys

from _common import in_event_loop, main
from guess import IDLE, scenario

import telegrambot
from telegrambot.aio.delegate import DelegatorBot, create_open, pave_event_space, per_chat_id
from telegrambot.aio.helper import ChatHandler


class Player(ChatHandler):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.secret = random.randint(1, 100)
        self.tries = 0

    async def open(self, initial_msg, seed):
        await self.sender.sendMessage("I am thinking of a number from 1 to 100. Guess!")
        return True  # the first message only starts the game: no on_chat_message for it

    async def on_chat_message(self, msg):
        content_type, chat_type, chat_id = telegrambot.glance(msg)
        try:
            guess = int(msg["text"]) if content_type == "text" else None
        except ValueError:
            guess = None
        if guess is None:
            await self.sender.sendMessage("A whole number, please.")
            return
        self.tries += 1
        if guess < self.secret:
            await self.sender.sendMessage("Larger than %d." % guess)
        elif guess > self.secret:
            await self.sender.sendMessage("Smaller than %d." % guess)
        else:
            await self.sender.sendMessage("%d is right! %d tries." % (guess, self.tries))
            self.close()  # the next message starts a new game

    async def on__idle(self, event):
        await self.sender.sendMessage("Game over, it was %d." % self.secret)
        self.close()


async def serve(token, api_url, stopped):
    async with DelegatorBot(token, [
        pave_event_space()(per_chat_id(), create_open, Player, timeout=IDLE),
    ], api_url=api_url) as bot:
        bot.message_loop()
        await stopped.wait()


if __name__ == "__main__":
    sys.exit(main(in_event_loop(serve), scenario, __doc__))

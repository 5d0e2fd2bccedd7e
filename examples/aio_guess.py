"""Guess the number on asyncio: the twin of guess.py with ``telegrambot.aio``.

A game per chat, played by a ``ChatHandler`` that runs as a task: the first message starts
a game (``open``), each later one is a guess (``on_chat_message``); after ``IDLE`` quiet
seconds the handler closes (``on__idle``) and the next message finds the game where it
was. The asyncio runtime has no ``self.state`` (nor ``store=``) yet, so the games live in
a dict of the process here. The same scripted user as guess.py plays it. Needs the
``aio`` extra.
"""

import random
import sys

from _common import in_event_loop, main
from guess import IDLE, scenario

import telegrambot
from telegrambot.aio.delegate import DelegatorBot, create_open, pave_event_space, per_chat_id
from telegrambot.aio.helper import ChatHandler

GAMES = {}  # chat id -> {"secret": ..., "tries": ..., "won": ...}


class Player(ChatHandler):
    @property
    def game(self):
        return GAMES.setdefault(self.chat_id, {})

    async def open(self, initial_msg, seed):
        game = self.game
        if "secret" in game:
            return False  # a game in progress: the first message is a guess
        game["secret"] = random.randint(1, 100)
        game["tries"] = 0
        await self.sender.sendMessage("I am thinking of a number from 1 to 100. Guess! "
                                      "(games won so far: %d)" % game.get("won", 0))
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
        game = self.game
        game["tries"] += 1
        if guess < game["secret"]:
            await self.sender.sendMessage("Larger than %d." % guess)
        elif guess > game["secret"]:
            await self.sender.sendMessage("Smaller than %d." % guess)
        else:
            game["won"] = game.get("won", 0) + 1
            await self.sender.sendMessage("%d is right! %d tries. Games won: %d."
                                          % (guess, game.pop("tries"), game["won"]))
            del game["secret"]
            self.close()  # the next message starts a new game

    async def on__idle(self, event):
        await self.sender.sendMessage("Quiet for a while: the game waits (%d tries so far)."
                                      % self.game["tries"])
        self.close()


async def serve(token, api_url, stopped):
    async with DelegatorBot(token, [
        pave_event_space()(per_chat_id(), create_open, Player, timeout=IDLE),
    ], api_url=api_url) as bot:
        bot.message_loop()
        await stopped.wait()


if __name__ == "__main__":
    sys.exit(main(in_event_loop(serve), scenario, __doc__))

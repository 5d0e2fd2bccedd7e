"""Per-chat counter on asyncio: the twin of counter.py with ``telegrambot.aio``.

Each chat gets its own ``MessageCounter``, running as a task of the event loop (not a
thread), so thousands of chats cost little. After ``IDLE`` seconds without a message the
handler closes (the bot's one idle sweeper task sees to it; ``on_close`` says goodbye);
the next message starts a fresh handler that finds the count where the last one left it.
The asyncio runtime has no ``self.state`` (nor ``store=``) yet, so the counts live in a
dict of the process here. The same scripted user as counter.py checks it. Needs the
``aio`` extra.
"""

import sys

from _common import in_event_loop, main
from counter import IDLE, scenario

from telegrambot.aio.delegate import DelegatorBot, create_open, pave_event_space, per_chat_id
from telegrambot.aio.helper import ChatHandler
from telegrambot.exception import IdleTerminate

COUNTS = {}  # chat id -> messages counted


class MessageCounter(ChatHandler):
    async def on_chat_message(self, msg):
        COUNTS[self.chat_id] = count = COUNTS.get(self.chat_id, 0) + 1
        await self.sender.sendMessage("Message %d of this conversation" % count)

    async def on_close(self, ex):
        if isinstance(ex, IdleTerminate):
            await self.sender.sendMessage("Quiet for %g s: I close; the count stays." % ex.seconds)


async def serve(token, api_url, stopped):
    async with DelegatorBot(token, [
        pave_event_space()(per_chat_id(), create_open, MessageCounter, timeout=IDLE),
    ], api_url=api_url) as bot:
        bot.message_loop()
        await stopped.wait()  # leaving the block stops the loop, the delegates, the session


if __name__ == "__main__":
    sys.exit(main(in_event_loop(serve), scenario, __doc__))

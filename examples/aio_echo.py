"""Echo bot on asyncio: the twin of echo.py with ``telegrambot.aio``.

The same bot as echo.py (``/start`` greets, ``/help`` helps, text is echoed, anything else
is named), written with coroutines: one ``async with`` bot (its aiohttp session closes on
the way out), an ``async def`` handler awaited for each update, and the polling loop a
task. The same scripted user checks it. Needs the ``aio`` extra (aiohttp).
"""

import html
import sys

from _common import in_event_loop, main
from echo import scenario

import telegrambot
import telegrambot.aio


async def serve(token, api_url, stopped):
    async with telegrambot.aio.Bot(token, api_url) as bot:

        async def handle(msg):
            content_type, chat_type, chat_id = telegrambot.glance(msg)
            if content_type != "text":
                await bot.sendMessage(chat_id, "That was a %s, in a %s chat." % (content_type, chat_type))
            elif msg["text"].startswith("/start"):
                user = msg["from"]
                mention = '<a href="tg://user?id=%d">%s</a>' % (user["id"], html.escape(user["first_name"]))
                await bot.sendMessage(chat_id, "Hi %s!" % mention, parse_mode="HTML",
                                      reply_markup={"force_reply": True, "selective": True})
            elif msg["text"].startswith("/help"):
                await bot.sendMessage(chat_id, "Help!")
            else:
                await bot.sendMessage(chat_id, msg["text"])

        bot.message_loop(handle)
        await stopped.wait()  # leaving the block stops the loop and closes the session


if __name__ == "__main__":
    sys.exit(main(in_event_loop(serve), scenario, __doc__))


"""Per-chat counter on asyncio, receiving its updates on a webhook (aiohttp's server).

The bot of aio_counter.py, fed by ``telegrambot.aio.webhook.run_webhook``: an aiohttp
server applies the webhook receiver's rules (secret token, size limits, 503 when the
queue is full) and a loop task hands the accepted updates to the ``DelegatorBot``.
Telegram must reach the URL given in ``WEBHOOK_URL`` (a public HTTPS address, here behind
your reverse proxy, which forwards to ``WEBHOOK_PORT``, 8443 by default)::

    WEBHOOK_URL=https://bot.example.com/hook python examples/aio_webhook.py TOKEN

``--emulate`` runs it against the embedded emulator, which POSTs to the server's own
loopback URL, with the scripted user of counter.py. Needs the ``aio`` extra.
"""

import os
import sys

from _common import in_event_loop, main
from aio_counter import MessageCounter
from counter import IDLE, scenario

from telegrambot.aio.delegate import DelegatorBot, create_open, pave_event_space, per_chat_id
from telegrambot.aio.webhook import run_webhook
from telegrambot.api import DEFAULT_API_URL


async def serve(token, api_url, stopped):
    async with DelegatorBot(token, [
        pave_event_space()(per_chat_id(), create_open, MessageCounter, timeout=IDLE),
    ], api_url=api_url) as bot:
        if api_url == DEFAULT_API_URL:  # Telegram: the public URL, served behind a proxy
            run = await run_webhook(bot, url=os.environ["WEBHOOK_URL"],
                                    port=int(os.environ.get("WEBHOOK_PORT", "8443")))
        else:  # a Bot API server on this machine (the emulator): the server's own URL
            run = await run_webhook(bot)
        async with run:  # leaving it: 503 to new requests, the accepted ones handed over
            await stopped.wait()
        await bot.deleteWebhook()


if __name__ == "__main__":
    sys.exit(main(in_event_loop(serve), scenario, __doc__))

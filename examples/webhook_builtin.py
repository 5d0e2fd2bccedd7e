"""An echo bot receiving its updates on the built-in webhook server.

Telegram must reach the URL you give: a public HTTPS address (ports 443, 80, 88 or 8443),
either behind your own reverse proxy or served here with a certificate::

    python examples/webhook_builtin.py TOKEN --url https://bot.example.com:8443/hook \\
        --cert cert.pem --key key.pem --self-signed

The token may come from TELEGRAM_BOT_TOKEN instead of the command line. Without a
token, ``--emulate`` runs the bot against the embedded emulator with a scripted user::

    python examples/webhook_builtin.py --emulate
"""

import argparse
import os
import sys

import telegrambot
from telegrambot.webhook import run_webhook


def make_handler(bot):
    def handle(msg):
        content_type, chat_type, chat_id = telegrambot.glance(msg)
        if content_type == "text":
            bot.sendMessage(chat_id, "You said: " + msg["text"])
        else:
            bot.sendMessage(chat_id, "I only echo text, this was a %s." % content_type)

    return handle


def emulate():
    from telegrambot.testing import Emulator

    with Emulator() as emu:
        bot = emu.make_bot()
        # no url: the server listens on loopback on a free port, and the emulator
        # delivers to that address
        run = run_webhook(bot, make_handler(bot))
        try:
            alice = emu.user("Alice")
            alice.send("hello over a webhook")
            reply = alice.wait_for_message(timeout=10)
            print("Alice got:", reply["text"])
            alice.send_photo()
            reply = alice.wait_for_message(timeout=10)
            print("Alice got:", reply["text"])
        finally:
            run.stop(delete_webhook=True)
    return 0


def main():
    parser = argparse.ArgumentParser(description="Echo bot on the built-in webhook server.")
    parser.add_argument("token", nargs="?", default=os.environ.get("TELEGRAM_BOT_TOKEN"))
    parser.add_argument("--url", help="the public URL Telegram POSTs updates to")
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=8443)
    parser.add_argument("--cert", help="certificate file (PEM) to serve HTTPS with")
    parser.add_argument("--key", help="its private key file (PEM)")
    parser.add_argument("--self-signed", action="store_true", help="upload --cert to Telegram")
    parser.add_argument("--emulate", action="store_true", help="run against the embedded emulator")
    args = parser.parse_args()
    if args.emulate:
        return emulate()
    if not args.token or not args.url:
        parser.error("a token (argument or TELEGRAM_BOT_TOKEN) and --url are needed, or --emulate")
    bot = telegrambot.Bot(args.token)
    run_webhook(
        bot,
        make_handler(bot),
        url=args.url,
        host=args.host,
        port=args.port,
        certfile=args.cert,
        keyfile=args.key,
        certificate=args.self_signed or None,
        run_forever=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

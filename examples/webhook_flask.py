"""An echo bot whose webhook is a route of a Flask application.

The Flask view hands each request to a :class:`telegrambot.webhook.WebhookReceiver`, which
checks it (secret token, size, JSON) and puts the update in a queue; the bot's message
loop reads that queue. Flask is needed for this example only (``pip install flask``)::

    python examples/webhook_flask.py TOKEN --url https://bot.example.com/webhook

Flask's development server stands here for the WSGI server you deploy behind HTTPS. The
token may come from TELEGRAM_BOT_TOKEN instead of the command line. ``--emulate`` runs the
bot against the embedded emulator with a scripted user::

    python examples/webhook_flask.py --emulate
"""

import argparse
import os
import queue
import secrets
import sys
import threading

import telegrambot
from telegrambot.webhook import WebhookReceiver

PATH = "/webhook"


def make_app(update_queue, secret_token):
    from flask import Flask, request

    app = Flask(__name__)
    receiver = WebhookReceiver(update_queue, secret_token=secret_token)

    @app.route(PATH, methods=["POST"])
    def webhook():
        status, text = receiver.receive(
            request.method,
            PATH,
            request.headers.get,
            request.headers.get("Content-Length"),
            request.stream.read,
            request.remote_addr,
        )
        return text, status

    return app


def handle_with(bot):
    def handle(msg):
        content_type, chat_type, chat_id = telegrambot.glance(msg)
        if content_type == "text":
            bot.sendMessage(chat_id, "Flask heard: " + msg["text"])

    return handle


def serve(bot, host, port, url):
    """Run Flask on host:port; set the webhook to ``url`` (a function of the bound port)."""
    from werkzeug.serving import make_server

    update_queue = queue.Queue()
    secret_token = secrets.token_urlsafe(32)
    server = make_server(host, port, make_app(update_queue, secret_token), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="flask", daemon=True)
    thread.start()
    loop = bot.message_loop(handle_with(bot), source=update_queue)
    bot.setWebhook(url(server.server_port), secret_token=secret_token)
    return server, thread, loop


def emulate():
    from telegrambot.testing import Emulator

    with Emulator() as emu:
        bot = emu.make_bot()
        server, thread, loop = serve(
            bot, "127.0.0.1", 0, lambda port: "http://127.0.0.1:%d%s" % (port, PATH)
        )
        try:
            alice = emu.user("Alice")
            alice.send("hello Flask")
            print("Alice got:", alice.wait_for_message(timeout=10)["text"])
        finally:
            bot.deleteWebhook()
            server.shutdown()
            thread.join()
            loop.stop()
    return 0


def main():
    parser = argparse.ArgumentParser(description="Echo bot on a Flask webhook route.")
    parser.add_argument("token", nargs="?", default=os.environ.get("TELEGRAM_BOT_TOKEN"))
    parser.add_argument("--url", help="the public URL of the route, ending in " + PATH)
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--emulate", action="store_true", help="run against the embedded emulator")
    args = parser.parse_args()
    try:
        import flask  # noqa: F401
    except ImportError:
        print("Flask is not installed (pip install flask): skipping this example.")
        return 0
    if args.emulate:
        return emulate()
    if not args.token or not args.url:
        parser.error("a token (argument or TELEGRAM_BOT_TOKEN) and --url are needed, or --emulate")
    bot = telegrambot.Bot(args.token)
    server, thread, loop = serve(bot, args.host, args.port, lambda port: args.url)
    print("Serving %s on %s:%d. Ctrl-C to stop." % (PATH, args.host, server.server_port))
    try:
        thread.join()
    except KeyboardInterrupt:
        server.shutdown()
        loop.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A webhook server of your own: Telegram's updates and your own endpoints side by side.

One small WSGI application (the standard library's ``wsgiref`` serves it here; any WSGI
server will do) routes ``/telegram`` to a :class:`telegrambot.webhook.WebhookReceiver`,
which checks Telegram's requests and queues the updates for the bot's loop, and serves two
endpoints of its own:

- ``/healthcheck`` says the bot is running;
- ``/submitpayload?user_id=<id>&payload=<text>`` is a custom update: something that is
  not Telegram's (a form, another service's callback) for one user. It goes to that
  user's delegate as an event (``DelegatorBot.deliver_event``), taken in turn with the
  updates; the delegate keeps the user's payloads in its ``self.state`` and reports each
  to the admin chat.

Each user's chat has a :class:`~telegrambot.helper.ChatHandler`; ``/start`` tells how to
reach the endpoints. Only users who started the bot may be sent payloads: a user id from
the outside world must not start delegates at will. The counterpart of
python-telegram-bot's customwebhookbot.py::

    python examples/custom_webhook.py TOKEN --url https://bot.example.com --admin-chat-id 123
    python examples/custom_webhook.py --emulate

Put the server behind your HTTPS reverse proxy at ``--url`` (Telegram POSTs to
``<url>/telegram``). The token may come from TELEGRAM_BOT_TOKEN.
"""

import argparse
import html
import os
import queue
import re
import secrets
import sys
import threading
import urllib.error
import urllib.request
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, make_server

import telegrambot
from telegrambot import DelegatorBot
from telegrambot.delegate import create_open, pave_event_space, per_chat_id
from telegrambot.helper import ChatHandler
from telegrambot.webhook import WebhookReceiver

TELEGRAM_PATH = "/telegram"


class UserChat(ChatHandler):
    """A user's private chat: instructions on /start, and the payloads posted for them."""

    def __init__(self, seed_tuple, url, admin_chat_id, **kwargs):
        super().__init__(seed_tuple, **kwargs)
        self.url, self.admin_chat_id = url, admin_chat_id
        self.bot.known_users.add(self.chat_id)

    def on_chat_message(self, msg):
        if msg.get("text", "").startswith("/start"):
            submit = html.escape("%s/submitpayload?user_id=%d&payload=<payload>"
                                 % (self.url, self.chat_id))
            self.sender.sendMessage(
                "To check that the bot is running, open <code>%s/healthcheck</code>.\n\n"
                "To post a custom update, call <code>%s</code>." % (html.escape(self.url), submit),
                parse_mode="HTML")

    def on__payload(self, event):  # DelegatorBot.deliver_event(chat_id, "_payload", ...)
        payloads = self.state.setdefault("payloads", [])  # kept by the bot's store, if any
        payloads.append(telegrambot.peel(event)["payload"])
        user = self.bot.getChat(self.chat_id)
        listed = "\n".join("\u2022 <code>%s</code>" % html.escape(p) for p in payloads)
        self.bot.sendMessage(
            self.admin_chat_id,
            '<a href="tg://user?id=%d">%s</a> has sent a new payload. So far they have sent '
            "the following payloads:\n\n%s"
            % (self.chat_id, html.escape(user.get("first_name", "?")), listed),
            parse_mode="HTML")


class PayloadBot(DelegatorBot):
    def __init__(self, token, api_url, url, admin_chat_id):
        self.known_users = set()  # chats whose delegate has been made
        super().__init__(token, [
            pave_event_space()(per_chat_id(types=["private"]), create_open, UserChat,
                               url=url, admin_chat_id=admin_chat_id, timeout=3600),
        ], api_url=api_url)


def answer(start_response, status, text):
    start_response(status, [("Content-Type", "text/plain; charset=utf-8")])
    return [text.encode()]


def make_app(bot, receiver):
    def app(environ, start_response):
        path = environ.get("PATH_INFO")
        if path == TELEGRAM_PATH:
            return receiver(environ, start_response)
        if path == "/healthcheck":
            return answer(start_response, "200 OK", "The bot is still running fine :)")
        if path != "/submitpayload":
            return answer(start_response, "404 Not Found", "Not found.")
        query = parse_qs(environ.get("QUERY_STRING", ""))
        if not query.get("user_id") or not query.get("payload"):
            return answer(start_response, "400 Bad Request",
                          "Please pass both user_id and payload as query parameters.")
        try:
            user_id = int(query["user_id"][0])
        except ValueError:
            return answer(start_response, "400 Bad Request", "The user_id must be a number.")
        if user_id not in bot.known_users:
            return answer(start_response, "404 Not Found",
                          "No such user: they must send /start to the bot first.")
        bot.deliver_event(user_id, "_payload", {"payload": query["payload"][0]})
        return answer(start_response, "200 OK",
                      "Thank you for the submission! It's being forwarded.")

    return app


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # wsgiref prints every request to stderr
        pass


class Running:
    """The bot, its loop and the web server: ``stop()`` ends them all."""

    def __init__(self, bot, server, thread):
        self.bot, self.server, self.thread = bot, server, thread

    def stop(self):
        self.bot.deleteWebhook()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()
        self.bot.stop()


def start(token, api_url, url=None, admin_chat_id=None, host="127.0.0.1", port=0):
    """Serve on host:port; ``url`` is the server's public address (default: its own)."""
    updates = queue.Queue(1000)
    secret = secrets.token_urlsafe(32)
    server = make_server(host, port, lambda environ, start_response: app(environ, start_response),
                         handler_class=QuietHandler)
    url = url or "http://%s:%d" % (host, server.server_port)
    bot = PayloadBot(token, api_url, url, admin_chat_id)
    app = make_app(bot, WebhookReceiver(updates, path=TELEGRAM_PATH, secret_token=secret))
    thread = threading.Thread(target=server.serve_forever, name="custom-webhook-server",
                              daemon=True)
    thread.start()
    bot.message_loop(source=updates)
    bot.setWebhook(url + TELEGRAM_PATH, secret_token=secret)
    return Running(bot, server, thread)


# ---------------------------------------------------------------- --emulate

ADMIN_ID = 424242


def fetch(url):
    """(status, text) of a GET."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def scenario(talk):
    admin = talk.user("Admin", id=ADMIN_ID)
    alice = talk.user("Alice")
    talk.say(alice, "/start")
    howto = talk.expect(alice, "To post a custom update, call")
    base = re.search(r"(http://\S+)/healthcheck", howto["text"]).group(1)

    def get(path):
        status, text = talk.act(alice, "GET " + path, lambda: fetch(base + path))
        talk.show("server", "%d %s" % (status, text))
        return status, text

    assert get("/healthcheck") == (200, "The bot is still running fine :)")
    assert get("/submitpayload?user_id=%d&payload=tea" % alice.id)[0] == 200
    talk.expect(admin, "Alice has sent a new payload. So far they have sent the following "
                       "payloads:\n\n\u2022 tea")
    assert get("/submitpayload?user_id=%d&payload=cake" % alice.id)[0] == 200
    report = talk.expect(admin, "payloads:\n\n\u2022 tea\n\u2022 cake")
    mention = report["entities"][0]  # Telegram makes a tg://user link a mention
    assert mention["type"] == "text_mention" and mention["user"]["id"] == alice.id, mention
    assert get("/submitpayload?user_id=%d&payload=x" % admin.id)[0] == 404  # never /start-ed
    assert get("/submitpayload?user_id=alice&payload=x")[0] == 400
    assert get("/submitpayload?payload=x")[0] == 400
    # the refused posts sent nothing: the admin's next message is the report of this one
    assert get("/submitpayload?user_id=%d&payload=pie" % alice.id)[0] == 200
    talk.expect(admin, "\u2022 tea\n\u2022 cake\n\u2022 pie")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("token", nargs="?", default=os.environ.get("TELEGRAM_BOT_TOKEN"))
    parser.add_argument("--url", help="the server's public HTTPS address (no path)")
    parser.add_argument("--admin-chat-id", type=int, help="where payload reports go")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--emulate", action="store_true", help="run against the embedded emulator")
    args = parser.parse_args()
    if args.emulate:
        from telegrambot.demo import run_scripted

        return run_scripted(lambda token, api_url: start(token, api_url, admin_chat_id=ADMIN_ID),
                            scenario)
    if not args.token or not args.url or args.admin_chat_id is None:
        parser.error("a token (argument or TELEGRAM_BOT_TOKEN), --url and --admin-chat-id are "
                     "needed, or --emulate")
    running = start(args.token, telegrambot.api.DEFAULT_API_URL, args.url.rstrip("/"),
                    args.admin_chat_id, args.host, args.port)
    print("Serving on %s:%d. Ctrl-C to stop." % (args.host, running.server.server_port))
    try:
        running.thread.join()
    except KeyboardInterrupt:
        running.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

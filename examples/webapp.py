"""Web App (Mini App): a colour picker opened from a keyboard button; init data checked.

``/start`` shows a reply keyboard whose button opens a Web App, a web page inside
Telegram (set WEB_APP_URL to yours: a page that calls
``Telegram.WebApp.sendData(JSON.stringify({hex: ..., rgb: {r, g, b}}))``). What the page
sends arrives as a message with ``web_app_data``; the bot answers in HTML, set once for
all its messages with ``defaults``, and removes the keyboard.

A Web App opened from an inline button, the menu or a link talks to its own server
instead, posting ``Telegram.WebApp.initData`` to prove who is using it: ``visitor()`` is
what that server runs on it (``telegrambot.webapp.validate_init_data``). The counterpart
of python-telegram-bot's webappbot.py.
"""

import html
import json
import os
import sys

from _common import main

import telegrambot
from telegrambot.webapp import InvalidInitData, validate_init_data

WEB_APP_URL = os.environ.get("WEB_APP_URL", "https://example.org/colour-picker.html")
BUTTON = "Open the colour picker!"


def start(token, api_url):
    bot = telegrambot.Bot(token, api_url, defaults={"parse_mode": "HTML"})
    keyboard = {"keyboard": [[{"text": BUTTON, "web_app": {"url": WEB_APP_URL}}]],
                "resize_keyboard": True}

    def handle(msg):
        content_type, chat_type, chat_id = telegrambot.glance(msg)
        if content_type != "web_app_data":
            bot.sendMessage(chat_id, "Press the button below to choose a colour in the Web App.",
                            reply_markup=keyboard)
            return
        try:  # the page sent it, but treat it as untrusted input all the same
            choice = json.loads(msg["web_app_data"]["data"])
            rgb = tuple(int(choice["rgb"][k]) for k in "rgb")
            hex_value = str(choice["hex"])
        except (ValueError, KeyError, TypeError):
            bot.sendMessage(chat_id, "That was not a colour.")
            return
        bot.sendMessage(chat_id, "You chose <code>%s</code>, which is <code>%s</code> in RGB."
                        % (html.escape(hex_value), rgb), reply_markup={"remove_keyboard": True})

    bot.message_loop(handle)
    return bot


def visitor(init_data, token):
    """What the Web App's server answers to the init data its page posts."""
    try:
        fields = validate_init_data(init_data, token, max_age=3600)
    except InvalidInitData as e:
        return "403 refused: %s" % e
    user = fields.get("user") or {}
    return "200 hello %s (id %s), opened from %s" % (
        user.get("first_name"), user.get("id"), fields.get("start_param") or "the menu")


def scenario(talk):
    alice = talk.user("Alice")
    talk.say(alice, "/start")
    talk.expect(alice, "choose a colour in the Web App")
    talk.note("her keyboard: %s" % " ".join("[%s]" % b["text"] for row in alice.keyboard() for b in row))
    talk.act(alice, "opens the colour picker and picks orange",
             lambda: alice.send_web_app_data(json.dumps(
                 {"hex": "#ff8800", "rgb": {"r": 255, "g": 136, "b": 0}}), BUTTON))
    reply = talk.expect(alice, "You chose #ff8800, which is (255, 136, 0) in RGB.")
    assert [e["type"] for e in reply["entities"]] == ["code", "code"], reply
    assert alice.keyboard() is None  # removed
    talk.say(alice, "/start")
    talk.expect(alice, "choose a colour")
    talk.act(alice, "opens a tampered copy of the page that sends junk",
             lambda: alice.send_web_app_data("<script>", BUTTON))
    talk.expect(alice, "That was not a colour.")

    token = talk.emu.token
    init_data = alice.web_app_init_data(start_param="promo-7")
    talk.note("Alice opens the Web App from a link; its page posts its init data")
    talk.note(visitor(init_data, token))
    assert visitor(init_data, token).startswith("200 hello Alice")
    forged = init_data.replace("Alice", "Mallory")
    talk.note("Mallory posts Alice's init data with her own name in it")
    talk.note(visitor(forged, token))
    assert visitor(forged, token).startswith("403 refused: init data hash does not match")


if __name__ == "__main__":
    sys.exit(main(start, scenario, __doc__))

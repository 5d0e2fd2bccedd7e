"""An error hook: what a handler raises reaches the developer as a Telegram message.

``/start`` tells the user their chat id; ``/bad_command`` calls a method the bot does not
have, so its handler raises. The loop's ``on_error`` hook gets every exception a handler
raises, with the update being handled: it logs it and sends the developer's chat the
update and the traceback, in HTML. The bot goes on with the next update either way. Set
``DEVELOPER_CHAT_ID`` in the environment (the emulated run makes such a user). The
counterpart of python-telegram-bot's errorhandlerbot.py.
"""

import html
import json
import logging
import os
import sys
import traceback

from _common import main

import telegrambot

log = logging.getLogger(__name__)
DEVELOPER_CHAT_ID = int(os.environ.get("DEVELOPER_CHAT_ID", "424242"))
CUT = 1500  # characters of the update and of the traceback: a message holds 4096


def shorten(text):
    return text if len(text) <= CUT else "...\n" + text[-CUT:]


class Bot(telegrambot.Bot):
    def on_chat_message(self, msg):
        chat_id = msg["chat"]["id"]
        if msg.get("text") == "/bad_command":
            self.wrong_method_name()  # AttributeError: the hook takes it from here
        self.sendMessage(chat_id, "Use /bad_command to cause an error.\n"
                                  "Your chat id is <code>%d</code>." % chat_id, parse_mode="HTML")

    def on_error(self, exc, update):
        """message_loop's on_error: ``update`` is the update whose handler raised."""
        log.error("Exception while handling an update:", exc_info=exc)
        trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        self.sendMessage(
            DEVELOPER_CHAT_ID,
            "An exception was raised while handling an update\n"
            "<pre>update = %s</pre>\n\n<pre>%s</pre>"
            % (html.escape(shorten(json.dumps(update, indent=2, ensure_ascii=False))),
               html.escape(shorten(trace))),
            parse_mode="HTML")


def start(token, api_url):
    bot = Bot(token, api_url)
    bot.message_loop(on_error=bot.on_error)
    return bot


def scenario(talk):
    developer = talk.user("Developer", id=DEVELOPER_CHAT_ID)
    alice = talk.user("Alice")
    talk.say(alice, "/start")
    talk.expect(alice, "Use /bad_command to cause an error.\nYour chat id is %d." % alice.id)
    sent = talk.say(alice, "/bad_command")
    report = talk.expect(developer, "An exception was raised while handling an update")
    assert '"text": "/bad_command"' in report["text"], report["text"]
    assert "AttributeError: 'Bot' object has no attribute 'wrong_method_name'" in report["text"]
    assert str(sent["message_id"]) in report["text"]
    assert [e["type"] for e in report["entities"]] == ["pre", "pre"], report["entities"]
    talk.say(alice, "/start")  # the bot goes on
    talk.expect(alice, "Use /bad_command to cause an error.")


if __name__ == "__main__":
    logging.basicConfig(level=logging.CRITICAL if "--emulate" in sys.argv else logging.INFO)
    sys.exit(main(start, scenario, __doc__))

"""A menu of inline buttons, several steps deep, edited in place.

``/start`` sends a menu. Each press edits that same message into the next step, until the
user chooses to start over (the first step again, in the same message) or to stop. What
a button means depends on the step: the chat's ``Menu`` (a ChatHandler, receiving the
presses on its messages through ``include_callback_query_chat_id``) keeps the step in an
attribute and looks the press up in a table of ``(step, button) -> next``. A press on an
older menu, or after the end, is answered with a hint. The counterpart of
python-telegram-bot's inlinekeyboard2.py (there: a ConversationHandler of
CallbackQueryHandlers).
"""

import sys

from _common import main

import telegrambot
from telegrambot import DelegatorBot
from telegrambot.delegate import (
    create_open,
    include_callback_query_chat_id,
    pave_event_space,
    per_chat_id,
)
from telegrambot.helper import ChatHandler

ROUTES, END = "routes", "end"  # the steps
FIRST = ("Choose a route", ["1", "2"])
# (step, button pressed) -> (new text, new buttons, next step); END's buttons say yes/no
MENU = {
    (ROUTES, "1"): ("Route 1. Choose again", ["3", "4"], ROUTES),
    (ROUTES, "2"): ("Route 2. Choose again", ["1", "3"], ROUTES),
    (ROUTES, "3"): ("Route 3, the last. Start over?", ["1", "2"], END),
    (ROUTES, "4"): ("Route 4. Choose again", ["2", "3"], ROUTES),
    (END, "1"): FIRST + (ROUTES,),
    (END, "2"): ("See you next time!", [], None),
}
LABELS = {END: {"1": "Yes, let's do it again!", "2": "Nah, I've had enough ..."}}
IDLE = 60.0  # seconds without a message or press before the chat's Menu closes


def keyboard(step, buttons):
    labels = LABELS.get(step, {})
    return {"inline_keyboard": [[{"text": labels.get(b, b), "callback_data": b} for b in buttons]]}


class Menu(ChatHandler):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.step = None
        self.menu = None  # (chat_id, message_id) of the menu in use

    def on_chat_message(self, msg):
        if not msg.get("text", "").startswith("/start"):
            self.sender.sendMessage("Send /start for the menu.")
            return
        text, buttons = FIRST
        sent = self.sender.sendMessage(text, reply_markup=keyboard(ROUTES, buttons))
        self.step, self.menu = ROUTES, telegrambot.message_identifier(sent)

    def on_callback_query(self, msg):
        query_id, from_id, data = telegrambot.glance(msg, flavor="callback_query")
        following = MENU.get((self.step, data))
        if following is None or telegrambot.origin_identifier(msg) != self.menu:
            self.bot.answerCallbackQuery(query_id, text="This menu is closed: send /start.")
            return
        self.bot.answerCallbackQuery(query_id)
        text, buttons, self.step = following
        self.bot.editMessageText(self.menu, text,
                                 reply_markup=keyboard(self.step, buttons) if buttons else None)
        if self.step is None:
            self.close()  # the conversation is over; the next /start begins a new one


def start(token, api_url):
    bot = DelegatorBot(token, [
        include_callback_query_chat_id(pave_event_space())(
            per_chat_id(), create_open, Menu, timeout=IDLE),
    ], api_url=api_url)
    bot.message_loop()
    return bot


def scenario(talk):
    alice = talk.user("Alice")
    talk.say(alice, "/start")
    old = talk.expect(alice, "Choose a route\n[1] [2]")
    talk.say(alice, "/start")
    menu = talk.expect(alice, "Choose a route\n[1] [2]")
    talk.expect_answer(talk.press(alice, old, "2"), "This menu is closed")
    for button, shown in (("1", "Route 1. Choose again\n[3] [4]"),
                          ("4", "Route 4. Choose again\n[2] [3]"),
                          ("3", "Start over?\n[Yes, let's do it again!] [Nah, I've had enough ...]"),
                          ("Yes, let's do it again!", "Choose a route\n[1] [2]"),
                          ("2", "Route 2. Choose again\n[1] [3]"),
                          ("3", "Start over?"),
                          ("Nah, I've had enough ...", "See you next time!")):
        talk.expect_answer(talk.press(alice, menu, button))
        talk.expect_edit(menu, shown)
    assert "reply_markup" not in talk.emu.transcript(alice)[-1], "the buttons should be gone"
    talk.expect_answer(talk.press(alice, old, "1"), "This menu is closed")
    talk.say(alice, "/start")
    talk.expect(alice, "Choose a route")


if __name__ == "__main__":
    sys.exit(main(start, scenario, __doc__))

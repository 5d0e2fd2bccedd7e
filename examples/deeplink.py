"""Deep linking: ``t.me/<bot>?start=<payload>`` links that open the bot with a payload.

Whoever opens such a link and presses Start sends ``/start <payload>``; a
``?startgroup=<payload>`` link first has her pick a group to add the bot to, and the
payload comes with ``/start`` in that group. A payload holds up to 64 characters from
A-Z, a-z, 0-9, ``_`` and ``-`` (``deep_link`` checks; ``encode_payload`` packs any bytes).

Two uses here. A tour: ``/start`` gives a link that adds the bot to a group, which leads
back to the private chat, then to a link masked as text, then to a button whose answer is
a link again. And invitations: ``/invite`` gives a personal link; a newcomer arriving
through it is welcomed by name and the inviter is told. The counterpart of
python-telegram-bot's deeplinking.py.
"""

import sys

from _common import main

import telegrambot
from telegrambot.deeplink import decode_payload, deep_link, encode_payload, start_payload

CHECK_THIS_OUT = "check-this-out"
SO_COOL = "so-cool"
USING_ENTITIES = "using-entities-here"
USING_KEYBOARD = "using-keyboard-here"
INVITED = "i-"  # an invitation payload: i-<the inviter's id, base64url>


def start(token, api_url):
    bot = telegrambot.Bot(token, api_url)
    username = bot.getMe()["username"]
    names = {}  # user id -> first name, of everyone who started the bot

    def on_chat(msg):
        content_type, chat_type, chat_id = telegrambot.glance(msg)
        payload = start_payload(msg, username)
        user = msg["from"]
        names[user["id"]] = user["first_name"]
        if payload is None:
            if msg.get("text", "").startswith("/invite"):
                code = INVITED + encode_payload(user["id"].to_bytes(8, "big"))
                bot.sendMessage(chat_id, "Your invitation link: %s" % deep_link(username, code))
            elif chat_type == "private":
                bot.sendMessage(chat_id, "Say /start for a tour, /invite for an invitation link.")
        elif payload == "":
            bot.sendMessage(chat_id, "Feel free to tell your friends about it:\n\n%s"
                            % deep_link(username, CHECK_THIS_OUT, group=True))
        elif payload == CHECK_THIS_OUT:
            button = {"text": "Continue here!", "url": deep_link(username, SO_COOL)}
            bot.sendMessage(chat_id, "Awesome, you just accessed hidden functionality! "
                            "Now let's get back to the private chat.",
                            reply_markup={"inline_keyboard": [[button]]})
        elif payload == SO_COOL:
            bot.sendMessage(chat_id, 'You can also mask the deep-linked URLs as links: '
                            '<a href="%s">CLICK HERE</a>.' % deep_link(username, USING_ENTITIES),
                            parse_mode="HTML", link_preview_options={"is_disabled": True})
        elif payload == USING_ENTITIES:
            button = {"text": "Like this!", "callback_data": "show-keyboard-link"}
            bot.sendMessage(chat_id, "It is also possible to deep-link with inline keyboard buttons.",
                            reply_markup={"inline_keyboard": [[button]]})
        elif payload == USING_KEYBOARD:
            bot.sendMessage(chat_id, "Congratulations! This is as deep as it gets.\n\n"
                            "The payload was: %s" % payload)
        elif payload.startswith(INVITED):
            welcome_invited(chat_id, user, payload[len(INVITED):])
        else:
            bot.sendMessage(chat_id, "I do not know the payload %r." % payload)

    def welcome_invited(chat_id, user, code):
        try:
            inviter = int.from_bytes(decode_payload(code), "big")
        except ValueError:  # a link typed or altered by hand
            inviter = None
        if inviter in names and inviter != user["id"]:
            bot.sendMessage(chat_id, "Welcome, %s! %s invited you." % (user["first_name"], names[inviter]))
            bot.sendMessage(inviter, "%s joined through your link." % user["first_name"])
        else:
            bot.sendMessage(chat_id, "Welcome, %s!" % user["first_name"])

    def on_callback_query(msg):
        query_id, from_id, data = telegrambot.glance(msg, flavor="callback_query")
        # answering with a t.me link of the bot opens the private chat with that payload
        bot.answerCallbackQuery(query_id, url=deep_link(username, USING_KEYBOARD))

    bot.message_loop({"chat": on_chat, "callback_query": on_callback_query})
    return bot


def scenario(talk):
    alice, bob = talk.user("Alice"), talk.user("Bob")
    talk.say(alice, "/start")
    link = talk.expect(alice, "?startgroup=check-this-out")["text"].split()[-1]

    group = talk.emu.group("Book club", members=[alice])
    talk.note("Alice opens %s and picks the group Book club" % link)
    talk.act(alice, "adds the bot to Book club", lambda: alice.add_bot(group))
    talk.say(alice, "/start@emulator_bot check-this-out", chat=group)
    offer = talk.expect(group, "Now let's get back to the private chat.")
    button = offer["reply_markup"]["inline_keyboard"][0][0]
    assert button["url"].endswith("?start=so-cool"), button

    talk.note("Alice presses [%s] and Start in the private chat" % button["text"])
    talk.say(alice, "/start so-cool")
    masked = talk.expect(alice, "mask the deep-linked URLs as links: CLICK HERE.")
    (entity,) = [e for e in masked["entities"] if e["type"] == "text_link"]
    assert entity["url"].endswith("?start=using-entities-here"), entity

    talk.note("Alice follows the masked link")
    talk.say(alice, "/start using-entities-here")
    keyboard = talk.expect(alice, "deep-link with inline keyboard buttons")
    query = talk.press(alice, keyboard, "Like this!")
    talk.expect_answer(query, "https://t.me/emulator_bot?start=using-keyboard-here")
    talk.say(alice, "/start using-keyboard-here")
    talk.expect(alice, "The payload was: using-keyboard-here")

    talk.say(alice, "/invite")
    invitation = talk.expect(alice, "Your invitation link: https://t.me/emulator_bot?start=i-")
    code = invitation["text"].split("start=")[1]
    talk.note("Alice sends Bob the link; Bob opens it and presses Start")
    talk.say(bob, "/start " + code)
    talk.expect(bob, "Welcome, Bob! Alice invited you.")
    talk.expect(alice, "Bob joined through your link.")
    talk.say(bob, "/start i-AAAA*typo")
    talk.expect(bob, "Welcome, Bob!")
    talk.say(bob, "/start nonsense")
    talk.expect(bob, "I do not know the payload 'nonsense'.")


if __name__ == "__main__":
    sys.exit(main(start, scenario, __doc__))

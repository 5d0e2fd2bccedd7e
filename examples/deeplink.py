"""Deep linking: ``t.me/<bot>?start=<payload>`` links that open the bot with a payload.

A user who opens such a link and presses Start sends ``/start <payload>``. Here each user
gets a personal invitation link; a newcomer arriving through it is welcomed by name, and
the inviter is told. The payload may hold up to 64 characters from A-Z, a-z, 0-9, _ and -.
"""

import sys

from _common import main

import telegrambot


def start(token, api_url):
    bot = telegrambot.Bot(token, api_url)
    username = bot.getMe()["username"]
    names = {}  # user id -> first name, of everyone who started the bot

    def invitation(user_id):
        return "https://t.me/%s?start=from-%d" % (username, user_id)

    def handle(msg):
        content_type, chat_type, chat_id = telegrambot.glance(msg)
        if content_type != "text" or not msg["text"].startswith("/start"):
            bot.sendMessage(chat_id, "Your invitation link: %s" % invitation(msg["from"]["id"]))
            return
        user = msg["from"]
        names[user["id"]] = user["first_name"]
        payload = msg["text"][len("/start"):].strip()
        inviter = int(payload[5:]) if payload.startswith("from-") and payload[5:].isdigit() else None
        if inviter in names and inviter != user["id"]:
            bot.sendMessage(chat_id, "Welcome, %s! %s invited you." % (user["first_name"], names[inviter]))
            bot.sendMessage(inviter, "%s joined through your link." % user["first_name"])
        else:
            bot.sendMessage(chat_id, "Welcome, %s! Invite friends with %s" % (
                user["first_name"], invitation(user["id"])))

    bot.message_loop(handle)
    return bot


def scenario(talk):
    alice, bob = talk.user("Alice"), talk.user("Bob")
    talk.say(alice, "/start")
    welcome = talk.expect(alice, "Invite friends with https://t.me/emulator_bot?start=from-")
    link = welcome["text"].split()[-1]
    talk.note("Alice sends Bob the link %s; Bob opens it and presses Start" % link)
    talk.say(bob, "/start " + link.split("start=")[1])
    talk.expect(bob, "Welcome, Bob! Alice invited you.")
    talk.expect(alice, "Bob joined through your link.")


if __name__ == "__main__":
    sys.exit(main(start, scenario, __doc__))

"""Chat members: greet who joins a group, note who leaves, and know which chats the bot is in.

Two update types tell of membership changes: ``my_chat_member`` when the bot's own status
changes (added to a group or channel, removed, blocked or unblocked by a user) and
``chat_member`` when someone else's does. The second comes only to a bot that is an
administrator of the chat and asks for it in ``allowed_updates``. A status change is not
always a membership change: ``telegrambot.chatmember`` tells them apart (a ``restricted``
member may still be in the chat). ``/show_chats`` lists the chats the bot is in. The
counterpart of python-telegram-bot's chatmemberbot.py.
"""

import html
import logging
import sys

from _common import main

import telegrambot
from telegrambot.chatmember import joined, left

log = logging.getLogger("chatmember")


def mention(user):
    return '<a href="tg://user?id=%d">%s</a>' % (user["id"], html.escape(user["first_name"]))


def start(token, api_url):
    bot = telegrambot.Bot(token, api_url, defaults={"parse_mode": "HTML"})
    username = bot.getMe()["username"]
    chats = {"private": set(), "group": set(), "channel": set()}

    def kind(chat):
        return {"supergroup": "group"}.get(chat["type"], chat["type"])

    def on_my_chat_member(msg):
        chat, cause = msg["chat"], msg["from"]["first_name"]
        if joined(msg):
            chats[kind(chat)].add(chat["id"])
            log.info("%s added the bot to %s", cause, chat.get("title") or "a private chat")
            if chat["type"] in ("group", "supergroup"):
                bot.sendMessage(chat["id"], "Hello, %s! Thanks for having me, %s."
                                % (html.escape(chat["title"]), mention(msg["from"])))
        elif left(msg):
            chats[kind(chat)].discard(chat["id"])
            log.info("%s removed or blocked the bot in %s", cause, chat.get("title") or "a private chat")

    def on_chat_member(msg):
        member, cause = msg["new_chat_member"]["user"], msg["from"]
        if joined(msg):
            if member["id"] == cause["id"]:
                text = "%s joined. Welcome!" % mention(member)
            else:
                text = "%s was added by %s. Welcome!" % (mention(member), mention(cause))
        elif left(msg):
            text = "%s is no longer with us." % mention(member)
            if member["id"] != cause["id"]:
                text += " Thanks a lot, %s..." % mention(cause)
        else:
            return  # promoted, restricted, ...: still a member
        bot.sendMessage(msg["chat"]["id"], text)

    def on_chat(msg):
        content_type, chat_type, chat_id = telegrambot.glance(msg)
        if chat_type != "private":
            return
        if msg.get("text", "").startswith("/show_chats"):
            bot.sendMessage(chat_id, "@%s is in a conversation with the users %s, a member of the "
                            "groups %s and in the channels %s." % tuple(
                                [username] + [_ids(chats[k]) for k in ("private", "group", "channel")]))
        elif chat_id not in chats["private"]:
            # a first message: no my_chat_member update comes when a private chat starts
            chats["private"].add(chat_id)
            bot.sendMessage(chat_id, "Welcome, %s. Use /show_chats to see what chats I am in."
                            % html.escape(msg["from"]["first_name"]))

    bot.message_loop({"chat": on_chat, "my_chat_member": on_my_chat_member,
                      "chat_member": on_chat_member},
                     allowed_updates=["message", "my_chat_member", "chat_member"])
    return bot


def _ids(ids):
    return ", ".join(str(i) for i in sorted(ids)) or "(none)"


def scenario(talk):
    emu = talk.emu
    alice, bob, carol = talk.user("Alice"), talk.user("Bob"), talk.user("Carol")
    talk.say(alice, "hi")
    talk.expect(alice, "Welcome, Alice. Use /show_chats")

    group = emu.supergroup("Garden", members=[alice])
    group.bot_status = "left"  # the emulator's chats have the bot in them; not this one yet
    talk.act(alice, "adds the bot to Garden as an administrator", lambda: alice.add_bot(group, as_admin=True))
    hello = talk.expect(group, "Hello, Garden! Thanks for having me, Alice.")
    assert hello["entities"][0]["user"]["id"] == alice.id, hello  # a text_mention of Alice
    talk.act(bob, "joins Garden", lambda: bob.join(group))
    talk.expect(group, "Bob joined. Welcome!")
    talk.act(alice, "adds Carol to Garden", lambda: alice.change_member(group, carol, "member"))
    talk.expect(group, "Carol was added by Alice. Welcome!")
    talk.act(alice, "restricts Carol, who stays in the group",
             lambda: alice.change_member(group, carol, "restricted", is_member=True))
    talk.act(alice, "bans Bob", lambda: alice.change_member(group, bob, "kicked", until_date=0))
    talk.expect(group, "Bob is no longer with us. Thanks a lot, Alice...")  # nothing about Carol
    talk.act(carol, "leaves Garden", lambda: carol.leave(group))
    talk.expect(group, "Carol is no longer with us.")

    channel = emu.channel("Garden news", members=[alice])
    channel.bot_status = "left"
    talk.act(alice, "adds the bot to the channel Garden news",
             lambda: alice.add_bot(channel, as_admin=True))
    talk.say(bob, "/start")
    talk.expect(bob, "Welcome, Bob.")
    talk.act(bob, "blocks the bot", lambda: bob.block_bot())
    talk.say(alice, "/show_chats")
    talk.expect(alice, "is in a conversation with the users %d, a member of the groups %d and in "
                "the channels %d." % (alice.id, group.id, channel.id))


if __name__ == "__main__":
    sys.exit(main(start, scenario, __doc__))

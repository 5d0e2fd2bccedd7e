"""A nested conversation: menus inside menus, each level a state of its own.

Family Bot gathers facts about the user's family on inline keyboards edited in place.
The top level offers to add a family member or yourself, to show the data, or to finish.
Adding a family member enters a nested level (parent or child, then father or mother);
choosing whom enters a third level that asks for a name and an age until "Done", which
keeps the person and goes back one level. "Back" leaves a level, ``/stop`` ends every
level at once. Levels are ``Push`` and ``Pop`` of a :class:`~telegrambot.conversation.Conversation`,
and the family lives in the delegate's ``self.state``. The counterpart of
python-telegram-bot's nestedconversationbot.py.
"""

import sys

from _common import main

import telegrambot
from telegrambot import DelegatorBot
from telegrambot.conversation import END, Conversation, Pop, Push, entry, fallback, step
from telegrambot.delegate import (
    create_open,
    include_callback_query_chat_id,
    pave_event_space,
    per_chat_id,
)
from telegrambot.helper import ChatHandler

WHO = {"parents": ("Father", "Mother"), "children": ("Son", "Daughter")}


def buttons(*rows):
    """Rows of (text, data) pairs as an inline keyboard."""
    return {"inline_keyboard": [[{"text": t, "callback_data": d} for t, d in row] for row in rows]}


MENU = buttons([("Add family member", "member"), ("Add yourself", "self")],
               [("Show data", "show"), ("Done", "done")])
FEATURES = buttons([("Name", "name"), ("Age", "age"), ("Done", "done")])


class Family(Conversation, ChatHandler):
    def show(self, msg, text, markup=None):
        """Edit the message of a pressed button, or send a new one for a typed message."""
        if "data" in msg:
            self.bot.answerCallbackQuery(msg["id"])
            self.bot.editMessageText(telegrambot.origin_identifier(msg), text, reply_markup=markup)
        else:
            self.sender.sendMessage(text, reply_markup=markup)

    def menu(self, msg):
        self.show(msg, "You may add a family member, yourself, show the gathered data, or end "
                       "the conversation. To abort, simply type /stop.", MENU)
        return "selecting_action"

    # -- the top level

    @entry(command="start")
    def start(self, msg):
        self.state.setdefault("family", {})
        self.sender.sendMessage("Hi, I'm Family Bot and I'm here to help you gather "
                                "information about your family.")
        return self.menu(msg)

    @step("selecting_action", data="^self$")
    def adding_self(self, msg):
        self.show(msg, "Okay, please tell me about yourself.", buttons([("Add info", "self")]))
        return "describing_self"

    @step("describing_self", data="^self$")
    def describe_self(self, msg):
        return self.select_feature(msg, "self", "You")

    @step("selecting_action", data="^show$")
    def show_data(self, msg):
        family = self.state["family"]
        lines = []
        for group, title in (("self", "Yourself"), ("parents", "Parents"), ("children", "Children")):
            people = family.get(group) or []
            lines.append(title + ":" + ("".join(
                "\n%s: Name: %s, Age: %s" % (p["who"], p.get("name", "-"), p.get("age", "-"))
                for p in people) or "\nNo information yet."))
        self.show(msg, "\n\n".join(lines), buttons([("Back", "back")]))
        return "showing"

    @step("showing", data="^back$")
    def back_to_menu(self, msg):
        return self.menu(msg)

    @step("selecting_action", data="^done$")
    def done(self, msg):
        self.show(msg, "See you around!")
        return END

    # -- the second level: whom to add

    @step("selecting_action", data="^member$")
    def adding_member(self, msg):
        self.select_level(msg)
        return Push("selecting_level")

    def select_level(self, msg):
        self.show(msg, "You may add a parent or a child. Also you can show the gathered data "
                       "or go back.", buttons([("Add parent", "parents"), ("Add child", "children")],
                                              [("Show data", "show"), ("Back", "back")]))

    @step("selecting_level", data="^(parents|children)$")
    def select_gender(self, msg):
        self.state["group"] = msg["data"]
        male, female = WHO[msg["data"]]
        self.show(msg, "Please choose, whom to add.",
                  buttons([("Add " + male, male), ("Add " + female, female)],
                          [("Show data", "show"), ("Back", "back")]))
        return "selecting_gender"

    @step("selecting_gender", data="^(Father|Mother|Son|Daughter)$")
    def gender_chosen(self, msg):
        return self.select_feature(msg, self.state["group"], msg["data"])

    @fallback(data="^show$", states=["selecting_level", "selecting_gender"])
    def show_from_level(self, msg):
        self.show_data(msg)
        return Pop("showing")

    @fallback(data="^back$", states=["selecting_level", "selecting_gender"])
    def end_second_level(self, msg):
        return Pop(self.menu(msg))

    # -- the third level: name and age of one person

    def select_feature(self, msg, group, who):
        self.state["person"] = {"group": group, "who": who}
        self.show(msg, "Please select a feature to update.", FEATURES)
        return Push("selecting_feature")

    @step("selecting_feature", data="^(name|age)$")
    def ask_for_input(self, msg):
        self.state["feature"] = msg["data"]
        self.show(msg, "Okay, tell me.")
        return "typing"

    @step("typing", text=True)
    def save_input(self, msg):
        self.state["person"][self.state.pop("feature")] = msg["text"]
        self.show(msg, "Got it! Please select a feature to update.", FEATURES)
        return "selecting_feature"

    @step("selecting_feature", data="^done$")
    def end_describing(self, msg):
        person = self.state.pop("person")
        group = person.pop("group")
        self.state["family"].setdefault(group, []).append(person)
        if group == "self":
            return Pop(self.menu(msg))  # back to the top level
        self.select_level(msg)
        return Pop("selecting_level")

    # -- everywhere

    @fallback(command="stop")
    def stop(self, msg):
        self.sender.sendMessage("Okay, bye.")
        return END

    def on_unmatched(self, msg):
        if "data" in msg:
            self.bot.answerCallbackQuery(msg["id"], text="This menu is closed: send /start.")


def start(token, api_url):
    bot = DelegatorBot(token, [
        include_callback_query_chat_id(pave_event_space())(
            per_chat_id(types=["private"]), create_open, Family, timeout=900),
    ], api_url=api_url, rate_limiter=True)
    bot.message_loop()
    return bot


def scenario(talk):
    alice = talk.user("Alice")
    talk.say(alice, "/start")
    talk.expect(alice, "Hi, I'm Family Bot")
    menu = talk.expect(alice, "You may add a family member, yourself")

    def press(button, then):
        talk.expect_answer(talk.press(alice, menu, button))
        return talk.expect_edit(menu, then)

    press("Add yourself", "Okay, please tell me about yourself.")
    press("Add info", "Please select a feature to update.")
    press("Name", "Okay, tell me.")
    talk.say(alice, "Alice")
    talk.expect(alice, "Got it! Please select a feature to update.")
    talk.expect_answer(talk.press(alice, alice.received()[-1], "Done"))
    talk.expect_edit(alice.received()[-1], "You may add a family member, yourself")
    menu = alice.received()[-1]
    press("Add family member", "You may add a parent or a child.")
    press("Add parent", "Please choose, whom to add.\n[Add Father] [Add Mother]")
    press("Add Mother", "Please select a feature to update.")
    press("Age", "Okay, tell me.")
    talk.say(alice, "64")
    features = talk.expect(alice, "Got it!")
    talk.expect_answer(talk.press(alice, features, "Done"))
    talk.expect_edit(features, "You may add a parent or a child.")  # one level up
    menu = features
    press("Show data", "Yourself:\nYou: Name: Alice, Age: -\n\nParents:\nMother: Name: -, "
                       "Age: 64\n\nChildren:\nNo information yet.")
    press("Back", "You may add a family member, yourself")
    press("Add family member", "You may add a parent or a child.")
    press("Add child", "[Add Son] [Add Daughter]")
    press("Back", "You may add a family member, yourself")  # leaves the nested level
    press("Add family member", "You may add a parent or a child.")
    press("Add child", "[Add Son] [Add Daughter]")
    press("Add Son", "Please select a feature to update.")
    talk.say(alice, "/stop")  # from three levels deep
    talk.expect(alice, "Okay, bye.")
    talk.expect_answer(talk.press(alice, menu, "Name"), "This menu is closed: send /start.")


if __name__ == "__main__":
    sys.exit(main(start, scenario, __doc__))

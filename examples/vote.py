"""A vote in a group: callback queries intercepted by the chat's own handler.

``/vote`` posts a ballot with buttons. Wrapped in ``intercept_callback_query_origin``,
the group's ``VoteCounter`` (with ``InterceptCallbackQueryMixin``) captures the presses on
every message it sends with callback buttons, so the ballot box stays one attribute of one
object. The vote closes when every member has voted, or after ``VOTE_TIME`` seconds (a
scheduler event).
"""

import sys

from _common import main

import telegrambot
from telegrambot import DelegatorBot
from telegrambot.delegate import (
    create_open,
    intercept_callback_query_origin,
    pave_event_space,
    per_chat_id,
)
from telegrambot.helper import ChatHandler, InterceptCallbackQueryMixin

VOTE_TIME = 2.5  # seconds
IDLE = 5.0  # the handler outlives any vote


class VoteCounter(ChatHandler, InterceptCallbackQueryMixin):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.router.routing_table["_vote_expired"] = self.on__vote_expired
        self.ballot = None  # user id -> choice, while a vote is open
        self.ballot_message = self.expiry = None
        self.voters = 0

    def on_chat_message(self, msg):
        if msg.get("text", "").split("@")[0] != "/vote":
            return
        if self.ballot is not None:
            self.sender.sendMessage("One vote at a time, please.")
            return
        self.ballot = {}
        self.ballot_message = self.sender.sendMessage("Pizza tonight?", reply_markup={
            "inline_keyboard": [[{"text": "Yes", "callback_data": "yes"},
                                 {"text": "No", "callback_data": "no"}]]})
        self.voters = self.administrator.getChatMemberCount() - 1  # everyone but the bot
        self.expiry = self.scheduler.event_later(VOTE_TIME, ("_vote_expired", {}))

    def on_callback_query(self, msg):
        query_id, from_id, choice = telegrambot.glance(msg, flavor="callback_query")
        if self.ballot is None:
            self.bot.answerCallbackQuery(query_id, text="This vote is closed.")
        elif from_id in self.ballot:
            self.bot.answerCallbackQuery(query_id, text="You have voted already.")
        else:
            self.ballot[from_id] = choice
            self.bot.answerCallbackQuery(query_id, text="Counted: %s" % choice)
            if len(self.ballot) >= self.voters:
                self.scheduler.cancel(self.expiry)
                self.close_ballot("everyone voted")

    def on__vote_expired(self, event):
        self.close_ballot("time is up")

    def close_ballot(self, why):
        votes = list(self.ballot.values())
        # editing away the buttons also stops capturing presses on this message
        self.bot.editMessageText(
            telegrambot.message_identifier(self.ballot_message),
            "Pizza tonight? Closed, %s: %d yes, %d no." % (why, votes.count("yes"), votes.count("no")))
        self.ballot = None


def start(token, api_url):
    bot = DelegatorBot(token, [
        intercept_callback_query_origin(pave_event_space())(
            per_chat_id(types=["group", "supergroup"]), create_open, VoteCounter, timeout=IDLE),
    ], api_url=api_url)
    bot.message_loop()
    return bot


def scenario(talk):
    alice, bob, carol = talk.user("Alice"), talk.user("Bob"), talk.user("Carol")
    group = talk.emu.group("Friends", [alice, bob, carol])
    talk.say(alice, "/vote", chat=group)
    ballot = talk.expect(group, "Pizza tonight?")
    # the bot counts the voters once the ballot is out: from then on it knows the ballot
    talk.emu.wait_for_request("getChatMemberCount")
    talk.expect_answer(talk.press(alice, ballot, "Yes"), "Counted: yes")
    talk.expect_answer(talk.press(alice, ballot, "No"), "You have voted already.")
    talk.expect_answer(talk.press(bob, ballot, "No"), "Counted: no")
    talk.expect_answer(talk.press(carol, ballot, "Yes"), "Counted: yes")
    talk.expect_edit(ballot, "Closed, everyone voted: 2 yes, 1 no.")
    talk.say(bob, "/vote", chat=group)
    ballot = talk.expect(group, "Pizza tonight?")
    talk.emu.wait_for_request("getChatMemberCount")
    talk.expect_answer(talk.press(carol, ballot, "No"), "Counted: no")
    talk.note("nobody else votes")
    talk.expect_edit(ballot, "Closed, time is up: 0 yes, 1 no.")


if __name__ == "__main__":
    sys.exit(main(start, scenario, __doc__))

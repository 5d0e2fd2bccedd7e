"""Add the bot to a group, then send `/vote` to the group: the bot organizes a ballot.
When all members have voted, or when time is up, it announces the result.

The VoteCounter closes when the group is idle; its ballot is kept in a SafeDict, and the
expiry event starts a new VoteCounter, which carries on from it.

$ python vote.py <token> [ballot seconds] [idle seconds]
"""

import sys
from functools import reduce

import telegrambot as telepot
from telegrambot.delegate import (
    create_open,
    include_callback_query_chat_id,
    pave_event_space,
    per_chat_id,
)
from telegrambot.namedtuple import InlineKeyboardButton, InlineKeyboardMarkup

votes = telepot.helper.SafeDict()  # thread-safe dict


class VoteCounter(telepot.helper.ChatHandler):
    def __init__(self, *args, **kwargs):
        super(VoteCounter, self).__init__(*args, **kwargs)

        global votes
        if self.id in votes:
            self._ballot_box, self._keyboard_msg_ident, self._expired_event = votes[self.id]
            self._editor = telepot.helper.Editor(self.bot, self._keyboard_msg_ident) if self._keyboard_msg_ident else None
        else:
            self._ballot_box = None
            self._keyboard_msg_ident = None
            self._editor = None
            self._expired_event = None

        self._member_count = self.administrator.getChatMembersCount() - 1  # exclude myself, the bot

        # Catch _vote_expired event
        self.router.routing_table['_vote_expired'] = self.on__vote_expired

    def on_chat_message(self, msg):
        content_type, chat_type, chat_id = telepot.glance(msg)

        if content_type != 'text':
            print('Not a text message.')
            return

        if msg['text'] != '/vote':
            print('Not /vote')
            return

        if self._ballot_box is not None:
            self.sender.sendMessage('Voting still in progress')
        else:
            self._init_ballot()

    def _count_votes(self):
        yes = reduce(lambda a, b: a + (1 if b == 'yes' else 0), self._ballot_box.values(), 0)
        no = reduce(lambda a, b: a + (1 if b == 'no' else 0), self._ballot_box.values(), 0)
        return yes, no, self._member_count - yes - no

    def _init_ballot(self):
        keyboard = InlineKeyboardMarkup(inline_keyboard=[[
                       InlineKeyboardButton(text='Yes', callback_data='yes'),
                       InlineKeyboardButton(text='Nah!!!!', callback_data='no'),
                   ]])
        sent = self.sender.sendMessage("Let's Vote ...", reply_markup=keyboard)

        self._ballot_box = {}
        self._keyboard_msg_ident = telepot.message_identifier(sent)
        self._editor = telepot.helper.Editor(self.bot, self._keyboard_msg_ident)

        # Generate an expiry event some seconds later
        self._expired_event = self.scheduler.event_later(BALLOT, ('_vote_expired', {'seconds': BALLOT}))

    def _close_ballot(self):
        try:
            self.scheduler.cancel(self._expired_event)
        # The expiry event may have already occurred and cannot be found in scheduler.
        except telepot.exception.EventNotFound:
            pass

        self._editor.editMessageReplyMarkup(reply_markup=None)

        self._ballot_box = None
        self._keyboard_msg_ident = None
        self._editor = None

    def on_callback_query(self, msg):
        query_id, from_id, query_data = telepot.glance(msg, flavor='callback_query')

        if from_id in self._ballot_box:
            self.bot.answerCallbackQuery(query_id, text='You have already voted %s' % self._ballot_box[from_id])
        else:
            self.bot.answerCallbackQuery(query_id, text='Ok')
            self._ballot_box[from_id] = query_data

        # Announce results if everyone has voted.
        if len(self._ballot_box) >= self._member_count:
            result = self._count_votes()
            self._close_ballot()
            self.sender.sendMessage('Everyone has voted:\nYes: %d\nNo: %d\nSilent: %d' % result)

    def on__vote_expired(self, event):
        result = self._count_votes()
        self._close_ballot()
        self.sender.sendMessage('Time is up:\nYes: %d\nNo: %d\nSilent: %d' % result)

    def on_close(self, ex):
        global votes
        if self._ballot_box is None:
            try:
                del votes[self.id]
            except KeyError:
                pass
        else:
            votes[self.id] = (self._ballot_box, self._keyboard_msg_ident, self._expired_event)

        print('Closing:', dict(votes))


TOKEN = sys.argv[1]
BALLOT = float(sys.argv[2]) if len(sys.argv) > 2 else 30
TIMEOUT = float(sys.argv[3]) if len(sys.argv) > 3 else 10

bot = telepot.DelegatorBot(TOKEN, [
    include_callback_query_chat_id(
        pave_event_space())(
            per_chat_id(types=['group']), create_open, VoteCounter, timeout=TIMEOUT),
])
bot.message_loop(run_forever='Listening ...')

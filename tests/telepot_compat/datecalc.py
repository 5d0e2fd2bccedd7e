"""When pondering the date of an appointment, we think "this Saturday" or "next Monday".
This inline bot turns weekdays into dates:

1. In a group chat, type `@YourBot monday`: it suggests a few dates.
2. Choose one: the group has a while to vote on the proposed date.
3. When time is up, the result is announced in the message itself.

Callback queries are mapped back to the InlineUserHandler that made the message, so
asking and gathering answers happen in the same object.

$ python datecalc.py <token> [ballot seconds]
"""

import sys
from datetime import datetime, timedelta
from functools import reduce

import telegrambot as telepot
from telegrambot.delegate import (
    create_open,
    intercept_callback_query_origin,
    pave_event_space,
    per_inline_from_id,
)
from telegrambot.namedtuple import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
)

user_ballots = telepot.helper.SafeDict()  # thread-safe dict


class DateCalculator(telepot.helper.InlineUserHandler,
                     telepot.helper.AnswererMixin,
                     telepot.helper.InterceptCallbackQueryMixin):
    def __init__(self, *args, **kwargs):
        super(DateCalculator, self).__init__(*args, **kwargs)

        global user_ballots
        if self.id in user_ballots:
            self._ballots = user_ballots[self.id]
            print('Ballot retrieved.')
        else:
            self._ballots = {}
            print('Ballot initialized.')

        self.router.routing_table['_expired'] = self.on__expired

    def on_inline_query(self, msg):
        def compute():
            query_id, from_id, query_string = telepot.glance(msg, flavor='inline_query')
            print('Inline query:', query_id, from_id, query_string)

            weekdays = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday']
            query_string = query_string.lower()

            query_weekdays = [day[0] for day in enumerate(weekdays) if day[1].startswith(query_string)]

            def days_to(today, target):
                d = target - today
                if d <= 0:
                    d += 7
                return timedelta(days=d)

            today = datetime.today()
            deltas = [days_to(today.weekday(), target) for target in query_weekdays]

            def make_result(today, week_delta, day_delta):
                future = today + week_delta + day_delta

                n = 0 if future.weekday() > today.weekday() else 1
                n += int(week_delta.days / 7)

                return InlineQueryResultArticle(
                           id=future.strftime('%Y-%m-%d'),
                           title=('next ' * n if n > 0 else 'this ') + weekdays[future.weekday()].capitalize(),
                           input_message_content=InputTextMessageContent(
                               message_text=future.strftime('%A, %Y-%m-%d')
                           ),
                           reply_markup=InlineKeyboardMarkup(
                               inline_keyboard=[[
                                   InlineKeyboardButton(text='Yes', callback_data='yes'),
                                   InlineKeyboardButton(text='No', callback_data='no'),
                               ]]
                           )
                       )

            results = []
            for i in range(0, 3):
                weeks = timedelta(weeks=i)
                for d in deltas:
                    results.append(make_result(today, weeks, d))

            return results

        self.answerer.answer(msg, compute)

    def on_chosen_inline_result(self, msg):
        if 'inline_message_id' in msg:
            inline_message_id = msg['inline_message_id']
            suggested_date = msg['result_id']
            self._ballots[inline_message_id] = {}
            self.scheduler.event_later(BALLOT, ('_expired', {'seconds': BALLOT,
                                                             'inline_message_id': inline_message_id,
                                                             'date': suggested_date}))

    def on_callback_query(self, msg):
        if 'inline_message_id' in msg:
            inline_message_id = msg['inline_message_id']
            ballot = self._ballots[inline_message_id]

            query_id, from_id, query_data = telepot.glance(msg, flavor='callback_query')
            if from_id in ballot:
                self.bot.answerCallbackQuery(query_id, text='You have already voted %s' % ballot[from_id])
            else:
                self.bot.answerCallbackQuery(query_id, text='Ok')
                ballot[from_id] = query_data

    def _count(self, ballot):
        yes = reduce(lambda a, b: a + (1 if b == 'yes' else 0), ballot.values(), 0)
        no = reduce(lambda a, b: a + (1 if b == 'no' else 0), ballot.values(), 0)
        return yes, no

    def on__expired(self, event):
        evt = telepot.peel(event)
        inline_message_id = evt['inline_message_id']
        suggested_date = evt['date']

        ballot = self._ballots[inline_message_id]
        text = '%s\nYes: %d\nNo: %d' % ((suggested_date,) + self._count(ballot))

        editor = telepot.helper.Editor(self.bot, inline_message_id)
        editor.editMessageText(text=text, reply_markup=None)

        del self._ballots[inline_message_id]
        self.close()

    def on_close(self, ex):
        global user_ballots
        user_ballots[self.id] = self._ballots
        print('Closing, ballots saved.')


TOKEN = sys.argv[1]
BALLOT = float(sys.argv[2]) if len(sys.argv) > 2 else 30

bot = telepot.DelegatorBot(TOKEN, [
    intercept_callback_query_origin(
        pave_event_space())(
            per_inline_from_id(), create_open, DateCalculator, timeout=10),
])
bot.message_loop(run_forever='Listening ...')

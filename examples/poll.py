"""Polls and quizzes: sending them, hearing the votes, closing them, previewing the user's.

``/poll`` sends a poll that is not anonymous and allows several answers: each vote
arrives as a ``poll_answer`` (who chose what), and the bot tells the chat how that person
feels. ``/quiz`` sends an anonymous quiz: each vote arrives as a ``poll`` update with the
new counts. Either is closed (``stopPoll``) once three people have voted. ``/preview``
shows a keyboard button that asks the user to make a poll; the bot answers the poll she
sends with a closed copy of it, and removes the keyboard.

The bot remembers its open polls in a dict: every handler of ``message_loop`` runs on the
loop's thread, one at a time, so a plain dict needs no lock. The counterpart of
python-telegram-bot's pollbot.py.
"""

import html
import sys

from _common import main

import telegrambot
from telegrambot.helper import Router
from telegrambot.routing import by_chat_command

VOTERS = 3  # a poll closes after this many votes
FEELINGS = ["Good", "Really good", "Fantastic", "Great"]
EGGS = ["1", "2", "4", "20"]


def options(texts):
    return [{"text": text} for text in texts]


def mention(user):
    return '<a href="tg://user?id=%d">%s</a>' % (user["id"], html.escape(user["first_name"]))


def start(token, api_url):
    bot = telegrambot.Bot(token, api_url)
    polls = {}  # poll id -> {"chat_id", "message", "options", "votes"}, while open

    def reply(msg, text, **kwargs):
        return bot.sendMessage(msg["chat"]["id"], text, **kwargs)

    def remember(sent, texts):
        polls[sent["poll"]["id"]] = {"chat_id": sent["chat"]["id"], "options": texts, "votes": 0,
                                     "message": telegrambot.message_identifier(sent)}

    def close(poll_id):
        poll = polls.pop(poll_id)
        bot.stopPoll(poll["message"])  # (chat_id, message_id)

    def send_poll(msg, args):
        sent = bot.sendPoll(msg["chat"]["id"], "How are you?", options(FEELINGS),
                            is_anonymous=False, allows_multiple_answers=True)
        remember(sent, FEELINGS)

    def send_quiz(msg, args):
        sent = bot.sendPoll(msg["chat"]["id"], "How many eggs do you need for a cake?",
                            options(EGGS), type="quiz", correct_option_ids=[2])
        remember(sent, EGGS)

    def preview(msg, args):
        button = {"text": "Press me!", "request_poll": {}}  # {} leaves poll or quiz to her
        reply(msg, "Press the button to let the bot generate a preview for your poll",
              reply_markup={"keyboard": [[button]], "one_time_keyboard": True})

    def copy_closed(msg, poll):
        """Answer the user's poll with a closed copy of it."""
        right = poll.get("correct_option_ids")  # a quiz, unless its answer is unknown
        extra = {"type": "quiz", "correct_option_ids": right} if right else {}
        bot.sendPoll(msg["chat"]["id"], poll["question"], options(o["text"] for o in poll["options"]),
                     is_closed=True, reply_parameters={"message_id": msg["message_id"]},
                     reply_markup={"remove_keyboard": True}, **extra)

    commands = Router(by_chat_command(pass_args=True), {
        "start": lambda msg, args: reply(msg, "Send /poll for a poll, /quiz for a quiz or "
                                              "/preview to preview a poll of yours."),
        "poll": send_poll,
        "quiz": send_quiz,
        "preview": preview,
        None: lambda msg, args: reply(msg, "Use /quiz, /poll or /preview to test this bot."),
    })

    def on_chat(msg):
        content_type, chat_type, chat_id = telegrambot.glance(msg)
        if content_type == "poll":
            copy_closed(msg, msg["poll"])
        elif content_type == "text":
            commands.route(msg)

    def on_poll_answer(answer):
        # a vote in a poll that is not anonymous: who chose what
        poll = polls.get(answer["poll_id"])
        if poll is None or not answer["option_ids"]:
            return  # an older poll, or a vote taken back
        chosen = " and ".join(poll["options"][i] for i in answer["option_ids"])
        bot.sendMessage(poll["chat_id"], "%s feels %s!" % (mention(answer["user"]), chosen),
                        parse_mode="HTML")
        poll["votes"] += 1
        if poll["votes"] >= VOTERS:
            close(answer["poll_id"])

    def on_poll(poll):
        # the new state of a poll of ours after a vote, or once closed: the count is
        # taken from here for anonymous polls (the others are counted by their answers)
        if poll["is_anonymous"] and not poll["is_closed"] and poll["id"] in polls \
                and poll["total_voter_count"] >= VOTERS:
            close(poll["id"])

    bot.message_loop({"chat": on_chat, "poll_answer": on_poll_answer, "poll": on_poll})
    return bot


def scenario(talk):
    alice, bob, carol, dave = (talk.user(name) for name in ("Alice", "Bob", "Carol", "Dave"))
    talk.say(alice, "/start")
    talk.expect(alice, "Send /poll for a poll")
    talk.say(alice, "/help")
    talk.expect(alice, "Use /quiz, /poll or /preview")

    club = talk.emu.group("Book club", [alice, bob, carol, dave])
    talk.say(alice, "/poll", chat=club)
    poll = talk.expect(club, "[poll: How are you?] Good | Really good | Fantastic | Great")
    assert poll["poll"]["allows_multiple_answers"] and not poll["poll"]["is_anonymous"], poll
    for voter, chosen, feels in ((alice, [0, 2], "Alice feels Good and Fantastic!"),
                                 (bob, [3], "Bob feels Great!"),
                                 (carol, [1], "Carol feels Really good!")):
        talk.act(voter, "votes %s" % " and ".join(FEELINGS[i] for i in chosen),
                 lambda voter=voter, chosen=chosen: voter.answer_poll(poll, chosen))
        said = talk.expect(club, feels)
        assert said["entities"][0]["type"] == "text_mention", said
        assert said["entities"][0]["user"]["id"] == voter.id, said
    talk.expect_edit(poll, "How are you?] Good | Really good | Fantastic | Great (closed)")
    closed = talk.act(dave, "tries to vote", lambda: _refused(lambda: dave.answer_poll(poll, [0])))
    assert "closed" in closed, closed
    talk.note("Dave cannot: %s" % closed)

    talk.say(bob, "/quiz", chat=club)
    quiz = talk.expect(club, "[quiz: How many eggs do you need for a cake?] 1 | 2 | 4 | 20")
    assert quiz["poll"]["correct_option_ids"] == [2], quiz
    for voter, choice in ((alice, 2), (carol, 3), (dave, 2)):
        talk.act(voter, "answers %s" % EGGS[choice],
                 lambda voter=voter, choice=choice: voter.answer_poll(quiz, [choice]))
    shut = talk.expect_edit(quiz, "(closed)")
    assert [o["voter_count"] for o in shut["poll"]["options"]] == [0, 0, 2, 1], shut

    talk.say(alice, "/preview")
    talk.expect(alice, "generate a preview for your poll")
    talk.note("her keyboard: %s" % " ".join("[%s]" % b["text"] for row in alice.keyboard() for b in row))
    mine = talk.act(alice, "presses it and makes a poll: Tea or coffee?",
                    lambda: alice.create_poll("Tea or coffee?", ["Tea", "Coffee", "Both"]))
    copy = talk.expect(alice, "[poll: Tea or coffee?] Tea | Coffee | Both (closed)")
    assert copy["reply_to_message"]["message_id"] == mine["message_id"], copy
    assert alice.keyboard() is None, "the keyboard should be removed"
    talk.say(alice, "/preview")
    talk.expect(alice, "generate a preview")
    talk.act(alice, "makes a quiz this time: Capital of France?",
             lambda: alice.create_poll("Capital of France?", ["Lyon", "Paris"], type="quiz",
                                       correct_option_ids=[1]))
    copy = talk.expect(alice, "[quiz: Capital of France?] Lyon | Paris (closed)")
    assert copy["poll"]["correct_option_ids"] == [1], copy


def _refused(action):
    """What the user's app says when she tries ``action`` (an AssertionError's text)."""
    try:
        action()
    except AssertionError as refusal:
        return str(refusal)
    raise AssertionError("the action went through")


if __name__ == "__main__":
    sys.exit(main(start, scenario, __doc__))

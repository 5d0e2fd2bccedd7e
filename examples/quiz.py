"""A quiz on inline buttons: a CallbackQueryOriginHandler per quiz message.

A ChatHandler offers a quiz with a [Start] button. Pressing it starts a ``Quizzer``, the
delegate of that one message (its *origin*, seeded by ``per_callback_query_origin``): it
edits the message into each question in turn and receives the presses of its buttons.
Several quizzes can run in one chat at once, each with its own score.
"""

import random
import re
import sys

from _common import main

import telegrambot
from telegrambot import DelegatorBot
from telegrambot.delegate import (
    create_open,
    pave_event_space,
    per_callback_query_origin,
    per_chat_id,
)
from telegrambot.helper import CallbackQueryOriginHandler, ChatHandler

QUESTIONS = 3
IDLE = 2.0  # seconds a quiz waits for a press


def keyboard(*labels):
    return {"inline_keyboard": [[{"text": str(label), "callback_data": str(label)}
                                 for label in labels]]}


class QuizStarter(ChatHandler):
    def on_chat_message(self, msg):
        self.sender.sendMessage("%d sums against the clock. Ready?" % QUESTIONS,
                                reply_markup=keyboard("Start"))


class Quizzer(CallbackQueryOriginHandler):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.asked = self.right = 0
        self.answer = None

    def ask(self):
        self.asked += 1
        a, b = random.randint(2, 20), random.randint(2, 20)
        self.answer = a + b
        choices = sorted({self.answer, self.answer + random.randint(1, 3),
                          self.answer - random.randint(1, 3)})
        self.editor.editMessageText("Question %d: %d + %d = ?" % (self.asked, a, b),
                                    reply_markup=keyboard(*choices))

    def on_callback_query(self, msg):
        query_id, from_id, data = telegrambot.glance(msg, flavor="callback_query")
        if data == "Start":
            self.bot.answerCallbackQuery(query_id)
        elif self.answer is not None:
            correct = int(data) == self.answer
            self.right += correct
            self.bot.answerCallbackQuery(query_id, text="Right!" if correct else "No, %d." % self.answer)
            if self.asked == QUESTIONS:
                self.editor.editMessageText("Score: %d of %d." % (self.right, QUESTIONS))
                self.close()
                return
        self.ask()

    def on__idle(self, event):
        self.editor.editMessageText("Too slow! Score: %d of %d." % (self.right, QUESTIONS))
        self.close()


def start(token, api_url):
    bot = DelegatorBot(token, [
        pave_event_space()(per_chat_id(), create_open, QuizStarter, timeout=IDLE),
        pave_event_space()(per_callback_query_origin(), create_open, Quizzer, timeout=IDLE),
    ], api_url=api_url)
    bot.message_loop()
    return bot


def scenario(talk):
    alice = talk.user("Alice")
    talk.say(alice, "/quiz")
    quiz = talk.expect(alice, "Ready?")
    talk.expect_answer(talk.press(alice, quiz, "Start"))
    for number, right in ((1, True), (2, False), (3, True)):
        shown = talk.expect_edit(quiz, "Question %d:" % number)
        a, b = re.search(r"(\d+) \+ (\d+)", shown["text"]).groups()
        correct = str(int(a) + int(b))
        buttons = [button["text"] for button in shown["reply_markup"]["inline_keyboard"][0]]
        choice = correct if right else next(label for label in buttons if label != correct)
        talk.expect_answer(talk.press(alice, shown, choice), "Right!" if right else "No, ")
    talk.expect_edit(quiz, "Score: 2 of 3.")
    talk.say(alice, "/quiz")
    quiz = talk.expect(alice, "Ready?")
    talk.press(alice, quiz, "Start")
    talk.expect_edit(quiz, "Question 1:")
    talk.note("Alice walks away")
    talk.expect_edit(quiz, "Too slow! Score: 0 of 3.")


if __name__ == "__main__":
    sys.exit(main(start, scenario, __doc__))

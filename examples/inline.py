"""Inline mode: answer ``@yourbot query`` from any chat, through an Answerer.

Clients send an inline query on every keystroke. The Answerer computes answers on a
thread per user and drops the answer to a query once a newer one from the same user has
arrived. (Inline mode must be switched on with @BotFather's /setinline.)
"""

import sys

from _common import main

import telegrambot
from telegrambot.helper import Answerer
from telegrambot.namedtuple import InlineQueryResultArticle, InputTextMessageContent


def results_for(query):
    """Three ways to say the query out loud."""
    text = query.strip() or "..."
    variants = [("upper", "Shout", text.upper()), ("lower", "Whisper", text.lower()),
                ("title", "Announce", text.title())]
    return [InlineQueryResultArticle(
        id=result_id, title="%s: %s" % (title, said),
        input_message_content=InputTextMessageContent(message_text=said),
    ) for result_id, title, said in variants]


def start(token, api_url):
    bot = telegrambot.Bot(token, api_url)
    answerer = Answerer(bot)

    def on_inline_query(msg):
        query_id, from_id, query = telegrambot.glance(msg, flavor="inline_query")

        def compute():
            # a dict: the parameters of answerInlineQuery besides the query id
            return {"results": results_for(query), "cache_time": 0, "is_personal": True}

        answerer.answer(msg, compute)

    def on_chosen_inline_result(msg):
        result_id, from_id, query = telegrambot.glance(msg, flavor="chosen_inline_result")
        bot.sendMessage(from_id, "You chose to %s %r." % (result_id, query))

    def on_chat(msg):
        content_type, chat_type, chat_id = telegrambot.glance(msg)
        bot.sendMessage(chat_id, "Type @%s and some words in any chat." % username)

    username = bot.getMe()["username"]
    bot.message_loop({
        "inline_query": on_inline_query,
        "chosen_inline_result": on_chosen_inline_result,
        "chat": on_chat,
    })
    return bot


def scenario(talk):
    alice = talk.user("Alice")
    talk.say(alice, "/start")
    talk.expect(alice, "Type @emulator_bot")
    query = talk.act(alice, "types @emulator_bot hello world",
                     lambda: alice.inline_query("hello world"))
    answer = talk.expect_answer(query, "Shout: HELLO WORLD")
    assert answer["is_personal"] is True, answer
    talk.act(alice, "chooses 'Shout'",
             lambda: alice.choose_inline_result("upper", "hello world"))
    talk.expect(alice, "You chose to upper 'hello world'.")


if __name__ == "__main__":
    sys.exit(main(start, scenario, __doc__))

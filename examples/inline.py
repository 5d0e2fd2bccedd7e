"""Inline mode: answer ``@yourbot query`` from any chat, through an Answerer.

The query comes back three ways: in capitals, in bold and in italics (HTML). Clients send
an inline query on every keystroke; the Answerer computes answers on a thread per user and
drops the answer to a query once a newer one from the same user has arrived. An empty
query gets no answer. When the user has sent one of the results, the bot hears which
(``chosen_inline_result``; switch on inline feedback with @BotFather's /setinlinefeedback).
Inline mode itself must be switched on with @BotFather's /setinline. The counterpart of
python-telegram-bot's inlinebot.py.
"""

import html
import sys

from _common import main

import telegrambot
from telegrambot.helper import Answerer
from telegrambot.namedtuple import InlineQueryResultArticle, InputTextMessageContent


def results_for(query):
    """Caps, Bold, Italic: three ways to say the query."""
    escaped = html.escape(query)
    said = [("caps", "Caps", query.upper(), None), ("bold", "Bold", "<b>%s</b>" % escaped, "HTML"),
            ("italic", "Italic", "<i>%s</i>" % escaped, "HTML")]
    return [InlineQueryResultArticle(
        id=result_id, title=title,
        input_message_content=InputTextMessageContent(message_text=text, parse_mode=parse_mode),
    ) for result_id, title, text, parse_mode in said]


def start(token, api_url):
    bot = telegrambot.Bot(token, api_url)
    answerer = Answerer(bot)

    def on_inline_query(msg):
        query_id, from_id, query = telegrambot.glance(msg, flavor="inline_query")
        if not query.strip():
            return  # nothing to transform yet
        answerer.answer(msg, lambda: {"results": results_for(query), "cache_time": 0})

    def on_chosen_inline_result(msg):
        result_id, from_id, query = telegrambot.glance(msg, flavor="chosen_inline_result")
        bot.sendMessage(from_id, "You sent %r in %s." % (query, result_id))

    def on_chat(msg):
        if "via_bot" in msg:
            return  # a result of ours, sent by a user
        content_type, chat_type, chat_id = telegrambot.glance(msg)
        bot.sendMessage(chat_id, "Hi! Type @%s and some words, in any chat." % username)

    username = bot.getMe()["username"]
    bot.message_loop({
        "inline_query": on_inline_query,
        "chosen_inline_result": on_chosen_inline_result,
        "chat": on_chat,
    })
    return bot


def scenario(talk):
    alice, bob = talk.user("Alice"), talk.user("Bob")
    talk.say(alice, "/start")
    talk.expect(alice, "Type @emulator_bot and some words")
    empty = talk.act(alice, "types @emulator_bot and a space", lambda: alice.inline_query(" "))
    query = talk.act(alice, "goes on: @emulator_bot tea & cake",
                     lambda: alice.inline_query("tea & cake"))
    answer = talk.expect_answer(query, "3 results: Caps, Bold, Italic")
    # the loop handles updates in order: the empty query was handled before this one
    assert empty["id"] not in talk.emu.answers, "an empty query was answered"
    texts = [r["input_message_content"]["message_text"] for r in answer["results"]]
    assert texts == ["TEA & CAKE", "<b>tea &amp; cake</b>", "<i>tea &amp; cake</i>"], texts

    party = talk.emu.group("Tea party", [alice, bob])
    sent = talk.act(alice, "sends 'Bold' in the Tea party group",
                    lambda: alice.pick_inline_result(query, "Bold", chat=party))
    talk.show("Alice@Tea party", "%s (via @emulator_bot, %s)" % (
        sent["text"], ", ".join(e["type"] for e in sent["entities"])))
    assert sent["entities"] == [{"type": "bold", "offset": 0, "length": 10}], sent
    talk.expect(alice, "You sent 'tea & cake' in bold.")
    sent = talk.act(alice, "sends 'Italic' in the Tea party group",
                    lambda: alice.pick_inline_result(query, "Italic", chat=party))
    assert sent["entities"][0]["type"] == "italic", sent
    talk.expect(alice, "You sent 'tea & cake' in italic.")


if __name__ == "__main__":
    sys.exit(main(start, scenario, __doc__))

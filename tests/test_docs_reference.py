"""The generated method reference of the docs (docs/_ext/apiref.py): every parameter of
every method, with its type, whether it is required, and a one-line meaning."""

import inspect
import json
import os
import sys

import pytest

from telegrambot._methods import METHODS, RENAMED_PARAMS
from telegrambot.bot import Bot

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "docs", "_ext"))

import apiref  # noqa: E402

FACTS = json.load(open(os.path.join(ROOT, "telegrambot", "botapi.json"), encoding="utf-8"))
MESSAGE_TARGET = {"chat_id", "message_id", "inline_message_id"}


@pytest.mark.parametrize("method", sorted(METHODS))
def test_every_parameter_has_a_row(method):
    rows = {row.name: row for row in apiref.rows(method)}
    api = {p["name"]: p for p in FACTS["methods"][method]["params"]}
    expected = set(api)
    if METHODS[method].msg_identifier:
        expected = (expected - MESSAGE_TARGET) | {"msg_identifier"}
    old_names = RENAMED_PARAMS.get(method, {})
    progress = {"progress"} if "progress" in inspect.signature(getattr(Bot, method)).parameters else set()
    assert set(rows) == expected | set(old_names) | progress
    for name, row in rows.items():
        assert row.types and row.meaning
        if name == "progress":  # the library's upload progress callback
            assert not row.required and "(done, total)" in row.types
        elif name in old_names:
            assert row.deprecated and not row.required and old_names[name] in row.meaning
        elif name != "msg_identifier":
            assert row.required == (name in METHODS[method].required)
            assert row.deprecated == bool(api[name].get("deprecated"))
            for type_name in api[name]["types"]:
                assert type_name.replace("Array of ", "") in row.types


def test_meanings_are_short_single_lines_and_mostly_written():
    rows = [row for method in METHODS for row in apiref.rows(method)]
    assert len(rows) > 900
    for row in rows:
        assert "\n" not in row.meaning and len(row.meaning) <= 110, row
        assert row.meaning.endswith("."), row
    undescribed = [row for row in rows if not row.described]
    assert all(row.meaning.endswith(": see the official documentation.") for row in undescribed)
    assert len(undescribed) / len(rows) < 0.06


def test_the_glossary_names_only_parameters_that_exist():
    names = {p["name"] for info in FACTS["methods"].values() for p in info["params"]}
    assert set(apiref.GLOSSARY) <= names, set(apiref.GLOSSARY) - names
    for method, name in apiref.BY_METHOD:
        assert name in {p["name"] for p in FACTS["methods"][method]["params"]}, (method, name)


def test_shape_rules_apply_only_where_they_mean_it():
    assert apiref.meaning("promoteChatMember", "can_pin_messages") == (
        "The administrator may pin messages.", True)
    assert apiref.meaning("sendMessageDraft", "can_stop")[1] is False  # not an admin right
    assert apiref.meaning("sendPoll", "question_parse_mode")[0].startswith(
        "Markup used in ``question``")
    assert apiref.meaning("setStickerPositionInSet", "sticker")[0] == "File id of the sticker."


def test_the_rst_of_a_method_links_the_official_docs_and_lists_each_parameter():
    lines = apiref.method_rst("sendMessage")
    text = "\n".join(lines)
    assert lines[0] == ".. py:method:: Bot.sendMessage(chat_id, text, *, ...)"
    assert "`Official documentation <https://core.telegram.org/bots/api#sendmessage>`__" in text
    assert "alias ``send_message``" in text
    assert ":tgparam:`chat_id` **required**" in text
    assert ":tgparam:`reply_to_message_id` *deprecated*" in text
    assert "`ReplyParameters <https://core.telegram.org/bots/api#replyparameters>`__" in text
    assert text.count("      * - :tgparam:") == len(list(apiref.rows("sendMessage")))
    assert "No parameters." in "\n".join(apiref.method_rst("getMe"))
    promote = "\n".join(apiref.method_rst("promoteChatMember"))
    assert ":tgparam:`can_manage_voice_chats` *deprecated*" in promote
    assert "Old name of ``can_manage_video_chats``" in promote
    edit = "\n".join(apiref.method_rst("editMessageText"))
    assert "Bot.editMessageText(msg_identifier, text, *, ...)" in edit
    assert "``(chat_id, message_id)`` or ``(inline_message_id,)``" in edit

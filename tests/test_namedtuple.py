import copy
import json
import os
import pickle

import pytest

from telegrambot import namedtuple as nt
from telegrambot._objects import registry
from telegrambot.api import to_jsonable

MESSAGE = {
    "message_id": 5,
    "from": {"id": 1, "is_bot": False, "first_name": "Alice"},
    "chat": {"id": 1, "type": "private", "first_name": "Alice"},
    "date": 1700000000,
    "photo": [
        {"file_id": "a", "file_unique_id": "ua", "width": 90, "height": 90},
        {"file_id": "b", "file_unique_id": "ub", "width": 800, "height": 800},
    ],
    "caption": "look",
    "a_field_from_a_newer_api": {"x": 1},
}


def test_every_type_of_the_facts_file_is_defined():
    with open(os.path.join(os.path.dirname(nt.__file__), "botapi.json"), encoding="utf-8") as f:
        facts = json.load(f)
    types = registry()
    assert len(facts["types"]) == 402
    for name in facts["types"]:
        assert name in types, name
        assert getattr(nt, name) is types[name]


def test_incoming_message_converts_nested_objects_and_ignores_unknown_fields():
    msg = nt.Message(**MESSAGE)
    assert msg.message_id == 5
    assert isinstance(msg.from_, nt.User) and msg.from_.first_name == "Alice"
    assert isinstance(msg.chat, nt.Chat) and msg.chat.type == "private"
    assert [type(p) for p in msg.photo] == [nt.PhotoSize, nt.PhotoSize]
    assert msg.photo[1].width == 800
    assert msg.text is None  # absent fields are present as None
    assert not hasattr(msg, "a_field_from_a_newer_api")


def test_abstract_types_resolve_to_the_subtype_named_by_the_discriminator():
    member = nt.ChatMember(status="kicked", user={"id": 2, "is_bot": False, "first_name": "B"}, until_date=0)
    assert type(member) is nt.ChatMemberBanned
    assert isinstance(member, nt.ChatMember)
    reaction = nt.ReactionType(type="emoji", emoji="👍")
    assert type(reaction) is nt.ReactionTypeEmoji
    origin = nt.MessageOrigin(type="hidden_user", date=1, sender_user_name="X")
    assert type(origin) is nt.MessageOriginHiddenUser
    # fields typed with an abstract type resolve too
    updated = nt.ChatMemberUpdated(
        chat={"id": 1, "type": "group"},
        new_chat_member={"status": "administrator", "user": {"id": 3, "is_bot": True, "first_name": "Bot"}},
    )
    assert type(updated.new_chat_member) is nt.ChatMemberAdministrator


def test_same_discriminator_value_is_told_apart_by_fields():
    cached = nt.InlineQueryResult(type="photo", id="1", photo_file_id="f")
    fresh = nt.InlineQueryResult(type="photo", id="1", photo_url="u", thumbnail_url="t")
    assert type(cached) is nt.InlineQueryResultCachedPhoto
    assert type(fresh) is nt.InlineQueryResultPhoto
    gone = nt.MaybeInaccessibleMessage(chat={"id": 1, "type": "private"}, message_id=3, date=0)
    assert type(gone) is nt.InaccessibleMessage
    there = nt.MaybeInaccessibleMessage(chat={"id": 1, "type": "private"}, message_id=3, date=5)
    assert type(there) is nt.Message


def test_outgoing_objects_fill_discriminators_and_serialise_without_none():
    article = nt.InlineQueryResultArticle(
        id="a1", title="Hello", input_message_content=nt.InputTextMessageContent(message_text="hi")
    )
    assert article.type == "article"
    assert to_jsonable(article) == {
        "type": "article",
        "id": "a1",
        "title": "Hello",
        "input_message_content": {"message_text": "hi"},
    }
    markup = nt.InlineKeyboardMarkup(inline_keyboard=[[nt.InlineKeyboardButton(text="Press me", callback_data="press")]])
    assert markup.to_dict() == {"inline_keyboard": [[{"text": "Press me", "callback_data": "press"}]]}
    assert nt.ReplyKeyboardRemove().to_dict() == {"remove_keyboard": True}


def test_round_trip_keeps_from_as_from():
    msg = nt.Message(**MESSAGE)
    back = msg.to_dict()
    assert back["from"] == MESSAGE["from"]
    assert "from_" not in back
    assert json.loads(json.dumps(back))["photo"][0]["file_id"] == "a"


def test_an_abstract_value_that_fits_no_subtype_is_a_clear_error():
    with pytest.raises(ValueError, match="ChatMember"):
        nt.ChatMember(status="no-such-status")


def test_objects_with_fixed_fields_copy_and_pickle():
    article = nt.InlineQueryResultArticle(id="a1", title="T", input_message_content={"message_text": "hi"})
    member = nt.ChatMember(status="kicked", user={"id": 2, "is_bot": False, "first_name": "B"}, until_date=0)
    for obj in (article, member, nt.Message(**MESSAGE)):
        for twin in (copy.copy(obj), copy.deepcopy(obj), pickle.loads(pickle.dumps(obj))):
            assert twin == obj and type(twin) is type(obj)


def test_a_nested_subtype_newer_than_the_library_stays_a_dict():
    future_origin = {"type": "a_kind_from_api_11", "date": 1, "whatever": {"x": 1}}
    msg = nt.Message(**dict(MESSAGE, forward_origin=future_origin))
    assert msg.forward_origin == future_origin  # kept as received, the rest converted
    assert isinstance(msg.chat, nt.Chat)
    with pytest.raises(ValueError, match="MessageOrigin"):  # asked for directly, it is an error
        nt.MessageOrigin(**future_origin)

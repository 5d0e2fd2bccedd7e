"""Nothing given is dropped silently: fields, parameters, methods and types the Bot API
renamed take their old names; a keyword that names nothing is an error (or a warning)."""

import copy
import importlib.util
import json
import os
import warnings

import pytest

from telegrambot import namedtuple as nt
from telegrambot._methods import RENAMED_METHODS, RENAMED_PARAMS
from telegrambot._objects import registry
from telegrambot.bot import Bot

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FACTS_PATH = os.path.join(ROOT, "telegrambot", "botapi.json")


def _generator():
    spec = importlib.util.spec_from_file_location("generate", os.path.join(ROOT, "tools", "generate.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GENERATE = _generator()
with open(FACTS_PATH, encoding="utf-8") as _f:
    FACTS = json.load(_f)
DIRECTIONS = GENERATE.directions(FACTS)


def test_the_rename_tables_fit_the_facts_and_a_wrong_entry_is_refused():
    GENERATE.check_renames(FACTS)  # what the generator checks before writing
    broken = copy.deepcopy(FACTS)
    broken["types"]["InlineQueryResultPhoto"]["fields"].append(
        {"name": "thumb_url", "types": ["String"], "required": False})
    with pytest.raises(SystemExit, match="InlineQueryResultPhoto.thumb_url"):
        GENERATE.check_renames(broken)
    assert RENAMED_PARAMS == GENERATE.RENAMED_PARAMS and RENAMED_METHODS == GENERATE.RENAMED_METHODS


@pytest.mark.parametrize("type_name", sorted(GENERATE.RENAMED_FIELDS))
def test_every_renamed_field_takes_its_old_name(type_name):
    cls = getattr(nt, type_name)
    for old, new in GENERATE.RENAMED_FIELDS[type_name].items():
        obj = cls(**{old: "value"})
        assert getattr(obj, new) == "value", (type_name, old)
        assert to_sent(obj)[new] == "value" and old not in to_sent(obj)
        with pytest.raises(TypeError, match="got both %r and its old name %r" % (new, old)):
            cls(**{old: "a", new: "b"})


def to_sent(obj):
    return obj.to_dict()


def test_the_example_of_the_issue_keeps_its_thumbnail():
    photo = nt.InlineQueryResultPhoto(id="1", photo_url="https://x/p.jpg", thumb_url="https://x/t.jpg")
    assert photo.to_dict() == {"type": "photo", "id": "1", "photo_url": "https://x/p.jpg",
                               "thumbnail_url": "https://x/t.jpg"}


def test_an_unknown_keyword_of_a_type_only_sent_raises_naming_it_and_the_type():
    assert DIRECTIONS["InlineQueryResultPhoto"] == "out"
    with pytest.raises(TypeError, match=r"InlineQueryResultPhoto\(\) got unexpected keyword "
                                        r"arguments 'thumbnial_url': the Bot API type "
                                        r"InlineQueryResultPhoto has no such field"):
        nt.InlineQueryResultPhoto(id="1", photo_url="u", thumbnial_url="t")
    for name, direction in DIRECTIONS.items():  # every such type
        if direction == "out" and "fields" in FACTS["types"][name]:
            with pytest.raises(TypeError, match="'no_such_field'"):
                getattr(nt, name)(no_such_field=1)


def test_unknown_keywords_warn_for_a_type_both_sent_and_received_and_pass_for_received_ones():
    assert DIRECTIONS["InlineKeyboardButton"] == "both" and DIRECTIONS["Message"] == "in"
    with pytest.warns(UserWarning, match="InlineKeyboardButton.. ignored keyword arguments 'colour'"):
        button = nt.InlineKeyboardButton(text="A", callback_data="a", colour="red")
    assert button.to_dict() == {"text": "A", "callback_data": "a"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        message = nt.Message(message_id=1, date=0, chat={"id": 1, "type": "private"},
                             a_field_from_a_newer_api=1, voice_chat_started={})
    assert message.video_chat_started is not None  # renamed incoming fields too


def test_a_nested_dict_in_an_object_sent_is_never_cut():
    markup = nt.InlineKeyboardMarkup(inline_keyboard=[[
        {"text": "A", "callback_data": "a"},
        {"text": "B", "callback_data": "b", "a_newer_field": True},
    ]])
    first, second = markup.inline_keyboard[0]
    assert isinstance(first, nt.InlineKeyboardButton)
    assert second == {"text": "B", "callback_data": "b", "a_newer_field": True}  # kept whole
    result = nt.InlineQueryResultArticle(
        id="1", title="t", input_message_content={"message_text": "m"},
        reply_markup={"inline_keyboard": [[{"text": "C", "url": "https://x", "style": "primary"}]]},
        thumb_url="https://x/t.png")
    sent = result.to_dict()
    assert sent["thumbnail_url"] == "https://x/t.png"
    assert sent["reply_markup"]["inline_keyboard"][0][0] == {"text": "C", "url": "https://x",
                                                             "style": "primary"}
    media = nt.InputMediaVideo(media="file-id", thumb="thumb-id")
    assert media.to_dict() == {"type": "video", "media": "file-id", "thumbnail": "thumb-id"}


def test_nested_dicts_are_read_the_way_the_outermost_object_is():
    button = {"text": "A", "callback_data": "a", "a_newer_field": 1}
    received = nt.Message(message_id=1, date=0, chat={"id": 1, "type": "private"},
                          reply_markup={"inline_keyboard": [[button]]})
    assert isinstance(received.reply_markup.inline_keyboard[0][0], nt.InlineKeyboardButton)
    sent = nt.InlineKeyboardMarkup(inline_keyboard=[[button]])
    assert sent.inline_keyboard[0][0] == button


def test_renamed_types_and_array_helpers():
    assert nt.ReplyKeyboardHide is nt.ReplyKeyboardRemove
    assert nt.ReplyKeyboardHide(hide_keyboard=True).to_dict() == {"remove_keyboard": True}
    assert nt.VoiceChatStarted is nt.VideoChatStarted
    sizes = [{"file_id": "a", "file_unique_id": "ua", "width": 1, "height": 1}]
    assert nt.PhotoSizeArray(sizes) == [nt.PhotoSize(**sizes[0])]
    assert nt.PhotoSizeArrayArray([sizes, sizes])[1][0].file_id == "a"
    from telegrambot.namedtuple import LabeledPriceArray, MessageEntityArray

    assert MessageEntityArray([{"type": "bold", "offset": 0, "length": 1}])[0].type == "bold"
    assert LabeledPriceArray([{"label": "x", "amount": 1}])[0].amount == 1
    with pytest.raises(TypeError, match="LabeledPrice"):
        LabeledPriceArray([{"label": "x", "amont": 1}])  # a type only sent: a typo is an error
    assert nt.PhotoSizeArray.__name__ == "PhotoSizeArray"
    for missing in ("NoSuchTypeArray", "Array", "PhotoSizeList"):
        with pytest.raises(AttributeError):
            getattr(nt, missing)
    assert set(nt.__all__) == set(registry()) | set(GENERATE.RENAMED_TYPES)


def test_methods_take_renamed_parameters(bot, emulator):
    alice = emulator.user("Alice")
    bot.sendDocument(alice.id, ("a.txt", b"text"), thumb=("t.jpg", b"thumb bytes"))
    record = emulator.requests[-1]
    assert record.files["thumbnail"] == ("t.jpg", b"thumb bytes")
    bob = emulator.user("Bob")
    group = emulator.supergroup("Club", members=[alice, bob])
    bot.promoteChatMember(group.id, bob.id, can_manage_voice_chats=True)
    assert emulator.requests[-1].params["can_manage_video_chats"] is True
    assert "can_manage_voice_chats" not in emulator.requests[-1].params
    sent = len(emulator.requests)
    with pytest.raises(TypeError, match=r"sendVideo\(\) got both 'thumbnail' and its old name 'thumb'"):
        bot.sendVideo(alice.id, "video-id", thumb="a", thumbnail="b")
    with pytest.raises(TypeError, match="unexpected keyword argument 'thumbnial'"):
        bot.sendVideo(alice.id, "video-id", thumbnial="a")
    assert len(emulator.requests) == sent  # refused before anything was sent
    assert Bot.setStickerSetThumb is Bot.setStickerSetThumbnail
    assert Bot.kick_chat_member is Bot.banChatMember
    for old, new in RENAMED_METHODS.items():
        assert getattr(Bot, old) is getattr(Bot, new)

"""The emulator applies parse_mode as Telegram does: plain text plus entities, or a 400."""

import pytest

from telegrambot.exception import TelegramError
from telegrambot.testing import check_shape

GRIN = "\U0001f600"


def ent(kind, offset, length, **extra):
    return dict({"type": kind, "offset": offset, "length": length}, **extra)


@pytest.fixture
def alice(emulator):
    return emulator.user("Alice")


def test_send_message_in_each_parse_mode_stores_plain_text_and_entities(bot, emulator, alice):
    for markup, mode in (("%s <b>bold</b> &amp; <i>it</i>" % GRIN, "HTML"),
                         ("%s *bold* & _it_" % GRIN, "MarkdownV2"),
                         ("%s *bold* & _it_" % GRIN, "Markdown")):
        msg = bot.sendMessage(alice.id, markup, parse_mode=mode)
        check_shape(msg, "Message")
        assert msg["text"] == GRIN + " bold & it"
        assert msg["entities"] == [ent("bold", 3, 4), ent("italic", 10, 2)]
        assert alice.received()[-1] == msg
        assert emulator.requests[-1].params["text"] == markup  # the request is kept as sent


def test_parse_mode_is_case_insensitive_and_wins_over_entities(bot, alice):
    msg = bot.sendMessage(alice.id, "<u>x</u>", parse_mode="html", entities=[ent("bold", 0, 3)])
    assert msg["text"] == "x" and msg["entities"] == [ent("underline", 0, 1)]
    plain = bot.sendMessage(alice.id, "<u>x</u>", entities=[ent("bold", 0, 3)])
    assert plain["text"] == "<u>x</u>" and plain["entities"] == [ent("bold", 0, 3)]
    assert "entities" not in bot.sendMessage(alice.id, "none", parse_mode="HTML")


@pytest.mark.parametrize("markup, mode, description", [
    ("1.5", "MarkdownV2", "Bad Request: can't parse entities: Character '.' is reserved and "
                          "must be escaped with the preceding '\\'"),
    ("<b>x", "HTML", "Bad Request: can't parse entities: Can't find end tag corresponding to "
                     "start tag \"b\""),
    ("*x", "Markdown", "Bad Request: can't parse entities: Can't find end of the entity "
                       "starting at byte offset 0"),
    ("<b></b>", "HTML", "Bad Request: message text is empty"),
    ("x", "BBCode", "Bad Request: unsupported parse_mode"),
])
def test_refused_markup_is_a_400_and_sends_nothing(bot, alice, markup, mode, description):
    with pytest.raises(TelegramError) as info:
        bot.sendMessage(alice.id, markup, parse_mode=mode)
    assert info.value.error_code == 400
    assert info.value.description == description
    assert alice.received() == []


def test_text_mentions_name_the_whole_user(bot, alice):
    msg = bot.sendMessage(alice.id, '<a href="tg://user?id=%d">you</a>' % alice.id,
                          parse_mode="HTML")
    assert msg["entities"] == [ent("text_mention", 0, 3, user=alice.user)]
    check_shape(msg, "Message")


def test_edit_message_text_parses(bot, alice):
    sent = bot.sendMessage(alice.id, "plain")
    edited = bot.editMessageText((alice.id, sent["message_id"]), "~gone~ ||secret||",
                                 parse_mode="MarkdownV2")
    assert edited["text"] == "gone secret"
    assert edited["entities"] == [ent("strikethrough", 0, 4), ent("spoiler", 5, 6)]
    with pytest.raises(TelegramError, match="can't parse entities"):
        bot.editMessageText((alice.id, sent["message_id"]), "<i>x", parse_mode="HTML")
    assert alice.received()[-1]["text"] == "gone secret"


def test_captions_parse_on_send_edit_copy_and_media_groups(bot, alice):
    photo = bot.sendPhoto(alice.id, ("p.jpg", b"jpeg bytes"), caption="<b>cap</b>",
                          parse_mode="HTML")
    assert photo["caption"] == "cap" and photo["caption_entities"] == [ent("bold", 0, 3)]
    check_shape(photo, "Message")

    edited = bot.editMessageCaption((alice.id, photo["message_id"]), caption="_new_ one",
                                    parse_mode="Markdown")
    assert edited["caption"] == "new one" and edited["caption_entities"] == [ent("italic", 0, 3)]

    copy = bot.copyMessage(alice.id, alice.id, photo["message_id"], caption="`c`",
                           parse_mode="MarkdownV2")
    copied = next(m for m in alice.received() if m["message_id"] == copy["message_id"])
    assert copied["caption"] == "c" and copied["caption_entities"] == [ent("code", 0, 1)]

    group = bot.sendMediaGroup(alice.id, [
        {"type": "photo", "media": "https://example.org/a.jpg", "caption": "<u>a</u>",
         "parse_mode": "HTML"},
        {"type": "photo", "media": "https://example.org/b.jpg", "caption": "*b*"},
    ])
    assert group[0]["caption"] == "a" and group[0]["caption_entities"] == [ent("underline", 0, 1)]
    assert group[1]["caption"] == "*b*" and "caption_entities" not in group[1]

    with pytest.raises(TelegramError, match="can't parse entities"):
        bot.sendPhoto(alice.id, ("p.jpg", b"jpeg"), caption="a_b", parse_mode="MarkdownV2")


def test_poll_question_parse_mode(bot, alice):
    msg = bot.sendPoll(alice.id, "<b>Lunch</b>?", [{"text": "yes"}, {"text": "no"}],
                       question_parse_mode="HTML")
    assert msg["poll"]["question"] == "Lunch?"
    assert msg["poll"]["question_entities"] == [ent("bold", 0, 5)]
    check_shape(msg, "Message")

"""telegrambot.deeplink: links, payload rules, the base64url helper, reading /start back
(also from messages the emulator delivers to a real bot)."""

import os
import queue

import pytest

from telegrambot.deeplink import (
    decode_payload,
    deep_link,
    encode_payload,
    is_valid_payload,
    mini_app_link,
    start_payload,
)


def test_start_and_startgroup_links():
    assert deep_link("my_bot", "ref-42") == "https://t.me/my_bot?start=ref-42"
    assert deep_link("@my_bot", "ref_42", group=True) == "https://t.me/my_bot?startgroup=ref_42"
    assert deep_link("my_bot") == "https://t.me/my_bot"
    assert deep_link("my_bot", group=True) == "https://t.me/my_bot?startgroup"
    assert deep_link("my_bot", "") == "https://t.me/my_bot?start="


@pytest.mark.parametrize("payload", ["a" * 65, "with space", "slash/", "dot.", "plus+", "é", "a=b"])
def test_bad_payloads_are_refused_with_the_rule(payload):
    with pytest.raises(ValueError) as info:
        deep_link("my_bot", payload)
    message = str(info.value)
    assert ("64" in message) or ("A-Z" in message)
    assert not is_valid_payload(payload)


def test_payload_limits():
    assert is_valid_payload("A-z_09" * 10 + "abcd")  # 64 characters
    assert is_valid_payload("")
    with pytest.raises(TypeError):
        deep_link("my_bot", 42)
    with pytest.raises(ValueError, match="bot username"):
        deep_link("no", "x")
    with pytest.raises(ValueError, match="bot username"):
        deep_link("my bot", "x")


def test_mini_app_links():
    assert mini_app_link("my_bot") == "https://t.me/my_bot?startapp"
    assert mini_app_link("my_bot", "level-3") == "https://t.me/my_bot?startapp=level-3"
    assert mini_app_link("my_bot", "x", app_name="game") == "https://t.me/my_bot/game?startapp=x"
    assert mini_app_link("my_bot", app_name="game") == "https://t.me/my_bot/game"
    assert mini_app_link("my_bot", "a" * 512).endswith("a" * 512)
    with pytest.raises(ValueError, match="512"):
        mini_app_link("my_bot", "a" * 513)
    with pytest.raises(ValueError):
        mini_app_link("my_bot", "x", app_name="bad/name")


@pytest.mark.parametrize("data", [b"", b"\x00\xff\xfe", os.urandom(48), "Zoë & Bob: 50%".encode(), b"a"])
def test_encode_decode_round_trip(data):
    payload = encode_payload(data)
    assert is_valid_payload(payload)
    assert "=" not in payload
    assert decode_payload(payload) == data
    assert deep_link("my_bot", payload).endswith(payload)


def test_encode_text_and_limits():
    assert decode_payload(encode_payload("héllo")).decode() == "héllo"
    assert len(encode_payload(b"x" * 48)) == 64
    with pytest.raises(ValueError, match="48"):
        encode_payload(b"x" * 49)
    for bad in ("a", "abc=", "a b", "a" * 5):  # 5 base64 characters cannot be whole bytes
        with pytest.raises(ValueError, match="encode_payload"):
            decode_payload(bad)


@pytest.mark.parametrize("text, bot, expected", [
    ("/start", None, ""),
    ("/start abc-1", None, "abc-1"),
    ("/start   abc  ", None, "abc"),
    ("/start@my_bot abc", None, "abc"),
    ("/start@my_bot abc", "my_bot", "abc"),
    ("/start@My_Bot abc", "@my_bot", "abc"),
    ("/start@other_bot abc", "my_bot", None),
    ("/starts", None, None),
    ("/help abc", None, None),
    ("hello /start abc", None, None),
])
def test_start_payload(text, bot, expected):
    assert start_payload(text, bot) == expected
    assert start_payload({"text": text, "chat": {"id": 1}}, bot) == expected


def test_start_payload_of_other_messages():
    assert start_payload({"photo": []}) is None
    assert start_payload({"text": None}) is None


def test_payload_travels_through_the_emulator(emulator, bot):
    """A link made here, 'opened' by a simulated user, reaches a real bot's loop."""
    alice = emulator.user("Alice")
    username = bot.getMe()["username"]
    link = deep_link(username, encode_payload(b"\x01invite:7"))
    got = queue.Queue()
    bot.message_loop(lambda msg: got.put(start_payload(msg, username)))
    alice.send("/start " + link.split("start=", 1)[1])
    payload = got.get(timeout=5)
    assert decode_payload(payload) == b"\x01invite:7"

"""telegrambot.webapp: init data checked by HMAC (bot token) and by Ed25519 signature
(Telegram's key, or a test key), against init data made three ways: by this file's own
code, by the emulator's simulated users, and a published sample signed by Telegram. Then
web_app_data from a reply keyboard through a real bot's loop."""

import hashlib
import hmac
import json
import queue
import subprocess
import sys
import time
from urllib.parse import quote, urlencode

import pytest

from telegrambot.webapp import (
    InvalidInitData,
    data_check_string,
    validate_init_data,
    validate_init_data_signature,
)

TOKEN = "123456789:TEST-emulator-token-aaaaaaaaaaaaaaaa"

# Init data published with its bot's token as a sample (bot 7342037359); its signature is
# Telegram's own, made with the production key, so it checks the published key too.
SAMPLE_TOKEN = "7342037359:AAHI25ES9xCOMPokpYoz-p8XVrZUdygo2J4"
SAMPLE = (
    "user=%7B%22id%22%3A279058397%2C%22first_name%22%3A%22Vladislav%20%2B%20-%20%3F%20%5C%2F"
    "%22%2C%22last_name%22%3A%22Kibenko%22%2C%22username%22%3A%22vdkfrost%22%2C%22language_code"
    "%22%3A%22ru%22%2C%22is_premium%22%3Atrue%2C%22allows_write_to_pm%22%3Atrue%2C%22photo_url"
    "%22%3A%22https%3A%5C%2F%5C%2Ft.me%5C%2Fi%5C%2Fuserpic%5C%2F320%5C%2F4FPEE4tmP3ATHa57u6MqTDih"
    "13LTOiMoKoLDRG4PnSA.svg%22%7D&chat_instance=8134722200314281151&chat_type=private"
    "&auth_date=1733509682&signature=TYJxVcisqbWjtodPepiJ6ghziUL94-KNpG8Pau-X7oNNLNBM72APCpi_RKiU"
    "lBvcqo5L-LAxIc3dnTzcZX_PDg&hash=a433d8f9847bd6addcc563bff7cc82c89e97ea0d90c11fe5729cae6796a36d73"
)


def signed(fields, token=TOKEN):
    """Init data made by this test's reading of the rule."""
    pairs = [(k, json.dumps(v) if isinstance(v, dict) else str(v)) for k, v in fields.items()]
    check = "\n".join("%s=%s" % p for p in sorted(pairs))
    key = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    pairs.append(("hash", hmac.new(key, check.encode(), hashlib.sha256).hexdigest()))
    return urlencode(pairs, quote_via=quote)


USER = {"id": 42, "first_name": "Zoë", "last_name": "O'Neil & co", "language_code": "en"}


def test_valid_init_data_gives_its_fields():
    now = int(time.time())
    data = signed({"query_id": "AAQ1", "user": USER, "receiver": {"id": 7, "first_name": "B"},
                   "chat": {"id": -5, "type": "group", "title": "G"}, "chat_type": "group",
                   "start_param": "level-2", "can_send_after": 10, "auth_date": now - 60})
    fields = validate_init_data(data, TOKEN)
    assert fields["user"] == USER
    assert fields["receiver"]["id"] == 7 and fields["chat"]["title"] == "G"
    assert fields["auth_date"] == now - 60 and fields["can_send_after"] == 10
    assert fields["start_param"] == "level-2" and fields["query_id"] == "AAQ1"
    assert validate_init_data(data.encode(), TOKEN) == fields


def test_the_published_sample():
    fields = validate_init_data(SAMPLE, SAMPLE_TOKEN, max_age=None)
    assert fields["user"]["first_name"] == "Vladislav + - ? /"
    assert fields["chat_type"] == "private" and fields["auth_date"] == 1733509682
    # the signature is covered by the HMAC: it cannot be dropped or changed
    with pytest.raises(InvalidInitData):
        validate_init_data(SAMPLE.replace("signature=TYJx", "signature=TYJy"), SAMPLE_TOKEN, max_age=None)
    with pytest.raises(InvalidInitData, match="max_age"):
        validate_init_data(SAMPLE, SAMPLE_TOKEN)  # from 2024: too old for a day's max_age


def test_published_sample_signature_with_telegrams_key():
    pytest.importorskip("cryptography")
    fields = validate_init_data_signature(SAMPLE, 7342037359, max_age=None)
    assert fields["user"]["id"] == 279058397
    with pytest.raises(InvalidInitData, match="bot 7342037358"):
        validate_init_data_signature(SAMPLE, 7342037358, max_age=None)
    with pytest.raises(InvalidInitData):
        validate_init_data_signature(SAMPLE, 7342037359, max_age=None, test_environment=True)
    with pytest.raises(InvalidInitData):  # hash is not part of what is signed, the rest is
        validate_init_data_signature(SAMPLE.replace("chat_type=private", "chat_type=group"),
                                     7342037359, max_age=None)
    unhashed = SAMPLE.rsplit("&hash=", 1)[0]
    assert validate_init_data_signature(unhashed, 7342037359, max_age=None)["chat_type"] == "private"


@pytest.mark.parametrize("change", [
    lambda d: d.replace("level-2", "level-3"),
    lambda d: d + "&extra=1",
    lambda d: d.replace("&start_param=level-2", ""),
    lambda d: d.replace("hash=", "hash=0"),
])
def test_altered_init_data_is_refused(change):
    data = signed({"user": USER, "start_param": "level-2", "auth_date": int(time.time())})
    assert validate_init_data(data, TOKEN)
    with pytest.raises(InvalidInitData, match="hash"):
        validate_init_data(change(data), TOKEN)


def test_wrong_token_and_the_token_never_shows():
    data = signed({"user": USER, "auth_date": int(time.time())})
    other = "987654321:ANOTHER-token-bbbbbbbbbbbbbbbbbbbbbb"
    with pytest.raises(InvalidInitData) as info:
        validate_init_data(data, other)
    for token in (TOKEN, other):
        assert token not in str(info.value) and token not in repr(info.value)
        assert token.split(":")[1] not in str(info.value)
    with pytest.raises(TypeError) as info2:
        validate_init_data(data, None)
    assert TOKEN not in str(info2.value)


def test_hash_missing_or_empty():
    with pytest.raises(InvalidInitData, match="no hash"):
        validate_init_data("auth_date=1&user=%7B%7D", TOKEN)
    with pytest.raises(InvalidInitData, match="no hash"):
        validate_init_data("auth_date=1&hash=", TOKEN)
    with pytest.raises(InvalidInitData, match="no hash"):
        validate_init_data("", TOKEN)


def test_age():
    now = 1_000_000
    data = signed({"user": USER, "auth_date": now - 100})
    assert validate_init_data(data, TOKEN, max_age=100, now=now)["auth_date"] == now - 100
    with pytest.raises(InvalidInitData, match="101 seconds old"):
        validate_init_data(data, TOKEN, max_age=100, now=now + 1)
    assert validate_init_data(data, TOKEN, max_age=None, now=now + 10**6)
    no_date = signed({"user": USER})
    with pytest.raises(InvalidInitData, match="no auth_date"):
        validate_init_data(no_date, TOKEN)
    assert validate_init_data(no_date, TOKEN, max_age=None)["user"] == USER


@pytest.mark.parametrize("data, problem", [
    ("a=1&a=2&hash=00", "repeats"),
    ("not a query string", "query string"),
    ("a=%ff&hash=00", "query string"),
    ("&".join("f%d=1" % i for i in range(100)), "query string"),
    ("x=" + "a" * 70000, "too long|characters long"),
])
def test_malformed(data, problem):
    with pytest.raises(InvalidInitData, match=problem):
        validate_init_data(data, TOKEN)


def test_fields_that_do_not_decode_after_a_good_hash():
    with pytest.raises(InvalidInitData, match="user is not JSON"):
        validate_init_data(signed({"user": "{not json", "auth_date": int(time.time())}), TOKEN)
    with pytest.raises(InvalidInitData, match="auth_date is not a number"):
        validate_init_data(signed({"auth_date": "yesterday"}), TOKEN)


def test_data_check_string():
    pairs = [("user", "{}"), ("auth_date", "1"), ("hash", "x"), ("signature", "s")]
    assert data_check_string(pairs) == "auth_date=1\nsignature=s\nuser={}"
    assert data_check_string(pairs, ("hash", "signature")) == "auth_date=1\nuser={}"


# ------------------------------------------------------------------ Ed25519 with a test key


@pytest.fixture(scope="module")
def signing_key():
    pytest.importorskip("cryptography")
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.generate()


def public_forms(signing_key):
    from cryptography.hazmat.primitives import serialization

    raw = signing_key.public_key().public_bytes(serialization.Encoding.Raw,
                                                serialization.PublicFormat.Raw)
    return [raw, raw.hex(), signing_key.public_key()]


def test_signature_from_the_emulator(emulator, signing_key):
    alice = emulator.user("Alice")
    group = emulator.group("Team", members=[alice])
    data = alice.web_app_init_data(chat=group, start_param="s1", signing_key=signing_key)
    bot_id = emulator.bot_user["id"]
    for key in public_forms(signing_key):
        fields = validate_init_data_signature(data, bot_id, public_key=key)
        assert fields["user"] == alice.user and fields["chat"]["id"] == group.id
        assert fields["start_param"] == "s1"
    assert validate_init_data(data, emulator.token)["user"]["id"] == alice.id
    with pytest.raises(InvalidInitData):  # the real key did not sign it
        validate_init_data_signature(data, bot_id)
    with pytest.raises(InvalidInitData, match="signature does not match"):
        validate_init_data_signature(data.replace("s1", "s2"), bot_id, public_key=public_forms(signing_key)[0])
    with pytest.raises(InvalidInitData, match="no signature"):
        validate_init_data_signature(alice.web_app_init_data(), bot_id, public_key=public_forms(signing_key)[0])
    with pytest.raises(InvalidInitData, match="old"):
        old = alice.web_app_init_data(auth_date=int(time.time()) - 90000, signing_key=signing_key)
        validate_init_data_signature(old, bot_id, public_key=public_forms(signing_key)[0])


def test_signature_arguments(signing_key):
    with pytest.raises(ValueError, match="public_key"):
        validate_init_data_signature("a=1", 1, public_key="abcd")
    with pytest.raises(TypeError, match="bot_id"):
        validate_init_data_signature("a=1", "123")
    with pytest.raises(InvalidInitData, match="base64url"):
        validate_init_data_signature("a=1&signature=%21%21%21x", 1, public_key=public_forms(signing_key)[0])


def test_the_extra_is_named_when_cryptography_is_missing():
    code = ("import sys; sys.modules['cryptography'] = None\n"
            "from telegrambot import webapp\n"
            "try:\n    webapp.validate_init_data_signature('a=1', 1)\n"
            "except ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "pip install 'telegrambot[passport]'" in out.stdout, out.stderr


def test_emulator_init_data_by_this_files_rule(emulator):
    """The emulator's init data, checked by this file's own HMAC (not the library's)."""
    from urllib.parse import parse_qsl

    alice = emulator.user("Alice")
    pairs = parse_qsl(alice.web_app_init_data(start_param="x"), strict_parsing=True)
    given = dict(pairs)["hash"]
    check = "\n".join("%s=%s" % p for p in sorted(p for p in pairs if p[0] != "hash"))
    key = hmac.new(b"WebAppData", emulator.token.encode(), hashlib.sha256).digest()
    assert hmac.new(key, check.encode(), hashlib.sha256).hexdigest() == given
    assert json.loads(dict(pairs)["user"]) == alice.user


# ------------------------------------------------------------------ web_app_data from a keyboard


def test_web_app_data_from_a_keyboard_button(emulator, bot):
    alice = emulator.user("Alice")
    got = queue.Queue()
    bot.message_loop(lambda msg: got.put(msg))
    with pytest.raises(AssertionError, match="no single web_app button"):
        alice.send_web_app_data("{}")  # no keyboard yet
    keyboard = {"keyboard": [[{"text": "Pick", "web_app": {"url": "https://example.org/app"}},
                              {"text": "Plain"}]], "resize_keyboard": True}
    bot.sendMessage(alice.id, "Open the app", reply_markup=keyboard)
    alice.send_web_app_data('{"colour": "#ff8800"}')
    msg = got.get(timeout=5)
    assert msg["web_app_data"] == {"data": '{"colour": "#ff8800"}', "button_text": "Pick"}
    assert msg["chat"]["id"] == alice.id
    with pytest.raises(AssertionError, match="'Plain'"):
        alice.send_web_app_data("x", button_text="Plain")
    bot.sendMessage(alice.id, "Done", reply_markup={"remove_keyboard": True})
    with pytest.raises(AssertionError, match="no single web_app button"):
        alice.send_web_app_data("late")

"""The emulator refuses what Telegram refuses: one test per rule, with Telegram's status and
description, and the same request accepted once the rule is off."""

import json

import pytest
import urllib3

from telegrambot.core.limits import FloodLimits, Limit
from telegrambot.exception import BadRequest, TelegramError, TooManyRequests
from telegrambot.testing import Emulator, check_shape
from telegrambot.testing.rules import MAX_DOWNLOAD, MAX_UPLOAD, Rules


def refused(call, code=400):
    """The TelegramError a call raises; its status must be ``code``."""
    with pytest.raises(TelegramError) as info:
        call()
    assert info.value.error_code == code, info.value
    return info.value.description


def raw(emulator, method, body, content_type="application/x-www-form-urlencoded"):
    """A request sent as another client would send it; the decoded answer."""
    http = urllib3.PoolManager()
    try:
        response = http.request("POST", "%s/bot%s/%s" % (emulator.api_url, emulator.token, method),
                                body=body, headers={"Content-Type": content_type})
        return response.status, json.loads(response.data)
    finally:
        http.clear()


# ------------------------------------------------------------------ text


def test_text_is_1_to_4096_characters_after_entity_parsing(bot, emulator):
    alice = emulator.user("Alice")
    assert bot.sendMessage(alice.id, "x" * 4096)["text"] == "x" * 4096
    assert refused(lambda: bot.sendMessage(alice.id, "x" * 4097)) == (
        "Bad Request: message is too long")
    # markup does not count: 4096 characters once parsed
    bold = "<b>%s</b>" % ("y" * 4096)
    assert len(bot.sendMessage(alice.id, bold, parse_mode="HTML")["text"]) == 4096
    assert refused(lambda: bot.sendMessage(alice.id, "<b>%s</b>" % ("y" * 4097),
                                           parse_mode="HTML")) == "Bad Request: message is too long"
    # characters, not UTF-16 units: 4096 emoji fit
    assert bot.sendMessage(alice.id, "\U0001f600" * 4096)["text"] == "\U0001f600" * 4096
    # edits too
    sent = bot.sendMessage(alice.id, "short")
    assert refused(lambda: bot.editMessageText(sent, "z" * 4097)) == (
        "Bad Request: message is too long")
    emulator.rules.text = False
    assert len(bot.sendMessage(alice.id, "x" * 5000)["text"]) == 5000


def test_empty_or_blank_text_is_refused(bot, emulator):
    alice = emulator.user("Alice")
    for text in ("", "   ", "\n\t"):
        assert refused(lambda text=text: bot.sendMessage(alice.id, text)) == (
            "Bad Request: message text is empty")
    assert refused(lambda: bot.sendMessage(alice.id, "<b> </b>", parse_mode="HTML")) == (
        "Bad Request: message text is empty")
    count = len(alice.received())
    emulator.rules.text = False
    bot.sendMessage(alice.id, "   ")
    assert len(alice.received()) == count + 1


def test_a_numeric_text_becomes_a_string(bot, emulator):
    alice = emulator.user("Alice")
    message = bot.sendMessage(alice.id, 42)  # sent as a JSON number
    assert emulator.requests[-1].params["text"] == "42"
    assert message["text"] == "42"
    check_shape(message, "Message")
    status, answer = raw(emulator, "sendMessage",
                         json.dumps({"chat_id": alice.id, "text": 3.5}), "application/json")
    assert status == 200 and answer["result"]["text"] == "3.5"
    assert bot.sendPhoto(alice.id, b"img", caption=7)["caption"] == "7"


# ------------------------------------------------------------------ captions


def test_captions_are_at_most_1024_characters_after_entity_parsing(bot, emulator):
    alice = emulator.user("Alice")
    assert bot.sendPhoto(alice.id, b"img", caption="c" * 1024)["caption"] == "c" * 1024
    too_long = "Bad Request: message caption is too long"
    assert refused(lambda: bot.sendPhoto(alice.id, b"img", caption="c" * 1025)) == too_long
    assert refused(lambda: bot.sendDocument(
        alice.id, b"doc", caption="<i>%s</i>" % ("c" * 1025), parse_mode="HTML")) == too_long
    media = [{"type": "photo", "media": ("a.jpg", b"a")},
             {"type": "photo", "media": ("b.jpg", b"b"), "caption": "c" * 1025}]
    assert refused(lambda: bot.sendMediaGroup(alice.id, media)) == too_long
    photo = bot.sendPhoto(alice.id, b"img", caption="ok")
    assert refused(lambda: bot.editMessageCaption(photo, caption="c" * 1025)) == too_long
    emulator.rules.caption = False
    assert len(bot.sendPhoto(alice.id, b"img", caption="c" * 1025)["caption"]) == 1025


# ------------------------------------------------------------------ keyboards


def keyboard(*buttons):
    return {"inline_keyboard": [list(buttons)]}


def test_callback_data_is_1_to_64_bytes(bot, emulator):
    alice = emulator.user("Alice")
    bot.sendMessage(alice.id, "ok", reply_markup=keyboard({"text": "A", "callback_data": "d" * 64}))
    assert refused(lambda: bot.sendMessage(alice.id, "x", reply_markup=keyboard(
        {"text": "A", "callback_data": "d" * 65}))) == "Bad Request: BUTTON_DATA_INVALID"
    # bytes, not characters: 33 two-byte letters are 66 bytes
    assert refused(lambda: bot.sendMessage(alice.id, "x", reply_markup=keyboard(
        {"text": "A", "callback_data": "\u00e9" * 33}))) == "Bad Request: BUTTON_DATA_INVALID"
    bot.sendMessage(alice.id, "ok", reply_markup=keyboard({"text": "A", "callback_data": "\u00e9" * 32}))
    # empty data is no data: a button without an action
    assert refused(lambda: bot.sendMessage(alice.id, "x", reply_markup=keyboard(
        {"text": "A", "callback_data": ""}))) == (
        "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the "
        "inline keyboard")
    sent = bot.sendMessage(alice.id, "ok")
    assert refused(lambda: bot.editMessageReplyMarkup(sent, reply_markup=keyboard(
        {"text": "A", "callback_data": "d" * 65}))) == "Bad Request: BUTTON_DATA_INVALID"
    emulator.rules.callback_data = False
    bot.sendMessage(alice.id, "x", reply_markup=keyboard({"text": "A", "callback_data": "d" * 65}))


@pytest.mark.parametrize("markup, description", [
    ({"inline_keyboard": {"text": "A"}},
     'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array'),
    ({"inline_keyboard": [{"text": "A", "url": "https://t.me"}]},
     'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'),
    ({"inline_keyboard": [["A"]]},
     "can't parse inline keyboard button: InlineKeyboardButton must be an Object"),
    ({"inline_keyboard": [[{"callback_data": "a"}]]},
     "can't parse inline keyboard button: Can't find field \"text\""),
    ({"inline_keyboard": [[{"text": "A"}]]},
     "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"),
    ({"keyboard": "yes"}, 'field "keyboard" of the ReplyKeyboardMarkup must be an Array'),
    ({"keyboard": ["Yes", "No"]},
     'field "keyboard" of the ReplyKeyboardMarkup must be an Array of Arrays'),
    ({"keyboard": [[1]]}, "can't parse keyboard button: KeyboardButton must be a String or an Object"),
    ({"keyboard": [[{"request_contact": True}]]},
     "can't parse keyboard button: Can't find field \"text\""),
    ([["Yes"]], "object expected as reply markup"),
])
def test_keyboard_shapes(bot, emulator, markup, description):
    alice = emulator.user("Alice")
    assert refused(lambda: bot.sendMessage(alice.id, "x", reply_markup=markup)) == (
        "Bad Request: " + description)
    emulator.rules.keyboards = False
    bot.sendMessage(alice.id, "x", reply_markup=markup)


def test_an_inline_button_has_exactly_one_action(bot, emulator):
    alice = emulator.user("Alice")
    for action in ({"url": "https://t.me"}, {"callback_data": "a"}, {"switch_inline_query": ""},
                   {"pay": True}, {"copy_text": {"text": "x"}}):
        bot.sendMessage(alice.id, "ok", reply_markup=keyboard(dict({"text": "A"}, **action)))
    description = refused(lambda: bot.sendMessage(alice.id, "x", reply_markup=keyboard(
        {"text": "A", "callback_data": "a", "url": "https://t.me"})))
    assert description.startswith("Bad Request: can't parse inline keyboard button: exactly one")
    assert "url and callback_data" in description


def test_well_formed_keyboards_pass(bot, emulator):
    alice = emulator.user("Alice")
    for markup in ({"keyboard": [["Yes", {"text": "No"}], [{"text": "Here", "request_location": True}]],
                    "resize_keyboard": True},
                   {"remove_keyboard": True}, {"force_reply": True},
                   {"inline_keyboard": []}, {"inline_keyboard": [[]]}):
        bot.sendMessage(alice.id, "ok", reply_markup=markup)


def test_reply_markup_that_is_not_json(emulator):
    alice = emulator.user("Alice")
    status, answer = raw(emulator, "sendMessage",
                         "chat_id=%d&text=x&reply_markup=%%7Bnot+json" % alice.id)
    assert (status, answer["description"]) == (
        400, "Bad Request: can't parse reply keyboard markup JSON object")


# ------------------------------------------------------------------ entities


def test_malformed_markup_is_a_parse_error(bot, emulator):
    alice = emulator.user("Alice")
    description = refused(lambda: bot.sendMessage(alice.id, "<b>open", parse_mode="HTML"))
    assert description.startswith("Bad Request: can't parse entities: ")
    emulator.rules.entities = False
    assert bot.sendMessage(alice.id, "<b>open", parse_mode="HTML")["text"] == "<b>open"


# ------------------------------------------------------------------ files


def test_uploads_over_50_mb_are_refused(bot, emulator):
    alice = emulator.user("Alice")
    count = len(alice.received())
    # just over: read, then refused
    assert refused(lambda: bot.sendDocument(alice.id, ("big.bin", bytes(MAX_UPLOAD + 1))),
                   413) == "Request Entity Too Large"
    # far over: refused without being kept whole
    assert refused(lambda: bot.sendDocument(alice.id, ("huge.bin", bytes(MAX_UPLOAD + (3 << 20)))),
                   413) == "Request Entity Too Large"
    assert len(alice.received()) == count  # nothing was sent
    # the one read whole is recorded (its bytes not kept), the other not at all
    (record,) = [r for r in emulator.requests if r.method == "sendDocument"]
    assert record.status == 413 and record.files["document"] == ("big.bin", b"")
    emulator.rules.files = False
    bot.sendDocument(alice.id, ("big.bin", bytes(MAX_UPLOAD + 1)))
    assert len(alice.received()) == count + 1


def test_get_file_over_20_mb_is_refused(bot, emulator):
    alice = emulator.user("Alice")
    fits = alice.send_document(bytes(MAX_DOWNLOAD), "fits.bin")
    assert bot.getFile(fits["document"]["file_id"])["file_size"] == MAX_DOWNLOAD
    big = alice.send_document(bytes(MAX_DOWNLOAD + 1), "big.bin")
    assert refused(lambda: bot.getFile(big["document"]["file_id"])) == (
        "Bad Request: file is too big")
    emulator.rules.files = False
    assert bot.getFile(big["document"]["file_id"])["file_size"] == MAX_DOWNLOAD + 1


# ------------------------------------------------------------------ media groups


def test_media_groups_hold_at_most_10_items(bot, emulator):
    alice = emulator.user("Alice")

    def photos(n):
        return [{"type": "photo", "media": ("p%d.jpg" % i, b"p")} for i in range(n)]

    assert refused(lambda: bot.sendMediaGroup(alice.id, [])) == (
        "Bad Request: there are no messages to send")
    assert refused(lambda: bot.sendMediaGroup(alice.id, photos(11))) == (
        "Bad Request: too many messages to send as an album")
    album = bot.sendMediaGroup(alice.id, photos(10))
    assert len(album) == 10 and len({m["media_group_id"] for m in album}) == 1
    # one item is sent as a message of its own, outside any album
    (single,) = bot.sendMediaGroup(alice.id, photos(1))
    assert "photo" in single and "media_group_id" not in single
    emulator.rules.media_group = False
    assert len(bot.sendMediaGroup(alice.id, photos(11))) == 11


# ------------------------------------------------------------------ buttons


def test_press_needs_the_button_on_the_message(bot, emulator):
    alice = emulator.user("Alice")
    plain = bot.sendMessage(alice.id, "no buttons here")
    with pytest.raises(AssertionError, match="no callback button 'go' on the message; buttons: none"):
        alice.press(plain, "go")
    with_buttons = bot.sendMessage(alice.id, "pick", reply_markup=keyboard(
        {"text": "Go", "callback_data": "go"}))
    with pytest.raises(AssertionError, match="no callback button 'stop'"):
        alice.press(with_buttons, "stop")
    assert alice.press(with_buttons, "Go")["data"] == "go"
    emulator.rules.buttons = False
    assert alice.press(plain, "go")["data"] == "go"


# ------------------------------------------------------------------ flood


@pytest.fixture
def frozen(emulator):
    """The emulator's flood clock, stopped (bursts are counted exactly); ``frozen[0] += s``
    moves it on."""
    now = [1000.0]
    emulator.clock = lambda: now[0]
    return now


def test_flood_in_a_private_chat(bot, emulator, frozen):
    alice = emulator.user("Alice")
    for i in range(10):  # a short burst
        bot.sendMessage(alice.id, "burst %d" % i)
    with pytest.raises(TooManyRequests) as info:
        bot.sendMessage(alice.id, "one too many")
    assert info.value.error_code == 429
    assert info.value.description == "Too Many Requests: retry after 1"
    assert info.value.retry_after == 1 and info.value.parameters == {"retry_after": 1}
    assert len(alice.received()) == 10
    frozen[0] += 0.99
    with pytest.raises(TooManyRequests):
        bot.sendMessage(alice.id, "still too early")
    frozen[0] += 0.01  # one second on: one more message fits
    bot.sendMessage(alice.id, "after a second")
    with pytest.raises(TooManyRequests):
        bot.sendMessage(alice.id, "and no more")
    # other chats are not affected; neither are calls that post no message
    bob = emulator.user("Bob")
    bot.sendMessage(bob.id, "hi Bob")
    bot.sendChatAction(alice.id, "typing")
    bot.getChat(alice.id)


def test_flood_in_a_group_is_20_a_minute(bot, emulator, frozen):
    alice = emulator.user("Alice")
    group = emulator.group("Friends", [alice])
    for i in range(20):
        bot.sendMessage(group.id, "n%d" % i)
    with pytest.raises(TooManyRequests) as info:
        bot.sendMessage(group.id, "21st")
    assert info.value.retry_after == 3  # one message every 3 s after the burst
    frozen[0] += 3
    bot.sendMessage(group.id, "21st, three seconds later")


def test_flood_overall_is_30_a_second_and_paid_broadcasts_go_beyond(bot, emulator, frozen):
    users = [emulator.user("U%d" % i) for i in range(40)]
    for user in users[:30]:
        bot.sendMessage(user.id, "news")
    with pytest.raises(TooManyRequests) as info:
        bot.sendMessage(users[30].id, "news")
    assert info.value.retry_after == 1
    for user in users[30:]:  # paid: up to 1000 a second
        bot.sendMessage(user.id, "news", allow_paid_broadcast=True)
    assert all(len(u.received()) == 1 for u in users)


def test_edits_count_toward_their_chats_limit(bot, emulator, frozen):
    alice = emulator.user("Alice")
    buttons = keyboard({"text": "Go", "callback_data": "go"})
    sent = bot.sendMessage(alice.id, "v0", reply_markup=buttons)
    for i in range(1, 10):
        bot.editMessageText(sent, "v%d" % i, reply_markup=buttons)
    with pytest.raises(TooManyRequests):
        bot.editMessageText(sent, "v10", reply_markup=buttons)
    # answering a query is not limited
    query = alice.press(sent, "go")
    assert bot.answerCallbackQuery(query["id"], text="noted") is True


def test_the_flood_rule_can_be_off_or_have_other_limits(emulator, bot, frozen):
    alice = emulator.user("Alice")
    emulator.rules.flood = False
    for i in range(40):
        bot.sendMessage(alice.id, "n%d" % i)
    emulator.rules.flood = FloodLimits(overall=None, private=Limit(1, 1.0, 2), group=None)
    bot.sendMessage(alice.id, "a")
    bot.sendMessage(alice.id, "b")
    with pytest.raises(TooManyRequests):
        bot.sendMessage(alice.id, "c")


def test_strict_false_turns_every_rule_off():
    with Emulator(strict=False) as emu:
        bot = emu.make_bot()
        try:
            alice = emu.user("Alice")
            for _ in range(40):
                bot.sendMessage(alice.id, "x" * 5000)
            plain = bot.sendMessage(alice.id, "no keyboard")
            alice.press(plain, "anything")
        finally:
            bot.close_connections()
    assert Rules.none().flood_limits is None and Rules().flood_limits is not None
    with pytest.raises(TypeError, match="strict"):
        Emulator(strict="yes")


def test_a_refused_request_changes_nothing(bot, emulator):
    alice = emulator.user("Alice")
    before = emulator.transcript(alice)
    with pytest.raises(BadRequest):
        bot.sendMessage(alice.id, "x" * 4097)
    assert emulator.transcript(alice) == before


@pytest.mark.parametrize("flag, too_many, too_long", [
    ("--no-flood", True, False), ("--lenient", True, True), (None, False, False)])
def test_the_command_line_emulator_flags(flag, too_many, too_long):
    import subprocess
    import sys

    command = [sys.executable, "-m", "telegrambot", "emulator", "--port", "0", "--no-stdin"]
    proc = subprocess.Popen(command + ([flag] if flag else []), stdout=subprocess.PIPE, text=True)
    try:
        api_url = proc.stdout.readline().split(" at ")[1].strip()
        token = proc.stdout.readline().split(": ", 1)[1].strip()
        http = urllib3.PoolManager()
        alice = json.loads(http.request(
            "POST", api_url + "/_emulator/send", fields={"user": "Alice", "text": "hi"}
        ).data)["result"]["chat"]["id"]
        from telegrambot.bot import Bot

        bot = Bot(token, api_url=api_url)
        sent = 0
        try:
            for _ in range(15):
                bot.sendMessage(alice, "n")
                sent += 1
        except TooManyRequests:
            pass
        assert (sent == 15) is too_many
        try:
            bot.sendMessage(alice, "x" * 5000)
            long_ok = True
        except (BadRequest, TooManyRequests):
            long_ok = False
        assert long_ok is too_long
        bot.close_connections()
        http.clear()
    finally:
        proc.terminate()
        proc.wait(10)

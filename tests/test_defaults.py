"""Bot(defaults=...): parameters and nested object fields filled from the Bot API facts,
seen in the requests the emulator receives and in what it makes of them."""

import json
from pathlib import Path

import pytest

import telegrambot
from telegrambot import Bot, DelegatorBot
from telegrambot.core.defaults import Defaults
from telegrambot.delegate import create_open, pave_event_space, per_chat_id
from telegrambot.helper import ChatHandler
from telegrambot.namedtuple import InputMediaPhoto, InputTextMessageContent

FACTS = json.loads((Path(telegrambot.__file__).parent / "botapi.json").read_text())
HTML = {"parse_mode": "HTML", "protect_content": True,
        "link_preview_options": {"is_disabled": True}}


@pytest.fixture
def html_bot(emulator):
    bot = Bot(emulator.token, emulator.api_url, defaults=HTML)
    yield bot
    bot.close_connections()


def last(emulator, method):
    return emulator.wait_for_request(method).params


# ------------------------------------------------------------------ where defaults apply


def test_every_method_with_the_parameter_gets_it():
    """Derived, not listed: every method whose parameters include an optional parse_mode
    (per the facts file) is a target, and no other method has it at the top level."""
    targets = Defaults({"parse_mode": "HTML"}).targets()
    with_param = {m for m, info in FACTS["methods"].items()
                  if any(p["name"] == "parse_mode" and not p["required"] for p in info["params"])}
    assert with_param and with_param == {m for m, found in targets.items() if "parse_mode" in found}
    assert "InputMediaPhoto.parse_mode" in targets["sendMediaGroup"]
    assert "InlineQueryResultPhoto.parse_mode" in targets["answerInlineQuery"]
    assert "InputTextMessageContent.parse_mode" in targets["answerInlineQuery"]
    assert "InputChecklistTask.parse_mode" in targets["sendChecklist"]
    assert "getMe" not in targets and "sendDice" not in targets
    # output types that merely share the name are never walked into
    assert not any("Message." in t or t.startswith("ExternalReplyInfo") for found in
                   Defaults({"link_preview_options": {}}).targets().values() for t in found)


def test_unknown_and_useless_keys_fail_at_construction(emulator):
    with pytest.raises(ValueError, match="no Bot API method or object takes 'parse_mod'.*'parse_mode'"):
        Bot(emulator.token, emulator.api_url, defaults={"parse_mod": "HTML"})
    with pytest.raises(ValueError, match="'inline_query_id' is required wherever"):
        Bot(emulator.token, emulator.api_url, defaults={"inline_query_id": "x"})
    with pytest.raises(TypeError, match="keys are parameter names"):
        Bot(emulator.token, emulator.api_url, defaults={1: "x"})
    with pytest.raises(TypeError, match="dict of parameter names"):
        Bot(emulator.token, emulator.api_url, defaults=["parse_mode"])
    with pytest.raises(ValueError):
        DelegatorBot(emulator.token, [], api_url=emulator.api_url, defaults={"nonsense": 1})
    assert emulator.requests == []  # nothing was sent
    bot = Bot(emulator.token, emulator.api_url, defaults={"parse_mode": None, "protect_content": True})
    assert bot.defaults == {"protect_content": True}
    bot.defaults["x"] = 1
    assert bot.defaults == {"protect_content": True}
    assert Bot(emulator.token, emulator.api_url).defaults == {}


# ------------------------------------------------------------------ top-level parameters


def test_top_level_parameters(emulator, html_bot):
    alice = emulator.user("Alice")
    html_bot.sendMessage(alice.id, "<b>Hello</b> there")
    sent = last(emulator, "sendMessage")
    assert sent["parse_mode"] == "HTML" and sent["protect_content"] is True
    assert sent["link_preview_options"] == {"is_disabled": True}
    stored = alice.received()[-1]
    assert stored["text"] == "Hello there"
    assert stored["entities"] == [{"type": "bold", "offset": 0, "length": 5}]

    html_bot.sendMessage(alice.id, "*bold*", parse_mode="MarkdownV2", protect_content=False)
    sent = last(emulator, "sendMessage")
    assert (sent["parse_mode"], sent["protect_content"]) == ("MarkdownV2", False)

    html_bot.sendMessage(alice.id, "<i>as is</i>", api_kwargs={"parse_mode": None})
    sent = last(emulator, "sendMessage")
    assert "parse_mode" not in sent and alice.received()[-1]["text"] == "<i>as is</i>"

    entities = [{"type": "italic", "offset": 0, "length": 2}]
    html_bot.sendMessage(alice.id, "<3 you", entities=entities)
    sent = last(emulator, "sendMessage")
    assert "parse_mode" not in sent and sent["entities"] == entities
    assert alice.received()[-1]["text"] == "<3 you"

    html_bot.sendDice(alice.id)
    sent = last(emulator, "sendDice")
    assert sent["protect_content"] is True and "parse_mode" not in sent


def test_caption_entities_block_the_parse_mode(emulator, html_bot):
    alice = emulator.user("Alice")
    html_bot.sendPhoto(alice.id, b"\xff\xd8jpeg", caption="<u>a</u>")
    assert last(emulator, "sendPhoto")["parse_mode"] == "HTML"
    html_bot.sendPhoto(alice.id, b"\xff\xd8jpeg", caption="a < b",
                       caption_entities=[{"type": "bold", "offset": 0, "length": 1}])
    assert "parse_mode" not in last(emulator, "sendPhoto")


def test_raw_request_gets_no_defaults(emulator, html_bot):
    alice = emulator.user("Alice")
    html_bot.request("sendMessage", {"chat_id": alice.id, "text": "<b>raw</b>"})
    sent = last(emulator, "sendMessage")
    assert "parse_mode" not in sent and "protect_content" not in sent


# ------------------------------------------------------------------ nested objects


def test_media_group_items(emulator, html_bot):
    alice = emulator.user("Alice")
    plain = {"type": "photo", "media": b"\xff\xd8one", "caption": "<b>one</b>"}
    mine = {"type": "photo", "media": b"\xff\xd8two", "caption": "<two>", "parse_mode": None}
    marked = {"type": "photo", "media": b"\xff\xd8three", "caption": "three",
              "caption_entities": [{"type": "bold", "offset": 0, "length": 5}]}
    typed = InputMediaPhoto(media=b"\xff\xd8four", caption="<i>four</i>")
    items = [plain, mine, marked, typed]
    before = json.dumps([plain, mine, marked], default=repr)
    html_bot.sendMediaGroup(alice.id, items)
    media = last(emulator, "sendMediaGroup")["media"]
    assert [m.get("parse_mode") for m in media] == ["HTML", None, None, "HTML"]
    assert json.dumps([plain, mine, marked], default=repr) == before  # caller's dicts untouched
    assert items[3] is typed and typed.parse_mode is None
    captions = [m.get("caption") for m in alice.received()[-4:]]
    assert captions == ["one", "<two>", "three", "four"]


def test_inline_results_and_their_content(emulator, html_bot):
    alice = emulator.user("Alice")
    query = alice.inline_query("q")
    results = [
        {"type": "article", "id": "1", "title": "A",
         "input_message_content": {"message_text": "<b>a</b>"}},
        {"type": "article", "id": "2", "title": "B",
         "input_message_content": InputTextMessageContent(message_text="b", parse_mode="MarkdownV2")},
        {"type": "article", "id": "3", "title": "Here",
         "input_message_content": {"latitude": 1.0, "longitude": 2.0}},
        {"type": "photo", "id": "4", "photo_url": "https://example.org/p.jpg",
         "thumbnail_url": "https://example.org/t.jpg", "caption": "<i>p</i>"},
    ]
    html_bot.answerInlineQuery(query["id"], results)
    sent = last(emulator, "answerInlineQuery")["results"]
    assert sent[0]["input_message_content"] == {"message_text": "<b>a</b>", "parse_mode": "HTML",
                                                "link_preview_options": {"is_disabled": True}}
    assert sent[1]["input_message_content"]["parse_mode"] == "MarkdownV2"
    assert sent[1]["input_message_content"]["link_preview_options"] == {"is_disabled": True}
    assert sent[2]["input_message_content"] == {"latitude": 1.0, "longitude": 2.0}
    assert sent[3]["parse_mode"] == "HTML" and "parse_mode" not in sent[0]
    assert "parse_mode" not in results[0]["input_message_content"]


def test_names_are_exact(emulator):
    """parse_mode fills parse_mode only; question_parse_mode is a default of its own."""
    alice = emulator.user("Alice")
    bot = Bot(emulator.token, emulator.api_url, defaults={"parse_mode": "HTML"})
    bot.sendPoll(alice.id, "<b>Q</b>?", [{"text": "a"}, {"text": "b"}])
    assert "question_parse_mode" not in last(emulator, "sendPoll")
    bot = Bot(emulator.token, emulator.api_url,
              defaults={"question_parse_mode": "HTML", "text_parse_mode": "HTML"})
    bot.sendPoll(alice.id, "<b>Q</b>?", [{"text": "<i>a</i>"}, {"text": "b", "text_parse_mode": None}])
    sent = last(emulator, "sendPoll")
    assert sent["question_parse_mode"] == "HTML"
    assert [o.get("text_parse_mode") for o in sent["options"]] == ["HTML", None]
    assert alice.received()[-1]["poll"]["question"] == "Q?"


def test_delegates_get_the_defaults_too(emulator):
    class Greeter(ChatHandler):
        def on_chat_message(self, msg):
            self.sender.sendMessage("<b>Welcome</b>, %s" % msg["from"]["first_name"])

    bot = DelegatorBot(emulator.token, [pave_event_space()(per_chat_id(), create_open, Greeter,
                                                           timeout=5)],
                       api_url=emulator.api_url, defaults={"parse_mode": "HTML"})
    alice = emulator.user("Alice")
    bot.message_loop()
    try:
        alice.send("hi")
        reply = alice.wait_for_message()
        assert reply["text"] == "Welcome, Alice"
        assert reply["entities"][0]["type"] == "bold"
    finally:
        bot.stop()


def test_objects_of_unknown_shape_are_left_alone():
    """Pure: a dict that matches none of the possible types by any key is not filled."""
    defaults = Defaults({"parse_mode": "HTML"})
    params = {"inline_query_id": "1", "results": [
        {"type": "article", "id": "1", "title": "t", "input_message_content": {"future_field": 1}},
        {"type": "hologram", "id": "2", "caption": "newer than this library"},
        "not an object",
    ]}
    original = json.dumps(params)
    defaults.apply("answerInlineQuery", params)
    assert json.dumps(params) == original
    params = {"chat_id": 1, "text": "x"}
    defaults.apply("noSuchMethod", params)
    assert params == {"chat_id": 1, "text": "x"}


def test_types_nested_in_themselves_and_shared_discriminators():
    """Pure: a photo inside a quotation inside a quotation of a rich message is reached;
    InlineQueryResultPhoto and InlineQueryResultCachedPhoto share type 'photo'."""
    defaults = Defaults({"parse_mode": "HTML"})
    photo = {"type": "photo", "media": "AgAD", "caption": "<b>deep</b>"}
    params = {"chat_id": 1, "rich_message": {"blocks": [
        {"type": "blockquote", "blocks": [{"type": "blockquote", "blocks": [
            {"type": "photo", "photo": photo}]}]}]}}
    defaults.apply("sendRichMessage", params)
    deep = params["rich_message"]["blocks"][0]["blocks"][0]["blocks"][0]["photo"]
    assert deep["parse_mode"] == "HTML" and "parse_mode" not in photo
    results = {"inline_query_id": "1", "results": [
        {"type": "photo", "id": "1", "photo_url": "u", "thumbnail_url": "t", "caption": "a"},
        {"type": "photo", "id": "2", "photo_file_id": "f", "caption": "b"},
        {"type": "location", "id": "3", "latitude": 1, "longitude": 2, "title": "x"},
    ]}
    defaults.apply("answerInlineQuery", results)
    assert [r.get("parse_mode") for r in results["results"]] == ["HTML", "HTML", None]

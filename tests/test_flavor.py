"""flavor, glance and friends, checked against the Bot API facts."""

import json
import os

import pytest

import telegrambot
from telegrambot._flavor import (
    UPDATE_TYPE_KEY,
    all_content_types,
    content_type,
    flance,
    flavor,
    fleece,
    glance,
    is_event,
    message_identifier,
    origin_identifier,
    peel,
    update_flavors,
)
from telegrambot.exception import BadFlavor
from telegrambot.testing._facts import facts

FACTS_FILE = "/work/shared/botapi/botapi.json"

# Message fields that describe a message rather than being its content.
MESSAGE_METADATA = {
    "message_id", "message_thread_id", "direct_messages_topic", "from", "sender_chat",
    "sender_boost_count", "sender_business_bot", "sender_tag", "date", "guest_query_id",
    "business_connection_id", "chat", "forward_origin", "is_topic_message",
    "is_automatic_forward", "reply_to_message", "external_reply", "quote", "reply_to_story",
    "reply_to_checklist_task_id", "reply_to_poll_option_id", "via_bot", "guest_bot_caller_user",
    "guest_bot_caller_chat", "edit_date", "has_protected_content", "is_from_offline",
    "is_paid_post", "media_group_id", "author_signature", "paid_star_count", "entities",
    "link_preview_options", "suggested_post_info", "effect_id", "caption", "caption_entities",
    "show_caption_above_media", "has_media_spoiler", "reply_markup", "receiver_user",
    "ephemeral_message_id", "forward_date", "forward_from", "forward_from_chat",
    "forward_from_message_id", "forward_sender_name", "forward_signature",
}

UPDATE_TYPES = facts().update_types


def expected_flavor(update_type):
    if update_type in ("message", "channel_post", "business_message", "guest_message"):
        return "chat"
    if update_type.startswith("edited_"):
        return "edited_chat"
    return update_type


def sample(update_type, full=False):
    """An object of the given update type: required fields only, or every field filled."""
    f = facts()
    type_name = f.field_types["Update"][update_type][0]
    obj = f.build(type_name)
    if full:
        for field in f.types[type_name]["fields"]:
            kind = field["types"][0]
            obj.setdefault(field["name"], f.build(kind) if kind in f.types else 1)
    if type_name == "Message":
        obj["text"] = "hi"
        if update_type.startswith("edited_"):
            obj["edit_date"] = 1
    return obj


# ------------------------------------------------------------------ content types


@pytest.mark.skipif(not os.path.exists(FACTS_FILE), reason="no shared botapi.json")
def test_content_types_cover_every_message_content_field():
    with open(FACTS_FILE) as f:
        fields = [x["name"] for x in json.load(f)["types"]["Message"]["fields"]]
    content = set(fields) - MESSAGE_METADATA
    assert set(all_content_types) == content
    assert len(all_content_types) == len(set(all_content_types))


def test_content_types_put_the_specific_before_the_general():
    order = all_content_types.index
    assert order("animation") < order("document")
    assert order("venue") < order("location")
    assert order("users_shared") < order("user_shared")


def test_content_type_of_messages():
    assert content_type({"message_id": 1, "animation": {}, "document": {}}) == "animation"
    assert content_type({"message_id": 1, "venue": {}, "location": {}}) == "venue"
    assert content_type({"message_id": 1, "photo": [], "caption": "x"}) == "photo"
    assert content_type({"message_id": 1, "forum_topic_created": {}}) == "forum_topic_created"
    assert content_type({"message_id": 1, "something_new": {}}) is None


# ------------------------------------------------------------------ flavor


@pytest.mark.parametrize("update_type", UPDATE_TYPES)
@pytest.mark.parametrize("full", [False, True])
def test_flavor_of_every_update_type(update_type, full):
    obj = sample(update_type, full=full and facts().field_types["Update"][update_type][0] != "Message")
    if update_type in ("my_chat_member", "chat_member"):
        obj[UPDATE_TYPE_KEY] = update_type  # what the loop does for shapes that cannot tell
    assert flavor(obj) == expected_flavor(update_type)
    assert update_flavors[update_type] == expected_flavor(update_type)


def test_update_flavors_cover_the_facts():
    assert set(update_flavors) == set(UPDATE_TYPES)


def test_untagged_chat_member_update_is_chat_member():
    assert flavor(sample("my_chat_member")) == "chat_member"


def test_tag_names_an_unknown_update_type():
    assert flavor({"id": 5, "something": 1, UPDATE_TYPE_KEY: "future_update"}) == "future_update"


def test_events_and_bad_flavor():
    assert flavor({"_alarm": {"x": 1}}) == "_alarm"
    assert is_event({"_alarm": {"x": 1}})
    assert not is_event(sample("message"))
    assert not is_event({"_a": 1, "_b": 2})
    with pytest.raises(BadFlavor) as info:
        flavor({"a": 1, "b": 2})
    assert info.value.offender == {"a": 1, "b": 2}


# ------------------------------------------------------------------ glance


def test_glance_chat_message():
    msg = {"message_id": 7, "date": 99, "chat": {"id": 5, "type": "private"}, "text": "hi"}
    assert glance(msg) == ("text", "private", 5)
    assert glance(msg, long=True) == ("text", "private", 5, 99, 7)
    assert glance(msg, flavor="edited_chat") == ("text", "private", 5)
    assert flance(msg) == ("chat", ("text", "private", 5))


def test_glance_seed_flavors():
    cq = {"id": "q1", "from": {"id": 3}, "chat_instance": "ci", "data": "yes"}
    assert glance(cq, flavor="callback_query") == ("q1", 3, "yes")
    iq = {"id": "i1", "from": {"id": 3}, "query": "cats", "offset": "10"}
    assert glance(iq, flavor="inline_query") == ("i1", 3, "cats")
    assert glance(iq, flavor="inline_query", long=True) == ("i1", 3, "cats", "10")
    cir = {"result_id": "r", "from": {"id": 3}, "query": "cats"}
    assert flance(cir) == ("chosen_inline_result", ("r", 3, "cats"))
    sq = {"id": "s", "from": {"id": 3}, "invoice_payload": "p", "shipping_address": {}}
    assert glance(sq, flavor="shipping_query") == ("s", 3, "p")
    pcq = {"id": "p", "from": {"id": 3}, "invoice_payload": "p", "currency": "EUR", "total_amount": 5}
    assert glance(pcq, flavor="pre_checkout_query", long=True) == ("p", 3, "p", "EUR", 5)


@pytest.mark.parametrize("update_type", UPDATE_TYPES)
def test_glance_works_on_every_minimal_object(update_type):
    obj = sample(update_type)
    fl = expected_flavor(update_type)
    short = glance(obj, flavor=fl)
    long = glance(obj, flavor=fl, long=True)
    assert isinstance(short, tuple) and len(short) >= 2
    assert long[: len(short)] == short


def test_glance_new_flavors():
    member = {
        "chat": {"id": -100, "type": "supergroup"}, "from": {"id": 1}, "date": 5,
        "old_chat_member": {"status": "left", "user": {"id": 2}},
        "new_chat_member": {"status": "member", "user": {"id": 2}},
    }
    assert glance(member, flavor="chat_member") == (-100, 2, "member")
    assert glance(member, flavor="my_chat_member", long=True) == (-100, 2, "member", "left", 5)
    answer = {"poll_id": "p", "user": {"id": 9}, "option_ids": [1], "option_persistent_ids": ["a"]}
    assert flance(answer) == ("poll_answer", ("p", 9, [1]))
    reaction = {"chat": {"id": 4}, "message_id": 8, "actor_chat": {"id": -7}, "date": 1,
                "old_reaction": [], "new_reaction": [{"type": "emoji", "emoji": "x"}]}
    assert flance(reaction) == ("message_reaction", (4, 8, -7))


def test_glance_unknown_flavor():
    with pytest.raises(BadFlavor):
        glance({"_alarm": {}}, flavor="_alarm")


# ------------------------------------------------------------------ events and identifiers


def test_peel_and_fleece():
    event = {"_alarm": {"payload": 1}}
    assert peel(event) == {"payload": 1}
    assert fleece(event) == ("_alarm", {"payload": 1})


def test_message_identifier():
    assert message_identifier({"chat": {"id": 5}, "message_id": 9}) == (5, 9)
    assert message_identifier({"result_id": "r", "inline_message_id": "im"}) == ("im",)
    with pytest.raises(ValueError):
        message_identifier({"id": "x"})


def test_origin_identifier():
    assert origin_identifier({"id": "q", "message": {"chat": {"id": 5}, "message_id": 9}}) == (5, 9)
    assert origin_identifier({"id": "q", "inline_message_id": "im"}) == ("im",)
    with pytest.raises(ValueError):
        origin_identifier({"id": "q"})


def test_public_surface():
    for name in ("flavor", "glance", "flance", "peel", "fleece", "is_event",
                 "message_identifier", "origin_identifier", "all_content_types"):
        assert getattr(telegrambot, name) is globals()[name]

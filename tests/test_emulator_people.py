"""Simulated people: every update type, shaped as the Bot API declares it."""

import json

import pytest
import urllib3

from telegrambot.testing import check_shape
from telegrambot.testing._facts import facts

FACTS = facts()


@pytest.fixture
def poll(emulator):
    """Fetch and confirm the pending updates over plain HTTP, every type allowed."""
    pool = urllib3.PoolManager(retries=False, timeout=5.0)
    state = {"offset": None}

    def fetch():
        params = {"allowed_updates": FACTS.update_types}
        if state["offset"] is not None:
            params["offset"] = state["offset"]
        response = pool.request("POST", "%s/bot%s/getUpdates" % (emulator.api_url, emulator.token),
                                body=json.dumps(params), headers={"Content-Type": "application/json"})
        updates = json.loads(response.data)["result"]
        if updates:
            state["offset"] = updates[-1]["update_id"] + 1
        return updates

    yield fetch
    pool.clear()


def only(updates, update_type):
    """The single update of the batch, which must be of ``update_type``; checks its shape."""
    assert [k for u in updates for k in u if k != "update_id"] == [update_type]
    obj = updates[0][update_type]
    check_shape(updates[0], "Update")
    return obj


@pytest.fixture
def cast(emulator):
    alice = emulator.user("Alice", last_name="Liddell", language_code="en")
    bob = emulator.user("Bob")
    group = emulator.supergroup("Team", members=[alice, bob])
    channel = emulator.channel("News", members=[alice])
    return emulator, alice, bob, group, channel


def test_every_update_type_is_covered_here():
    covered = {name[len("test_update_"):] for name in globals() if name.startswith("test_update_")}
    assert covered == set(FACTS.update_types)


def test_update_message(cast, poll):
    emu, alice, bob, group, _ = cast
    sent = alice.send("/help@emulator_bot please", chat=group)
    message = only(poll(), "message")
    assert message == sent
    assert message["chat"]["type"] == "supergroup" and message["from"]["last_name"] == "Liddell"
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 18}]
    photo = alice.send_photo(b"jpeg bytes", caption="look")
    message = only(poll(), "message")
    assert message["caption"] == "look" and emu.file(photo["photo"][-1]["file_id"]).data == b"jpeg bytes"
    bob.send_document(b"%PDF", "a.pdf")
    assert only(poll(), "message")["document"]["file_name"] == "a.pdf"
    alice.send_file("voice", b"ogg", duration=3)
    assert only(poll(), "message")["voice"]["mime_type"] == "audio/ogg"
    alice.send(location={"latitude": 1.5, "longitude": 2.5})
    assert only(poll(), "message")["location"] == {"latitude": 1.5, "longitude": 2.5}
    alice.reply(sent, "replying", chat=None) if False else alice.reply(sent, "replying")
    assert only(poll(), "message")["reply_to_message"]["message_id"] == sent["message_id"]


def test_update_edited_message(cast, poll):
    emu, alice, *_ = cast
    sent = alice.send("typo")
    poll()
    alice.edit(sent, "fixed")
    edited = only(poll(), "edited_message")
    assert edited["text"] == "fixed" and edited["message_id"] == sent["message_id"] and "edit_date" in edited
    assert emu.transcript(alice)[-1]["text"] == "fixed"


def test_update_channel_post(cast, poll):
    emu, alice, _, _, channel = cast
    channel.post("news!")
    post = only(poll(), "channel_post")
    assert post["sender_chat"] == channel.chat and "from" not in post
    alice.send("also a post", chat=channel)
    assert only(poll(), "channel_post")["text"] == "also a post"


def test_update_edited_channel_post(cast, poll):
    _, _, _, _, channel = cast
    post = channel.post("draft")
    poll()
    channel.edit(post, "final")
    assert only(poll(), "edited_channel_post")["text"] == "final"


def test_update_business_connection(cast, poll):
    emu, alice, *_ = cast
    connection = alice.connect_business()
    assert only(poll(), "business_connection") == connection
    assert connection["user"] == alice.user and connection["is_enabled"] is True
    assert emu.call("getBusinessConnection", {"business_connection_id": connection["id"]}, {}) == connection


def test_update_business_message(cast, poll):
    _, alice, *_ = cast
    message = alice.send_business("open today?")
    assert only(poll(), "business_message") == message
    assert message["business_connection_id"]


def test_update_edited_business_message(cast, poll):
    _, alice, *_ = cast
    message = alice.send_business("open today?")
    poll()
    alice.edit(message, "open tomorrow?")
    assert only(poll(), "edited_business_message")["text"] == "open tomorrow?"


def test_update_deleted_business_messages(cast, poll):
    emu, alice, *_ = cast
    messages = [alice.send_business("one"), alice.send_business("two")]
    poll()
    deleted = alice.delete_business(messages)
    assert only(poll(), "deleted_business_messages")["message_ids"] == [m["message_id"] for m in messages]
    assert deleted["chat"] == alice.chat and emu.transcript(alice) == []


def test_update_guest_message(cast, poll):
    emu, alice, _, group, _ = cast
    message = alice.send_guest("@emulator_bot what time is it?", chat=group)
    assert only(poll(), "guest_message") == message
    answer = emu.call("answerGuestQuery", {"guest_query_id": message["guest_query_id"],
                                           "result": {"type": "article", "id": "1", "title": "t"}}, {})
    assert "inline_message_id" in answer


def test_update_message_reaction(cast, poll):
    _, alice, *_ = cast
    sent = alice.send("react to me")
    poll()
    alice.react(sent, "👍")
    reaction = only(poll(), "message_reaction")
    assert reaction["new_reaction"] == [{"type": "emoji", "emoji": "👍"}] and reaction["old_reaction"] == []
    alice.react(sent, "🔥")
    assert only(poll(), "message_reaction")["old_reaction"] == [{"type": "emoji", "emoji": "👍"}]


def test_update_message_reaction_count(cast, poll):
    _, _, _, _, channel = cast
    post = channel.post("popular")
    poll()
    channel.reaction_count(post, {"👍": 3, "❤": 1})
    counts = only(poll(), "message_reaction_count")
    assert counts["reactions"][0] == {"type": {"type": "emoji", "emoji": "👍"}, "total_count": 3}


def test_update_inline_query(cast, poll):
    _, alice, *_ = cast
    query = alice.inline_query("cats", offset="10")
    assert only(poll(), "inline_query") == query and query["offset"] == "10"


def test_update_chosen_inline_result(cast, poll):
    _, alice, *_ = cast
    alice.choose_inline_result("r1", "cats", inline_message_id="im1")
    chosen = only(poll(), "chosen_inline_result")
    assert chosen["result_id"] == "r1" and chosen["inline_message_id"] == "im1"


def test_update_callback_query(cast, poll):
    emu, alice, *_ = cast
    sent = emu.call("sendMessage", {"chat_id": alice.id, "text": "pick", "reply_markup": {
        "inline_keyboard": [[{"text": "One", "callback_data": "1"}, {"text": "Two", "callback_data": "2"}]]}}, {})
    alice.press(sent, "2")
    query = only(poll(), "callback_query")
    assert query["data"] == "2" and query["message"] == sent and query["chat_instance"]
    alice.press("inline-msg-1", "x")
    assert only(poll(), "callback_query")["inline_message_id"] == "inline-msg-1"


def test_update_shipping_query(cast, poll):
    emu, alice, *_ = cast
    query = alice.shipping_query("order-1")
    assert only(poll(), "shipping_query") == query
    assert emu.call("answerShippingQuery", {"shipping_query_id": query["id"], "ok": True,
                                            "shipping_options": []}, {}) is True


def test_update_pre_checkout_query(cast, poll):
    emu, alice, *_ = cast
    query = alice.pre_checkout_query("order-1", currency="EUR", total_amount=500)
    assert only(poll(), "pre_checkout_query")["total_amount"] == 500
    assert emu.call("answerPreCheckoutQuery", {"pre_checkout_query_id": query["id"], "ok": True}, {}) is True
    assert emu.answers[query["id"]]["ok"] is True


def test_update_purchased_paid_media(cast, poll):
    _, alice, *_ = cast
    alice.purchase_paid_media("secret-photo")
    assert only(poll(), "purchased_paid_media")["paid_media_payload"] == "secret-photo"


def test_update_poll(cast, poll):
    emu, alice, _, group, _ = cast
    sent = emu.call("sendPoll", {"chat_id": group.id, "question": "Tea?",
                                 "options": [{"text": "yes"}, {"text": "no"}]}, {})
    alice.answer_poll(sent["poll"], [0])
    state = only(poll(), "poll")
    assert state["options"][0]["voter_count"] == 1 and state["total_voter_count"] == 1
    assert emu.transcript(group)[-1]["poll"]["options"][0]["voter_count"] == 1


def test_update_poll_answer(cast, poll):
    emu, alice, _, group, _ = cast
    sent = emu.call("sendPoll", {"chat_id": group.id, "question": "Tea?", "options": ["yes", "no"],
                                 "is_anonymous": False}, {})
    alice.answer_poll(sent, [1])
    answer = only(poll(), "poll_answer")
    assert answer["option_ids"] == [1] and answer["user"] == alice.user
    assert answer["option_persistent_ids"] == [sent["poll"]["options"][1]["persistent_id"]]


def test_update_my_chat_member(cast, poll):
    emu, alice, *_ = cast
    group = emu.group("Fresh", members=[alice])
    alice.add_bot(group, as_admin=True)
    change = only(poll(), "my_chat_member")
    assert change["new_chat_member"]["status"] == "administrator"
    assert change["new_chat_member"]["user"]["id"] == emu.bot_user["id"]
    alice.block_bot()
    blocked = only(poll(), "my_chat_member")
    assert blocked["chat"] == alice.chat and blocked["new_chat_member"]["status"] == "kicked"


def test_update_chat_member(cast, poll):
    emu, alice, bob, group, _ = cast
    carol = emu.user("Carol")
    carol.join(group)
    updates = poll()
    assert [k for u in updates for k in u if k != "update_id"] == ["chat_member", "message"]
    change = updates[0]["chat_member"]
    check_shape(updates[0], "Update")
    assert (change["old_chat_member"]["status"], change["new_chat_member"]["status"]) == ("left", "member")
    assert updates[1]["message"]["new_chat_members"] == [carol.user]
    assert emu.call("getChatMember", {"chat_id": group.id, "user_id": carol.id}, {})["status"] == "member"
    carol.leave(group)
    assert [k for u in poll() for k in u if k != "update_id"] == ["chat_member", "message"]


def test_update_chat_join_request(cast, poll):
    emu, _, _, group, _ = cast
    dave = emu.user("Dave")
    request = dave.request_join(group, bio="hello")
    assert only(poll(), "chat_join_request") == request
    assert emu.call("approveChatJoinRequest", {"chat_id": group.id, "user_id": dave.id}, {}) is True
    assert emu.call("getChatMember", {"chat_id": group.id, "user_id": dave.id}, {})["status"] == "member"


def test_update_chat_boost(cast, poll):
    _, alice, _, _, channel = cast
    alice.boost(channel)
    assert only(poll(), "chat_boost")["boost"]["source"]["user"] == alice.user


def test_update_removed_chat_boost(cast, poll):
    _, alice, _, _, channel = cast
    boost = alice.boost(channel)["boost"]
    poll()
    alice.remove_boost(channel, boost["boost_id"])
    assert only(poll(), "removed_chat_boost")["boost_id"] == boost["boost_id"]


def test_update_managed_bot(cast, poll):
    _, alice, *_ = cast
    alice.create_managed_bot("Helper")
    managed = only(poll(), "managed_bot")
    assert managed["bot"]["is_bot"] is True and managed["bot"]["username"] == "helper_bot"


def test_update_subscription(cast, poll):
    _, alice, *_ = cast
    alice.update_subscription("monthly", "cancelled")
    assert only(poll(), "subscription") == {"user": alice.user, "invoice_payload": "monthly",
                                            "state": "cancelled"}


def test_update_stopped_message_generation(cast, poll):
    _, alice, *_ = cast
    alice.stop_generation(7)
    assert only(poll(), "stopped_message_generation") == {"chat": alice.chat, "draft_id": 7}


def test_push_update_low_level(emulator, poll):
    update = emulator.push_update("message", {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}})
    assert poll() == [update]
    with pytest.raises(ValueError):
        emulator.push_update("not_a_type", {})


def test_forum_topics(emulator, poll):
    alice = emulator.user("Alice")
    forum = emulator.supergroup("Forum", members=[alice], forum=True)
    thread = forum.create_topic("Ideas", creator=alice)
    alice.send("in the topic", chat=forum, message_thread_id=thread, is_topic_message=True)
    updates = poll()
    assert updates[0]["message"]["forum_topic_created"]["name"] == "Ideas"
    assert updates[1]["message"]["message_thread_id"] == thread
    sent = emulator.call("sendMessage", {"chat_id": forum.id, "text": "reply", "message_thread_id": thread}, {})
    assert sent["is_topic_message"] is True and sent["message_thread_id"] == thread
    topic = emulator.call("createForumTopic", {"chat_id": forum.id, "name": "Bot topic"}, {})
    assert topic["name"] == "Bot topic" and topic["message_thread_id"] > sent["message_id"]


# ------------------------------------------------------------------ polls, inline results, payments


def test_create_poll_answers_a_request_poll_button(emulator, bot, poll):
    alice = emulator.user("Alice")
    with pytest.raises(AssertionError, match="no single request_poll button"):
        alice.create_poll("Tea?", ["yes", "no"])  # no keyboard: nothing to press
    bot.sendMessage(alice.id, "Make a quiz", reply_markup={"keyboard": [[
        {"text": "Quiz!", "request_poll": {"type": "quiz"}}, {"text": "Plain"}]]})
    with pytest.raises(AssertionError, match="asks for a quiz, not a regular"):
        alice.create_poll("Tea?", ["yes", "no"], type="regular")
    with pytest.raises(AssertionError, match="correct_option_ids"):
        alice.create_poll("Tea?", ["yes", "no"])  # a quiz needs its right answer
    sent = alice.create_poll("2 + 2?", ["3", "4"], correct_option_ids=[1])
    message = only(poll(), "message")
    assert message == sent and message["chat"]["id"] == alice.id
    assert message["poll"]["type"] == "quiz" and message["poll"]["correct_option_ids"] == [1]
    assert [o["text"] for o in message["poll"]["options"]] == ["3", "4"]
    assert not message["poll"]["is_closed"]

    bot.sendMessage(alice.id, "Any poll", reply_markup={"keyboard": [[
        {"text": "Poll", "request_poll": {}}]]})
    regular = alice.create_poll("Lunch?", ["soup", "salad"], is_anonymous=False)
    assert regular["poll"]["type"] == "regular" and regular["poll"]["is_anonymous"] is False
    bot.sendMessage(alice.id, "Thanks", reply_markup={"remove_keyboard": True})
    with pytest.raises(AssertionError, match="no single request_poll button"):
        alice.create_poll("Again?", ["yes", "no"])


def test_answer_poll_counts_every_voter_and_refuses_a_closed_poll(cast, poll):
    emu, alice, bob, group, _ = cast
    sent = emu.call("sendPoll", {"chat_id": group.id, "question": "Tea?",
                                 "options": ["yes", "no"]}, {})
    alice.answer_poll(sent, [0])
    bob.answer_poll(sent, [0])  # the message as sent, before Alice voted
    states = [u["poll"] for u in poll()]
    assert [s["total_voter_count"] for s in states] == [1, 2]
    assert states[-1]["options"][0]["voter_count"] == 2
    emu.call("stopPoll", {"chat_id": group.id, "message_id": sent["message_id"]}, {})
    with pytest.raises(AssertionError, match="closed"):
        alice.answer_poll(sent, [1])
    closed = emu.call("sendPoll", {"chat_id": group.id, "question": "Done?", "options": ["a", "b"],
                                   "is_closed": True}, {})
    with pytest.raises(AssertionError, match="closed"):
        bob.answer_poll(closed["poll"], [0])
    assert poll() == []  # no vote went through
    assert emu.transcript(group)[-2]["poll"]["total_voter_count"] == 2


def test_pick_inline_result_sends_its_message(emulator, poll):
    alice = emulator.user("Alice")
    query = alice.inline_query("tea & cake")
    with pytest.raises(AssertionError, match="has not answered"):
        alice.pick_inline_result(query, "Bold")
    poll()
    emulator.call("answerInlineQuery", {"inline_query_id": query["id"], "results": [
        {"type": "article", "id": "b", "title": "Bold", "input_message_content": {
            "message_text": "<b>tea &amp; cake</b>", "parse_mode": "HTML"}},
        {"type": "article", "id": "p", "title": "Plain", "input_message_content": {
            "message_text": "tea & cake", "entities": [
                {"type": "italic", "offset": 0, "length": 3}]}},
        {"type": "article", "id": "x", "title": "Broken", "input_message_content": {
            "message_text": "<b>tea", "parse_mode": "HTML"}},
        {"type": "photo", "id": "ph", "photo_url": "https://example.org/a.jpg",
         "thumbnail_url": "https://example.org/t.jpg"},
    ]}, {})
    sent = alice.pick_inline_result(query, "Bold")
    updates = poll()
    assert [k for u in updates for k in u if k != "update_id"] == ["message", "chosen_inline_result"]
    assert updates[0]["message"] == sent
    assert sent["text"] == "tea & cake" and sent["via_bot"] == emulator.bot_from
    assert sent["entities"] == [{"type": "bold", "offset": 0, "length": 10}]
    assert updates[1]["chosen_inline_result"] == {"result_id": "b", "from": alice.user,
                                                  "query": "tea & cake"}
    group = emulator.group("Friends", [alice])
    plain = alice.pick_inline_result(query, "p", chat=group)
    assert plain["chat"]["id"] == group.id
    assert plain["entities"] == [{"type": "italic", "offset": 0, "length": 3}]
    with pytest.raises(AssertionError, match="no result 'Shout'"):
        alice.pick_inline_result(query, "Shout")
    with pytest.raises(AssertionError, match="would refuse the result 'Broken'"):
        alice.pick_inline_result(query, "Broken")
    with pytest.raises(AssertionError, match="only results with text content"):
        alice.pick_inline_result(query, "ph")


def test_pay_follows_an_approved_pre_checkout_query(emulator, poll):
    alice = emulator.user("Alice")
    order = {"name": "Alice Liddell", "email": "alice@example.org"}
    refused = alice.pre_checkout_query("beans", "EUR", 1780, shipping_option_id="post")
    with pytest.raises(AssertionError, match="no answer"):
        alice.pay(refused)
    emulator.call("answerPreCheckoutQuery", {"pre_checkout_query_id": refused["id"], "ok": False,
                                             "error_message": "Sold out"}, {})
    with pytest.raises(AssertionError, match="Sold out"):
        alice.pay(refused)
    approved = alice.pre_checkout_query("beans", "EUR", 1780, shipping_option_id="post",
                                        order_info=order)
    emulator.call("answerPreCheckoutQuery", {"pre_checkout_query_id": approved["id"], "ok": True}, {})
    poll()
    message = alice.pay(approved)
    assert only(poll(), "message") == message
    paid = message["successful_payment"]
    assert (paid["currency"], paid["total_amount"], paid["invoice_payload"]) == ("EUR", 1780, "beans")
    assert paid["shipping_option_id"] == "post" and paid["order_info"] == order
    assert paid["telegram_payment_charge_id"] != paid["provider_payment_charge_id"]

"""The flood-control arithmetic (telegrambot.core.limits): no I/O, the time is an argument."""

import json
import os
import random

import pytest

from telegrambot.core.limits import (
    DEFAULT_LIMITS,
    EDITS,
    NOT_MESSAGES,
    FloodLimits,
    FloodState,
    Limit,
    Target,
    chat_key,
    counts,
    is_safe_to_repeat,
    posts,
    retry_after_for,
    target_of,
)

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA = os.path.join(HERE, "..", "telegrambot", "botapi.json")
MESSAGES = {"Message", "MessageId", "Array of Message", "Array of MessageId"}


def _methods():
    with open(SCHEMA, encoding="utf-8") as f:
        return json.load(f)["methods"]


def test_the_counted_methods_are_those_the_schema_says_post_or_edit_messages():
    methods = _methods()
    posting = {name for name, info in methods.items()
               if name.startswith(("send", "copy", "forward")) and set(info["returns"]) & MESSAGES}
    editing = {name for name, info in methods.items()
               if name.startswith(("edit", "stop")) and "Message" in info["returns"]
               and any(p["name"] == "chat_id" for p in info["params"])
               and name != "stopPoll"}
    assert {m for m in methods if posts(m)} == posting
    assert {m for m in methods if counts(m)} == posting | editing
    assert EDITS == editing
    # the send* methods left out are exactly those that post no message
    assert NOT_MESSAGES == {m for m in methods if m.startswith("send") and m not in posting}
    for name in ("answerCallbackQuery", "getMe", "sendChatAction", "deleteMessage", "stopPoll"):
        assert not counts(name)


def test_only_methods_that_read_are_safe_to_repeat():
    methods = _methods()
    safe = {m for m in methods if is_safe_to_repeat(m)}
    assert safe == {m for m in methods if m.startswith("get")} - {"getUpdates"}
    assert "getMe" in safe and "getFile" in safe and "getChat" in safe
    for name in ("sendMessage", "getUpdates", "answerCallbackQuery", "setWebhook",
                 "exportChatInviteLink", "deleteMessage"):
        assert not is_safe_to_repeat(name)


@pytest.mark.parametrize("value, expected", [
    (42, (42, "private")), (-100123, (-100123, "group")), ("42", (42, "private")),
    ("-4001", (-4001, "group")), ("@SomeChannel", ("@somechannel", "group")),
    (None, (None, None)), (True, (None, None)), ("", (None, None)), (1.5, (None, None)),
])
def test_chat_key(value, expected):
    assert chat_key(value) == expected


def test_target_of():
    assert target_of("getMe", {}) is None
    assert target_of("sendMessage", {"chat_id": 7, "text": "x"}) == Target(7, "private", False, True)
    assert target_of("sendPhoto", {"chat_id": -5, "allow_paid_broadcast": True}) == Target(
        -5, "group", True, True)
    # an edit counts toward its chat only; an inline message's edit (no chat) not at all
    assert target_of("editMessageText", {"chat_id": 7, "message_id": 1}) == Target(
        7, "private", False, False)
    assert target_of("editMessageText", {"inline_message_id": "abc"}) is None


def test_retry_after_is_a_whole_number_of_seconds_at_least_one():
    assert [retry_after_for(d) for d in (0.01, 0.5, 1.0, 1.2, 2.999, 3.0)] == [1, 1, 1, 2, 3, 3]


def _burst(state, target, now):
    """How many calls to ``target`` fit at ``now`` (taking them)."""
    n = 0
    while state.acquire(target, now) == 0:
        n += 1
        assert n < 10000
    return n


def test_telegrams_limits_as_buckets():
    state = FloodState(DEFAULT_LIMITS)
    alice = Target(1, "private")
    assert _burst(state, alice, 0.0) == 10  # a short burst, then one a second
    assert state.delay(alice, 0.0) == pytest.approx(1.0)
    assert state.acquire(alice, 1.0) == 0
    assert state.delay(alice, 1.5) == pytest.approx(0.5)

    group = Target(-7, "group")
    assert _burst(state, group, 100.0) == 20  # 20 at once, then one every 3 s
    assert state.delay(group, 100.0) == pytest.approx(3.0)

    state = FloodState(DEFAULT_LIMITS)
    chats = [Target(1000 + i, "private") for i in range(40)]
    took = sum(state.acquire(t, 0.0) == 0 for t in chats)
    assert took == 30  # a second's worth overall
    assert state.delay(chats[35], 0.0) == pytest.approx(1 / 30)
    # sustained: 30 per second
    now, sent = 0.0, 0
    while now < 10.0:
        now += state.delay(chats[sent % 40], now)
        if state.acquire(chats[sent % 40], now) == 0:
            sent += 1
    assert 29 * 10 <= sent <= 30 * 10 + 2


def test_paid_broadcasts_use_their_own_higher_limit():
    state = FloodState(DEFAULT_LIMITS)
    free = [Target(i, "private") for i in range(1, 40)]
    assert sum(state.acquire(t, 0.0) == 0 for t in free) == 30
    paid = [Target(i, "private", paid=True) for i in range(100, 600)]
    assert sum(state.acquire(t, 0.0) == 0 for t in paid) == 500  # not held by the free 30
    # per-chat limits still apply to paid messages
    assert _burst(state, Target(100, "private", paid=True), 0.0) == 9


def test_edits_count_toward_their_chat_only():
    state = FloodState(DEFAULT_LIMITS)
    for i in range(30):
        state.take(Target(i + 1, "private"), 0.0)
    assert state.delay(Target(99, "private"), 0.0) > 0  # the overall limit is reached
    assert state.acquire(Target(99, "private", overall=False), 0.0) == 0  # an edit still fits
    assert _burst(state, Target(99, "private", overall=False), 0.0) == 9


def test_a_limit_set_to_none_is_off():
    state = FloodState(FloodLimits(overall=None, private=None, group=Limit(1, 60.0, 1)))
    for _ in range(1000):
        assert state.acquire(Target(5, "private"), 0.0) == 0
    assert _burst(state, Target(-5, "group"), 0.0) == 1


def test_headroom_keeps_part_of_each_burst_unused():
    state = FloodState(DEFAULT_LIMITS, headroom=0.5)
    chats = [Target(1000 + i, "private") for i in range(40)]
    assert sum(state.acquire(t, 0.0) == 0 for t in chats) == 15  # 30 - 0.5 s * 30/s
    assert _burst(FloodState(DEFAULT_LIMITS, 0.5), Target(1, "private"), 0.0) == 9
    no_overall = DEFAULT_LIMITS._replace(overall=None)
    assert _burst(FloodState(no_overall, 0.5), Target(-1, "group"), 0.0) == 19
    assert _burst(FloodState(DEFAULT_LIMITS, 60.0), Target(1, "private"), 0.0) == 1  # never 0


def test_holds_after_a_429():
    state = FloodState(DEFAULT_LIMITS)
    state.hold(5, 10.0)
    assert state.delay(Target(5, "private"), 4.0) == pytest.approx(6.0)
    assert state.acquire(Target(5, "private"), 4.0) == pytest.approx(6.0)  # not taken
    assert state.delay(Target(6, "private"), 4.0) == 0
    assert state.acquire(Target(5, "private"), 10.0) == 0
    state.hold(None, 20.0)  # everything
    assert state.delay(Target(6, "private"), 15.0) == pytest.approx(5.0)
    assert state.delay(None, 15.0) == pytest.approx(5.0)
    assert state.holding
    state.sweep(21.0)
    assert not state.holding


def test_chat_buckets_are_forgotten_once_full_again():
    class Sweeping(FloodState):
        SWEEP_EVERY = 100

    state = Sweeping(DEFAULT_LIMITS)
    for i in range(250):
        state.take(Target(i + 1, "private"), i * 0.1)
    # at 25 s only the buckets of the last ~1 s of chats are not full again
    assert len(state) <= 100
    state.sweep(1000.0)
    assert len(state) == 0


def test_a_client_with_headroom_never_overruns_the_server_despite_jitter():
    """Calls released by a client's buckets and delayed by up to ``headroom`` on the way
    (in any order) always fit the server's buckets of the same limits."""
    rng = random.Random(1234)
    headroom = 0.5
    chats = [Target(i, "private") for i in range(1, 20)] + [Target(-i, "group") for i in range(1, 4)]
    for _ in range(20):
        client = FloodState(DEFAULT_LIMITS, headroom)
        now, arrivals = 0.0, []
        for _ in range(400):
            target = rng.choice(chats)
            now += client.delay(target, now) + rng.choice([0.0, 0.0, 0.01, 0.2])
            assert client.acquire(target, now) == 0
            arrivals.append((now + rng.uniform(0, headroom), target))
        server = FloodState(DEFAULT_LIMITS)
        for arrival, target in sorted(arrivals, key=lambda a: a[0]):
            assert server.acquire(target, arrival) == 0, (arrival, target)

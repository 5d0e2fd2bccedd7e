"""The storage records and rules of telegrambot.core, without any store: the JSON rule,
state keys, checking a commit, repeat arithmetic, part counting, group-commit batches."""

import collections
import datetime
import math

import pytest

from telegrambot.core.groupcommit import CommitQueue
from telegrambot.core.records import (
    MAX_DEPTH,
    Changes,
    EventRecord,
    KVWrite,
    PartCounter,
    StateConflict,
    StateWrite,
    StorageError,
    UnstorableValue,
    check_json,
    dump_json,
    encode_changes,
    group_applied,
    next_due,
    parse_state_key,
    state_key,
)
from telegrambot.exception import TelegramBotException

# ------------------------------------------------------------------ the JSON rule


@pytest.mark.parametrize("value", [
    {}, {"a": 1}, {"n": None, "t": True, "f": 1.5, "s": "x", "l": [1, [2, {"x": ()}]]},
    [], (1, 2), "text", 0, -3, 2.5, False, None, {"ü": "\ud800"},
    collections.OrderedDict(a=1), {"deep": [[[[1]]]]},
])
def test_json_values_pass(value):
    check_json(value, "v")
    assert isinstance(dump_json(value, "v"), str)


@pytest.mark.parametrize("value, where, why", [
    ({"when": datetime.date(2024, 1, 1)}, "['when']", "a value of type date is not JSON"),
    ({"cart": [1, {"x": {1, 2}}]}, "['cart'][1]['x']", "a value of type set is not JSON"),
    ({"a": {1: "x"}}, "['a']", "the key 1 (int) is not a str"),
    ({"a": [float("nan")]}, "['a'][0]", "nan is not a JSON number"),
    ({"a": math.inf}, "['a']", "inf is not a JSON number"),
    ({"b": b"bytes"}, "['b']", "a value of type bytes is not JSON"),
    ({(1, 2): 3}, "", "the key (1, 2) (tuple) is not a str"),
])
def test_json_refusals_name_the_path_and_the_reason(value, where, why):
    with pytest.raises(UnstorableValue) as info:
        check_json(value, "state 'chat:1' data")
    message = str(info.value)
    assert message.startswith("state 'chat:1' data" + where + ": "), message
    assert why in message
    assert isinstance(info.value, TypeError) and isinstance(info.value, TelegramBotException)


def test_json_refuses_a_value_that_contains_itself_and_too_deep_nesting():
    looped = {"a": []}
    looped["a"].append(looped)
    with pytest.raises(UnstorableValue, match="nested deeper than"):
        check_json(looped, "v")
    deep = current = {}
    for _ in range(MAX_DEPTH + 1):
        current["x"] = {}
        current = current["x"]
    with pytest.raises(UnstorableValue, match="nested deeper than"):
        check_json(deep, "v")
    ok = current = {}
    for _ in range(MAX_DEPTH - 1):
        current["x"] = {}
        current = current["x"]
    check_json(ok, "v")


# ------------------------------------------------------------------ keys


@pytest.mark.parametrize("seed, key", [
    (42, "chat:42"),
    (-1001234, "chat:-1001234"),
    ("42", 'chat:"42"'),
    ((42,), "chat:[42]"),
    ((-100, 17), "chat:[-100,17]"),
    (("AgAAABC",), 'chat:["AgAAABC"]'),
    (("a", (1, None)), 'chat:["a",[1,null]]'),
])
def test_state_keys_are_readable_distinct_and_parse_back(seed, key):
    assert state_key("chat", seed) == key
    assert parse_state_key(key) == ("chat", seed)


def test_state_keys_of_equal_seeds_in_two_scopes_differ():
    assert state_key("chat", 42) != state_key("user", 42)
    assert state_key("", 1) == ":1"


@pytest.mark.parametrize("seed", [[1], 1.5, True, None, {"a": 1}, b"x", (1, [2])])
def test_seeds_that_cannot_name_a_state_are_refused(seed):
    with pytest.raises(UnstorableValue, match="can't name a stored state"):
        state_key("chat", seed)


def test_a_scope_with_a_colon_is_refused():
    with pytest.raises(UnstorableValue, match="without ':'"):
        state_key("a:b", 1)
    with pytest.raises(ValueError):
        parse_state_key("nocolon")


# ------------------------------------------------------------------ checking a commit


def test_encode_turns_values_into_json_text_and_sums_a_size():
    enc = encode_changes(Changes(
        accept=[{"update_id": 7, "message": {"text": "hi"}}],
        states=[StateWrite("chat:1", {"n": (1, 2)}, 3, 7)],
        done=[5],
        events=[EventRecord("e", 10, {"x": 1}, 60)],
        cancel=["old"],
        kv=[KVWrite("cb", "k", [1], 10), KVWrite("cb", "gone", None)],
    ))
    assert enc.accept == [(7, {"update_id": 7, "message": {"text": "hi"}}, '{"update_id":7,"message":{"text":"hi"}}')]
    assert enc.states == [("chat:1", '{"n":[1,2]}', 3, 7)]
    assert enc.done == [5] and enc.cancel == ["old"]
    assert enc.events == [("e", 10.0, '{"x":1}', 60.0)]
    assert enc.kv == [("cb", "k", "[1]", 10), ("cb", "gone", None, None)]
    assert enc.size > 40 and enc
    assert not encode_changes(Changes())
    assert encode_changes(Changes(accept=[{"update_id": 1}]), update_text=False).accept == [(1, {"update_id": 1}, None)]


@pytest.mark.parametrize("changes, error, words", [
    ({"states": [StateWrite("chat:1", {"a": object()})]}, UnstorableValue, "state 'chat:1' data['a']: a value of type object"),
    ({"states": [StateWrite("chat:1", [1])]}, UnstorableValue, "must be a dict"),
    ({"states": [StateWrite("k", {}), StateWrite("k", {})]}, UnstorableValue, "saved twice"),
    ({"states": [StateWrite("", {})]}, UnstorableValue, "non-empty str"),
    ({"states": [StateWrite("k", {}, -1)]}, ValueError, "version must be at least 0"),
    ({"states": [StateWrite("k", {}, 1.0)]}, UnstorableValue, "version must be an int"),
    ({"states": [("k", {})]}, UnstorableValue, "StateWrite"),
    ({"accept": [{"message": {}}]}, UnstorableValue, "int update_id"),
    ({"accept": [{"update_id": True}]}, UnstorableValue, "int update_id"),
    ({"accept": {"update_id": 1}}, UnstorableValue, "list or tuple"),
    ({"accept": [{"update_id": 1, "x": {2}}]}, UnstorableValue, "update 1['x']"),
    ({"done": ["1"]}, UnstorableValue, "done update_id must be an int"),
    ({"events": [EventRecord("e", "soon", {})]}, UnstorableValue, "due must be a number"),
    ({"events": [EventRecord("e", math.nan, {})]}, ValueError, "finite"),
    ({"events": [EventRecord("e", 1, {}, 0)]}, ValueError, "above 0"),
    ({"events": [EventRecord("e", 1, {1: 2})]}, UnstorableValue, "event 'e' data"),
    ({"cancel": "e1"}, UnstorableValue, "list or tuple"),
    ({"kv": [KVWrite("ns", "k", {"x": datetime.time()})]}, UnstorableValue, "value 'ns'/'k'['x']"),
    ({"kv": [KVWrite("ns", "k", 1, 0)]}, ValueError, "maxsize must be at least 1"),
    ({"kv": [KVWrite("", "k", 1)]}, UnstorableValue, "namespace"),
])
def test_encode_refuses_what_cannot_be_stored(changes, error, words):
    with pytest.raises(error) as info:
        encode_changes(Changes(**changes))
    assert words in str(info.value)


def test_encode_takes_only_changes():
    with pytest.raises(UnstorableValue, match=r"Changes\(\.\.\.\)"):
        encode_changes({"done": [1]})  # type: ignore[arg-type]


def test_errors_say_what_happened():
    conflict = StateConflict("chat:1", 3, 5)
    assert (conflict.key, conflict.expected, conflict.found) == ("chat:1", 3, 5)
    assert "holds version 5" in str(conflict) and isinstance(conflict, StorageError)


# ------------------------------------------------------------------ repeats


@pytest.mark.parametrize("due, every, now, expected", [
    (100.0, 10.0, 100.0, (110.0, 0)),    # fires on time: next one interval later
    (100.0, 10.0, 105.0, (110.0, 0)),    # a little late
    (100.0, 10.0, 110.0, (120.0, 1)),    # exactly one interval late: the 110 one is missed
    (100.0, 10.0, 135.0, (140.0, 3)),    # down for a while: 110, 120, 130 missed
    (100.0, 60.0, 100.0 + 86400, (100.0 + 86460, 1440)),  # a day down, minutely: fires once
    (100.0, 0.1, 100.35, (100.4, 3)),
])
def test_next_due_skips_missed_repeats(due, every, now, expected):
    nxt, missed = next_due(due, every, now)
    assert nxt == pytest.approx(expected[0]) and missed == expected[1]
    assert nxt > now


def test_next_due_refuses_a_bad_interval():
    with pytest.raises(ValueError):
        next_due(1.0, 0.0, 2.0)


# ------------------------------------------------------------------ parts


def test_part_counter_says_which_part_is_last():
    parts = PartCounter()
    parts.begin(7)
    parts.add(7, 2)
    assert 7 in parts and len(parts) == 1
    assert parts.finish(7) is False  # the dispatcher's own part
    assert parts.finish(7) is False
    assert parts.finish(7) is True
    assert 7 not in parts and len(parts) == 0
    with pytest.raises(KeyError):
        parts.add(8)
    with pytest.raises(KeyError):
        parts.finish(8)


def test_applied_marks_group_by_update():
    assert group_applied([(1, "a"), (2, "b"), (1, "c")]) == {1: frozenset({"a", "c"}), 2: frozenset({"b"})}


# ------------------------------------------------------------------ group commit


def test_commit_queue_gives_everything_waiting_in_order():
    queue = CommitQueue()
    for n in range(5):
        queue.put(n, 10)
    assert len(queue) == 5 and queue.nbytes == 50
    assert queue.take() == [0, 1, 2, 3, 4]
    assert len(queue) == 0 and queue.nbytes == 0
    assert queue.take() == []


def test_commit_queue_splits_at_the_unit_and_byte_limits():
    queue = CommitQueue(max_units=3, max_bytes=100)
    for n in range(7):
        queue.put(n, 10)
    assert queue.take() == [0, 1, 2]
    assert queue.take() == [3, 4, 5]
    assert queue.take() == [6]
    queue.put("a", 60)
    queue.put("b", 60)
    queue.put("c", 500)
    queue.put("d", 1)
    assert queue.take() == ["a"]
    assert queue.take() == ["b"]
    assert queue.take() == ["c"]  # larger than the limit alone: taken alone
    assert queue.take() == ["d"]
    assert queue.nbytes == 0
    with pytest.raises(ValueError):
        CommitQueue(0)

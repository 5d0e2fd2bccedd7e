"""The I/O-free decisions of a bot with a store: part counting by object, what is
handed over after a restart, restored events' due times and the late flag, repeating
events in the heap."""

import pytest

from telegrambot.core.durable import (
    Finished,
    Tracker,
    mark_late,
    persistable_event,
    replay_order,
    restored_due,
)
from telegrambot.core.events import EventHeap
from telegrambot.core.records import EventRecord, InboxEntry


def test_the_last_part_to_finish_says_so():
    tracker = Tracker()
    msg = {"text": "hi"}
    tracker.begin(msg, 7, skip=["chat:1"])
    assert tracker.add(msg) and tracker.add(msg)
    assert tracker.skips(msg, "chat:1") and not tracker.skips(msg, "user:1")
    assert tracker.update_id(msg) == 7
    assert tracker.finish(msg) == Finished(7, None, False)
    assert tracker.finish(msg) == Finished(7, None, False)
    assert tracker.finish(msg) == Finished(7, None, True)
    assert msg not in tracker and len(tracker) == 0
    assert tracker.finish(msg) is None  # no longer tracked


def test_objects_are_told_apart_by_identity_not_equality():
    tracker = Tracker()
    one, two = {"text": "same"}, {"text": "same"}
    tracker.begin(one, 1)
    assert not tracker.add(two)
    assert tracker.finish(two) is None
    assert tracker.update_id(two) is None
    tracker.begin(two, None, "e1")
    assert tracker.finish(two) == Finished(None, "e1", True)
    assert tracker.finish(one) == Finished(1, None, True)


def test_replay_order_keeps_arrival_order_once():
    a = InboxEntry(3, {"update_id": 3}, frozenset())
    b = InboxEntry(1, {"update_id": 1}, frozenset({"chat:1"}))
    assert replay_order([a, b, a]) == [a, b]


def test_which_events_are_kept():
    assert persistable_event({"_alarm": {"n": 1}})
    assert not persistable_event({"_idle": {"seconds": 3}})
    assert not persistable_event(lambda: None)
    assert not persistable_event("text")


@pytest.mark.parametrize("due, every, expected", [
    (1010.0, None, (10.0, False, None)),       # in the future
    (999.5, None, (0.0, False, None)),         # just due: not late
    (900.0, None, (0.0, True, None)),          # passed while the process was down
    (900.0, 60.0, (0.0, True, 1020.0)),        # repeating: once now, then its rhythm
])
def test_restored_due(due, every, expected):
    assert restored_due(EventRecord("e", due, {}, every), 1000.0) == expected


def test_mark_late_flags_a_copy():
    data = {"_alarm": {"n": 1}}
    assert mark_late(data) == {"_alarm": {"n": 1, "late": True}}
    assert data == {"_alarm": {"n": 1}}
    assert mark_late(["x"]) == ["x"]
    assert mark_late({"_alarm": 3}) == {"_alarm": 3}


def test_heap_repeats_an_every_event_and_skips_missed_repeats():
    heap = EventHeap()
    event = heap.every(10, "tick", wall=5000.0, mono=100.0)
    assert heap.pop_due(105.0) == (None, 5.0)
    assert heap.pop_due(110.0) == (event, None)
    assert event.pending and heap.pending() == 1
    assert heap.pop_due(145.0) == (event, None)  # 120, 130, 140 missed: fires once
    assert heap.pop_due(145.0) == (None, 5.0)
    heap.cancel(event)
    assert heap.pop_due(1000.0) == (None, None)
    with pytest.raises(ValueError):
        heap.every(0, "x", 0.0, 0.0)


def test_an_event_made_elsewhere_is_placed_in_the_heap():
    from telegrambot.core.events import Event

    heap = EventHeap()
    later = heap.later(5, "later", wall=0.0, mono=0.0)
    held = Event(1.0, "held")
    heap.place(1.0, held)
    assert heap.pop_due(2.0) == (held, None)
    assert heap.pop_due(2.0) == (None, 3.0) and later.pending

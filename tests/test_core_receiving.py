"""The receiving core with no I/O at all: an update's object (core.flavor.inner), poll state
(core.polling), the event heap (core.events). Times are given, never read."""

import pytest

from telegrambot.core.events import EventHeap, check_seconds
from telegrambot.core.flavor import (
    SAME_SHAPE,
    UPDATE_TYPE_KEY,
    inner,
    plain_flavors,
    update_flavors,
)
from telegrambot.core.polling import (
    BACKOFF_MAX,
    BACKOFF_START,
    PollState,
    Receiving,
    fatal_note,
    fatal_status,
)
from telegrambot.exception import (
    BadHTTPResponse,
    Conflict,
    EventNotFound,
    NotFound,
    ServerError,
    TooManyRequests,
    Unauthorized,
)

# ------------------------------------------------------------------ an update's object


def test_inner_gives_the_flavor_and_the_object_without_copying():
    message = {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}}
    assert inner({"update_id": 1, "message": message}) == ("chat", message)
    assert inner({"update_id": 2, "edited_channel_post": message})[0] == "edited_chat"
    flavor, obj = inner({"update_id": 3, "callback_query": message})
    assert flavor == "callback_query" and obj is message and UPDATE_TYPE_KEY not in message


def test_inner_tags_what_the_shape_cannot_tell():
    member = {"chat": {"id": 1}, "from": {"id": 2}, "date": 0,
              "old_chat_member": {}, "new_chat_member": {}}
    assert inner({"update_id": 1, "my_chat_member": member}) == ("my_chat_member", member)
    assert member[UPDATE_TYPE_KEY] == "my_chat_member"
    future = {"x": 1}
    assert inner({"update_id": 2, "future_update": future}) == ("future_update", future)
    assert future[UPDATE_TYPE_KEY] == "future_update"
    assert inner({"update_id": 3, "future_update": [1, 2]}) == ("future_update", [1, 2])
    assert inner({"update_id": 4}) == (None, None)
    # a loop's fast path: the types whose objects stay untagged, with their flavors
    assert plain_flavors == {key: flavor for key, flavor in update_flavors.items()
                             if key not in SAME_SHAPE}
    assert plain_flavors["business_message"] == "chat" and "chat_member" not in plain_flavors


# ------------------------------------------------------------------ polling


def test_the_offset_moves_past_an_update_only_once_it_was_handed_over():
    poll = PollState()
    assert poll.offset is None and not poll.unconfirmed()
    poll.polled()
    assert poll.arrived({"update_id": 10, "message": {}}) == (10, None)
    assert poll.offset is None  # not handed over yet
    poll.handed_over(10)
    assert poll.offset == 11 and poll.unconfirmed()
    poll.polled()  # the next getUpdates carried offset 11
    assert not poll.unconfirmed()


def test_an_update_without_id_is_skipped_and_a_smaller_id_followed():
    poll = PollState(100)
    update_id, note = poll.arrived({"message": {}})
    assert update_id is None and note.level == "error" and "without update_id" in note.text
    update_id, note = poll.arrived({"update_id": "7"})
    assert update_id == 7 and note.level == "warning"
    assert note.text % note.args == ("update_id went back from 99 to 7: following the "
                                     "server's new numbering")
    poll.handed_over(7)
    assert poll.offset == 8


def test_the_delay_after_faults_doubles_up_to_the_bound_and_resets():
    poll = PollState(5)
    delays = [poll.failed(OSError("down")).delay for _ in range(12)]
    assert delays[:3] == [BACKOFF_START, BACKOFF_START * 2, BACKOFF_START * 4]
    assert delays[-1] == BACKOFF_MAX and max(delays) == BACKOFF_MAX
    poll.polled()
    assert poll.failures == 0 and poll.failed(OSError("down")).delay == BACKOFF_START


def test_what_a_fault_says_and_what_ends_polling():
    poll = PollState()
    flood = TooManyRequests("Too Many Requests: retry after 7", 429,
                            {"parameters": {"retry_after": 7}})
    fault = poll.failed(flood)
    assert fault.delay == 7.0 and fault.note.level == "warning"
    fault = poll.failed(Conflict("Conflict: terminated by other getUpdates request", 409))
    assert fault.note.level == "error" and "deleteWebhook" in fault.note.text
    assert poll.failed(ValueError("not JSON")).note.level == "exception"
    assert poll.failed(ServerError("Internal Server Error", 500)).note.level == "warning"
    for error in (Unauthorized("Unauthorized", 401), NotFound("Not Found", 404),
                  BadHTTPResponse(404, "<html>")):
        assert poll.failed(error) is None
    assert fatal_status(BadHTTPResponse(502, "<html>")) is None
    assert fatal_status(Unauthorized("Unauthorized", 401)) == 401
    note = fatal_note(NotFound("Not Found", 404), "https://example.org/bot<token>")
    assert "check api_url (https://example.org/bot<token>)" in note.text % note.args
    assert "token" in fatal_note(Unauthorized("Unauthorized", 401), "u").text


def test_a_note_logs_on_the_logger_it_is_given():
    lines = []

    class Logger:
        def warning(self, text, *args, stacklevel=1):
            assert stacklevel == 2  # the record points at the runtime's line, not at Note.log
            lines.append(text % args)

    PollState(3).confirm_failed(OSError("reset")).log(Logger())
    assert lines == ["could not confirm handled updates up to 3 (reset): this bot's next "
                     "polling loop starts after them; another process polling with the "
                     "token may get them again"]


def test_receiving_state_holds_the_runtimes_lock():
    lock = object()
    state = Receiving(lock)
    assert state.lock is lock and state.loops == [] and state.offset is None
    assert Receiving(lock).loops is not state.loops


# ------------------------------------------------------------------ the event heap


def test_events_come_due_in_order_and_never_early():
    heap = EventHeap()
    late = heap.later(2.0, "late", wall=1000.0, mono=10.0)
    first = heap.later(1.0, "first", wall=1000.0, mono=10.0)
    second = heap.later(1.0, "second", wall=1000.0, mono=10.0)  # same time: in order given
    assert heap.first(first) and not heap.first(late)
    assert heap.pop_due(10.5) == (None, pytest.approx(0.5))
    assert heap.pop_due(11.0) == (first, None) and not first.pending
    assert heap.pop_due(11.0) == (second, None)
    assert heap.pop_due(11.0) == (None, pytest.approx(1.0))
    assert heap.pop_due(12.0) == (late, None) and heap.pop_due(99.0) == (None, None)
    assert first.timestamp == 1001.0


def test_a_wall_clock_time_becomes_a_monotonic_deadline():
    heap = EventHeap()
    event = heap.at(1005.0, "x", wall=1000.0, mono=50.0)
    assert heap.pop_due(54.9)[0] is None and heap.pop_due(55.0)[0] is event
    # equal wall clock times keep their order although the clocks drift a little apart
    a = heap.at(2000.0, "a", wall=1000.0, mono=60.0)
    b = heap.at(2000.0, "b", wall=1000.0005, mono=60.0)
    assert heap.pop_due(2000.0)[0] is a and heap.pop_due(2000.0)[0] is b
    # once the wall clock has stepped, the new offset counts
    stepped = heap.at(1100.0, "s", wall=1090.0, mono=70.0)
    assert heap.pop_due(79.9)[0] is None and heap.pop_due(80.0)[0] is stepped
    assert heap.now("n", wall=0.0, mono=1.0) is heap.pop_due(1.0)[0]


def test_cancelling_marks_and_compacts():
    heap = EventHeap()
    events = [heap.later(float(i), i, wall=0.0, mono=0.0) for i in range(3000)]
    heap.cancel(events[0])
    with pytest.raises(EventNotFound):
        heap.cancel(events[0])
    assert heap.pending() == 2999 and len(heap) == 3000  # only marked
    assert heap.pop_due(0.5) == (None, pytest.approx(0.5))  # the cancelled one is dropped
    assert len(heap) == 2999
    for event in events[1:2000]:
        heap.cancel(event)
    assert heap.pending() == 1000 and len(heap) < 2000  # compacted on the way
    fired, _ = heap.pop_due(5000.0)
    assert fired is events[2000]
    with pytest.raises(EventNotFound):
        heap.cancel(fired)


@pytest.mark.parametrize("value, error", [("1", TypeError), (True, TypeError),
                                          (float("nan"), ValueError)])
def test_a_time_must_be_a_number(value, error):
    with pytest.raises(error):
        check_seconds("delay", value)
    with pytest.raises(error):
        EventHeap().later(value, "x", wall=0.0, mono=0.0)
    check_seconds("delay", float("inf"))  # never: allowed


def test_an_ordering_verdict_says_what_to_log():
    from telegrambot.core.ordering import HELD, IN_ORDER, LATE, REPEAT, Reorderer, verdict_note

    reorderer = Reorderer(maxhold=3)
    assert reorderer.push(10, "u10", 0.0) == IN_ORDER and verdict_note(IN_ORDER, 10, 11) is None
    assert reorderer.push(12, "u12", 0.0) == HELD and verdict_note(HELD, 12, 11) is None
    assert reorderer.expire(5.0) and reorderer.take() == ["u12"]  # 11 given up on
    assert reorderer.push(11, "u11", 6.0) == LATE
    note = verdict_note(LATE, 11, reorderer.expected)
    assert note.level == "warning" and note.text % note.args == (
        "update 11 came late (update_ids up to 12 were handed over): handed over now, out of "
        "order")
    assert reorderer.push(11, "u11", 7.0) == REPEAT
    assert "dropped" in verdict_note(REPEAT, 11, reorderer.expected).text

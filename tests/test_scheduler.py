"""The event scheduler: order, never early, cancel, many pending, stop."""

import logging
import queue
import random
import threading
import time

import pytest

from telegrambot.exception import EventNotFound
from telegrambot.scheduler import Scheduler


@pytest.fixture
def sched():
    s = Scheduler()
    fired = queue.Queue()
    s.on_event(lambda data: fired.put((time.time(), data)))
    s.fired = fired
    s.run_as_thread()
    yield s
    s.stop()
    assert not s.is_alive()


def take(s, n, timeout=3.0):
    return [s.fired.get(timeout=timeout) for _ in range(n)]


def schedule_paused(s, fn):
    """Run ``fn`` with the thread stopped, so that nothing fires before all is scheduled."""
    s.stop()
    try:
        return fn()
    finally:
        s.run_as_thread()


def test_thread_is_named_and_daemon(sched):
    names = {t.name: t for t in threading.enumerate()}
    assert names["telegrambot-scheduler"].daemon


def test_events_fire_in_time_order_and_never_early(sched):
    now = time.time()
    offsets = [0.02 * i for i in range(1, 11)]
    random.shuffle(offsets)
    events = schedule_paused(
        sched, lambda: [sched.event_at(now + off, {"_alarm": {"at": off}}) for off in offsets]
    )
    got = take(sched, len(events))
    assert [data["_alarm"]["at"] for _, data in got] == sorted(offsets)
    for fired_at, data in got:
        assert fired_at >= now + data["_alarm"]["at"]
    assert all(not e.pending for e in events)


def test_equal_times_keep_insertion_order(sched):
    when = time.time() + 0.05
    for i in range(20):
        sched.event_at(when, {"_n": i})
    assert [d["_n"] for _, d in take(sched, 20)] == list(range(20))


def test_an_earlier_event_wakes_the_waiting_thread(sched):
    sched.event_later(30, {"_late": {}})
    start = time.time()
    sched.event_later(0.05, {"_soon": {}})
    fired_at, data = sched.fired.get(timeout=5)  # (the late one is due in 30 s)
    assert data == {"_soon": {}}
    assert fired_at - start >= 0.05  # precision is measured in benchmarks/


def test_cancel(sched):
    def schedule():
        drop = sched.event_now({"_drop": {}})
        sched.cancel(drop)  # due first: the thread must skip it
        return sched.event_later(0.05, {"_keep": {}}), drop

    keep, drop = schedule_paused(sched, schedule)
    with pytest.raises(EventNotFound) as info:
        sched.cancel(drop)
    assert info.value.event is drop
    assert take(sched, 1)[0][1] == {"_keep": {}}
    with pytest.raises(EventNotFound):
        sched.cancel(keep)  # already fired
    assert sched.fired.empty()


def test_event_now_and_callable_data(sched):
    sched.event_now({"_now": 1})
    sched.event_now(lambda: {"_made": 2})
    sched.event_now(lambda: None)  # produces nothing
    sched.event_later(0.05, {"_last": 3})
    assert [d for _, d in take(sched, 3)] == [{"_now": 1}, {"_made": 2}, {"_last": 3}]


def test_thousands_pending_and_cancelled(sched):
    far = time.time() + 3600
    events = [sched.event_at(far + i, {"_far": i}) for i in range(20000)]
    assert sched.pending() == 20000
    for i, e in enumerate(events):
        if i % 4:
            sched.cancel(e)
    assert sched.pending() == 5000
    assert len(sched._heap) < 15000  # cancelled entries were compacted away
    now = time.time()
    due = [now + random.random() * 0.1 for _ in range(2000)]
    schedule_paused(sched, lambda: [sched.event_at(when, {"_due": when}) for when in due])
    got = take(sched, 2000)
    assert [data["_due"] for _, data in got] == sorted(due)
    assert sched.pending() == 5000


def test_handler_error_is_logged_and_scheduler_goes_on(caplog):
    s = Scheduler()
    seen = queue.Queue()

    def handler(data):
        if data.get("_boom"):
            raise RuntimeError("boom")
        seen.put(data)

    s.on_event(handler)
    s.run_as_thread()
    try:
        with caplog.at_level(logging.ERROR, logger="telegrambot.scheduler"):
            s.event_now({"_boom": 1})
            s.event_later(0.02, {"_ok": 1})
            assert seen.get(timeout=2) == {"_ok": 1}
        assert any(r.exc_info and "boom" in str(r.exc_info[1]) for r in caplog.records)
    finally:
        s.stop()


def test_stop_keeps_pending_events_for_a_restart():
    s = Scheduler()
    seen = queue.Queue()
    s.on_event(seen.put)
    s.run_as_thread()
    thread = s._thread
    s.run_as_thread()  # already running: no second thread
    assert s._thread is thread and thread.is_alive()
    later = s.event_later(60, {"_later": 1})
    start = time.monotonic()
    s.stop()
    assert time.monotonic() - start < 1.0
    assert not s.is_alive()
    assert s.pending() == 1
    s.event_now({"_while_stopped": 1})
    s.run_as_thread()
    try:
        assert seen.get(timeout=2) == {"_while_stopped": 1}
        assert later.pending
        s.cancel(later)  # still in the heap
        assert s.pending() == 0
    finally:
        s.stop()


def test_an_event_beyond_what_a_lock_can_wait_for_does_not_kill_the_thread(sched):
    def schedule():
        sched.event_later(1e12, {"_far": 1})
        sched.event_at(float("inf"), {"_never": 1})

    schedule_paused(sched, schedule)  # the thread starts by waiting for the far one
    sched.event_later(0.05, {"_soon": 1})
    assert take(sched, 1)[0][1] == {"_soon": 1}
    sched.event_now({"_again": 1})
    assert take(sched, 1)[0][1] == {"_again": 1}
    assert sched.is_alive() and sched.pending() == 2


@pytest.mark.parametrize(
    "when, error", [(None, TypeError), ("5", TypeError), (float("nan"), ValueError)]
)
def test_a_time_that_is_not_a_number_is_refused(sched, when, error):
    with pytest.raises(error):
        sched.event_at(when, {"_bad": 1})
    sched.event_now({"_ok": 1})
    assert take(sched, 1)[0][1] == {"_ok": 1}
    assert sched.pending() == 0


class SteppedClock:
    """time.time() with a step added, as when NTP or a person sets the wall clock."""

    def __init__(self, monkeypatch):
        self.real = time.time
        self.step = 0.0
        monkeypatch.setattr(time, "time", lambda: self.real() + self.step)


def test_a_wall_clock_step_forward_fires_nothing_early(sched, monkeypatch):
    """Issue 11, item 12: delays are measured on the monotonic clock."""
    clock = SteppedClock(monkeypatch)
    sched.event_later(60, {"_idle": {}})  # an idle timeout, a minute away
    clock.step = 3600.0  # the wall clock jumps an hour ahead
    sched.event_later(0.2, {"_after_step": {}})
    _, data = sched.fired.get(timeout=5)
    assert data == {"_after_step": {}}  # the idle timeout did not fire first
    assert sched.pending() == 1


def test_a_wall_clock_step_back_holds_nothing_up(sched, monkeypatch):
    clock = SteppedClock(monkeypatch)
    start = time.monotonic()
    sched.event_later(0.1, {"_soon": {}})
    sched.event_at(time.time() + 0.2, {"_at": {}})  # a wall clock time: 0.2 s from now
    clock.step = -3600.0  # the wall clock goes back an hour
    assert [data for _, data in take(sched, 2)] == [{"_soon": {}}, {"_at": {}}]
    assert 0.2 <= time.monotonic() - start < 3.0

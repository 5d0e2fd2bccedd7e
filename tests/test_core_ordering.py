"""The reordering state machine on its own: no thread, no clock, no I/O."""

import random

import pytest

from telegrambot.core.ordering import (
    FORGOTTEN,
    HELD,
    IN_ORDER,
    LATE,
    READY,
    RENUMBERED,
    REPEAT,
    Reorderer,
    id_ranges,
)


class Driver:
    """Drives a Reorderer the way a loop does; records what is handed over."""

    def __init__(self, maxhold=1.0, **kwargs):
        self.r = Reorderer(maxhold, **kwargs)
        self.out = []
        self.verdicts = []

    def push(self, update_id, now=0.0):
        verdict = self.r.push(update_id, update_id, now)
        self.verdicts.append(verdict)
        if verdict == IN_ORDER:
            self.out.append(update_id)
        else:
            self.out.extend(self.r.take())
        return verdict

    def expire(self, now):
        self.r.expire(now)
        self.out.extend(self.r.take())


def test_in_order_updates_are_handed_over_at_once():
    d = Driver()
    assert [d.push(i) for i in (5, 6, 7)] == [IN_ORDER] * 3
    assert d.out == [5, 6, 7]
    assert d.r.deadline() is None


def test_early_updates_wait_for_the_gap_and_follow_it():
    d = Driver()
    d.push(1)
    assert d.push(4) == HELD and d.push(3) == HELD
    assert d.out == [1]
    assert d.push(2) == READY
    assert d.out == [1, 2, 3, 4]


def test_held_update_is_released_when_maxhold_runs_out():
    d = Driver(maxhold=3.0)
    d.push(1, now=10.0)
    d.push(4, now=11.0)
    d.push(6, now=12.0)
    assert d.r.deadline() == 14.0
    d.expire(13.9)
    assert d.out == [1]
    d.expire(14.0)  # 4 waited long enough: 2 and 3 are given up on; 6 still waits for 5
    assert d.out == [1, 4]
    assert d.r.deadline() == 15.0
    d.expire(15.0)
    assert d.out == [1, 4, 6]
    assert d.r.deadline() is None


def test_late_update_is_handed_over_and_only_true_repeats_are_dropped():
    d = Driver(maxhold=1.0)
    d.push(1, now=0.0)
    d.push(3, now=0.0)
    d.expire(1.0)  # 2 given up on
    assert d.out == [1, 3]
    assert d.push(2, now=1.5) == LATE
    assert d.out == [1, 3, 2]
    for repeat in (1, 2, 3):
        assert d.push(repeat, now=1.6) == REPEAT
    assert d.push(4, now=1.7) == IN_ORDER
    assert d.out == [1, 3, 2, 4]


def test_a_held_update_arriving_again_is_a_repeat():
    d = Driver()
    d.push(1)
    assert d.push(3) == HELD
    assert d.push(3) == REPEAT
    d.push(2)
    assert d.out == [1, 2, 3]


def test_updates_below_the_first_one_were_never_handed_over():
    d = Driver()
    d.push(10)  # concurrent deliveries: the first to arrive need not be the smallest
    assert d.push(8) == LATE
    assert d.push(9) == LATE
    assert d.push(8) == REPEAT and d.push(9) == REPEAT and d.push(10) == REPEAT
    assert d.out == [10, 8, 9]


def test_many_gaps_and_late_arrivals_in_any_order_hand_everything_over_once():
    rng = random.Random(11)
    d = Driver(maxhold=0.0)
    ids = list(range(1, 3001))
    rng.shuffle(ids)
    sent = ids + rng.sample(ids, 500)  # and 500 repeats
    for n, update_id in enumerate(sent):
        d.push(update_id, now=float(n))
        d.expire(float(n))
    d.out.extend(d.r.flush())
    assert sorted(d.out) == list(range(1, 3001))
    assert d.verdicts.count(REPEAT) == 500


def test_memory_is_bounded_and_older_ids_are_reported_not_handed_over():
    d = Driver(maxhold=0.0, memory=4)
    for update_id in range(0, 40, 2):  # every odd id missing: a gap after each
        d.push(update_id)
        d.expire(0.0)
    assert len(d.r._starts) <= 4  # runs kept, whatever the number of gaps
    assert d.push(1) == FORGOTTEN  # long forgotten: can't tell late from repeat
    assert d.push(37) == LATE  # recent gaps are still known
    assert d.push(36) == REPEAT


def test_a_smaller_id_after_a_long_quiet_is_a_new_numbering():
    d = Driver(maxhold=5.0, renumber_idle=100.0)
    d.push(500, now=0.0)
    d.push(502, now=1.0)  # held
    assert d.push(7, now=200.0) == RENUMBERED
    assert d.out == [500, 502, 7]
    assert d.push(8, now=200.1) == IN_ORDER
    assert d.push(5, now=200.2) == LATE  # below the new numbering's first id
    assert d.push(500, now=200.3) == HELD  # the old numbering is forgotten


def test_flush_hands_over_everything_held_in_order():
    d = Driver(maxhold=60.0)
    d.push(1)
    for update_id in (9, 5, 7):
        d.push(update_id)
    assert d.r.flush() == [5, 7, 9]
    assert d.push(6) == LATE and d.push(8) == LATE
    assert d.push(7) == REPEAT


def test_bad_parameters():
    with pytest.raises(ValueError):
        Reorderer(-1)
    with pytest.raises(ValueError):
        Reorderer(1, memory=0)


def test_id_ranges():
    assert id_ranges([5, 1, 2, 3, 7, 9, 10]) == "1-3, 5, 7, 9-10"
    assert id_ranges([]) == "(none)"
    assert id_ranges([4, None]) == "4 and 1 without an update_id"
    assert id_ranges(range(0, 10, 2), limit=2) == "0, 2, ... (3 more ranges)"

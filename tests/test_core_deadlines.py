"""The idle deadlines of many delegates (core.deadlines): no clock, no task, no I/O."""

import pytest

from telegrambot.core.deadlines import Deadlines


def test_deadlines_are_kept_lazily_and_a_touched_watch_lives_on():
    deadlines = Deadlines()
    a, first = deadlines.watch("a", 10, now=0)
    b, earliest = deadlines.watch("b", 5, now=1)
    assert first and earliest  # b's deadline (6) is before a's (10)
    assert deadlines.due(5.9) == ([], 6)
    a.touch(8)  # a message at 8: a's deadline moves to 18, with no heap work now
    idle, following = deadlines.due(12)
    assert idle == [b] and following == 18  # a's entry came up at 10 and was pushed again
    assert deadlines.due(17.5) == ([], 18)
    deadlines.cancel(a)
    assert deadlines.due(100) == ([], None) and len(deadlines) == 0
    with pytest.raises(ValueError):
        deadlines.watch("c", 0, now=0)


def test_many_watches_come_due_in_deadline_order_and_cancelled_ones_never():
    deadlines = Deadlines()
    watches = [deadlines.watch(n, timeout=n + 1, now=0)[0] for n in range(10)]
    deadlines.cancel(watches[3])
    idle, following = deadlines.due(5)
    assert [w.owner for w in idle] == [0, 1, 2, 4] and following == 6
    idle[0].touch(5.2)  # its delegate had a message after all: watched again from then
    deadlines.arm(idle[0])
    assert deadlines.due(5.5) == ([], 6)
    idle, following = deadlines.due(6.2)
    assert [w.owner for w in idle] == [5, 0] and following == 7

"""The delegation core with no thread at all: the capture index, the delegate table, callback
query origins, the flavor table's hooks. The table is driven here by the smallest runtime
there is: a hub of lists and delegates that are plain objects."""

import pytest

from telegrambot.core.capture import (
    Capture,
    CaptureIndex,
    CapturingListener,
    chat_patterns,
    event_pattern,
    origin_pattern,
)
from telegrambot.core.delegation import SWEEP_MIN, DelegateTable, is_idle_event
from telegrambot.core.origins import (
    as_origin,
    chosen_inline_origin,
    delete_ends_origin,
    edit_keeps_buttons,
    sent_origin,
)
from telegrambot.core.routing import FlavorTable, Router, flavor_or_none
from telegrambot.core.seeding import per_chat_id, per_message


def text(chat_id, words="hi"):
    return {"message_id": 1, "date": 0, "text": words, "chat": {"id": chat_id, "type": "private"}}


class ListHub(CaptureIndex):
    """A hub whose listeners' queues are lists."""

    def __init__(self):
        super().__init__()
        self.failed = []

    def listener(self):
        listener = CapturingListener(self)
        listener.queue = []
        return listener

    def add(self, listener, pattern):
        capture = Capture(listener, pattern)
        listener._captures.append(capture)
        self.index(capture)

    def remove(self, listener, pattern=None):
        for capture in list(listener._captures):
            if pattern is None or capture.pattern == pattern:
                self.unindex(capture)
                listener._captures.remove(capture)

    def deliver(self, msg):
        for listener in self.matching(msg):
            self.put(listener, msg)

    def put(self, listener, msg):
        listener.queue.append(msg)

    def close(self, listener):
        self.remove(listener)
        listener.closed = True
        left, listener.queue = listener.queue, []
        return left

    def template_failed(self, msg):
        self.failed.append(msg)


class Runner:
    """A delegate: listens to its chat (and to chat 99); ``is_alive`` for the caller's kind."""

    def __init__(self, table, msg, seed, foreign=False):
        self.msg, self.seed, self.alive = msg, seed, True
        self.listener = table.hub.listener()
        table.constructing.listeners.append(self.listener)
        self.listener.capture([{"chat": {"id": seed if not isinstance(seed, list) else 0}}])
        self.listener.capture([{"chat": {"id": 99}}])
        self.foreign = foreign

    def is_alive(self):
        return self.alive


class Table(DelegateTable):
    def __init__(self, patterns, foreign=False, broken=False):
        super().__init__(patterns, ListHub())
        self.launched, self.reports = [], []
        self._foreign, self._broken = foreign, broken

    def _launch(self, delegate, msg):
        runner = Runner(self, msg, delegate.seed, self._foreign)
        if self._broken:
            raise RuntimeError("cannot start")
        delegate.runner = runner
        delegate.own = not self._foreign
        self.launched.append(runner)

    def _failed(self, text, *args):
        self.reports.append(text % args)

    def handle(self, msg):
        self.hub.deliver(msg)
        self.offer(msg)


def test_one_live_delegate_per_hashable_seed_and_one_per_message_for_others():
    table = Table([(per_chat_id(), None), (per_message(flavors=["chat"]), None)])
    table.handle(text(1))
    table.handle(text(1))
    table.handle(text(2))
    table.handle({"_alarm": {}})  # no seed in either pattern
    seeds = [runner.seed for runner in table.launched]
    assert seeds == [1, [], [], 2, []]  # the unhashable seed starts one every time
    assert table.count() == 5 and len(table.patterns[0].registry) == 2
    # the first message started it (as the delegate's first message), the second was queued
    assert table.launched[0].msg == text(1) and table.launched[0].listener.queue == [text(1)]


def test_an_idle_event_or_a_stopping_table_starts_nothing():
    table = Table([(lambda msg: 7, None)])
    table.handle({"_idle": {"seconds": 3}})
    assert is_idle_event({"_idle": {}}) and not is_idle_event({"_idle": {}, "x": 1})
    table.stopping = True
    table.handle(text(7))
    assert table.launched == [] and table.count() == 0
    table.stopping = False
    table.handle(text(7))
    assert [runner.seed for runner in table.launched] == [7]


def test_what_an_ended_delegate_left_goes_to_its_successor():
    table = Table([(per_chat_id(), None)])
    for words in ("first", "a", "b"):
        table.handle(text(1, words))
    table.handle(text(99, "other"))  # captured too, but chat 99's own delegate has it
    first = table.launched[0]
    left = table.retire(table.patterns[0].registry[1])
    assert [m["text"] for m in left] == ["a", "b", "other"]
    assert first.listener.closed and first.listener.list_captures() == []
    successor = table.patterns[0].registry[1]
    assert successor.runner.msg["text"] == "a"  # started for the first leftover
    assert [m["text"] for m in successor.runner.listener.queue] == ["b"]  # the next one queued
    assert [m["text"] for m in table.retire(successor)] == ["b"]
    assert table.patterns[0].registry[1].runner.msg["text"] == "b"
    assert table.retire(successor) == []  # retired once
    assert table.reports == [] and table.count() == 2  # chat 99's and chat 1's third


def test_a_delegate_of_the_callers_kind_is_checked_and_retired_once_ended():
    table = Table([(per_chat_id(), None)], foreign=True)
    table.handle(text(1))
    runner = table.launched[0]
    table.handle(text(1, "queued"))
    runner.alive = False  # it ended on its own, with "queued" still in its listener
    table.handle(text(1, "next"))
    successor = table.launched[1]
    assert successor.msg["text"] == "queued"  # started for what was left
    assert [m["text"] for m in successor.listener.queue] == ["next"]
    assert len(table.launched) == 2 and table.count() == 1
    for chat_id in range(1000, 1000 + SWEEP_MIN - 2):
        table.handle(text(chat_id))
    for other in table.launched[2:]:
        other.alive = False
    assert len(table.foreign) == SWEEP_MIN - 1  # none checked yet
    table.handle(text(5000))  # the start that reaches the threshold checks them all
    assert len(table.foreign) == 2 and table.count() == 2


def test_a_delegate_that_cannot_start_is_reported_and_leaves_nothing_behind():
    table = Table([(per_chat_id(), None)], broken=True)
    table.handle(text(1))
    assert table.reports == ["delegation pattern failed on a message; skipped for this pattern"]
    assert table.count() == 0 and table.patterns[0].registry == {} and table.constructing is None
    assert table.hub.matching(text(1)) == []  # the listener it made was closed


def test_the_capture_index_looks_up_constants_and_scans_the_rest():
    hub = ListHub()
    listeners = {}
    for chat_id in range(100):
        listeners[chat_id] = hub.listener()
        for pattern in chat_patterns(chat_id, include_callback_query=True):
            listeners[chat_id].capture(pattern)
        listeners[chat_id].capture(event_pattern(1, chat_id))
    calls = []
    scanned = hub.listener()
    scanned.capture(lambda msg: calls.append(1) or "text" in msg)
    assert hub.matching(text(42)) == [listeners[42], scanned] and calls == [1]
    query = {"id": "q", "from": {"id": 5}, "chat_instance": "c", "message": text(42)}
    assert hub.matching(query) == [listeners[42]]
    assert hub.matching({"_alarm": {"source": {"space": 1, "id": 42}}}) == [listeners[42]]
    assert hub.matching({"_alarm": {"source": {"space": 2, "id": 42}}}) == []
    broken = hub.listener()
    broken.capture(lambda msg: 1 / 0)
    assert broken not in hub.matching(text(1)) and len(hub.failed) == 1
    hub.close(listeners[42])
    assert hub.matching(text(42)) == [scanned]
    origin = hub.listener()
    origin.capture(origin_pattern(("inline-1",)))
    inline_query = {"id": "q", "from": {"id": 5}, "chat_instance": "c", "inline_message_id": "inline-1"}
    assert hub.matching(inline_query) == [origin]
    origin.cancel_capture(origin_pattern(("inline-1",)))
    assert hub.matching(inline_query) == [] and origin.list_captures() == []
    with pytest.raises(RuntimeError, match="nothing to capture"):
        origin._check_captures()


def test_the_origins_a_call_makes_or_ends():
    buttons = {"reply_markup": {"inline_keyboard": [[{"text": "a", "callback_data": "a"}]]}}
    links = {"reply_markup": {"inline_keyboard": [[{"text": "u", "url": "https://x.org"}]]}}
    assert sent_origin(text(5), buttons, None) == (5, 1)
    assert sent_origin({"message_id": 9}, buttons, 5) == (5, 9)  # a copy's MessageId
    assert sent_origin({"message_id": 9}, buttons, None) is None
    assert sent_origin(text(5), links, None) is None and sent_origin(True, buttons, 5) is None
    assert edit_keeps_buttons(text(5), buttons, chat=True, inline=False) is True
    assert edit_keeps_buttons(text(5), links, chat=True, inline=False) is False
    assert edit_keeps_buttons(True, buttons, chat=True, inline=False) is None  # inline not followed
    assert edit_keeps_buttons(True, {}, chat=False, inline=True) is False
    assert delete_ends_origin(True, chat=True) and not delete_ends_origin(False, chat=True)
    chosen = {"result_id": "r", "inline_message_id": "m"}
    assert chosen_inline_origin(chosen, inline=True) == "m"
    assert chosen_inline_origin(chosen, inline=False) is None
    assert as_origin(text(3)) == (3, 1) and as_origin("m") == ("m",) and as_origin((1, 2)) == (1, 2)
    with pytest.raises(ValueError):
        as_origin((1, 2, 3))


def test_the_flavor_table_calls_its_hooks_for_what_it_ignores():
    ignored = []

    class Table(FlavorTable):
        def unknown(self, msg):
            ignored.append(("unknown", msg))

        def unhandled(self, flavor, names):
            ignored.append((flavor, names))

    class Owner:
        def on_chat_message(self, msg):
            return "chat"

    table = Table(Owner())
    router = Router(flavor_or_none, table)
    assert router.route(text(1)) == "chat"
    assert router.route(dict(text(1), edit_date=1)) == "chat"  # edited: on_chat_message
    assert router.route({"_alarm": {}}) is None
    assert router.route({"no": 1, "shape": 2}) is None
    assert ignored == [("_alarm", ("on__alarm",)), ("unknown", {"no": 1, "shape": 2})]
    table["_alarm"] = lambda msg: "mine"
    assert router.route({"_alarm": {}}) == "mine" and table.custom_keys() == ["_alarm"]

"""The store conformance suite: every engine passes the same tests.

An engine joins by adding a factory to ENGINES: ``factory(tmp_path, **options)`` opens the
store (the same data again when called again on the same ``tmp_path``, for a persistent
engine). The options used here are ``done_size``.
"""

import threading

import pytest

from telegrambot.storage import (
    Changes,
    CommitResult,
    EventRecord,
    KVWrite,
    MemoryStore,
    PartCounter,
    SQLiteStore,
    StateConflict,
    StateWrite,
    StoreClosed,
    Ticket,
    UnstorableValue,
    state_key,
)

ENGINES = {
    "memory": lambda tmp_path, **options: MemoryStore(**options),
    "sqlite": lambda tmp_path, **options: SQLiteStore(tmp_path / "store.db", **options),
}


@pytest.fixture(params=sorted(ENGINES))
def opener(request, tmp_path):
    """open_store(**options): a store of the engine; every store opened is closed after
    the test."""
    opened = []

    def open_store(**options):
        store = ENGINES[request.param](tmp_path, **options)
        opened.append(store)
        return store

    yield open_store
    for store in opened:
        store.close()


@pytest.fixture
def store(opener):
    return opener()


def reopen(store, opener, **options):
    """Close ``store`` and open the engine again on the same data (persistent engines)."""
    if not store.persistent:
        pytest.skip("the engine keeps nothing beyond the store object")
    store.close()
    return opener(**options)


def update(update_id, text="hi", chat=1):
    return {"update_id": update_id, "message": {"message_id": update_id, "chat": {"id": chat, "type": "private"},
                                                "date": 1700000000, "text": text}}


def pending_ids(store):
    return [entry.update_id for entry in store.pending()]


# ------------------------------------------------------------------ the inbox


def test_accept_tells_new_updates_from_duplicates(store):
    assert store.accept([update(5), update(3)]) == [True, True]
    assert store.accept([update(3), update(9), update(9)]) == [False, True, False]
    entries = store.pending()
    assert [entry.update_id for entry in entries] == [5, 3, 9]  # arrival order, not update_id order
    assert entries[0].update == update(5) and entries[0].applied == frozenset()


def test_done_updates_leave_the_inbox_and_stay_recognised(store):
    store.accept([update(1), update(2), update(3)])
    store.mark_done([2])
    assert pending_ids(store) == [1, 3]
    assert store.accept([update(2)]) == [False]
    store.mark_done([4])  # done without passing through the inbox: still a done mark
    assert store.accept([update(4), update(5)]) == [False, True]
    assert pending_ids(store) == [1, 3, 5]


def test_an_empty_commit_returns_at_once(store):
    assert store.commit(Changes()) == CommitResult([], [], [])
    assert store.accept([]) == []


# ------------------------------------------------------------------ states


def test_a_state_is_saved_with_versions(store):
    key = state_key("chat", 42)
    assert store.load(key) is None
    assert store.save(key, {"n": 1, "items": ("a", "b")}, version=0, applied=10) == 1
    record = store.load(key)
    assert record.key == key and record.version == 1 and record.applied == 10
    assert record.data == {"n": 1, "items": ["a", "b"]}  # a tuple is read back as a list
    record.data["n"] = 99  # a loaded dict is the caller's: the store is not changed
    assert store.load(key).data["n"] == 1
    assert store.save(key, {"n": 2}, version=1) == 2
    record = store.load(key)
    assert record.version == 2 and record.applied == 10  # a save without applied keeps it
    assert store.save(key, {"n": 3}) == 3  # no version: saved whatever is stored
    assert store.load(key).data == {"n": 3}
    assert store.save(state_key("chat", 43), {"new": True}) == 1


def test_a_save_from_an_old_version_conflicts_and_writes_nothing(store):
    key = state_key("chat", 1)
    store.accept([update(7)])
    store.save(key, {"n": 1}, version=0)
    with pytest.raises(StateConflict) as info:
        store.save(key, {"n": 100}, version=0, applied=7, done=[7])
    assert (info.value.key, info.value.expected, info.value.found) == (key, 0, 1)
    assert store.load(key).data == {"n": 1}
    assert pending_ids(store) == [7]  # the done mark of the failed commit was not written
    with pytest.raises(StateConflict):
        store.save(state_key("chat", 2), {"n": 1}, version=3)  # no state: version 0
    assert store.load(state_key("chat", 2)) is None


def test_a_conflict_in_one_state_of_a_commit_undoes_the_others(store):
    a, b = state_key("chat", 1), state_key("chat", 2)
    store.save(b, {"n": 1}, version=0)
    changes = Changes(states=[StateWrite(a, {"n": 1}, 0), StateWrite(b, {"n": 2}, 0)],
                      events=[EventRecord("e", 1.0, {})], kv=[KVWrite("ns", "k", 1)])
    with pytest.raises(StateConflict):
        store.commit(changes)
    assert store.load(a) is None and store.load(b).data == {"n": 1}
    assert store.events() == [] and store.kv_get("ns", "k") is None


def test_a_state_is_deleted_with_none(store):
    key = state_key("user", 5)
    store.save(key, {"n": 1}, version=0)
    with pytest.raises(StateConflict):
        store.save(key, None, version=0)
    assert store.save(key, None, version=1) == 0
    assert store.load(key) is None
    assert store.save(key, None, version=0) == 0  # nothing to delete: fine
    assert store.save(key, {"again": True}, version=0) == 1


def test_a_value_that_is_not_json_fails_at_the_call_and_writes_nothing(store):
    key = state_key("chat", 3)
    store.accept([update(1)])

    class Thing:
        pass

    with pytest.raises(UnstorableValue) as info:
        store.commit(Changes(states=[StateWrite(key, {"cart": [1, Thing()]}, 0)], done=[1]))
    assert str(info.value).startswith("state 'chat:3' data['cart'][1]: a value of type Thing is not JSON")
    with pytest.raises(UnstorableValue, match=r"event 'e' data\['when'\]"):
        store.put_events([EventRecord("e", 1.0, {"when": {1, 2}})])
    with pytest.raises(UnstorableValue, match="is not a str"):
        store.kv_set("ns", "k", {"a": {2: 3}})
    with pytest.raises(UnstorableValue, match=r"\['x'\]: nan is not a JSON number"):
        store.save(key, {"x": float("nan")})
    assert store.load(key) is None and pending_ids(store) == [1]
    assert store.events() == [] and store.kv_items("ns") == []


# ------------------------------------------------------------------ an update that went to several keys


def test_applied_marks_hand_an_update_back_with_the_keys_that_applied_it(store):
    a, b = state_key("chat", 1), state_key("user", 1)
    store.accept([update(10), update(11)])
    store.save(a, {"seen": [10]}, version=0, applied=10)  # one part of update 10 committed
    entries = store.pending()
    assert [(e.update_id, e.applied) for e in entries] == [(10, frozenset({a})), (11, frozenset())]
    store.save(b, {"seen": [10]}, version=0, applied=10, done=[10])  # the last part
    assert [(e.update_id, e.applied) for e in store.pending()] == [(11, frozenset())]
    store.save(a, {"seen": [10, 10]}, version=1, applied=10)  # done already: no mark
    assert [(e.update_id, e.applied) for e in store.pending()] == [(11, frozenset())]
    assert store.accept([update(10)]) == [False]


def test_commits_are_applied_in_the_order_they_were_submitted(store):
    key = state_key("chat", 8)
    store.accept([update(1)])
    first = store.submit(Changes(states=[StateWrite(key, {"n": 1}, 0, applied=1)]))
    second = store.submit(Changes(states=[StateWrite(key, {"n": 2}, 1)], done=[1]))
    assert second.wait(5).versions == [2]  # the second saw the first's version
    assert first.wait(5).versions == [1]
    assert store.load(key).data == {"n": 2} and pending_ids(store) == []


def test_the_last_part_submitted_under_a_lock_marks_the_update_done(store):
    """The pattern PartCounter documents: several threads finish parts of one update;
    the one whose finish() is last commits the done mark, after the others' states."""
    updates = list(range(100, 140))
    store.accept([update(n) for n in updates])
    parts, lock = PartCounter(), threading.Lock()
    keys = [state_key("k", n) for n in range(4)]
    versions = dict.fromkeys(keys, 0)
    for n in updates:
        parts.begin(n)
        parts.add(n, len(keys))
        assert not parts.finish(n)
    errors = []

    def part(key):
        try:
            for n in updates:
                record = store.load(key)
                seen = record.data["seen"] if record else []
                with lock:
                    last = parts.finish(n)
                    ticket = store.submit(Changes(states=[StateWrite(key, {"seen": seen + [n]}, versions[key], n)],
                                                  done=[n] if last else ()))
                versions[key] = ticket.wait(10).versions[0]
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=part, args=(key,)) for key in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    assert store.pending() == [] and len(parts) == 0
    for key in keys:
        assert store.load(key).data == {"seen": updates}
        assert store.load(key).version == len(updates)


# ------------------------------------------------------------------ events


def test_events_are_listed_by_due_time_replaced_by_id_and_cancelled(store):
    store.put_events([EventRecord("b", 200.0, {"_alarm": 2}), EventRecord("a", 200.0, "x", 60),
                      EventRecord("c", 100.5, [1, 2])])
    assert store.events() == [EventRecord("c", 100.5, [1, 2]), EventRecord("a", 200.0, "x", 60.0),
                              EventRecord("b", 200.0, {"_alarm": 2})]
    assert [e.id for e in store.events(until=150)] == ["c"]
    assert [e.id for e in store.events(until=200)] == ["c", "a", "b"]
    store.put_events([EventRecord("c", 300.0, {"moved": True}, 30)])  # a repeat moved on
    assert store.events()[-1] == EventRecord("c", 300.0, {"moved": True}, 30.0)
    assert store.cancel_events(["a", "nope", "a"]) == [True, False, False]
    assert [e.id for e in store.events()] == ["b", "c"]


# ------------------------------------------------------------------ values


def test_values_by_namespace_with_the_least_recently_set_going_first(store):
    assert store.kv_get("cb", "1") is None and store.kv_get("cb", "1", "dflt") == "dflt"
    for n in range(5):
        store.kv_set("cb", str(n), {"data": n}, maxsize=10)
    store.kv_set("other", "0", "elsewhere")
    store.kv_set("cb", "1", {"data": "one again"})  # set again: now the newest
    assert [key for key, _ in store.kv_items("cb")] == ["0", "2", "3", "4", "1"]
    store.kv_set("cb", "5", 5, maxsize=3)
    assert store.kv_items("cb") == [("4", {"data": 4}), ("1", {"data": "one again"}), ("5", 5)]
    store.kv_delete("cb", "1")
    store.kv_delete("cb", "never")
    assert store.kv_items("cb") == [("4", {"data": 4}), ("5", 5)]
    assert store.kv_items("other") == [("0", "elsewhere")] and store.kv_items("none") == []
    for n in range(6, 9):
        store.kv_set("cb", str(n), n, maxsize=3)
    assert [key for key, _ in store.kv_items("cb")] == ["6", "7", "8"]


# ------------------------------------------------------------------ tickets and threads


def test_a_ticket_runs_its_callbacks_once_done(store):
    seen = []
    done = threading.Event()

    def note(ticket):
        seen.append(ticket.wait(0).accepted)
        done.set()

    ticket = store.submit(Changes(accept=[update(1)]))
    ticket.add_done_callback(note)
    assert done.wait(5)
    assert ticket.done() and seen == [[True]]
    ticket.add_done_callback(lambda t: seen.append("at once"))  # already done: called now
    assert seen == [[True], "at once"]
    assert "done" in repr(ticket)
    failed = store.submit(Changes(states=[StateWrite("k", {}, 5)]))
    with pytest.raises(StateConflict):
        failed.wait(5)
    assert "failed" in repr(failed) and isinstance(failed, Ticket)


def test_concurrent_writers(store):
    errors = []

    def writer(first):
        try:
            key = state_key("chat", first)
            version = 0
            for n in range(first, 2000, 20):
                assert store.accept([update(n)]) == [True]
                version = store.save(key, {"last": n}, version=version, applied=n, done=[n])
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert store.pending() == []
    assert store.accept([update(n) for n in range(0, 2000, 97)]) == [False] * 21
    for k in range(20):
        record = store.load(state_key("chat", k))
        assert record.version == 100 and record.data == {"last": 1980 + k} and record.applied == 1980 + k


def test_a_large_state(store):
    data = {"blob": "x" * 2_000_000, "list": list(range(10_000))}
    store.save("big", data, version=0)
    assert store.load("big").data == data


# ------------------------------------------------------------------ closing and reopening


def test_a_closed_store_refuses_everything(opener):
    store = opener()
    store.accept([update(1)])
    with store:
        pass
    store.close()  # again: nothing
    for call in (lambda: store.accept([update(2)]), store.pending, lambda: store.load("k"),
                 store.events, lambda: store.kv_get("a", "b"), lambda: store.kv_items("a"),
                 lambda: store.commit(Changes())):
        with pytest.raises(StoreClosed):
            call()


def test_everything_committed_survives_a_reopen(opener):
    store = opener()
    key = state_key("chat", 1)
    store.accept([update(3), update(1), update(2)])
    store.save(key, {"n": 1}, version=0, applied=1)
    store.mark_done([3])
    store.put_events([EventRecord("e", 123.5, {"_alarm": {"n": 1}}, 10)])
    store.kv_set("cb", "a", [1, 2])
    store.kv_set("cb", "b", "two")
    store = reopen(store, opener)
    assert [(e.update_id, e.update, e.applied) for e in store.pending()] == [
        (1, update(1), frozenset({key})), (2, update(2), frozenset())]
    assert store.accept([update(3), update(4)]) == [False, True]
    assert store.load(key) == (key, {"n": 1}, 1, 1)
    assert store.save(key, {"n": 2}, version=1, done=[1]) == 2
    assert store.events() == [EventRecord("e", 123.5, {"_alarm": {"n": 1}}, 10.0)]
    assert store.kv_items("cb") == [("a", [1, 2]), ("b", "two")]
    store.kv_set("cb", "c", 3, maxsize=2)  # eviction order survived too
    assert store.kv_items("cb") == [("b", "two"), ("c", 3)]
    assert pending_ids(store) == [2, 4]


def test_done_marks_are_bounded(opener):
    store = opener(done_size=10)
    store.mark_done(range(1, 51))
    if store.persistent:
        store = reopen(store, opener, done_size=10)  # SQLiteStore prunes in steps, and on opening
    assert store.accept([update(40), update(41), update(50)]) == [True, False, False]

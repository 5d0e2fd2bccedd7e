"""A process that writes through an SQLiteStore the way a bot will, until it is killed.

Run by tests/test_storage_sqlite.py: ``python storage_crash_child.py DB FIRST_ID [recover]``.
First it finishes what a killed run left: every update pending in the inbox goes to its
two keys, skipping a key that already applied it. Then threads accept new updates, each
applied to two state keys (two "delegates") in separate commits, the last one marking the
update done (PartCounter under a lock, as the dispatcher will), and schedule, cancel and
set events and values. A line goes to stdout once a write is durable:

    A id    update accepted            D id    both keys applied it, done
    R id    recovered from the inbox   E id    event e<id> saved
    c id    about to cancel e<id>      C id    event e<id> cancelled
    K id    value <id> set in namespace "kv" (at most 20 kept)

With ``recover`` it stops after the recovery and closes the store.
"""

import os
import random
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from telegrambot.storage import (  # noqa: E402
    Changes,
    EventRecord,
    PartCounter,
    SQLiteStore,
    StateWrite,
    state_key,
)

THREADS = 3
KV_SIZE = 20


def keys_of(update_id):
    return [state_key("a", update_id % 5), state_key("b", update_id % 3)]


def make_update(update_id):
    return {"update_id": update_id, "message": {"message_id": update_id, "date": 1700000000,
                                                "chat": {"id": update_id % 5, "type": "private"},
                                                "text": "message %d" % update_id}}


def say(kind, update_id):
    os.write(1, b"%s %d\n" % (kind.encode(), update_id))


class Worker:
    def __init__(self, store):
        self.store = store
        self.parts = PartCounter()
        self.parts_lock = threading.Lock()
        self.kv_lock = threading.Lock()
        self.key_locks = {key: threading.Lock() for n in range(15) for key in keys_of(n)}

    def dispatch(self, update_id, skip=frozenset()):
        """Hand the update to its two keys (in a random order), as a delegator would."""
        keys = keys_of(update_id)
        random.shuffle(keys)
        with self.parts_lock:
            self.parts.begin(update_id)
            self.parts.add(update_id, len(keys))
            self.parts.finish(update_id)
        for key in keys:
            if key in skip:  # applied before the crash: only its part is counted
                with self.parts_lock:
                    if self.parts.finish(update_id):
                        ticket = self.store.submit(Changes(done=[update_id]))
                    else:
                        ticket = None
                if ticket is not None:
                    ticket.wait()
                continue
            with self.key_locks[key]:  # one delegate per key at a time
                record = self.store.load(key)
                ids = record.data["ids"] if record else []
                version = record.version if record else 0
                with self.parts_lock:
                    last = self.parts.finish(update_id)
                    ticket = self.store.submit(Changes(
                        states=[StateWrite(key, {"ids": ids + [update_id]}, version, update_id)],
                        done=[update_id] if last else ()))
                ticket.wait()

    def run(self, first):
        n = first
        while True:
            self.store.accept([make_update(n)])
            say("A", n)
            self.dispatch(n)
            say("D", n)
            if n % 3 == 0:
                self.store.put_events([EventRecord("e%d" % n, float(n), {"id": n}, 60.0 if n % 2 else None)])
                say("E", n)
                old = n - 30 * THREADS
                say("c", old)
                self.store.cancel_events(["e%d" % old])
                say("C", old)
            if n % 2 == 0:
                with self.kv_lock:  # so the K lines come in the order of the values' commits
                    self.store.kv_set("kv", str(n), {"n": n}, maxsize=KV_SIZE)
                    say("K", n)
            n += THREADS


def main():
    path, first = sys.argv[1], int(sys.argv[2])
    store = SQLiteStore(path)
    worker = Worker(store)
    for entry in store.pending():
        assert entry.update == make_update(entry.update_id), entry
        worker.dispatch(entry.update_id, entry.applied)
        say("R", entry.update_id)
    if sys.argv[3:] == ["recover"]:
        store.close()
        return
    threads = [threading.Thread(target=worker.run, args=(first + k,), daemon=True) for k in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


if __name__ == "__main__":
    main()

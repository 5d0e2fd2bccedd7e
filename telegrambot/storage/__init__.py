"""Stores: where a bot keeps what must outlive a handler, and (with a persistent engine)
the process.

A store keeps accepted updates until they are handled (the inbox, with done marks that
recognise redeliveries), a JSON state per key (a delegate's seed), scheduled events, and
small JSON values by namespace. Every write is a :class:`Changes` committed as one
transaction; see :class:`Store` for the methods and the guarantees every engine gives.

Engines:

- :class:`MemoryStore`: in memory, nothing survives the process;
- :class:`SQLiteStore`: one SQLite file, for one process; group commit.

Another engine implements :class:`Store` and passes the conformance tests
(``tests/test_storage.py``). A bot uses one with ``Bot(token, store=SQLiteStore("bot.db"))``:
see :doc:`/persistence`.
"""

from ..core.records import (
    Changes,
    CommitResult,
    EventRecord,
    InboxEntry,
    KVWrite,
    PartCounter,
    StateConflict,
    StateRecord,
    StateWrite,
    StorageError,
    StoreClosed,
    UnstorableValue,
    next_due,
    parse_state_key,
    state_key,
)
from .base import Store, Ticket
from .memory import MemoryStore
from .sqlite import SQLiteStore

__all__ = [
    "Store",
    "Ticket",
    "MemoryStore",
    "SQLiteStore",
    "Changes",
    "CommitResult",
    "StateWrite",
    "StateRecord",
    "InboxEntry",
    "EventRecord",
    "KVWrite",
    "PartCounter",
    "StorageError",
    "StoreClosed",
    "StateConflict",
    "UnstorableValue",
    "state_key",
    "parse_state_key",
    "next_due",
]

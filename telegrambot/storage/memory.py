"""MemoryStore: the store protocol in the process's memory; nothing survives the process."""

import json
import threading
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Set, Tuple

from ..core.bounded import LimitedSet
from ..core.records import (
    Changes,
    CommitResult,
    Encoded,
    EventRecord,
    InboxEntry,
    StateConflict,
    StateRecord,
    StoreClosed,
    encode_changes,
)
from .base import EMPTY_RESULT, Store, Ticket

__all__ = ["MemoryStore"]

#: Done marks kept by default (the newest): a redelivery of an older update is not
#: recognised by the store (the webhook receiver's own table still catches recent ones).
DONE_SIZE = 100_000


class MemoryStore(Store):
    """Keeps everything in dicts, under one lock: as fast as a store gets, and what a bot
    without a store has always had (nothing survives the process). Commits are applied in
    :meth:`submit`, in the caller's thread, so its tickets are done when returned.

    :param done_size: how many done marks are kept (the most recent).
    """

    persistent = False

    def __init__(self, done_size: int = DONE_SIZE) -> None:
        self._lock = threading.Lock()
        self._closed = False
        self._inbox: Dict[int, Dict[str, Any]] = {}  # insertion order is arrival order
        self._done = LimitedSet(done_size)
        self._marks: Dict[int, Set[str]] = {}
        self._states: Dict[str, Tuple[str, int, Optional[int]]] = {}
        self._events: Dict[str, Tuple[float, str, Optional[float]]] = {}
        self._kv: Dict[str, OrderedDict[str, str]] = {}

    def __repr__(self) -> str:
        return f"<MemoryStore{' closed' if self._closed else ''}>"

    def _check_open(self) -> None:
        if self._closed:
            raise StoreClosed("the store is closed")

    # -- writing -------------------------------------------------------------------------

    def submit(self, changes: Changes) -> Ticket:
        enc = encode_changes(changes, update_text=False)
        if not enc:
            self._check_open()
            return Ticket.finished(EMPTY_RESULT)
        with self._lock:
            self._check_open()
            try:
                return Ticket.finished(self._apply(enc))
            except StateConflict as exc:
                return Ticket.finished(None, exc)

    def _apply(self, enc: Encoded) -> CommitResult:
        states = self._states
        for key, _text, version, _applied in enc.states:  # check all before changing any
            if version is not None:
                found = states[key][1] if key in states else 0
                if found != version:
                    raise StateConflict(key, version, found)
        inbox, done, marks = self._inbox, self._done, self._marks
        accepted = []
        for update_id, update, _ in enc.accept:
            new = update_id not in inbox and update_id not in done
            if new:
                inbox[update_id] = update
            accepted.append(new)
        versions = []
        done_now = set(enc.done) if enc.done else ()
        for key, text, _version, applied in enc.states:
            old = states.get(key)
            if text is None:
                states.pop(key, None)
                versions.append(0)
            else:
                version = old[1] + 1 if old else 1
                states[key] = (text, version, applied if applied is not None else (old[2] if old else None))
                versions.append(version)
            if applied is not None and applied not in done_now and applied not in done:
                marks.setdefault(applied, set()).add(key)
        for update_id in enc.done:
            inbox.pop(update_id, None)
            marks.pop(update_id, None)
            done.add(update_id)
        events = self._events
        for event_id, due, text, every in enc.events:
            events[event_id] = (due, text, every)
        cancelled = [events.pop(event_id, None) is not None for event_id in enc.cancel]
        for namespace, key, text, maxsize in enc.kv:
            space = self._kv.get(namespace)
            if text is None:
                if space is not None:
                    space.pop(key, None)
                continue
            if space is None:
                space = self._kv[namespace] = OrderedDict()
            space.pop(key, None)
            space[key] = text
            if maxsize is not None:
                while len(space) > maxsize:
                    space.popitem(last=False)
        return CommitResult(accepted, versions, cancelled)

    # -- reading -------------------------------------------------------------------------

    def pending(self) -> List[InboxEntry]:
        with self._lock:
            self._check_open()
            marks = self._marks
            return [InboxEntry(update_id, update, frozenset(marks.get(update_id, ())))
                    for update_id, update in self._inbox.items()]

    def load(self, key: str) -> Optional[StateRecord]:
        with self._lock:
            self._check_open()
            found = self._states.get(key)
        if found is None:
            return None
        text, version, applied = found
        return StateRecord(key, json.loads(text), version, applied)

    def events(self, until: Optional[float] = None) -> List[EventRecord]:
        with self._lock:
            self._check_open()
            items = list(self._events.items())
        found = [EventRecord(event_id, due, json.loads(text), every)
                 for event_id, (due, text, every) in items if until is None or due <= until]
        found.sort(key=lambda event: (event.due, event.id))
        return found

    def kv_get(self, namespace: str, key: str, default: Any = None) -> Any:
        with self._lock:
            self._check_open()
            space = self._kv.get(namespace)
            text = space.get(key) if space is not None else None
        return default if text is None else json.loads(text)

    def kv_items(self, namespace: str) -> List[Tuple[str, Any]]:
        with self._lock:
            self._check_open()
            items = list(self._kv.get(namespace, {}).items())
        return [(key, json.loads(text)) for key, text in items]

    def close(self, timeout: Optional[float] = None) -> None:
        with self._lock:
            self._closed = True

"""A bot's store at work on threads: the durable inbox, delegates' states, done marks.

Made by :class:`~telegrambot.Bot` when it is given ``store=``; the decisions are
:mod:`telegrambot.core.durable`'s. The lock is never held across I/O: a commit is
submitted under it (the store queues it) and waited for outside it.
"""

import functools
import logging
import threading
from typing import Any, Callable, Dict, List, Optional

from .core.durable import Tracker, replay_order
from .core.flavor import is_event
from .core.records import (
    Changes,
    EventRecord,
    StateConflict,
    StateWrite,
    UnstorableValue,
    state_key,
)

__all__ = ["Durable", "StateKeeper", "delegate_state"]

log = logging.getLogger(__name__)


def _log_failure(what: str) -> Callable[[Any], None]:
    def callback(ticket: Any) -> None:
        error = ticket._error
        if error is not None:
            log.error("%s could not be stored: %s", what, error)

    return callback


class Durable:
    """The store of one bot and what is in work: see :mod:`telegrambot.core.durable`."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.lock = threading.Lock()
        self.tracker = Tracker()
        self._replayed = False
        self._replay_ids: set = set()  # handed over on start: a copy from a queue is skipped
        self._local = threading.local()  # .held: events a delegate scheduled (see hold())

    # -- events scheduled while a delegate handles a message

    def hold(self) -> None:
        """The current thread's delegate begins a message: events it schedules (stored
        ones) wait for the commit of that message (see :meth:`save`)."""
        self._local.held = []

    def staging(self) -> Optional[List[Any]]:
        """The events held for the current thread's delegate, or None."""
        return getattr(self._local, "held", None)

    def _take_held(self) -> List[Any]:
        held = getattr(self._local, "held", None)
        self._local.held = None
        return held or []

    # -- the inbox

    def accept(self, updates: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
        """Write a batch polled with getUpdates to the inbox (before its offset is
        confirmed); return the new ones (a duplicate was accepted before)."""
        flags = self.store.accept(updates)
        if all(flags):
            return updates
        return [update for update, new in zip(updates, flags) if new]

    def replay(self, dispatch: Callable[..., None]) -> None:
        """Hand over, once per bot and in arrival order, the updates accepted and not done
        before the process (re)started. Called by a loop before anything new."""
        with self.lock:
            if self._replayed:
                return
            self._replayed = True
        entries = replay_order(self.store.pending())
        if entries:
            log.info("handing over %d updates accepted before the restart and not handled",
                     len(entries))
        with self.lock:
            self._replay_ids.update(entry.update_id for entry in entries)
        for entry in entries:
            dispatch(entry.update, entry.applied, True)

    def begin(self, obj: Any, update_id: int, skip: Any = (), replaying: bool = False) -> bool:
        """The loop hands ``obj`` (update ``update_id``'s object) over: track it. False if
        it was handed over on start already (a copy that a queue still held)."""
        with self.lock:
            ids = self._replay_ids
            if ids and not replaying and update_id in ids:
                ids.discard(update_id)
                return False
            self.tracker.begin(obj, update_id, None, skip)
        return True

    def begin_event(self, data: Any, event_id: Optional[str]) -> None:
        """The scheduler fires ``data`` (``event_id``: its stored record, or None)."""
        with self.lock:
            self.tracker.begin(data, None, event_id)

    def added(self, obj: Any) -> bool:
        """``obj`` went to one more part (a listener queue, a delegate started with it);
        False if it is not tracked."""
        with self.lock:
            return self.tracker.add(obj)

    def finish(self, obj: Any) -> None:
        """A part without a state finished ``obj`` (the loop's, a listener that took it):
        if it was the last, mark the update done / remove the fired event. Not waited for."""
        with self.lock:
            fin = self.tracker.finish(obj)
            if fin is None or not fin.last:
                return
            changes = _marks(fin)
            if changes is None:
                return
            ticket = self.store.submit(changes)
        ticket.add_done_callback(_log_failure("the done mark of update %s" % fin.update_id
                                              if fin.update_id is not None
                                              else "the removal of fired event %s" % fin.event_id))

    # -- states

    def skips(self, keeper: "StateKeeper", obj: Any) -> bool:
        """Did ``keeper``'s key apply this update before a crash?"""
        with self.lock:
            return self.tracker.skips(obj, keeper.key)

    def save(self, keeper: Optional["StateKeeper"], obj: Any, save: bool = True) -> None:
        """A delegate finished ``obj``: save its state (``save``; ``keeper`` None: it has
        none) in one commit with the update's applied mark, its done mark if it is the
        last part, and the events the delegate scheduled meanwhile.

        The commit is not waited for here (the delegate goes on with its next message
        while the store flushes; commits are applied in the order submitted, and one that
        does not land leaves its update to be handed over again): :meth:`StateKeeper.flush`
        waits for the last one when the delegate ends, so its successor loads what it saved.
        The events it scheduled are scheduled once the commit is submitted.
        A state that can't be stored is logged at ERROR with the update_id, key and what
        is wrong; the stored state stays as it was, the update is still marked done."""
        store = self.store
        held = self._take_held()
        events = [EventRecord(event.key, event.timestamp, event.data, event.every)
                  for _, _, event in held]
        if keeper is not None and keeper.reload:  # a save was refused: go on from the store
            keeper.flush()
            record = store.load(keeper.key)
            keeper.version = record.version if record is not None else 0
            keeper.reload = False
        ticket = marks = None
        with self.lock:
            fin = self.tracker.finish(obj)
            update_id = fin.update_id if fin is not None else None
            done = [update_id] if fin is not None and fin.last and update_id is not None else []
            cancel = [fin.event_id] if fin is not None and fin.last and fin.event_id else []
            write = False
            if keeper is not None and (fin is not None or (
                    isinstance(obj, dict) and is_event(obj) and "_idle" not in obj)):
                state = getattr(keeper.obj, "state", None)
                write = bool(save and isinstance(state, dict) and (state or keeper.version))
            if write and keeper is not None:
                try:
                    ticket = store.submit(Changes(
                        states=[StateWrite(keeper.key, state, keeper.version, update_id)],
                        done=done, cancel=cancel, events=events))
                except UnstorableValue as e:
                    log.error("update %s: the state of %s %r was not saved (the stored "
                              "state stays as it was): %s", update_id,
                              type(keeper.obj).__name__, keeper.key, e)
                    write = False
            if not write and (done or cancel or events):
                marks = store.submit(Changes(done=done, cancel=cancel, events=events))
            if held:  # after the commit that stores them: they may fire now
                for scheduler in {id(entry[0]): entry[0] for entry in held}.values():
                    scheduler._release([entry for entry in held if entry[0] is scheduler])
        if marks is not None:
            marks.add_done_callback(_log_failure("the done mark of update %s" % update_id))
        if ticket is not None and keeper is not None:
            keeper.version += 1  # what this commit makes it, unless it fails (then reloaded)
            keeper.last = ticket
            ticket.add_done_callback(functools.partial(_saved, keeper, update_id))


def _saved(keeper: "StateKeeper", update_id: Optional[int], ticket: Any) -> None:
    """A delegate's state commit is done (in the store's writer): report a failure."""
    error = ticket._error
    if error is None:
        return
    keeper.reload = True
    if isinstance(error, StateConflict):
        log.error("update %s: the state %r was saved by something else meanwhile; this save "
                  "was refused (two delegates share a state key? give their classes "
                  "different state_scope): %s", update_id, keeper.key, error)
    else:
        log.error("update %s: the state %r could not be stored: %s", update_id,
                  keeper.key, error)


def _marks(fin: Any) -> Optional[Changes]:
    done = [fin.update_id] if fin.update_id is not None else []
    cancel = [fin.event_id] if fin.event_id else []
    if not done and not cancel:
        return None
    return Changes(done=done, cancel=cancel)


class StateKeeper:
    """One delegate's stored state: its key and the version it loaded."""

    __slots__ = ("durable", "obj", "key", "version", "last", "reload")

    def __init__(self, durable: Durable, obj: Any, key: str) -> None:
        self.durable = durable
        self.obj = obj
        self.key = key
        self.version = 0
        self.last: Any = None  # the ticket of the last commit submitted
        self.reload = False  # a commit failed: the version is to be read again

    def flush(self) -> None:
        """Wait until the last state commit is done (its failure was logged already)."""
        ticket, self.last = self.last, None
        if ticket is not None:
            try:
                ticket.wait()
            except Exception:  # noqa: S110 - reported by its done callback
                pass

    def load(self) -> None:
        record = self.durable.store.load(self.key)
        if record is None:
            self.obj.state = {}
            self.version = 0
        else:
            self.obj.state = record.data
            self.version = record.version


def delegate_state(bot: Any, obj: Any, seed: Any) -> Optional[StateKeeper]:
    """Give the delegate ``obj`` (of seed ``seed``) its ``state``, on its own thread as it
    starts: loaded from the bot's store (then a :class:`StateKeeper` saves it), or, with
    no store, the dict its predecessor for the same seed left in the process."""
    scope = getattr(obj, "state_scope", None)
    if scope is None:
        return None
    try:
        key = state_key(scope, seed)
    except UnstorableValue:  # a seed that can't name a stored state: a state of its own
        if not isinstance(getattr(obj, "state", None), dict):
            obj.state = {}
        return None
    durable = getattr(bot, "_durable", None)
    if durable is None:
        states = getattr(bot, "_delegate_states", None)
        if states is None:
            obj.state = {}
            return None
        with states_lock:
            state = states.get(key)
            if state is None:
                state = states[key] = {}
        obj.state = state
        return None
    keeper = StateKeeper(durable, obj, key)
    keeper.load()
    return keeper


states_lock = threading.Lock()

"""Listeners on threads: the hub that queues each message for the listeners that captured
it, the listener a delegate waits on, and the microphone that broadcasts.

Which listeners want a message is decided by :class:`telegrambot.core.capture.CaptureIndex`;
this module adds the queues, the lock and the bounded waking of waiting threads.
"""

import logging
import queue
import threading
from typing import Any, Dict, List, Optional

from .. import exception
from ..core.capture import CaptureIndex, CapturingListener, match, match_all

__all__ = ["match", "match_all", "ListenerHub", "Listener", "Microphone"]

log = logging.getLogger(__name__)


class ListenerHub(CaptureIndex):
    """Hands each message to the listeners whose captures it matches.

    Patterns whose dict templates hold constant values (``{'chat': {'id': 42}}``) are
    indexed by those values, grouped by where they sit in the message (the *shape*); a
    message costs one lookup per shape in use plus a check of each candidate. Patterns
    without any constant (only functions, say) are checked one by one.

    All methods take ``lock``; :class:`telegrambot.DelegatorBot` shares its own so that
    delivering and starting delegates happen as one step.
    """

    def __init__(self, lock: Optional[Any] = None, max_waking: int = 16) -> None:
        if max_waking < 1:
            raise ValueError("max_waking must be at least 1 (or no message could be queued)")
        super().__init__()
        self.lock = lock if lock is not None else threading.RLock()
        # Waking a listener's thread makes it compete for the GIL; with thousands competing,
        # the interpreter spends its time on forced switches. So at most ``max_waking``
        # threads are woken and not yet running at a time; delivery waits for the rest.
        self._wake = threading.Condition(threading.Lock())
        self._waking = 0
        self._max_waking = max_waking

    def listener(self) -> "Listener":
        """A new listener attached to this hub."""
        return Listener(self)

    # -- captures ------------------------------------------------------------------------

    def add(self, listener: "Listener", pattern: List[Any]) -> None:
        with self.lock:
            self.attach(listener, pattern)

    def remove(self, listener: "Listener", pattern: Optional[List[Any]] = None) -> None:
        """Drop the listener's captures equal to ``pattern`` (all of them for None)."""
        with self.lock:
            self.detach(listener, pattern)

    def close(self, listener: "Listener") -> List[Any]:
        """Detach ``listener`` for good; returns the messages still queued in it."""
        with self.lock:
            self.remove(listener)
            listener.closed = True
            return listener._drain()

    # -- delivery ------------------------------------------------------------------------

    _match = CaptureIndex.matching

    def matching(self, msg: Any) -> List["Listener"]:
        """The listeners that want ``msg``, each once."""
        with self.lock:
            return self._match(msg)

    def template_failed(self, msg: Any) -> None:
        log.exception("a capture template failed on a message; taken as no match")

    def deliver(self, msg: Any) -> int:
        """Queue ``msg`` in every listener that wants it; returns how many."""
        with self.lock:
            listeners = self._match(msg)
            for listener in listeners:
                self.put(listener, msg)
        return len(listeners)

    def put(self, listener: "Listener", msg: Any) -> None:
        """Queue ``msg`` in ``listener`` (waiting while too many threads are being woken)."""
        with self._wake:
            while self._waking >= self._max_waking:
                self._wake.wait(0.1)
            if listener._waiting and not listener._woken:
                listener._woken = True
                self._waking += 1
        listener._queue.put(msg)

    def _get(self, listener: "Listener", timeout: Optional[float]) -> Any:
        try:
            return listener._queue.get_nowait()  # no waiting, no waking to count
        except queue.Empty:
            pass
        wake = self._wake
        with wake:
            listener._waiting = True
        try:
            return listener._queue.get(timeout=timeout)
        finally:
            with wake:
                listener._waiting = False
                if listener._woken:
                    listener._woken = False
                    self._waking -= 1
                    if self._waking <= self._max_waking // 2:
                        wake.notify()


_STOP = object()  # queued to make Listener.wait() raise StopListening


class Listener(CapturingListener):
    """A delegate's inbox: receives the messages matching its captured patterns.

    Get one from ``bot.create_listener()``. Each pattern is a list of templates that must
    all match (see :func:`match`): functions, or dicts whose keys are strings or compiled
    regexes and whose values are data or functions.
    """

    def __init__(self, hub: ListenerHub) -> None:
        super().__init__(hub)
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._waiting = False  # blocked in wait() (guarded by the hub's wake condition)
        self._woken = False  # a message was queued while it waited

    def wait(self, timeout: Optional[float] = None) -> Any:
        """Block until a captured message arrives and return it.

        Raises :class:`~telegrambot.exception.WaitTooLong` after ``timeout`` seconds, and
        :class:`~telegrambot.exception.StopListening` when the bot stops its delegates.
        """
        self._check_captures()
        try:
            msg = self._hub._get(self, timeout)
        except queue.Empty:
            raise exception.WaitTooLong(timeout)
        if msg is _STOP:
            raise exception.StopListening("the bot is stopping its delegates")
        return msg

    def stop(self) -> None:
        """Make :meth:`wait` raise StopListening once the messages queued so far are taken.

        Like a message, it wakes a waiting delegate only while few others are being woken
        (see :class:`ListenerHub`), so stopping thousands of delegates does not wake them
        all at once."""
        self._hub.put(self, _STOP)

    def close(self) -> None:
        """Detach from the bot: no more messages arrive."""
        self._hub.close(self)

    def _drain(self) -> List[Any]:
        left: List[Any] = []
        while True:
            try:
                msg = self._queue.get_nowait()
            except queue.Empty:
                return left
            if msg is not _STOP:
                left.append(msg)


class Microphone:
    """Broadcasts messages to the listeners of a :class:`ListenerHub`: each listener gets
    the messages it captured (see :class:`Listener`).

    ``SpeakerBot.mic`` is one. Plain queues can be added as well (:meth:`add`); they
    receive every message sent, as telepot's did.
    """

    def __init__(self, hub: Optional[ListenerHub] = None) -> None:
        self._hub = hub if hub is not None else ListenerHub()
        self._queues: Dict[Any, None] = {}
        self._lock = threading.Lock()

    @property
    def hub(self) -> ListenerHub:
        return self._hub

    def listener(self) -> "Listener":
        """A new listener hearing this microphone."""
        return self._hub.listener()

    def add(self, q: Any) -> None:
        """Also put every message sent into the queue ``q`` (anything with ``put_nowait``)."""
        with self._lock:
            self._queues[q] = None

    def remove(self, q: Any) -> None:
        """Stop putting messages into ``q``."""
        with self._lock:
            self._queues.pop(q, None)

    def send(self, msg: Any) -> int:
        """Hand ``msg`` to the listeners that captured it and to every added queue;
        returns how many listeners wanted it."""
        count = self._hub.deliver(msg)
        if self._queues:
            with self._lock:
                queues = list(self._queues)
            for q in queues:
                try:
                    q.put_nowait(msg)
                except queue.Full:
                    log.warning("a queue added to the microphone is full; a message was not put there")
        return count

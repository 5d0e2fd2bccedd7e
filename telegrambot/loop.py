"""Receiving updates: polling, queue (webhook) sources, ordering, and the loop classes.

Every loop hands each update's inner object (the ``message``, ``callback_query``, ...
dict) to a handler: a function, a routing table ``{flavor: function}`` (``None`` as key
for a default), or ``bot.handle``. Events of the bot's scheduler go through the same
handler, and the handler is never called for two things at once. Where the object's shape
does not tell its update type (``my_chat_member`` and ``chat_member``, and update types
newer than this library), the loop records it under ``'_update_type'`` in the object, so
``flavor(msg)`` and routing tables tell them apart (see :mod:`telegrambot._flavor`).

* :class:`MessageLoop` polls `getUpdates <https://core.telegram.org/bots/api#getupdates>`_
  on a ``telegrambot-poll`` thread.
* :class:`Webhook` and :class:`OrderedWebhook` read updates (dicts, or JSON as str/bytes)
  from a queue on a ``telegrambot-queue`` thread; put them there with ``feed()`` or hand
  your own ``queue.Queue`` as ``source``.

Every loop is stopped by its ``stop()`` or by ``bot.stop()``, within ``timeout`` seconds,
even in the middle of a long poll. A bot polls with one :class:`MessageLoop` at a time (two
would each get every update): starting another while one runs raises RuntimeError.

Staying up while polling: network faults, non-JSON answers (an HTML 502) and server
errors are logged and retried with a doubling delay (at most :data:`BACKOFF_MAX` seconds);
429 waits ``retry_after``; 409 (a webhook is set, or another poller) is logged with what
to do and retried with backoff; 401 ends the loop (``loop.exception`` holds the error).
The offset moves past an update only once its handler returned, so a fault never loses
or repeats an update; on stop, the offset reached is confirmed to the server. When the
update_ids go back (Telegram numbers them afresh after a week without updates), the loop
follows. An exception in a handler is logged with its traceback and the next update follows.
"""

import json
import logging
import queue
import threading
import time
import weakref
from collections import deque
from typing import Any, Callable, Dict, List, Optional, TypeVar, Union

from ._flavor import UPDATE_TYPE_KEY, flavor, update_flavors
from .exception import ConflictError, TooManyRequestsError, UnauthorizedError

__all__ = ["MessageLoop", "Webhook", "OrderedWebhook", "bot_message_loop", "bot_stop"]

log = logging.getLogger(__name__)

#: First delay (seconds) after a failed getUpdates; it doubles with each failure in a row.
BACKOFF_START = 0.1
#: Longest delay (seconds) between two failed getUpdates.
BACKOFF_MAX = 30.0
#: Seconds without updates after which :class:`OrderedWebhook` takes an update_id smaller
#: than those handed over as a new numbering, not as a late arrival: Telegram numbers
#: updates afresh after a week without any.
RENUMBER_IDLE = 3600.0

Handler = Union[None, Callable[[Dict[str, Any]], Any], Dict[Optional[str], Callable[..., Any]]]

# update types whose objects have the same shape: the loop tags them (see _flavor)
_SAME_SHAPE = frozenset({"my_chat_member", "chat_member"})


_L = TypeVar("_L", bound="_Loop")
_W = TypeVar("_W", bound="Webhook")


class _Stop:
    """Put in a source queue by stop(): wakes the loop that owns it."""

    __slots__ = ()


# ------------------------------------------------------------------ registry per bot

_loops: "weakref.WeakKeyDictionary[Any, List[_Loop]]" = weakref.WeakKeyDictionary()
# the bot's polling loop, while its thread runs (even once stopped from a handler)
_pollers: "weakref.WeakKeyDictionary[Any, MessageLoop]" = weakref.WeakKeyDictionary()
_loops_lock = threading.Lock()


def _register(loop: "_Loop") -> None:
    """Record a starting loop; (re)start the bot's scheduler, its events going to the loop."""
    with _loops_lock:
        _loops.setdefault(loop.bot, []).append(loop)
        scheduler = loop.bot.scheduler
        scheduler.on_event(loop._dispatch_event)
        scheduler.run_as_thread()


def _unregister(loop: "_Loop") -> Optional[threading.Thread]:
    """Forget a loop. If the bot has no other, tell its scheduler to stop and return the
    scheduler's thread (to be joined); else hand the events to another loop."""
    with _loops_lock:
        loops = _loops.get(loop.bot, [])
        if loop in loops:
            loops.remove(loop)
        scheduler = loop.bot.scheduler
        if loops:
            scheduler.on_event(loops[-1]._dispatch_event)
            return None
        thread = scheduler._thread
        scheduler.stop(timeout=0)
        return thread


# ------------------------------------------------------------------ parsing


def _as_update(data: Any) -> Dict[str, Any]:
    """A dict update from a dict, or JSON text as str or bytes; ValueError otherwise."""
    if type(data) is dict:
        return data
    if isinstance(data, (str, bytes, bytearray)):
        data = json.loads(data)
        if isinstance(data, dict):
            return data
        raise ValueError(f"an update must be a JSON object, not {type(data).__name__}")
    raise ValueError(f"an update must be a dict, str or bytes, not {type(data).__name__}")


# ------------------------------------------------------------------ the loops


class _Loop:
    """What every loop shares: the handler, the thread, stopping, the scheduler."""

    _thread_name = "telegrambot-loop"

    def __init__(self, bot: Any, handle: Handler = None) -> None:
        self.bot = bot
        #: The exception that ended the loop (an UnauthorizedError), else None.
        self.exception: Optional[BaseException] = None
        self._stopping = threading.Event()
        self._thread: Optional[threading.Thread] = None
        # set when the thread is done; waited on instead of Thread.join, which Ctrl-C can
        # leave believing a running thread has ended (CPython 3.11, _wait_for_tstate_lock)
        self._ended = threading.Event()
        self._ended.set()
        self._lock = threading.Lock()  # one handler call at a time
        direct: Dict[Any, Callable[..., Any]] = {}
        if handle is None:
            check = getattr(bot, "_check_handlers", None)
            if check is not None:
                check()  # a bot with nothing to route to fails here, not once per update
                direct = bot._flavor_table()  # the default router's methods, called directly
            handle = bot.handle
        # a function is a routing table with only a default
        self._table: Dict[Any, Callable[..., Any]] = (
            dict(handle) if isinstance(handle, dict) else direct
        )
        if isinstance(handle, dict):
            self._default = self._table.get(None) or self._unrouted
        else:
            self._default = handle
        self._unrouted_flavors: set = set()

    # -- handling

    def _unrouted(self, msg: Any) -> None:
        """The default of a routing table without one: skip, saying so once per flavor."""
        try:
            flavor_ = flavor(msg)
        except Exception:
            flavor_ = None
        if flavor_ not in self._unrouted_flavors:
            self._unrouted_flavors.add(flavor_)
            log.warning(
                "no handler for flavor %r in the routing table (a None key sets a default); "
                "such updates are skipped",
                flavor_,
            )

    def _dispatch(self, update: Dict[str, Any]) -> None:
        """Hand one update's inner object to the handler; never raises."""
        try:
            for key in update:
                if key != "update_id":
                    break
            else:
                log.error("update %s carries no object; skipped", update.get("update_id"))
                return
            msg = update[key]
            flavor_ = update_flavors.get(key)
            if flavor_ is None or key in _SAME_SHAPE:
                flavor_ = key
                if type(msg) is dict:
                    msg[UPDATE_TYPE_KEY] = key
            fn = self._table.get(flavor_) or self._default
            with self._lock:
                fn(msg)
        except Exception:
            log.exception("handler failed on update %s", _update_id(update))

    def _dispatch_event(self, event: Any) -> None:
        """The scheduler's callback: events go through the same handler."""
        try:
            if type(event) is dict and len(event) == 1:
                flavor_ = next(iter(event))
            else:
                flavor_ = flavor(event)
            fn = self._table.get(flavor_) or self._default
            with self._lock:
                fn(event)
        except Exception:
            log.exception("handler failed on event %r", event)

    # -- running

    def _start(self: _L, kwargs: Dict[str, Any]) -> _L:
        if self.is_alive():
            raise RuntimeError("this loop is already running")
        self._stopping.clear()
        self._ended.clear()
        self.exception = None
        _register(self)
        self._thread = threading.Thread(
            target=self._run, kwargs=kwargs, name=self._thread_name, daemon=True
        )
        self._thread.start()
        return self

    def _run(self, **kwargs: Any) -> None:
        try:
            self._serve(**kwargs)
        except UnauthorizedError as e:
            self.exception = e
            log.error(
                "the Bot API rejected the bot token (%s): check the token; the loop has ended", e
            )
        except BaseException as e:  # a bug: keep it visible
            self.exception = e
            log.exception("the loop ended on an unexpected error")
        finally:
            _unregister(self)
            self._ended.set()

    # each loop class defines these, with its own parameters
    _serve: Callable[..., None]
    run_as_thread: Callable[..., "_Loop"]

    def _interrupt(self) -> None:
        """Wake the loop's thread if it is waiting on I/O (a long poll, a queue)."""

    def run_forever(self, **kwargs: Any) -> None:
        """Run until stopped (Ctrl-C stops it cleanly); takes the arguments of run_as_thread.

        Raises the error that ended the loop, if any (a rejected token).
        """
        self.run_as_thread(**kwargs)
        self.wait()

    def wait(self) -> None:
        """Block until the loop ends; Ctrl-C stops it. Raises the error that ended it."""
        try:
            while not self._ended.wait(1.0):
                pass
        except KeyboardInterrupt:
            log.info("interrupted: stopping")
            self.stop()
            return
        if self.exception is not None:
            raise self.exception

    def _in_handler(self) -> bool:
        """True on the threads that run this loop's handler (its own, the scheduler's)."""
        current = threading.current_thread()
        return current is self._thread or current is self.bot.scheduler._thread

    def stop(self, timeout: float = 2.0) -> None:
        """End the loop's thread (and the scheduler, if no other loop of the bot runs).

        Called from a handler (of an update or an event), it returns at once and the loop
        ends once that handler has returned: waiting would wait for the caller itself.
        """
        deadline = time.monotonic() + timeout
        self._stopping.set()
        thread = self._thread
        if self._in_handler():
            self._interrupt()
            _unregister(self)
            return
        if thread is not None:
            while not self._ended.is_set():
                self._interrupt()
                left = deadline - time.monotonic()
                if left <= 0:
                    log.warning("%s did not end within %.1f s", thread.name, timeout)
                    break
                self._ended.wait(min(left, 0.05))
            thread.join(max(0.0, deadline - time.monotonic()))
        scheduler_thread = _unregister(self)
        if scheduler_thread is not None and scheduler_thread is not threading.current_thread():
            scheduler_thread.join(max(0.0, deadline - time.monotonic()))

    def join(self, timeout: Optional[float] = None) -> bool:
        """Wait for the loop to end; True if it has."""
        return self._ended.wait(timeout)

    def is_alive(self) -> bool:
        """True while the loop runs."""
        return not self._ended.is_set()


def _update_id(update: Any) -> Any:
    return update.get("update_id") if isinstance(update, dict) else None


class MessageLoop(_Loop):
    """Polls getUpdates and hands every update to ``handle`` (default ``bot.handle``).

    ``MessageLoop(bot, handle).run_as_thread()`` or ``.run_forever()``; ``stop()`` ends it.
    """

    _thread_name = "telegrambot-poll"

    def __init__(self, bot: Any, handle: Handler = None) -> None:
        super().__init__(bot, handle)
        self._polling = False
        #: The next update_id asked for (updates below it were handled).
        self.offset: Optional[int] = None

    def run_as_thread(
        self,
        relax: float = 0.1,
        timeout: int = 20,
        allowed_updates: Optional[List[str]] = None,
        offset: Optional[int] = None,
    ) -> "MessageLoop":
        """Start polling on a thread; returns self.

        :param relax: seconds to wait after a getUpdates that brought nothing (while
            updates keep coming, the next getUpdates follows at once).
        :param timeout: long-poll ``timeout`` of getUpdates, in seconds.
        :param allowed_updates: update types to receive (``allowed_updates`` of getUpdates).
        :param offset: the first update_id to ask for (default: where the server left off).
        """
        return self._start(
            dict(relax=relax, timeout=timeout, allowed_updates=allowed_updates, offset=offset)
        )

    def _start(self, kwargs: Dict[str, Any]) -> "MessageLoop":
        # One poller per bot: two would each get every update. One stopped from its
        # handler may still be finishing: the new one waits for it and goes on from its offset.
        with _loops_lock:
            previous = _pollers.get(self.bot)
            if previous is not None and previous is not self and not previous._stopping.is_set():
                raise RuntimeError(
                    "this bot is already polling for updates (each poller would get every "
                    "update): stop that loop (bot.stop()) before starting another"
                )
            _pollers[self.bot] = self
        return super()._start(dict(kwargs, previous=previous))

    def _interrupt(self) -> None:
        if self._polling:
            abort = getattr(getattr(self.bot, "_api", None), "abort_long_poll", None)
            if abort is not None:
                abort()

    def _serve(self, **kwargs: Any) -> None:
        try:
            self._poll(**kwargs)
        finally:
            with _loops_lock:  # from now on, a new poller need not wait for this one
                if _pollers.get(self.bot) is self:
                    del _pollers[self.bot]

    def _poll(
        self,
        relax: float,
        timeout: int,
        allowed_updates: Optional[List[str]],
        offset: Optional[int],
        previous: Optional["MessageLoop"],
    ) -> None:
        stopping = self._stopping
        if previous is not None and previous is not self:
            while not previous._ended.wait(0.05):
                if stopping.is_set():
                    return
            if offset is None:
                offset = previous.offset
        self.offset = offset
        failures = 0
        confirmed = offset
        while not stopping.is_set():
            delay = None
            self._polling = True
            try:
                if stopping.is_set():
                    break
                updates = self.bot.getUpdates(
                    offset=self.offset, timeout=timeout, allowed_updates=allowed_updates
                )
            except UnauthorizedError:
                raise
            except Exception as e:
                if stopping.is_set():
                    break
                failures += 1
                delay = self._fault_delay(e, failures)
            finally:
                self._polling = False
            if delay is not None:
                stopping.wait(delay)
                continue
            failures = 0
            confirmed = self.offset
            if updates:
                self._handle_batch(updates)
            elif relax:
                stopping.wait(relax)
        if self.offset != confirmed:
            self._confirm()

    def _handle_batch(self, updates: List[Dict[str, Any]]) -> None:
        stopping = self._stopping
        for update in updates:
            try:
                update_id = int(update["update_id"])
            except (TypeError, KeyError, ValueError):
                log.error("getUpdates gave an update without update_id; skipped: %.200r", update)
                continue
            if self.offset is not None and update_id < self.offset:
                # Not a repeat (the server only sends from the offset on): Telegram numbers
                # updates afresh after a week without any. Skipping would poll forever.
                log.warning(
                    "update_id went back from %s to %s: following the server's new numbering",
                    self.offset - 1,
                    update_id,
                )
            self._dispatch(update)
            self.offset = update_id + 1
            if stopping.is_set():
                return

    @staticmethod
    def _fault_delay(e: Exception, failures: int) -> float:
        """Log a failed getUpdates; return how long to wait before the next one."""
        backoff = min(BACKOFF_MAX, BACKOFF_START * 2 ** (failures - 1))
        if isinstance(e, TooManyRequestsError) and e.retry_after is not None:
            log.warning("getUpdates: too many requests, waiting %s s as asked", e.retry_after)
            return float(e.retry_after)
        if isinstance(e, ConflictError):
            log.error(
                "getUpdates refused (%s): a webhook is set for this bot (call bot.deleteWebhook() "
                "to poll, or receive through the webhook), or another process polls with the "
                "same token (stop it); retrying in %.1f s",
                e,
                backoff,
            )
        elif isinstance(e, (ValueError, TypeError, AttributeError, KeyError)):
            log.exception("getUpdates: unexpected answer; retrying in %.1f s", backoff)
        else:
            log.warning(
                "getUpdates failed (%s: %s); retrying in %.1f s", type(e).__name__, e, backoff
            )
        return backoff

    def _confirm(self) -> None:
        """Tell the server which updates were handled, so a restart does not repeat them."""
        try:
            self.bot.getUpdates(offset=self.offset, limit=1, timeout=0, request_timeout=1.0)
        except Exception as e:
            log.warning("could not confirm handled updates up to %s: %s", self.offset, e)


class Webhook(_Loop):
    """Hands updates fed to it (webhook payloads) to ``handle``, in arrival order.

    ``Webhook(bot, handle).run_as_thread()``, then ``feed(data)`` from any thread.
    ``source`` is the queue to read (one is made if None); other code may put updates
    (dicts, or JSON as str/bytes) there directly.
    """

    _thread_name = "telegrambot-queue"

    def __init__(self, bot: Any, handle: Handler = None, source: Any = None) -> None:
        super().__init__(bot, handle)
        if source is None:
            source = queue.Queue()
        elif not (
            callable(getattr(source, "get", None)) and callable(getattr(source, "put", None))
        ):
            raise TypeError(
                f"source must be a queue (with get() and put()), not {type(source).__name__}"
            )
        self.source = source
        self._sentinel = _Stop()  # a new one each start: one left behind is not ours
        self._woken = False
        self._wait: Optional[float] = None  # how long a get() may block (ordering deadlines)

    def feed(self, data: Union[Dict[str, Any], str, bytes]) -> None:
        """Queue one `Update <https://core.telegram.org/bots/api#update>`_ (a dict, or its
        JSON as str or bytes). Raises ValueError for data that is not an update."""
        update = _as_update(data)
        if not isinstance(update.get("update_id"), int):
            raise ValueError("an update needs an integer update_id")
        self.source.put(update)

    def run_as_thread(self) -> "Webhook":
        """Start handling fed updates on a thread; returns self."""
        return self._start({})

    def _start(self: _W, kwargs: Dict[str, Any]) -> _W:
        if not self.is_alive():  # a running one keeps its own (and super() refuses it)
            self._sentinel = _Stop()
            self._woken = False
        return super()._start(kwargs)

    def _interrupt(self) -> None:
        if not self._woken:
            self._woken = True
            try:
                self.source.put_nowait(self._sentinel)
            except (AttributeError, queue.Full):
                pass  # the loop sees the stop flag with its next update

    def _items(self) -> Any:
        """Updates from the source as dicts, until stopped; yields None on a get timeout."""
        get = self.source.get
        sentinel = self._sentinel
        stopping = self._stopping
        while True:
            try:
                item = get(True, self._wait)
            except queue.Empty:
                yield None
                continue
            if type(item) is not dict:
                if type(item) is _Stop:
                    if item is sentinel:
                        return
                    continue  # left by an earlier loop on the same queue
                try:
                    item = _as_update(item)
                except ValueError as e:
                    log.error("not an update, skipped: %s", e)
                    continue
            yield item
            if stopping.is_set():
                return  # what is still queued stays there for the next reader

    def _serve(self) -> None:
        dispatch = self._dispatch
        for update in self._items():
            if update is not None:
                dispatch(update)


class OrderedWebhook(Webhook):
    """Like :class:`Webhook`, but hands updates over in update_id order.

    An update that arrives before a smaller update_id is held until the gap is filled, at
    most ``maxhold`` seconds; a smaller update_id arriving after that is discarded (so is
    a repeated one), unless no update came for :data:`RENUMBER_IDLE` seconds: then it
    starts a new numbering. ``OrderedWebhook(bot, handle).run_as_thread(maxhold=3)``.
    """

    def run_as_thread(self, maxhold: float = 3) -> "OrderedWebhook":  # type: ignore[override]
        """Start handling fed updates on a thread; returns self."""
        return self._start({"maxhold": maxhold})

    def _serve(self, maxhold: float = 3) -> None:  # type: ignore[override]
        dispatch = self._dispatch
        held: Dict[int, Dict[str, Any]] = {}  # update_id -> update that came too early
        arrivals: deque = deque()  # (deadline, update_id) of held updates, in arrival order
        expected: Optional[int] = None  # the update_id that may be handed over at once
        taken = 0.0  # when the last update was handed over or held
        renumber_idle = RENUMBER_IDLE

        def release(upto: Optional[int]) -> Optional[int]:
            """Hand over held updates up to ``upto`` (gaps skipped), then any that follow."""
            nxt = expected
            if upto is not None:
                for update_id in sorted(i for i in held if i <= upto):
                    dispatch(held.pop(update_id))
                nxt = upto + 1
            while nxt in held:
                dispatch(held.pop(nxt))
                nxt += 1
            return nxt

        for update in self._items():
            if update is not None:
                update_id = update.get("update_id")
                if type(update_id) is not int:
                    log.error("update without an integer update_id, skipped: %.200r", update)
                else:
                    if (
                        expected is not None
                        and update_id < expected
                        and time.monotonic() - taken >= renumber_idle
                    ):
                        log.warning(
                            "update_id went back from %s to %s after a long quiet: taken as "
                            "a new numbering",
                            expected - 1,
                            update_id,
                        )
                        if held:
                            release(max(held))
                        expected = None
                    if update_id == expected or expected is None:
                        dispatch(update)
                        expected = update_id + 1
                        if held:
                            expected = release(None)
                        taken = time.monotonic()
                    elif update_id > expected:
                        if update_id not in held:
                            taken = time.monotonic()
                            held[update_id] = update
                            arrivals.append((taken + maxhold, update_id))
                    else:
                        log.warning(
                            "update %s came after itself or a later one; discarded", update_id
                        )
            if held:
                now = time.monotonic()
                upto = None
                while arrivals and (arrivals[0][1] not in held or arrivals[0][0] <= now):
                    _, update_id = arrivals.popleft()
                    if update_id in held and (upto is None or update_id > upto):
                        upto = update_id
                if upto is not None:
                    expected = release(upto)
                while arrivals and arrivals[0][1] not in held:
                    arrivals.popleft()
            if not held:
                arrivals.clear()
            self._wait = max(0.0, arrivals[0][0] - time.monotonic()) if arrivals else None
        # stopping: what was held has waited long enough
        if held:
            release(max(held))


# ------------------------------------------------------------------ Bot.message_loop / Bot.stop


def bot_message_loop(
    bot: Any,
    callback: Handler = None,
    *,
    relax: float = 0.1,
    timeout: int = 20,
    source: Any = None,
    ordered: bool = True,
    maxhold: float = 3,
    run_forever: Union[bool, str] = False,
    allowed_updates: Optional[List[str]] = None,
) -> _Loop:
    """The body of ``Bot.message_loop``: start a loop (and the scheduler); return the loop."""
    loop: _Loop
    if source is None:
        loop = MessageLoop(bot, callback).run_as_thread(
            relax=relax, timeout=timeout, allowed_updates=allowed_updates
        )
    elif ordered:
        loop = OrderedWebhook(bot, callback, source=source).run_as_thread(maxhold=maxhold)
    else:
        loop = Webhook(bot, callback, source=source).run_as_thread()
    if run_forever:
        if isinstance(run_forever, str):
            print(run_forever)
        loop.wait()
    return loop


def bot_stop(bot: Any, timeout: float = 2.0) -> None:
    """The body of ``Bot.stop``: stop every loop of ``bot`` and its scheduler."""
    deadline = time.monotonic() + timeout
    with _loops_lock:
        loops = list(_loops.get(bot, ()))
    for loop in loops:
        loop._stopping.set()
        loop._interrupt()
    for loop in loops:
        loop.stop(max(0.0, deadline - time.monotonic()))
    # from a handler, the scheduler may be waiting for that very handler: do not wait for it
    inside = any(loop._in_handler() for loop in loops)
    bot.scheduler.stop(0.0 if inside else max(0.0, deadline - time.monotonic()))

"""Which function gets an update or an event: what both runtimes' loops share.

A loop is given a handler: a function, a routing table ``{flavor: function}`` (``None`` as
key for a default), or nothing (the bot's default router, whose ``on_<flavor>`` methods the
loop calls directly). :class:`Routes` holds that choice and picks the function and the
object for each update (its inner object: the ``message``, the ``callback_query``, ...) or
event; the threaded loop calls the function under its lock, the asyncio loop awaits it if
it gives an awaitable. No I/O: a flavor without a handler is logged once.
"""

import json
import logging
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

from .core.errorhook import checked_hook
from .core.flavor import flavor, inner, plain_flavors
from .core.ordering import Reorderer, verdict_note
from .core.polling import PollState

__all__ = ["Handler", "Polling", "error_hook", "QUEUE_SIZE", "Routes", "Wakeup", "as_update", "in_order", "take_queued",
           "unwrap", "update_id_of"]

log = logging.getLogger("telegrambot.loop")

#: Most updates the queue that a queue-fed loop makes for itself holds (``maxsize``).
QUEUE_SIZE = 1000

Handler = Union[None, Callable[[Dict[str, Any]], Any], Dict[Optional[str], Callable[..., Any]]]


class Routes:
    """The handler of a loop of ``bot`` as a table by flavor and a default (see the module
    documentation). A bot with nothing to route to raises TypeError here."""

    __slots__ = ("table", "default", "pick", "_unrouted_flavors")

    def __init__(self, bot: Any, handle: Handler = None) -> None:
        direct: Dict[Any, Callable[..., Any]] = {}
        if handle is None:
            check = getattr(bot, "_check_handlers", None)
            if check is not None:
                check()  # a bot with nothing to route to fails here, not once per update
                direct = bot._flavor_table()  # the default router's methods, called directly
            handle = bot.handle
        # a function is a routing table with only a default
        self.table: Dict[Any, Callable[..., Any]] = dict(handle) if isinstance(handle, dict) else direct
        self.default: Callable[..., Any]
        if isinstance(handle, dict):
            self.default = self.table.get(None) or self.unrouted
        else:
            self.default = handle
        self._unrouted_flavors: set = set()
        #: ``pick(update)``: ``(function, inner object)`` for ``update``; None (logged)
        #: when it carries no object. Raises what a malformed update makes
        #: :func:`~telegrambot.flavor` raise. A closure: it runs for every update.
        self.pick: Callable[[Dict[str, Any]], Optional[Tuple[Callable[..., Any], Any]]] = (
            _picker(self.table, self.default))

    def unrouted(self, msg: Any) -> None:
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

    def pick_event(self, event: Any) -> Callable[..., Any]:
        """The function for a scheduler event (``{'_flavor': data}`` by convention)."""
        if type(event) is dict and len(event) == 1:
            flavor_ = next(iter(event))
        else:
            flavor_ = flavor(event)
        return self.table.get(flavor_) or self.default


def _picker(table: Dict[Any, Callable[..., Any]], default: Callable[..., Any]) -> Any:
    get, plain = table.get, plain_flavors.get

    def pick(update: Dict[str, Any]) -> Optional[Tuple[Callable[..., Any], Any]]:
        for key in update:
            if key != "update_id":
                break
        else:
            log.error("update %s carries no object; skipped", update.get("update_id"))
            return None
        flavor_ = plain(key)  # most updates: no need to call inner()
        if flavor_ is None:
            flavor_, msg = inner(update)
        else:
            msg = update[key]
        return get(flavor_) or default, msg

    return pick


def error_hook(bot: Any, on_error: Any) -> Any:
    """A loop's ``on_error``: the one given (TypeError unless callable), else the bot's
    (a DelegatorBot's), else None (the error is logged)."""
    return checked_hook(on_error) if on_error is not None else getattr(bot, "on_error", None)


def as_update(data: Any) -> Dict[str, Any]:
    """A dict update from a dict, or JSON text as str or bytes; ValueError otherwise."""
    if type(data) is dict:
        return data
    if isinstance(data, (str, bytes, bytearray)):
        data = json.loads(data)
        if isinstance(data, dict):
            return data
        raise ValueError(f"an update must be a JSON object, not {type(data).__name__}")
    raise ValueError(f"an update must be a dict, str or bytes, not {type(data).__name__}")


def update_id_of(update: Any) -> Any:
    """The update_id of ``update``, None if it has none."""
    return update.get("update_id") if isinstance(update, dict) else None


# ---------------------------------------------------------------- polling loops


class Polling:
    """What a polling loop of either runtime keeps (a mixin before the runtime's loop
    class): its :class:`~telegrambot.core.polling.PollState` and whether a getUpdates is
    in progress (so that a stop aborts it)."""

    def __init__(self, bot: Any, handle: Handler = None, **options: Any) -> None:
        super().__init__(bot, handle, **options)  # type: ignore[call-arg]
        self._polling = False
        self._state = PollState()

    @property
    def offset(self) -> Optional[int]:
        """The next update_id asked for (updates below it were handled)."""
        return self._state.offset


# ---------------------------------------------------------------- queue-fed loops


class Wakeup:
    """Put in a source queue by a loop's stop(): wakes the loop that owns it (a new one
    each start, so that one left behind on a shared queue is not taken for ours)."""

    __slots__ = ()


def unwrap(item: Any) -> Optional[Dict[str, Any]]:
    """A queued item that is not a dict: an update as JSON, a wake-up or junk (None, junk
    logged)."""
    if type(item) is Wakeup:
        return None  # ours, or left by an earlier loop on the same queue
    try:
        return as_update(item)
    except ValueError as e:
        log.error("not an update, skipped: %s", e)
        return None


def take_queued(get_nowait: Callable[[], Any], empty: Any) -> List[Dict[str, Any]]:
    """Every update in a queue now (``get_nowait`` raises ``empty`` when there is none
    left), taken out; wake-ups and junk dropped."""
    taken: List[Dict[str, Any]] = []
    while True:
        try:
            item = get_nowait()
        except empty:
            return taken
        if type(item) is not dict:
            item = unwrap(item)
            if item is None:
                continue
        taken.append(item)


def in_order(reorderer: Reorderer, update: Dict[str, Any], now: float) -> List[Dict[str, Any]]:
    """The updates ``reorderer`` makes ready now that ``update`` came (logging what is
    not in order); an update without an integer update_id is skipped (logged)."""
    update_id = update.get("update_id")
    if type(update_id) is not int:
        log.error("update without an integer update_id, skipped: %.200r", update)
        return []
    verdict = reorderer.push(update_id, update, now)
    if not verdict:
        return [update]
    note = verdict_note(verdict, update_id, reorderer.expected)
    if note is not None:
        note.log(log)
    return reorderer.take()

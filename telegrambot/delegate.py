"""Seeders, delegator factories and pair producers for :class:`telegrambot.DelegatorBot`.

A delegation pattern is a pair ``(seeder, delegator)``:

- a *seeder* takes a message and returns a seed: None (no delegate for it), a hashable
  value (at most one live delegate per value: a chat id, a user id, ...), or an unhashable
  one (a new delegate every time);
- a *delegator* takes the seed tuple ``(bot, msg, seed)`` and returns the delegate: an
  object with ``start()`` and ``is_alive()`` (a thread), a function to run on a new
  thread, or a tuple ``(function, args, kwargs)``.

*Pair producers* (:func:`pair`, :func:`pave_event_space`, ...) build such pairs and can be
stacked: ``pave_event_space()(per_chat_id(), create_open, MyHandler, timeout=10)``.
"""

import functools
import itertools
import logging
import threading
from typing import Any, Callable, Iterable, List, Sequence, Tuple, Union

from . import exception
from ._flavor import flavor, is_event, peel
from .core.bounded import LimitedDict
from .helper import Router, chat_flavors, inline_flavors

__all__ = [
    "per_chat_id",
    "per_chat_id_in",
    "per_chat_id_except",
    "per_from_id",
    "per_from_id_in",
    "per_from_id_except",
    "per_inline_from_id",
    "per_inline_from_id_in",
    "per_inline_from_id_except",
    "per_application",
    "per_message",
    "per_event_source_id",
    "per_callback_query_chat_id",
    "per_callback_query_origin",
    "per_invoice_payload",
    "call",
    "create_run",
    "create_open",
    "until",
    "chain",
    "pair",
    "pave_event_space",
    "include_callback_query_chat_id",
    "intercept_callback_query_origin",
]

log = logging.getLogger(__name__)

Seeder = Callable[[Any], Any]
SeedTuple = Tuple[Any, Any, Any]


def _wrap_none(fn: Seeder) -> Seeder:
    """A seeder that gives None where ``fn`` finds no such field (or no known flavor)."""

    @functools.wraps(fn)
    def seeder(msg: Any) -> Any:
        try:
            return fn(msg)
        except (KeyError, TypeError, exception.BadFlavor):
            return None

    return seeder


def _type_ok(msg: Any, types: Any) -> bool:
    return types == "all" or msg["chat"]["type"] in types


def _flavor_ok(msg: Any, flavors: Any) -> bool:
    return flavors == "all" or flavor(msg) in flavors


def per_chat_id(types: Union[str, Sequence[str]] = "all") -> Seeder:
    """Seed: the chat id, for chats whose type is in ``types`` (``'private'``,
    ``'group'``, ``'supergroup'``, ``'channel'``) or of any type."""
    return _wrap_none(lambda msg: msg["chat"]["id"] if _type_ok(msg, types) else None)


def per_chat_id_in(s: Iterable[Any], types: Union[str, Sequence[str]] = "all") -> Seeder:
    """Seed: the chat id, if it is in ``s`` (and the chat type in ``types``)."""
    return _wrap_none(lambda msg: msg["chat"]["id"]
                      if _type_ok(msg, types) and msg["chat"]["id"] in s else None)


def per_chat_id_except(s: Iterable[Any], types: Union[str, Sequence[str]] = "all") -> Seeder:
    """Seed: the chat id, if it is not in ``s`` (and the chat type in ``types``)."""
    return _wrap_none(lambda msg: msg["chat"]["id"]
                      if _type_ok(msg, types) and msg["chat"]["id"] not in s else None)


def per_from_id(flavors: Union[str, Sequence[str]] = chat_flavors + inline_flavors) -> Seeder:
    """Seed: the sender's user id, for messages whose flavor is in ``flavors`` (or any)."""
    return _wrap_none(lambda msg: msg["from"]["id"] if _flavor_ok(msg, flavors) else None)


def per_from_id_in(s: Iterable[Any], flavors: Union[str, Sequence[str]] = chat_flavors + inline_flavors) -> Seeder:
    """Seed: the sender's user id, if it is in ``s`` (and the flavor in ``flavors``)."""
    return _wrap_none(lambda msg: msg["from"]["id"]
                      if _flavor_ok(msg, flavors) and msg["from"]["id"] in s else None)


def per_from_id_except(s: Iterable[Any], flavors: Union[str, Sequence[str]] = chat_flavors + inline_flavors) -> Seeder:
    """Seed: the sender's user id, if it is not in ``s`` (and the flavor in ``flavors``)."""
    return _wrap_none(lambda msg: msg["from"]["id"]
                      if _flavor_ok(msg, flavors) and msg["from"]["id"] not in s else None)


def per_inline_from_id() -> Seeder:
    """Seed: the user id of inline queries and chosen inline results."""
    return per_from_id(flavors=inline_flavors)


def per_inline_from_id_in(s: Iterable[Any]) -> Seeder:
    """:func:`per_inline_from_id` for the user ids in ``s``."""
    return per_from_id_in(s, flavors=inline_flavors)


def per_inline_from_id_except(s: Iterable[Any]) -> Seeder:
    """:func:`per_inline_from_id` for the user ids not in ``s``."""
    return per_from_id_except(s, flavors=inline_flavors)


def per_application() -> Seeder:
    """Seed: always 1, so at most one delegate for the whole application."""
    return lambda msg: 1


def per_message(flavors: Union[str, Sequence[str]] = "all") -> Seeder:
    """Seed: an unhashable value (a new delegate for every message) for messages whose
    flavor is in ``flavors``."""
    return _wrap_none(lambda msg: [] if _flavor_ok(msg, flavors) else None)


def per_event_source_id(event_space: Any) -> Seeder:
    """Seed: the source id of standard events of ``event_space`` (see
    :class:`telegrambot.helper.StandardEventScheduler`)."""

    def seeder(event: Any) -> Any:
        if not is_event(event):
            return None
        source = peel(event)["source"]
        return source["id"] if source["space"] == event_space else None

    return _wrap_none(seeder)


def per_callback_query_chat_id(types: Union[str, Sequence[str]] = "all") -> Seeder:
    """Seed: the chat id of the message a callback query comes from (chat type in
    ``types``)."""

    def seeder(msg: Any) -> Any:
        if flavor(msg) == "callback_query" and "message" in msg and _type_ok(msg["message"], types):
            return msg["message"]["chat"]["id"]
        return None

    return _wrap_none(seeder)


def per_callback_query_origin(origins: Union[str, Sequence[str]] = "all") -> Seeder:
    """Seed: a callback query's origin, always a tuple: ``(chat_id, message_id)`` or
    ``(inline_message_id,)``, for the origin kinds in ``origins`` (``'chat'``,
    ``'inline'``)."""

    def seeder(msg: Any) -> Any:
        if flavor(msg) != "callback_query":
            return None
        if "inline_message_id" in msg:
            if origins == "all" or "inline" in origins:
                return (msg["inline_message_id"],)
        elif "message" in msg and (origins == "all" or "chat" in origins):
            return msg["message"]["chat"]["id"], msg["message"]["message_id"]
        return None

    return _wrap_none(seeder)


_PAYMENT_MESSAGES = ("successful_payment", "refunded_payment")


def per_invoice_payload() -> Seeder:
    """Seed: the ``invoice_payload`` of a payment: that of a shipping query, a
    pre-checkout query, or a message with a ``successful_payment`` (or
    ``refunded_payment``), so one delegate follows an invoice from the shipping query to
    the payment (see :class:`telegrambot.helper.InvoiceHandler`)."""

    def seeder(msg: Any) -> Any:
        kind = flavor(msg)
        if kind == "shipping_query" or kind == "pre_checkout_query":
            return msg["invoice_payload"]
        if kind == "chat":
            for field in _PAYMENT_MESSAGES:
                if field in msg:
                    return msg[field]["invoice_payload"]
        return None

    return _wrap_none(seeder)


# ------------------------------------------------------------------ delegators


def call(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[[SeedTuple], Any]:
    """Delegator: run ``func(seed_tuple, *args, **kwargs)`` on a new thread."""

    def delegator(seed_tuple: SeedTuple) -> Tuple[Callable[..., Any], tuple, dict]:
        return func, (seed_tuple,) + args, kwargs

    return delegator


def create_run(cls: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[[SeedTuple], Any]:
    """Delegator: build ``cls(seed_tuple, *args, **kwargs)`` and run its ``run()`` on a
    new thread."""

    def delegator(seed_tuple: SeedTuple) -> Callable[[], Any]:
        return cls(seed_tuple, *args, **kwargs).run

    return delegator


def create_open(cls: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[[SeedTuple], Any]:
    """Delegator: build ``cls(seed_tuple, *args, **kwargs)`` and, on a new thread, call
    ``open(msg, seed)`` (then ``on_message(msg)`` unless ``open`` returns true), then
    ``on_message`` for each message its listener receives, until it closes; ``on_close``
    gets the reason: IdleTerminate, StopListening, or the exception that ended it (logged).
    """

    def delegator(seed_tuple: SeedTuple) -> Callable[[], None]:
        obj = cls(seed_tuple, *args, **kwargs)

        def wait_loop() -> None:
            bot, msg, seed = seed_tuple
            try:
                if not obj.open(msg, seed):
                    obj.on_message(msg)
                while True:
                    obj.on_message(obj.listener.wait())
            except (exception.IdleTerminate, exception.StopListening) as e:
                obj.on_close(e)
            except Exception as e:
                log.exception("delegate %s for seed %r failed", type(obj).__name__, seed)
                obj.on_close(e)

        return wait_loop

    return delegator


# ------------------------------------------------------------------ composing seeders


def until(condition: Callable[[Any], bool], fns: Sequence[Seeder]) -> Seeder:
    """Seeder: the first seed of ``fns`` that meets ``condition``, else None."""

    def seeder(msg: Any) -> Any:
        for fn in fns:
            seed = fn(msg)
            if condition(seed):
                return seed
        return None

    return seeder


def chain(*fns: Seeder) -> Seeder:
    """Seeder: the first seed of ``fns`` that is not None."""
    return until(lambda seed: seed is not None, fns)


def _ensure_seeders_list(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def producer(seeders: Any, *args: Any, **kwargs: Any) -> Any:
        return fn(seeders if isinstance(seeders, list) else [seeders], *args, **kwargs)

    return producer


@_ensure_seeders_list
def pair(seeders: List[Seeder], delegator_factory: Callable[..., Any], *args: Any, **kwargs: Any) -> Tuple[Seeder, Any]:
    """The basic pair producer: ``(seeder, delegator_factory(*args, **kwargs))``, where a
    list of several seeders is chained (:func:`chain`)."""
    return (chain(*seeders) if len(seeders) > 1 else seeders[0],
            delegator_factory(*args, **kwargs))


_event_spaces = itertools.count(1)


def pave_event_space(fn: Callable[..., Any] = pair) -> Callable[..., Any]:
    """Pair producer giving its delegates an event space of their own: the seeder also
    seeds on this space's events, and the delegator gets ``event_space=``."""
    event_space = next(_event_spaces)

    @_ensure_seeders_list
    def producer(seeders: List[Seeder], delegator_factory: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return fn(seeders + [per_event_source_id(event_space)],
                  delegator_factory, *args, event_space=event_space, **kwargs)

    return producer


def include_callback_query_chat_id(fn: Callable[..., Any] = pair, types: Union[str, Sequence[str]] = "all") -> Callable[..., Any]:
    """Pair producer: callback queries from a chat's messages go to that chat's delegate
    (the seeder seeds on them, the delegator gets ``include_callback_query=True``)."""

    @_ensure_seeders_list
    def producer(seeders: List[Seeder], delegator_factory: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return fn(seeders + [per_callback_query_chat_id(types=types)],
                  delegator_factory, *args, include_callback_query=True, **kwargs)

    return producer


#: Default number of callback query origins :func:`intercept_callback_query_origin` maps.
MAX_ORIGINS = 10_000


def intercept_callback_query_origin(fn: Callable[..., Any] = pair, origins: Union[str, Sequence[str]] = "all",
                                    max_origins: int = MAX_ORIGINS) -> Callable[..., Any]:
    """Pair producer: a callback query goes to the delegate that sent (or last edited)
    the message it comes from, even after that delegate closed (a new one starts for the
    same seed). Works with :class:`telegrambot.helper.InterceptCallbackQueryMixin`, which
    gets ``intercept_callback_query=``.

    :param origins: ``'all'`` or a list of origin kinds to map (``'chat'``, ``'inline'``).
    :param max_origins: how many origins (messages with buttons) are mapped at most: the
        oldest is forgotten when a new one would exceed it, so the map does not grow with
        every message the bot ever sent. A callback query from a forgotten origin of a
        closed delegate starts no delegate (the other seeders still apply).
    """
    origin_map = LimitedDict(max_origins)  # origin -> seed of the delegate that owns it
    lock = threading.Lock()
    origin_seed = per_callback_query_origin(origins=origins)
    # the origin is a tuple: wrapped once more so the router takes it as the key itself
    router = Router(lambda msg: (origin_seed(msg),), origin_map)

    def modify_origin_map(origin: Any, dest: Any, adding: bool) -> None:
        with lock:
            if adding:
                origin_map[origin] = dest
            else:
                origin_map.pop(origin, None)

    intercept: Any
    if origins == "all":
        intercept = modify_origin_map
    else:
        intercept = (modify_origin_map if "chat" in origins else False,
                     modify_origin_map if "inline" in origins else False)

    @_ensure_seeders_list
    def producer(seeders: List[Seeder], delegator_factory: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return fn(seeders + [_wrap_none(router.map)],
                  delegator_factory, *args, intercept_callback_query=intercept, **kwargs)

    return producer

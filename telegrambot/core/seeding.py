"""Seeders and pair producers of delegation patterns: which delegate a message is for.

A delegation pattern is a pair ``(seeder, delegator)``. A *seeder* takes a message and
returns a seed: None (no delegate for it), a hashable value (at most one live delegate per
value: a chat id, a user id, ...), or an unhashable one (a new delegate every time).
Seeders are pure functions of the message, so every runtime's ``DelegatorBot`` uses them as
they are. *Pair producers* (:func:`pair`, :func:`pave_event_space`, ...) build pairs and
can be stacked; they pass the delegator factory its arguments and do not care which
runtime's factory it is. See :mod:`telegrambot.delegate`.
"""

import functools
import itertools
from typing import Any, Callable, Iterable, List, Sequence, Tuple, Union

from ..exception import BadFlavor
from .flavor import chat_flavors, flavor, inline_flavors, is_event, peel

__all__ = [
    "Seeder",
    "SeedTuple",
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
    "wrap_none",
    "until",
    "chain",
    "pair",
    "pave_event_space",
    "event_space_of",
    "include_callback_query_chat_id",
    "seeders_list",
]

Seeder = Callable[[Any], Any]
SeedTuple = Tuple[Any, Any, Any]


def wrap_none(fn: Seeder) -> Seeder:
    """A seeder that gives None where ``fn`` finds no such field (or no known flavor)."""

    @functools.wraps(fn)
    def seeder(msg: Any) -> Any:
        try:
            return fn(msg)
        except (KeyError, TypeError, BadFlavor):
            return None

    return seeder


def _type_ok(msg: Any, types: Any) -> bool:
    return types == "all" or msg["chat"]["type"] in types


def _flavor_ok(msg: Any, flavors: Any) -> bool:
    return flavors == "all" or flavor(msg) in flavors


def per_chat_id(types: Union[str, Sequence[str]] = "all") -> Seeder:
    """Seed: the chat id, for chats whose type is in ``types`` (``'private'``,
    ``'group'``, ``'supergroup'``, ``'channel'``) or of any type."""
    return wrap_none(lambda msg: msg["chat"]["id"] if _type_ok(msg, types) else None)


def per_chat_id_in(s: Iterable[Any], types: Union[str, Sequence[str]] = "all") -> Seeder:
    """Seed: the chat id, if it is in ``s`` (and the chat type in ``types``)."""
    return wrap_none(lambda msg: msg["chat"]["id"]
                      if _type_ok(msg, types) and msg["chat"]["id"] in s else None)


def per_chat_id_except(s: Iterable[Any], types: Union[str, Sequence[str]] = "all") -> Seeder:
    """Seed: the chat id, if it is not in ``s`` (and the chat type in ``types``)."""
    return wrap_none(lambda msg: msg["chat"]["id"]
                      if _type_ok(msg, types) and msg["chat"]["id"] not in s else None)


def per_from_id(flavors: Union[str, Sequence[str]] = chat_flavors + inline_flavors) -> Seeder:
    """Seed: the sender's user id, for messages whose flavor is in ``flavors`` (or any)."""
    return wrap_none(lambda msg: msg["from"]["id"] if _flavor_ok(msg, flavors) else None)


def per_from_id_in(s: Iterable[Any], flavors: Union[str, Sequence[str]] = chat_flavors + inline_flavors) -> Seeder:
    """Seed: the sender's user id, if it is in ``s`` (and the flavor in ``flavors``)."""
    return wrap_none(lambda msg: msg["from"]["id"]
                      if _flavor_ok(msg, flavors) and msg["from"]["id"] in s else None)


def per_from_id_except(s: Iterable[Any], flavors: Union[str, Sequence[str]] = chat_flavors + inline_flavors) -> Seeder:
    """Seed: the sender's user id, if it is not in ``s`` (and the flavor in ``flavors``)."""
    return wrap_none(lambda msg: msg["from"]["id"]
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
    return wrap_none(lambda msg: [] if _flavor_ok(msg, flavors) else None)


def per_event_source_id(event_space: Any) -> Seeder:
    """Seed: the source id of standard events of ``event_space`` (see
    :class:`telegrambot.helper.StandardEventScheduler`)."""

    def seeder(event: Any) -> Any:
        if not is_event(event):
            return None
        source = peel(event)["source"]
        return source["id"] if source["space"] == event_space else None

    return wrap_none(seeder)


def per_callback_query_chat_id(types: Union[str, Sequence[str]] = "all") -> Seeder:
    """Seed: the chat id of the message a callback query comes from (chat type in
    ``types``)."""

    def seeder(msg: Any) -> Any:
        if flavor(msg) == "callback_query" and "message" in msg and _type_ok(msg["message"], types):
            return msg["message"]["chat"]["id"]
        return None

    return wrap_none(seeder)


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

    return wrap_none(seeder)


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

    return wrap_none(seeder)


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


def seeders_list(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Decorator of a pair producer: its first argument, one seeder or a list of them,
    always reaches it as a list."""

    @functools.wraps(fn)
    def producer(seeders: Any, *args: Any, **kwargs: Any) -> Any:
        return fn(seeders if isinstance(seeders, list) else [seeders], *args, **kwargs)

    return producer


@seeders_list
def pair(seeders: List[Seeder], delegator_factory: Callable[..., Any], *args: Any, **kwargs: Any) -> Tuple[Seeder, Any]:
    """The basic pair producer: ``(seeder, delegator_factory(*args, **kwargs))``, where a
    list of several seeders is chained (:func:`chain`)."""
    return (chain(*seeders) if len(seeders) > 1 else seeders[0],
            delegator_factory(*args, **kwargs))


# event spaces are numbered for the process: two patterns never share one
_event_spaces = itertools.count(1)


def pave_event_space(fn: Callable[..., Any] = pair) -> Callable[..., Any]:
    """Pair producer giving its delegates an event space of their own: the seeder also
    seeds on this space's events, and the delegator gets ``event_space=``."""
    event_space = next(_event_spaces)

    @seeders_list
    def producer(seeders: List[Seeder], delegator_factory: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        made = fn(seeders + [per_event_source_id(event_space)],
                  delegator_factory, *args, event_space=event_space, **kwargs)
        return _with_event_space(made, event_space)

    return producer


def _with_event_space(made: Any, event_space: Any) -> Any:
    """The pair ``made``, its seeder marked with the event space its delegates listen in
    (:func:`event_space_of`), so events can be made for a seed of that pattern."""
    if isinstance(made, tuple) and len(made) == 2 and callable(made[0]):
        seeder = made[0]
        if getattr(seeder, "event_space", None) is None:
            try:
                seeder.event_space = event_space
            except (AttributeError, TypeError):  # a seeder that takes no attributes
                def seeder(msg: Any, _inner: Seeder = made[0]) -> Any:
                    return _inner(msg)

                seeder.event_space = event_space  # type: ignore[attr-defined]
                return (seeder, made[1])
    return made


def event_space_of(seeder: Any) -> Any:
    """The event space of a delegation pattern made by :func:`pave_event_space` (its
    seeder's), or None."""
    return getattr(seeder, "event_space", None)


def include_callback_query_chat_id(fn: Callable[..., Any] = pair, types: Union[str, Sequence[str]] = "all") -> Callable[..., Any]:
    """Pair producer: callback queries from a chat's messages go to that chat's delegate
    (the seeder seeds on them, the delegator gets ``include_callback_query=True``)."""

    @seeders_list
    def producer(seeders: List[Seeder], delegator_factory: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return fn(seeders + [per_callback_query_chat_id(types=types)],
                  delegator_factory, *args, include_callback_query=True, **kwargs)

    return producer

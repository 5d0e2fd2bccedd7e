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

Seeders and the pair producers that only compose them are pure and live in
:mod:`telegrambot.core.seeding`, shared by both runtimes; the delegator factories here make
threads.
"""

import logging
import threading
from typing import Any, Callable, List, Sequence, Tuple, Union

from . import exception
from ._durable import delegate_state
from .core.bounded import LimitedDict
from .core.errorhook import report
from .core.routing import Router
from .core.seeding import (
    Seeder,
    SeedTuple,
    chain,
    include_callback_query_chat_id,
    pair,
    pave_event_space,
    per_application,
    per_callback_query_chat_id,
    per_callback_query_origin,
    per_chat_id,
    per_chat_id_except,
    per_chat_id_in,
    per_event_source_id,
    per_from_id,
    per_from_id_except,
    per_from_id_in,
    per_inline_from_id,
    per_inline_from_id_except,
    per_inline_from_id_in,
    per_invoice_payload,
    per_message,
    seeders_list,
    until,
    wrap_none,
)

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
    gets the reason: IdleTerminate, StopListening, or the exception that ended it, which
    first goes to the bot's ``on_error`` with the message (or event) being handled (without
    one, it is logged). What ``on_close`` raises goes the same way, with the same message.
    """

    def delegator(seed_tuple: SeedTuple) -> Callable[[], None]:
        obj = cls(seed_tuple, *args, **kwargs)

        def wait_loop() -> None:
            bot, msg, seed = seed_tuple
            reason: BaseException
            try:
                keeper = delegate_state(bot, obj, seed)
            except Exception as e:
                report(log, getattr(bot, "on_error", None), e, msg,
                       "delegate %s for seed %r: its state could not be loaded",
                       type(obj).__name__, seed)
                try:
                    obj.on_close(e)
                except Exception as close_error:
                    report(log, getattr(bot, "on_error", None), close_error, msg,
                           "on_close of delegate %s for seed %r failed", type(obj).__name__, seed)
                return
            if keeper is not None or getattr(bot, "_durable", None) is not None:
                _durable_loop(bot, obj, msg, seed, keeper)
                return
            try:
                if not obj.open(msg, seed):
                    obj.on_message(msg)
                while True:
                    msg = obj.listener.wait()
                    obj.on_message(msg)
            except (exception.IdleTerminate, exception.StopListening) as e:
                reason = e
            except Exception as e:
                report(log, getattr(bot, "on_error", None), e, msg,
                       "delegate %s for seed %r failed", type(obj).__name__, seed)
                reason = e
            try:
                obj.on_close(reason)
            except Exception as e:  # the delegate ends anyway
                report(log, getattr(bot, "on_error", None), e, msg,
                       "on_close of delegate %s for seed %r failed", type(obj).__name__, seed)

        return wait_loop

    return delegator


def _durable_loop(bot: Any, obj: Any, msg: Any, seed: Any, keeper: Any) -> None:
    """create_open's loop for a bot with a store: after each message, the state is saved
    in one commit with the update's marks (see :class:`telegrambot._durable.Durable`); a
    message this state applied before a crash is not handled again."""
    durable = bot._durable
    current = getattr(getattr(bot, "_delegates", None), "current", None)
    if current is not None and getattr(current, "held", None) is msg:
        current.held = None  # the first message: finished here, once handled
    listener = obj.listener
    listener.managed = True  # its messages are finished here, once handled
    def done(m: Any, save: bool = True) -> None:
        durable.save(keeper, m, save)  # with the events it scheduled meanwhile

    if keeper is None:
        def skip(m: Any) -> bool:
            return False
    else:
        def skip(m: Any) -> bool:
            return durable.skips(keeper, m)

    on_error = getattr(bot, "on_error", None)
    working: Any = msg
    last = msg  # the message (or event) handled last, for on_error
    reason: BaseException
    hold = durable.hold  # events scheduled while handling wait for its commit
    try:
        if skip(msg):
            done(msg, False)
        else:
            hold()
            if not obj.open(msg, seed):
                obj.on_message(msg)
            done(msg)
        while True:
            working = None
            working = last = listener.wait()
            if skip(working):
                done(working, False)
                continue
            hold()
            obj.on_message(working)
            done(working)
    except (exception.IdleTerminate, exception.StopListening) as e:
        if working is not None:
            done(working)  # it closed itself while handling it (self.close()): handled
        reason = e
    except Exception as e:
        if working is not None:
            done(working, False)  # handled, with an error: its state change is not saved
        report(log, on_error, e, last, "delegate %s for seed %r failed", type(obj).__name__, seed)
        reason = e
    if keeper is not None:
        keeper.flush()  # its successor for the seed loads what it saved
    try:
        obj.on_close(reason)
    except Exception as e:  # the delegate ends anyway
        report(log, on_error, e, last, "on_close of delegate %s for seed %r failed",
               type(obj).__name__, seed)


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

    @seeders_list
    def producer(seeders: List[Seeder], delegator_factory: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return fn(seeders + [wrap_none(router.map)],
                  delegator_factory, *args, intercept_callback_query=intercept, **kwargs)

    return producer

"""The ready-made delegates: :class:`ChatHandler`, :class:`UserHandler`,
:class:`InlineUserHandler`, :class:`CallbackQueryOriginHandler`, :class:`InvoiceHandler`,
:class:`Monitor`, and :func:`openable`, which gives a class what
:func:`telegrambot.delegate.create_open` needs.

Each is a context, the default router and the event mixins; what each captures is
:mod:`telegrambot.core.capture`'s.
"""

import logging
from typing import Any, Optional, Tuple

from .. import exception
from ..core.flavor import inline_flavors
from .contexts import (
    CallbackQueryOriginContext,
    ChatCaptures,
    ChatContext,
    InvoiceCaptures,
    InvoiceContext,
    ListenerContext,
    OriginCaptures,
    PatternCaptures,
    UserCaptures,
    UserContext,
)
from .events import IdleTerminateMixin, StandardEventMixin
from .listeners import Listener
from .router import DefaultRouterMixin

__all__ = [
    "openable",
    "Monitor",
    "ChatHandler",
    "UserHandler",
    "InlineUserHandler",
    "CallbackQueryOriginHandler",
    "InvoiceHandler",
]

log = logging.getLogger(__name__)


def openable(cls: type) -> type:
    """Class decorator: add what :func:`telegrambot.delegate.create_open` needs and the
    class lacks: ``open(initial_msg, seed)``, ``on_message(msg)``, ``on_close(ex)``,
    ``close(ex=None)`` and a ``listener`` property."""

    def open(self: Any, initial_msg: Any, seed: Any) -> Any:
        return None

    def on_message(self: Any, msg: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__}.on_message() is not defined")

    def on_close(self: Any, ex: BaseException) -> None:
        # an exception that ended the delegate was already reported (on_error or ERROR)
        log.debug("%s closed: %s: %s", type(self).__name__, type(ex).__name__, ex)

    def close(self: Any, ex: Optional[BaseException] = None) -> None:
        raise ex if ex else exception.StopListening()

    def listener(self: Any) -> Listener:
        raise NotImplementedError(f"{type(self).__name__} has no listener")

    for name, value in (("open", open), ("on_message", on_message), ("on_close", on_close),
                        ("close", close), ("listener", property(listener))):
        if getattr(cls, name, None) is None:
            setattr(cls, name, value)
    return cls


@openable
class Monitor(PatternCaptures, ListenerContext, DefaultRouterMixin):
    """A delegate that never times out, for background work; pairs with
    :func:`telegrambot.delegate.per_application`.

    :param capture: a list of patterns for the listener to capture.
    """


@openable
class ChatHandler(ChatCaptures, ChatContext, DefaultRouterMixin, StandardEventMixin,
                  IdleTerminateMixin):
    """A delegate for one chat (seed: the chat id, see
    :func:`telegrambot.delegate.per_chat_id`).

    :param include_callback_query: also capture callback queries from this chat's messages.
    :param timeout: idle seconds before closing. ``event_space`` comes from
        :func:`telegrambot.delegate.pave_event_space`.
    """


@openable
class UserHandler(UserCaptures, UserContext, DefaultRouterMixin, StandardEventMixin,
                  IdleTerminateMixin):
    """A delegate for one user's actions (seed: the user id, see
    :func:`telegrambot.delegate.per_from_id`).

    :param flavors: the flavors to capture, or ``'all'``.
    :param include_callback_query: also capture callback queries from the user's private chat.
    """


class InlineUserHandler(UserHandler):
    """A delegate for one user's inline queries and chosen inline results."""

    def __init__(self, seed_tuple: Tuple[Any, Any, Any], **kwargs: Any) -> None:
        super().__init__(seed_tuple, flavors=inline_flavors, **kwargs)


@openable
class CallbackQueryOriginHandler(OriginCaptures, CallbackQueryOriginContext, DefaultRouterMixin,
                                 StandardEventMixin, IdleTerminateMixin):
    """A delegate for the callback queries from one message (seed: its identifier, see
    :func:`telegrambot.delegate.per_callback_query_origin`)."""


@openable
class InvoiceHandler(InvoiceCaptures, InvoiceContext, DefaultRouterMixin, StandardEventMixin,
                     IdleTerminateMixin):
    """A delegate for one invoice (seed: its payload, see
    :func:`telegrambot.delegate.per_invoice_payload`): it receives the shipping queries
    and pre-checkout queries for the invoice (``on_shipping_query``,
    ``on_pre_checkout_query``) and the message reporting its successful payment, or a
    refund, (``on_chat_message``).
    """

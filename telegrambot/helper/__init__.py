"""Building blocks of delegates: listeners, contexts, handlers, routers and mixins.

A delegate (see :class:`telegrambot.DelegatorBot`) is an object living on its own thread.
It waits on a :class:`Listener` for the messages it has *captured* and handles them one at
a time. The classes here are the usual ingredients:

- contexts (:class:`ListenerContext`, :class:`ChatContext`, :class:`UserContext`,
  :class:`CallbackQueryOriginContext`) hold the bot, the delegate's id and its listener,
  plus proxies (:class:`Sender`, :class:`Administrator`, :class:`Editor`) that fill in the
  chat or message for you;
- handlers (:class:`ChatHandler`, :class:`UserHandler`, :class:`InlineUserHandler`,
  :class:`CallbackQueryOriginHandler`, :class:`Monitor`) combine a context with a
  :class:`Router` and the idle-timeout and event mixins;
- :class:`Answerer` answers inline queries on a thread per user.

Captured patterns are indexed: the cost of handing a message to its listeners depends on
how many listeners want it, not on how many there are.

Every name is importable from here, as from ``telepot.helper``. The code lives in modules
by concern: ``listeners`` (hub, listener, microphone), ``proxies``, ``router`` (the default
router), ``contexts``, ``events`` (idle timeout, standard events), ``callback`` (callback
query origins), ``answerer``, ``handlers``, ``safedict``; what needs no I/O (matching
captures, routing, flavors) is in :mod:`telegrambot.core`.
"""

from ..core.flavor import chat_flavors, inline_flavors
from .answerer import Answerer, AnswererMixin
from .callback import MAX_ORIGIN_SETS as MAX_ORIGIN_SETS
from .callback import MAX_ORIGINS_PER_DELEGATE as MAX_ORIGINS_PER_DELEGATE
from .callback import CallbackQueryCoordinator, InterceptCallbackQueryMixin
from .contexts import (
    CallbackQueryOriginContext,
    ChatContext,
    InvoiceContext,
    ListenerContext,
    UserContext,
)
from .events import (
    IdleEventCoordinator,
    IdleTerminateMixin,
    StandardEventMixin,
    StandardEventScheduler,
)
from .handlers import (
    CallbackQueryOriginHandler,
    ChatHandler,
    InlineUserHandler,
    InvoiceHandler,
    Monitor,
    UserHandler,
    openable,
)
from .listeners import Listener, ListenerHub, Microphone, match, match_all
from .proxies import Administrator, Editor, Sender
from .router import DefaultRouterMixin, Router, flavor_router
from .safedict import SafeDict

__all__ = [
    "match",
    "match_all",
    "ListenerHub",
    "Listener",
    "Microphone",
    "Sender",
    "Administrator",
    "Editor",
    "Answerer",
    "AnswererMixin",
    "CallbackQueryCoordinator",
    "InterceptCallbackQueryMixin",
    "IdleEventCoordinator",
    "IdleTerminateMixin",
    "StandardEventScheduler",
    "StandardEventMixin",
    "ListenerContext",
    "ChatContext",
    "UserContext",
    "CallbackQueryOriginContext",
    "InvoiceContext",
    "openable",
    "Router",
    "flavor_router",
    "DefaultRouterMixin",
    "Monitor",
    "ChatHandler",
    "UserHandler",
    "InlineUserHandler",
    "CallbackQueryOriginHandler",
    "InvoiceHandler",
    "SafeDict",
    "chat_flavors",
    "inline_flavors",
]

"""Contexts of delegates: the bot, the delegate's id and listener, and proxies that fill in
the chat or message; and what the standard delegates capture from their seed
(:class:`ChatCaptures`, :class:`UserCaptures`, :class:`OriginCaptures`,
:class:`InvoiceCaptures`, :class:`PatternCaptures`). Shared by both
runtimes: ``bot.create_listener()`` gives the runtime's listener."""

import functools
from typing import TYPE_CHECKING, Any, Dict, Optional, Tuple

from ..core.capture import chat_patterns, invoice_patterns, origin_pattern, user_patterns
from ..core.flavor import chat_flavors, inline_flavors
from .listeners import Listener
from .proxies import Administrator, Editor, Sender

__all__ = [
    "ListenerContext",
    "ChatContext",
    "UserContext",
    "CallbackQueryOriginContext",
    "InvoiceContext",
]


class ListenerContext:
    """A delegate's bot, id and listener (created from ``bot.create_listener()``), and
    its ``state``.

    ``state`` is a plain dict kept under the delegate's seed (see :doc:`/persistence`):
    given to the delegate as it starts (before ``open()``), it holds what the delegate
    for the same seed left there, in this process or, with a store on the bot, before a
    restart. With a store, it is saved after each update the delegate handled, in one
    commit with that update's done mark. Its values must be JSON. ``state_scope`` names
    the kind of seed in the key (``chat:42``); delegates of two classes that see the same
    seeds share a state unless one sets a ``state_scope`` of its own; None: no state kept.
    """

    #: The first part of the key of this kind of delegate's state (``scope:seed``).
    state_scope: Optional[str] = "delegate"

    def __init__(self, bot: Any, context_id: Any, *args: Any, **kwargs: Any) -> None:
        self._bot = bot
        self._id = context_id
        self._listener = bot.create_listener()
        #: The delegate's state (replaced by the stored one as the delegate starts).
        self.state: Dict[str, Any] = {}
        super().__init__(*args, **kwargs)

    @property
    def bot(self) -> Any:
        """The bot (or a proxy of it, see :class:`InterceptCallbackQueryMixin`)."""
        return self._bot

    @property
    def id(self) -> Any:
        return self._id

    @property
    def listener(self) -> Listener:
        return self._listener


class ChatContext(ListenerContext):
    """A context for one chat: ``chat_id``, ``sender`` and ``administrator``."""

    state_scope: Optional[str] = "chat"

    @property
    def chat_id(self) -> Any:
        return self._id

    @functools.cached_property
    def sender(self) -> Sender:
        """A :class:`Sender` to this chat (made on first use)."""
        return Sender(self.bot, self._id)

    @functools.cached_property
    def administrator(self) -> Administrator:
        """An :class:`Administrator` of this chat (made on first use)."""
        return Administrator(self.bot, self._id)


class UserContext(ListenerContext):
    """A context for one user: ``user_id`` and a ``sender`` to their private chat."""

    state_scope: Optional[str] = "user"

    @property
    def user_id(self) -> Any:
        return self._id

    @functools.cached_property
    def sender(self) -> Sender:
        """A :class:`Sender` to the user's private chat (made on first use)."""
        return Sender(self.bot, self._id)


class CallbackQueryOriginContext(ListenerContext):
    """A context for the message callback queries come from: ``origin`` and an ``editor``."""

    state_scope: Optional[str] = "origin"

    @property
    def origin(self) -> Any:
        """The origin's message identifier."""
        return self._id

    @functools.cached_property
    def editor(self) -> Editor:
        """An :class:`Editor` of the origin (made on first use)."""
        return Editor(self.bot, self._id)


class InvoiceContext(ListenerContext):
    """A context for one invoice, identified by its ``payload``."""

    state_scope: Optional[str] = "invoice"

    @property
    def payload(self) -> Any:
        """The invoice payload (the ``payload`` given to ``sendInvoice``)."""
        return self._id


# -- what the standard delegates capture, made from their seed tuple (bot, msg, seed) ------


class ChatCaptures:
    """First base of a chat's delegate: the seed is the chat id; captures the chat's
    messages, and callback queries from its messages with ``include_callback_query``."""

    if TYPE_CHECKING:  # provided by the context this is mixed into
        listener: Any

    def __init__(self, seed_tuple: Tuple[Any, Any, Any], include_callback_query: bool = False,
                 **kwargs: Any) -> None:
        bot, initial_msg, seed = seed_tuple
        super().__init__(bot, seed, **kwargs)  # type: ignore[call-arg]
        for pattern in chat_patterns(seed, include_callback_query):
            self.listener.capture(pattern)


class UserCaptures:
    """First base of a user's delegate: the seed is the user id; captures what the user
    sends of ``flavors`` (or ``'all'``), and callback queries from the user's private
    chat with ``include_callback_query``."""

    if TYPE_CHECKING:  # provided by the context this is mixed into
        listener: Any

    def __init__(self, seed_tuple: Tuple[Any, Any, Any], include_callback_query: bool = False,
                 flavors: Any = chat_flavors + inline_flavors, **kwargs: Any) -> None:
        bot, initial_msg, seed = seed_tuple
        super().__init__(bot, seed, **kwargs)  # type: ignore[call-arg]
        for pattern in user_patterns(seed, flavors, include_callback_query):
            self.listener.capture(pattern)


class OriginCaptures:
    """First base of a callback query origin's delegate: the seed is the message
    identifier; captures the callback queries from that message."""

    if TYPE_CHECKING:  # provided by the context this is mixed into
        listener: Any

    def __init__(self, seed_tuple: Tuple[Any, Any, Any], **kwargs: Any) -> None:
        bot, initial_msg, seed = seed_tuple
        super().__init__(bot, seed, **kwargs)  # type: ignore[call-arg]
        self.listener.capture(origin_pattern(tuple(seed)))


class InvoiceCaptures:
    """First base of an invoice's delegate: the seed is the invoice payload; captures its
    shipping and pre-checkout queries and the messages of its payment or refund."""

    if TYPE_CHECKING:  # provided by the context this is mixed into
        listener: Any

    def __init__(self, seed_tuple: Tuple[Any, Any, Any], **kwargs: Any) -> None:
        bot, initial_msg, seed = seed_tuple
        super().__init__(bot, seed, **kwargs)  # type: ignore[call-arg]
        for pattern in invoice_patterns(seed):
            self.listener.capture(pattern)


class PatternCaptures:
    """First base of a monitor: captures the patterns it is given (``capture``)."""

    if TYPE_CHECKING:  # provided by the context this is mixed into
        listener: Any

    def __init__(self, seed_tuple: Tuple[Any, Any, Any], capture: Any, **kwargs: Any) -> None:
        bot, initial_msg, seed = seed_tuple
        super().__init__(bot, seed, **kwargs)  # type: ignore[call-arg]
        for pattern in capture:
            self.listener.capture(pattern)

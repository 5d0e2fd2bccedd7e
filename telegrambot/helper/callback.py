"""Capturing the callback queries of the messages a delegate sends:
:class:`CallbackQueryCoordinator` and :class:`InterceptCallbackQueryMixin`.

What a call means for the origins is decided in :mod:`telegrambot.core.origins`; the
coordinator keeps the delegate's listener capturing the origins, and its ``augment_*``
methods are the small wrappers that make the call and hand its result over.
"""

import threading
from typing import TYPE_CHECKING, Any, Callable, Optional, Tuple, Type

from ..core.bounded import LimitedDict, LimitedSet
from ..core.capture import origin_pattern
from ..core.origins import (
    argument_finder,
    as_origin,
    chosen_inline_origin,
    delete_ends_origin,
    edit_keeps_buttons,
    sent_origin,
)
from .listeners import Listener
from .proxies import proxy_specs

__all__ = [
    "CallbackQueryCoordinator",
    "InterceptCallbackQueryMixin",
    "OriginSets",
    "MAX_ORIGINS_PER_DELEGATE",
    "MAX_ORIGIN_SETS",
]

#: Most origins (messages with buttons) one delegate's InterceptCallbackQueryMixin
#: captures; capturing one more forgets the oldest.
MAX_ORIGINS_PER_DELEGATE = 1000
#: Most delegates whose origins are kept for their successors once they closed.
MAX_ORIGIN_SETS = 10_000


class _AugmentedBot:
    """The bot as seen by an InterceptCallbackQueryMixin delegate: sending and editing
    methods report the origins they create to the coordinator."""

    def __init__(self, bot: Any, coordinator: "CallbackQueryCoordinator") -> None:
        self._bot = bot
        self._coordinator = coordinator

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._bot, name)
        specs = proxy_specs()
        if name in specs["sender"]:
            value = self._coordinator.augment_send(value)
        elif name in specs["editor"] and specs["editor"][name][0].startswith(("edit", "stopMessage")):
            value = self._coordinator.augment_edit(value)
        elif name in specs["editor"] and specs["editor"][name][0] == "deleteMessage":
            value = self._coordinator.augment_delete(value)
        else:
            return value
        self.__dict__[name] = value
        return value


class CallbackQueryCoordinator:
    """Keeps a delegate's listener capturing callback queries from the messages it sent.

    :param id: the delegate's id, passed to notifiers.
    :param origin_set: the set of origins (message identifiers) to capture; shared with
        later delegates of the same id. A :class:`telegrambot.core.bounded.LimitedSet`
        (what :class:`InterceptCallbackQueryMixin` uses) keeps the newest origins only: the
        one it pushes out stops being captured (and its notifier is told).
    :param enable_chat: capture origins of chat messages: False, True, or a notifier
        ``notifier(origin, id, adding)`` called on each change.
    :param enable_inline: the same for inline messages.
    """

    def __init__(self, id: Any, origin_set: Any, enable_chat: Any, enable_inline: Any) -> None:
        self._id = id
        self._origin_set = origin_set
        self._listener: Optional[Listener] = None
        self._enable_chat, self._chat_notify = self._dissolve(enable_chat)
        self._enable_inline, self._inline_notify = self._dissolve(enable_inline)

    @staticmethod
    def _dissolve(enable: Any) -> Tuple[bool, Optional[Callable[..., Any]]]:
        if not enable:
            return False, None
        if enable is True:
            return True, None
        if callable(enable):
            return True, enable
        raise ValueError("enable_chat/enable_inline must be a bool or a notifier function")

    def configure(self, listener: Listener) -> None:
        """Make ``listener`` capture callback queries from the origins in the set."""
        self._listener = listener
        for origin in list(self._origin_set):
            listener.capture(origin_pattern(origin))

    def _notifier(self, origin: Tuple[Any, ...]) -> Optional[Callable[..., Any]]:
        return self._chat_notify if len(origin) == 2 else self._inline_notify

    def capture_origin(self, msg_identifier: Any, notify: bool = True) -> None:
        """Start capturing callback queries from this message."""
        origin = as_origin(msg_identifier)
        if origin not in self._origin_set:
            pushed_out = self._origin_set.add(origin)  # a bounded set drops its oldest
            if self._listener is not None:
                self._listener.capture(origin_pattern(origin))
            if pushed_out is not None:
                self._forget(pushed_out, notify)
        notifier = self._notifier(origin)
        if notify and notifier:
            notifier(origin, self._id, True)

    def _forget(self, origin: Tuple[Any, ...], notify: bool) -> None:
        """An origin the bounded set pushed out: no longer captured nor mapped."""
        if self._listener is not None:
            self._listener.cancel_capture(origin_pattern(origin))
        notifier = self._notifier(origin)
        if notify and notifier:
            notifier(origin, self._id, False)

    def uncapture_origin(self, msg_identifier: Any, notify: bool = True) -> None:
        """Stop capturing callback queries from this message."""
        origin = as_origin(msg_identifier)
        if origin in self._origin_set:
            self._origin_set.discard(origin)
            if self._listener is not None:
                self._listener.cancel_capture(origin_pattern(origin))
        notifier = self._notifier(origin)
        if notify and notifier:
            notifier(origin, self._id, False)

    # -- after a call: what its result changes (shared by both runtimes' wrappers)

    def sent(self, result: Any, kwargs: Any, chat_id: Any) -> None:
        """A sending call returned ``result``: capture the message if it has buttons."""
        if self._enable_chat:
            origin = sent_origin(result, kwargs, chat_id)
            if origin is not None:
                self.capture_origin(origin)

    def edited(self, result: Any, kwargs: Any, msg_identifier: Any) -> None:
        """An editing call returned ``result``: capture or uncapture its message."""
        keeps = edit_keeps_buttons(result, kwargs, self._enable_chat, self._enable_inline)
        if keeps:
            self.capture_origin(msg_identifier)
        elif keeps is not None:
            self.uncapture_origin(msg_identifier)

    def deleted(self, result: Any, kwargs: Any, msg_identifier: Any) -> None:
        """``deleteMessage`` returned ``result``: a deleted message is no origin."""
        if delete_ends_origin(result, self._enable_chat):
            self.uncapture_origin(msg_identifier)

    def received(self, msg: Any) -> None:
        """A message reached the delegate: a chosen inline result that made an inline
        message with buttons makes it an origin."""
        inline_message_id = chosen_inline_origin(msg, self._enable_inline)
        if inline_message_id is not None:
            self.capture_origin(inline_message_id)

    # -- the wrappers

    def wrap_call(self, func: Callable[..., Any], argument: str, default: Optional[int],
                  after: Callable[[Any, Any, Any], None]) -> Callable[..., Any]:
        """``func`` made to hand its result to ``after(result, kwargs, the argument)``
        (the argument named ``argument``, else the one at position ``default``). The
        threaded runtime's: the result is there when ``func`` returns (an async runtime
        awaits it first)."""
        find = argument_finder(func, argument, default)

        def augmented(*args: Any, **kwargs: Any) -> Any:
            result = func(*args, **kwargs)
            after(result, kwargs, find(args, kwargs))
            return result

        return augmented

    def augment_send(self, send_func: Callable[..., Any]) -> Callable[..., Any]:
        """Wrap a sending method: a sent message whose inline keyboard carries
        ``callback_data`` becomes a captured origin (for a copy, answered with a bare
        MessageId, in the chat the call names)."""
        return self.wrap_call(send_func, "chat_id", None, self.sent)

    def augment_edit(self, edit_func: Callable[..., Any]) -> Callable[..., Any]:
        """Wrap an editing method: an edit that leaves an inline keyboard with
        ``callback_data`` captures the message as origin, one that removes it stops.

        The message is the call's ``msg_identifier`` argument (the first one if
        ``edit_func`` has no parameter of that name)."""
        return self.wrap_call(edit_func, "msg_identifier", 0, self.edited)

    def augment_delete(self, delete_func: Callable[..., Any]) -> Callable[..., Any]:
        """Wrap ``deleteMessage``: a deleted message stops being a captured origin."""
        return self.wrap_call(delete_func, "msg_identifier", 0, self.deleted)

    def augment_on_message(self, handler: Callable[[Any], Any]) -> Callable[[Any], Any]:
        """Wrap ``on_message``: a chosen inline result with an ``inline_message_id``
        becomes a captured origin."""

        def augmented(msg: Any) -> Any:
            self.received(msg)
            return handler(msg)

        return augmented

    def augment_bot(self, bot: Any) -> Any:
        """A proxy of ``bot`` whose sending methods go through :meth:`augment_send` and
        editing methods through :meth:`augment_edit`; everything else is the bot's."""
        return _AugmentedBot(bot, self)


class OriginSets:
    """The origins each delegate captured, kept for its successor (a later delegate of
    the same class and id) once it closed: ``(class, id) -> LimitedSet``, the least
    recently used beyond ``max_sets`` forgotten. A :class:`telegrambot.DelegatorBot` has
    one; thread-safe."""

    def __init__(self, max_sets: int = MAX_ORIGIN_SETS,
                 max_origins: int = MAX_ORIGINS_PER_DELEGATE) -> None:
        self._sets = LimitedDict(max_sets)
        self._max_origins = max_origins
        self._lock = threading.Lock()

    def take(self, key: Any) -> LimitedSet:
        """The origin set of ``key``, made if need be (and marked the most recently used)."""
        with self._lock:
            origin_set = self._sets.get(key)
            if origin_set is None:
                origin_set = LimitedSet(self._max_origins)
            self._sets[key] = origin_set
            return origin_set

    def release(self, key: Any) -> None:
        """The delegate of ``key`` closed: forget its set if it holds nothing."""
        with self._lock:
            if not self._sets.get(key, True):
                del self._sets[key]


class InterceptCallbackQueryMixin:
    """Captures callback queries from the messages this delegate sends or edits.

    ``self.bot`` becomes a proxy whose sending and editing methods tell a
    :class:`CallbackQueryCoordinator` which messages carry callback buttons; the original
    bot stays available as ``self._InterceptCallbackQueryMixin__bot``. The origins it
    captured pass on to the next delegate of the same class and id, through the
    :class:`~telegrambot.DelegatorBot` (another bot gives each delegate a set of its own).

    :param intercept_callback_query: ``(enable_chat, enable_inline)``, or one value for
        both (see :class:`CallbackQueryCoordinator`; the class attribute
        ``CallbackQueryCoordinator``, which a subclass may replace).
    """

    if TYPE_CHECKING:  # provided by the delegate class this is mixed into
        id: Any
        _bot: Any
        on_message: Callable[[Any], Any]
        on_close: Callable[[BaseException], Any]

        @property
        def listener(self) -> Listener: ...

    def __init__(self, intercept_callback_query: Any, *args: Any, **kwargs: Any) -> None:
        origin_sets = getattr(self._bot, "origin_sets", None)
        if not isinstance(origin_sets, OriginSets):
            origin_sets = OriginSets(1)  # nothing to pass on to a successor
        key = (type(self), self.id)
        origin_set = origin_sets.take(key)
        if isinstance(intercept_callback_query, tuple):
            enable = intercept_callback_query
        else:
            enable = (intercept_callback_query,) * 2
        cqc = self._callback_query_coordinator = self.CallbackQueryCoordinator(self.id, origin_set, *enable)
        cqc.configure(self.listener)
        self.__bot = self._bot
        self._bot = cqc.augment_bot(self._bot)
        self.on_message = cqc.augment_on_message(self.on_message)
        on_close = self.on_close

        def closing(ex: BaseException) -> Any:
            origin_sets.release(key)
            return on_close(ex)

        self.on_close = closing
        super().__init__(*args, **kwargs)

    @property
    def callback_query_coordinator(self) -> CallbackQueryCoordinator:
        return self._callback_query_coordinator

    # after the property: in the class body the name means this attribute, not the class
    CallbackQueryCoordinator: Type[CallbackQueryCoordinator] = CallbackQueryCoordinator

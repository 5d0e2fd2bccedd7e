"""Conversations in a delegate: step methods chosen by the state kept in ``self.state``.

python-telegram-bot's ConversationHandler, the delegate way. A :class:`Conversation` is a
mixin for a delegate (:class:`~telegrambot.helper.ChatHandler`, ``UserHandler``, ...): its
methods, marked with :func:`entry`, :func:`step` and :func:`fallback`, say which messages
they take, and each returns where the conversation goes next::

    class Professor(Conversation, ChatHandler):
        conversation_timeout = 300

        @entry(command="start")
        def start(self, msg):
            self.sender.sendMessage("Are you a boy or a girl?")
            return "gender"

        @step("gender", text="^(Boy|Girl|Other)$")
        def gender(self, msg):
            self.sender.sendMessage("Send me a photo, or /skip.")
            return "photo"

        @step("photo", content="photo")
        @step("photo", command="skip")
        def photo(self, msg):
            ...
            return END

        @fallback(command="cancel")
        def cancel(self, msg):
            self.sender.sendMessage("Bye!")
            return END

A step returns the next state's name, :data:`END` (the conversation is over), ``None``
(stay), :class:`Push` ``(state)`` (enter a nested conversation: the current level waits
underneath) or :class:`Pop` ``()`` / ``Pop(state)`` (leave it: back to the level underneath,
moved to ``state`` if given). With no conversation running, only entry points are
considered; in one, the steps of the current state, then the fallbacks (all, or those
given ``states``), then with ``allow_reentry = True`` the entry points. A message none of
them takes goes to :meth:`Conversation.on_unmatched`.

Where the conversation stands lives in ``self.state`` (a dict) under ``"conversation"``, as
a list of state names (one per level), and its deadline under ``"conversation_deadline"``:
JSON, so that a delegate whose ``self.state`` a store keeps resumes the conversation after a
restart. A delegate without a ``state`` attribute is given an empty dict.

``conversation_timeout`` (seconds, or None) ends a conversation that long without a
step: the methods marked :func:`on_timeout` are called with the state it was in, then it
is over. The delegate's own scheduler (a delegate made under ``pave_event_space()``) sends
the timeout as the event ``_conversation_timeout``; a message that comes after the
deadline finds it passed in any case, so the timeout holds across a restart too. A
delegate that closes cancels its pending event (the next message still finds the deadline
passed): give the delegate an idle ``timeout`` longer than ``conversation_timeout`` for
:func:`on_timeout` methods to run on time.

The rules (matching, the stack) are I/O-free in :mod:`telegrambot.core.conversation`.
"""

import time
from typing import Any, Callable, Iterable, List, Optional, Union

from .core.conversation import (  # noqa: F401 (END, Pop, Push: the public names)
    END,
    Pop,
    Push,
    Route,
    advance,
    expired,
    matcher,
    pick,
    route,
    routes_of,
)
from .exception import EventNotFound

__all__ = ["Conversation", "END", "Pop", "Push", "entry", "fallback", "on_timeout", "step"]

STATE_KEY = "conversation"
DEADLINE_KEY = "conversation_deadline"
TIMEOUT_EVENT = "_conversation_timeout"

_F = Callable[..., Any]


def _decorator(kind: str, states: Optional[Iterable[str]], flavor: Optional[str],
               conditions: Any) -> Callable[[_F], _F]:
    match = matcher(flavor, **conditions)  # a bad argument fails where the class is written
    return lambda fn: route(fn, kind, None if states is None else list(states), match)


def entry(flavor: Optional[str] = None, **conditions: Any) -> Callable[[_F], _F]:
    """Mark a method as an entry point: it starts the conversation when a message with
    no conversation running meets ``conditions`` (those of
    :func:`~telegrambot.core.conversation.matcher`: ``command``, ``text``, ``content``,
    ``data``, ``when``)."""
    return _decorator("entry", None, flavor, conditions)


def step(state: Union[str, Iterable[str]], flavor: Optional[str] = None,
         **conditions: Any) -> Callable[[_F], _F]:
    """Mark a method as a step of ``state`` (or of each of several states): it takes the
    messages that meet ``conditions`` while the conversation is there."""
    return _decorator("step", [state] if isinstance(state, str) else state, flavor, conditions)


def fallback(flavor: Optional[str] = None, *, states: Optional[Iterable[str]] = None,
             **conditions: Any) -> Callable[[_F], _F]:
    """Mark a method as a fallback: it takes the messages that meet ``conditions`` in any
    state (or in ``states``) when no step of that state does."""
    return _decorator("fallback", states, flavor, conditions)


def on_timeout(fn: _F) -> _F:
    """Mark a method to call as ``fn(state)`` when the conversation times out (see
    ``conversation_timeout``); what it returns is ignored: the conversation is over."""
    return route(fn, "timeout", None, lambda msg: True)


class Conversation:
    """The mixin (see the module): put it before the delegate class,
    ``class Professor(Conversation, ChatHandler)``."""

    #: Seconds without a step after which the conversation ends (None: never).
    conversation_timeout: Optional[float] = None
    #: True: an entry point may restart a conversation that is running.
    allow_reentry = False

    _conversation_routes_cache: List[Route] = []  # a subclass gets its own
    state: Any
    scheduler: Any  # the delegate's (StandardEventMixin), if it has one

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._conversation_routes_cache = routes_of(cls)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if getattr(self, "state", None) is None:
            self.state = {}
        self._conversation_event: Any = None

    # -- where it stands -----------------------------------------------------------------

    @property
    def conversation(self) -> List[str]:
        """The states of the running conversation, outermost first (empty: none runs)."""
        return list(self.state.get(STATE_KEY) or ())

    def end_conversation(self) -> None:
        """End the conversation from outside a step (no timeout handler is called)."""
        self._moved([])

    # -- the flavors it takes ------------------------------------------------------------

    def on_chat_message(self, msg: Any) -> Any:
        return self.converse(msg)

    def on_callback_query(self, msg: Any) -> Any:
        return self.converse(msg)

    def on_edited_chat_message(self, msg: Any) -> Any:
        """An edited message moves the conversation only where a step takes it
        (``flavor="edited_chat"``); else it is ignored, not :meth:`on_unmatched`."""
        return self.converse(msg, unmatched=False)

    def on_unmatched(self, msg: Any) -> None:
        """A message no entry point, step or fallback takes. Override to answer it (a
        callback query should be answered); by default it is ignored."""

    def converse(self, msg: Any, unmatched: bool = True) -> bool:
        """Hand ``msg`` to the step it is for and move the conversation; False if no step
        took it (then, with ``unmatched``, :meth:`on_unmatched` gets it). A delegate
        routes other flavors here by calling it."""
        state = self.state
        stack = list(state.get(STATE_KEY) or ())
        if stack and expired(state.get(DEADLINE_KEY), time.time()):
            self._time_out(stack)
            self._moved([])
            stack = []
        routes = self._conversation_routes_cache
        found = pick(routes, stack, msg, self.allow_reentry)
        if found is None:
            if unmatched:
                self.on_unmatched(msg)
            return False
        result = getattr(self, found.name)(msg)
        self._moved(advance(stack, result, entered=found.kind == "entry"))
        return True

    def on_close(self, ex: BaseException) -> Any:
        """Cancel the pending timeout event (it would start a delegate only to find
        nothing to time out); a deadline kept in ``self.state`` is still found by the
        next message."""
        event, self._conversation_event = self._conversation_event, None
        if event is not None:
            try:
                self.scheduler.cancel(event)
            except (EventNotFound, AttributeError):
                pass
        close = getattr(super(), "on_close", None)
        return close(ex) if close is not None else None

    # -- timing out ----------------------------------------------------------------------

    def on__conversation_timeout(self, event: Any) -> None:
        """The timeout event: end the conversation if its deadline has passed (an event of
        an earlier deadline, or for a conversation since moved on, does nothing)."""
        data = event.get(TIMEOUT_EVENT) if isinstance(event, dict) else None
        deadline = self.state.get(DEADLINE_KEY)
        if not isinstance(data, dict) or data.get("deadline") != deadline:
            return
        stack = list(self.state.get(STATE_KEY) or ())
        if stack and expired(deadline, time.time()):
            self._conversation_event = None
            self._time_out(stack)
            self._moved([])

    def _time_out(self, stack: List[str]) -> None:
        for found in self._conversation_routes_cache:
            if found.kind == "timeout":
                getattr(self, found.name)(stack[-1])

    def _moved(self, stack: List[str]) -> None:
        state = self.state
        old = self._conversation_event
        if old is not None:
            self._conversation_event = None
            try:
                self.scheduler.cancel(old)
            except (EventNotFound, AttributeError):
                pass  # fired already: it will find its deadline gone
        if not stack:
            state.pop(STATE_KEY, None)
            state.pop(DEADLINE_KEY, None)
            return
        state[STATE_KEY] = stack
        timeout = self.conversation_timeout
        if timeout is None:
            state.pop(DEADLINE_KEY, None)
            return
        deadline = state[DEADLINE_KEY] = time.time() + timeout
        event_at = getattr(getattr(self, "scheduler", None), "event_at", None)
        if event_at is not None:
            self._conversation_event = event_at(deadline, (TIMEOUT_EVENT, {"deadline": deadline}))


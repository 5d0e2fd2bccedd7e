"""Callback query origins: which messages a delegate's calls give callback buttons to.

A delegate with :class:`telegrambot.helper.InterceptCallbackQueryMixin` captures the
callback queries of the messages it sent or edited with buttons. The decisions here look
at a call's arguments and result and say what changed; the runtime's wrappers make the
call (or await it) and act on the decision. No I/O.

An *origin* is a message identifier as a tuple: ``(chat_id, message_id)`` for a chat
message, ``(inline_message_id,)`` for an inline one.
"""

import inspect
from typing import Any, Callable, Dict, Optional, Tuple

from .flavor import message_identifier

__all__ = [
    "as_origin",
    "has_callback_data",
    "sent_origin",
    "edit_keeps_buttons",
    "delete_ends_origin",
    "chosen_inline_origin",
    "argument_finder",
]

Origin = Tuple[Any, ...]


def as_origin(msg_identifier: Any) -> Origin:
    """An origin from a message identifier: a sent message (dict), a tuple, or a bare
    ``inline_message_id``. Raises ValueError for a tuple of another length."""
    if isinstance(msg_identifier, dict):
        return message_identifier(msg_identifier)
    if isinstance(msg_identifier, tuple):
        if len(msg_identifier) in (1, 2):
            return msg_identifier
        raise ValueError(f"not a message identifier: {msg_identifier!r}")
    return (msg_identifier,)


def _get(obj: Any, key: str) -> Any:
    return obj.get(key) if isinstance(obj, dict) else getattr(obj, key, None)


def has_callback_data(kwargs: Dict[str, Any]) -> bool:
    """Does the call's ``reply_markup`` carry an inline keyboard button with
    ``callback_data`` (a dict, or a namedtuple from :mod:`telegrambot.namedtuple`)?"""
    keyboard = _get(_get(kwargs, "reply_markup"), "inline_keyboard") or ()
    return any(_get(button, "callback_data") is not None for row in keyboard for button in row)


def sent_origin(sent: Any, kwargs: Dict[str, Any], chat_id: Any) -> Optional[Origin]:
    """The origin a sending call created, or None: the sent message, if the call gave it
    callback buttons. A copy is answered with a bare MessageId: its origin is in the chat
    the call names (``chat_id``, None when the call named none)."""
    if not isinstance(sent, dict) or not has_callback_data(kwargs):
        return None
    if "chat" in sent:
        return message_identifier(sent)
    if "message_id" in sent and chat_id is not None:
        return chat_id, sent["message_id"]
    return None


def edit_keeps_buttons(edited: Any, kwargs: Dict[str, Any], chat: bool, inline: bool) -> Optional[bool]:
    """What an editing call did to its message as an origin: True if the message now has
    callback buttons, False if it has none, None if the edit failed or concerns a kind of
    origin not followed (``chat`` and ``inline`` say which are). An inline message's edit
    answers True, a chat message's the edited message."""
    if (edited is True and inline) or (isinstance(edited, dict) and chat):
        return has_callback_data(kwargs)
    return None


def delete_ends_origin(deleted: Any, chat: bool) -> bool:
    """Whether a ``deleteMessage`` call ended its message as an origin."""
    return deleted is True and chat


def chosen_inline_origin(msg: Any, inline: bool) -> Optional[str]:
    """The ``inline_message_id`` of a chosen inline result that made an inline message
    (an origin to follow), or None."""
    if inline and "inline_message_id" in msg and "result_id" in msg:
        return msg["inline_message_id"]
    return None


def argument_finder(func: Callable[..., Any], name: str, default: Optional[int] = None
                    ) -> Callable[[Tuple[Any, ...], Dict[str, Any]], Any]:
    """A function that picks the argument ``name`` out of a call ``func(*args, **kwargs)``;
    where ``func`` has no such positional parameter, the one at ``default`` (or None)."""
    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):  # no signature to read
        params = []
    positional = [p.name for p in params
                  if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    position = positional.index(name) if name in positional else default

    def find(args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Any:
        if name in kwargs:
            return kwargs[name]
        return args[position] if position is not None and position < len(args) else None

    return find

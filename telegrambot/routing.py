"""Key functions and routing tables for :class:`telegrambot.helper.Router`.

A *key function* takes a message and returns what the router looks up: a key, or a tuple
``(key,)``, ``(key, args)`` or ``(key, args, kwargs)`` whose extras are passed on to the
handler. A *routing table* is a plain dict ``{key: handler}``; the key ``None`` is the
default handler.

Key functions that find nothing to route on (no text, no command prefix, no regex match)
return the 1-tuple ``((None,),)``: the key ``(None,)``, which a table may map like any other
key and which, unlike ``None``, is not the default.

These live in :mod:`telegrambot.core.routing` (with :class:`~telegrambot.helper.Router`),
shared by both runtimes; this module keeps their public home.
"""

from .core.routing import (
    NO_KEY,
    by_chat_command,
    by_command,
    by_content_type,
    by_data,
    by_regex,
    by_text,
    lower_key,
    make_content_type_routing_table,
    make_routing_table,
    process_key,
    upper_key,
)

__all__ = [
    "NO_KEY",
    "by_content_type",
    "by_command",
    "by_chat_command",
    "by_text",
    "by_data",
    "by_regex",
    "process_key",
    "lower_key",
    "upper_key",
    "make_routing_table",
    "make_content_type_routing_table",
]

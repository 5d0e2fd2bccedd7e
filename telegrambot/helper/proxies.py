"""Proxies of a bot that fill in the chat or the message: :class:`Sender`,
:class:`Administrator`, :class:`Editor`.

A proxy's method is the bot's method with one argument bound, so it returns what the bot's
method returns: a result from the threaded bot, an awaitable from an async one. Both
runtimes use these as they are.
"""

import functools
import inspect
from typing import Any, Callable, Dict, FrozenSet, List, Optional, Tuple

from ..core.flavor import message_identifier

__all__ = ["Sender", "Administrator", "Editor", "proxy_specs"]


@functools.cache
def proxy_specs() -> Dict[str, Dict[str, Tuple[str, str, Optional[int]]]]:
    """For each proxy kind, ``{method name: (api name, bound parameter, position)}``.

    Derived from the method table, so every method of the Bot API version this library
    was generated for is covered:

    - sender: methods named send*/forward*/copy* that take a ``chat_id``;
    - editor: methods that take a ``msg_identifier`` and edit, stop or delete a message;
    - administrator: every other method that takes a ``chat_id``.
    """
    from .._methods import Methods
    from ..core.methods import METHODS, RENAMED_METHODS

    specs: Dict[str, Dict[str, Tuple[str, str, Optional[int]]]] = {
        "sender": {}, "editor": {}, "administrator": {}}
    for info in METHODS.values():
        params = list(inspect.signature(getattr(Methods, info.name)).parameters.values())[1:]
        positional = [p.name for p in params if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]
        names = {p.name for p in params}
        if "msg_identifier" in names and info.name.startswith(("edit", "stop", "delete")):
            kind, bound = "editor", "msg_identifier"
        elif "chat_id" in names and not info.msg_identifier:
            kind = "sender" if info.name.startswith(("send", "forward", "copy")) else "administrator"
            bound = "chat_id"
        else:
            continue
        position = positional.index(bound) if bound in positional else None
        for name in (info.name, info.alias):
            specs[kind][name] = (info.name, bound, position)
    for old, new in RENAMED_METHODS.items():
        for table in specs.values():
            if new in table:
                table[old] = table[new]
    return specs


def _bind(method: Callable[..., Any], bound: str, position: Optional[int], value: Any) -> Callable[..., Any]:
    if position is None:
        return functools.partial(method, **{bound: value})
    if position == 0:
        return functools.partial(method, value)

    def call(*args: Any, **kwargs: Any) -> Any:
        return method(*args[:position], value, *args[position:], **kwargs)

    return call


class _Proxy:
    _kind = ""

    def __init__(self, bot: Any, value: Any) -> None:
        self._bot = bot
        self._value = value

    @classmethod
    def method_names(cls) -> FrozenSet[str]:
        """Every method this proxy offers (Bot API names and snake_case aliases)."""
        return frozenset(proxy_specs()[cls._kind])

    def __getattr__(self, name: str) -> Callable[..., Any]:
        spec = proxy_specs()[self._kind].get(name) if not name.startswith("_") else None
        if spec is None:
            raise AttributeError(f"{type(self).__name__} has no method {name!r}")
        _, bound, position = spec
        method = _bind(getattr(self._bot, name), bound, position, self._value)
        self.__dict__[name] = method
        return method

    def __dir__(self) -> List[str]:
        return sorted(set(super().__dir__()) | self.method_names())


class Sender(_Proxy):
    """The bot's sending methods with ``chat_id`` filled in: every ``send*``,
    ``forward*`` and ``copy*`` method of the Bot API (https://core.telegram.org/bots/api#available-methods).

    Other arguments are as for the bot's methods, without ``chat_id``.
    """

    _kind = "sender"

    def __init__(self, bot: Any, chat_id: Any) -> None:
        super().__init__(bot, chat_id)


class Administrator(_Proxy):
    """The bot's chat methods other than sending, with ``chat_id`` filled in: members,
    permissions, invite links, join requests, pins, forum topics, title, photo,
    ``getChat*``, ``leaveChat`` and the rest (https://core.telegram.org/bots/api#available-methods)."""

    _kind = "administrator"

    def __init__(self, bot: Any, chat_id: Any) -> None:
        super().__init__(bot, chat_id)


class Editor(_Proxy):
    """The bot's message editing methods with ``msg_identifier`` filled in: every
    ``editMessage*``, ``stopMessageLiveLocation``, ``stopPoll`` and ``deleteMessage``
    (https://core.telegram.org/bots/api#updating-messages).

    ``msg_identifier`` is ``(chat_id, message_id)``, ``(inline_message_id,)``, or a sent
    message (its identifier is taken).
    """

    _kind = "editor"

    def __init__(self, bot: Any, msg_identifier: Any) -> None:
        if isinstance(msg_identifier, dict):
            msg_identifier = message_identifier(msg_identifier)
        super().__init__(bot, msg_identifier)

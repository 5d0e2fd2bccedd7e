"""telegrambot: a blocking, thread-based library for the Telegram Bot API.

Bot API objects are plain dicts. :class:`Bot` maps every Bot API method onto a method
call, :meth:`Bot.message_loop` receives updates on a thread, and :class:`DelegatorBot`
runs one handler thread per chat, user or callback origin.

The public names are loaded on first use, so ``import telegrambot`` stays cheap.
"""

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:  # what type checkers see; at run time the names load on first use
    from ._delegator import DelegatorBot
    from ._speaker import SpeakerBot
    from .bot import Bot
    from .core.callbackdata import InvalidCallbackData
    from .core.flavor import (
        all_content_types,
        chat_flavors,
        flance,
        flavor,
        fleece,
        glance,
        inline_flavors,
        is_event,
        message_identifier,
        origin_identifier,
        peel,
    )
    from .core.routing import flavor_router
    from .exception import TelegramBotException, TelegramError, TelepotException

# public name -> module that defines it
_EXPORTS = {
    "Bot": "telegrambot.bot",
    "DelegatorBot": "telegrambot._delegator",
    "SpeakerBot": "telegrambot._speaker",
    "InvalidCallbackData": "telegrambot.core.callbackdata",
    "flavor_router": "telegrambot.core.routing",
    "chat_flavors": "telegrambot.core.flavor",
    "inline_flavors": "telegrambot.core.flavor",
    "flavor": "telegrambot.core.flavor",
    "glance": "telegrambot.core.flavor",
    "flance": "telegrambot.core.flavor",
    "peel": "telegrambot.core.flavor",
    "fleece": "telegrambot.core.flavor",
    "is_event": "telegrambot.core.flavor",
    "message_identifier": "telegrambot.core.flavor",
    "origin_identifier": "telegrambot.core.flavor",
    "all_content_types": "telegrambot.core.flavor",
    "TelegramBotException": "telegrambot.exception",
    "TelepotException": "telegrambot.exception",
    "TelegramError": "telegrambot.exception",
}

__all__ = [
    "Bot",
    "DelegatorBot",
    "InvalidCallbackData",
    "SpeakerBot",
    "TelegramBotException",
    "TelegramError",
    "TelepotException",
    "all_content_types",
    "chat_flavors",
    "flance",
    "flavor",
    "flavor_router",
    "fleece",
    "glance",
    "inline_flavors",
    "is_event",
    "message_identifier",
    "origin_identifier",
    "peel",
    "__version__",
]


# submodules given as attributes on first use, as ``import telepot`` gave them:
# ``import telegrambot`` then ``telegrambot.helper.ChatHandler``
_SUBMODULES = frozenset({
    "aio", "api", "asgi", "bot", "callbackdata", "chatmember", "conversation", "core", "deeplink", "delegate",
    "demo", "exception", "helper", "loop", "namedtuple", "passport", "ratelimit", "routing", "scheduler", "storage", "testing",
    "text", "transport", "webapp", "webhook",
})


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        if name not in _SUBMODULES:
            raise AttributeError(f"module 'telegrambot' has no attribute {name!r}")
        import importlib

        return importlib.import_module("telegrambot." + name)  # the import sets the attribute
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list:
    return sorted(set(globals()) | set(_EXPORTS) | _SUBMODULES)

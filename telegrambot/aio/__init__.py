"""telegrambot for asyncio: the threaded library's design with coroutines and tasks.

``from telegrambot.aio import Bot``; everything runs inside one event loop. aiohttp (the
``aio`` extra: ``pip install 'telegrambot[aio]'``) is imported on the first request, never
by ``import telegrambot`` nor by ``import telegrambot.aio``.

- :class:`Bot` (:mod:`telegrambot.aio.bot`): all Bot API methods, as coroutines.
- :mod:`telegrambot.aio.loop`: :class:`MessageLoop`, :class:`Webhook`,
  :class:`OrderedWebhook` as tasks.
- :mod:`telegrambot.aio.scheduler`: the event scheduler as a task.
- :mod:`telegrambot.aio.transport`, :mod:`telegrambot.aio.ratelimit`.
"""

from typing import Any

__all__ = ["Bot", "MessageLoop", "OrderedWebhook", "RateLimiter", "Scheduler", "Webhook"]

_EXPORTS = {
    "Bot": "telegrambot.aio.bot",
    "MessageLoop": "telegrambot.aio.loop",
    "Webhook": "telegrambot.aio.loop",
    "OrderedWebhook": "telegrambot.aio.loop",
    "RateLimiter": "telegrambot.aio.ratelimit",
    "Scheduler": "telegrambot.aio.scheduler",
}


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'telegrambot.aio' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list:
    return sorted(set(globals()) | set(_EXPORTS))

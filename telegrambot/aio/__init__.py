"""telegrambot for asyncio: the threaded library's design with coroutines and tasks.

``from telegrambot.aio import Bot``; everything runs inside one event loop. aiohttp (the
``aio`` extra: ``pip install 'telegrambot[aio]'``) is imported on the first request, never
by ``import telegrambot`` nor by ``import telegrambot.aio``.

- :class:`Bot` (:mod:`telegrambot.aio.bot`): all Bot API methods, as coroutines.
- :mod:`telegrambot.aio.loop`: :class:`MessageLoop`, :class:`Webhook`,
  :class:`OrderedWebhook` as tasks.
- :mod:`telegrambot.aio.scheduler`: the event scheduler as a task.
- :mod:`telegrambot.aio.transport`, :mod:`telegrambot.aio.ratelimit`.
- :class:`DelegatorBot` (:mod:`telegrambot.aio.delegate`): a task per chat, user or
  origin, with the threaded seeders; the handlers, listeners and idle sweeper of
  :mod:`telegrambot.aio.helper`.
- :mod:`telegrambot.aio.webhook`: receiving on aiohttp's web server (the ASGI app, which
  needs nothing, is :mod:`telegrambot.asgi`).
"""

from typing import Any

__all__ = ["Bot", "DelegatorBot", "MessageLoop", "OrderedWebhook", "RateLimiter", "Scheduler", "Webhook"]

_EXPORTS = {
    "Bot": "telegrambot.aio.bot",
    "DelegatorBot": "telegrambot.aio.delegate",
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

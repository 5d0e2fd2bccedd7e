"""Flood control for :class:`telegrambot.aio.Bot`: the threaded limiter's rules, awaited.

``Bot(token, rate_limiter=True)`` puts a :class:`RateLimiter` around every call of the
bot, with the rules of :mod:`telegrambot.ratelimit` (they live once, in
:class:`telegrambot.core.limits.LimiterRules`): a counted call waits until it fits
Telegram's limits, a 429 is waited out and the call made again, network errors are retried
where repeating is safe, a wait over ``max_wait`` raises
:class:`~telegrambot.exception.FloodWaitTooLong`. Waiting is ``asyncio.sleep``: the task
waits, the event loop goes on. One limiter serves the tasks of one event loop.

https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this
"""

import asyncio
import contextlib
import logging
import time
from typing import Any, Awaitable, Callable, Mapping

from ..core.limits import PASS_THROUGH, SEND, LimiterRules

__all__ = ["RateLimiter"]

log = logging.getLogger(__name__)


class RateLimiter(LimiterRules):
    """Keeps one asyncio bot under Telegram's flood limits, shared by all its tasks.

    Takes the parameters of :class:`telegrambot.core.limits.LimiterRules`: ``limits``,
    ``headroom``, ``max_retries``, ``max_wait``, ``network_retries``, ``backoff``,
    ``max_backoff``. Its counters ``waits``, ``retries_after_429`` and
    ``network_retries_made`` only grow.
    """

    async def call(self, method: str, params: Mapping[str, Any],
                   send: Callable[[], Awaitable[Any]]) -> Any:
        """Make a call with ``await send()`` under the limits and the retry rules; its result."""
        if method in PASS_THROUGH:
            return await send()
        plan = self.plan(method, params, time.monotonic, contextlib.nullcontext(), log)
        step = next(plan)
        while True:
            if step is not SEND:
                await asyncio.sleep(step)
                step = next(plan)
                continue
            try:
                return await send()
            except Exception as e:
                step = plan.throw(e)  # the next step, or e raised again

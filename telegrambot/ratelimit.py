"""Flood control for :class:`~telegrambot.Bot`: stay under Telegram's limits by waiting.

``Bot(token, rate_limiter=True)`` (or ``rate_limiter=RateLimiter(...)``) puts a
:class:`RateLimiter` around every call of the bot. Calls from every thread share it:

- a call that counts toward Telegram's message limits (``send*``, ``copy*``, ``forward*``,
  see :mod:`telegrambot.core.limits`) waits until it fits the overall limit (30 per
  second, 1000 with ``allow_paid_broadcast``) and its chat's limit (1 per second in a
  private chat after a burst of 3, 20 per minute in a group); the caller's thread is
  blocked meanwhile, nothing fails;
- a 429 answer (any method) is waited out, ``retry_after`` seconds exactly, then the call
  is made again, up to ``max_retries`` times; further calls to the same chat wait as well;
- a ``retry_after`` longer than ``max_wait``, or a wait for the limits longer than it,
  raises :class:`~telegrambot.exception.FloodWaitTooLong` (for a 429, the subclass
  :class:`~telegrambot.exception.RetryAfterTooLong`) instead of blocking; a thread can set
  its own limit for a while (``with bot.rate_limiter.limit_wait(5): ...``), say a handler
  that must answer quickly while a broadcast thread may wait;
- network errors are retried with exponential backoff only where repeating is safe: a
  connection that could not be made (nothing was sent) for every method; a timeout, a
  reset or a 5xx answer only for methods that only read (``get*``,
  :func:`~telegrambot.core.limits.is_safe_to_repeat`). A ``sendMessage`` whose answer was
  lost is never sent again: the error reaches the caller, who can tell what to do.

``getUpdates`` goes through untouched: the polling loop handles its own errors.

https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this
"""

import logging
import threading
import time
from typing import Any, Callable, Mapping

from .core.limits import PASS_THROUGH, SEND, LimiterRules

__all__ = ["RateLimiter"]

log = logging.getLogger(__name__)


class RateLimiter(LimiterRules):
    """Keeps one bot under Telegram's flood limits; thread-safe, shared by all its calls.

    Takes the parameters of :class:`telegrambot.core.limits.LimiterRules`: ``limits``,
    ``headroom``, ``max_retries``, ``max_wait``, ``network_retries``, ``backoff``,
    ``max_backoff``. Its counters ``waits``, ``retries_after_429`` and
    ``network_retries_made`` only grow.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lock = threading.Lock()

    # -- the call

    def call(self, method: str, params: Mapping[str, Any], send: Callable[[], Any]) -> Any:
        """Make a call with ``send()`` under the limits and the retry rules; its result."""
        if method in PASS_THROUGH:
            return send()
        plan = self.plan(method, params, time.monotonic, self._lock, log)
        step = next(plan)
        while True:
            if step is not SEND:
                time.sleep(step)
                step = next(plan)
                continue
            try:
                return send()
            except Exception as e:
                step = plan.throw(e)  # the next step, or e raised again

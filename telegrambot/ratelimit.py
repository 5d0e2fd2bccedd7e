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

import contextlib
import logging
import threading
import time
from typing import Any, Callable, Iterator, Mapping, Optional

from .core.limits import (
    DEFAULT_LIMITS,
    FloodLimits,
    FloodState,
    Target,
    is_safe_to_repeat,
    target_of,
)
from .exception import (
    BadHTTPResponse,
    ConnectError,
    FloodWaitTooLong,
    NetworkError,
    RetryAfterTooLong,
    ServerError,
    TooManyRequests,
)

__all__ = ["RateLimiter"]

log = logging.getLogger(__name__)

#: Methods the limiter leaves alone.
PASS_THROUGH = frozenset({"getUpdates"})


class RateLimiter:
    """Keeps one bot under Telegram's flood limits; thread-safe, shared by all its calls.

    :param limits: the limits to keep (:class:`~telegrambot.core.limits.FloodLimits`;
        Telegram's by default). Raise ``overall`` if @BotSupport raised your bot's limit.
    :param headroom: seconds' worth of each burst left unused, so that calls that reach
        Telegram closer together than they left (network jitter) still fit.
    :param max_retries: times a call answered 429 is made again before the 429 is raised.
    :param max_wait: the longest a call may be held (for the limits, or a ``retry_after``)
        before :class:`~telegrambot.exception.FloodWaitTooLong` is raised instead; None:
        no limit.
    :param network_retries: times a failed call that is safe to repeat is made again.
    :param backoff: the first wait before such a retry (doubled each time, at most
        ``max_backoff``).
    """

    def __init__(
        self,
        limits: FloodLimits = DEFAULT_LIMITS,
        *,
        headroom: float = 0.5,
        max_retries: int = 3,
        max_wait: Optional[float] = 60.0,
        network_retries: int = 2,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
    ) -> None:
        if max_retries < 0 or network_retries < 0:
            raise ValueError("max_retries and network_retries must be 0 or more")
        if max_wait is not None and max_wait < 0:
            raise ValueError("max_wait must be None or 0 or more seconds")
        if headroom < 0 or backoff < 0 or max_backoff < 0:
            raise ValueError("headroom, backoff and max_backoff must be 0 or more seconds")
        self.limits = limits
        self.max_retries = max_retries
        self.max_wait = max_wait
        self.network_retries = network_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._state = FloodState(limits, headroom)
        self._lock = threading.Lock()
        self._local = threading.local()  # a thread's own max_wait (limit_wait)
        #: Counters, for monitoring: calls held for the limits, 429s waited out, network
        #: retries made. Read them as they are; they only grow.
        self.waits = 0
        self.retries_after_429 = 0
        self.network_retries_made = 0

    def __repr__(self) -> str:
        return "<RateLimiter %r>" % (self.limits,)

    @contextlib.contextmanager
    def limit_wait(self, max_wait: Optional[float]) -> Iterator[None]:
        """Within the ``with`` block, this thread's calls wait at most ``max_wait`` seconds
        (None: as long as it takes) instead of the limiter's ``max_wait``."""
        if max_wait is not None and max_wait < 0:
            raise ValueError("max_wait must be None or 0 or more seconds")
        missing = object()
        before = getattr(self._local, "max_wait", missing)
        self._local.max_wait = max_wait
        try:
            yield
        finally:
            if before is missing:
                del self._local.max_wait
            else:
                self._local.max_wait = before

    def _max_wait(self) -> Optional[float]:
        return getattr(self._local, "max_wait", self.max_wait)

    # -- the call

    def call(self, method: str, params: Mapping[str, Any], send: Callable[[], Any]) -> Any:
        """Make a call with ``send()`` under the limits and the retry rules; its result."""
        if method in PASS_THROUGH:
            return send()
        target = target_of(method, params)
        not_before = 0.0
        answered_429 = 0
        failed = 0
        while True:
            if target is not None or not_before or self._state.holding:
                self._pace(method, target, not_before)
            try:
                return send()
            except TooManyRequests as e:
                retry_after = e.retry_after
                seconds = float(retry_after) if isinstance(retry_after, (int, float)) else 1.0
                if answered_429 >= self.max_retries:
                    raise
                max_wait = self._max_wait()
                if max_wait is not None and seconds > max_wait:
                    raise RetryAfterTooLong(e.description, e.error_code, e.json, e.method,
                                            max_wait) from e
                answered_429 += 1
                not_before = time.monotonic() + seconds
                with self._lock:
                    if target is not None and target.chat is not None:
                        self._state.hold(target.chat, not_before)
                    self.retries_after_429 += 1
                log.info("%s: 429, repeating it in %s s as asked", method, retry_after)
            except (NetworkError, ServerError, BadHTTPResponse) as e:
                if failed >= self.network_retries or not self._may_repeat(method, e):
                    raise
                delay = min(self.max_backoff, self.backoff * 2 ** failed)
                failed += 1
                with self._lock:
                    self.network_retries_made += 1
                log.info("%s failed (%s); trying again in %.1f s", method, e, delay)
                time.sleep(delay)

    @staticmethod
    def _may_repeat(method: str, e: Exception) -> bool:
        if isinstance(e, ConnectError):  # nothing was sent
            return True
        if isinstance(e, BadHTTPResponse) and e.status < 500:
            return False
        return is_safe_to_repeat(method)

    def _pace(self, method: str, target: Optional[Target], not_before: float) -> None:
        """Block until ``target`` fits the limits (and ``not_before`` has passed); count it."""
        started: Optional[float] = None
        max_wait: Optional[float] = None
        state, lock, monotonic = self._state, self._lock, time.monotonic
        while True:
            with lock:
                now = monotonic()
                wait = max(state.acquire(target, now) if now >= not_before
                           else state.delay(target, now), not_before - now)
            if wait <= 0:
                return
            if started is None:
                started = now
                max_wait = self._max_wait()
                with lock:
                    self.waits += 1
            if max_wait is not None and now + wait - started > max_wait:
                raise FloodWaitTooLong(method, now + wait - started, max_wait)
            time.sleep(wait)

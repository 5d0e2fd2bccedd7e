"""What a webhook endpoint keeps between requests, whichever runtime serves it.

The rules of a request are :mod:`telegrambot.core.webhook_rules`'s. Around them every
endpoint (the threaded :class:`telegrambot.webhook.WebhookReceiver`, the asyncio
:class:`telegrambot.asgi.AsyncWebhookReceiver`) keeps the same state, here once: whether it
still accepts requests, how many are in flight, the update_ids accepted lately (so a
redelivery is answered 200 but not handed on twice), and how often each kind of rejection
was logged. Each runtime only reads the body and hands the update over its own way,
between :meth:`ReceiverBase._begin` and :meth:`ReceiverBase._finish`.

The state is guarded by a condition (threads wait on it for the requests in flight); the
lock is never held across I/O, so an event loop takes it too, uncontended.
"""

import logging
import queue
import threading
import time
from typing import Any, Callable, Dict, Optional, Tuple, Union

from .api import redact
from .core.lograte import LogRate
from .core.webhook_rules import BUSY, SEEN, DedupTable, Rejection, WebhookRules

__all__ = ["ReceiverBase", "MAX_BODY", "STOPPING", "QUEUE_FULL"]

logger = logging.getLogger("telegrambot.webhook")

STOPPING = Rejection(503, "stopping", "503 stopping")
QUEUE_FULL = Rejection(503, "queue full", "503 queue full")
#: Default limit on the size of a request body (1 MiB).
MAX_BODY = 1 << 20

_ALREADY = (200, "already accepted")
_OK = (200, "ok")


class ReceiverBase:
    """The state of a webhook endpoint between requests (see the module documentation);
    the parameters are :class:`telegrambot.webhook.WebhookReceiver`'s."""

    def __init__(
        self,
        sink: Any,
        *,
        path: Optional[str] = None,
        secret_token: Optional[str] = None,
        max_body: int = MAX_BODY,
        seen_size: int = 10_000,
        put_timeout: float = 5.0,
        log_interval: float = 60.0,
        seen: Optional[DedupTable] = None,
    ) -> None:
        if max_body < 1 or seen_size < 1:
            raise ValueError("max_body and seen_size must be positive")
        self.rules = WebhookRules(path, secret_token, max_body)
        self._secret = secret_token.encode() if secret_token else None
        self.seen_size = seen_size
        self._cond = threading.Condition()
        self._accepting = True
        self._in_flight = 0
        self._seen = seen if seen is not None else DedupTable(seen_size)
        self._lograte = LogRate(log_interval)
        self._feed = self._feeder(sink, put_timeout)

    @staticmethod
    def _feeder(sink: Any, put_timeout: float) -> Callable[[Dict[str, Any]], Any]:
        """The function handing one update to ``sink`` (each runtime's own)."""
        raise NotImplementedError

    @property
    def path(self) -> Optional[str]:
        return self.rules.path

    @property
    def max_body(self) -> int:
        return self.rules.max_body

    def __repr__(self) -> str:
        # the path may hold the bot token (a common setup: /bot<token>)
        path = redact(repr(self.path))
        return f"<{type(self).__name__} path={path} secret={bool(self._secret)} max_body={self.max_body}>"

    @property
    def accepting(self) -> bool:
        """False once :meth:`close` was called: new requests get 503."""
        return self._accepting

    def close(self) -> None:
        """Answer 503 to every new request from now on; requests in flight carry on. Logs
        the counts of rejections not logged yet."""
        with self._cond:
            self._accepting = False
            pending = self._lograte.flush()
        for cause, count in pending:
            logger.warning("webhook: %d more requests refused with %s, not logged one by one",
                           count, cause)

    # -- the steps around a request ------------------------------------------------------

    def _enter(self, peer: Any) -> Optional[Rejection]:
        """A request starts: None (it is now in flight), or 503 when stopping (logged)."""
        with self._cond:
            if self._accepting:
                self._in_flight += 1
                return None
        self._log(STOPPING, peer, logging.INFO)
        return STOPPING

    def _leave(self) -> bool:
        """A request that :meth:`_enter` let in is over; True if none is in flight now."""
        with self._cond:
            self._in_flight -= 1
            self._cond.notify_all()
            return self._in_flight == 0

    def _answer(self, result: Union[Tuple[int, str], Rejection], peer: Any) -> Tuple[int, str]:
        """The status and text to answer, a rejection logged (a failing sink was logged
        with its traceback already)."""
        if isinstance(result, Rejection):
            if result.status != 500:
                self._log(result, peer, logging.WARNING)
            return result.status, result.text
        return result

    def _begin(self, update_id: int) -> Union[None, Tuple[int, str], Rejection]:
        """None: the update is new, hand it over then call :meth:`_end`; else the answer
        (200 for one accepted before, 503 for one another request is accepting)."""
        with self._cond:
            state = self._seen.begin(update_id)
        if state == SEEN:
            logger.info("webhook: update %d delivered again, not handed on twice", update_id)
            return _ALREADY
        if state == BUSY:
            return Rejection(503, f"update {update_id} is being accepted by another request",
                             "503 update being accepted")
        return None

    def _finish(self, update_id: int, error: Optional[BaseException]) -> Union[Tuple[int, str], Rejection]:
        """End what :meth:`_begin` started, once the sink had the update (``error``: what
        it raised, if anything): the update_id is remembered if it was accepted, and the
        answer is 200, 503 for a full queue (:class:`queue.Full`) or 500 for a sink that
        failed (logged with its traceback). Anything but an Exception is raised again."""
        with self._cond:
            self._seen.done(update_id, error is None)
        if error is None:
            return _OK
        if isinstance(error, queue.Full):
            return QUEUE_FULL
        if not isinstance(error, Exception):
            raise error
        logger.error("webhook: 500: the sink failed on update %d", update_id, exc_info=error)
        return Rejection(500, f"the sink failed on update {update_id}: {type(error).__name__}",
                         "500 sink failed")

    # -- logging, rate-limited -----------------------------------------------------------

    def _log(self, rejection: Rejection, peer: Any, level: int) -> None:
        """Log a rejection, at most once per cause per ``log_interval``."""
        self._log_event(rejection.cause, level, "%d for a request from %s: %s",
                        rejection.status, peer, rejection.text)

    def _log_event(self, cause: str, level: int, message: str, *args: Any) -> None:
        """Log an event of kind ``cause`` at most once per ``log_interval``, with a count
        of those not logged since the last such line."""
        with self._cond:
            count = self._lograte.hit(cause, time.monotonic())
        if count is not None:
            more = f" (and {count - 1} more since the last such line)" if count > 1 else ""
            logger.log(level, "webhook: " + message + more, *args)

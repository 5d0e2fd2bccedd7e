"""Telegram's flood limits as arithmetic: which calls count, and when the next one may go.

No I/O, no clock, no thread: every function takes the time (seconds on any monotonic
clock) as an argument. :class:`telegrambot.ratelimit.RateLimiter` uses it to wait before
sending; the emulator (:mod:`telegrambot.testing`) uses the same buckets to answer 429.

The limits, from Telegram's Bots FAQ
(https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this):

- about 30 messages per second overall;
- about one message per second in one chat, with short bursts allowed;
- at most 20 messages per minute in one group;
- with ``allow_paid_broadcast`` (https://core.telegram.org/bots/api#sendmessage) up to 1000
  messages per second, paid in Telegram Stars.

Each limit is a token bucket (:class:`Limit`: ``messages`` per ``per`` seconds, up to
``burst`` at once), computed as a generic cell rate algorithm: one number per bucket, the
time at which it would be full again.

Which calls count (:func:`counts`):

- the methods that post new messages into a chat count toward every limit: each
  ``send*``, ``copy*`` and ``forward*`` method returning a Message or MessageId (one or an
  array), whatever the number of messages one call makes (a media group counts once);
- edits of a chat's messages (``editMessage*``, ``stopMessageLiveLocation``) count toward
  that chat's limit only, as Telegram's developers state ("editing of the message in
  question is still subject to per chat limits", https://github.com/tdlib/telegram-bot-api/issues/648);
  edits of inline messages (no chat) are not counted;
- nothing else counts: ``sendChatAction``, ``sendMessageDraft``, ``sendRichMessageDraft``,
  ``sendGift``, ``sendChatJoinRequestWebApp`` (they post no message), answers to queries
  ("without any limits", same source) and every other method, for which Telegram publishes
  no figures. A 429 on any call is still handled by waiting ``retry_after``.

A call's chat (:func:`target_of`) is its ``chat_id``: a positive id is a private chat, a
negative id or an ``@username`` a group, supergroup or channel (all under the group limit).

A rate limiter's decisions are here too, for both runtimes' limiters to drive:
:class:`LimiterRules` (its settings and counters) and :class:`Attempt` (one call: how long
it must wait to fit the limits, and after a failure whether to repeat it and when). The
runtime's limiter only waits (``time.sleep`` or ``asyncio.sleep``), locks and logs.
"""

import contextlib
import contextvars
import math
from typing import (
    Any,
    Callable,
    ContextManager,
    Dict,
    Generator,
    Iterator,
    List,
    Mapping,
    NamedTuple,
    Optional,
    Tuple,
    Union,
)

from ..exception import (
    BadHTTPResponse,
    ConnectError,
    FloodWaitTooLong,
    NetworkError,
    RetryAfterTooLong,
    ServerError,
    TooManyRequests,
)
from .notes import Note

__all__ = [
    "Attempt",
    "DEFAULT_LIMITS",
    "check_max_wait",
    "LimiterRules",
    "PASS_THROUGH",
    "Retry",
    "SEND",
    "EDITS",
    "NOT_MESSAGES",
    "FloodLimits",
    "FloodState",
    "Limit",
    "Target",
    "chat_key",
    "counts",
    "is_safe_to_repeat",
    "posts",
    "retry_after_for",
    "target_of",
]

#: ``send*`` methods that post no message and are not counted.
NOT_MESSAGES = frozenset({
    "sendChatAction", "sendMessageDraft", "sendRichMessageDraft", "sendGift",
    "sendChatJoinRequestWebApp",
})
_MESSAGE_PREFIXES = ("send", "copy", "forward")
#: Methods that edit a chat's message: counted toward that chat's limit only.
EDITS = frozenset({
    "editMessageText", "editMessageCaption", "editMessageMedia", "editMessageReplyMarkup",
    "editMessageLiveLocation", "stopMessageLiveLocation", "editMessageChecklist",
})

ChatKey = Union[int, str, None]


class Limit(NamedTuple):
    """``messages`` per ``per`` seconds, of which ``burst`` may go at once."""

    messages: float
    per: float
    burst: int = 1

    @property
    def interval(self) -> float:
        """Seconds per message at the sustained rate."""
        return self.per / self.messages


class FloodLimits(NamedTuple):
    """The limits one bot is held to; None turns a limit off.

    ``private`` applies to each private chat, ``group`` to each group, supergroup or
    channel, ``overall`` to every counted call together, ``paid`` (instead of ``overall``)
    to calls with ``allow_paid_broadcast``.
    """

    overall: Optional[Limit] = Limit(30, 1.0, 30)
    private: Optional[Limit] = Limit(1, 1.0, 10)
    group: Optional[Limit] = Limit(20, 60.0, 20)
    paid: Optional[Limit] = Limit(1000, 1.0, 1000)


#: Telegram's limits as the FAQ states them. Bursts: a second's worth overall, a minute's
#: worth (20) in a group, 10 in a private chat (the FAQ allows "short bursts" without
#: sizing them; 10 lets a bot answer a quick exchange at once and still refuses a bot that
#: keeps sending more than one message a second).
DEFAULT_LIMITS = FloodLimits()


class Target(NamedTuple):
    """What a counted call is held to: its chat (key and kind), whether it is paid, and
    whether it counts toward the overall limit too (edits count toward their chat's only)."""

    chat: ChatKey
    kind: Optional[str]  # "private", "group" or None (no chat given)
    paid: bool = False
    overall: bool = True


def counts(method: str) -> bool:
    """Whether a call of ``method`` counts toward the message limits (see the module doc)."""
    return (method.startswith(_MESSAGE_PREFIXES) and method not in NOT_MESSAGES
            or method in EDITS)


def posts(method: str) -> bool:
    """Whether ``method`` posts new messages (and so counts toward the overall limit)."""
    return method.startswith(_MESSAGE_PREFIXES) and method not in NOT_MESSAGES


def is_safe_to_repeat(method: str) -> bool:
    """Whether ``method`` may be sent again when it is unknown if the first one arrived.

    True for the methods that only read (``get*``), except ``getUpdates``: the polling
    loop decides about its own retries (and an aborted long poll must not be repeated).
    Sending a message, answering a query, changing a setting: never repeated blindly.
    """
    return method.startswith("get") and method != "getUpdates"


def chat_key(chat_id: Any) -> Tuple[ChatKey, Optional[str]]:
    """``(key, kind)`` for a ``chat_id`` value: kind "private", "group" or None."""
    if isinstance(chat_id, bool) or chat_id is None:
        return None, None
    if isinstance(chat_id, str):
        text = chat_id.strip()
        try:
            chat_id = int(text)
        except ValueError:
            return (text.lower(), "group") if text else (None, None)
    if isinstance(chat_id, int):
        return chat_id, ("private" if chat_id > 0 else "group")
    return None, None


def target_of(method: str, params: Mapping[str, Any]) -> Optional[Target]:
    """The :class:`Target` of a call, or None when the call does not count."""
    if not counts(method):
        return None
    key, kind = chat_key(params.get("chat_id"))
    if method in EDITS:
        return Target(key, kind, False, False) if key is not None else None
    return Target(key, kind, bool(params.get("allow_paid_broadcast")), True)


def retry_after_for(delay: float) -> int:
    """The ``retry_after`` Telegram would give for a wait of ``delay`` seconds (>= 1)."""
    return max(1, math.ceil(delay - 1e-9))


class _Bucket:
    """One token bucket as the time ``full_at`` it would hold ``burst`` tokens again."""

    __slots__ = ("interval", "tolerance", "full_at")

    def __init__(self, limit: Limit, headroom: float) -> None:
        self.interval = limit.interval
        # a client keeps `headroom` seconds' worth of the burst unused (network jitter)
        burst = max(1, int(limit.burst) - math.ceil(headroom / self.interval - 1e-9))
        self.tolerance = (burst - 1) * self.interval
        self.full_at = -math.inf

    def delay(self, now: float) -> float:
        return self.full_at - self.tolerance - now

    def take(self, now: float) -> None:
        self.full_at = max(self.full_at, now) + self.interval


class FloodState:
    """The buckets of one bot: an overall one, a paid one, one per chat; and holds.

    Not thread-safe: the caller serialises (the rate limiter holds a lock, the emulator its
    own). ``headroom`` (seconds) shrinks each burst by that much of its rate, so calls that
    arrive closer together than they left still fit the server's buckets; the server side
    uses 0.
    """

    #: Chat buckets are swept (those full again are dropped) every this many calls.
    SWEEP_EVERY = 4096

    def __init__(self, limits: FloodLimits = DEFAULT_LIMITS, headroom: float = 0.0) -> None:
        self.limits = limits
        self.headroom = headroom
        self._overall = _Bucket(limits.overall, headroom) if limits.overall else None
        self._paid = _Bucket(limits.paid, headroom) if limits.paid else None
        self._chats: Dict[Tuple[str, ChatKey], _Bucket] = {}
        self._holds: Dict[ChatKey, float] = {}
        self._until_sweep = self.SWEEP_EVERY

    @property
    def holding(self) -> bool:
        """Whether some hold (after a 429) may still be in force."""
        return bool(self._holds)

    def __len__(self) -> int:
        """How many chat buckets are kept."""
        return len(self._chats)

    def _buckets(self, target: Target, create: bool) -> List[_Bucket]:
        found = []
        shared = self._paid if target.paid else self._overall
        if shared is not None and target.overall:
            found.append(shared)
        if target.chat is not None and target.kind is not None:
            key = (target.kind, target.chat)
            bucket = self._chats.get(key)
            if bucket is None and create:
                limit = self.limits.private if target.kind == "private" else self.limits.group
                if limit is not None:
                    bucket = self._chats[key] = _Bucket(limit, self.headroom)
            if bucket is not None:
                found.append(bucket)
        return found

    def _held(self, target: Optional[Target], now: float) -> float:
        chat = target.chat if target is not None else None
        until = self._holds.get(None, -math.inf)
        if chat is not None:
            until = max(until, self._holds.get(chat, -math.inf))
        return until - now

    def delay(self, target: Optional[Target], now: float) -> float:
        """Seconds until a call to ``target`` fits every limit and hold (0: now)."""
        wait = self._held(target, now) if self._holds else 0.0
        if target is not None:
            for bucket in self._buckets(target, False):
                wait = max(wait, bucket.full_at - bucket.tolerance - now)
        return wait if wait > 0 else 0.0

    def take(self, target: Target, now: float) -> None:
        """Count a call to ``target`` made at ``now``."""
        self._take(self._buckets(target, True), now)

    def _take(self, buckets: List[_Bucket], now: float) -> None:
        for bucket in buckets:
            bucket.full_at = max(bucket.full_at, now) + bucket.interval
        self._until_sweep -= 1
        if self._until_sweep <= 0:
            self.sweep(now)

    def acquire(self, target: Optional[Target], now: float) -> float:
        """:meth:`take` if the call fits now and return 0; else the seconds to wait."""
        wait = self._held(target, now) if self._holds else 0.0
        if target is None:
            return wait if wait > 0 else 0.0
        buckets = self._buckets(target, True)
        for bucket in buckets:
            wait = max(wait, bucket.full_at - bucket.tolerance - now)
        if wait > 0:
            return wait
        self._take(buckets, now)
        return 0.0

    def hold(self, chat: ChatKey, until: float) -> None:
        """No call to ``chat`` (None: to any chat) before ``until`` (after a 429)."""
        if until > self._holds.get(chat, -math.inf):
            self._holds[chat] = until

    def sweep(self, now: float) -> None:
        """Forget chat buckets that are full again and holds that are over."""
        self._until_sweep = self.SWEEP_EVERY
        self._chats = {k: b for k, b in self._chats.items() if b.full_at > now}
        self._holds = {k: t for k, t in self._holds.items() if t > now}


# ---------------------------------------------------------------- a rate limiter's decisions

#: Methods a rate limiter leaves alone (the polling loop handles its own errors).
PASS_THROUGH = frozenset({"getUpdates"})


_UNSET: Any = object()


class _Send:
    __slots__ = ()

    def __repr__(self) -> str:
        return "SEND"


#: The step of a :meth:`LimiterRules.plan` that says: make the call now.
SEND: Any = _Send()

#: What :meth:`LimiterRules.plan` gives: seconds to wait, or :data:`SEND`.
Plan = Generator[Any, None, None]


class LimiterRules:
    """A rate limiter's settings, checked, with its state and counters; the runtimes'
    ``RateLimiter`` classes derive from it and add the waiting.

    :param limits: the limits to keep (:class:`FloodLimits`; Telegram's by default). Raise
        ``overall`` if @BotSupport raised your bot's limit.
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
        check_max_wait(max_wait)
        if headroom < 0 or backoff < 0 or max_backoff < 0:
            raise ValueError("headroom, backoff and max_backoff must be 0 or more seconds")
        self.limits = limits
        self.max_retries = max_retries
        self.max_wait = max_wait
        self.network_retries = network_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._state = FloodState(limits, headroom)
        #: Counters, for monitoring: calls held for the limits, 429s waited out, network
        #: retries made. Read them as they are; they only grow.
        self.waits = 0
        self.retries_after_429 = 0
        self.network_retries_made = 0
        # a thread's or task's own max_wait (limit_wait); a task inherits its maker's
        self._own_max_wait: contextvars.ContextVar[Any] = contextvars.ContextVar(
            "max_wait", default=_UNSET)

    @contextlib.contextmanager
    def limit_wait(self, max_wait: Optional[float]) -> Iterator[None]:
        """Within the ``with`` block, the calls of this thread (or asyncio task) wait at
        most ``max_wait`` seconds (None: as long as it takes) instead of ``max_wait``."""
        check_max_wait(max_wait)
        token = self._own_max_wait.set(max_wait)
        try:
            yield
        finally:
            self._own_max_wait.reset(token)

    def _max_wait(self) -> Optional[float]:
        found = self._own_max_wait.get()
        return self.max_wait if found is _UNSET else found

    def __repr__(self) -> str:
        return "<%s %r>" % (type(self).__name__, self.limits)

    def plan(self, method: str, params: Mapping[str, Any], clock: Callable[[], float], lock: ContextManager[Any], logger: Any) -> Plan:
        """One call under these rules, as the steps a runtime's limiter follows.

        The generator yields seconds to wait (then ask for the next step with ``next()``)
        or :data:`SEND`: make the call now. If it raised, ``throw()`` its exception in: the
        next step comes back (a retry), or the exception (or the RetryAfterTooLong it
        became) is raised out of ``throw()``. If it returned, the plan is over. ``clock``
        gives the monotonic time, ``lock`` is held while the rules' state changes (a
        thread lock, or a null context in one event loop), ``logger`` logs the retries.
        FloodWaitTooLong comes out of a step when the call would be held too long."""
        attempt = Attempt(self, method, params, self._max_wait())
        while True:
            if attempt.paced():
                while True:
                    with lock:
                        wait = attempt.wait(clock())
                    if wait <= 0:
                        break
                    yield wait
            try:
                yield SEND
                return
            except Exception as e:
                with lock:
                    retry = attempt.failed(e, clock())
                if retry is None:
                    raise
            retry.note.log(logger)
            if retry.delay:
                yield retry.delay



def check_max_wait(max_wait: Optional[float]) -> None:
    """ValueError unless ``max_wait`` is None or 0 or more seconds."""
    if max_wait is not None and max_wait < 0:
        raise ValueError("max_wait must be None or 0 or more seconds")


class Retry(NamedTuple):
    """After a failed attempt: wait ``delay`` seconds (on top of the pacing), log ``note``,
    and make the call again."""

    delay: float
    note: Note


class Attempt:
    """One call made under a limiter's rules (``rules``, a :class:`LimiterRules`), with
    ``max_wait`` the longest it may be held. Not thread-safe: a threaded limiter calls
    :meth:`wait` and :meth:`failed` under its lock (they change its state and counters).
    """

    __slots__ = ("rules", "method", "target", "max_wait", "not_before", "answered_429",
                 "failed_network", "started")

    def __init__(self, rules: LimiterRules, method: str, params: Mapping[str, Any],
                 max_wait: Optional[float]) -> None:
        self.rules = rules
        self.method = method
        self.target = target_of(method, params)
        self.max_wait = max_wait
        self.not_before = 0.0  # no attempt before this time (after a 429)
        self.answered_429 = 0
        self.failed_network = 0
        self.started: Optional[float] = None  # when the call was first held

    def paced(self) -> bool:
        """Whether the call must ask :meth:`wait` before it goes (else it may go at once)."""
        return self.target is not None or bool(self.not_before) or self.rules._state.holding

    def wait(self, now: float) -> float:
        """0 when the call may go at ``now`` (counted in the buckets), else the seconds to
        wait before asking again. FloodWaitTooLong when it would be held over ``max_wait``."""
        state, not_before = self.rules._state, self.not_before
        wait = max(state.acquire(self.target, now) if now >= not_before
                   else state.delay(self.target, now), not_before - now)
        if wait <= 0:
            return 0.0
        if self.started is None:
            self.started = now
            self.rules.waits += 1
        if self.max_wait is not None and now + wait - self.started > self.max_wait:
            raise FloodWaitTooLong(self.method, now + wait - self.started, self.max_wait)
        return wait

    def failed(self, error: BaseException, now: float) -> Optional[Retry]:
        """The attempt raised ``error`` at ``now``: a :class:`Retry`, or None to let the
        error through. RetryAfterTooLong (from ``error``) for a ``retry_after`` over
        ``max_wait``."""
        rules = self.rules
        if isinstance(error, TooManyRequests):
            retry_after = error.retry_after
            seconds = float(retry_after) if isinstance(retry_after, (int, float)) else 1.0
            if self.answered_429 >= rules.max_retries:
                return None
            if self.max_wait is not None and seconds > self.max_wait:
                raise RetryAfterTooLong(error.description, error.error_code, error.json,
                                        error.method, self.max_wait) from error
            self.answered_429 += 1
            self.not_before = now + seconds
            target = self.target
            if target is not None and target.chat is not None:
                rules._state.hold(target.chat, self.not_before)
            rules.retries_after_429 += 1
            return Retry(0.0, Note("info", "%s: 429, repeating it in %s s as asked",
                                   (self.method, retry_after)))
        if isinstance(error, (NetworkError, ServerError, BadHTTPResponse)):
            if self.failed_network >= rules.network_retries or not _may_repeat(self.method, error):
                return None
            delay = min(rules.max_backoff, rules.backoff * 2 ** self.failed_network)
            self.failed_network += 1
            rules.network_retries_made += 1
            return Retry(delay, Note("info", "%s failed (%s); trying again in %.1f s",
                                     (self.method, error, delay)))
        return None


def _may_repeat(method: str, error: BaseException) -> bool:
    if isinstance(error, ConnectError):  # nothing was sent
        return True
    if isinstance(error, BadHTTPResponse) and error.status < 500:
        return False
    return is_safe_to_repeat(method)

"""Flood control in Bot (telegrambot.ratelimit): calls wait instead of failing, 429s are
waited out, and only calls that are safe to repeat are repeated after a network error."""

import io
import logging
import socket
import threading
import time

import pytest

from telegrambot import DelegatorBot
from telegrambot.bot import Bot
from telegrambot.core.limits import FloodLimits, Limit
from telegrambot.exception import (
    BadHTTPResponse,
    ConnectError,
    FloodWaitTooLong,
    NetworkError,
    RetryAfterTooLong,
    ServerError,
    TooManyRequests,
)
from telegrambot.ratelimit import RateLimiter
from telegrambot.testing import Emulator
from telegrambot.testing.rules import Rules

# Telegram's shape, ten times faster, so that a test waits tenths of seconds, not seconds
FAST = FloodLimits(overall=Limit(300, 1.0, 30), private=Limit(10, 1.0, 4),
                   group=Limit(20, 2.0, 5), paid=Limit(3000, 1.0, 300))


@pytest.fixture
def fast():
    """An emulator enforcing FAST and a bot limited to FAST."""
    with Emulator(strict=Rules(flood=FAST)) as emu:
        bot = Bot(emu.token, api_url=emu.api_url,
                  rate_limiter=RateLimiter(FAST, headroom=0.05, max_wait=10))
        try:
            yield emu, bot
        finally:
            bot.close_connections()


def sent_times(emu, chat_id=None):
    return [r.time for r in emu.requests
            if r.method == "sendMessage" and r.status == 200
            and (chat_id is None or r.params.get("chat_id") == chat_id)]


def statuses(emu, method="sendMessage"):
    return [r.status for r in emu.requests if r.method == method]


def test_rate_limiter_argument():
    assert Bot("1:x" * 5).rate_limiter is None
    assert isinstance(Bot("1:x" * 5, rate_limiter=True).rate_limiter, RateLimiter)
    assert Bot("1:x" * 5, rate_limiter=False).rate_limiter is None
    limiter = RateLimiter()
    assert Bot("1:x" * 5, rate_limiter=limiter).rate_limiter is limiter
    delegator = DelegatorBot("1:x" * 5, [], rate_limiter=limiter)
    assert delegator.rate_limiter is limiter
    with pytest.raises(TypeError, match="rate_limiter"):
        Bot("1:x" * 5, rate_limiter="yes")
    for wrong in (dict(max_retries=-1), dict(max_wait=-1), dict(headroom=-0.1)):
        with pytest.raises(ValueError):
            RateLimiter(**wrong)


def test_a_chat_gets_its_burst_then_waits(fast):
    emu, bot = fast
    alice = emu.user("Alice")
    start = time.monotonic()
    for i in range(10):
        bot.sendMessage(alice.id, "n%d" % i)
    elapsed = time.monotonic() - start
    assert statuses(emu) == [200] * 10  # no 429: the limiter waited instead
    # 4 at once less the headroom's one, then one every 0.1 s: 7 waits of 0.1 s at least
    assert elapsed >= 0.6
    assert bot.rate_limiter.waits >= 6


def test_threads_share_one_limiter_and_see_no_error(fast):
    emu, bot = fast
    users = [emu.user("U%d" % i) for i in range(12)]
    group = emu.group("G", users[:2])
    errors = []
    barrier = threading.Barrier(8)

    def work(n):
        barrier.wait()
        for i in range(15):
            target = group.id if i % 5 == 0 else users[(n + i) % len(users)].id
            try:
                bot.sendMessage(target, "t%d-%d" % (n, i))
            except Exception as e:  # pragma: no cover - reported below
                errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert statuses(emu).count(200) == 120 and 429 not in statuses(emu)
    assert bot.rate_limiter.retries_after_429 == 0


def test_calls_that_post_nothing_are_not_held(fast):
    emu, bot = fast
    alice = emu.user("Alice")
    for _ in range(50):
        bot.getChat(alice.id)
        bot.sendChatAction(alice.id, "typing")
    assert bot.rate_limiter.waits == 0


def test_paid_broadcasts_are_held_to_the_paid_limit(fast):
    emu, bot = fast
    users = [emu.user("U%d" % i) for i in range(60)]
    for user in users:
        bot.sendMessage(user.id, "paid news", allow_paid_broadcast=True)
    assert bot.rate_limiter.waits == 0  # 60 < the paid burst; the free one is 30


def test_a_429_is_waited_out_exactly_and_repeated(emulator):
    bot = Bot(emulator.token, api_url=emulator.api_url, rate_limiter=True)
    alice = emulator.user("Alice")
    emulator.inject("sendMessage", "retry_after", seconds=1)
    try:
        message = bot.sendMessage(alice.id, "after the wait")
    finally:
        bot.close_connections()
    assert message["text"] == "after the wait"
    first, second = [r for r in emulator.requests if r.method == "sendMessage"]
    assert (first.status, second.status) == (429, 200)
    assert 1.0 <= second.time - first.time < 1.5  # retry_after, exactly (plus the round trip)
    assert bot.rate_limiter.retries_after_429 == 1


def test_a_429_holds_the_other_calls_to_that_chat(emulator):
    bot = Bot(emulator.token, api_url=emulator.api_url, rate_limiter=True)
    alice, bob = emulator.user("Alice"), emulator.user("Bob")
    emulator.inject("sendMessage", "retry_after", seconds=1)
    try:
        waiting = threading.Thread(target=bot.sendMessage, args=(alice.id, "first"))
        waiting.start()
        emulator.wait_for_request("sendMessage", predicate=lambda r: r.status == 429)
        # the emulator has answered 429; wait until the client has read it and set the hold
        limiter, deadline = bot.rate_limiter, time.monotonic() + 5
        while limiter.retries_after_429 == 0:
            assert time.monotonic() < deadline, "the 429 never reached the limiter"
            time.sleep(0.001)
        bot.sendMessage(bob.id, "another chat goes at once")
        bot.sendMessage(alice.id, "second")  # waits for the hold on Alice's chat
        waiting.join(5)
    finally:
        bot.close_connections()
    answered = [(r.params["chat_id"], r.status, r.time) for r in emulator.requests
                if r.method == "sendMessage"]
    refused_at = answered[0][2]
    assert answered[0][:2] == (alice.id, 429)
    bob_at = next(t for chat, status, t in answered if chat == bob.id)
    assert bob_at - refused_at < 0.5
    alice_ok = [t for chat, status, t in answered if chat == alice.id and status == 200]
    assert len(alice_ok) == 2 and min(alice_ok) - refused_at >= 1.0


def test_a_retry_after_longer_than_max_wait_raises_at_once(emulator):
    bot = Bot(emulator.token, api_url=emulator.api_url,
              rate_limiter=RateLimiter(max_wait=5))
    alice = emulator.user("Alice")
    emulator.inject("sendMessage", "retry_after", seconds=30)
    start = time.monotonic()
    try:
        with pytest.raises(RetryAfterTooLong) as info:
            bot.sendMessage(alice.id, "x")
    finally:
        bot.close_connections()
    assert time.monotonic() - start < 1
    error = info.value
    assert isinstance(error, TooManyRequests) and isinstance(error, FloodWaitTooLong)
    assert error.retry_after == 30 and error.method == "sendMessage" and error.max_wait == 5
    assert "max_wait of 5 s" in str(error) and "not repeated" in str(error)
    assert statuses(emulator) == [429]


def test_a_thread_can_set_its_own_max_wait(emulator):
    bot = Bot(emulator.token, api_url=emulator.api_url, rate_limiter=RateLimiter(max_wait=60))
    alice = emulator.user("Alice")
    emulator.inject("sendMessage", "retry_after", seconds=3)
    try:
        with bot.rate_limiter.limit_wait(2):
            with bot.rate_limiter.limit_wait(None):
                pass  # nested: the outer limit is back afterwards
            with pytest.raises(RetryAfterTooLong) as info:
                bot.sendMessage(alice.id, "x")
        assert info.value.max_wait == 2
        emulator.inject("sendMessage", "retry_after", seconds=0)
        assert bot.sendMessage(alice.id, "outside the block")["text"] == "outside the block"
        with pytest.raises(ValueError):
            with bot.rate_limiter.limit_wait(-1):
                pass  # pragma: no cover
    finally:
        bot.close_connections()


def test_429s_are_repeated_at_most_max_retries_times(emulator):
    bot = Bot(emulator.token, api_url=emulator.api_url, rate_limiter=RateLimiter(max_retries=2))
    alice = emulator.user("Alice")
    emulator.inject("sendMessage", "retry_after", times=3, seconds=0)
    try:
        with pytest.raises(TooManyRequests):
            bot.sendMessage(alice.id, "x")
    finally:
        bot.close_connections()
    assert statuses(emulator) == [429, 429, 429]


def test_waiting_for_the_limits_longer_than_max_wait_raises_before_sending():
    limits = FloodLimits(overall=None, private=Limit(1, 10.0, 1), group=None)
    with Emulator(strict=Rules(flood=limits)) as emu:
        bot = Bot(emu.token, api_url=emu.api_url,
                  rate_limiter=RateLimiter(limits, headroom=0, max_wait=0.5))
        alice = emu.user("Alice")
        try:
            bot.sendMessage(alice.id, "first")
            with pytest.raises(FloodWaitTooLong) as info:
                bot.sendMessage(alice.id, "second")
        finally:
            bot.close_connections()
        assert not isinstance(info.value, TooManyRequests)
        assert "sendMessage was not sent" in str(info.value)
        assert statuses(emu) == [200]


def test_a_file_is_sent_whole_again_after_a_429(emulator):
    bot = Bot(emulator.token, api_url=emulator.api_url, rate_limiter=True)
    alice = emulator.user("Alice")
    emulator.inject("sendDocument", "retry_after", seconds=0)
    data = io.BytesIO(b"HEAD" + b"content " * 1000)
    data.seek(4)
    try:
        bot.sendDocument(alice.id, ("c.txt", data))
    finally:
        bot.close_connections()
    assert emulator.requests[-1].files["document"] == ("c.txt", b"content " * 1000)


# ------------------------------------------------------------------ network errors


def test_a_send_whose_answer_was_lost_is_never_sent_twice(emulator):
    bot = Bot(emulator.token, api_url=emulator.api_url, rate_limiter=True)
    alice = emulator.user("Alice")
    emulator.inject("sendMessage", "drop")
    try:
        with pytest.raises(NetworkError) as info:
            bot.sendMessage(alice.id, "maybe")
        assert not isinstance(info.value, ConnectError)
        emulator.inject("sendMessage", "html502")
        with pytest.raises(BadHTTPResponse):
            bot.sendMessage(alice.id, "maybe")
        emulator.inject("sendMessage", "error", error_code=500,
                        description="Internal Server Error: try again")
        with pytest.raises(ServerError):
            bot.sendMessage(alice.id, "maybe")
    finally:
        bot.close_connections()
    assert len([r for r in emulator.requests if r.method == "sendMessage"]) == 3
    assert bot.rate_limiter.network_retries_made == 0


def test_a_call_that_only_reads_is_repeated_after_a_network_error(emulator):
    bot = Bot(emulator.token, api_url=emulator.api_url,
              rate_limiter=RateLimiter(backoff=0.01))
    alice = emulator.user("Alice")
    emulator.inject("getChat", "drop")
    emulator.inject("getChat", "html502")
    try:
        assert bot.getChat(alice.id)["id"] == alice.id
        emulator.inject("getMe", "drop", times=5)  # more failures than network_retries
        with pytest.raises(NetworkError):
            bot.getMe()
    finally:
        bot.close_connections()
    assert len([r for r in emulator.requests if r.method == "getChat"]) == 3
    assert len([r for r in emulator.requests if r.method == "getMe"]) == 3  # 1 + 2 retries


def test_get_updates_is_left_to_the_polling_loop(emulator):
    bot = Bot(emulator.token, api_url=emulator.api_url, rate_limiter=RateLimiter(backoff=0.01))
    emulator.inject("getUpdates", "drop")
    try:
        with pytest.raises(NetworkError):
            bot.getUpdates(timeout=0)
    finally:
        bot.close_connections()
    assert len([r for r in emulator.requests if r.method == "getUpdates"]) == 1


class _SetOn(logging.Handler):
    def __init__(self, event):
        super().__init__()
        self.event = event

    def emit(self, record):
        if "trying again" in record.getMessage():
            self.event.set()


def test_a_connection_never_made_is_repeated_even_for_a_send():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there: connections are refused
    retrying = threading.Event()
    handler = _SetOn(retrying)
    logger = logging.getLogger("telegrambot.ratelimit")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    emu = Emulator(port=port)
    result = {}
    bot = Bot(emu.token, api_url="http://127.0.0.1:%d" % port,
              rate_limiter=RateLimiter(backoff=0.5))
    try:
        sender = threading.Thread(target=lambda: result.update(
            message=bot.sendMessage(1000000001, "sent once the server is up")))
        sender.start()
        assert retrying.wait(5), "the refused connection was not retried"
        emu.start()  # the retry, half a second later, finds the server
        alice = emu.user("Alice")
        assert alice.id == 1000000001
        sender.join(10)
        assert result["message"]["text"] == "sent once the server is up"
        assert len([r for r in emu.requests if r.method == "sendMessage"]) == 1
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        bot.close_connections()
        emu.stop()

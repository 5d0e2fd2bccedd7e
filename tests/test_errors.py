"""Errors by status: the class raised for each answer, what it carries, and what it says."""

import gc
import pickle
import socket
import weakref

import pytest
import urllib3

from telegrambot.bot import Bot
from telegrambot.exception import (
    BadHTTPResponse,
    BadRequest,
    BotWasBlockedError,
    BotWasKickedError,
    ChatNotFoundError,
    Conflict,
    ConflictError,
    ConnectError,
    ConnectTimeout,
    Forbidden,
    MigratedToSupergroupChatError,
    NetworkError,
    NotEnoughRightsError,
    NotFound,
    RequestTimeout,
    ServerError,
    TelegramError,
    TooManyRequests,
    TooManyRequestsError,
    Unauthorized,
    UnauthorizedError,
    UserDeactivatedError,
    error_class_for,
)

# words that would show an internal class of this library or of urllib3 to a user
INTERNAL = ("TrackingConnection", "HTTPConnection", "ConnectionPool", "urllib3", "object at 0x",
            "NewConnectionError", "ProtocolError", "MaxRetryError")


@pytest.mark.parametrize(
    "code, description, expected",
    [
        (400, "Bad Request: wrong parameter action in request", BadRequest),
        (401, "Unauthorized", Unauthorized),
        (403, "Forbidden: the bot can't initiate conversation with a user", Forbidden),
        (404, "Not Found", NotFound),
        (409, "Conflict: terminated by other getUpdates request; make sure that only one bot "
              "instance is running", Conflict),
        (429, "Too Many Requests: retry after 3", TooManyRequests),
        (500, "Internal Server Error: restart", ServerError),
        (502, "Bad Gateway", ServerError),
    ],
)
def test_each_status_has_its_class_with_method_code_description_parameters(
        bot, emulator, code, description, expected):
    parameters = {"retry_after": 3} if code == 429 else None
    emulator.inject("getChat", "error", error_code=code, description=description,
                    parameters=parameters)
    with pytest.raises(expected) as info:
        bot.getChat(12345)
    error = info.value
    assert type(error) is expected
    assert isinstance(error, TelegramError)
    assert (error.method, error.error_code, error.description) == ("getChat", code, description)
    assert error.parameters == (parameters or {})
    assert str(error).startswith("getChat: [%d] %s" % (code, description))


def test_telepot_names_are_the_status_classes():
    assert UnauthorizedError is Unauthorized
    assert ConflictError is Conflict
    assert TooManyRequestsError is TooManyRequests


def test_specific_classes_are_caught_by_their_status(bot, emulator):
    alice = emulator.user("Alice")
    alice.block_bot()
    with pytest.raises(Forbidden) as info:  # the emulator answers as Telegram: 403
        bot.sendMessage(alice.id, "hello?")
    assert isinstance(info.value, BotWasBlockedError)
    assert info.value.description == "Forbidden: bot was blocked by the user"
    with pytest.raises(BotWasBlockedError):
        bot.sendMessage(alice.id, "hello?")

    emulator.inject("sendMessage", "error", error_code=403,
                    description="Forbidden: user is deactivated")
    with pytest.raises(Forbidden) as info:
        bot.sendMessage(alice.id, "x")
    assert type(info.value) is UserDeactivatedError

    group = emulator.group("Gone")
    alice.remove_bot(group)
    with pytest.raises(BotWasKickedError) as info:
        bot.sendMessage(group.id, "x")
    assert isinstance(info.value, Forbidden) and info.value.error_code == 403

    with pytest.raises(BadRequest) as info:
        bot.sendMessage(-999999, "x")
    assert type(info.value) is ChatNotFoundError


def test_migrated_and_retry_after_parameters(bot, emulator):
    alice = emulator.user("Alice")
    group = emulator.group("Old", [alice])
    group.migrate()
    with pytest.raises(BadRequest) as info:
        bot.sendMessage(group.id, "x")
    assert isinstance(info.value, MigratedToSupergroupChatError)
    assert info.value.migrate_to_chat_id == group.migrated_to
    emulator.inject("sendMessage", "retry_after", seconds=4)
    with pytest.raises(TooManyRequests) as info:
        bot.sendMessage(alice.id, "x")
    assert info.value.retry_after == 4 and info.value.parameters == {"retry_after": 4}


def test_a_class_under_no_status_is_raised_with_the_status_of_the_answer(bot, emulator):
    for code, prefix, status in [(403, "Forbidden", Forbidden), (400, "Bad Request", BadRequest)]:
        description = "%s: not enough rights to send text messages to the chat" % prefix
        emulator.inject("sendMessage", "error", error_code=code, description=description)
        with pytest.raises(NotEnoughRightsError) as info:
            bot.sendMessage(1, "x")
        assert isinstance(info.value, status) and type(info.value).__name__ == "NotEnoughRightsError"
        # the same pair always gives the same class
        assert type(info.value) is error_class_for(description, code)
    # a description that names another status's error stays in the answer's status
    assert error_class_for("Forbidden: bot was blocked by the user", 400) is BadRequest


def test_user_subclasses_take_part_and_are_forgotten_with_them(bot, emulator):
    class ThreadNotFound(TelegramError):  # under no status: combined with the answer's
        DESCRIPTION_PATTERNS = ["message thread not found"]

    class MyBlocked(Forbidden):  # defined later than BotWasBlockedError: wins over it
        DESCRIPTION_PATTERNS = ["bot was blocked"]

    emulator.inject("sendMessage", "error", error_code=400,
                    description="Bad Request: message thread not found")
    with pytest.raises(ThreadNotFound) as info:
        bot.sendMessage(1, "x")
    assert isinstance(info.value, BadRequest)
    emulator.inject("sendMessage", "blocked")
    with pytest.raises(MyBlocked):
        bot.sendMessage(1, "x")

    # nothing in the library keeps them: once gone, the built-in classes are back
    gone = [weakref.ref(ThreadNotFound), weakref.ref(MyBlocked)]
    del ThreadNotFound, MyBlocked, info
    gc.collect()
    assert [ref() for ref in gone] == [None, None]
    assert error_class_for("Forbidden: bot was blocked by the user", 403) is BotWasBlockedError
    assert error_class_for("Bad Request: message thread not found", 400) is BadRequest


def test_errors_survive_pickling(bot, emulator):
    emulator.inject("sendMessage", "error", error_code=403,
                    description="Forbidden: not enough rights to send photos to the chat")
    with pytest.raises(NotEnoughRightsError) as info:
        bot.sendMessage(1, "x")
    copy = pickle.loads(pickle.dumps(info.value))
    assert type(copy) is type(info.value)
    assert (copy.method, copy.error_code, copy.description) == (
        "sendMessage", 403, info.value.description)
    assert str(copy) == str(info.value)


def test_a_refused_token_says_so(emulator):
    bot = Bot("999:a-well-formed-but-wrong-token", api_url=emulator.api_url)
    try:
        with pytest.raises(Unauthorized) as info:
            bot.getMe()
    finally:
        bot.close_connections()
    assert "the token was refused: check it with @BotFather" in str(info.value)
    assert "a-well-formed-but-wrong-token" not in str(info.value)


@pytest.mark.parametrize("suffix", ["/bot", "/bot/", "/bot{token}"])
def test_an_api_url_ending_in_bot_says_what_is_wrong(emulator, suffix):
    api_url = emulator.api_url + suffix.format(token=emulator.token)
    bot = Bot(emulator.token, api_url=api_url)
    try:
        with pytest.raises(NotFound) as info:
            bot.getMe()
    finally:
        bot.close_connections()
    text = str(info.value)
    assert "api_url" in text and "https://api.telegram.org" in text and "/bot<token>" in text
    assert emulator.token not in text


def test_a_404_with_a_plain_api_url_has_no_api_url_hint(bot, emulator):
    emulator.inject("getMe", "error", error_code=404, description="Not Found")
    with pytest.raises(NotFound) as info:
        bot.getMe()
    assert str(info.value) == "getMe: [404] Not Found"


# ------------------------------------------------------------------ network errors


def _closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def _assert_plain(error: BaseException) -> None:
    text = str(error)
    for word in INTERNAL:
        assert word not in text, text


def test_a_refused_connection_is_a_connect_error_in_plain_words():
    port = _closed_port()
    bot = Bot("123:abcdefghijklmnopqrst", api_url="http://127.0.0.1:%d" % port)
    # the ordinary pool and the long-poll connection (its own connection class) alike
    for call in (bot.getMe, lambda: bot.getUpdates(timeout=1)):
        with pytest.raises(ConnectError) as info:
            call()
        _assert_plain(info.value)
        assert "could not connect to 127.0.0.1:%d (connection refused)" % port in str(info.value)
        assert isinstance(info.value.__cause__, urllib3.exceptions.HTTPError)
        assert not isinstance(info.value, RequestTimeout)


def test_an_unknown_host_is_a_connect_error():
    bot = Bot("123:abcdefghijklmnopqrst", api_url="http://no-such-host.invalid")
    with pytest.raises(ConnectError) as info:
        bot.getMe()
    _assert_plain(info.value)
    assert "could not connect to no-such-host.invalid" in str(info.value)


def test_a_connect_timeout_is_a_connect_error_and_a_timeout():
    # a listening socket whose one-place backlog is taken: further connects are never answered
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    waiting = []
    try:
        for _ in range(3):
            sock = socket.socket()
            sock.settimeout(0.2)
            try:
                sock.connect(("127.0.0.1", port))
            except OSError:
                sock.close()
                break
            waiting.append(sock)
        else:  # pragma: no cover - a kernel that accepts without limit
            pytest.skip("the backlog never filled on this system")
        bot = Bot("123:abcdefghijklmnopqrst", api_url="http://127.0.0.1:%d" % port,
                  request_timeout=urllib3.Timeout(connect=0.3, read=5))
        with pytest.raises(ConnectTimeout) as info:
            bot.getMe()
    finally:
        for sock in waiting:
            sock.close()
        server.close()
    assert isinstance(info.value, RequestTimeout) and isinstance(info.value, ConnectError)
    assert "within 0.3 s (connect timeout)" in str(info.value)
    _assert_plain(info.value)


def test_a_read_timeout_and_a_dropped_connection_in_plain_words(emulator):
    bot = Bot(emulator.token, api_url=emulator.api_url, request_timeout=0.3)
    try:
        emulator.inject("getMe", "delay", seconds=1.0)
        with pytest.raises(RequestTimeout) as info:
            bot.getMe()
        assert not isinstance(info.value, ConnectError)  # it was sent: the outcome is unknown
        assert "no answer from 127.0.0.1:%d within 0.3 s (read timeout)" % emulator.port in str(
            info.value)
        _assert_plain(info.value)
        emulator.inject("getMe", "drop")
        with pytest.raises(NetworkError) as info:
            bot.getMe()
        assert not isinstance(info.value, ConnectError)
        assert "broke before the answer arrived" in str(info.value)
        _assert_plain(info.value)
    finally:
        bot.close_connections()


def test_a_proxy_that_refuses_is_a_connect_error(emulator):
    bot = Bot(emulator.token, api_url=emulator.api_url,
              proxy="http://127.0.0.1:%d" % _closed_port())
    try:
        with pytest.raises(ConnectError) as info:
            bot.getMe()
    finally:
        bot.close_connections()
    assert "could not connect to the proxy" in str(info.value)
    _assert_plain(info.value)


def test_bad_http_response_message_is_plain(bot, emulator):
    emulator.inject("getMe", "html502")
    with pytest.raises(BadHTTPResponse) as info:
        bot.getMe()
    assert str(info.value).startswith("HTTP 502, not a Bot API answer")
    _assert_plain(info.value)

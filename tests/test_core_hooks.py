"""The I/O-free rules behind the error hook, the per-request DEBUG line and the exit check,
driven with no logging, network or threads: a list stands for the logger."""

import pytest

from telegrambot.core.errorhook import HOOK_FAILED, checked_hook, report
from telegrambot.core.requestlog import body_size, download_note, request_note
from telegrambot.core.shutdown import exit_note
from telegrambot.exception import BadHTTPResponse, BadRequest, ConnectError, RequestTimeout


class ListLogger:
    def __init__(self):
        self.lines = []

    def error(self, text, *args, exc_info=None, stacklevel=1):
        self.lines.append((text % args, exc_info))


def test_without_a_hook_the_error_is_logged_with_its_traceback():
    logger, exc = ListLogger(), ValueError("x")
    report(logger, None, exc, {"update_id": 5}, "handler failed on update %s", 5)
    assert logger.lines == [("handler failed on update 5", exc)]


def test_a_hook_gets_the_exception_and_the_object_and_nothing_is_logged():
    logger, got = ListLogger(), []
    exc, update = ValueError("x"), {"update_id": 5}
    report(logger, lambda e, o: got.append((e, o)), exc, update, "handler failed on update %s", 5)
    assert got == [(exc, update)] and logger.lines == []


def test_a_hook_that_raises_is_logged_with_the_original_as_its_context():
    logger, exc = ListLogger(), ValueError("x")

    def hook(e, o):
        raise KeyError("hook")

    report(logger, hook, exc, {}, "handler failed on update %s", 5)
    ((line, failure),) = logger.lines
    assert line == HOOK_FAILED + "handler failed on update 5"
    assert isinstance(failure, KeyError) and failure.__context__ is exc


def test_a_hook_must_be_callable():
    assert checked_hook(None) is None
    assert checked_hook(print) is print
    with pytest.raises(TypeError, match="on_error must be a function"):
        checked_hook("log")


@pytest.mark.parametrize("status, error, outcome", [
    (200, None, "HTTP 200 ok"),
    (400, BadRequest("Bad Request: secret description", 400, {}), "HTTP 400 error_code 400"),
    (502, BadHTTPResponse(502, "<html>a proxy page</html>"), "HTTP 502 not a Bot API answer"),
    (None, ConnectError("x"), "no answer (ConnectError)"),
    (None, RequestTimeout("x"), "no answer (RequestTimeout)"),
    (200, OSError("disk full"), "HTTP 200, then failed (OSError)"),
    (None, ValueError("x"), "failed (ValueError)"),
])
def test_the_request_line(status, error, outcome):
    note = request_note("sendMessage", 0.0123, 87, status, error)
    assert note.level == "debug"
    line = note.text % note.args
    assert line == "sendMessage: %s, 12.3 ms, 87 bytes sent" % outcome
    assert "secret description" not in line and "proxy page" not in line


def test_the_download_line_and_body_sizes():
    note = download_note(0.002, 200, 1000)
    assert note.text % note.args == "download: HTTP 200, 2.0 ms, 1000 bytes received"
    note = download_note(0.002, 200, 10, OSError("x"))
    assert note.text % note.args == "download: HTTP 200, then failed (OSError), 2.0 ms, 10 bytes received"
    assert body_size(b"abc", {}) == 3 and body_size(None, {}) == 0
    assert body_size(iter(()), {"Content-Length": "42"}) == 42


def test_the_exit_note():
    assert exit_note([]) is None
    assert exit_note(["telegrambot-poll"], interactive=True) is None
    assert exit_note(["telegrambot-poll"], uncaught=True) is None
    note = exit_note(["telegrambot-poll", "telegrambot-queue", "telegrambot-poll"])
    assert note.level == "warning"
    line = note.text % note.args
    assert "(telegrambot-poll, telegrambot-queue)" in line and "run_forever=True" in line

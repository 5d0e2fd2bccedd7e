"""The DEBUG line per request (logger ``telegrambot.transport``): its form is the one
docs/logging.md documents, and it never holds the token nor any of the request's or the
answer's body, on success, on errors, for uploads and downloads."""

import io
import logging
import re

import pytest

import telegrambot
from telegrambot.exception import BadRequest, ConnectError

LOGGER = "telegrambot.transport"
# the form documented in docs/logging.md
CALL_LINE = re.compile(r"^(?P<method>\w+): (?P<outcome>HTTP \d{3} ok|HTTP \d{3} error_code \d+"
                       r"|HTTP \d{3} not a Bot API answer|no answer \(\w+\)"
                       r"|HTTP \d{3}, then failed \(\w+\)|failed \(\w+\)), "
                       r"(?P<ms>\d+\.\d) ms, (?P<sent>\d+) bytes sent$")
DOWNLOAD_LINE = re.compile(r"^download: (?P<outcome>HTTP \d{3}|no answer \(\w+\)"
                           r"|HTTP \d{3}, then failed \(\w+\)|failed \(\w+\)), "
                           r"(?P<ms>\d+\.\d) ms, (?P<received>\d+) bytes received$")


def library_lines(caplog):
    """Every line the library logged (the emulator's own aside)."""
    return [r.getMessage() for r in caplog.records
            if r.name.startswith("telegrambot") and not r.name.startswith("telegrambot.testing")]


def request_lines(caplog):
    return [r.getMessage() for r in caplog.records if r.name == LOGGER]


def assert_clean(lines, token, *secrets):
    for line in lines:
        assert token not in line and token.split(":")[1] not in line, line
        for secret in secrets:
            assert secret not in line, (secret, line)


def test_one_line_per_request_in_the_documented_form(emulator, bot, caplog):
    alice = emulator.user("Alice")
    text = "the secret text of a message"
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        caplog.clear()  # only what this block logs
        bot.getMe()
        bot.sendMessage(alice.id, text)
    lines = request_lines(caplog)
    assert len(lines) == 2, lines
    first, second = (CALL_LINE.match(line) for line in lines)
    assert first and first["method"] == "getMe" and first["outcome"] == "HTTP 200 ok"
    assert second and second["method"] == "sendMessage" and second["outcome"] == "HTTP 200 ok"
    assert int(second["sent"]) > len(text)  # the JSON body's size, not its text
    assert_clean(library_lines(caplog), emulator.token, text, str(alice.id))


def test_an_api_error_logs_its_status_and_error_code_not_the_description(emulator, bot, caplog):
    alice = emulator.user("Alice")
    with caplog.at_level(logging.DEBUG, logger=LOGGER), pytest.raises(BadRequest) as raised:
        caplog.clear()  # only what this block logs
        bot.sendMessage(alice.id, "")
    (line,) = request_lines(caplog)
    match = CALL_LINE.match(line)
    assert match and match["outcome"] == "HTTP 400 error_code 400", line
    assert raised.value.description and raised.value.description not in line
    assert "Bad Request" not in line
    assert_clean(library_lines(caplog), emulator.token, raised.value.description)


def test_no_answer_names_the_exception_class_only(emulator, caplog):
    # a port nothing listens on: the emulator's, once stopped
    dead = emulator.make_bot()
    emulator.stop()
    try:
        with caplog.at_level(logging.DEBUG, logger=LOGGER), pytest.raises(ConnectError):
            caplog.clear()  # only what this block logs
            dead.getMe()
    finally:
        dead.close_connections()
    (line,) = request_lines(caplog)
    match = CALL_LINE.match(line)
    assert match and match["outcome"] == "no answer (ConnectError)", line
    assert "127.0.0.1" not in line and "refused" not in line
    assert_clean([line], emulator.token)


def test_an_upload_logs_its_size_not_its_bytes_or_file_name(emulator, bot, caplog, tmp_path):
    alice = emulator.user("Alice")
    payload = b"CONTENT-OF-THE-FILE-" * 5000
    path = tmp_path / "private-name.bin"
    path.write_bytes(payload)
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        caplog.clear()  # only what this block logs
        sent = bot.sendDocument(alice.id, path, caption="a caption nobody should read")
        with pytest.raises(BadRequest):
            bot.sendDocument(424242, ("other-name.bin", payload))  # no such chat
    ok, failed = request_lines(caplog)
    match = CALL_LINE.match(ok)
    assert match and match["method"] == "sendDocument" and match["outcome"] == "HTTP 200 ok"
    assert int(match["sent"]) > len(payload)
    assert CALL_LINE.match(failed)["outcome"].startswith("HTTP 400 error_code 400")
    assert_clean(library_lines(caplog), emulator.token, "CONTENT-OF", "private-name",
                 "other-name", "caption", sent["document"]["file_id"])


def test_a_download_logs_its_size_not_the_file_path_or_bytes(emulator, bot, caplog, tmp_path):
    alice = emulator.user("Alice")
    payload = b"DOWNLOADED-BYTES-" * 3000
    doc = bot.sendDocument(alice.id, ("down.bin", payload))["document"]
    file_path = bot.getFile(doc["file_id"])["file_path"]
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        caplog.clear()  # only what this block logs
        out = io.BytesIO()
        bot.download_file(doc["file_id"], out)
        bot.download_file(doc["file_id"], tmp_path / "copy.bin")
    assert out.getvalue() == payload and (tmp_path / "copy.bin").read_bytes() == payload
    lines = request_lines(caplog)
    assert [CALL_LINE.match(line)["method"] for line in lines[::2]] == ["getFile", "getFile"]
    for line in lines[1::2]:
        match = DOWNLOAD_LINE.match(line)
        assert match and match["outcome"] == "HTTP 200", line
        assert int(match["received"]) == len(payload)
    assert_clean(library_lines(caplog), emulator.token, file_path, "DOWNLOADED", doc["file_id"])


def test_a_download_that_fails_midway_says_so(emulator, bot, caplog):
    alice = emulator.user("Alice")
    doc = bot.sendDocument(alice.id, ("down.bin", b"x" * 200000))["document"]

    class Full(io.RawIOBase):
        def write(self, chunk):
            raise OSError("no space left")

    with caplog.at_level(logging.DEBUG, logger=LOGGER), pytest.raises(OSError):
        caplog.clear()  # only what this block logs
        bot.download_file(doc["file_id"], Full())
    match = DOWNLOAD_LINE.match(request_lines(caplog)[-1])
    assert match and match["outcome"] == "HTTP 200, then failed (OSError)"


def test_nothing_is_logged_below_debug(emulator, bot, caplog):
    alice = emulator.user("Alice")
    with caplog.at_level(logging.INFO, logger=LOGGER):
        caplog.clear()  # only what this block logs
        assert bot.sendMessage(alice.id, "quiet")["text"] == "quiet"  # the call was made
        assert not logging.getLogger(LOGGER).isEnabledFor(logging.DEBUG)
    assert request_lines(caplog) == []


def test_the_token_is_not_in_a_line_even_when_the_api_url_is_wrong(caplog):
    bot = telegrambot.Bot("123456:SECRET-token-part", api_url="http://127.0.0.1:9")
    try:
        with caplog.at_level(logging.DEBUG, logger=LOGGER), pytest.raises(ConnectError):
            caplog.clear()  # only what this block logs
            bot.getMe()
    finally:
        bot.close_connections()
    (line,) = request_lines(caplog)
    assert "SECRET" not in line and "123456" not in line

"""telegrambot.core.request, .answer and .redact with no I/O: calls to request
descriptions, answers to results or exceptions, tokens out of text. (The same rules over
real HTTP are in test_client.py.)"""

import datetime
import io
import json
import logging
import os
import pathlib

import pytest

from telegrambot import namedtuple as nt
from telegrambot.core.answer import parse_answer, raise_download_error
from telegrambot.core.redact import redact, redact_record, register_token, scrub_exception
from telegrambot.core.request import (
    LONG_POLL_MARGIN,
    Endpoint,
    MultipartBody,
    Request,
    Upload,
    encode,
)
from telegrambot.exception import (
    BadHTTPResponse,
    BotWasBlockedError,
    Forbidden,
    NetworkError,
    NotFound,
    TooManyRequests,
)

TOKEN = "123456:core-request-token"


def endpoint(api_url="https://api.example.org", **kw):
    return Endpoint(TOKEN, api_url, **kw)


# ------------------------------------------------------------------ the endpoint


def test_where_requests_go():
    request = endpoint().request("getMe", {})
    assert (request.http_method, request.origin, request.path) == (
        "POST", "https://api.example.org", "/bot%s/getMe" % TOKEN)
    assert request.url == "https://api.example.org/bot%s/getMe" % TOKEN
    behind = endpoint("http://user:pw@HOST:8081/behind/proxy/", test_environment=True)
    assert behind.api_url == "http://user:pw@HOST:8081/behind/proxy"
    assert behind.origin == "http://HOST:8081"
    assert behind.request("getMe", {}).path == "/behind/proxy/bot%s/test/getMe" % TOKEN
    assert behind.file("docs/a.pdf").path == "/behind/proxy/file/bot%s/test/docs/a.pdf" % TOKEN
    assert behind.file("docs/a.pdf").http_method == "GET"
    assert endpoint("localhost:8081").origin == "http://localhost:8081"  # no scheme: http


def test_reprs_hold_no_token():
    for obj in (endpoint("https://h/bot%s" % TOKEN), endpoint().request("getMe", {})):
        assert TOKEN not in repr(obj) and "<token>" in repr(obj)


def test_a_token_that_cannot_be_one_is_refused_without_showing_it():
    for bad in ("", None, "123:has space", "123:a/b", "123:with\n"):
        with pytest.raises(ValueError, match="token") as info:
            Endpoint(bad, "https://h")
        assert "123" not in str(info.value)


def test_call_checks_required_fills_defaults_then_api_kwargs():
    with_defaults = endpoint(defaults={"parse_mode": "HTML", "protect_content": True})
    params = {"chat_id": 1, "text": "hi", "parse_mode": None, "protect_content": False}
    request = with_defaults.call("sendMessage", params, {"extra": 1})
    assert json.loads(request.body) == {"chat_id": 1, "text": "hi", "parse_mode": "HTML",
                                        "protect_content": False, "extra": 1}
    assert params["parse_mode"] == "HTML"  # filled in place: the rate limiter reads them
    with pytest.raises(TypeError, match="'text' is required"):
        with_defaults.call("sendMessage", {"chat_id": 1, "text": None}, None)
    with pytest.raises(ValueError):
        endpoint(defaults={"no_such_parameter": 1})
    assert endpoint(defaults={}).defaults is None


def test_only_get_updates_is_a_long_poll():
    end = endpoint()
    assert end.request("getUpdates", {"timeout": 20}).long_poll == 20 + LONG_POLL_MARGIN
    assert end.request("getUpdates", {}).long_poll == LONG_POLL_MARGIN
    assert end.request("sendMessage", {"chat_id": 1, "text": "x"}).long_poll is None


def test_result_of_an_answer():
    end = endpoint()
    request = end.request("getMe", {})

    class Answer:
        status, data = 200, b'{"ok":true,"result":{"id":1}}'

    assert end.result(request, Answer()) == {"id": 1}
    Answer.status, Answer.data = 404, b'{"ok":false,"error_code":404,"description":"Not Found"}'
    with pytest.raises(NotFound) as info:
        end.result(request, Answer())
    assert info.value.hint is None and info.value.method == "getMe"
    wrong = endpoint("https://api.example.org/bot")
    with pytest.raises(NotFound) as info:
        wrong.result(request, Answer())
    assert "api_url ends with /bot" in str(info.value)


# ------------------------------------------------------------------ encoding


def test_json_encoding():
    until = datetime.datetime(2031, 5, 6, tzinfo=datetime.timezone.utc)
    markup = nt.InlineKeyboardMarkup(inline_keyboard=[[nt.InlineKeyboardButton(text="Y", callback_data="y")]])
    body, headers = encode({"chat_id": 1, "skip": None, "until_date": until,
                            "open_period": datetime.timedelta(minutes=2), "reply_markup": markup,
                            "obj": {"a": None, "b": [1, {"c": None}]}, "text": "é"})
    assert headers == {"Content-Type": "application/json"}
    assert json.loads(body) == {"chat_id": 1, "until_date": int(until.timestamp()), "open_period": 120,
                                "reply_markup": {"inline_keyboard": [[{"text": "Y", "callback_data": "y"}]]},
                                "obj": {"b": [1, {}]}, "text": "é"}
    assert "é".encode() in body  # UTF-8, not \\u escapes


def test_local_mode_sends_paths_as_file_uris(tmp_path):
    path = tmp_path / "v.mp4"
    body, _ = encode({"video": path, "media": [{"type": "photo", "media": path}]}, local_mode=True)
    uri = path.resolve().as_uri()
    assert json.loads(body) == {"video": uri, "media": [{"type": "photo", "media": uri}]}


def multipart_parts(body):
    """The body's bytes from its part list, as an asyncio transport walks it."""
    out = []
    for part in body.parts:
        if isinstance(part, Upload):
            source = part.source
            if isinstance(source, pathlib.PurePath):
                out.append(source.read_bytes()[:part.size])
            elif isinstance(source, bytes):
                out.append(source)
            else:
                source.seek(part.start)
                out.append(source.read(part.size))
        else:
            out.append(part)
    return b"".join(out)


def test_multipart_is_described_then_streamed(tmp_path):
    path = tmp_path / "photo.jpg"
    path.write_bytes(b"\xff\xd8jpeg")
    opened = io.BytesIO(b"SKIPdocument")
    opened.seek(4)
    body, headers = encode({"chat_id": 7, "photo": path, "caption": None,
                            "media": [{"type": "document", "media": ("d.txt", opened)}]})
    assert isinstance(body, MultipartBody)
    assert headers == {"Content-Type": "multipart/form-data; boundary=" + body.boundary,
                       "Content-Length": str(body.length)}
    assert [(u.field, u.filename, u.content_type, u.size) for u in body.uploads] == [
        ("photo", "photo.jpg", "image/jpeg", 6), ("file1", "d.txt", "text/plain", 8)]
    streamed = b"".join(body)
    assert len(streamed) == body.length
    assert b'name="media"\r\n\r\n[{"type":"document","media":"attach://file1"}]' in streamed
    assert b'name="chat_id"\r\n\r\n7\r\n' in streamed and b"caption" not in streamed
    assert b"\r\n\r\ndocument\r\n" in streamed and b"\r\n\r\n\xff\xd8jpeg\r\n" in streamed
    assert streamed.endswith(b"--%s--\r\n" % body.boundary.encode())
    body.rewind()  # the part list alone is enough to send the same bytes
    assert multipart_parts(body) == streamed
    body.rewind()
    assert opened.tell() == 4 and b"".join(body) == streamed  # sent again, the same


def test_uploads_that_cannot_be_read_fail_when_the_request_is_made(tmp_path):
    with pytest.raises(FileNotFoundError):
        encode({"document": tmp_path / "missing"})
    with open(__file__) as text:
        with pytest.raises(TypeError, match="binary"):
            encode({"document": text})


def test_a_stream_that_cannot_seek_is_read_when_the_request_is_made():
    read_end, write_end = os.pipe()
    os.write(write_end, b"piped")
    os.close(write_end)
    with open(read_end, "rb") as pipe:
        body, _ = encode({"document": pipe})
        assert pipe.read() == b""  # already read whole
    assert body.uploads[0].source == b"piped"


def test_a_source_shorter_than_announced_is_a_network_error():
    shrinking = io.BytesIO(b"12345678")
    body, _ = encode({"document": shrinking})
    shrinking.truncate(3)
    with pytest.raises(NetworkError, match="ended 5 bytes early"):
        b"".join(body)


def test_request_rewind_only_touches_multipart_bodies():
    f = io.BytesIO(b"abcdef")
    f.seek(2)
    body, headers = encode({"document": f})
    request = Request("sendDocument", "POST", "http://h", "/p", body, headers)
    b"".join(body)
    assert f.tell() == 6
    request.rewind()
    assert f.tell() == 2
    Request("getMe", "POST", "http://h", "/p", b"{}", {}).rewind()  # JSON: nothing to do


# ------------------------------------------------------------------ answers


def test_parse_answer():
    assert parse_answer(200, b'{"ok":true,"result":[1]}') == [1]
    assert parse_answer(200, b'{"ok":true}') is None
    blocked = b'{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}'
    with pytest.raises(BotWasBlockedError) as info:
        parse_answer(403, blocked, method="sendMessage")
    assert isinstance(info.value, Forbidden) and info.value.method == "sendMessage"
    flood = b'{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 5","parameters":{"retry_after":5}}'
    with pytest.raises(TooManyRequests) as info:
        parse_answer(429, flood)
    assert info.value.retry_after == 5
    marker = object()
    for status, data in ((502, b"<html>bad gateway</html>"), (200, b"null"), (200, b"[1]")):
        with pytest.raises(BadHTTPResponse) as bad:
            parse_answer(status, data, marker)
        assert bad.value.status == status and bad.value.response is marker


def test_answers_quoting_the_token_are_redacted():
    register_token(TOKEN)
    quoting = json.dumps({"ok": False, "error_code": 400,
                          "description": "Bad Request: bad webhook https://h/%s" % TOKEN}).encode()
    with pytest.raises(Exception) as info:
        parse_answer(400, quoting)
    assert TOKEN not in str(info.value) + json.dumps(info.value.json)
    with pytest.raises(BadHTTPResponse) as bad:
        parse_answer(404, b"<p>no /bot%s here</p>" % TOKEN.replace(":", "%3A").encode())
    assert TOKEN.split(":")[1] not in bad.value.text


def test_raise_download_error():
    with pytest.raises(NotFound) as info:
        raise_download_error(404, b'{"ok":false,"error_code":404,"description":"Not Found"}')
    assert info.value.method == "download"
    with pytest.raises(BadHTTPResponse) as bad:
        raise_download_error(500, b'{"ok":true,"result":1}')  # ok, but not 200: still a failure
    assert bad.value.status == 500


# ------------------------------------------------------------------ redaction


def test_redact_record_rewrites_log_records():
    register_token(TOKEN)
    record = logging.LogRecord("urllib3", logging.DEBUG, __file__, 1, 'POST %s "%s"', ("/bot" + TOKEN, 200), None)
    assert redact_record(record) is True
    assert record.getMessage() == 'POST /bot<token> "200"'
    plain = logging.LogRecord("urllib3", logging.DEBUG, __file__, 1, "%s", ("nothing",), None)
    redact_record(plain)
    assert plain.args == ("nothing",)  # left as it was


def test_scrub_exception_cleans_the_chain():
    register_token(TOKEN)
    try:
        try:
            raise OSError("connecting to /bot%s failed" % TOKEN)
        except OSError as inner:
            error = ValueError("outer")
            error.url = "https://h/bot%s/getMe" % TOKEN
            raise error from inner
    except ValueError as e:
        scrub_exception(e)
        assert TOKEN not in e.url and TOKEN not in str(e.__cause__)
    assert redact("a %s b" % TOKEN) == "a <token> b"

"""HTTP/1.1 heads, targets, chunk sizes and answer heads on their own: no I/O."""

import pytest

from telegrambot.core.http import (
    parse_chunk_size,
    parse_head,
    response_head,
    split_target,
)


@pytest.mark.parametrize("target, expected", [
    ("/bot1:a/getMe?x=1&y=2", ("/bot1:a/getMe", "x=1&y=2")),
    ("/hook", ("/hook", "")),
    ("http://api.telegram.org/bot1:a/getMe", ("/bot1:a/getMe", "")),
    ("https://host:8443/hook?x", ("/hook", "x")),
    ("http://host", ("/", "")),
    ("http://host?x=1", ("/", "x=1")),
    ("*", ("*", "")),
])
def test_targets_in_origin_and_absolute_form(target, expected):
    assert split_target(target) == expected


def test_header_lines_are_kept_as_sent():
    head = parse_head(b"GET /a?b=1 HTTP/1.1\r\nContent-Type: text/plain\r\nX-Two:  a \r\nx-two: b")
    assert head.fields == [("Content-Type", "text/plain"), ("X-Two", "a"), ("x-two", "b")]
    assert head.headers == {"content-type": "text/plain", "x-two": "a, b"}
    assert (head.path, head.query) == ("/a", "b=1")


@pytest.mark.parametrize("line, size", [
    (b"1a\r\n", 26), (b"0\r\n", 0), (b"FF;name=value\r\n", 255), (b"10\n", 16),
])
def test_chunk_sizes(line, size):
    assert parse_chunk_size(line) == size


@pytest.mark.parametrize("line", [b"\r\n", b"-1\r\n", b"0x10\r\n", b"zz\r\n", b"1" * 17 + b"\r\n"])
def test_malformed_chunk_sizes(line):
    with pytest.raises(ValueError):
        parse_chunk_size(line)


def test_answer_heads():
    head = response_head(405, "Method Not Allowed", "srv", "Mon, 01 Jan 2024 00:00:00 GMT", "text/plain", 12,
                         [("Allow", "POST")], "close")
    assert head == (b"HTTP/1.1 405 Method Not Allowed\r\nServer: srv\r\n"
                    b"Date: Mon, 01 Jan 2024 00:00:00 GMT\r\nContent-Type: text/plain\r\n"
                    b"Content-Length: 12\r\nAllow: POST\r\nConnection: close\r\n\r\n")
    assert response_head(200, "OK", "s", "d", "t", 0).endswith(b"Content-Length: 0\r\n\r\n")

"""The webhook's request rules, dedup table and log rate limit on their own: no I/O."""

import pytest

from telegrambot.core.bounded import LimitedDict, LimitedSet
from telegrambot.core.http import (
    MAX_HEAD,
    HeadError,
    check_unfinished_head,
    find_head_end,
    parse_head,
)
from telegrambot.core.lograte import LogRate
from telegrambot.core.webhook_rules import BUSY, NEW, SEEN, DedupTable, Rejection, WebhookRules

SECRET = "s3cret"


def head(*lines):
    return "\r\n".join(("POST /hook HTTP/1.1",) + lines).encode()


def status_of(data):
    with pytest.raises(HeadError) as info:
        parse_head(data)
    return info.value.rejection.status


def test_a_head_is_parsed():
    h = parse_head(head("Host: x", "Content-Length: 16", "X-Telegram-Bot-Api-Secret-Token:  s3cret "))
    assert (h.method, h.path, h.version) == ("POST", "/hook", "HTTP/1.1")
    assert h.headers["x-telegram-bot-api-secret-token"] == "s3cret"
    assert h.lengths == ["16"] and h.keep_alive
    assert parse_head(b"POST /a?b=1 HTTP/1.0").path == "/a"
    assert parse_head(b"POST http://example.org/hook?x HTTP/1.1").path == "/hook"
    assert not parse_head(b"POST / HTTP/1.0").keep_alive
    assert not parse_head(head("Connection: close")).keep_alive


@pytest.mark.parametrize("data, status", [
    (head("Transfer-Encoding : chunked"), 400),  # a space before the colon
    (head("Bad Name: x"), 400),
    (head("no colon"), 400),
    (head("Host: x", " folded"), 400),
    (b"POST /hook", 400),
    (b"POST /hook HTTP/2.0", 505),
    (b"P@ST /hook HTTP/1.1", 400),
    (head(*[f"X-{i}: y" for i in range(65)]), 431),
    (head("X: " + "y" * MAX_HEAD), 431),
])
def test_bad_heads(data, status):
    assert status_of(data) == status


def test_an_unfinished_head_is_refused_once_it_is_too_large():
    assert check_unfinished_head(b"POST / HTTP/1.1\r\nX: y\r\n") is None
    assert check_unfinished_head(b"x" * (MAX_HEAD + 1)).status == 431
    assert check_unfinished_head(b"X: y\r\n" * 70).status == 431


def test_where_a_head_ends():
    assert find_head_end(b"POST / HTTP/1.1\r\nA: b\r\n\r\nbody") == (21, 25)
    assert find_head_end(b"POST / HTTP/1.1\nA: b\n\nbody") == (20, 22)
    assert find_head_end(b"POST / HTTP/1.1\r\nA: b\r\n") == (-1, -1)


@pytest.mark.parametrize("args, expected", [
    (("GET", "/hook", SECRET, "2"), 405),
    (("BREW", "/hook", SECRET, "2"), 501),
    (("POST", "/other", SECRET, "2"), 404),
    (("POST", "/hook", None, "2"), 403),
    (("POST", "/hook", "guess", "2"), 403),
    (("POST", "/hook", SECRET, None), 411),
    (("POST", "/hook", SECRET, "2", "chunked"), 400),  # both lengths
    (("POST", "/hook", SECRET, None, "chunked"), 411),
    (("POST", "/hook", SECRET, "-1"), 400),
    (("POST", "/hook", SECRET, "101"), 413),
    (("POST", "/hook", SECRET, "9" * 500), 413),
    (("POST", "/hook", SECRET, "2", None, "something"), 417),
    (("POST", "/hook", SECRET, "2", None, None, True), 400),  # several lengths
    (("POST", "/hook", SECRET, "2", None, "100-Continue"), 2),
    (("POST", "/hook", SECRET, "0100"), 100),
])
def test_head_checks(args, expected):
    verdict = WebhookRules("/hook", SECRET, 100).check_head(*args)
    assert (verdict.status if isinstance(verdict, Rejection) else verdict) == expected


def test_body_checks():
    rules = WebhookRules(None, None, 100)
    assert rules.check_body(b'{"update_id": 5}', 16) == (5, {"update_id": 5})
    for body in (b"{", b"[]", b'{"update_id": "5"}', b'{"update_id": true}'):
        assert rules.check_body(body, len(body)).status == 400
    assert rules.check_body(b"{}", 5).status == 400  # shorter than announced


def test_dedup_table_is_bounded():
    table = DedupTable(2)
    assert table.begin(1) == NEW
    assert table.begin(1) == BUSY
    table.done(1, accepted=True)
    assert table.begin(1) == SEEN
    assert table.begin(2) == NEW
    table.done(2, accepted=False)  # not accepted: may come again
    assert table.begin(2) == NEW
    table.done(2, accepted=True)
    assert table.begin(3) == NEW
    table.done(3, accepted=True)
    assert len(table) == 2 and table.begin(1) == NEW  # the oldest was forgotten


def test_log_rate_counts_what_it_does_not_show():
    rate = LogRate(interval=60)
    assert rate.hit("403", 0.0) == 1
    assert [rate.hit("403", t) for t in (1.0, 2.0, 3.0)] == [None, None, None]
    assert rate.hit("400", 4.0) == 1  # each cause on its own
    assert rate.hit("403", 60.0) == 4  # this line stands for itself and the 3 not shown
    assert rate.hit("403", 61.0) is None
    assert rate.flush() == [("403", 1)]
    assert rate.flush() == []


def test_limited_containers():
    d = LimitedDict(2)
    d["a"], d["b"], d["a"], d["c"] = 1, 2, 3, 4
    assert list(d.items()) == [("a", 3), ("c", 4)]
    s = LimitedSet(2)
    assert s.add(1) is None and s.add(2) is None and s.add(1) is None
    assert s.add(3) == 2 and list(s) == [1, 3] and 2 not in s
    s.discard(1)
    assert len(s) == 1

"""The threaded HTTP server core on its own, over real loopback sockets (the webhook and
emulator suites test it through their applications)."""

import logging
import socket
import threading

import pytest

from telegrambot._httpserver import Request, Response, Server, reason

logger = logging.getLogger("test_httpserver")


def read_answer(sock):
    """(status, headers dict with lower-case names, body) of the next answer on ``sock``."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("closed before an answer: %r" % data)
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    length = int(headers["content-length"])
    while len(body) < length:
        body += sock.recv(4096)
    return int(lines[0].split()[1]), headers, body


def closed(sock):
    """Whether the server closed ``sock`` (it answered everything it will)."""
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


class App:
    """Echoes what it read; ``how`` (a header) picks what it does with the body."""

    def __init__(self):
        self.seen = []
        self.refused = []

    def __call__(self, request: Request):
        how = request.head.headers.get("x-how", "body")
        self.seen.append((request.head.method, request.head.path, how))
        if how == "drop":
            return None
        if how == "ignore":  # answer without reading the body
            return Response(403, b"no")
        if how == "read":
            return Response(200, request.read(int(request.head.headers["content-length"])))
        try:
            body = request.body(limit=10)
        except ValueError:
            return Response(400, b"unreadable", close=True)
        if body is None:
            return Response(413, b"too large")
        return Response(200, body, "application/octet-stream")


@pytest.fixture
def app():
    return App()


@pytest.fixture
def server(app):
    srv = Server(("127.0.0.1", 0), app, label="test", connection_name="telegrambot-test-conn",
                 logger=logger, server_header="test", read_timeout=5.0,
                 refused=lambda rejection, peer: app.refused.append(rejection.status))
    srv.start("telegrambot-test-server")
    yield srv
    srv.stop(2.0)


def connect(server):
    return socket.create_connection(("127.0.0.1", server.port), timeout=5)


def test_keep_alive_with_chunked_bodies_within_and_over_the_limit(server, app):
    with connect(server) as sock:
        sock.sendall(b"POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                     b"3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n")
        assert read_answer(sock)[::2] == (200, b"abcde")
        sock.sendall(b"POST /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                     b"8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n")
        assert read_answer(sock)[0] == 413  # read and dropped: the connection carries on
        sock.sendall(b"POST /c HTTP/1.1\r\nContent-Length: 2\r\n\r\nok")
        assert read_answer(sock)[::2] == (200, b"ok")
    assert [path for _, path, _ in app.seen] == ["/a", "/b", "/c"]


def test_a_body_that_cannot_be_framed_is_refused_unread(server, app):
    with connect(server) as sock:
        sock.sendall(b"POST /x HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\nxyz")
        assert read_answer(sock)[0] == 400
        assert closed(sock)
    assert app.seen == [("POST", "/x", "body")]


def test_http_1_0_keep_alive_is_answered_in_kind(server):
    with connect(server) as sock:
        for _ in range(2):
            sock.sendall(b"GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            status, headers, _ = read_answer(sock)
            assert (status, headers["connection"]) == (200, "keep-alive")
        sock.sendall(b"GET /x HTTP/1.0\r\n\r\n")
        assert read_answer(sock)[1]["connection"] == "close"
        assert closed(sock)


def test_a_body_left_unread_ends_the_connection_after_the_answer(server):
    with connect(server) as sock:
        sock.sendall(b"POST /x HTTP/1.1\r\nX-How: ignore\r\nContent-Length: 5\r\n\r\n12345")
        status, headers, body = read_answer(sock)
        assert (status, headers["connection"], body) == (403, "close", b"no")
        assert closed(sock)


def test_100_continue_only_when_the_body_is_read(server):
    with connect(server) as sock:
        sock.sendall(b"POST /x HTTP/1.1\r\nX-How: ignore\r\nContent-Length: 5\r\n"
                     b"Expect: 100-continue\r\n\r\n")
        assert read_answer(sock)[0] == 403  # refused from the head: never invited
    with connect(server) as sock:
        sock.sendall(b"POST /x HTTP/1.1\r\nX-How: read\r\nContent-Length: 5\r\n"
                     b"Expect: 100-continue\r\n\r\n")
        assert sock.recv(25) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(b"12345")
        assert read_answer(sock)[::2] == (200, b"12345")


def test_head_requests_get_no_body_and_none_drops_the_connection(server):
    with connect(server) as sock:
        sock.sendall(b"HEAD /x HTTP/1.1\r\nX-How: ignore\r\n\r\n")
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(4096)
        # the length of the body a GET would get, no body: the connection carries on
        assert data.startswith(b"HTTP/1.1 403 ") and data.endswith(b"Content-Length: 2\r\n\r\n")
        sock.sendall(b"GET /x HTTP/1.1\r\n\r\n")
        assert read_answer(sock)[::2] == (200, b"")
    with connect(server) as sock:
        sock.sendall(b"GET /x HTTP/1.1\r\nX-How: drop\r\n\r\n")
        assert closed(sock)


def test_heads_refused_before_the_application_sees_them(server, app):
    with connect(server) as sock:
        sock.sendall(b"GET /x HTTP/1.1\r\n" + b"X: y\r\n" * 70)
        assert read_answer(sock)[0] == 431
    with connect(server) as sock:
        sock.sendall(b"GET /x HTTP/2.0\r\n\r\n")
        assert read_answer(sock)[0] == 505
    assert app.refused == [431, 505] and app.seen == []


def test_reason_phrases():
    assert (reason(404), reason(420)) == ("Not Found", "Unknown")  # 420: no name in HTTP


def test_stop_drains_first_then_ends_idle_connections(app):
    srv = Server(("127.0.0.1", 0), app, label="test", connection_name="telegrambot-test-conn",
                 logger=logger, server_header="test")
    srv.start("telegrambot-test-server")
    drained = []
    with connect(srv) as sock:
        sock.sendall(b"GET /x HTTP/1.1\r\n\r\n")
        assert read_answer(sock)[0] == 200  # the connection now waits idle
        names = {t.name for t in threading.enumerate()}
        assert {"telegrambot-test-server", "telegrambot-test-conn"} <= names
        assert srv.stop(2.0, lambda timeout: drained.append(timeout) or True) is True
        assert drained == [2.0] and not srv.running
        assert closed(sock)
    assert not [t for t in threading.enumerate() if t.name.startswith("telegrambot-test")]
    with pytest.raises(OSError):
        connect(srv)

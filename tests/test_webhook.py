"""The webhook receiver's rules, over real loopback HTTP(S), with plain sinks."""

import http.client
import io
import json
import logging
import queue
import socket
import ssl
import threading
import time
import wsgiref.simple_server

import pytest

from telegrambot.webhook import SECRET_HEADER, WebhookReceiver, WebhookServer, wsgi_app

SECRET = "s3cr3t-Token_value"


def post(
    port,
    body,
    *,
    path="/hook",
    secret=SECRET,
    method="POST",
    headers=None,
    timeout=5.0,
    context=None,
):
    """One request on a fresh connection; returns (status, text, headers)."""
    if context is None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    else:
        conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=timeout, context=context)
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
    all_headers = {"Content-Type": "application/json"}
    if secret is not None:
        all_headers[SECRET_HEADER] = secret
    all_headers.update(headers or {})
    try:
        conn.request(method, path, body=body, headers=all_headers)
        response = conn.getresponse()
        return response.status, response.read().decode(), response
    finally:
        conn.close()


def raw_request(port, head, *, timeout=5.0):
    """Send ``head`` (request line + headers, maybe more) and read the answer's status line."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head.encode())
        answer = sock.makefile("rb").readline()
    return int(answer.split()[1])


def wait_until(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.005)


def quiet_post(port, body):
    """post(), for a client thread that may be cut off: errors are expected, not raised."""
    try:
        post(port, body, path="/")
    except (OSError, http.client.HTTPException):
        pass


def drain(q):
    items = []
    while True:
        try:
            items.append(q.get_nowait())
        except queue.Empty:
            return items


@pytest.fixture
def updates():
    return queue.Queue()


@pytest.fixture
def server(updates):
    with WebhookServer(updates, "127.0.0.1", 0, "/hook", secret_token=SECRET, max_body=4096) as srv:
        yield srv


def test_update_is_queued_as_a_dict_before_200(server, updates):
    status, text, _ = post(server.port, {"update_id": 7, "message": {"text": "hi"}})
    assert (status, text) == (200, "ok")
    assert updates.get_nowait() == {"update_id": 7, "message": {"text": "hi"}}


def test_keep_alive_connection_carries_many_updates(server, updates):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        for uid in range(5):
            conn.request(
                "POST",
                "/hook",
                body=json.dumps({"update_id": uid}),
                headers={SECRET_HEADER: SECRET},
            )
            response = conn.getresponse()
            assert response.status == 200
            response.read()
    finally:
        conn.close()
    assert [u["update_id"] for u in drain(updates)] == list(range(5))


@pytest.mark.parametrize("secret", [None, "", "s3cr3t-Token_valuX", SECRET + "x", "s3cr3t"])
def test_missing_or_wrong_secret_is_403(server, updates, secret):
    status, text, _ = post(server.port, {"update_id": 1}, secret=secret)
    assert status == 403
    assert "secret" in text
    assert updates.empty()


def test_wrong_secret_answered_without_reading_the_body(server):
    # The body is announced but never sent: an answer proves it was not waited for.
    head = f"POST /hook HTTP/1.1\r\nHost: x\r\n{SECRET_HEADER}: nope\r\nContent-Length: 100\r\n\r\n"
    assert raw_request(server.port, head) == 403
    head = "POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"
    assert raw_request(server.port, head) == 403


def test_oversized_body_is_413_from_content_length_alone(server, updates):
    head = f"POST /hook HTTP/1.1\r\nHost: x\r\n{SECRET_HEADER}: {SECRET}\r\nContent-Length: 4097\r\n\r\n"
    assert raw_request(server.port, head) == 413
    body = json.dumps({"update_id": 1, "pad": "x" * 5000})
    assert post(server.port, body)[0] == 413
    body = json.dumps({"update_id": 2, "pad": "x" * 4000})
    assert post(server.port, body)[0] == 200
    assert [u["update_id"] for u in drain(updates)] == [2]


def test_default_body_limit_is_one_mebibyte(updates):
    with WebhookServer(updates, "127.0.0.1", 0, "/") as srv:
        head = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
        assert raw_request(srv.port, head % (1024 * 1024 + 1)) == 413
        pad = "x" * (1024 * 1024 - 100)
        assert post(srv.port, json.dumps({"update_id": 1, "p": pad}), path="/")[0] == 200
    assert updates.get_nowait()["update_id"] == 1


def test_missing_content_length_is_411(server, updates):
    head = f"POST /hook HTTP/1.1\r\nHost: x\r\n{SECRET_HEADER}: {SECRET}\r\nTransfer-Encoding: chunked\r\n\r\n"
    assert raw_request(server.port, head) == 411
    assert updates.empty()


@pytest.mark.parametrize("value", ["-1", "abc", "1_0", "+5", "0x10", "\u0661"])
def test_malformed_content_length_is_400(server, value):
    head = "POST /hook HTTP/1.1\r\nHost: x\r\n%s: %s\r\nContent-Length: %s\r\n\r\n"
    assert raw_request(server.port, head % (SECRET_HEADER, SECRET, value)) == 400


@pytest.mark.parametrize(
    "value, status",
    [("9" * 5000, 413), ("1" + "0" * 30, 413), ("0" * 30 + "16", 200)],
    ids=["5000 digits", "31 digits", "leading zeros"],
)
def test_content_length_of_many_digits_is_judged_by_its_value(server, value, status, caplog):
    head = f"POST /hook HTTP/1.1\r\nHost: x\r\n{SECRET_HEADER}: {SECRET}\r\n"
    request = head + f'Content-Length: {value}\r\n\r\n{{"update_id": 1}}'
    assert raw_request(server.port, request) == status
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_chunked_or_twice_framed_bodies_are_refused_unread(server, updates):
    body = '{"update_id": 1}'
    start = f"POST /hook HTTP/1.1\r\nHost: x\r\n{SECRET_HEADER}: {SECRET}\r\n"
    chunked = f"Content-Length: 16\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n{body}\r\n0\r\n\r\n"
    assert raw_request(server.port, start + chunked) == 400  # which length frames the body?
    twice = f"Content-Length: 16\r\nContent-Length: 40\r\n\r\n{body}"
    assert raw_request(server.port, start + twice) == 400
    assert updates.empty()


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"",
        b"\xff\xfe\x00garbage",
        b"[1, 2]",
        b'"a string"',
        b"42",
        b"null",
        b'{"message": {"text": "no update_id"}}',
        b'{"update_id": "7"}',
        b'{"update_id": true}',
        b"[" * 100_000 + b"]" * 100_000,
    ],
    ids=lambda b: repr(b[:20]),
)
def test_malformed_or_non_object_body_is_400(updates, body):
    with WebhookServer(updates, "127.0.0.1", 0, "/hook", secret_token=SECRET) as srv:
        status, _, _ = post(srv.port, body)
        assert status == 400
        assert post(srv.port, {"update_id": 9})[0] == 200  # still serving
    assert [u["update_id"] for u in drain(updates)] == [9]


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_other_methods_are_405(server, updates, method):
    status, _, response = post(server.port, {"update_id": 1}, method=method)
    assert status == 405
    assert response.getheader("Allow") == "POST"
    assert updates.empty()


def test_head_is_405_without_a_body(server):
    status, text, _ = post(server.port, None, method="HEAD")
    assert (status, text) == (405, "")


@pytest.mark.parametrize("path", ["/", "/hook/", "/hooks", "/other", "/HOOK"])
def test_other_paths_are_404(server, updates, path):
    assert post(server.port, {"update_id": 1}, path=path)[0] == 404
    assert updates.empty()


def test_query_string_does_not_change_the_path(server, updates):
    assert post(server.port, {"update_id": 1}, path="/hook?x=1")[0] == 200
    assert updates.get_nowait()["update_id"] == 1


def test_redelivered_update_is_answered_200_but_handed_on_once(server, updates):
    for _ in range(3):
        assert post(server.port, {"update_id": 5, "message": {"text": "a"}})[0] == 200
    assert post(server.port, {"update_id": 6})[0] == 200
    assert [u["update_id"] for u in drain(updates)] == [5, 6]


def test_seen_update_ids_are_bounded(updates):
    with WebhookServer(updates, "127.0.0.1", 0, "/", seen_size=3) as srv:
        for uid in [1, 2, 3, 4, 1, 4]:
            assert post(srv.port, {"update_id": uid}, path="/")[0] == 200
    # 1 was forgotten once four others were seen; 4 is still remembered.
    assert [u["update_id"] for u in drain(updates)] == [1, 2, 3, 4, 1]


def test_failing_sink_gets_500_and_the_retry_is_accepted(caplog):
    handed = []

    def sink(update):
        if not handed:
            handed.append(None)
            raise RuntimeError("boom")
        handed.append(update["update_id"])

    with WebhookServer(sink, "127.0.0.1", 0, "/") as srv:
        assert post(srv.port, {"update_id": 3}, path="/")[0] == 500
        assert post(srv.port, {"update_id": 3}, path="/")[0] == 200  # not remembered as accepted
        assert post(srv.port, {"update_id": 3}, path="/")[0] == 200
    assert handed == [None, 3]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info[0] is RuntimeError  # once, with its traceback


def test_full_bounded_queue_gets_503():
    bounded = queue.Queue(maxsize=1)
    with WebhookServer(bounded, "127.0.0.1", 0, "/", put_timeout=0.05) as srv:
        assert post(srv.port, {"update_id": 1}, path="/")[0] == 200
        assert post(srv.port, {"update_id": 2}, path="/")[0] == 503
        bounded.get_nowait()
        assert post(srv.port, {"update_id": 2}, path="/")[0] == 200
    assert bounded.get_nowait()["update_id"] == 2


class FeedSink:
    def __init__(self):
        self.fed = []

    def feed(self, update):
        self.fed.append(update)


def test_feed_and_callable_sinks():
    fed, called = FeedSink(), []
    for sink in (fed, called.append):
        with WebhookServer(sink, "127.0.0.1", 0, "/") as srv:
            assert post(srv.port, {"update_id": 1}, path="/")[0] == 200
    assert fed.fed == called == [{"update_id": 1}]
    with pytest.raises(TypeError):
        WebhookServer(object())


def test_rejections_logged_once_without_secrets(server, caplog):
    caplog.set_level(logging.DEBUG, logger="telegrambot.webhook")
    body = json.dumps({"update_id": 1, "message": {"text": "body-secret"}})
    post(server.port, body, secret="header-secret-guess")
    post(server.port, b"{broken body-secret")
    post(server.port, body, path="/path-secret")
    records = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage().split(":")[1].strip() for r in records] == [
        "403 for a request from 127.0.0.1",
        "400 for a request from 127.0.0.1",
        "404 for a request from 127.0.0.1",
    ]
    for record in caplog.records:
        text = record.getMessage()
        assert "secret" not in text.replace("secret token", "")
        assert SECRET not in text


def test_a_token_in_the_path_is_never_logged(updates, caplog):
    caplog.set_level(logging.DEBUG, logger="telegrambot.webhook")
    token = "123456:AAbbCCddEEffGGhhIIjjKKllMMnnOOppQQr"
    with WebhookServer(updates, "127.0.0.1", 0, "/" + token) as srv:
        assert token not in repr(srv)
        assert post(srv.port, {"update_id": 1}, path="/" + token)[0] == 200
        assert post(srv.port, {"update_id": 2}, path="/" + token + "x")[0] == 404
        assert post(srv.port, {"update_id": 3}, path="/" + token, method="BREW")[0] == 501
    assert caplog.records
    assert not [r for r in caplog.records if token in r.getMessage()]


def test_threads_are_named_and_gone_after_stop(updates):
    srv = WebhookServer(updates, "127.0.0.1", 0, "/").start()
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=5)
    conn.request("POST", "/", body=json.dumps({"update_id": 1}))
    conn.getresponse().read()
    names = {t.name for t in threading.enumerate()}
    assert f"telegrambot-webhook-{srv.port}" in names
    assert "telegrambot-webhook-conn" in names  # the idle keep-alive connection
    started = time.monotonic()
    assert srv.stop() is True
    assert time.monotonic() - started < 2.0  # the idle connection did not hold stop up
    assert not srv.running
    assert not [t for t in threading.enumerate() if t.name.startswith("telegrambot-webhook")]
    conn.close()
    srv.stop()  # twice is harmless


def test_stop_finishes_requests_in_flight_and_answers_503_meanwhile():
    entered, release = threading.Event(), threading.Event()
    handed = []

    def slow_sink(update):
        entered.set()
        assert release.wait(5)
        handed.append(update["update_id"])

    srv = WebhookServer(slow_sink, "127.0.0.1", 0, "/").start()
    port = srv.port
    in_flight = {}
    client = threading.Thread(
        target=lambda: in_flight.update(status=post(port, {"update_id": 1}, path="/")[0])
    )
    client.start()
    assert entered.wait(5)
    stopper = threading.Thread(target=lambda: in_flight.update(stopped=srv.stop(timeout=5)))
    stopper.start()
    wait_until(lambda: not srv.receiver.accepting)
    assert post(port, {"update_id": 2}, path="/")[0] == 503  # while stopping
    release.set()
    client.join(5)
    stopper.join(5)
    assert in_flight == {"status": 200, "stopped": True}
    assert handed == [1]
    with pytest.raises(OSError):
        post(port, {"update_id": 3}, path="/", timeout=1)


def test_stop_cuts_a_stalled_request_after_its_timeout(updates):
    srv = WebhookServer(updates, "127.0.0.1", 0, "/").start()
    with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as sock:
        sock.sendall(b'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{"upd')
        wait_until(lambda: srv.receiver._in_flight == 1)  # the server reads the body
        started = time.monotonic()
        assert srv.stop(timeout=0.3) is False
        assert time.monotonic() - started < 2.5
    assert updates.empty()


def test_a_client_sending_a_byte_now_and_then_is_cut_off(updates):
    """Slowloris: every byte comes well within read_timeout, the request never ends."""
    with WebhookServer(updates, "127.0.0.1", 0, "/", read_timeout=0.5) as srv:
        with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as sock:
            sock.sendall(b"POST / HTTP/1.1\r\n")
            sock.settimeout(0.05)
            started = time.monotonic()
            cut_off = False
            while not cut_off and time.monotonic() - started < 5:
                try:
                    sock.sendall(b"X")  # one more byte of an endless header line
                    cut_off = sock.recv(1) == b""
                except socket.timeout:
                    pass
                except OSError:
                    cut_off = True
            assert cut_off
            assert time.monotonic() - started < 4  # read_timeout, and some slack
    assert updates.empty()


def test_stop_cuts_many_stuck_requests_in_one_second_not_one_each():
    release = threading.Event()
    entered = []

    def stuck_sink(update):
        entered.append(update["update_id"])
        release.wait(10)

    srv = WebhookServer(stuck_sink, "127.0.0.1", 0, "/").start()
    clients = [
        threading.Thread(target=lambda uid=uid: quiet_post(srv.port, {"update_id": uid}))
        for uid in range(5)
    ]
    for client in clients:
        client.start()
    try:
        wait_until(lambda: len(entered) == 5)
        started = time.monotonic()
        assert srv.stop(timeout=0.2) is False
        assert time.monotonic() - started < 3.0  # was 0.2 s + 1 s per connection
    finally:
        release.set()
        for client in clients:
            client.join(5)


def test_connections_beyond_the_limit_are_closed(updates):
    with WebhookServer(updates, "127.0.0.1", 0, "/", connection_limit=2) as srv:
        kept = [http.client.HTTPConnection("127.0.0.1", srv.port, timeout=5) for _ in range(2)]
        for uid, conn in enumerate(kept):
            conn.request("POST", "/", body=json.dumps({"update_id": uid}))
            assert conn.getresponse().read() == b"ok"
        with pytest.raises((OSError, http.client.HTTPException)):
            post(srv.port, {"update_id": 5}, path="/")
        kept.pop().close()
        wait_until(lambda: len(srv._httpd.connections) == 1)
        assert post(srv.port, {"update_id": 6}, path="/")[0] == 200
        kept[0].close()
    assert [u["update_id"] for u in drain(updates)] == [0, 1, 6]


def test_port_in_use_raises_at_start(server, updates):
    with pytest.raises(OSError):
        WebhookServer(updates, "127.0.0.1", server.port, "/").start()


# -- TLS ----------------------------------------------------------------------------------


def test_tls_with_a_self_signed_certificate(self_signed_cert, updates):
    certfile, keyfile = self_signed_cert
    context = ssl.create_default_context(cafile=certfile)
    with WebhookServer(
        updates, "127.0.0.1", 0, "/hook", secret_token=SECRET, certfile=certfile, keyfile=keyfile
    ) as srv:
        assert srv.url.startswith("https://127.0.0.1:")
        assert post(srv.port, {"update_id": 1}, context=context)[0] == 200
        assert post(srv.port, {"update_id": 2}, secret="bad", context=context)[0] == 403
        with pytest.raises(ssl.SSLError):  # a client that does not trust the certificate
            post(srv.port, {"update_id": 3}, context=ssl.create_default_context())
        with pytest.raises((OSError, http.client.HTTPException)):  # plain HTTP on the TLS port
            post(srv.port, {"update_id": 4})
        assert post(srv.port, {"update_id": 5}, context=context)[0] == 200  # still serving
    assert [u["update_id"] for u in drain(updates)] == [1, 5]


# -- WSGI ---------------------------------------------------------------------------------


class QuietHandler(wsgiref.simple_server.WSGIRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def wsgi(updates):
    app = wsgi_app(updates, secret_token=SECRET, max_body=4096)
    httpd = wsgiref.simple_server.make_server("127.0.0.1", 0, app, handler_class=QuietHandler)
    thread = threading.Thread(
        target=httpd.serve_forever, args=(0.05,), name="test-wsgi", daemon=True
    )
    thread.start()
    yield app, httpd.server_address[1]
    httpd.shutdown()
    thread.join(5)
    httpd.server_close()


def test_wsgi_app_applies_the_same_rules(wsgi, updates):
    app, port = wsgi
    assert post(port, {"update_id": 1})[0] == 200
    assert post(port, {"update_id": 1})[0] == 200  # redelivery
    assert post(port, {"update_id": 2}, secret="wrong")[0] == 403
    assert post(port, {"update_id": 3}, secret=None)[0] == 403
    assert post(port, json.dumps({"update_id": 4, "p": "x" * 5000}))[0] == 413
    assert post(port, b"{nope")[0] == 400
    assert post(port, b"[]")[0] == 400
    status, _, response = post(port, {"update_id": 5}, method="GET")
    assert (status, response.getheader("Allow")) == (405, "POST")
    assert (
        post(port, {"update_id": 6}, path="/anywhere")[0] == 200
    )  # path=None: routing is the server's
    assert [u["update_id"] for u in drain(updates)] == [1, 6]
    app.close()
    assert post(port, {"update_id": 7})[0] == 503
    assert app.wait_idle(1)
    assert updates.empty()


def test_wsgi_app_with_a_path(updates):
    app = wsgi_app(updates, path="/hook")
    body = io.BytesIO(b'{"update_id": 1}')
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/other",
        "CONTENT_LENGTH": "16",
        "wsgi.input": body,
    }
    answers = []
    assert app(environ, lambda status, headers: answers.append(status)) == [
        b"no webhook on this path"
    ]
    assert answers == ["404 Not Found"]
    assert body.tell() == 0
    environ["PATH_INFO"] = "/hook"
    assert app(environ, lambda status, headers: answers.append(status)) == [b"ok"]
    assert answers[-1] == "200 OK"
    assert updates.get_nowait() == {"update_id": 1}


def test_receive_looks_headers_up_by_the_names_they_are_sent_under(updates):
    """receive() with a lookup that minds the case (a plain dict's get)."""
    receiver = WebhookReceiver(updates, secret_token=SECRET)
    headers = {SECRET_HEADER: SECRET}
    body = b'{"update_id": 1}'
    assert receiver.receive("POST", "/", headers.get, "16", io.BytesIO(body).read) == (200, "ok")
    headers["Transfer-Encoding"] = "chunked"
    assert receiver.receive("POST", "/", headers.get, "16", io.BytesIO(body).read)[0] == 400
    assert [u["update_id"] for u in drain(updates)] == [1]


# -- issue 11: hostile and broken clients ------------------------------------------------


def read_status(sock):
    """The status code of the next answer on ``sock`` (its status line only)."""
    line = b""
    while not line.endswith(b"\n"):
        chunk = sock.recv(1)
        if not chunk:
            raise ConnectionError("closed before an answer: %r" % line)
        line += chunk
    return int(line.split()[1])


@pytest.mark.parametrize(
    "lines", [[f"X-Pad-{i}: " + "x" * 1000 for i in range(20)], [f"X-{i}: y" for i in range(70)]],
    ids=["20 KiB of headers", "70 header lines"],
)
def test_a_head_too_large_is_refused_before_it_ends(server, updates, lines):
    """Issue 11, item 5: the head is not read in full (the client never ends it here)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        head = f"POST /hook HTTP/1.1\r\nHost: x\r\n{SECRET_HEADER}: {SECRET}\r\n"
        sock.sendall((head + "\r\n".join(lines) + "\r\n").encode())  # no blank line: unfinished
        assert read_status(sock) == 431
    assert updates.empty()


def test_expect_100_continue_only_after_the_checks(server, updates):
    """Issue 11, item 6: a client with a wrong secret or too big a body gets the refusal,
    not an invitation to send its body."""
    expect_100_continue_only_after_the_checks(server.port)
    assert updates.get_nowait() == {"update_id": 1}


def expect_100_continue_only_after_the_checks(port):
    """Refusals from the head for a wrong secret and too large a body (limit 4096), then
    100 Continue and 200 for update 1 (shared with the asyncio apps' tests)."""
    def ask(secret, length):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.sendall((f"POST /hook HTTP/1.1\r\nHost: x\r\n{SECRET_HEADER}: {secret}\r\n"
                      f"Content-Length: {length}\r\nExpect: 100-continue\r\n\r\n").encode())
        return sock, read_status(sock)

    for secret, length, status in ((SECRET + "x", 16, 403), (SECRET, 5000, 413)):
        sock, first = ask(secret, length)
        sock.close()
        assert first == status
    sock, first = ask(SECRET, 16)
    with sock:
        assert first == 100
        assert sock.recv(2) == b"\r\n"  # the end of the 100 answer's head
        sock.sendall(b'{"update_id": 1}')
        assert read_status(sock) == 200


FRAMINGS = {
    "both lengths": "Content-Length: 16\r\nTransfer-Encoding: chunked\r\n",
    "space before the colon": "Content-Length: 16\r\nTransfer-Encoding : chunked\r\n",
}


@pytest.mark.parametrize("framing", FRAMINGS.values(), ids=FRAMINGS.keys())
def test_ambiguous_framing_is_400(server, wsgi, updates, framing):
    """Issue 11, item 7. (The body is what Content-Length frames: a server going by it
    alone would take it.)"""
    body = '{"update_id": 1}'
    head = f"POST /hook HTTP/1.1\r\nHost: x\r\n{SECRET_HEADER}: {SECRET}\r\n{framing}\r\n"
    assert raw_request(server.port, head + body) == 400
    if " :" not in framing:
        # wsgiref drops a header line with a space before its colon before the app sees
        # it (the next test gives the app such a header as other servers pass it on)
        assert raw_request(wsgi[1], head + body) == 400
    assert updates.empty()


@pytest.mark.parametrize("key", ["HTTP_TRANSFER_ENCODING", "HTTP_TRANSFER_ENCODING ",
                                 "HTTP_TRANSFER_ENCODING\t"])
def test_the_wsgi_app_applies_the_framing_rules_of_the_built_in_server(updates, key):
    """Issue 11, item 7: what the WSGI server passes on is judged as the built-in server
    judges it: Content-Length with Transfer-Encoding, or a header name with white space
    before its colon, is 400."""
    app = wsgi_app(updates)
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/", "CONTENT_LENGTH": "16",
               key: "chunked", "wsgi.input": io.BytesIO(b'{"update_id": 1}')}
    answers = []
    app(environ, lambda status, headers: answers.append(status))
    assert answers == ["400 Bad Request"]
    assert updates.empty()


def test_rejections_are_logged_once_per_cause_per_interval(server, updates, caplog):
    """Issue 11, item 8: a flood of bad requests gives one line per cause, with a count."""
    caplog.set_level(logging.INFO, logger="telegrambot.webhook")
    for _ in range(30):
        assert post(server.port, {"update_id": 1}, secret="guess")[0] == 403
    assert post(server.port, b"{not json")[0] == 400  # another cause: its own line
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(lines) == 2 and "wrong secret token" in lines[0] and "not JSON" in lines[1]
    server.stop()  # the counts not shown yet are logged when the receiver closes
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(lines) == 3 and "29 more" in lines[2] and "403 wrong secret token" in lines[2]


def test_log_lines_resume_after_the_interval(updates, caplog):
    with WebhookServer(updates, "127.0.0.1", 0, "/", secret_token=SECRET, log_interval=0) as srv:
        for _ in range(3):
            post(srv.port, {"update_id": 1}, path="/", secret="guess")
    assert sum("wrong secret token" in m for m in caplog.messages) == 3


def test_clients_without_the_secret_cannot_crowd_out_telegram(updates):
    """Issue 11, item 9: when every connection is taken, a new one pushes out the oldest
    that sent no request with the right secret; those that did stay."""
    with WebhookServer(updates, "127.0.0.1", 0, "/hook", secret_token=SECRET,
                       connection_limit=5) as srv:
        telegram = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=5)
        telegram.request("POST", "/hook", body='{"update_id": 1}', headers={SECRET_HEADER: SECRET})
        assert telegram.getresponse().read() == b"ok"  # its connection is now trusted
        squatters = [socket.create_connection(("127.0.0.1", srv.port), timeout=5)
                     for _ in range(10)]  # silent: they hold connections, send nothing
        try:
            for update_id in range(2, 12):  # new connections, as Telegram opens them
                assert post(srv.port, {"update_id": update_id})[0] == 200
            telegram.request("POST", "/hook", body='{"update_id": 12}',
                             headers={SECRET_HEADER: SECRET})
            assert telegram.getresponse().read() == b"ok"  # never pushed out
            assert len(srv._httpd.connections) <= 5
        finally:
            telegram.close()
            for sock in squatters:
                sock.close()
    assert [u["update_id"] for u in drain(updates)] == list(range(1, 13))


def test_the_receivers_repr_does_not_show_a_token_in_its_path(updates):
    """Issue 11, item 10."""
    token = "123456:AAbbCCddEEffGGhhIIjjKKllMMnnOOppQQr"
    receiver = wsgi_app(updates, path="/bot" + token)
    assert token not in repr(receiver) and "<token>" in repr(receiver)
    with WebhookServer(updates, "127.0.0.1", 0, "/bot" + token) as srv:
        assert token not in repr(srv) and token not in repr(srv.receiver)

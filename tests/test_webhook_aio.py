"""The webhook receiver's rules on asyncio: the ASGI app under uvicorn and the aiohttp app
under aiohttp's server, over real loopback HTTP, with the hostile cases of
test_webhook.py; and the emulator POSTing to them as Telegram does."""

import asyncio
import http.client
import json
import logging
import queue
import socket
import threading

import pytest
from aio_webhook_servers import AIOHTTP, ASGI, KINDS, AioServer
from test_webhook import (
    SECRET,
    expect_100_continue_only_after_the_checks,
    post,
    raw_request,
    read_status,
)

from telegrambot.asgi import AsyncWebhookReceiver, asgi_app
from telegrambot.webhook import SECRET_HEADER

pytest.importorskip("uvicorn")
pytest.importorskip("aiohttp")

# aiohttp's parser refuses a method it does not know itself
UNKNOWN_METHOD = {ASGI: {501}, AIOHTTP: {400, 501}}
HEAD = f"POST /hook HTTP/1.1\r\nHost: x\r\n{SECRET_HEADER}: {SECRET}\r\n"


@pytest.fixture(params=KINDS)
def kind(request):
    return request.param


@pytest.fixture
def server(kind):
    with AioServer(kind, path="/hook", secret_token=SECRET, max_body=4096) as srv:
        yield srv


def ids(updates):
    return [u["update_id"] for u in updates]


def test_update_is_queued_as_a_dict_before_200(server):
    status, text, response = post(server.port, {"update_id": 7, "message": {"text": "hi"}})
    assert (status, text) == (200, "ok")
    assert response.getheader("Content-Type").startswith("text/plain")
    assert server.drain() == [{"update_id": 7, "message": {"text": "hi"}}]


def test_keep_alive_connection_carries_many_updates(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        for uid in range(5):
            conn.request("POST", "/hook", body=json.dumps({"update_id": uid}),
                         headers={SECRET_HEADER: SECRET})
            response = conn.getresponse()
            assert response.status == 200
            response.read()
    finally:
        conn.close()
    assert ids(server.drain()) == list(range(5))


@pytest.mark.parametrize("secret", [None, "", "s3cr3t-Token_valuX", SECRET + "x", "s3cr3t"])
def test_missing_or_wrong_secret_is_403(server, secret):
    status, text, _ = post(server.port, {"update_id": 1}, secret=secret)
    assert status == 403 and "secret token" in text
    assert post(server.port, {"update_id": 2})[0] == 200  # the positive barrier
    assert ids(server.drain()) == [2]


def test_wrong_secret_and_oversized_bodies_are_refused_without_reading_them(server):
    """The client sends only the head: the answer comes without the body."""
    for secret, length, status in ((SECRET + "x", 1000, {403}), (SECRET, 5000, {413}),
                                   (SECRET, 10**30, {400, 413})):  # h11 refuses this one: 400
        head = f"POST /hook HTTP/1.1\r\nHost: x\r\n{SECRET_HEADER}: {secret}\r\n"
        assert raw_request(server.port, head + f"Content-Length: {length}\r\n\r\n") in status
    assert server.drain() == []


def test_missing_content_length_is_411_and_chunked_bodies_are_refused(server):
    assert raw_request(server.port, HEAD + "\r\n") == 411
    chunked = "Transfer-Encoding: chunked\r\n\r\n10\r\n{\"update_id\": 1}\r\n0\r\n\r\n"
    assert raw_request(server.port, HEAD + chunked) == 411
    assert server.drain() == []


@pytest.mark.parametrize("value", ["-1", "abc", "1_0", "+5", "0x10"])
def test_malformed_content_length_is_400(server, value):
    request = HEAD + f'Content-Length: {value}\r\n\r\n{{"update_id": 1}}'
    assert raw_request(server.port, request) == 400
    assert server.drain() == []


FRAMINGS = {
    "both lengths": "Content-Length: 16\r\nTransfer-Encoding: chunked\r\n",
    "two lengths": "Content-Length: 16\r\nContent-Length: 40\r\n",
    "space before the colon": "Content-Length: 16\r\nTransfer-Encoding : chunked\r\n",
}


@pytest.mark.parametrize("framing", FRAMINGS.values(), ids=FRAMINGS.keys())
def test_ambiguous_framing_is_400(server, framing):
    """Refused by the server's parser or by the rules: never taken as Content-Length says."""
    assert raw_request(server.port, HEAD + framing + '\r\n{"update_id": 1}') == 400
    assert post(server.port, {"update_id": 2})[0] == 200
    assert ids(server.drain()) == [2]


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"", b"\xff\xfe\x00garbage", b"[1, 2]", b'"a string"', b"42", b"null",
     b'{"message": {"text": "no update_id"}}', b'{"update_id": "7"}', b'{"update_id": true}',
     b"[" * 2000 + b"]" * 2000],
    ids=lambda b: repr(b[:20]),
)
def test_malformed_or_non_object_body_is_400(server, body):
    assert post(server.port, body)[0] == 400
    assert post(server.port, {"update_id": 9})[0] == 200  # still serving
    assert ids(server.drain()) == [9]


def test_deeply_nested_json_is_400_not_a_crash(kind):
    body = b"[" * 100_000 + b"]" * 100_000
    with AioServer(kind, path="/") as srv:
        assert post(srv.port, body, path="/")[0] == 400
        assert post(srv.port, {"update_id": 9}, path="/")[0] == 200
        assert ids(srv.drain()) == [9]


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_other_methods_are_405(server, method):
    status, _, response = post(server.port, {"update_id": 1}, method=method)
    assert status == 405
    assert response.getheader("Allow") == "POST"
    assert server.drain() == []


def test_head_is_405_without_a_body_and_an_unknown_method_501(server):
    assert post(server.port, None, method="HEAD")[:2] == (405, "")
    assert post(server.port, {"update_id": 1}, method="BREW")[0] in UNKNOWN_METHOD[server.kind]


@pytest.mark.parametrize("path", ["/", "/hook/", "/hooks", "/other", "/HOOK"])
def test_other_paths_are_404(server, path):
    assert post(server.port, {"update_id": 1}, path=path)[0] == 404
    assert server.drain() == []


def test_query_string_does_not_change_the_path(server):
    assert post(server.port, {"update_id": 1}, path="/hook?x=1")[0] == 200
    assert ids(server.drain()) == [1]


def test_redelivered_update_is_answered_200_but_handed_on_once(server):
    for _ in range(3):
        assert post(server.port, {"update_id": 5, "message": {"text": "a"}})[0] == 200
    assert post(server.port, {"update_id": 6})[0] == 200
    assert ids(server.drain()) == [5, 6]


def test_seen_update_ids_are_bounded(kind):
    with AioServer(kind, path="/", seen_size=3) as srv:
        for uid in [1, 2, 3, 4, 1, 4]:
            assert post(srv.port, {"update_id": uid}, path="/")[0] == 200
        assert ids(srv.drain()) == [1, 2, 3, 4, 1]


def test_failing_sink_gets_500_and_the_retry_is_accepted(kind, caplog):
    handed = []

    async def sink(update):
        if not handed:
            handed.append(None)
            raise RuntimeError("boom")
        handed.append(update["update_id"])

    with AioServer(kind, sink) as srv:
        assert post(srv.port, {"update_id": 3}, path="/")[0] == 500
        assert post(srv.port, {"update_id": 3}, path="/")[0] == 200  # not remembered as accepted
        assert post(srv.port, {"update_id": 3}, path="/")[0] == 200
    assert handed == [None, 3]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info[0] is RuntimeError


def test_full_bounded_queue_gets_503_after_put_timeout(kind):
    with AioServer(kind, maxsize=1, put_timeout=0.05) as srv:
        assert post(srv.port, {"update_id": 1}, path="/")[0] == 200
        assert post(srv.port, {"update_id": 2}, path="/")[0] == 503
        assert ids(srv.drain()) == [1]
        assert post(srv.port, {"update_id": 2}, path="/")[0] == 200
        assert ids(srv.drain()) == [2]


def test_a_bounded_queue_waited_on_takes_the_update_when_room_comes(kind):
    with AioServer(kind, maxsize=1, put_timeout=5) as srv:
        assert post(srv.port, {"update_id": 1}, path="/")[0] == 200
        answers = {}
        client = threading.Thread(target=lambda: answers.update(
            status=post(srv.port, {"update_id": 2}, path="/")[0]))
        client.start()
        # the second request waits in the queue's put(): make room once it is in flight
        srv.runner.run(_until(lambda: srv.receiver._in_flight == 1))
        assert ids(srv.drain()) == [1]
        client.join(5)
        assert answers == {"status": 200}
        assert ids(srv.drain()) == [2]


async def _until(predicate, timeout=5.0):
    async def poll():
        while not predicate():
            await asyncio.sleep(0.005)

    await asyncio.wait_for(poll(), timeout)


class FeedSink:
    def __init__(self):
        self.fed = []

    async def feed(self, update):
        self.fed.append(update)


def test_feed_callable_and_thread_queue_sinks(kind):
    fed, called, threaded = FeedSink(), [], queue.Queue(1)
    for sink in (fed, called.append, threaded):
        with AioServer(kind, sink) as srv:
            assert post(srv.port, {"update_id": 1}, path="/")[0] == 200
    assert fed.fed == called == [threaded.get_nowait()] == [{"update_id": 1}]
    threaded.put({"update_id": 0})
    with AioServer(kind, threaded) as srv:  # a full queue.Queue is not waited on
        assert post(srv.port, {"update_id": 2}, path="/")[0] == 503
    with pytest.raises(TypeError, match="webhook sink"):
        AsyncWebhookReceiver(object())


def test_rejections_logged_once_per_cause_without_secrets(server, caplog):
    caplog.set_level(logging.INFO, logger="telegrambot.webhook")
    body = json.dumps({"update_id": 1, "message": {"text": "body-secret"}})
    for _ in range(30):
        assert post(server.port, body, secret="header-secret-guess")[0] == 403
    assert post(server.port, b"{broken body-secret")[0] == 400
    assert post(server.port, body, path="/path-secret")[0] == 404
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert [line.split(":")[1].strip() for line in lines] == [
        "403 for a request from 127.0.0.1",
        "400 for a request from 127.0.0.1",
        "404 for a request from 127.0.0.1",
    ]
    server.stop()  # the receiver closes with its server: the counts not shown are logged
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(lines) == 4 and "29 more" in lines[3] and "403 wrong secret token" in lines[3]
    for record in caplog.records:
        text = record.getMessage()
        assert "secret" not in text.replace("secret token", "")
        assert SECRET not in text


def test_a_token_in_the_path_is_never_logged(kind, caplog):
    caplog.set_level(logging.DEBUG, logger="telegrambot.webhook")
    token = "123456:AAbbCCddEEffGGhhIIjjKKllMMnnOOppQQr"
    with AioServer(kind, path="/bot" + token) as srv:
        assert token not in repr(srv.receiver) and "<token>" in repr(srv.receiver)
        assert post(srv.port, {"update_id": 1}, path="/bot" + token)[0] == 200
        assert post(srv.port, {"update_id": 2}, path="/bot" + token + "x")[0] == 404
        assert post(srv.port, {"update_id": 3}, path="/bot" + token,
                    method="BREW")[0] in UNKNOWN_METHOD[kind]
    assert caplog.records
    assert not [r for r in caplog.records if token in r.getMessage()]


def test_expect_100_continue_only_after_the_checks(server):
    expect_100_continue_only_after_the_checks(server.port)
    assert server.drain() == [{"update_id": 1}]


@pytest.mark.parametrize(
    "lines", [[f"X-Pad-{i}: " + "x" * 1000 for i in range(20)], [f"X-{i}: y" for i in range(130)]],
    ids=["20 KiB of headers", "130 header lines"],
)
def test_a_head_too_large_is_refused_by_the_server(server, lines):
    """Whatever the server let through is held to the built-in server's limits (431): h11
    takes a 20 KiB head that arrives at once, aiohttp (max_headers=64 here) refuses 130
    lines itself (400)."""
    request = HEAD + "\r\n".join(lines) + '\r\nContent-Length: 16\r\n\r\n{"update_id": 1}'
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(request.encode())
        assert 400 <= read_status(sock) < 500
    assert post(server.port, {"update_id": 2})[0] == 200
    assert ids(server.drain()) == [2]


def test_a_client_leaving_before_its_body_loses_nothing_and_leaks_nothing(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall((HEAD + 'Content-Length: 50\r\n\r\n{"upd').encode())
        server.runner.run(_until(lambda: server.receiver._in_flight == 1))
    server.runner.run(_until(lambda: server.receiver._in_flight == 0))
    assert post(server.port, {"update_id": 2})[0] == 200
    assert ids(server.drain()) == [2]


def test_stop_finishes_requests_in_flight_and_answers_503_meanwhile(kind):
    entered, release = threading.Event(), None
    handed = []

    async def slow_sink(update):
        entered.set()
        await release.wait()
        handed.append(update["update_id"])

    srv = AioServer(kind, slow_sink)
    release = srv.runner.call(asyncio.Event)
    answers = {}
    client = threading.Thread(target=lambda: answers.update(
        first=post(srv.port, {"update_id": 1}, path="/")[0]))
    client.start()
    try:
        assert entered.wait(5)
        srv.runner.call(srv.receiver.close)
        assert post(srv.port, {"update_id": 2}, path="/")[0] == 503  # while stopping
        srv.runner.call(release.set)
        assert srv.runner.run(srv.receiver.wait_idle(5)) is True
        client.join(5)
        assert answers == {"first": 200} and handed == [1]
    finally:
        srv.runner.call(release.set)
        srv.stop()
    with pytest.raises(OSError):
        post(srv.port, {"update_id": 3}, path="/", timeout=1)


def test_wait_idle_times_out_while_a_request_is_stuck(kind):
    entered = threading.Event()

    async def stuck_sink(update):
        entered.set()
        await asyncio.Event().wait()

    srv = AioServer(kind, stuck_sink)
    client = threading.Thread(target=lambda: _quiet_post(srv.port, {"update_id": 1}))
    client.start()
    try:
        assert entered.wait(5)
        assert srv.runner.run(srv.receiver.wait_idle(0.05)) is False
    finally:
        srv.stop()  # the server cuts the stuck request off
        client.join(5)


def _quiet_post(port, body):
    try:
        post(port, body, path="/")
    except (OSError, http.client.HTTPException):
        pass


# -- the ASGI callable, as any server calls it ------------------------------------------------


def asgi_call(app, scope, body=b""):
    """Call the ASGI app once with ``scope`` and a body; return the messages it sent."""
    sent = []
    messages = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


def test_a_header_name_with_white_space_passed_on_by_a_lenient_server_is_400():
    """Unlike h11, some servers pass ``Transfer-Encoding : chunked`` on as a name with a
    space: the framing is ambiguous, the request is refused unread."""
    got = []
    app = asgi_app(got.append)
    for name in (b"transfer-encoding ", b"transfer-encoding\t"):
        scope = {"type": "http", "method": "POST", "path": "/", "raw_path": b"/",
                 "headers": [(b"content-length", b"16"), (name, b"chunked")]}
        sent = asgi_call(app, scope, b'{"update_id": 1}')
        assert sent[0]["status"] == 400
    scope = {"type": "http", "method": "POST", "path": "/", "headers": [(b"content-length", b"16")]}
    assert asgi_call(app, scope, b'{"update_id": 1}')[0]["status"] == 200
    assert got == [{"update_id": 1}]


def test_the_lifespan_protocol_closes_the_receiver():
    app = asgi_app(queue.Queue())
    messages = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent = []

    async def receive():
        return messages.pop(0)

    async def send(message):
        sent.append(message["type"])

    assert app.accepting
    asyncio.run(app({"type": "lifespan"}, receive, send))
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert not app.accepting


# -- the emulator delivering to them, as Telegram does ----------------------------------------


@pytest.mark.parametrize("kind", [ASGI, AIOHTTP])
def test_the_emulator_delivers_to_the_app(emulator, bot, kind):
    with AioServer(kind, path="/tg", secret_token=SECRET) as srv:
        url = f"http://127.0.0.1:{srv.port}/tg"
        assert bot.setWebhook(url, secret_token=SECRET) is True
        alice = emulator.user("Alice")
        for text in ("one", "two", "three"):
            alice.send(text)
        got = srv.runner.run(_take(srv.queue, 3))
        assert [u["message"]["text"] for u in got] == ["one", "two", "three"]
        assert len({u["update_id"] for u in got}) == 3
        bot.deleteWebhook()


def test_the_emulator_retries_after_a_503(emulator, bot, kind):
    """A full queue answers 503: Telegram (the emulator) delivers the update again later,
    and it is handed on once."""
    with AioServer(kind, maxsize=1, put_timeout=0.01, secret_token=SECRET) as srv:
        bot.setWebhook(f"http://127.0.0.1:{srv.port}/", secret_token=SECRET)
        alice = emulator.user("Alice")
        alice.send("first")
        alice.send("second")  # 503 while "first" fills the queue
        got = srv.runner.run(_take(srv.queue, 2))
        assert [u["message"]["text"] for u in got] == ["first", "second"]
        bot.deleteWebhook()


async def _take(aqueue, count, timeout=10.0):
    return [await asyncio.wait_for(aqueue.get(), timeout) for _ in range(count)]


# -- run_webhook on asyncio -------------------------------------------------------------------


def test_run_webhook_sets_the_webhook_serves_and_stops(emulator, aio_run):
    from telegrambot.aio import Bot
    from telegrambot.aio.webhook import run_webhook

    async def main():
        async with Bot(emulator.token, api_url=emulator.api_url) as bot:
            received = []

            async def handle(msg):
                received.append(msg["text"])
                await bot.sendMessage(msg["chat"]["id"], "echo: " + msg["text"])

            run = await run_webhook(bot, handle, path="/tg", allowed_updates=["message"],
                                    on_error=lambda exc, update: None)
            assert run.url == f"http://127.0.0.1:{run.port}/tg"
            webhook = emulator.webhook
            assert webhook["url"] == run.url and len(webhook["secret_token"]) >= 32
            assert run.receiver.rules.has_secret and "secret" not in repr(run)
            alice = emulator.user("Alice")
            alice.send("hi")
            reply = await asyncio.to_thread(alice.wait_for_message)
            assert reply["text"] == "echo: hi" and received == ["hi"]
            await run.stop(delete_webhook=True)
            await run.wait()
            assert emulator.webhook["url"] == ""
            with pytest.raises(OSError):
                await asyncio.to_thread(post, run.port, {"update_id": 1}, path="/tg", timeout=1)

    aio_run(main())


def test_run_webhook_stopped_from_a_handler_hands_over_what_was_accepted(emulator, aio_run):
    from telegrambot.aio import Bot
    from telegrambot.aio.webhook import run_webhook

    async def main():
        async with Bot(emulator.token, api_url=emulator.api_url) as bot:
            handled = []
            runs = []

            async def handle(msg):
                handled.append(msg["text"])
                if msg["text"] == "stop":
                    await runs[0].stop()  # returns at once: this task drains the queue

            runs.append(await run_webhook(bot, handle, host="127.0.0.1", port=0,
                                          secret_token=SECRET))
            port = runs[0].port
            for update_id, text in enumerate(("a", "stop"), 1):
                update = {"update_id": update_id, "message": {
                    "message_id": update_id, "date": 0, "text": text,
                    "chat": {"id": 1, "type": "private"}}}
                assert (await asyncio.to_thread(post, port, update, path="/"))[0] == 200
            await asyncio.wait_for(runs[0].wait(), 10)
            assert handled == ["a", "stop"]
            assert runs[0].updates.empty()  # everything answered 200 was handed over
            assert not runs[0].receiver.accepting

    aio_run(main())


def test_run_webhook_hands_handler_errors_to_on_error_and_needs_a_url_for_telegram(
        emulator, aio_run):
    from telegrambot.aio import Bot
    from telegrambot.aio.webhook import run_webhook

    async def main():
        errors = []

        def handle(msg):
            raise ValueError(msg["text"])

        async with Bot(emulator.token, api_url=emulator.api_url) as bot:
            run = await run_webhook(bot, handle, on_error=lambda e, u: errors.append((e, u)))
            async with run:
                emulator.user("Bob").send("boom")
                while not errors:
                    await asyncio.sleep(0.01)
        (exc, update), = errors
        assert isinstance(exc, ValueError) and update["message"]["text"] == "boom"
        with pytest.raises(ValueError, match="needs url="):
            await run_webhook(Bot("123:abc"), handle)  # Telegram could not reach loopback

    aio_run(main())


def test_run_webhooks_server_refuses_a_head_of_too_many_lines(emulator, aio_run):
    from telegrambot.aio import Bot
    from telegrambot.aio.webhook import run_webhook

    async def main():
        async with Bot(emulator.token, api_url=emulator.api_url) as bot:
            async with await run_webhook(bot, lambda msg: None, secret_token=SECRET) as run:
                lines = "".join(f"X-{i}: y\r\n" for i in range(130))
                request = (f"POST / HTTP/1.1\r\nHost: x\r\n{SECRET_HEADER}: {SECRET}\r\n{lines}"
                           'Content-Length: 16\r\n\r\n{"update_id": 1}')
                status = await asyncio.to_thread(raw_request, run.port, request)
                assert 400 <= status < 500
                assert run.updates.empty()
                ok = {"update_id": 2, "message": {"message_id": 1, "date": 0, "text": "x",
                                                   "chat": {"id": 1, "type": "private"}}}
                assert (await asyncio.to_thread(post, run.port, ok, path="/"))[0] == 200

    aio_run(main())

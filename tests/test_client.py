"""The client over real loopback HTTP against the emulator."""

import datetime
import gzip
import http.server
import io
import json
import logging
import os
import pathlib
import ssl
import threading
import time
import traceback
import tracemalloc

import pytest
import urllib3

import telegrambot
from telegrambot import api
from telegrambot.bot import Bot
from telegrambot.exception import (
    BadHTTPResponse,
    NetworkError,
    RequestTimeout,
    TelegramBotException,
    TelegramError,
)


def test_a_naive_datetime_is_local_time(bot, emulator):
    group = emulator.supergroup("Team")
    alice = emulator.user("Alice")
    alice.join(group)
    bot.banChatMember(group.id, alice.id, until_date=datetime.datetime.fromtimestamp(1900000000))
    assert emulator.requests[-1].params["until_date"] == 1900000000


# ------------------------------------------------------------------ uploads


def _upload_bytes(emulator):
    record = emulator.requests[-1]
    return {name: (f[1] if isinstance(f, tuple) else f) for name, f in record.files.items()}


def test_large_upload_is_streamed_and_arrives_whole(bot, emulator, tmp_path):
    alice = emulator.user("Alice")
    path = tmp_path / "big.bin"
    blob = bytes(range(256)) * (8 * 1024 * 4)  # 8 MiB
    path.write_bytes(blob)
    tracemalloc.start()
    try:
        body, headers = api.encode({"chat_id": 1, "document": path})
        sent = sum(len(chunk) for chunk in body)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert sent == int(headers["Content-Length"]) > len(blob)
    assert peak < len(blob) // 4  # read a chunk at a time as it is sent, never held whole
    msg = bot.sendDocument(alice.id, path)
    out = io.BytesIO()
    bot.download_file(msg["document"]["file_id"], out)
    assert out.getvalue() == blob


def test_empty_and_non_seekable_uploads(bot, emulator, tmp_path):
    alice = emulator.user("Alice")
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with open(empty, "rb") as f:
        for value in (b"", empty, f):
            bot.sendDocument(alice.id, value)
            assert list(_upload_bytes(emulator).values()) == [b""]
    read_end, write_end = os.pipe()
    os.write(write_end, b"from a pipe")
    os.close(write_end)
    with open(read_end, "rb") as pipe:
        bot.sendDocument(alice.id, ("pipe.txt", pipe))
    assert emulator.requests[-1].files["document"] == ("pipe.txt", b"from a pipe")


def test_file_names_in_multipart_headers(bot, emulator, tmp_path):
    alice = emulator.user("Alice")
    bot.sendDocument(alice.id, ('кот "Мурзик".txt', b"x"))
    assert emulator.requests[-1].files["document"] == ('кот "Мурзик".txt', b"x")
    try:  # a name that is not valid UTF-8 (possible on Linux) still uploads
        odd = tmp_path / os.fsdecode(b"caf\xe9.txt")
        odd.write_bytes(b"y")
    except (OSError, UnicodeError):  # pragma: no cover - file systems that refuse such names
        return
    bot.sendDocument(alice.id, odd)
    assert emulator.requests[-1].files["document"] == ("caf?.txt", b"y")


def test_local_mode_sends_paths_as_file_uris(emulator, tmp_path):
    path = tmp_path / "local.bin"
    path.write_bytes(b"x")
    bot = Bot(emulator.token, api_url=emulator.api_url, local_mode=True)
    alice = emulator.user("Alice")
    try:
        bot.sendDocument(alice.id, path)
    except TelegramError:
        pass  # the emulator serves no local files; what was sent is what counts
    finally:
        bot.close_connections()
    record = emulator.requests[-1]
    assert record.params["document"] == path.resolve().as_uri()
    assert not record.files


# ------------------------------------------------------------------ msg_identifier


# ------------------------------------------------------------------ errors


def test_dropped_connection_is_a_network_error_with_cause(bot, emulator):
    emulator.inject("getMe", "drop")
    with pytest.raises(NetworkError) as info:
        bot.getMe()
    assert isinstance(info.value.__cause__, urllib3.exceptions.HTTPError)
    assert bot.getMe()["is_bot"]


def test_refused_connection_is_a_network_error():
    bot = Bot("123:abcdefghijklmnopqrst", api_url="http://127.0.0.1:9")
    with pytest.raises(NetworkError) as info:
        bot.getMe()
    assert not isinstance(info.value, RequestTimeout)
    assert info.value.__cause__ is not None


def test_timeouts_per_bot_and_per_call(emulator):
    slow = Bot(emulator.token, api_url=emulator.api_url, request_timeout=0.3)
    try:
        emulator.inject("getMe", "delay", seconds=1.0)
        with pytest.raises(RequestTimeout):
            slow.getMe()
        emulator.inject("getMe", "delay", seconds=0.5)
        assert slow.getMe(request_timeout=3)["is_bot"]  # the call's own timeout wins
    finally:
        slow.close_connections()


def test_get_updates_timeout_is_the_long_poll_not_the_request_timeout(emulator):
    bot = Bot(emulator.token, api_url=emulator.api_url, request_timeout=0.3)
    alice = emulator.user("Alice")
    try:
        timer = threading.Timer(0.8, alice.send, args=("late",))
        timer.start()
        updates = bot.getUpdates(timeout=5)  # waits past 0.3 s without a RequestTimeout
        timer.join()
        assert updates and updates[0]["message"]["text"] == "late"
    finally:
        bot.close_connections()


def test_fifty_threads_send_at_once(bot, emulator):
    # fifty messages at once into one chat are far over Telegram's flood limits (the
    # emulator would answer most with 429); this test is about concurrency, not flood
    emulator.rules.flood = False
    alice = emulator.user("Alice")
    errors, results = [], []
    lock = threading.Lock()

    def send(i):
        try:
            msg = bot.sendMessage(alice.id, "msg %d" % i)
            with lock:
                results.append(msg["message_id"])
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert len(set(results)) == 50
    assert sorted(m["text"] for m in alice.received()) == sorted("msg %d" % i for i in range(50))


def test_a_long_poll_does_not_block_sends_from_other_threads(bot, emulator):
    alice = emulator.user("Alice")
    done = threading.Event()

    def poll():
        bot.getUpdates(timeout=2)
        done.set()

    t = threading.Thread(target=poll)
    t.start()
    emulator.wait_until(lambda: any(r.method == "getUpdates" for r in emulator.requests), timeout=5)
    assert bot.sendMessage(alice.id, "while polling")["text"] == "while polling"
    assert not done.is_set()  # the poll is still waiting: the send used another connection
    t.join(10)


def test_abort_long_poll_ends_the_poll_at_once(bot, emulator):
    failure = []

    def poll():
        try:
            bot.getUpdates(timeout=20)
        except NetworkError as e:
            failure.append(e)

    t = threading.Thread(target=poll)
    t.start()
    emulator.wait_until(lambda: any(r.method == "getUpdates" for r in emulator.requests), timeout=5)
    bot.transport.abort_long_poll()
    t.join(2)
    assert not t.is_alive() and failure


# ------------------------------------------------------------------ secrets


def test_token_never_appears_in_logs_errors_or_reprs(emulator, caplog):
    token = emulator.token
    caplog.set_level(logging.DEBUG)
    for name in ("urllib3", "urllib3.connectionpool", "telegrambot"):
        caplog.set_level(logging.DEBUG, logger=name)  # restored after the test
    bot = Bot(token, api_url=emulator.api_url)
    texts = [repr(bot), str(bot)]
    alice = emulator.user("Alice")
    bot.sendMessage(alice.id, "hi")
    emulator.inject("getMe", "html502")
    emulator.inject("sendMessage", "drop")
    emulator.inject("getChat", "error", error_code=400, description="Bad Request: chat not found")
    for call in (bot.getMe, lambda: bot.sendMessage(alice.id, "x"), lambda: bot.getChat(1)):
        with pytest.raises(TelegramBotException) as info:
            call()
        texts.append(str(info.value))
        texts.append(repr(info.value))
        texts.append("".join(traceback.format_exception(type(info.value), info.value, info.value.__traceback__)))
    down = Bot(token, api_url="http://127.0.0.1:9")
    with pytest.raises(NetworkError) as info:
        down.getMe()
    texts.append("".join(traceback.format_exception(type(info.value), info.value, info.value.__traceback__)))
    texts.extend(r.getMessage() for r in caplog.records)
    assert any("/bot<token>/" in r.getMessage() for r in caplog.records)  # urllib3 did log the URL
    for text in texts:
        assert token not in text
        assert token.split(":")[1] not in text
    bot.close_connections()


def test_redact_removes_known_and_token_shaped_strings():
    api.register_token("42:registered-token")
    assert "registered-token" not in api.redact("url /bot42:registered-token/getMe")
    assert api.redact("/bot123456:AAbbCCddEEffGGhh/sendMessage") == "/bot<token>/sendMessage"
    api.register_token("77:short")
    api.register_token("77:shortLONGER")  # contains the other: replaced whole, whatever the order
    assert api.redact("a 77:shortLONGER b 77:short") == "a <token> b <token>"
    assert api.redact("/bot123456%3AAAbbCCddEEffGGhh/") == "/bot<token>/"  # percent-encoded


def test_redact_while_another_thread_registers_a_token():
    class Text(str):
        """Registers a token in the middle of redact(), as another thread could."""

        def __contains__(self, token):
            api.register_token("5550001:registered-while-redacting")
            return str.__contains__(self, token)

    assert api.redact(Text("nothing secret")) == "nothing secret"


def test_an_error_description_quoting_the_token_is_redacted(bot, emulator):
    token = emulator.token
    emulator.inject("setWebhook", "error", error_code=400, description="Bad Request: bad webhook: https://h/%s/" % token)
    with pytest.raises(TelegramError) as info:
        bot.setWebhook("https://h/%s/" % token)
    for text in (str(info.value), repr(info.value), info.value.description, json.dumps(info.value.json)):
        assert token not in text and "<token>" in text


def test_a_timeout_does_not_show_the_token(emulator):
    slow = Bot(emulator.token, api_url=emulator.api_url, request_timeout=0.2)
    emulator.inject("getMe", "delay", seconds=1.0)
    try:
        with pytest.raises(RequestTimeout) as info:
            slow.getMe()
    finally:
        slow.close_connections()
    text = "".join(traceback.format_exception(type(info.value), info.value, info.value.__traceback__))
    assert emulator.token not in text and emulator.token.split(":")[1] not in text


def test_tls_certificates_are_verified_by_default(self_signed_cert):
    """A server whose certificate is not trusted is refused; trusting it explicitly works."""
    certfile, keyfile = self_signed_cert
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certfile, keyfile)

    class Answer(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            body = b'{"ok":true,"result":{"id":1,"is_bot":true,"first_name":"tls"}}'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, name="test-tls-server", daemon=True)
    thread.start()
    url = "https://127.0.0.1:%d" % server.server_address[1]
    try:
        with pytest.raises(NetworkError):
            Bot("1:abcdefghijklmnop", api_url=url).getMe()
        trusting = Bot("1:abcdefghijklmnop", api_url=url, pool_options={"ca_certs": certfile})
        assert trusting.getMe()["first_name"] == "tls"
        trusting.close_connections()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_global_proxy_routes_requests(emulator):
    """set_proxy() applies to bots without a proxy of their own; the emulator acts as the proxy."""
    bot = Bot(emulator.token, api_url="http://api.example.invalid")
    api.set_proxy(emulator.api_url)
    try:
        me = bot.getMe()
    finally:
        api.set_proxy(None)
        bot.close_connections()
    assert me["is_bot"] is True


def test_test_environment_path(canned):
    canned.answers["getMe"] = (200, {}, b'{"ok":true,"result":{"id":1}}', "plain")
    canned.answers["getFile"] = (200, {}, b'{"ok":true,"result":{"file_path":"docs/f.bin"}}', "plain")
    canned.answers["f.bin"] = (200, {}, b"data", "plain")
    bot = Bot("123:abcdefghijklmnop", api_url=canned.url, test_environment=True)
    bot.getMe()
    bot.download_file("id", io.BytesIO())
    bot.close_connections()
    assert canned.paths == [
        "/bot123:abcdefghijklmnop/test/getMe",
        "/bot123:abcdefghijklmnop/test/getFile",
        "/file/bot123:abcdefghijklmnop/test/docs/f.bin",
    ]


def test_an_api_url_with_a_path_keeps_it(canned):
    canned.answers["getMe"] = (200, {}, b'{"ok":true,"result":{"id":1}}', "plain")
    bot = Bot("123:abcdefghijklmnop", api_url=canned.url + "/behind/a/proxy/")
    bot.getMe()
    api.set_proxy(canned.url)  # through a proxy too (the canned server plays it)
    try:
        bot.getMe()
    finally:
        api.set_proxy(None)
        bot.close_connections()
    assert canned.paths[0] == "/behind/a/proxy/bot123:abcdefghijklmnop/getMe"
    assert canned.paths[1] == canned.url + "/behind/a/proxy/bot123:abcdefghijklmnop/getMe"


# ------------------------------------------------------------------ unusual answers


class _Canned(http.server.BaseHTTPRequestHandler):
    """Answers each request with ``server.answers[<last path segment>]``:
    ``(status, headers, body, how)``, ``how`` being "plain", "chunked" or "short" (a
    Content-Length larger than the body, then the connection closes)."""

    protocol_version = "HTTP/1.1"

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.paths.append(self.path)
        status, headers, body, how = self.server.answers[self.path.rsplit("/", 1)[-1]]
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if how == "chunked":
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(0, len(body), 100):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(body[i : i + 100]), body[i : i + 100]))
            self.wfile.write(b"0\r\n\r\n")
            return
        self.send_header("Content-Length", str(len(body) + (1000 if how == "short" else 0)))
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = how == "short"

    do_GET = do_POST

    def log_message(self, *args):
        pass


@pytest.fixture
def canned():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Canned)
    server.answers, server.paths = {}, []
    server.url = "http://127.0.0.1:%d" % server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, name="test-canned-server", daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_compressed_chunked_and_non_json_answers(canned):
    ok = b'{"ok":true,"result":{"x":1}}'
    canned.answers.update(
        gzipped=(200, {"Content-Encoding": "gzip"}, gzip.compress(ok), "plain"),
        chunked=(200, {}, ok, "chunked"),
        both=(200, {"Content-Encoding": "gzip"}, gzip.compress(ok), "chunked"),
        error500=(500, {}, b'{"ok":false,"error_code":500,"description":"Internal Server Error"}', "plain"),
        text200=(200, {"Content-Type": "text/plain"}, b"maintenance", "plain"),
        null200=(200, {}, b"null", "plain"),
        echo404=(404, {}, b"<p>No /bot12%3Aabcdefghijklmnop/echo404 here</p>", "plain"),
        cut=(200, {}, ok, "short"),
    )
    bot = Bot("12:abcdefghijklmnop", api_url=canned.url)  # a token only known, not token-shaped
    try:
        for method in ("gzipped", "chunked", "both"):
            assert bot.request(method) == {"x": 1}
        with pytest.raises(TelegramError) as error:
            bot.request("error500")
        assert error.value.error_code == 500 and not isinstance(error.value, BadHTTPResponse)
        for method in ("text200", "null200"):
            with pytest.raises(BadHTTPResponse) as bad:
                bot.request(method)
            assert bad.value.status == 200
        assert bad.value.text == "null"
        with pytest.raises(BadHTTPResponse) as bad:  # a page quoting the URL, percent-encoded
            bot.request("echo404")
        assert "abcdefghijklmnop" not in str(bad.value) + repr(bad.value)
        with pytest.raises(NetworkError):  # an answer shorter than its Content-Length
            bot.request("cut")
    finally:
        bot.close_connections()


def test_downloads_of_compressed_chunked_and_broken_answers(canned, tmp_path):
    data = bytes(range(256)) * 400
    canned.answers["getFile"] = (200, {}, b'{"ok":true,"result":{"file_path":"docs/f.bin"}}', "plain")
    bot = Bot("123:abcdefghijklmnop", api_url=canned.url)
    dest = tmp_path / "f.bin"
    try:
        canned.answers["f.bin"] = (200, {"Content-Encoding": "gzip"}, gzip.compress(data), "chunked")
        bot.download_file("id", dest)
        assert dest.read_bytes() == data

        class FullDisk(io.RawIOBase):
            def write(self, b):
                raise OSError(28, "No space left on device")

        with pytest.raises(OSError) as info:  # not a network error: retrying will not help
            bot.download_file("id", FullDisk())
        assert not isinstance(info.value, NetworkError)

        canned.answers["f.bin"] = (200, {}, data, "short")
        with pytest.raises(NetworkError):
            bot.download_file("id", dest)
        assert not dest.exists()  # no truncated file passing for the download
    finally:
        bot.close_connections()


def test_close_connections_closes_them_and_the_bot_stays_usable(bot, emulator):
    def connections():
        return [t for t in threading.enumerate() if t.name == "telegrambot-emulator-conn" and t.is_alive()]

    bot.getMe()
    assert connections()  # kept alive by the pool
    bot.close_connections()
    deadline = time.monotonic() + 5
    while connections() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not connections()  # the emulator saw them close
    assert bot.getMe()["is_bot"]


def test_bot_validates_token_type():
    with pytest.raises(ValueError):
        Bot("")
    with pytest.raises(ValueError):
        Bot(None)  # type: ignore[arg-type]
    for bad in ("123456:read-from-a-file\n", " 123456:padded", "123456:a/b", "123456:a?b", "123456:ключ"):
        with pytest.raises(ValueError, match="token") as info:
            Bot(bad)
        assert "123456" not in str(info.value)


def test_version_is_exposed():
    assert telegrambot.__version__.count(".") == 2


def test_pathlib_accepted_in_nested_local_mode():
    body, headers = api.encode({"media": [{"type": "photo", "media": pathlib.Path("/tmp/x.jpg")}]}, local_mode=True)
    assert b"file:///tmp/x.jpg" in body

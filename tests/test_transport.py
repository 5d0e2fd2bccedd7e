"""Bot over a transport of one's own: the Transport protocol is all a Bot needs.

HTTPClientTransport below is a whole transport over the standard library's http.client
(no urllib3): calls, uploads, downloads, error answers, polling and stopping all work
through it against the emulator, so nothing of the default transport is assumed above it.
"""

import contextlib
import http.client
import io
import re
import socket
import threading
import time
from pathlib import Path

import pytest
import urllib3

from telegrambot import api
from telegrambot.bot import Bot
from telegrambot.core.redact import redact, scrub_exception
from telegrambot.exception import (
    BadHTTPResponse,
    ChatNotFoundError,
    ConnectError,
    ConnectTimeout,
    NetworkError,
    RequestTimeout,
    TooManyRequestsError,
)
from telegrambot.transport import Answer, Transport, Urllib3Transport

ROOT = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def network_errors(request, connecting=False):
    """http.client's and the socket's errors as the library's, without the token."""
    try:
        yield
    except socket.timeout as e:
        scrub_exception(e)
        kind = ConnectTimeout if connecting else RequestTimeout
        raise kind("%s failed: timed out" % request.method) from e
    except (OSError, http.client.HTTPException) as e:
        scrub_exception(e)
        kind = ConnectError if connecting else NetworkError
        raise kind("%s failed: %s" % (request.method, redact(str(e)) or type(e).__name__)) from e


class HTTPClientTransport:
    """A transport over http.client: a connection per request; the long polls' are kept so
    that abort_long_poll() can cut them."""

    def __init__(self, timeout=30.0):
        self.timeout = timeout
        self.polls = set()
        self.lock = threading.Lock()

    @contextlib.contextmanager
    def exchange(self, request, timeout):
        scheme, host = request.origin.split("://", 1)
        kind = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
        conn = kind(host, timeout=timeout)
        try:
            with network_errors(request, connecting=True):
                conn.connect()
            if request.long_poll is not None:
                with self.lock:
                    self.polls.add(conn)
            body = request.body
            with network_errors(request):
                # a multipart body is iterated: its files are read as they are sent
                conn.request(request.http_method, request.path, headers=request.headers,
                             body=body if body is None or isinstance(body, bytes) else iter(body))
                response = conn.getresponse()
            yield response
        finally:
            with self.lock:
                self.polls.discard(conn)
            conn.close()

    def send(self, request, timeout=None):
        if timeout is None:
            timeout = request.long_poll if request.long_poll is not None else self.timeout
        with self.exchange(request, timeout) as response:
            with network_errors(request):
                return Answer(response.status, response.read())

    def download(self, request, sink, timeout=None):
        with self.exchange(request, timeout or self.timeout) as response:
            if response.status != 200:
                with network_errors(request):
                    return Answer(response.status, response.read())
            while True:
                with network_errors(request):
                    chunk = response.read(64 * 1024)
                if not chunk:
                    return Answer(200, b"")
                sink(chunk)  # its errors are not network errors: let them through

    def abort_long_poll(self):
        with self.lock:
            polls = list(self.polls)
        for conn in polls:
            with contextlib.suppress(OSError, AttributeError):
                conn.sock.shutdown(socket.SHUT_RDWR)

    def close(self):
        pass  # nothing is kept open between requests


@pytest.fixture
def own(emulator):
    bot = Bot(emulator.token, api_url=emulator.api_url, transport=HTTPClientTransport())
    yield bot
    bot.stop()


def test_calls_uploads_and_downloads_over_http_client(own, emulator, tmp_path):
    alice = emulator.user("Alice")
    assert own.getMe()["is_bot"] is True
    sent = own.sendMessage(alice.id, "over http.client", reply_markup={"inline_keyboard": []})
    assert alice.received()[-1]["text"] == "over http.client" == sent["text"]
    blob = bytes(range(256)) * 1000
    path = tmp_path / "blob.bin"
    path.write_bytes(blob)
    document = own.sendDocument(alice.id, path, caption="streamed")
    assert emulator.requests[-1].files["document"] == ("blob.bin", blob)
    own.sendMediaGroup(alice.id, [{"type": "document", "media": ("a.txt", io.BytesIO(b"first"))},
                                  {"type": "document", "media": ("b.txt", b"second")}])
    assert sorted(f[1] for f in emulator.requests[-1].files.values()) == [b"first", b"second"]
    into = io.BytesIO()
    own.download_file(document["document"]["file_id"], into)
    assert into.getvalue() == blob
    copy = tmp_path / "copy.bin"
    own.download_file(document["document"]["file_id"], copy)
    assert copy.read_bytes() == blob


def test_answers_are_read_above_the_transport(own, emulator):
    """Error answers become the library's exceptions without the transport knowing them."""
    with pytest.raises(ChatNotFoundError) as info:
        own.sendMessage(-424242, "nobody there")
    assert info.value.method == "sendMessage"
    emulator.inject("getMe", "html502")
    with pytest.raises(BadHTTPResponse) as bad:
        own.getMe()
    assert bad.value.status == 502 and isinstance(bad.value.response, Answer)
    assert own.getMe()["is_bot"] is True  # and the next call works


def test_a_failed_upload_is_put_back_for_the_next_try(own, emulator):
    alice = emulator.user("Alice")
    data = io.BytesIO(b"HEADERpayload")
    data.seek(6)
    emulator.inject("sendDocument", "retry_after", seconds=1)
    with pytest.raises(TooManyRequestsError):
        own.sendDocument(alice.id, ("p.bin", data))
    assert data.tell() == 6  # the bot rewound it: the transport need not care
    own.sendDocument(alice.id, ("p.bin", data))
    assert emulator.requests[-1].files["document"] == ("p.bin", b"payload")


def test_polling_and_stop_over_http_client(own, emulator):
    got = []
    arrived = threading.Event()

    def handle(msg):
        got.append(msg["text"])
        arrived.set()

    own.message_loop(handle, timeout=20)
    alice = emulator.user("Alice")
    alice.send("polled over http.client")
    assert arrived.wait(10)
    assert got == ["polled over http.client"]
    emulator.wait_for_request("getUpdates")  # the next long poll is waiting on the server
    start = time.monotonic()
    own.stop()  # abort_long_poll() cuts it: no 20 s wait
    assert time.monotonic() - start < 2.0


def test_transport_options_and_a_transport_of_ones_own_exclude_each_other(emulator):
    count = len(emulator.requests)
    mine = HTTPClientTransport()
    with pytest.raises(TypeError, match="proxy, request_timeout"):
        Bot(emulator.token, api_url=emulator.api_url, transport=mine,
            request_timeout=3, proxy="http://proxy.example:3128")
    with pytest.raises(TypeError, match="'proxi'"):
        Bot(emulator.token, api_url=emulator.api_url, proxi="http://proxy.example:3128")
    with pytest.raises(TypeError, match=r"download\(\), abort_long_poll\(\), close\(\)"):
        Bot(emulator.token, api_url=emulator.api_url, transport=type("Half", (), {"send": print})())
    assert len(emulator.requests) == count  # nothing was sent


def test_the_protocol_is_structural():
    assert isinstance(HTTPClientTransport(), Transport)
    assert isinstance(Urllib3Transport(), Transport)
    assert not isinstance(type("Half", (), {"send": print})(), Transport)


def test_the_default_transport_takes_the_bots_options(emulator):
    bot = Bot(emulator.token, api_url=emulator.api_url, request_timeout=3, pool_size=2)
    try:
        assert isinstance(bot.transport, Urllib3Transport)
        assert bot.transport.timeout.read_timeout == 3 and bot.transport.timeout.connect_timeout == 3
        assert bot.getMe()["is_bot"] is True
    finally:
        bot.close_connections()
    assert api.Transport is Urllib3Transport  # the name code imported from telegrambot.api
    timeout = urllib3.Timeout(connect=1, read=2)
    assert Urllib3Transport(request_timeout=timeout).timeout is timeout


def test_the_recording_transport_of_the_docs(emulator, monkeypatch):
    text = (ROOT / "docs" / "tutorial" / "proxies.md").read_text(encoding="utf-8")
    section = text.split("## Your own transport", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    monkeypatch.setattr(api, "DEFAULT_API_URL", emulator.api_url)
    namespace = {"TOKEN": emulator.token}
    exec(compile(code, "proxies.md", "exec"), namespace)
    bot = namespace["bot"]
    alice = emulator.user("Alice")
    bot.sendMessage(alice.id, "recorded")
    with pytest.raises(ChatNotFoundError):
        bot.sendMessage(-1, "nobody")
    assert bot.transport.calls == [("sendMessage", 200), ("sendMessage", 400)]
    bot.close_connections()

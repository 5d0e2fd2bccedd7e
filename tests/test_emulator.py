"""The emulator over the wire, with a plain urllib3 client (not telegrambot)."""

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import urllib3

from telegrambot.testing import DEFAULT_TOKEN, Emulator, EmulatorTimeout


@pytest.fixture
def http():
    pool = urllib3.PoolManager(retries=False, timeout=5.0)
    yield pool
    pool.clear()


@pytest.fixture
def api(emulator, http):
    """call(method, **params) over JSON; returns (status, decoded answer)."""

    def call(method, _http_method="POST", **params):
        response = http.request(_http_method, "%s/bot%s/%s" % (emulator.api_url, emulator.token, method),
                                body=json.dumps(params), headers={"Content-Type": "application/json"})
        return response.status, json.loads(response.data)

    return call


def url(emulator, method):
    return "%s/bot%s/%s" % (emulator.api_url, emulator.token, method)


# -- the server and its routes ------------------------------------------------------------------


def test_answers_are_shaped_like_the_real_api(emulator, http):
    response = http.request("GET", url(emulator, "getMe"))
    assert response.status == 200
    assert response.headers["Content-Type"] == "application/json"
    assert int(response.headers["Content-Length"]) == len(response.data)
    answer = json.loads(response.data)
    assert answer == {"ok": True, "result": emulator.bot_user}
    assert answer["result"]["id"] == int(DEFAULT_TOKEN.split(":")[0])
    assert answer["result"]["is_bot"] is True and answer["result"]["username"] == "emulator_bot"


def test_wrong_token_is_unauthorized(emulator, http):
    response = http.request("GET", "%s/bot123:wrong/getMe" % emulator.api_url)
    assert response.status == 401
    assert json.loads(response.data) == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    assert emulator.requests == []


def test_unknown_method_and_path_are_not_found(emulator, http):
    for path in ("/bot%s/noSuchMethod" % emulator.token, "/elsewhere"):
        response = http.request("GET", emulator.api_url + path)
        assert response.status == 404
        assert json.loads(response.data) == {"ok": False, "error_code": 404, "description": "Not Found"}


def test_method_names_are_case_insensitive(emulator, http):
    for name in ("getme", "GETME", "GetMe"):
        assert json.loads(http.request("POST", url(emulator, name)).data)["ok"] is True
    assert [r.method for r in emulator.requests] == ["getMe"] * 3


def test_custom_token_sets_the_bot_id():
    with Emulator(token="42:abc", bot_username="other_bot") as emu:
        assert emu.bot_user["id"] == 42 and emu.bot_user["username"] == "other_bot"
        assert emu.api_url == "http://127.0.0.1:%d" % emu.port


def test_keep_alive_serves_many_requests_on_one_connection(emulator):
    pool = urllib3.HTTPConnectionPool("127.0.0.1", emulator.port, maxsize=1, retries=False)
    for _ in range(5):
        assert pool.request("GET", "/bot%s/getMe" % emulator.token).status == 200
    assert pool.num_connections == 1
    pool.close()


def test_stop_ends_idle_keep_alive_connections_and_long_polls(http):
    emu = Emulator().start()
    assert http.request("GET", url(emu, "getMe")).status == 200  # leaves an idle connection
    outcome = {}

    def poll():
        response = http.request("GET", url(emu, "getUpdates") + "?timeout=30")
        outcome["answer"] = json.loads(response.data)

    poller = threading.Thread(target=poll)
    poller.start()
    emu.wait_for_request("getUpdates")
    started = time.monotonic()
    emu.stop()
    poller.join(5)
    assert time.monotonic() - started < 3
    assert outcome["answer"] == {"ok": True, "result": []}
    assert not [t for t in threading.enumerate() if t.name.startswith("telegrambot-emulator")]


# -- parameter encodings ------------------------------------------------------------------------


def test_query_string_parameters_are_decoded_by_type(emulator, http):
    alice = emulator.user("Alice")
    markup = json.dumps({"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]})
    response = http.request("GET", url(emulator, "sendMessage"), fields={
        "chat_id": str(alice.id), "text": "123", "disable_notification": "true", "reply_markup": markup})
    message = json.loads(response.data)["result"]
    assert message["text"] == "123" and message["reply_markup"]["inline_keyboard"][0][0]["text"] == "A"
    params = emulator.requests[-1].params
    assert params == {"chat_id": alice.id, "text": "123", "disable_notification": True,
                      "reply_markup": json.loads(markup)}
    assert emulator.requests[-1].http_method == "GET"


def test_urlencoded_body(emulator, http):
    alice = emulator.user("Alice")
    response = http.request_encode_body("POST", url(emulator, "sendMessage"), encode_multipart=False,
                                        fields={"chat_id": str(alice.id), "text": "hi there"})
    assert json.loads(response.data)["result"]["text"] == "hi there"
    assert emulator.requests[-1].content_type == "application/x-www-form-urlencoded"


def test_json_body_keeps_types_and_decodes_embedded_json(emulator, api):
    alice = emulator.user("Alice")
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    status, answer = api("sendMessage", chat_id=str(alice.id), text="x", reply_markup=json.dumps(markup))
    assert status == 200 and answer["result"]["reply_markup"] == markup
    assert emulator.requests[-1].params["chat_id"] == alice.id


def test_query_string_and_body_combine(emulator, http):
    alice = emulator.user("Alice")
    response = http.request("POST", url(emulator, "sendMessage") + "?chat_id=%d" % alice.id,
                            body=json.dumps({"text": "both"}), headers={"Content-Type": "application/json"})
    assert json.loads(response.data)["result"]["chat"]["id"] == alice.id


def test_multipart_upload_then_get_file_and_download(emulator, http):
    alice = emulator.user("Alice")
    data = bytes(range(256)) * 10
    response = http.request("POST", url(emulator, "sendDocument"), fields={
        "chat_id": str(alice.id), "caption": "the file",
        "document": ("report.pdf", data, "application/pdf")})
    message = json.loads(response.data)["result"]
    document = message["document"]
    assert document["file_name"] == "report.pdf" and document["file_size"] == len(data)
    assert message["caption"] == "the file"
    request = emulator.requests[-1]
    assert request.files == {"document": ("report.pdf", data)}
    assert request.content_type.startswith("multipart/form-data")
    info = json.loads(http.request("GET", url(emulator, "getFile"), fields={"file_id": document["file_id"]}).data)
    assert info["result"]["file_id"] == document["file_id"]
    download = http.request("GET", "%s/file/bot%s/%s" % (emulator.api_url, emulator.token,
                                                         info["result"]["file_path"]))
    assert download.status == 200 and download.data == data
    wrong = http.request("GET", "%s/file/bot%s/%s" % (emulator.api_url, emulator.token, "nope/x"))
    assert wrong.status == 404


def test_multipart_attach_parts_for_media_groups(emulator, http):
    alice = emulator.user("Alice")
    media = [{"type": "photo", "media": "attach://one", "caption": "first"},
             {"type": "photo", "media": "attach://two"}]
    response = http.request("POST", url(emulator, "sendMediaGroup"), fields={
        "chat_id": str(alice.id), "media": json.dumps(media),
        "one": ("1.jpg", b"one", "image/jpeg"), "two": ("2.jpg", b"two", "image/jpeg")})
    messages = json.loads(response.data)["result"]
    assert [m["message_id"] for m in messages] == [1, 2]
    assert messages[0]["caption"] == "first"
    assert messages[0]["media_group_id"] == messages[1]["media_group_id"]
    stored = [emulator.file(m["photo"][-1]["file_id"]).data for m in messages]
    assert stored == [b"one", b"two"]
    assert emulator.requests[-1].params["media"] == media


def test_chunked_request_body(emulator):
    alice = emulator.user("Alice")
    pool = urllib3.HTTPConnectionPool("127.0.0.1", emulator.port, retries=False)
    body = iter([b'{"chat_id": %d, ' % alice.id, b'"text": "chunks"}'])
    response = pool.urlopen("POST", "/bot%s/sendMessage" % emulator.token, body=body, chunked=True,
                            headers={"Content-Type": "application/json"})
    assert json.loads(response.data)["result"]["text"] == "chunks"
    pool.close()


def test_broken_json_body_is_a_bad_request(emulator, http):
    response = http.request("POST", url(emulator, "getMe"), body=b"{nope",
                            headers={"Content-Type": "application/json"})
    answer = json.loads(response.data)
    assert response.status == 400 and answer["ok"] is False
    assert answer["description"].startswith("Bad Request: can't parse JSON")
    assert http.request("GET", url(emulator, "getMe")).status == 200  # the server lives on


def test_proxy_style_absolute_request_target(emulator):
    with socket.create_connection(("127.0.0.1", emulator.port), timeout=5) as sock:
        sock.sendall(b"GET http://api.telegram.org/bot%s/getMe HTTP/1.1\r\nHost: api.telegram.org\r\n"
                     b"Connection: close\r\n\r\n" % emulator.token.encode())
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    assert data.startswith(b"HTTP/1.1 200 OK") and b'"ok": true' in data


# -- errors in Telegram's words ----------------------------------------------------------------


def test_missing_parameters(emulator, api):
    alice = emulator.user("Alice")
    assert api("sendMessage", chat_id=alice.id) == (
        400, {"ok": False, "error_code": 400, "description": "Bad Request: message text is empty"})
    assert api("sendMessage", text="x")[1]["description"] == "Bad Request: chat_id is empty"
    assert api("sendPhoto", chat_id=alice.id)[1]["description"] == "Bad Request: there is no photo in the request"
    assert api("getChatMember", chat_id=alice.id)[1]["description"] == "Bad Request: user_id is empty"


def test_chat_not_found(emulator, api):
    assert api("sendMessage", chat_id=777, text="x") == (
        400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"})
    assert api("sendMessage", chat_id="@nobody", text="x")[1]["description"] == "Bad Request: chat not found"


def test_channel_by_username(emulator, api):
    channel = emulator.channel("News", username="newsroom")
    status, answer = api("sendMessage", chat_id="@newsroom", text="post")
    assert status == 200 and answer["result"]["chat"]["id"] == channel.id
    assert answer["result"]["sender_chat"] == channel.chat and "from" not in answer["result"]


def test_edit_and_delete_follow_the_stored_messages(emulator, api):
    alice = emulator.user("Alice")
    sent = api("sendMessage", chat_id=alice.id, text="one")[1]["result"]
    keyboard = {"inline_keyboard": [[{"text": "B", "callback_data": "b"}]]}
    status, answer = api("editMessageText", chat_id=alice.id, message_id=sent["message_id"], text="two",
                         reply_markup=keyboard)
    assert status == 200 and answer["result"]["text"] == "two" and "edit_date" in answer["result"]
    assert emulator.transcript(alice)[-1]["text"] == "two"
    status, answer = api("editMessageText", chat_id=alice.id, message_id=sent["message_id"], text="two",
                         reply_markup=keyboard)
    assert answer["description"].startswith("Bad Request: message is not modified: ")
    # leaving out reply_markup removes the inline keyboard, as on Telegram
    assert "reply_markup" not in api("editMessageText", chat_id=alice.id, message_id=sent["message_id"],
                                     text="three")[1]["result"]
    assert api("editMessageText", chat_id=alice.id, message_id=99, text="x")[1]["description"] == (
        "Bad Request: message to edit not found")
    hers = alice.send("mine")
    assert api("editMessageText", chat_id=alice.id, message_id=hers["message_id"], text="x")[1][
        "description"] == "Bad Request: message can't be edited"
    assert api("deleteMessage", chat_id=alice.id, message_id=sent["message_id"]) == (200, {"ok": True, "result": True})
    assert api("deleteMessage", chat_id=alice.id, message_id=sent["message_id"])[1]["description"] == (
        "Bad Request: message to delete not found")
    assert [m["text"] for m in emulator.transcript(alice)] == ["mine"]


def test_blocked_user_and_migrated_group(emulator, api):
    alice = emulator.user("Alice")
    alice.block_bot()
    assert api("sendMessage", chat_id=alice.id, text="x") == (
        403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"})
    group = emulator.group("Old", members=[alice])
    new = group.migrate()
    status, answer = api("sendMessage", chat_id=group.id, text="x")
    assert status == 400
    assert answer["description"] == "Bad Request: group chat was upgraded to a supergroup chat"
    assert answer["parameters"] == {"migrate_to_chat_id": new.id}
    assert api("sendMessage", chat_id=new.id, text="x")[0] == 200


def test_bot_removed_from_group(emulator, api):
    alice = emulator.user("Alice")
    group = emulator.supergroup("G", members=[alice])
    alice.remove_bot(group)
    assert api("sendMessage", chat_id=group.id, text="x") == (
        403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was kicked from the supergroup chat"})


def test_callback_query_is_answered_once(emulator, api):
    alice = emulator.user("Alice")
    keyboard = {"inline_keyboard": [[{"text": "Yes", "callback_data": "y"}]]}
    sent = api("sendMessage", chat_id=alice.id, text="?", reply_markup=keyboard)[1]["result"]
    query = alice.press(sent, "Yes")  # by button text
    assert query["data"] == "y" and query["message"]["message_id"] == sent["message_id"]
    assert api("answerCallbackQuery", callback_query_id=query["id"], text="ok") == (200, {"ok": True, "result": True})
    assert emulator.answers[query["id"]]["text"] == "ok"
    assert api("answerCallbackQuery", callback_query_id=query["id"]) == (400, {
        "ok": False, "error_code": 400,
        "description": "Bad Request: query is too old and response timeout expired or query ID is invalid"})
    with pytest.raises(AssertionError, match="no callback button"):
        alice.press(sent, "Maybe")


def test_inline_query_answer_is_recorded(emulator, api):
    alice = emulator.user("Alice")
    query = alice.inline_query("cats")
    results = [{"type": "article", "id": "1", "title": "Cats",
                "input_message_content": {"message_text": "meow"}}]
    assert api("answerInlineQuery", inline_query_id=query["id"], results=results)[1]["result"] is True
    assert emulator.answers[query["id"]]["results"] == results
    assert api("answerInlineQuery", inline_query_id=query["id"], results=results)[0] == 400


# -- getUpdates ---------------------------------------------------------------------------------


def test_get_updates_offset_and_limit(emulator, api):
    alice = emulator.user("Alice")
    for text in ("a", "b", "c"):
        alice.send(text)
    updates = api("getUpdates", limit=2)[1]["result"]
    assert [u["message"]["text"] for u in updates] == ["a", "b"]
    assert updates[1]["update_id"] == updates[0]["update_id"] + 1
    again = api("getUpdates")[1]["result"]
    assert [u["message"]["text"] for u in again] == ["a", "b", "c"]  # nothing confirmed yet
    rest = api("getUpdates", offset=updates[1]["update_id"] + 1)[1]["result"]
    assert [u["message"]["text"] for u in rest] == ["c"]
    assert api("getUpdates", offset=rest[0]["update_id"] + 1)[1]["result"] == []


def test_get_updates_negative_offset_keeps_the_last(emulator, api):
    alice = emulator.user("Alice")
    for text in ("a", "b", "c"):
        alice.send(text)
    assert [u["message"]["text"] for u in api("getUpdates", offset=-1)[1]["result"]] == ["c"]


def test_renumbered_updates_are_served_whatever_the_old_offset(emulator, api):
    alice = emulator.user("Alice")
    alice.send("before")
    last = api("getUpdates")[1]["result"][-1]["update_id"]
    old_offset = last + 1
    assert api("getUpdates", offset=old_offset)[1]["result"] == []
    new_id = last - 1000  # the new numbering starts below the offset already confirmed
    emulator.renumber_updates(new_id)
    alice.send("after")
    after = api("getUpdates", offset=old_offset)[1]["result"]
    assert [(u["update_id"], u["message"]["text"]) for u in after] == [(new_id, "after")]
    assert api("getUpdates", offset=new_id + 1)[1]["result"] == []


def test_long_poll_wakes_as_soon_as_an_update_arrives(emulator, api):
    alice = emulator.user("Alice")
    outcome = {}

    def poll():
        started = time.monotonic()
        outcome["updates"] = api("getUpdates", timeout=20)[1]["result"]
        outcome["took"] = time.monotonic() - started

    poller = threading.Thread(target=poll)
    poller.start()
    emulator.wait_for_request("getUpdates")
    alice.send("wake up")
    poller.join(10)
    assert [u["message"]["text"] for u in outcome["updates"]] == ["wake up"]
    assert outcome["took"] < 5


def test_long_poll_times_out_empty(emulator, api):
    started = time.monotonic()
    assert api("getUpdates", timeout=0.2)[1]["result"] == []
    assert 0.15 < time.monotonic() - started < 3


def test_allowed_updates_are_remembered_and_default_excludes_reactions(emulator, api):
    alice = emulator.user("Alice")
    message = alice.send("hi")
    alice.react(message, "👍")
    alice.inline_query("x")
    assert [list(u)[1] for u in api("getUpdates")[1]["result"]] == ["message", "inline_query"]
    alice.react(message, "🔥")
    alice.send("again")
    updates = api("getUpdates", allowed_updates=["message_reaction"])[1]["result"]
    assert [list(u)[1] for u in updates] == ["message_reaction"]
    alice.send("ignored")
    alice.react(message)
    updates = api("getUpdates", offset=updates[-1]["update_id"] + 1)[1]["result"]
    assert [list(u)[1] for u in updates] == ["message_reaction"]  # the filter is remembered
    assert updates[0]["message_reaction"]["new_reaction"] == []


def test_second_poller_terminates_the_first(emulator, api):
    outcome = {}

    def poll():
        outcome["first"] = api("getUpdates", timeout=20)

    poller = threading.Thread(target=poll)
    poller.start()
    emulator.wait_for_request("getUpdates")
    api("getUpdates", timeout=0)
    poller.join(10)
    assert outcome["first"][0] == 409
    assert outcome["first"][1]["description"].startswith("Conflict: terminated by other getUpdates request")


# -- webhook ------------------------------------------------------------------------------------


class _Receiver:
    """A loopback webhook endpoint recording what it gets; fails the first ``failures`` posts."""

    def __init__(self, failures=0):
        self.posts = []
        self.failures = failures
        self.cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.cond:
                    failing = receiver.failures > 0
                    receiver.failures -= 1
                    if not failing:
                        receiver.posts.append((dict(self.headers), json.loads(body)))
                    receiver.cond.notify_all()
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05})
        self.thread.start()
        self.url = "http://127.0.0.1:%d/hook" % self.server.server_address[1]

    def wait(self, count, timeout=5.0):
        with self.cond:
            assert self.cond.wait_for(lambda: len(self.posts) >= count, timeout), self.posts
            return list(self.posts)

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def receiver():
    made = []

    def make(failures=0):
        made.append(_Receiver(failures))
        return made[-1]

    yield make
    for r in made:
        r.close()


def test_webhook_pushes_pending_and_new_updates_in_order_with_secret(emulator, api, receiver):
    hook = receiver()
    alice = emulator.user("Alice")
    alice.send("before")
    assert api("setWebhook", url=hook.url, secret_token="s3cr3t_-X") == (200, {"ok": True, "result": True})
    alice.send("after")
    posts = hook.wait(2)
    assert [body["message"]["text"] for _, body in posts] == ["before", "after"]
    assert all(headers["X-Telegram-Bot-Api-Secret-Token"] == "s3cr3t_-X" for headers, _ in posts)
    assert posts[0][0]["Content-Type"] == "application/json"
    emulator.wait_until(lambda: api("getWebhookInfo")[1]["result"]["pending_update_count"] == 0)
    info = api("getWebhookInfo")[1]["result"]
    assert info["url"] == hook.url and info["has_custom_certificate"] is False
    assert api("getUpdates")[0] == 409
    assert api("getUpdates")[1]["description"] == (
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first")


def test_webhook_without_secret_sends_no_secret_header(emulator, api, receiver):
    hook = receiver()
    api("setWebhook", url=hook.url)
    emulator.user("Alice").send("x")
    headers, _ = hook.wait(1)[0]
    assert "X-Telegram-Bot-Api-Secret-Token" not in headers


def test_webhook_retries_after_failures_and_reports_the_error(emulator, api, receiver):
    hook = receiver(failures=2)
    api("setWebhook", url=hook.url)
    emulator.user("Alice").send("persist")
    posts = hook.wait(1)
    assert [body["message"]["text"] for _, body in posts] == ["persist"]
    info = api("getWebhookInfo")[1]["result"]
    assert info["last_error_message"] == "Wrong response from the webhook: 500 Internal Server Error"
    assert isinstance(info["last_error_date"], int)


def test_webhook_to_a_closed_port_keeps_the_update(emulator, api):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    api("setWebhook", url="http://127.0.0.1:%d/" % port)
    emulator.user("Alice").send("waiting")
    emulator.wait_until(lambda: emulator.webhook.get("last_error_message"))
    info = api("getWebhookInfo")[1]["result"]
    assert info["pending_update_count"] == 1 and info["last_error_message"] == "Connection refused"
    assert api("deleteWebhook")[1]["result"] is True
    assert [u["message"]["text"] for u in api("getUpdates")[1]["result"]] == ["waiting"]


def test_delete_webhook_can_drop_pending_updates(emulator, api):
    emulator.user("Alice").send("dropped")
    assert api("deleteWebhook", drop_pending_updates=True)[1]["result"] is True
    assert api("getUpdates")[1]["result"] == []


def test_set_webhook_validates_url_and_secret(emulator, api):
    assert api("setWebhook", url="https://example.com/hook")[0] == 400
    assert api("setWebhook", url="http://127.0.0.1:1/", secret_token="bad token!")[1]["description"] == (
        "Bad Request: secret token contains unallowed characters")


# -- fault injection ----------------------------------------------------------------------------


def test_fault_html502(emulator, http):
    emulator.inject("getMe", "html502")
    response = http.request("GET", url(emulator, "getMe"))
    assert response.status == 502 and response.headers["Content-Type"] == "text/html"
    assert b"502 Bad Gateway" in response.data
    assert http.request("GET", url(emulator, "getMe")).status == 200  # only once
    assert [r.fault for r in emulator.requests] == ["html502", None]


def test_fault_retry_after_for_n_calls(emulator, api):
    emulator.inject("getMe", "retry_after", times=2, seconds=7)
    expected = (429, {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 7",
                      "parameters": {"retry_after": 7}})
    assert api("getMe") == expected and api("getMe") == expected
    assert api("getMe")[0] == 200


def test_fault_error_blocked_and_migrated(emulator, api):
    emulator.inject("sendMessage", "error", error_code=400, description="Bad Request: custom",
                    parameters={"x": 1})
    emulator.inject("sendMessage", "blocked")
    emulator.inject("sendMessage", "migrated", migrate_to_chat_id=-1005)
    alice = emulator.user("Alice")
    assert api("sendMessage", chat_id=alice.id, text="x") == (
        400, {"ok": False, "error_code": 400, "description": "Bad Request: custom", "parameters": {"x": 1}})
    assert api("sendMessage", chat_id=alice.id, text="x")[1]["description"] == "Forbidden: bot was blocked by the user"
    assert api("sendMessage", chat_id=alice.id, text="x")[1]["parameters"] == {"migrate_to_chat_id": -1005}
    assert api("sendMessage", chat_id=alice.id, text="x")[0] == 200
    assert alice.received()[-1]["text"] == "x" and len(alice.received()) == 1


def test_fault_drop_closes_the_connection(emulator, http):
    emulator.inject("*", "drop")
    with pytest.raises(urllib3.exceptions.ProtocolError):
        http.request("GET", url(emulator, "getMe"))
    assert http.request("GET", url(emulator, "getMe")).status == 200


def test_fault_delay(emulator, http):
    emulator.inject("getMe", "delay", seconds=0.3)
    started = time.monotonic()
    assert http.request("GET", url(emulator, "getMe")).status == 200
    assert time.monotonic() - started >= 0.25


def test_inject_rejects_unknown_kinds_and_methods(emulator):
    with pytest.raises(ValueError):
        emulator.inject("getMe", "explode")
    with pytest.raises(ValueError):
        emulator.inject("noSuchMethod", "drop")


# -- records and waits ---------------------------------------------------------------------------


def test_wait_for_request_returns_each_request_once(emulator, api):
    alice = emulator.user("Alice")
    api("sendMessage", chat_id=alice.id, text="1")
    api("sendMessage", chat_id=alice.id, text="2")
    assert emulator.wait_for_request("sendMessage").params["text"] == "1"
    assert emulator.wait_for_request("sendmessage").params["text"] == "2"
    with pytest.raises(EmulatorTimeout, match="no sendMessage request"):
        emulator.wait_for_request("sendMessage", timeout=0.1)
    api("sendMessage", chat_id=alice.id, text="3")
    api("sendMessage", chat_id=alice.id, text="4")
    assert emulator.wait_for_request("sendMessage", predicate=lambda r: r.params["text"] == "4").params["text"] == "4"
    assert emulator.wait_for_request("sendMessage").params["text"] == "3"


def test_wait_for_message_and_timeout_text(emulator, api):
    alice = emulator.user("Alice")
    with pytest.raises(TimeoutError, match="the bot sent no message to private chat with Alice"):
        alice.wait_for_message(timeout=0.1)
    threading.Timer(0.05, lambda: api("sendMessage", chat_id=alice.id, text="late")).start()
    assert alice.wait_for_message(timeout=5)["text"] == "late"
    api("sendMessage", chat_id=alice.id, text="a")
    api("sendMessage", chat_id=alice.id, text="b")
    assert alice.wait_for_message(predicate=lambda m: m["text"] == "b")["text"] == "b"
    assert alice.wait_for_message()["text"] == "a"


def test_wait_until_returns_the_value(emulator):
    alice = emulator.user("Alice")
    threading.Timer(0.05, alice.send, args=("x",)).start()
    assert emulator.wait_until(lambda: len(emulator.updates), timeout=5) == 1
    with pytest.raises(AssertionError, match="never"):
        emulator.wait_until(lambda: False, timeout=0.05, message="never")


def test_transcript_has_both_directions_in_order(emulator, api):
    alice = emulator.user("Alice")
    alice.send("/start")
    api("sendMessage", chat_id=alice.id, text="Welcome")
    alice.send("thanks")
    transcript = emulator.transcript(alice)
    assert [(m["from"]["is_bot"], m.get("text")) for m in transcript] == [
        (False, "/start"), (True, "Welcome"), (False, "thanks")]
    assert [m["message_id"] for m in transcript] == [1, 2, 3]
    assert transcript[0]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert alice.received() == [transcript[1]]


def test_message_ids_increase_per_chat(emulator, api):
    alice, bob = emulator.user("Alice"), emulator.user("Bob")
    ids = [api("sendMessage", chat_id=who.id, text="x")[1]["result"]["message_id"] for who in (alice, bob, alice)]
    assert ids == [1, 1, 2]


def test_reply_to_a_stored_message(emulator, api):
    alice = emulator.user("Alice")
    hers = alice.send("question")
    answer = api("sendMessage", chat_id=alice.id, text="answer",
                 reply_parameters={"message_id": hers["message_id"]})[1]["result"]
    assert answer["reply_to_message"]["text"] == "question"
    assert api("sendMessage", chat_id=alice.id, text="x", reply_parameters={"message_id": 99})[1][
        "description"] == "Bad Request: message to be replied not found"


# -- the pytest plugin and the client -----------------------------------------------------------


def test_bot_fixture_is_a_telegrambot_client(bot, emulator):
    from telegrambot.bot import Bot

    assert isinstance(bot, Bot)
    alice = emulator.user("Alice")
    bot.sendMessage(alice.id, "via the client")
    assert alice.wait_for_message()["text"] == "via the client"
    assert emulator.wait_for_request("sendMessage").content_type == "application/json"


def test_client_upload_and_download_round_trip(bot, emulator, tmp_path):
    import io

    alice = emulator.user("Alice")
    data = b"\x89PNG" + bytes(1000)
    sent = bot.sendPhoto(alice.id, io.BytesIO(data), caption="pic")
    dest = tmp_path / "out.bin"
    bot.download_file(sent["photo"][-1]["file_id"], str(dest))
    assert dest.read_bytes() == data


def test_wait_for_request_returns_after_the_answer(emulator, api):
    alice = emulator.user("Alice")
    emulator.inject("sendMessage", "delay", seconds=0.2)
    threading.Thread(target=api, args=("sendMessage",), kwargs={"chat_id": alice.id, "text": "slow"}).start()
    emulator.wait_until(lambda: emulator.requests)  # recorded on arrival ...
    request = emulator.wait_for_request("sendMessage")  # ... returned once answered
    assert request.status == 200 and request.ready
    assert alice.received()[-1]["text"] == "slow"


def test_pending_updates_are_those_not_yet_confirmed():
    with Emulator() as emu:
        bot = emu.make_bot()
        alice = emu.user("Alice")
        assert emu.pending_updates() == []
        alice.send("one")
        alice.send("two")
        assert [u["message"]["text"] for u in emu.pending_updates()] == ["one", "two"]
        first = bot.getUpdates()
        assert len(first) == 2 and len(emu.pending_updates()) == 2  # fetched, not confirmed
        bot.getUpdates(offset=first[0]["update_id"] + 1, timeout=0)
        assert [u["message"]["text"] for u in emu.pending_updates()] == ["two"]
        bot.getUpdates(offset=first[1]["update_id"] + 1, timeout=0)
        assert emu.pending_updates() == []

"""Webhook delivery end to end: the emulator POSTs updates to the receiver, as Telegram does."""

import collections
import json
import logging
import queue
import random
import threading
import time

import pytest
from test_loop import ids_in
from test_webhook import SECRET, post, wait_until

from telegrambot.loop import OrderedWebhook
from telegrambot.webhook import WebhookServer, run_webhook


class Recorder:
    """A handler recording what it is handed; ``wait(n)`` blocks until it has ``n``."""

    def __init__(self):
        self.got = []
        self.cond = threading.Condition()

    def __call__(self, msg):
        with self.cond:
            self.got.append(msg)
            self.cond.notify_all()

    def wait(self, count, timeout=5.0):
        with self.cond:
            assert self.cond.wait_for(lambda: len(self.got) >= count, timeout), self.got
        return self.got


def webhook_info(emulator):
    return emulator.getWebhookInfo() if hasattr(emulator, "getWebhookInfo") else None


@pytest.fixture
def ordered(bot):
    handler = Recorder()
    # gaps fill within milliseconds; a long maxhold keeps a slow machine from dropping any
    loop = OrderedWebhook(bot, handler).run_as_thread(maxhold=30)
    yield loop, handler
    loop.stop()


def test_run_webhook_sets_the_webhook_and_serves(emulator, bot):
    alice = emulator.user("Alice")
    received = []

    def handle(msg):
        received.append(msg["text"])
        bot.sendMessage(msg["chat"]["id"], "echo: " + msg["text"])

    emulator.push_update(
        "message", {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}}
    )
    run = run_webhook(
        bot,
        handle,
        host="127.0.0.1",
        port=0,
        path="/tg",
        allowed_updates=["message", "callback_query"],
        drop_pending_updates=True,
    )
    try:
        webhook = emulator.webhook
        assert webhook["url"] == run.server.url
        assert run.server.url.endswith("/tg")
        assert len(webhook["secret_token"]) >= 32  # one was made up
        assert run.server.receiver._secret == webhook["secret_token"].encode()
        alice.send("hi")
        assert alice.wait_for_message()["text"] == "echo: hi"
        alice.send("again")
        assert alice.wait_for_message(predicate=lambda m: m["text"] == "echo: again")
        assert received == ["hi", "again"]  # the pending update was dropped
    finally:
        run.stop(delete_webhook=True)
    assert emulator.webhook["url"] == ""
    assert not run.server.running and not run.loop.is_alive()


def test_run_webhook_stopped_from_a_handler_still_handles_what_was_accepted(emulator, bot):
    alice = emulator.user("Alice")
    received, runs = [], []
    release, holding = threading.Event(), threading.Event()
    stop_took = []

    def handle(msg):
        received.append(msg["text"])
        if msg["text"] == "first":
            holding.set()
            release.wait(10)
            started = time.monotonic()
            runs[0].stop()
            stop_took.append(time.monotonic() - started)

    runs.append(run_webhook(bot, handle, host="127.0.0.1", port=0, path="/tg"))
    run = runs[0]
    alice.send("first")
    # an event, not emulator.wait_until: the handler runs after the emulator's last change
    # (the webhook's 200), so a predicate on it could be checked too early and never again
    assert holding.wait(10)
    assert received == ["first"]
    for text in ("second", "third", "fourth"):
        alice.send(text)
    wait_until(lambda: run.updates.qsize() == 3)  # accepted: answered 200
    release.set()
    assert run.loop.join(10)
    assert received == ["first", "second", "third", "fourth"]
    assert stop_took and stop_took[0] < 1.0  # the handler was not held up
    assert not run.server.running


def test_run_webhook_failing_setwebhook_leaves_nothing_running(emulator, bot):
    with pytest.raises(Exception, match="secret token"):
        run_webhook(bot, print, host="127.0.0.1", port=0, secret_token="not allowed!")
    # the autouse thread-leak check proves the server and the loop were stopped


def test_all_update_types_arrive_in_order_with_ordered_webhook(emulator, bot, ordered):
    loop, handler = ordered
    types = list(emulator.facts.update_types)
    with WebhookServer(loop, "127.0.0.1", 0, "/hook", secret_token=SECRET) as server:
        bot.setWebhook(server.url, secret_token=SECRET, allowed_updates=types)
        for seq, update_type in enumerate(types):
            emulator.push_update(update_type, {"seq": seq, "id": str(seq)})
        got = handler.wait(len(types))
    assert [msg["seq"] for msg in got] == list(range(len(types)))


def test_concurrent_out_of_order_posts_are_handed_over_in_order(bot, ordered):
    loop, handler = ordered
    ids = list(range(100, 160))
    random.Random(6).shuffle(ids)
    with WebhookServer(loop, "127.0.0.1", 0, "/hook", secret_token=SECRET) as server:
        assert post(server.port, {"update_id": 100, "message": {"seq": 100}})[0] == 200  # the first
        threads = [
            threading.Thread(
                target=post, args=(server.port, {"update_id": uid, "message": {"seq": uid}})
            )
            for uid in ids
            if uid != 100
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        got = handler.wait(len(ids))
    assert [msg["seq"] for msg in got] == sorted(ids)


def wait_for_log(emulator, caplog, text):
    wait_until(lambda: any(text in m for m in caplog.messages), timeout=5)


def test_wrong_then_missing_secret_are_refused_until_it_is_right(emulator, bot, caplog):
    caplog.set_level(logging.INFO, logger="telegrambot.webhook")
    handed = Recorder()
    alice = emulator.user("Alice")
    with WebhookServer(handed, "127.0.0.1", 0, "/hook", secret_token=SECRET) as server:
        bot.setWebhook(server.url, secret_token="wrong-secret")
        alice.send("one")
        wait_for_log(emulator, caplog, "wrong secret token")
        # the receiver logs before it answers: wait for the emulator to have read the answer
        emulator.wait_until(lambda: "403" in emulator.webhook.get("last_error_message", ""))
        assert "403" in bot.getWebhookInfo()["last_error_message"]
        bot.setWebhook(server.url)  # no secret at all
        wait_for_log(emulator, caplog, "missing secret token")
        assert handed.got == []
        bot.setWebhook(server.url, secret_token=SECRET)
        got = handed.wait(1)
        emulator.wait_until(lambda: bot.getWebhookInfo()["pending_update_count"] == 0)
    assert [u["message"]["text"] for u in got] == ["one"]


def test_wrong_path_and_oversized_updates_are_refused(emulator, bot, caplog):
    caplog.set_level(logging.INFO, logger="telegrambot.webhook")
    handed = Recorder()
    alice = emulator.user("Alice")
    with WebhookServer(
        handed, "127.0.0.1", 0, "/hook", secret_token=SECRET, max_body=2048
    ) as server:
        bot.setWebhook(server.url + "x", secret_token=SECRET)
        alice.send("to the wrong path")
        wait_for_log(emulator, caplog, "404 for a request")
        bot.setWebhook(server.url, secret_token=SECRET, drop_pending_updates=True)
        alice.send("x" * 3000)
        wait_for_log(emulator, caplog, "413 for a request")
        # the receiver logs before it answers: wait for the emulator to have read the answer
        emulator.wait_until(lambda: "413" in emulator.webhook.get("last_error_message", ""))
        assert "413" in bot.getWebhookInfo()["last_error_message"]
        bot.setWebhook(server.url, secret_token=SECRET, drop_pending_updates=True)
        alice.send("small")
        got = handed.wait(1)
    assert [u["message"]["text"] for u in got] == ["small"]


def test_redelivered_update_is_handled_once(emulator, bot):
    handler = Recorder()
    failures = []

    def flaky_sink(update):
        """Fails the first hand-over: the emulator gets 500 and delivers the update again."""
        if not failures:
            failures.append(update["update_id"])
            raise OSError("disk full")
        handler(update)

    alice = emulator.user("Alice")
    with WebhookServer(flaky_sink, "127.0.0.1", 0, "/hook", secret_token=SECRET) as server:
        bot.setWebhook(server.url, secret_token=SECRET)
        alice.send("one")
        (update,) = handler.wait(1)
        # Telegram may deliver an update again (its 200 got lost): answered 200, not handed twice.
        assert post(server.port, update)[0] == 200
        alice.send("two")
        got = handler.wait(2)
    assert failures == [update["update_id"]]
    assert [u["message"]["text"] for u in got] == ["one", "two"]


def test_stop_with_a_delivery_in_flight_loses_nothing(emulator, bot):
    entered, release = threading.Event(), threading.Event()
    first_sink = queue.Queue()

    def slow_sink(update):
        entered.set()
        assert release.wait(5)
        first_sink.put(update)

    alice = emulator.user("Alice")
    server = WebhookServer(slow_sink, "127.0.0.1", 0, "/hook", secret_token=SECRET).start()
    bot.setWebhook(server.url, secret_token=SECRET)
    alice.send("one")
    alice.send("two")
    assert entered.wait(5)
    stopped = []
    stopper = threading.Thread(target=lambda: stopped.append(server.stop(timeout=5)))
    stopper.start()
    wait_until(lambda: not server.receiver.accepting)
    release.set()
    stopper.join(5)
    assert stopped == [True]
    assert first_sink.get_nowait()["message"]["text"] == "one"  # answered 200 only once queued
    assert first_sink.empty()
    # "two" was refused (503) or could not connect: Telegram keeps it for the next receiver.
    emulator.wait_until(lambda: bot.getWebhookInfo()["pending_update_count"] == 1)
    second_sink = queue.Queue()
    with WebhookServer(second_sink, "127.0.0.1", 0, "/hook", secret_token=SECRET) as again:
        bot.setWebhook(again.url, secret_token=SECRET)
        assert second_sink.get(timeout=5)["message"]["text"] == "two"
    assert second_sink.empty()


def test_tls_with_a_self_signed_certificate_uploaded_to_setwebhook(emulator, bot, self_signed_cert):
    certfile, keyfile = self_signed_cert
    handler = Recorder()
    alice = emulator.user("Alice")
    run = run_webhook(
        bot, handler, host="127.0.0.1", port=0, certfile=certfile, keyfile=keyfile, certificate=True
    )
    try:
        assert run.server.url.startswith("https://127.0.0.1:")
        assert emulator.webhook["url"] == run.server.url
        assert bot.getWebhookInfo()["has_custom_certificate"] is True
        upload = emulator.wait_for_request("setWebhook")
        assert upload.files["certificate"][1] == open(certfile, "rb").read()
        alice.send("over tls")
        assert [m["text"] for m in handler.wait(1)] == ["over tls"]
    finally:
        run.stop(delete_webhook=True)


def test_update_json_survives_the_round_trip(emulator, bot):
    got = queue.Queue()
    alice = emulator.user("Ålice 🙂")
    with WebhookServer(got, "127.0.0.1", 0, "/") as server:
        bot.setWebhook(server.url)
        sent = alice.send('ünïcødé ✓ \u2028 "quoted"')
        update = got.get(timeout=5)
    assert update["message"] == json.loads(json.dumps(sent))


# -- issue 11, item 2: stopping loses nothing that was answered 200 ---------------------


def deliver(run, secret, update_ids, statuses, clients=10):
    """POST the updates from ``clients`` threads (kept-alive connections, as Telegram);
    record each update_id's answer (None: the connection failed) in ``statuses``."""
    import http.client

    from telegrambot.webhook import SECRET_HEADER

    def client(ids):
        conn = http.client.HTTPConnection("127.0.0.1", run.server.port, timeout=10)
        for update_id in ids:
            body = json.dumps({"update_id": update_id, "message": {
                "message_id": update_id, "date": 0, "chat": {"id": 1, "type": "private"}}})
            try:
                conn.request("POST", "/", body=body, headers={SECRET_HEADER: secret})
                response = conn.getresponse()
                response.read()
                statuses[update_id] = response.status
                if response.status != 200:
                    conn.close()
            except OSError:
                statuses[update_id] = None
                conn.close()
        conn.close()

    threads = [threading.Thread(target=client, args=(update_ids[k::clients],))
               for k in range(clients)]
    for thread in threads:
        thread.start()
    return threads


@pytest.mark.parametrize("timeout", [30, 0.5])
def test_run_webhook_stop_hands_over_what_was_answered_200(emulator, bot, caplog, timeout):
    handled = collections.Counter()
    first = threading.Event()

    def handle(msg):
        first.set()
        time.sleep(0.02)  # a handler that sends a message, say
        handled[msg["message_id"]] += 1

    run = run_webhook(bot, handle, host="127.0.0.1", port=0, path="/")
    statuses = {}
    threads = deliver(run, emulator.webhook["secret_token"], list(range(1, 201)), statuses)
    assert first.wait(5)
    # a backlog: answered 200, not handled yet (the handler takes 20 ms each)
    wait_until(lambda: sum(s == 200 for s in list(statuses.values())) >= 60, 10)
    with caplog.at_level(logging.ERROR, logger="telegrambot.loop"):
        run.stop(timeout=timeout)  # while the clients are still sending
        assert run.loop.join(5)
    for thread in threads:
        thread.join(10)
    accepted = {i for i, status in statuses.items() if status == 200}
    refused = {i for i, status in statuses.items() if status != 200}
    assert set(statuses) == set(range(1, 201))
    assert refused and {statuses[i] for i in refused} <= {503, None}  # sent again later
    assert set(handled.values()) == {1}  # nothing twice
    lost = accepted - set(handled)
    assert not set(handled) - accepted
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    if timeout == 30:
        assert not lost and not errors  # everything answered 200 was handed over
    else:
        assert lost  # 0.5 s is not enough for them all: each one lost is reported
        reported = []
        for error in errors:
            reported += ids_in(error.split("update_ids ")[1])
        assert sorted(reported) == sorted(lost)


def test_run_webhook_answers_503_when_its_queue_is_full(emulator, bot):
    release = threading.Event()
    handled = []

    def handle(msg):
        release.wait(10)
        handled.append(msg["message_id"])

    run = run_webhook(bot, handle, host="127.0.0.1", port=0, path="/", queue_size=3,
                      put_timeout=0.05)
    try:
        secret = emulator.webhook["secret_token"]
        update = lambda i: {"update_id": i, "message": {"message_id": i}}  # noqa: E731
        assert post(run.server.port, update(1), path="/", secret=secret)[0] == 200
        wait_until(lambda: run.updates.empty())  # the handler holds the first
        statuses = [post(run.server.port, update(i), path="/", secret=secret)[0]
                    for i in range(2, 7)]
        assert statuses == [200, 200, 200, 503, 503]  # the queue holds 3, no more
        release.set()
    finally:
        run.stop(timeout=10)
    assert sorted(handled) == [1, 2, 3, 4]


def test_a_redelivery_after_a_restart_is_not_handled_twice(emulator, bot):
    """The update_ids accepted lately are kept on the bot: a receiver started again in the
    same process still knows them."""
    handled = []
    port = free_port()
    run = run_webhook(bot, handled.append, host="127.0.0.1", port=port, path="/")
    secret = emulator.webhook["secret_token"]
    assert post(port, {"update_id": 5, "message": {"message_id": 5}}, path="/", secret=secret)[0] == 200
    run.stop()
    run = run_webhook(bot, handled.append, host="127.0.0.1", port=port, path="/")
    try:
        secret = emulator.webhook["secret_token"]
        for update_id in (5, 6):  # 5: its 200 was lost on the way, Telegram sends it again
            body = {"update_id": update_id, "message": {"message_id": update_id}}
            assert post(port, body, path="/", secret=secret)[0] == 200
    finally:
        run.stop()
    assert [m["message_id"] for m in handled] == [5, 6]


def free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_small_soak_loses_nothing_and_hands_nothing_over_twice(emulator, bot):
    """benchmarks/bench_soak.py's delivery phase, small: concurrent out-of-order deliveries
    until 200, redeliveries, malformed requests, a stop and a restart in the middle."""
    import http.client

    from telegrambot.webhook import SECRET_HEADER

    total, clients = 1000, 10
    handled = collections.Counter()
    last, out_of_order = {}, []
    lock = threading.Lock()

    def handle(msg):
        with lock:
            handled[msg["message_id"]] += 1
            chat = msg["chat"]["id"]
            if last.get(chat, 0) >= msg["message_id"]:
                out_of_order.append(msg["message_id"])
            last[chat] = msg["message_id"]

    port = free_port()
    secret = "soak-secret"
    runs = [run_webhook(bot, handle, host="127.0.0.1", port=port, path="/", secret_token=secret)]
    rng = random.Random(5)
    chat_of = {i: rng.randrange(40) for i in range(1, total + 1)}

    deadline = time.monotonic() + 60  # bounded: a client gives up after that

    def client(k):
        crng = random.Random(k)
        mine = [i for i in range(1, total + 1) if chat_of[i] % clients == k]  # in order per chat
        conn = None
        for update_id in mine:
            if time.monotonic() > deadline:
                break
            body = json.dumps({"update_id": update_id, "message": {
                "message_id": update_id, "date": 0, "chat": {"id": chat_of[update_id]}}})
            sends = 2 if crng.random() < 0.05 else 1  # the first 200 "lost": sent again
            while sends and time.monotonic() < deadline:
                if crng.random() < 0.05:  # a malformed request on a connection of its own
                    try:
                        post(port, b"{broken", path="/", secret=secret)
                    except OSError:
                        pass
                try:
                    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                    conn.request("POST", "/", body=body, headers={SECRET_HEADER: secret})
                    response = conn.getresponse()
                    response.read()
                    status = response.status
                except (OSError, http.client.HTTPException):
                    status = None
                if status == 200:
                    sends -= 1
                else:  # as Telegram: again, a little later
                    conn.close()
                    conn = None
                    time.sleep(0.02)
        if conn is not None:
            conn.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for thread in threads:
        thread.start()
    wait_until(lambda: len(handled) >= total // 2, 30)
    runs[0].stop(timeout=10)
    runs.append(run_webhook(bot, handle, host="127.0.0.1", port=port, path="/",
                            secret_token=secret))
    for thread in threads:
        thread.join(60)
    wait_until(lambda: len(handled) == total, 30)
    runs[1].stop(timeout=10)
    assert set(handled) == set(range(1, total + 1))  # nothing lost
    assert set(handled.values()) == {1}  # nothing twice
    assert out_of_order == []  # each chat's updates in their order

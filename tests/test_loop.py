"""Receiving: polling against the emulator, queue sources, ordering, faults, stopping."""

import _thread
import logging
import os
import queue
import re
import signal
import sys
import threading
import time

import pytest
from test_flavor import sample

from telegrambot import Bot
from telegrambot import loop as loop_module
from telegrambot._flavor import flavor, is_event
from telegrambot.exception import BadHTTPResponse, TelegramError
from telegrambot.loop import MessageLoop, OrderedWebhook, Webhook

ALL_TYPES = None  # filled lazily from the emulator's facts


class Recorder:
    """A handler that records what it gets; wait(n) blocks until n items arrived."""

    def __init__(self, fail_on=None):
        self.items = []
        self.times = []
        self.fail_on = fail_on
        self._cond = threading.Condition()

    def __call__(self, msg):
        with self._cond:
            self.items.append(msg)
            self.times.append(time.monotonic())
            self._cond.notify_all()
        if self.fail_on is not None and self.fail_on(msg):
            raise RuntimeError("handler failure on purpose")

    def wait(self, n, timeout=5.0):
        with self._cond:
            ok = self._cond.wait_for(lambda: len(self.items) >= n, timeout)
        assert ok, f"got {len(self.items)} of {n} within {timeout} s: {self.items!r}"
        return self.items


def library_threads():
    return sorted(
        t.name
        for t in threading.enumerate()
        if t.name.startswith(("telegrambot-poll", "telegrambot-queue", "telegrambot-scheduler"))
    )


def text_message(chat_id, text, message_id=1):
    return {
        "message_id": message_id,
        "date": 0,
        "chat": {"id": chat_id, "type": "private"},
        "text": text,
    }


def update(update_id, text="x"):
    return {"update_id": update_id, "message": text_message(1, text, update_id)}


# ------------------------------------------------------------------ polling


def test_default_callback_is_bot_handle(emulator):
    rec = Recorder()

    class MyBot(Bot):
        def handle(self, msg):
            rec(msg)

    bot = MyBot(emulator.token, api_url=emulator.api_url)
    try:
        emulator.user("Bob").send("hi")
        bot.message_loop()
        assert rec.wait(1)[0]["text"] == "hi"
    finally:
        bot.stop()


def test_events_and_updates_are_never_handled_at_once(emulator, bot):
    busy = threading.Lock()
    overlaps = []
    rec = Recorder()

    def handler(msg):
        if not busy.acquire(blocking=False):
            overlaps.append(msg)
            return
        try:
            time.sleep(0.001)
            rec(msg)
        finally:
            busy.release()

    bot.message_loop(handler)
    for i in range(30):
        bot.scheduler.event_now({"_tick": i})
        emulator.push_update("message", text_message(1, str(i), i + 1))
    rec.wait(60)
    assert overlaps == []


# ------------------------------------------------------------------ staying up


def push_messages(emulator, n, start=0):
    return [
        emulator.push_update("message", text_message(1, str(start + i), start + i + 1))["update_id"]
        for i in range(n)
    ]


# ------------------------------------------------------------------ stopping


def test_stop_from_inside_a_handler(emulator, bot):
    rec = Recorder()
    stop_took = []

    def handler(msg):
        rec(msg)
        if is_event(msg):
            return
        bot.scheduler.event_now({"_tick": {}})
        deadline = time.monotonic() + 5
        while bot.scheduler.pending() and time.monotonic() < deadline:
            time.sleep(0.001)  # until the scheduler took it: it now waits for this handler
        start = time.monotonic()
        bot.stop()
        stop_took.append(time.monotonic() - start)

    push_messages(emulator, 3)
    loop = bot.message_loop(handler)
    rec.wait(1)
    assert loop.join(2)
    assert stop_took[0] < 1.0
    assert sum(not is_event(m) for m in rec.items) == 1


def test_handler_that_stops_and_restarts_polling_gets_no_update_twice(emulator, bot):
    first, second = Recorder(), Recorder()

    def handler(msg):
        first(msg)
        bot.stop()
        bot.message_loop(second, timeout=1)
        # a new poller that did not wait for this one would get this very update again
        with second._cond:
            second._cond.wait_for(lambda: second.items, 0.3)

    push_messages(emulator, 3)
    bot.message_loop(handler, timeout=1)
    assert [m["message_id"] for m in second.wait(2)] == [2, 3]
    push_messages(emulator, 1, start=3)
    assert [m["message_id"] for m in second.wait(3)] == [2, 3, 4]
    assert [m["message_id"] for m in first.items] == [1]


def test_polling_follows_the_servers_new_numbering(emulator, bot, caplog):
    """After a week without updates Telegram numbers them afresh from a random id and
    answers getUpdates from there, whatever the offset (go-telegram-bot-api issue 156)."""
    push_messages(emulator, 2)
    rec = Recorder()
    with caplog.at_level(logging.WARNING, logger="telegrambot.loop"):
        bot.message_loop(rec, timeout=1)
        rec.wait(2)
        offset = emulator.updates[-1]["update_id"] + 1  # both confirmed, as in a week
        emulator.wait_for_request(
            "getUpdates", predicate=lambda r: r.params.get("offset") == offset
        )
        emulator.renumber_updates(7)  # a week later: the new numbering, below the offset
        push_messages(emulator, 2, start=2)
        rec.wait(4)
    assert "update_id went back" in caplog.text
    push_messages(emulator, 1, start=4)  # any repeat would come before this one
    assert [m["message_id"] for m in rec.wait(5)] == [1, 2, 3, 4, 5]


def test_stop_from_an_event_handler_while_an_update_waits_for_it(qbot):
    q = queue.Queue()
    rec = Recorder()
    stop_took = []

    def handler(msg):
        rec(msg)
        if is_event(msg):
            q.put(update(1))
            deadline = time.monotonic() + 5
            while not q.empty() and time.monotonic() < deadline:  # the loop took it and now
                time.sleep(0.005)  # waits for this handler to return
            start = time.monotonic()
            qbot.stop()
            stop_took.append(time.monotonic() - start)

    loop = qbot.message_loop(handler, source=q, ordered=False)
    qbot.scheduler.event_now({"_stop": {}})
    assert loop.join(5)
    assert stop_took[0] < 1.0  # it did not wait for the loop, which waited for it
    assert [m.get("message_id") for m in rec.items] == [None, 1]  # nothing lost


def test_message_loop_class_form(emulator, bot):
    rec = Recorder()
    loop = MessageLoop(bot, {"chat": rec}).run_as_thread(timeout=5)
    emulator.user("Carol").send("hi")
    assert rec.wait(1)[0]["text"] == "hi"
    assert "telegrambot-poll" in library_threads()
    loop.stop()
    assert not loop.is_alive()
    assert library_threads() == []


def test_run_forever_exits_cleanly_on_ctrl_c(emulator, bot, capsys):
    push_messages(emulator, 2)
    rec = Recorder()

    def main_thread_waits():
        """The main thread is in the loop's wait() (Ctrl-C earlier would hit pytest)."""
        frame = sys._current_frames().get(threading.main_thread().ident)
        while frame is not None:
            if frame.f_code.co_name == "wait" and frame.f_code.co_filename == loop_module.__file__:
                return True
            frame = frame.f_back
        return False

    def interrupt_when_done():
        try:
            rec.wait(2)
            deadline = time.monotonic() + 5
            while not main_thread_waits() and time.monotonic() < deadline:
                time.sleep(0.001)
        finally:
            _thread.interrupt_main()  # Ctrl-C

    # as in a terminal, also where SIGINT is ignored (a background job): else this hangs
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        threading.Thread(target=interrupt_when_done, daemon=True).start()
        loop = bot.message_loop(rec, run_forever="Listening ...")
    finally:
        signal.signal(signal.SIGINT, previous)
    assert len(rec.items) == 2
    assert not loop.is_alive()
    assert capsys.readouterr().out == "Listening ...\n"
    assert library_threads() == []


# ------------------------------------------------------------------ queue sources


@pytest.fixture
def qbot():
    """A bot for queue-fed loops: no request is made, so no server is needed."""
    b = Bot("123:queue-only", api_url="http://127.0.0.1:9")
    yield b
    b.stop()


def test_unknown_update_type_gets_a_flavor(qbot):
    rec = Recorder()
    table_rec = Recorder()
    hook = Webhook(qbot, rec).run_as_thread()
    hook.feed({"update_id": 1, "future_update": {"id": "f", "value": 1}})
    msg = rec.wait(1)[0]
    assert flavor(msg) == "future_update"
    hook.stop()
    routed = OrderedWebhook(qbot, {"future_update": table_rec}).run_as_thread()
    routed.feed(b'{"update_id": 2, "future_update": {"id": "g"}}')
    assert table_rec.wait(1)[0]["id"] == "g"
    routed.stop()


def test_my_chat_member_and_chat_member_are_told_apart(qbot):
    mine, theirs = Recorder(), Recorder()
    hook = Webhook(qbot, {"my_chat_member": mine, "chat_member": theirs}).run_as_thread()
    hook.feed({"update_id": 1, "my_chat_member": sample("my_chat_member")})
    hook.feed({"update_id": 2, "chat_member": sample("chat_member")})
    assert flavor(mine.wait(1)[0]) == "my_chat_member"
    assert flavor(theirs.wait(1)[0]) == "chat_member"
    hook.stop()


def test_feed_rejects_what_is_not_an_update(qbot):
    hook = Webhook(qbot, Recorder())
    for bad in (b"{", "[]", 5, {"message": {}}):
        with pytest.raises(ValueError):
            hook.feed(bad)
    assert hook.source.empty()


def test_ordered_webhook_hands_over_held_updates_on_stop(qbot):
    rec = Recorder()
    hook = OrderedWebhook(qbot, rec).run_as_thread(maxhold=30)
    hook.feed(update(1))
    rec.wait(1)
    hook.feed(update(3))
    hook.feed(update(5))
    hook.feed(update(2))  # fills the first gap: 2 and 3 follow at once, 5 waits for 4
    rec.wait(3)
    assert [m["message_id"] for m in rec.items] == [1, 2, 3]
    start = time.monotonic()
    hook.stop()
    assert time.monotonic() - start < 2.0
    assert [m["message_id"] for m in rec.items] == [1, 2, 3, 5]
    assert library_threads() == []


def test_a_restarted_queue_loop_is_not_ended_by_its_last_stop(qbot):
    rec = Recorder()
    release = threading.Event()

    def handler(msg):
        rec(msg)
        assert release.wait(5)

    hook = Webhook(qbot, handler).run_as_thread()
    hook.feed(update(1))
    rec.wait(1)
    stopper = threading.Thread(target=hook.stop)
    stopper.start()
    deadline = time.monotonic() + 5
    while hook.source.empty() and time.monotonic() < deadline:
        time.sleep(0.005)  # until stop() has left its wake-up item in the queue
    release.set()
    stopper.join(5)
    assert not hook.is_alive()
    hook.run_as_thread()
    hook.feed(update(2))
    assert [m["message_id"] for m in rec.wait(2)] == [1, 2]
    hook.stop()


def test_ordered_webhook_takes_a_new_numbering_after_a_quiet_spell(qbot, monkeypatch):
    monkeypatch.setattr(loop_module, "RENUMBER_IDLE", 0.2)
    rec = Recorder()
    hook = OrderedWebhook(qbot, rec).run_as_thread(maxhold=5)
    hook.feed(update(100))
    hook.feed(update(101))
    rec.wait(2)
    time.sleep(0.25)  # quiet: Telegram numbers updates afresh after (a week of) this
    hook.feed(update(7))
    hook.feed(update(8))
    assert [m["message_id"] for m in rec.wait(4)] == [100, 101, 7, 8]
    hook.stop()


def test_bot_stop_ends_queue_loop_and_scheduler(qbot):
    q = queue.Queue()
    loop = qbot.message_loop(Recorder(), source=q)
    qbot.scheduler.event_later(60, {"_never": {}})
    assert "telegrambot-queue" in library_threads() and "telegrambot-scheduler" in library_threads()
    start = time.monotonic()
    qbot.stop()
    assert time.monotonic() - start < 2.0
    assert not loop.is_alive()
    assert library_threads() == []


def test_two_loops_share_the_scheduler(qbot):
    first, second = Recorder(), Recorder()
    a = Webhook(qbot, first).run_as_thread()
    b = Webhook(qbot, second).run_as_thread()
    qbot.scheduler.event_now({"_one": {}})
    assert second.wait(1) == [{"_one": {}}]
    b.stop()
    assert qbot.scheduler.is_alive()
    qbot.scheduler.event_now({"_two": {}})
    assert first.wait(1) == [{"_two": {}}]
    a.stop()
    assert not qbot.scheduler.is_alive()


def test_routing_table_without_default_skips_and_says_so_once(qbot, caplog):
    chats = Recorder()
    hook = Webhook(qbot, {"chat": chats}).run_as_thread()
    with caplog.at_level(logging.WARNING, logger="telegrambot.loop"):
        for i in (1, 2):
            hook.feed(
                {
                    "update_id": i,
                    "callback_query": {"id": str(i), "chat_instance": "c", "from": {"id": 1}},
                }
            )
        hook.feed(update(3))
        chats.wait(1)
    hook.stop()
    assert caplog.text.count("no handler for flavor 'callback_query'") == 1


def test_bad_source_is_refused(qbot):
    with pytest.raises(TypeError):
        qbot.message_loop(Recorder(), source=[1, 2])


# ------------------------------------------------------------------ issue 11: nothing lost


class SlowRecorder(Recorder):
    """A handler taking ``seconds`` per update (20 ms: a handler that sends a message)."""

    def __init__(self, seconds=0.02):
        super().__init__()
        self.seconds = seconds

    def __call__(self, msg):
        time.sleep(self.seconds)  # the handler's own work, not a wait for the test
        super().__call__(msg)


@pytest.mark.parametrize("ordered", [True, False])
def test_stop_hands_over_what_is_queued_before_ending(qbot, ordered):
    """Issue 11, item 2: the updates in the queue were accepted; bot.stop() drains them."""
    q = queue.Queue()
    rec = SlowRecorder()
    qbot.message_loop(rec, source=q, ordered=ordered)
    for i in range(1, 41):
        q.put(update(i))
    rec.wait(1)
    qbot.stop(timeout=30)
    assert [m["message_id"] for m in rec.items] == list(range(1, 41))
    assert q.empty()
    assert library_threads() == []


@pytest.mark.parametrize("ordered", [True, False])
@pytest.mark.parametrize("handler_seconds", [0.03, 0.5], ids=["quick handler", "stuck handler"])
def test_stop_out_of_time_reports_every_update_it_leaves(qbot, caplog, ordered, handler_seconds):
    """What stop() cannot hand over within its timeout is logged at ERROR with its
    update_ids, once, also when the timeout runs out in the middle of a handler."""
    q = queue.Queue()
    rec = SlowRecorder(handler_seconds)
    loop = qbot.message_loop(rec, source=q, ordered=ordered, maxhold=60)
    q.put(update(1))
    rec.wait(1)
    queued = list(range(2, 30)) + [35, 33]  # 30 to 32 and 34 missing: 33 and 35 held
    for i in queued:
        q.put(update(i))
    with caplog.at_level(logging.ERROR, logger="telegrambot.loop"):
        qbot.stop(timeout=0.3)
        assert loop.join(5)
    handled = [m["message_id"] for m in rec.items]
    lost = [i for i in [1] + queued if i not in handled]
    assert len(handled) + len(lost) == 31 and lost
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    reported = []
    for error in errors:  # one line, or two when stop() and the loop's end raced
        count = int(re.search(r"(\d+) accepted updates", error).group(1))
        ids = ids_in(error.split("update_ids ")[1])
        assert count == len(ids)
        reported += ids
    assert sorted(reported) == sorted(lost), errors
    assert len(errors) == 1 or handler_seconds < 0.3
    assert q.empty()


def ids_in(ranges):
    """The update_ids of id_ranges() text: "2-4, 7" -> [2, 3, 4, 7]."""
    ids = []
    for part in ranges.split(", "):
        first, _, last = part.partition("-")
        ids += range(int(first), int(last or first) + 1)
    return ids


def test_the_user_wired_webhook_path_drains_on_bot_stop(qbot):
    """WebhookServer into a queue, message_loop(source=q): server.stop(), then bot.stop()."""
    from test_webhook import post

    from telegrambot.webhook import WebhookServer

    q = queue.Queue()
    rec = SlowRecorder()
    server = WebhookServer(q, "127.0.0.1", 0, "/").start()
    qbot.message_loop(rec, source=q)
    statuses = [post(server.port, update(i), path="/", secret=None)[0] for i in range(1, 31)]
    assert statuses == [200] * 30  # accepted: each must be handled
    server.stop()
    qbot.stop(timeout=30)
    assert sorted(m["message_id"] for m in rec.items) == list(range(1, 31))


def test_a_new_poller_starts_after_the_last_update_even_if_confirming_failed(emulator, bot):
    """Issue 11, item 3: the offset reached is kept on the bot, not only on the server."""
    ids = push_messages(emulator, 3)
    release = threading.Event()
    rec = Recorder()

    def handler(msg):
        rec(msg)
        if msg["message_id"] == 3:
            assert release.wait(5)

    bot.message_loop(handler, timeout=1)
    rec.wait(3)  # the handler of the last one is running: its offset is not confirmed
    emulator.inject("getUpdates", "error", error_code=500, description="Internal Server Error")
    stopper = threading.Thread(target=bot.stop, kwargs={"timeout": 5})
    stopper.start()
    release.set()
    stopper.join(5)
    confirm = emulator.requests[-1]
    assert confirm.method == "getUpdates" and confirm.params.get("offset") == ids[-1] + 1
    again = Recorder()
    bot.message_loop(again, timeout=1)
    push_messages(emulator, 1, start=3)
    assert [m["message_id"] for m in again.wait(1)] == [4]  # 1 to 3 would have come first


def syn_sent_to(port):
    """How many sockets of this machine are still connecting (SYN_SENT) to ``port``."""
    count = 0
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as table:
                next(table)
                for line in table:
                    fields = line.split()
                    if fields[3] == "02" and int(fields[2].rsplit(":", 1)[1], 16) == port:
                        count += 1
        except OSError:
            pass
    return count


def test_stop_interrupts_a_poll_still_connecting(caplog):
    """Issue 11, item 4: a server whose accept queue is full never answers the SYN."""
    import socket

    if not os.path.exists("/proc/net/tcp"):
        pytest.skip("needs Linux's /proc/net/tcp to see a connection being made")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    try:
        while True:  # fill the accept queue: the next connect waits for an answer
            filler = socket.socket()
            filler.settimeout(0.2)
            fillers.append(filler)
            try:
                filler.connect(("127.0.0.1", port))
            except socket.timeout:
                break
        before = syn_sent_to(port)
        hung = Bot("123:hung", api_url=f"http://127.0.0.1:{port}")
        loop = hung.message_loop(Recorder(), timeout=20)
        deadline = time.monotonic() + 5
        while syn_sent_to(port) <= before:  # the poll is connecting
            assert time.monotonic() < deadline, "the poll never started connecting"
            time.sleep(0.005)
        start = time.monotonic()
        hung.stop(timeout=2)
        assert time.monotonic() - start < 1.0
        assert not loop.is_alive()
        assert library_threads() == []
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


def test_404_from_getupdates_ends_the_loop_saying_what_to_check(emulator, caplog):
    """Issue 11, item 13: a wrong api_url (or a deleted bot) is not retried forever."""
    wrong = Bot(emulator.token, api_url=emulator.api_url + "/wrong-prefix")
    with caplog.at_level(logging.WARNING, logger="telegrambot.loop"):
        loop = wrong.message_loop(Recorder())
        assert loop.join(5)
    assert isinstance(loop.exception, TelegramError) and loop.exception.error_code == 404
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "api_url" in errors[0].getMessage()
    assert "deleted" in errors[0].getMessage()
    assert not [r for r in caplog.records if r.levelno == logging.WARNING]  # no retries
    wrong.stop()


def test_an_html_404_page_ends_the_loop_too(caplog):
    import http.server

    class NotFound(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = b"<html><body>404 Not Found</body></html>"
            self.send_response(404)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NotFound)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="test-404")
    thread.start()
    try:
        lost = Bot("123:lost", api_url=f"http://127.0.0.1:{server.server_address[1]}")
        with caplog.at_level(logging.ERROR, logger="telegrambot.loop"):
            loop = lost.message_loop(Recorder())
            assert loop.join(5)
        assert isinstance(loop.exception, BadHTTPResponse)
        assert "check api_url" in caplog.text
        lost.stop()
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()

"""The scenarios both runtimes share, written once and run on each (the ``runtime``
fixture of tests/conftest.py): the threaded Bot, and the asyncio Bot over aiohttp driven
from the test's thread. Sending, uploads, downloads, error answers, the polling loop,
routing and stopping, queue-fed loops with ordering, against the emulator."""

import datetime
import io
import logging
import random
import time

import pytest
from test_flavor import expected_flavor, sample
from test_loop import Recorder, library_threads, push_messages, update

from telegrambot import namedtuple as nt
from telegrambot._flavor import flavor, glance
from telegrambot.exception import (
    BadHTTPResponse,
    BotWasBlockedError,
    ChatNotFoundError,
    MessageToEditNotFoundError,
    MigratedToSupergroupChatError,
    TelegramBotException,
    TelegramError,
    TelepotException,
    TooManyRequestsError,
    UnauthorizedError,
)
from telegrambot.loop import MessageLoop


def AioMessageLoop(*args):
    from telegrambot.aio.loop import MessageLoop

    return MessageLoop(*args)


@pytest.fixture
def bot(runtime):
    """A bot of each runtime in turn (the threaded one, then the asyncio one)."""
    return runtime.make_bot()


def _upload_bytes(emulator):
    record = emulator.requests[-1]
    return {name: (f[1] if isinstance(f, tuple) else f) for name, f in record.files.items()}


# ------------------------------------------------------------------ sending and errors


def test_get_me_returns_a_plain_dict(bot, emulator):
    me = bot.getMe()
    assert isinstance(me, dict)
    assert me["id"] == bot.id and me["is_bot"] is True
    assert bot.get_me() == me


def test_send_message_sends_json_and_returns_the_message(bot, emulator):
    alice = emulator.user("Alice")
    msg = bot.sendMessage(alice.id, "hello", parse_mode="HTML", disable_notification=True)
    assert msg["text"] == "hello" and msg["chat"]["id"] == alice.id
    record = emulator.requests[-1]
    assert record.method == "sendMessage"
    assert record.params == {"chat_id": alice.id, "text": "hello", "parse_mode": "HTML", "disable_notification": True}
    assert record.content_type == "application/json"
    assert alice.received()[-1]["text"] == "hello"


def test_objects_are_serialised_with_none_dropped(bot, emulator):
    alice = emulator.user("Alice")
    markup = nt.InlineKeyboardMarkup(inline_keyboard=[[nt.InlineKeyboardButton(text="Yes", callback_data="y")]])
    msg = bot.send_message(alice.id, "pick", reply_markup=markup)
    assert msg["reply_markup"] == {"inline_keyboard": [[{"text": "Yes", "callback_data": "y"}]]}
    bot.sendMessage(alice.id, "plain", reply_markup={"inline_keyboard": [[{"text": "No", "callback_data": "n", "url": None}]]})
    assert emulator.requests[-1].params["reply_markup"] == {"inline_keyboard": [[{"text": "No", "callback_data": "n"}]]}


def test_datetime_and_timedelta_become_numbers(bot, emulator):
    group = emulator.supergroup("Team")
    alice = emulator.user("Alice")
    alice.join(group)
    until = datetime.datetime(2031, 5, 6, tzinfo=datetime.timezone.utc)
    bot.banChatMember(group.id, alice.id, until_date=until)
    assert emulator.requests[-1].params["until_date"] == int(until.timestamp())
    bot.sendPoll(group.id, "Q?", [{"text": "a"}, {"text": "b"}], open_period=datetime.timedelta(minutes=2))
    assert emulator.requests[-1].params["open_period"] == 120


def test_deprecated_parameters_are_accepted(bot, emulator):
    alice = emulator.user("Alice")
    first = bot.sendMessage(alice.id, "one")
    bot.sendMessage(alice.id, "two", reply_to_message_id=first["message_id"], disable_web_page_preview=True)
    params = emulator.requests[-1].params
    assert params["reply_to_message_id"] == first["message_id"]
    assert params["disable_web_page_preview"] is True


def test_api_kwargs_pass_new_parameters_and_typos_still_fail(bot, emulator):
    alice = emulator.user("Alice")
    bot.sendMessage(alice.id, "x", api_kwargs={"a_parameter_from_api_11": {"deep": [1]}})
    assert emulator.requests[-1].params["a_parameter_from_api_11"] == {"deep": [1]}
    count = len(emulator.requests)
    with pytest.raises(TypeError):
        bot.sendMessage(alice.id, "x", parse_mod="HTML")
    assert len(emulator.requests) == count


def test_request_calls_any_method_by_name(bot, emulator):
    alice = emulator.user("Alice")
    msg = bot.request("sendMessage", {"chat_id": alice.id, "text": "by name"})
    assert msg["text"] == "by name"


def test_missing_or_none_required_argument_fails_before_sending(bot, emulator):
    count = len(emulator.requests)
    with pytest.raises(TypeError):
        bot.sendMessage(1)
    with pytest.raises(TypeError, match="text"):
        bot.sendMessage(1, None)
    assert len(emulator.requests) == count


def test_upload_forms_bytes_path_file_and_named_tuple(bot, emulator, tmp_path):
    alice = emulator.user("Alice")
    path = tmp_path / "cat.jpg"
    path.write_bytes(b"\xff\xd8 fake jpeg")
    for value, data in [
        (b"raw bytes", b"raw bytes"),
        (path, b"\xff\xd8 fake jpeg"),
        (open(path, "rb"), b"\xff\xd8 fake jpeg"),
        (("named.png", io.BytesIO(b"png data")), b"png data"),
    ]:
        msg = bot.sendPhoto(alice.id, value, caption="c")
        assert msg["photo"], msg
        assert data in _upload_bytes(emulator).values()
        assert emulator.requests[-1].content_type.startswith("multipart/form-data")
        if hasattr(value, "close"):
            value.close()
    record = emulator.requests[-1]
    assert record.files["photo"][0] == "named.png"
    assert record.params["caption"] == "c"


def test_a_string_is_sent_as_a_file_id_or_url(bot, emulator):
    alice = emulator.user("Alice")
    first = bot.sendDocument(alice.id, b"doc bytes")
    file_id = first["document"]["file_id"]
    bot.sendDocument(alice.id, file_id)
    record = emulator.requests[-1]
    assert record.params["document"] == file_id and not record.files
    assert record.content_type == "application/json"


def test_media_inside_objects_go_as_attach_parts(bot, emulator):
    alice = emulator.user("Alice")
    media = [
        nt.InputMediaPhoto(media=b"first photo", caption="one"),
        {"type": "photo", "media": ("second.jpg", io.BytesIO(b"second photo"))},
    ]
    msgs = bot.sendMediaGroup(alice.id, media)
    assert len(msgs) == 2
    record = emulator.requests[-1]
    sent = record.params["media"]
    assert sent[0]["media"].startswith("attach://") and sent[1]["media"].startswith("attach://")
    files = _upload_bytes(emulator)
    assert files[sent[0]["media"][len("attach://"):]] == b"first photo"
    assert files[sent[1]["media"][len("attach://"):]] == b"second photo"


def test_download_to_a_path(bot, emulator, tmp_path):
    alice = emulator.user("Alice")
    msg = bot.sendDocument(alice.id, ("notes.txt", b"some notes"))
    dest = tmp_path / "copy.txt"
    bot.download_file(msg["document"]["file_id"], str(dest))
    assert dest.read_bytes() == b"some notes"


def test_unreadable_file_fails_before_sending(bot, emulator, tmp_path):
    count = len(emulator.requests)
    with pytest.raises(FileNotFoundError):
        bot.sendDocument(1, tmp_path / "missing.bin")
    with pytest.raises(TypeError, match="binary"):
        with open(__file__) as text_file:
            bot.sendDocument(1, text_file)
    assert len(emulator.requests) == count


def test_a_failed_call_puts_file_objects_back_so_it_can_be_retried(bot, emulator, tmp_path):
    alice = emulator.user("Alice")
    path = tmp_path / "report.bin"
    path.write_bytes(b"HEADER" + b"payload " * 10000)
    with open(path, "rb") as on_disk:
        on_disk.seek(6)  # sent from where the file is, not from its start
        in_memory = io.BytesIO(b"HEADERsmall payload")
        in_memory.seek(6)
        media = [{"type": "document", "media": on_disk}, {"type": "document", "media": ("b.bin", in_memory)}]
        emulator.inject("sendMediaGroup", "retry_after", seconds=1)
        with pytest.raises(TooManyRequestsError):
            bot.sendMediaGroup(alice.id, media)
        assert (on_disk.tell(), in_memory.tell()) == (6, 6)
        bot.sendMediaGroup(alice.id, media)
    assert sorted(_upload_bytes(emulator).values()) == [b"payload " * 10000, b"small payload"]


def test_msg_identifier_forms(bot, emulator):
    alice = emulator.user("Alice")
    sent = bot.sendMessage(alice.id, "before")
    edited = bot.editMessageText((alice.id, sent["message_id"]), "after")
    assert edited["text"] == "after"
    assert emulator.requests[-1].params["chat_id"] == alice.id
    bot.editMessageText(sent, "from the dict")  # a message dict works as its identifier
    assert emulator.transcript(alice.chat)[-1]["text"] == "from the dict"
    for form in [("inline-1",), "inline-1"]:
        try:
            bot.editMessageReplyMarkup(form, reply_markup={"inline_keyboard": []})
        except TelegramError:
            pass
        params = emulator.requests[-1].params
        assert params["inline_message_id"] == "inline-1" and "chat_id" not in params
    assert bot.deleteMessage((alice.id, sent["message_id"])) is True


def test_wrong_msg_identifier_shapes_fail_before_sending(bot, emulator):
    count = len(emulator.requests)
    with pytest.raises(ValueError, match="msg_identifier"):
        bot.editMessageText((1, 2, 3), "x")
    with pytest.raises(ValueError, match="msg_identifier"):
        bot.deleteMessage("inline-only")  # deleteMessage has no inline form
    with pytest.raises(ValueError, match="msg_identifier"):
        bot.editMessageText(42, "x")
    for wrong in [(None, 5), (1, None), (1, True), ("", 5), ("",), ""]:
        with pytest.raises(ValueError, match="msg_identifier"):
            bot.editMessageText(wrong, "x")
    assert len(emulator.requests) == count


def test_telepot_era_aliases(bot, emulator):
    group = emulator.supergroup("Old names")
    alice = emulator.user("Alice")
    alice.join(group)
    assert bot.kickChatMember(group.id, alice.id) is True
    assert emulator.requests[-1].method == "banChatMember"
    assert isinstance(bot.getChatMembersCount(group.id), int)
    assert emulator.requests[-1].method == "getChatMemberCount"
    cls = type(getattr(bot, "_target", bot))
    assert cls.kick_chat_member is cls.banChatMember


def test_error_answers_become_specific_exceptions(bot, emulator):
    alice = emulator.user("Alice")
    emulator.inject("sendMessage", "error", error_code=403, description="Forbidden: bot was blocked by the user")
    with pytest.raises(BotWasBlockedError) as info:
        bot.sendMessage(alice.id, "x")
    assert info.value.error_code == 403 and "blocked" in info.value.description
    assert isinstance(info.value, TelepotException) and isinstance(info.value, TelegramBotException)

    emulator.inject("sendMessage", "retry_after", seconds=7)
    with pytest.raises(TooManyRequestsError) as info:
        bot.sendMessage(alice.id, "x")
    assert info.value.retry_after == 7 and info.value.error_code == 429

    emulator.inject(
        "sendMessage",
        "error",
        error_code=400,
        description="Bad Request: group chat was upgraded to a supergroup chat",
        parameters={"migrate_to_chat_id": -1001234},
    )
    with pytest.raises(MigratedToSupergroupChatError) as info:
        bot.sendMessage(alice.id, "x")
    assert info.value.migrate_to_chat_id == -1001234

    with pytest.raises(ChatNotFoundError):
        bot.sendMessage(-999999, "nobody")
    with pytest.raises(MessageToEditNotFoundError):
        bot.editMessageText((alice.id, 987654), "x")


def test_a_user_subclass_is_picked_by_its_pattern(bot, emulator):
    class ThreadNotFound(TelegramError):
        DESCRIPTION_PATTERNS = ["message thread not found"]

    emulator.inject("sendMessage", "error", error_code=400, description="Bad Request: message thread not found")
    with pytest.raises(ThreadNotFound):
        bot.sendMessage(1, "x")


def test_html_502_is_bad_http_response(bot, emulator):
    emulator.inject("getMe", "html502")
    with pytest.raises(BadHTTPResponse) as info:
        bot.getMe()
    assert info.value.status == 502 and "<html" in info.value.text.lower()
    assert bot.getMe()["is_bot"]  # the next call works


def test_wrong_token_is_unauthorized(runtime):
    bot = runtime.make_bot(token="999:wrong-token-wrong-token")
    with pytest.raises(UnauthorizedError) as info:
        bot.getMe()
    assert info.value.error_code == 401



# ------------------------------------------------------------------ receiving


def test_every_update_type_reaches_the_handler_with_its_flavor(emulator, bot):
    types = emulator.facts.update_types
    for t in types:
        emulator.push_update(t, sample(t))
    rec = Recorder()
    bot.message_loop(rec, allowed_updates=types)
    rec.wait(len(types))
    flavors = [flavor(m) for m in rec.items]
    assert flavors == [expected_flavor(t) for t in types]
    for msg, fl in zip(rec.items, flavors):
        assert isinstance(glance(msg, flavor=fl), tuple)
    assert "my_chat_member" in flavors and "chat_member" in flavors


def test_routing_table_gets_updates_and_events(emulator, bot):
    alice = emulator.user("Alice")
    chats, events, rest = Recorder(), Recorder(), Recorder()
    bot.message_loop({"chat": chats, "_alarm": events, None: rest})
    alice.send("hello")
    emulator.push_update("poll_answer", sample("poll_answer"))
    bot.scheduler.event_later(0.01, {"_alarm": {"n": 1}})
    assert chats.wait(1)[0]["text"] == "hello"
    assert events.wait(1) == [{"_alarm": {"n": 1}}]
    assert flavor(rest.wait(1)[0]) == "poll_answer"


def test_handler_exception_is_logged_and_the_loop_goes_on(emulator, bot, caplog):
    alice = emulator.user("Alice")
    rec = Recorder(fail_on=lambda m: m.get("text") == "boom")
    with caplog.at_level(logging.ERROR, logger="telegrambot"):
        bot.message_loop(rec)
        alice.send("boom")
        alice.send("after")
        assert [m["text"] for m in rec.wait(2)] == ["boom", "after"]
    failures = [r for r in caplog.records if r.exc_info]
    assert failures and "on purpose" in str(failures[0].exc_info[1])
    assert "on purpose" in caplog.text


FAULTS = [
    ("html502", {}),
    ("drop", {}),
    ("error", {"error_code": 500, "description": "Internal Server Error"}),
    ("error", {"error_code": 502, "description": "Bad Gateway"}),
    ("delay", {"seconds": 0.2}),
]


@pytest.mark.parametrize(
    "kind, options", FAULTS, ids=[f"{k}-{o.get('error_code', '')}" for k, o in FAULTS]
)
def test_faults_lose_and_repeat_nothing(emulator, bot, kind, options):
    first = push_messages(emulator, 5)
    emulator.inject("getUpdates", kind, times=2, **options)
    rec = Recorder()
    bot.message_loop(rec, timeout=1)
    rec.wait(5)
    emulator.inject("getUpdates", kind, times=2, **options)
    second = push_messages(emulator, 5, start=5)
    rec.wait(10)
    marker = push_messages(emulator, 1, start=10)  # a repeat would come before it
    delivered = [m["message_id"] for m in rec.wait(11)]
    assert delivered == list(range(1, 12))
    assert len(first + second + marker) == len(delivered)


def test_retry_after_is_waited(emulator, bot, caplog):
    push_messages(emulator, 2)
    emulator.inject("getUpdates", "retry_after", seconds=1)
    rec = Recorder()
    start = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="telegrambot"):
        bot.message_loop(rec)
        rec.wait(2)
    assert time.monotonic() - start >= 1.0
    assert "waiting 1 s" in caplog.text
    push_messages(emulator, 1, start=2)  # a repeat would come before it
    assert [m["message_id"] for m in rec.wait(3)] == [1, 2, 3]


def test_conflict_is_explained_and_retried(emulator, bot, caplog):
    push_messages(emulator, 3)
    emulator.inject(
        "getUpdates",
        "error",
        times=2,
        error_code=409,
        description="Conflict: can't use getUpdates method while webhook is active",
    )
    rec = Recorder()
    with caplog.at_level(logging.WARNING, logger="telegrambot"):
        bot.message_loop(rec)
        rec.wait(3)
    assert [m["message_id"] for m in rec.items] == [1, 2, 3]
    assert "deleteWebhook" in caplog.text


def test_a_rejected_token_ends_the_loop(runtime, caplog):
    bad = runtime.make_bot(token="999:not-the-token")
    with caplog.at_level(logging.ERROR, logger="telegrambot"):
        loop = bad.message_loop(Recorder())
        assert loop.join(5)
    assert not loop.is_alive()
    assert isinstance(loop.exception, UnauthorizedError)
    assert "check the token" in caplog.text
    assert "not-the-token" not in caplog.text
    bad.stop()
    if runtime.name == "threaded":
        with pytest.raises(UnauthorizedError):
            bad.message_loop(Recorder(), run_forever=True)
    else:
        with pytest.raises(UnauthorizedError):
            bad.message_loop(Recorder()).wait()
    bad.stop()


def test_stop_in_the_middle_of_a_long_poll(emulator, bot):
    loop = bot.message_loop(Recorder(), timeout=20)
    emulator.wait_for_request("getUpdates")  # the long poll is waiting on the server
    assert loop.is_alive()
    start = time.monotonic()
    bot.stop()
    assert time.monotonic() - start < 2.0
    assert library_threads() == [] and not loop.is_alive()


def test_stopped_bot_does_not_get_handled_updates_again(emulator, bot):
    push_messages(emulator, 3)
    rec = Recorder()
    bot.message_loop(rec)
    rec.wait(3)
    bot.stop()
    push_messages(emulator, 1, start=3)
    again = Recorder()
    bot.message_loop(again)
    assert [m["message_id"] for m in again.wait(1)] == [4]
    push_messages(emulator, 1, start=4)
    assert [m["message_id"] for m in again.wait(2)] == [4, 5]


def test_message_loop_twice_is_refused(emulator, bot, runtime):
    rec = Recorder()
    loop = bot.message_loop(rec, timeout=1)
    with pytest.raises(RuntimeError, match="already polling"):
        bot.message_loop(Recorder())  # two pollers would each get every update
    with pytest.raises(RuntimeError, match="already polling"):
        if runtime.name == "threaded":
            MessageLoop(bot, Recorder()).run_as_thread()
        else:
            runtime.call(lambda: AioMessageLoop(bot._target, Recorder()).run_as_task())
    push_messages(emulator, 3)
    assert [m["message_id"] for m in rec.wait(3)] == [1, 2, 3]
    assert loop.is_alive()



# ------------------------------------------------------------------ queue-fed loops


@pytest.fixture
def qbot(runtime):
    """A bot of each runtime for queue-fed loops (no request is made)."""
    return runtime.make_bot()


def test_queue_source_ordered_with_gaps_and_late_arrivals(qbot, runtime, caplog):
    q = runtime.queue()
    rec = Recorder()
    qbot.message_loop(rec, source=q, maxhold=0.3)
    ids = lambda: [m["message_id"] for m in rec.items]  # noqa: E731
    q.put(update(10))
    rec.wait(1)
    for i in (13, 12, 11):  # shuffled, all within maxhold
        q.put(update(i))
    rec.wait(4)
    assert ids() == [10, 11, 12, 13]
    start = time.monotonic()
    q.put(update(16))  # 14 and 15 missing: held for maxhold
    rec.wait(5)
    assert 0.3 <= rec.times[4] - start < 2.0
    with caplog.at_level(logging.WARNING, logger="telegrambot.loop"):
        q.put(update(15))  # late: handed over all the same (it was answered 200)
        q.put(update(16))  # a repeat: dropped
        q.put(update(15))  # a repeat of the late one: dropped
        q.put(update(17))  # queued after the repeats: once it is here, they were judged
        rec.wait(7)
    assert ids() == [10, 11, 12, 13, 16, 15, 17]
    assert "update 15 came late" in caplog.text
    assert caplog.text.count("came again") == 2


def test_an_update_late_after_a_later_one_was_released_is_not_lost(qbot, runtime, caplog):
    """Issue 11, item 1: the update below one already handed over is handed over too."""
    q = runtime.queue()
    rec = Recorder()
    with caplog.at_level(logging.WARNING, logger="telegrambot.loop"):
        qbot.message_loop(rec, source=q, maxhold=0)
        q.put(update(2))  # concurrent deliveries: 2 came first
        rec.wait(1)
        q.put(update(1))
        q.put(update(3))
        rec.wait(3)
    assert [m["message_id"] for m in rec.items] == [2, 1, 3]
    late = [r for r in caplog.records if "came late" in r.getMessage()]
    assert len(late) == 1 and late[0].levelno == logging.WARNING


def test_queue_source_ordered_shuffled(qbot, runtime):
    q = runtime.queue()
    rec = Recorder()
    q.put(update(1))
    rest = list(range(2, 202))
    random.shuffle(rest)
    for i in rest:
        q.put(update(i))
    qbot.message_loop(rec, source=q, maxhold=2)
    assert [m["message_id"] for m in rec.wait(201)] == list(range(1, 202))


def test_queue_source_unordered_takes_json_and_skips_junk(qbot, runtime, caplog):
    q = runtime.queue()
    rec = Recorder()
    with caplog.at_level(logging.ERROR, logger="telegrambot.loop"):
        qbot.message_loop(rec, source=q, ordered=False)
        q.put(update(5))
        q.put(
            '{"update_id": 3, "message": {"message_id": 3, "chat": {"id": 1, "type": "private"}, "date": 0}}'
        )
        q.put(b"not json")
        q.put(b"[1, 2]")
        q.put(12345)
        q.put(
            b'{"update_id": 4, "callback_query": {"id": "c", "chat_instance": "i", "from": {"id": 1}}}'
        )
        rec.wait(3)
    assert [flavor(m) for m in rec.items] == ["chat", "chat", "callback_query"]
    assert [m.get("message_id") for m in rec.items[:2]] == [5, 3]
    assert caplog.text.count("not an update") == 3


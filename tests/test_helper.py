"""telegrambot.helper: templates and the listener hub, Router key shapes, proxies against
the facts file, the callback query coordinator, SafeDict, Answerer answer forms."""

import json
import logging
import re
import threading
import time
from pathlib import Path

import pytest

import telegrambot
from telegrambot import DelegatorBot
from telegrambot.exception import StopListening, WaitTooLong
from telegrambot.helper import (
    Administrator,
    Answerer,
    CallbackQueryCoordinator,
    DefaultRouterMixin,
    Editor,
    IdleEventCoordinator,
    ListenerHub,
    Router,
    SafeDict,
    Sender,
    StandardEventScheduler,
    match,
    match_all,
    openable,
)
from telegrambot.namedtuple import InlineKeyboardButton, InlineKeyboardMarkup
from telegrambot.scheduler import Scheduler

FACTS = json.loads((Path(telegrambot.__file__).parent / "botapi.json").read_text())
MESSAGE = {"message_id": 5, "date": 0, "text": "hello world",
           "chat": {"id": 42, "type": "group", "title": "G"},
           "from": {"id": 7, "is_bot": False, "first_name": "A"}}
EVENT = {"_alarm": {"source": {"space": 1, "id": 42}, "n": 3}}

# ------------------------------------------------------------------ templates


@pytest.mark.parametrize("template, expected", [
    ({"text": "hello world"}, True),
    ({"text": "bye"}, False),
    ({"chat": {"id": 42, "type": "group"}}, True),
    ({"chat": {"id": 42, "type": "private"}}, False),
    ({"missing": 1}, False),
    ({"chat": {"id": lambda v: v > 40}}, True),
    ({"text": lambda v: v.startswith("bye")}, False),
    ({re.compile("^te"): "hello world"}, True),
    ({re.compile("^(caption|text)$"): lambda v: "world" in v}, True),
    ({re.compile("^nothing"): lambda v: True}, False),
    ({re.compile("^c"): {"type": "group"}}, True),  # any of the selected fields may match
    ({"chat": {}}, True),
    ({"text": {"id": 1}}, False),  # a dict template against a string
    (lambda msg: "from" in msg, True),
])
def test_match_templates(template, expected):
    assert match(MESSAGE, template) is expected


def test_match_all_needs_every_template():
    assert match_all(MESSAGE, [{"chat": {"id": 42}}, lambda m: m["text"].endswith("world")])
    assert not match_all(MESSAGE, [{"chat": {"id": 42}}, lambda m: False])
    assert match_all(MESSAGE, [])


def test_hub_checks_only_the_indexed_candidates():
    hub = ListenerHub()
    calls = []
    listeners = {}
    for chat_id in range(1000):
        listener = listeners[chat_id] = hub.listener()
        listener.capture([{"chat": {"id": chat_id}}, lambda msg, c=chat_id: calls.append(c) or True])
        listener.capture([{re.compile("^_.+"): {"source": {"space": 1, "id": chat_id}}}])
    assert hub.matching(MESSAGE) == [listeners[42]]
    assert calls == [42]  # no other listener's template ran
    assert hub.matching(EVENT) == [listeners[42]]
    assert hub.matching({"_alarm": {"source": {"space": 2, "id": 42}}}) == []
    assert hub.deliver(MESSAGE) == 1
    assert listeners[42].wait(timeout=1) is MESSAGE


def test_hub_scans_patterns_without_constants_and_copes_with_odd_data():
    hub = ListenerHub()
    scanned, indexed, unhashable = hub.listener(), hub.listener(), hub.listener()
    scanned.capture(lambda msg: "text" in msg)  # a single template is taken as a pattern of one
    indexed.capture([{"chat": {"id": 42}}])
    unhashable.capture([{"ids": [1, 2]}])
    assert set(hub.matching(MESSAGE)) == {scanned, indexed}
    assert hub.matching({"chat": {"id": [42]}}) == []  # an unhashable value where one is indexed
    assert hub.matching({"chat": "not a dict"}) == []
    assert hub.matching({"ids": [1, 2]}) == [unhashable]

    def broken(msg):
        raise ValueError("template bug")

    failing = hub.listener()
    failing.capture([broken])
    assert failing not in hub.matching(MESSAGE)  # logged, taken as no match


def test_listener_capture_management_and_wait():
    hub = ListenerHub()
    listener = hub.listener()
    with pytest.raises(RuntimeError, match="nothing to capture"):
        listener.wait(timeout=0.01)
    pattern = [{"chat": {"id": 42}}]
    listener.capture(pattern)
    listener.capture([{"from": {"id": 7}}])
    assert listener.list_captures() == [pattern, [{"from": {"id": 7}}]]
    assert hub.deliver(MESSAGE) == 1  # once, though two patterns match
    assert listener.wait(timeout=1) is MESSAGE
    with pytest.raises(WaitTooLong):
        listener.wait(timeout=0.01)

    listener.cancel_capture(pattern)
    assert listener.list_captures() == [[{"from": {"id": 7}}]]
    listener.clear_captures()
    assert listener.list_captures() == [] and hub.deliver(MESSAGE) == 0

    listener.capture(pattern)
    hub.deliver(MESSAGE)
    listener.stop()
    assert listener.wait(timeout=1) is MESSAGE  # what was queued first comes first
    with pytest.raises(StopListening):
        listener.wait(timeout=1)
    hub.deliver(MESSAGE)
    listener.close()
    assert hub.deliver(MESSAGE) == 0
    with pytest.raises(RuntimeError, match="closed"):
        listener.capture(pattern)


def test_many_waiting_listeners_are_woken_a_few_at_a_time():
    hub = ListenerHub(max_waking=2)
    listeners = [hub.listener() for _ in range(20)]
    got = []
    for n, listener in enumerate(listeners):
        listener.capture([{"chat": {"id": n}}])
    threads = [threading.Thread(target=lambda w=w: got.append(w.wait(timeout=5)), name="telegrambot-test-waiter")
               for w in listeners]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 5
    while not all(listener._waiting for listener in listeners):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    most = 0
    for n in range(20):
        hub.deliver({"chat": {"id": n}})
        most = max(most, hub._waking)
    for thread in threads:
        thread.join(5)
    assert sorted(m["chat"]["id"] for m in got) == list(range(20))
    assert most <= 2 and hub._waking == 0
    with pytest.raises(ValueError, match="max_waking"):
        ListenerHub(max_waking=0)  # put() would wait forever


# ------------------------------------------------------------------ Router


def recorder():
    calls = []

    def handler(name):
        return lambda msg, *args, **kwargs: calls.append((name, args, kwargs)) or name

    return calls, handler


@pytest.mark.parametrize("key, expected", [
    ("a", ("a", (), {})),                                  # a plain key
    (("a",), ("a", (), {})),                               # (key,)
    (("a", (1, 2)), ("a", (1, 2), {})),                    # (key, args)
    (("a", (1,), {"x": 2}), ("a", (1,), {"x": 2})),        # (key, args, kwargs)
    (["a", [3]], ("a", (3,), {})),                         # lists work as tuples
    (((None,),), ("no key", (), {})),                      # the (None,) key: "found nothing"
    (None, ("default", (), {})),                           # None: the default handler
    ("unknown", ("default", (), {})),                      # a missing key falls to None
    (0, ("zero", (), {})),                                 # a falsy key is still a key
])
def test_router_key_shapes(key, expected):
    calls, handler = recorder()
    table = {"a": handler("a"), (None,): handler("no key"), None: handler("default"), 0: handler("zero")}
    router = Router(lambda msg: key, table)
    assert router.route(MESSAGE) == expected[0]
    assert calls == [expected]


def test_router_without_default_and_bad_keys():
    calls, handler = recorder()
    router = Router(lambda msg: msg["text"], {"x": handler("x")})
    with pytest.raises(RuntimeError, match="No handler for key"):
        router.route(MESSAGE)
    with pytest.raises(ValueError, match="key function"):
        Router(lambda msg: ("a", (), {}, "extra"), {"a": handler("a")}).route(MESSAGE)
    assert Router(lambda msg: ("x", (1,)), {"x": "entry"}).map(MESSAGE) == "entry"


def test_routers_chain():
    calls, handler = recorder()
    inner = Router(lambda msg: msg["chat"]["type"], {"group": handler("group")})
    outer = Router(lambda msg: ("text", (1,), {"k": 2}), {"text": inner.route})
    assert outer.route(MESSAGE) == "group"
    assert calls == [("group", (), {})]  # the outer arguments stop at the inner router


def test_default_router_mixin_routes_by_flavor(caplog):
    seen = []

    class Handler(DefaultRouterMixin):
        def on_chat_message(self, msg):
            seen.append(("chat", msg["text"]))

        def on_callback_query(self, msg):
            seen.append(("callback", msg["data"]))

        def on__idle(self, event):
            seen.append(("idle", event["_idle"]["seconds"]))

    handler = Handler()
    handler.on_message(MESSAGE)
    handler.on_message(dict(MESSAGE, edit_date=1))  # no on_edited_chat_message: on_chat_message
    handler.on_message({"id": "1", "from": {"id": 1}, "chat_instance": "x", "data": "d"})
    handler.on_message({"_idle": {"seconds": 3}})
    assert seen == [("chat", "hello world"), ("chat", "hello world"), ("callback", "d"), ("idle", 3)]
    assert "inline_query" in handler.router.routing_table
    # a flavor or event without a method is ignored, at DEBUG; one of no known shape warns
    with caplog.at_level(logging.DEBUG, logger="telegrambot.helper"):
        assert handler.on_message({"id": "q", "from": {"id": 1}, "query": "", "offset": ""}) is None
        assert handler.on_message({"_alarm": {}}) is None
        assert handler.on_message({"no": 1, "known": 2}) is None
    levels = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert (logging.DEBUG, "Handler has no on_inline_query(): inline_query ignored") in levels
    assert (logging.DEBUG, "Handler has no on__alarm(): _alarm ignored") in levels
    assert any(level == logging.WARNING and "no known flavor" in text for level, text in levels)
    assert len(seen) == 4

    # a method added later is found (looked up per message)
    Handler.on_inline_query = lambda self, msg: seen.append(("inline", msg["id"]))
    handler.on_message({"id": "q2", "from": {"id": 1}, "query": "", "offset": ""})
    assert seen[-1] == ("inline", "q2")


def test_openable_fills_in_what_is_missing():
    @openable
    class Thing:
        def on_message(self, msg):
            return "mine"

    thing = Thing()
    assert thing.on_message(None) == "mine" and thing.open(None, 1) is None
    with pytest.raises(StopListening):
        thing.close()
    with pytest.raises(ValueError):
        thing.close(ValueError("x"))
    with pytest.raises(NotImplementedError):
        getattr(thing, "listener")  # noqa: B009
    thing.on_close(StopListening())


# ------------------------------------------------------------------ proxies


def test_proxies_cover_every_chat_and_message_method_of_the_facts_file():
    sender, admin, editor = Sender.method_names(), Administrator.method_names(), Editor.method_names()
    for name, method in FACTS["methods"].items():
        params = {p["name"] for p in method["params"]}
        owners = [kind for kind, names in (("sender", sender), ("admin", admin), ("editor", editor))
                  if name in names]
        if "chat_id" in params and name not in ("setGameScore", "getGameHighScores"):
            assert len(owners) == 1, name  # every chat-targeted method, in exactly one proxy
        if name.startswith(("send", "forward", "copy")) and "chat_id" in params:
            assert owners == ["sender"], name
        elif "message_id" in params and "inline_message_id" in params and "user_id" not in params:
            assert owners == ["editor"], name  # edits of a message or inline message
        elif name in ("deleteMessage", "stopPoll", "editMessageChecklist"):
            assert owners == ["editor"], name
        elif "chat_id" in params and "user_id" not in params or name.startswith(
                ("ban", "unban", "restrict", "promote", "approveChat", "declineChat", "getChatMember")):
            assert owners == ["admin"], name
        elif "chat_id" in params:  # user-targeted methods that may take a chat: games
            assert owners in ([], ["admin"]), name
        else:
            assert owners == [], name
    for name in ("banChatMember", "leaveChat", "getChat", "getChatAdministrators", "pinChatMessage",
                 "createChatInviteLink", "approveChatJoinRequest", "createForumTopic", "setChatTitle",
                 "setChatPhoto", "setChatPermissions", "getChatMemberCount", "kickChatMember",
                 "getChatMembersCount", "ban_chat_member"):
        assert name in admin, name
    for name in ("sendMessage", "send_message", "forwardMessages", "copyMessages", "sendChatAction",
                 "sendMediaGroup", "sendPaidMedia", "sendPoll", "sendInvoice", "sendGame"):
        assert name in sender, name
    assert {"editMessageText", "editMessageCaption", "editMessageMedia", "editMessageReplyMarkup",
            "editMessageLiveLocation", "stopMessageLiveLocation", "stopPoll",
            "deleteMessage", "edit_message_text"} <= editor
    with pytest.raises(AttributeError):
        getattr(Sender(None, 1), "getMe")  # noqa: B009
    assert "sendMessage" in dir(Sender(None, 1))


def test_proxies_fill_in_the_chat_or_message(emulator):
    bot = emulator.make_bot()
    alice = emulator.user("Alice")
    group = emulator.group("Team", [alice])
    sender = Sender(bot, alice.id)
    sent = sender.sendMessage("one")
    assert alice.wait_for_message()["text"] == "one"
    sender.send_message("two", disable_notification=True)
    assert alice.wait_for_message()["text"] == "two"
    Sender(bot, group.id).forwardMessage(alice.id, sent["message_id"])  # from_chat_id, message_id
    assert group.wait_for_message()["text"] == "one"

    admin = Administrator(bot, group.id)
    assert admin.getChat()["title"] == "Team"
    assert admin.setChatTitle("Renamed") is True
    assert admin.getChat()["title"] == "Renamed"
    assert admin.getChatMembersCount() >= 1

    editor = Editor(bot, sent)  # a message: its identifier is taken
    editor.editMessageText("edited")
    assert emulator.transcript(alice)[0]["text"] == "edited"
    assert editor.deleteMessage() is True
    bot.close_connections()


def test_a_chat_id_after_other_positional_parameters_goes_in_its_place():
    calls = []

    class Recorder:
        def sendChecklist(self, *args, **kwargs):  # (business_connection_id, chat_id, checklist)
            calls.append((args, kwargs))

        def sendGift(self, *args, **kwargs):  # chat_id is optional, keyword-only
            calls.append((args, kwargs))

    sender = Sender(Recorder(), 99)
    sender.sendChecklist("bc", {"title": "t"}, protect_content=True)
    sender.sendGift("gift")
    assert calls == [(("bc", 99, {"title": "t"}), {"protect_content": True}),
                     (("gift",), {"chat_id": 99})]


# ------------------------------------------------------------------ coordinators


def test_callback_query_coordinator_tracks_origins():
    hub = ListenerHub()
    listener = hub.listener()
    notes = []
    origins = {(1, 1)}
    cqc = CallbackQueryCoordinator(77, origins, lambda o, i, add: notes.append((o, i, add)), True)
    cqc.configure(listener)
    query = {"id": "c", "from": {"id": 1}, "chat_instance": "i", "data": "d",
             "message": {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}}}
    assert hub.matching(query) == [listener]
    assert hub.matching(query["message"]) == []  # the message itself is not a callback query

    keyboard = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="x", callback_data="x")]])
    links_only = {"inline_keyboard": [[{"text": "u", "url": "https://example.org"}]]}
    sent = {"message_id": 9, "date": 0, "chat": {"id": 1, "type": "private"}}
    send = cqc.augment_send(lambda *a, **kw: sent)
    send("text", reply_markup=keyboard)
    send("text", reply_markup=links_only)
    assert origins == {(1, 1), (1, 9)} and notes == [((1, 9), 77, True)]

    edit = cqc.augment_edit(lambda ident, *a, **kw: sent if isinstance(ident, tuple) and len(ident) == 2 else True)
    edit((1, 9), "no keyboard")
    assert origins == {(1, 1)} and notes[-1] == ((1, 9), 77, False)
    edit("inline-id", "t", reply_markup={"inline_keyboard": [[{"text": "a", "callback_data": "a"}]]})
    assert ("inline-id",) in origins
    assert hub.matching({"id": "c", "from": {"id": 1}, "chat_instance": "i", "inline_message_id": "inline-id"}) == [listener]

    seen = []
    on_message = cqc.augment_on_message(seen.append)
    chosen = {"result_id": "r", "from": {"id": 1}, "query": "", "inline_message_id": "chosen-id"}
    on_message(chosen)
    assert ("chosen-id",) in origins and seen == [chosen]

    disabled = CallbackQueryCoordinator(1, set(), False, False)
    disabled.augment_send(lambda *a, **kw: sent)("t", reply_markup=keyboard)
    assert disabled._origin_set == set()
    with pytest.raises(ValueError):
        CallbackQueryCoordinator(1, set(), "yes", False)


def test_augmented_bot_captures_copies_and_the_message_a_checklist_edit_names(emulator):
    bot = emulator.make_bot()
    alice = emulator.user("Alice")
    origins = set()
    augmented = CallbackQueryCoordinator(1, origins, True, True).augment_bot(bot)
    keyboard = {"inline_keyboard": [[{"text": "x", "callback_data": "x"}]]}
    original = bot.sendMessage(alice.id, "original")
    copy = augmented.copyMessage(alice.id, alice.id, original["message_id"], reply_markup=keyboard)
    assert origins == {(alice.id, copy["message_id"])}  # a MessageId answer: the chat is the call's
    origins.clear()
    augmented.editMessageChecklist("bc", (alice.id, original["message_id"]), {"title": "t"},
                                   reply_markup=keyboard)  # msg_identifier after business_connection_id
    assert origins == {(alice.id, original["message_id"])}
    assert augmented.deleteMessage((alice.id, original["message_id"])) is True
    assert origins == set()  # a deleted message is no longer an origin
    bot.close_connections()


def test_idle_coordinator_costs_no_scheduler_work_per_message():
    scheduler = Scheduler()
    standard = StandardEventScheduler(scheduler, 5, 42)
    idle = IdleEventCoordinator(standard, 30)
    handled = []
    on_message = idle.augment_on_message(handled.append)
    idle.refresh()
    for _ in range(100):
        on_message(MESSAGE)
    assert scheduler.pending() == 1 and len(handled) == 100
    stale = standard.make_event_data("_idle", {"seconds": 30})
    on_message(stale)  # not the pending event: ignored
    assert len(handled) == 100
    idle.augment_on_close(lambda ex: None)(StopListening())
    assert scheduler.pending() == 0
    with pytest.raises(ValueError):
        standard.make_event_data("alarm", {})


def test_idle_coordinator_rearms_after_an_idle_event_that_did_not_close():
    scheduler = Scheduler()
    standard = StandardEventScheduler(scheduler, 5, 42)
    idle = IdleEventCoordinator(standard, 0)
    handled = []
    on_message = idle.augment_on_message(handled.append)  # on__idle that does not close
    idle.refresh()
    event = idle._timeout_event
    standard.cancel(event)  # as if it had fired
    on_message(event.data)
    assert handled == [event.data] and scheduler.pending() == 0
    on_message(MESSAGE)  # the delegate lives on: the next message starts a new countdown
    assert scheduler.pending() == 1


def test_safe_dict_under_concurrent_use():
    d = SafeDict()
    errors = []

    def work(base):
        try:
            for n in range(2000):
                d[base + n] = n
                d.setdefault(base, 0)
                assert d[base + n] == n
                d.pop(base + n, None)
        except Exception as e:  # pragma: no cover - the failure being tested for
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k * 10_000,), name="telegrambot-test-safedict")
               for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert not errors and set(d) == {0, 10_000, 20_000, 30_000}


def test_answerer_takes_a_new_query_while_an_answer_is_being_sent():
    sending, release = threading.Event(), threading.Event()
    sent = []

    class SlowBot:
        def answerInlineQuery(self, query_id, results, **kwargs):
            sent.append(query_id)
            sending.set()
            release.wait(5)

    answerer = Answerer(SlowBot())
    answerer.answer({"id": "1", "from": {"id": 9}}, lambda: [])
    assert sending.wait(5)
    second = threading.Thread(target=answerer.answer, args=({"id": "2", "from": {"id": 9}}, lambda: []),
                              name="telegrambot-test-answer")
    second.start()
    second.join(2)
    blocked = second.is_alive()
    release.set()
    second.join(5)
    assert not blocked  # the delegate handing over a query does not wait on the network
    deadline = time.monotonic() + 5
    while sent != ["1", "2"]:
        assert time.monotonic() < deadline, sent
        time.sleep(0.01)


@pytest.mark.parametrize("answer, sent", [
    ([{"type": "article", "id": "1", "title": "t", "input_message_content": {"message_text": "x"}}],
     {}),
    (([{"type": "article", "id": "1", "title": "t", "input_message_content": {"message_text": "x"}}], 7, True),
     {"cache_time": 7, "is_personal": True}),
    ({"results": [], "cache_time": 9}, {"cache_time": 9}),
])
def test_answerer_answer_forms(emulator, answer, sent):
    bot = DelegatorBot(emulator.token, [], api_url=emulator.api_url)
    alice = emulator.user("Alice")
    query = alice.inline_query("q")
    Answerer(bot).answer(query, lambda: answer)
    request = emulator.wait_for_request("answerInlineQuery")
    assert request.params["inline_query_id"] == query["id"]
    for key, value in sent.items():
        assert request.params[key] == value
    bot.close_connections()

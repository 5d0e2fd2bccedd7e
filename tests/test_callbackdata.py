"""Arbitrary callback data: any object behind a button, ids on the wire, the objects back
in the updates a bot receives (polled or fed), InvalidCallbackData for what is gone, and
keyboards kept in a store surviving a restart."""

import copy
import queue
import threading

import pytest

import telegrambot
from telegrambot import Bot
from telegrambot.callbackdata import CallbackDataCache
from telegrambot.core import callbackdata as core
from telegrambot.core.callbackdata import InvalidCallbackData, Keyboards
from telegrambot.namedtuple import InlineKeyboardButton, InlineKeyboardMarkup
from telegrambot.storage import MemoryStore, SQLiteStore, UnstorableValue


def keyboard(*data, text="B%d"):
    return {"inline_keyboard": [[{"text": text % i, "callback_data": d}
                                 for i, d in enumerate(data)]]}


def ids(n):
    """A predictable id source for the core's tests."""
    counter = iter(range(n))
    return lambda: "k%015d" % next(counter)


class Presses:
    """A bot's callback_query handler: records each query's data and answers it."""

    def __init__(self, bot, answer=True):
        self.bot = bot
        self.answer = answer
        self.data = []
        self.messages = []
        self.cond = threading.Condition()

    def __call__(self, query):
        if self.answer:
            self.bot.answerCallbackQuery(query["id"])
        with self.cond:
            self.data.append(query["data"])
            self.messages.append(query.get("message"))
            self.cond.notify_all()

    def wait(self, n, timeout=5.0):
        with self.cond:
            assert self.cond.wait_for(lambda: len(self.data) >= n, timeout), self.data
            return self.data[n - 1]


def start(bot, answer=True, **kwargs):
    presses = Presses(bot, answer)
    bot.message_loop({"callback_query": presses, None: lambda msg: None}, **kwargs)
    return presses


# ------------------------------------------------------------------ the core, no I/O


def test_which_parameters_carry_keyboards_is_derived_from_the_facts():
    assert core.keyboard_params("sendMessage") == ("reply_markup",)
    assert core.keyboard_params("editMessageReplyMarkup") == ("reply_markup",)
    assert core.keyboard_params("answerInlineQuery") == ("results",)
    assert core.keyboard_params("answerWebAppQuery") == ("result",)
    assert core.keyboard_params("sendChatAction") == ()
    assert core.keyboard_params("noSuchMethod") == ()


def test_encoding_replaces_data_with_ids_and_leaves_the_callers_objects_alone():
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": ("a", 1)},
                                   {"text": "Site", "url": "https://example.org"}],
                                  [{"text": "B", "callback_data": "x" * 200}]],
              "extra": 1}
    params = {"chat_id": 1, "text": "hi", "reply_markup": markup}
    kept = core.encode_call("sendMessage", params, ids(5))
    assert kept == [("k000000000000000", [("a", 1), "x" * 200])]
    sent = params["reply_markup"]
    assert sent["extra"] == 1
    assert [[b.get("callback_data") for b in row] for row in sent["inline_keyboard"]] == [
        ["k0000000000000000", None], ["k0000000000000001"]]
    assert markup["inline_keyboard"][0][0]["callback_data"] == ("a", 1)  # untouched
    assert all(len(b["callback_data"].encode()) <= 64 for row in sent["inline_keyboard"]
               for b in row if "callback_data" in b)


def test_encoding_namedtuples_inline_results_and_markups_without_data():
    markup = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="A", callback_data=7)]])
    params = {"reply_markup": markup}
    kept = core.encode_call("editMessageReplyMarkup", params, ids(3))
    assert kept == [("k000000000000000", [7])]
    assert params["reply_markup"].inline_keyboard[0][0].callback_data == "k0000000000000000"
    assert markup.inline_keyboard[0][0].callback_data == 7

    results = [{"type": "article", "id": "1", "title": "t",
                "input_message_content": {"message_text": "m"},
                "reply_markup": keyboard({"n": 1})},
               {"type": "article", "id": "2", "title": "u",
                "input_message_content": {"message_text": "m"}}]
    params = {"inline_query_id": "q", "results": results}
    kept = core.encode_call("answerInlineQuery", params, ids(3))
    assert kept == [("k000000000000000", [{"n": 1}])]
    assert params["results"][0]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "k0000000000000000"
    assert params["results"][1] is results[1]

    url_only = {"inline_keyboard": [[{"text": "Site", "url": "https://example.org"}]]}
    for markup in (url_only, {"keyboard": [[{"text": "Yes"}]]}, '{"inline_keyboard": []}'):
        params = {"reply_markup": markup}
        assert core.encode_call("sendMessage", params, ids(1)) == []
        assert params["reply_markup"] is markup


def test_decoding_updates_results_and_what_is_not_an_id():
    table = {"k000000000000000": [("a", 1), None, "plain"]}
    lookup = table.get
    update = {"update_id": 1, "callback_query": {
        "id": "1", "data": "k0000000000000000",
        "message": {"message_id": 5, "reply_markup": keyboard("k0000000000000002", "zzz")}}}
    as_it_came = copy.deepcopy(update)
    decoded = core.decode_update(update, lookup)
    assert update == as_it_came  # a copy: what a store keeps stays the JSON that came
    query = decoded["callback_query"]
    assert query["data"] == ("a", 1) and query["id"] == "1"
    buttons = query["message"]["reply_markup"]["inline_keyboard"][0]
    assert [b["callback_data"] for b in buttons] == ["plain", InvalidCallbackData("zzz")]
    # decoding the update again gives the same objects, not data decoded twice
    assert core.decode_update(update, lookup) == decoded
    for data in ("k0000000000000009", "k00000000000000001", "k0000000000000001x",
                 "unknownkeyboard00", "", "k000000000000000\u0661"):
        assert core.decode_data(data, lookup) == InvalidCallbackData(data)
    assert core.decode_data(("already", "decoded"), lookup) == ("already", "decoded")
    # nothing to decode: the very same object, no copy
    plain = {"update_id": 2, "message": {"message_id": 1, "text": "hi"}}
    assert core.decode_update(plain, lookup) is plain
    # broken updates are left alone
    for broken in (None, [], {"callback_query": "x"}, {"message": {"reply_markup": "x"}},
                   {"message": {"reply_markup": {"inline_keyboard": ["x", [1]]}}}):
        assert core.decode_update(broken, lookup) is broken
    result = {"message_id": 1, "reply_markup": keyboard("k0000000000000000")}
    decoded = core.decode_result("sendMessage", result, lookup)
    assert decoded["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == ("a", 1)
    assert core.decode_result("sendMessage", True, lookup) is True
    assert core.decode_result("sendMediaGroup", [result], lookup) == [decoded]
    polled = [{"update_id": 1, "callback_query": {"id": "1", "data": "k0000000000000000"}}]
    assert core.decode_result("getUpdates", polled, lookup) is polled  # a loop decodes them


def test_keyboards_evict_the_least_recently_used():
    table = Keyboards(2)
    assert table.add("a", [1]) == [] and table.add("b", [2]) == []
    assert table.get("a") == [1]  # a is now the most recent
    assert table.add("c", [3]) == ["b"]
    assert table.get("b") is None and table.ids() == ["a", "c"]
    with pytest.raises(ValueError, match="at least 1"):
        Keyboards(0)


def test_invalid_callback_data_is_a_value():
    a = InvalidCallbackData("x")
    assert a == InvalidCallbackData("x") and a != InvalidCallbackData("y") and a != "x"
    assert {a: 1}[InvalidCallbackData("x")] == 1 and "x" in repr(a)
    assert telegrambot.InvalidCallbackData is InvalidCallbackData


# ------------------------------------------------------------------ over loopback


def test_objects_come_back_in_callback_queries_and_results(emulator):
    bot = Bot(emulator.token, emulator.api_url, arbitrary_callback_data=True)
    presses = start(bot)
    alice = emulator.user("Alice")
    data = [("add", 2), {"reset": True}, "a string longer than Telegram's sixty-four bytes " * 3]
    sent = bot.sendMessage(alice.id, "Pick", reply_markup=keyboard(*data))
    # the message the call returns shows the objects it was given
    assert [b["callback_data"] for b in sent["reply_markup"]["inline_keyboard"][0]] == data
    received = alice.wait_for_message()
    wire = [b["callback_data"] for b in received["reply_markup"]["inline_keyboard"][0]]
    assert all(isinstance(w, str) and len(w.encode()) <= 64 for w in wire)
    assert len(set(wire)) == 3 and not set(wire) & {d for d in data if isinstance(d, str)}
    for n, text in enumerate(("B1", "B0", "B2"), 1):
        alice.press(received, text)
        presses.wait(n)
    assert presses.data == [data[1], data[0], data[2]]
    # the message of a callback query carries the objects too
    assert [b["callback_data"] for b in presses.messages[0]["reply_markup"]["inline_keyboard"][0]] == data
    # an edit keeps new objects; the old keyboard's data stays valid as long as it is kept
    edited = bot.editMessageReplyMarkup((alice.id, sent["message_id"]),
                                        reply_markup=keyboard(frozenset({1})))
    assert edited["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == frozenset({1})
    alice.press(received, "B0")  # the emulator presses on the edited message
    assert presses.wait(4) == frozenset({1})
    assert len(bot.callback_data) == 2
    bot.stop()


def test_inline_results_carry_objects_too(emulator):
    """answerInlineQuery's results keep their keyboards' data; a press on the inline
    message a result became brings it back."""
    bot = Bot(emulator.token, emulator.api_url, arbitrary_callback_data=True)
    presses = start(bot, answer=False)
    alice = emulator.user("Alice")
    inline = alice.inline_query("tea")
    bot.answerInlineQuery(inline["id"], [{
        "type": "article", "id": "1", "title": "Tea",
        "input_message_content": {"message_text": "Tea for two"},
        "reply_markup": keyboard({"order": "tea", "cups": 2})}])
    sent = emulator.answers[inline["id"]]["results"][0]["reply_markup"]
    wire = sent["inline_keyboard"][0][0]["callback_data"]
    assert isinstance(wire, str) and len(wire) < 64
    alice.press("inline-message-1", wire)  # her press on the message the result became
    assert presses.wait(1) == {"order": "tea", "cups": 2}
    bot.stop()


def test_evicted_and_foreign_data_arrive_as_invalid_callback_data(emulator):
    plain = Bot(emulator.token, emulator.api_url)  # the feature off: strings as they are
    alice = emulator.user("Alice")
    plain.sendMessage(alice.id, "old", reply_markup=keyboard("old-data"))
    old = alice.wait_for_message()
    assert old["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "old-data"

    bot = Bot(emulator.token, emulator.api_url, arbitrary_callback_data=2)
    presses = start(bot)
    first = bot.sendMessage(alice.id, "1", reply_markup=keyboard({"n": 1}))
    for n in (2, 3):  # two more keyboards push the first out
        bot.sendMessage(alice.id, str(n), reply_markup=keyboard({"n": n}))
    messages = [alice.wait_for_message() for _ in range(3)]
    alice.press(messages[2], "B0")
    assert presses.wait(1) == {"n": 3}
    alice.press(messages[0], "B0")
    gone = presses.wait(2)
    assert isinstance(gone, InvalidCallbackData)
    assert gone.data == messages[0]["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    assert first["message_id"] == messages[0]["message_id"]
    alice.press(old, "B0")
    assert presses.wait(3) == InvalidCallbackData("old-data")
    bot.stop()
    plain.close_connections()


def test_plain_strings_are_untouched_when_the_feature_is_off(emulator):
    bot = Bot(emulator.token, emulator.api_url)
    assert bot.callback_data is None
    presses = start(bot)
    alice = emulator.user("Alice")
    markup = keyboard("colour:red")
    bot.sendMessage(alice.id, "Pick", reply_markup=markup)
    received = alice.wait_for_message()
    assert received["reply_markup"] == markup
    alice.press(received, "B0")
    assert presses.wait(1) == "colour:red"
    bot.stop()


def test_fed_updates_are_decoded_before_the_handler(emulator):
    """A queue-fed loop (webhook payloads) decodes too, and exactly once."""
    bot = Bot(emulator.token, emulator.api_url, arbitrary_callback_data=8)
    source = queue.Queue()
    presses = start(bot, answer=False, source=source)  # made-up queries
    alice = emulator.user("Alice")
    bot.sendMessage(alice.id, "Pick", reply_markup=keyboard(["a", "list"], "str"))
    received = alice.wait_for_message()
    wire = [b["callback_data"] for b in received["reply_markup"]["inline_keyboard"][0]]
    for n, data in enumerate(wire + ["forged"], 1):
        source.put({"update_id": n, "callback_query": {
            "id": str(n), "from": alice.user, "chat_instance": "1", "data": data,
            "message": received}})
        presses.wait(n)
    assert presses.data == [["a", "list"], "str", InvalidCallbackData("forged")]
    bot.stop()


def test_drop_forgets_the_keyboard_of_a_query(emulator):
    bot = Bot(emulator.token, emulator.api_url, arbitrary_callback_data=8)
    source = queue.Queue()
    dropped = []
    three = threading.Event()

    def on_query(query):
        dropped.append(query["data"])
        bot.callback_data.drop(query)  # its keyboard's data is gone from now on
        if len(dropped) == 3:
            three.set()

    bot.message_loop({"callback_query": on_query}, source=source)
    alice = emulator.user("Alice")
    bot.sendMessage(alice.id, "Pick", reply_markup=keyboard("a", "b"))
    bot.sendMessage(alice.id, "Other", reply_markup=keyboard("c"))
    first, other = alice.wait_for_message(), alice.wait_for_message()
    wire = [b["callback_data"] for b in first["reply_markup"]["inline_keyboard"][0]]
    other_id = other["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    for n, data in enumerate([wire[0], wire[1], other_id], 1):
        source.put({"update_id": n, "callback_query": {
            "id": "q%d" % n, "from": alice.user, "chat_instance": "1", "data": data}})
    assert three.wait(5), dropped
    assert dropped == ["a", InvalidCallbackData(wire[1]), "c"]
    assert len(bot.callback_data) == 0
    bot.callback_data.drop({"id": "unknown"})  # nothing to drop: nothing happens
    bot.stop()


def test_updates_polled_by_hand_come_as_they_came(emulator):
    bot = Bot(emulator.token, emulator.api_url, arbitrary_callback_data=True)
    alice = emulator.user("Alice")
    bot.sendMessage(alice.id, "Pick", reply_markup=keyboard(("x", 1)))
    alice.press(alice.wait_for_message(), "B0")
    (update,) = bot.getUpdates(timeout=5)
    wire = update["callback_query"]["data"]
    assert isinstance(wire, str)  # as Telegram sent it: a store could keep it as it is
    assert bot.callback_data.decode_update(update)["callback_query"]["data"] == ("x", 1)
    bot.close_connections()


def test_data_a_store_cannot_keep_fails_before_anything_is_sent(emulator):
    store = MemoryStore()
    bot = Bot(emulator.token, emulator.api_url,
              arbitrary_callback_data=CallbackDataCache(16, store=store))
    alice = emulator.user("Alice")
    with pytest.raises(UnstorableValue, match="callback_data of a keyboard sent with sendMessage"):
        bot.sendMessage(alice.id, "Pick", reply_markup=keyboard(object()))
    bot.sendMessage(alice.id, "after", reply_markup=keyboard(["json", 1]))
    assert alice.wait_for_message()["text"] == "after"  # the first was never sent
    assert len(bot.callback_data) == 1 and len(store.kv_items("callback_data")) == 1
    bot.close_connections()
    store.close()


def test_keyboards_in_sqlite_survive_a_restart(emulator, tmp_path):
    path = tmp_path / "bot.sqlite"
    store = SQLiteStore(path)
    bot = Bot(emulator.token, emulator.api_url,
              arbitrary_callback_data=CallbackDataCache(2, store=store))
    alice = emulator.user("Alice")
    for n in range(3):  # the store keeps the newest two
        bot.sendMessage(alice.id, str(n), reply_markup=keyboard({"n": n}, ["t", n]))
    messages = [alice.wait_for_message() for _ in range(3)]
    bot.close_connections()
    store.close()

    store = SQLiteStore(path)  # a new process would do just this
    cache = CallbackDataCache(2, store=store)
    assert len(cache) == 2
    bot = Bot(emulator.token, emulator.api_url, arbitrary_callback_data=cache)
    presses = start(bot)
    alice.press(messages[2], "B1")
    assert presses.wait(1) == ["t", 2]
    alice.press(messages[1], "B0")
    assert presses.wait(2) == {"n": 1}
    alice.press(messages[0], "B0")
    assert isinstance(presses.wait(3), InvalidCallbackData)
    bot.stop()
    store.close()


def test_a_keyboard_pushed_out_of_memory_is_read_back_from_the_store(emulator):
    store = MemoryStore()
    cache = CallbackDataCache(1, store=store)
    bot = Bot(emulator.token, emulator.api_url, arbitrary_callback_data=cache)
    presses = start(bot)
    alice = emulator.user("Alice")
    bot.sendMessage(alice.id, "1", reply_markup=keyboard("one"))
    first = alice.wait_for_message()
    cache._keyboards.clear()  # as if memory had pushed it out while the store kept it
    alice.press(first, "B0")
    assert presses.wait(1) == "one"
    cache.clear()
    alice.press(first, "B0")
    assert presses.wait(2) == InvalidCallbackData(
        first["reply_markup"]["inline_keyboard"][0][0]["callback_data"])
    assert store.kv_items("callback_data") == []
    bot.stop()
    store.close()


def test_wrong_arguments_fail_at_construction(emulator):
    with pytest.raises(ValueError, match="at least 1"):
        Bot(emulator.token, emulator.api_url, arbitrary_callback_data=0)
    with pytest.raises(TypeError, match="arbitrary_callback_data must be"):
        Bot(emulator.token, emulator.api_url, arbitrary_callback_data="yes")
    with pytest.raises(TypeError, match="store must be"):
        CallbackDataCache(4, store=object())
    bot = Bot(emulator.token, emulator.api_url, arbitrary_callback_data=5)
    assert bot.callback_data.maxsize == 5
    with pytest.raises(TypeError, match="'chat_id' is required"):
        bot.sendMessage(None, "x", reply_markup=keyboard("kept?"))
    assert len(bot.callback_data) == 0  # a wrong call keeps nothing
    assert bot.callback_data.namespace == "callback_data:%d" % bot.id


def test_a_delegate_sends_and_gets_objects(emulator):
    """DelegatorBot takes the option too: a chat's delegate sends objects through its
    sender and its on_callback_query gets them back."""
    from telegrambot import DelegatorBot
    from telegrambot.delegate import (
        create_open,
        include_callback_query_chat_id,
        pave_event_space,
        per_chat_id,
    )
    from telegrambot.helper import ChatHandler

    got = queue.Queue()

    class Shop(ChatHandler):
        def on_chat_message(self, msg):
            self.sender.sendMessage("Buy?", reply_markup=keyboard({"sku": 7, "qty": 2}))

        def on_callback_query(self, msg):
            self.bot.answerCallbackQuery(msg["id"])
            got.put((self.chat_id, msg["data"]))

    bot = DelegatorBot(emulator.token, [
        include_callback_query_chat_id(pave_event_space())(
            per_chat_id(), create_open, Shop, timeout=10)],
        api_url=emulator.api_url, arbitrary_callback_data=True)
    bot.message_loop()
    alice = emulator.user("Alice")
    alice.send("hi")
    alice.press(alice.wait_for_message(), "B0")
    assert got.get(timeout=5) == (alice.id, {"sku": 7, "qty": 2})
    bot.stop()


def test_a_bot_with_a_store_keeps_its_keyboards_there(emulator, tmp_path):
    """Bot(store=..., arbitrary_callback_data=True): the keyboards go into the bot's store
    (under the bot's own namespace), updates stay JSON in its durable inbox, and a new bot
    on the same file still knows the buttons."""
    path = str(tmp_path / "bot.db")
    store = SQLiteStore(path)
    bot = Bot(emulator.token, emulator.api_url, store=store, arbitrary_callback_data=True)
    assert bot.callback_data.store is store
    presses = start(bot)
    alice = emulator.user("Alice")
    bot.sendMessage(alice.id, "Pick", reply_markup=keyboard({"a": [1, 2]}, "b"))
    menu = alice.wait_for_message()
    alice.press(menu, "B0")
    assert presses.wait(1) == {"a": [1, 2]}
    assert len(store.kv_items("callback_data:%d" % bot.id)) == 1
    bot.stop()
    store.close()

    store = SQLiteStore(path)
    bot = Bot(emulator.token, emulator.api_url, store=store, arbitrary_callback_data=True)
    presses = start(bot)
    alice.press(menu, "B1")
    assert presses.wait(1) == "b"
    bot.stop()
    store.close()

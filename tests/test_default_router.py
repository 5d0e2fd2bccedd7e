"""telepot's surface on Bot: lazy submodules, the default router (on_<flavor> methods),
SpeakerBot with its microphone and listeners, flavor_router."""

import logging
import os
import queue
import subprocess
import sys
import threading

import pytest

import telegrambot
from telegrambot import Bot, DelegatorBot, SpeakerBot, flavor_router
from telegrambot.exception import WaitTooLong
from telegrambot.helper import Listener, Microphone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUBMODULES = ("aio", "api", "asgi", "bot", "callbackdata", "chatmember", "conversation", "core",
              "deeplink", "delegate", "demo", "exception", "helper", "loop", "namedtuple",
              "passport", "ratelimit", "routing", "scheduler",
              "storage", "testing", "text", "transport", "webapp", "webhook")


def _run(code):
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_submodules_are_attributes_of_a_bare_import_loaded_on_first_use():
    package = os.path.join(ROOT, "telegrambot")
    public = {p[:-3] for p in os.listdir(package) if p.endswith(".py") and not p.startswith("_")}
    public |= {p for p in os.listdir(package) if not p.startswith("_")
               and os.path.isfile(os.path.join(package, p, "__init__.py"))}
    assert public - {"__main__"} == set(SUBMODULES)  # a new module is listed too
    # telepot code writes telepot.helper.ChatHandler after a bare ``import telepot``
    code = (
        "import sys, telegrambot\n"
        "before = sorted(m for m in sys.modules if m.startswith('telegrambot.'))\n"
        "handler = telegrambot.helper.ChatHandler\n"
        "after = sorted(m for m in sys.modules if m.startswith('telegrambot.'))\n"
        "print(before, handler is sys.modules['telegrambot.helper'].ChatHandler,"
        " 'telegrambot.namedtuple' in after, 'telegrambot.helper' in after)\n"
    )
    assert _run(code) == "[] True False True"
    for name in SUBMODULES:
        module = getattr(telegrambot, name)
        assert module.__name__ == "telegrambot." + name
        assert name in dir(telegrambot)
    with pytest.raises(AttributeError, match="no attribute 'nonesuch'"):
        telegrambot.nonesuch  # noqa: B018


class Skeleton(Bot):
    """A telepot-style bot: on_* methods and message_loop() with no callback."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seen = queue.Queue()

    def on_chat_message(self, msg):
        content_type, chat_type, chat_id = telegrambot.glance(msg)
        self.sendMessage(chat_id, "chat: %s" % msg.get("text"))

    def on_edited_chat_message(self, msg):
        self.sendMessage(msg["chat"]["id"], "edited: %s" % msg["text"])

    def on_callback_query(self, msg):
        query_id, from_id, data = telegrambot.glance(msg, flavor="callback_query")
        self.answerCallbackQuery(query_id, text="pressed %s" % data)

    def on_inline_query(self, msg):
        query_id, from_id, query = telegrambot.glance(msg, flavor="inline_query")
        self.answerInlineQuery(query_id, [{"type": "article", "id": "1", "title": query,
                                           "input_message_content": {"message_text": query}}])

    def on_chosen_inline_result(self, msg):
        self.seen.put(("chosen", msg["result_id"]))

    def on_shipping_query(self, msg):
        self.answerShippingQuery(msg["id"], False, error_message="nowhere")

    def on_pre_checkout_query(self, msg):
        self.answerPreCheckoutQuery(msg["id"], True)

    def on__tick(self, event):
        self.seen.put(("tick", event["_tick"]["n"]))


def test_bot_subclass_routes_each_flavor_to_its_method(emulator, caplog):
    bot = Skeleton(emulator.token, api_url=emulator.api_url)
    alice = emulator.user("Alice")
    try:
        with caplog.at_level(logging.DEBUG, logger="telegrambot.helper"):
            bot.message_loop()
            sent = alice.send("hello")
            assert alice.wait_for_message()["text"] == "chat: hello"
            alice.edit(sent, "hello again")
            assert alice.wait_for_message()["text"] == "edited: hello again"
            keyboard = bot.sendMessage(alice.id, "press", reply_markup={
                "inline_keyboard": [[{"text": "A", "callback_data": "a"}]]})
            alice.wait_for_message()
            query = alice.press(keyboard, "a")
            assert emulator.wait_until(lambda: emulator.answers.get(query["id"]))["text"] == "pressed a"
            inline = alice.inline_query("weather")
            assert emulator.wait_until(lambda: emulator.answers.get(inline["id"]))["results"][0]["title"] == "weather"
            alice.choose_inline_result("1", "weather")
            assert bot.seen.get(timeout=5) == ("chosen", "1")
            shipping = alice.shipping_query("p")
            assert emulator.wait_until(lambda: emulator.answers.get(shipping["id"]))["ok"] is False
            checkout = alice.pre_checkout_query("p")
            assert emulator.wait_until(lambda: emulator.answers.get(checkout["id"]))["ok"] is True
            bot.scheduler.event_now({"_tick": {"n": 1}})
            assert bot.seen.get(timeout=5) == ("tick", 1)
            # flavors without a method are ignored; the bot goes on
            alice.block_bot()
            alice.unblock_bot()
            alice.send("still there?")
            assert alice.wait_for_message()["text"] == "chat: still there?"
    finally:
        bot.stop()
        bot.close_connections()
    ignored = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert "Skeleton has no on_my_chat_member(): my_chat_member ignored" in ignored
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_router_of_a_bot_can_be_customised(emulator):
    done = threading.Event()

    class Alarm(Bot):
        def on_chat_message(self, msg):
            self.scheduler.event_later(0.01, {"_alarm": {"chat": msg["chat"]["id"]}})

    bot = Alarm(emulator.token, api_url=emulator.api_url)
    bot.router.routing_table["_alarm"] = lambda event: (
        bot.sendMessage(event["_alarm"]["chat"], "beep"), done.set())
    alice = emulator.user("Alice")
    try:
        bot.message_loop()
        alice.send("wake me")
        assert alice.wait_for_message()["text"] == "beep"
        assert done.wait(5)
    finally:
        bot.stop()
        bot.close_connections()


def test_a_routing_table_entry_wins_over_the_method(emulator):
    class Both(Bot):
        def on_chat_message(self, msg):
            self.sendMessage(msg["chat"]["id"], "from the method")

    bot = Both(emulator.token, api_url=emulator.api_url)
    bot.router.routing_table["chat"] = lambda msg: bot.sendMessage(msg["chat"]["id"], "from the table")
    alice = emulator.user("Alice")
    try:
        bot.message_loop()
        alice.send("hi")
        assert alice.wait_for_message()["text"] == "from the table"
    finally:
        bot.stop()
        bot.close_connections()


def test_a_bot_with_nothing_to_route_to_fails_when_the_loop_starts(emulator):
    bare = Bot(emulator.token, api_url=emulator.api_url)
    with pytest.raises(TypeError, match="Bot has nothing to handle updates with: pass a callback"):
        bare.message_loop()

    class Empty(Bot):
        pass

    with pytest.raises(TypeError, match="Empty has nothing to handle updates"):
        telegrambot.loop.MessageLoop(Empty(emulator.token, api_url=emulator.api_url))
    with pytest.raises(TypeError):
        telegrambot.loop.Webhook(bare)
    # a callback, a routing table entry, or a handle of its own is enough
    bare.router.routing_table["chat"] = lambda msg: None
    loop = telegrambot.loop.Webhook(bare)
    assert loop.bot is bare

    class Own(Bot):
        def handle(self, msg):
            pass

    telegrambot.loop.Webhook(Own(emulator.token, api_url=emulator.api_url))
    bare.close_connections()


def test_speaker_bot_broadcasts_to_its_listeners(emulator):
    """telepot's SpeakerBot: handle() sends to the mic; threads wait on their listeners."""
    replies = {}

    class Broadcaster(SpeakerBot):
        def handle(self, msg):
            self.mic.send(msg)

    bot = Broadcaster(emulator.token, api_url=emulator.api_url)
    alice, bob = emulator.user("Alice"), emulator.user("Bob")
    listeners = {}
    for user in (alice, bob):
        listener = bot.create_listener()
        assert isinstance(listener, Listener)
        listener.capture([{"chat": {"id": user.id}}])
        listeners[user.id] = listener

    def follow(user_id):
        listener = listeners[user_id]
        texts = []
        try:
            while True:
                texts.append(listener.wait(timeout=5)["text"])
                if texts[-1] == "bye":
                    break
        except WaitTooLong:
            pass
        replies[user_id] = texts
        listener.close()

    threads = [threading.Thread(target=follow, args=(uid,), name="test-follow") for uid in listeners]
    for thread in threads:
        thread.start()
    raw = queue.Queue()
    bot.mic.add(raw)
    assert isinstance(bot.mic, Microphone)
    try:
        bot.message_loop()
        alice.send("one")
        bob.send("two")
        alice.send("bye")
        bob.send("bye")
        for thread in threads:
            thread.join(10)
    finally:
        bot.stop()
        bot.close_connections()
    assert replies == {alice.id: ["one", "bye"], bob.id: ["two", "bye"]}
    assert [raw.get_nowait()["text"] for _ in range(4)] == ["one", "two", "bye", "bye"]
    bot.mic.remove(raw)


def test_delegator_bot_is_a_speaker_bot_whose_mic_is_its_hub(emulator):
    bot = DelegatorBot(emulator.token, [], api_url=emulator.api_url)
    assert isinstance(bot, SpeakerBot)
    listener = bot.create_listener()
    listener.capture([{"text": "ping"}])
    assert bot.mic.send({"text": "ping"}) == 1
    assert listener.wait(timeout=1) == {"text": "ping"}
    listener.close()
    bot.close_connections()


def test_flavor_router_routes_by_flavor():
    calls = []
    route = flavor_router({"chat": lambda msg: calls.append("chat"),
                           "callback_query": lambda msg: calls.append("callback"),
                           None: lambda msg: calls.append("default")})
    route({"message_id": 1, "chat": {"id": 1, "type": "private"}, "date": 0, "text": "x"})
    route({"id": "1", "from": {"id": 1}, "chat_instance": "c", "data": "d"})
    route({"id": "2", "from": {"id": 1}, "query": "", "offset": ""})
    assert calls == ["chat", "callback", "default"]


def test_user_handlers_take_edited_messages_by_default_as_in_telepot(emulator):
    from telegrambot.delegate import create_open, pave_event_space, per_from_id
    from telegrambot.helper import UserHandler

    assert telegrambot.chat_flavors == ["chat", "edited_chat"]

    class Echo(UserHandler):
        def on_chat_message(self, msg):
            self.sender.sendMessage(("edited: " if "edit_date" in msg else "new: ") + msg["text"])

    bot = DelegatorBot(emulator.token, [
        pave_event_space()(per_from_id(), create_open, Echo, timeout=30),
    ], api_url=emulator.api_url)
    alice = emulator.user("Alice")
    try:
        bot.message_loop()
        sent = alice.send("one")
        assert alice.wait_for_message()["text"] == "new: one"
        alice.edit(sent, "uno")
        assert alice.wait_for_message()["text"] == "edited: uno"
    finally:
        bot.stop()
        bot.close_connections()

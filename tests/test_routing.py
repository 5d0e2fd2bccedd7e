"""telegrambot.routing: every key function and table factory, on messages from the emulator,
through a Router."""

import re

import pytest

from telegrambot._flavor import all_content_types
from telegrambot.helper import Router
from telegrambot.routing import (
    by_chat_command,
    by_command,
    by_content_type,
    by_data,
    by_regex,
    by_text,
    lower_key,
    make_content_type_routing_table,
    make_routing_table,
    process_key,
    upper_key,
)


class Handlers:
    """on_<name> methods that record their calls."""

    def __init__(self):
        self.calls = []

    def __getattr__(self, name):
        if not name.startswith("on_"):
            raise AttributeError(name)
        return lambda msg, *args, **kwargs: self.calls.append((name, args, kwargs))


@pytest.fixture
def alice(emulator):
    return emulator.user("Alice")


def test_by_content_type_routes_to_on_content_type(alice):
    handlers = Handlers()
    router = Router(by_content_type(), make_content_type_routing_table(handlers))
    text = alice.send("hi")
    photo = alice.send_photo(caption="look")
    router.route(text)
    router.route(photo)
    assert handlers.calls == [("on_text", ("hi",), {}), ("on_photo", (photo["photo"],), {})]
    assert by_content_type()({"message_id": 1, "chat": {"id": 1}, "date": 0}) == (None, (None,))


def test_content_type_table_covers_every_content_type():
    table = make_content_type_routing_table(Handlers(), prefix="handle_")
    assert set(table) == set(all_content_types)
    assert {"text", "photo", "checklist", "paid_media", "gift", "unique_gift", "story",
            "giveaway", "new_chat_members", "forum_topic_created", "video_chat_started"} <= set(table)


def test_by_chat_command(alice):
    handlers = Handlers()
    table = make_routing_table(handlers, ["start", "settings", ((None,), handlers.on_plain), (None, handlers.on_other)])
    router = Router(by_chat_command(), table)
    router.route(alice.send("/start"))
    router.route(alice.send("/settings now please"))
    router.route(alice.send("just text"))
    router.route(alice.send("/unknown"))
    assert handlers.calls == [("on_start", (), {}), ("on_settings", (), {}),
                              ("on_plain", (), {}), ("on_other", (), {})]

    with_args = by_chat_command(pass_args=True)
    assert with_args(alice.send("/add 1 2")) == ("add", (["1", "2"],))
    assert with_args(alice.send("no command")) == ((None,),)
    assert by_chat_command(prefix="!", separator=",")(alice.send("!go,now")) == ("go", ())


def test_by_chat_command_on_messages_without_text(alice):
    handlers = Handlers()
    table = {"start": handlers.on_start, (None,): handlers.on_no_command, None: handlers.on_other}
    router = Router(by_chat_command(pass_args=True), table)
    photo = alice.send_photo(caption="/start")  # commands come from text only
    router.route(photo)
    router.route(alice.send(location={"latitude": 1.5, "longitude": 2.5}))
    router.route(alice.send("/start now"))
    assert handlers.calls == [("on_no_command", (), {}), ("on_no_command", (), {}),
                              ("on_start", (["now"],), {})]
    assert by_text()(photo) == ((None,),)
    assert by_regex(lambda msg: msg.get("text"), r"(\w+)")(photo) == ((None,),)


def test_by_chat_command_with_the_bots_username(emulator, alice):
    group = emulator.group("Friends", [alice])
    key = by_chat_command(pass_args=True, username="@Emulator_Bot")  # any case, "@" or not
    assert key(alice.send("/start@emulator_bot 1 2", chat=group)) == ("start", (["1", "2"],))
    assert key(alice.send("/start@EMULATOR_BOT", chat=group)) == ("start", ([],))
    assert key(alice.send("/start", chat=group)) == ("start", ([],))
    assert key(alice.send("/start@other_bot 1", chat=group)) == ((None,),)  # not ours
    assert key(alice.send("/start@", chat=group)) == ("start@", ([],))  # names no bot

    # without a username, a command naming a bot is taken as this bot's
    assert by_chat_command()(alice.send("/help@any_bot", chat=group)) == ("help", ())


def test_by_chat_command_learns_the_username_once_when_needed(emulator, bot, alice):
    calls = []

    def username():
        calls.append(1)
        return bot.getMe()["username"]

    key = by_chat_command(username=username)
    assert key(alice.send("/start")) == ("start", ())
    assert calls == []  # no command named a bot yet: nothing asked
    assert key(alice.send("/start@%s" % emulator.bot_user["username"])) == ("start", ())
    assert key(alice.send("/stop@someone_else_bot")) == ((None,),)
    assert key(alice.send("/stop@" + emulator.bot_user["username"])) == ("stop", ())
    assert calls == [1]
    assert [r.method for r in emulator.requests].count("getMe") == 1


def test_by_chat_command_refuses_a_username_it_cannot_use(alice):
    with pytest.raises(TypeError, match="username must be the bot's username"):
        by_chat_command(username=42)
    key = by_chat_command(username=lambda: None)
    assert key(alice.send("/start")) == ("start", ())
    with pytest.raises(ValueError, match="returned None, not a username"):
        key(alice.send("/start@emulator_bot"))


def test_by_command_on_any_field_with_several_prefixes(alice):
    key = by_command(lambda msg: msg["caption"], prefix=("/", "#"), pass_args=True)
    assert key(alice.send_photo(caption="#tag more")) == ("tag", (["more"],))
    assert key(alice.send_photo(caption="/cmd")) == ("cmd", ([],))
    assert key(alice.send_photo(caption="plain")) == ((None,),)


def test_by_text_and_by_data(emulator, bot, alice):
    handlers = Handlers()
    router = Router(by_text(), make_routing_table(handlers, ["yes", "no"]))
    router.route(alice.send("yes"))
    router.route(alice.send("no"))
    assert [c[0] for c in handlers.calls] == ["on_yes", "on_no"]

    sent = bot.sendMessage(alice.id, "pick", reply_markup={"inline_keyboard": [[{"text": "A", "callback_data": "alpha"}]]})
    query = alice.press(sent, "alpha")
    assert by_data()(query) == "alpha"
    Router(by_data(), make_routing_table(handlers, ["alpha"])).route(query)
    assert handlers.calls[-1] == ("on_alpha", (), {})


def test_by_regex(alice):
    key = by_regex(lambda msg: msg["text"], r"order (\d+)")
    found = key(alice.send("about order 66 today"))
    assert found[0] == "66" and found[1][0].group(0) == "order 66"
    assert key(alice.send("nothing here")) == ((None,),)

    two = by_regex(lambda msg: msg["text"], re.compile(r"(\w+)@(\w+)"), key=(1, 2))
    assert two(alice.send("mail bob@home"))[0] == ("bob", "home")

    handlers = Handlers()
    router = Router(key, {"66": handlers.on_order, (None,): handlers.on_nothing})
    router.route(alice.send("order 66"))
    router.route(alice.send("hello"))
    assert [c[0] for c in handlers.calls] == ["on_order", "on_nothing"]
    assert handlers.calls[0][1][0].group(1) == "66"  # the match is passed on


def test_process_lower_and_upper_key(alice):
    msg = alice.send("/Start Now")
    assert lower_key(by_chat_command())(msg) == ("start", ())
    assert upper_key(by_chat_command(pass_args=True))(msg) == ("START", (["Now"],))
    assert lower_key(by_chat_command())(alice.send("no command")) == ((None,),)  # not a string: kept
    assert upper_key(by_text())(msg) == "/START NOW"
    assert process_key(len, by_text())(msg) == 10
    assert process_key(lambda k: k * 2, lambda m: ["ab", 1])(msg) == ("abab", 1)


def test_make_routing_table_shapes():
    handlers = Handlers()
    custom = object()
    table = make_routing_table(handlers, ["a", ("b",), ("c", custom)], prefix="on_")
    assert set(table) == {"a", "b", "c"} and table["c"] is custom
    table["a"]("msg", 1, x=2)
    table["b"]("msg")
    assert handlers.calls == [("on_a", (1,), {"x": 2}), ("on_b", (), {})]

    class Late:  # methods are looked up when called, so they need not all exist
        def do_a(self, msg, *args, **kwargs):
            return ("a", args, kwargs)

    late = Late()
    assert make_routing_table(late, ["a"], prefix="do_")["a"]("m", 1, x=2) == ("a", (1,), {"x": 2})
    with pytest.raises(AttributeError):
        make_routing_table(late, ["missing"])["missing"]("m")
    with pytest.raises(ValueError):
        make_routing_table(late, [("a", 1, 2)])

"""Every Bot API method answers, with a result shaped as its declared return type; state;
the standalone command."""

import io
import json
import subprocess
import sys

import pytest
import urllib3

from telegrambot.__main__ import _read_lines, build_parser
from telegrambot.testing import Emulator, check_shape
from telegrambot.testing._facts import facts

FACTS = facts()

# parameter values that the generic filler cannot guess
FIXED = {
    "text": "hello", "question": "Q?", "options": [{"text": "a"}, {"text": "b"}],
    "commands": [{"command": "start", "description": "Start"}], "prices": [{"label": "x", "amount": 5}],
    "currency": "XTR", "custom_emoji_ids": ["1"], "emoji_list": ["\U0001f600"], "sticker_format": "static",
    "format": "static", "action": "typing", "web_app_url": "https://example.org/app",
    "permissions": {"can_send_messages": True}, "limit": 1, "latitude": 1.5, "longitude": 2.5,
    "stickers": [{"sticker": "attach://upload", "format": "static", "emoji_list": ["\U0001f600"]}],
    "media": [{"type": "photo", "media": "attach://upload"}, {"type": "photo", "media": "attach://upload"}],
    "url": "http://127.0.0.1:9/hook", "errors": [], "message_thread_id": 1, "ephemeral_message_id": 1, "story_id": 1, "from_story_id": 1,
}


class World:
    """The people and chats the method calls refer to."""

    def __init__(self, emu):
        self.emu = emu
        self.bob = emu.user("Bob")
        self.alice = emu.user("Alice")
        self.group = emu.supergroup("Team", members=[self.bob, self.alice], forum=True)
        self.group.bot_status = "administrator"
        self.channel = emu.channel("News")
        self.business = self.alice.connect_business()

    def params(self, method):
        """Plausible values for the required parameters of ``method`` (plus message ids)."""
        info = FACTS.methods[method]
        names = [p["name"] for p in info["params"] if p["required"]]
        returns = info["returns"]
        if "Message" in returns and returns != ["Message"] or method in ("stopPoll", "setGameScore"):
            names += ["chat_id", "message_id"]
        params, files = {}, {}
        for name in dict.fromkeys(names):
            types = FACTS.param_types[method][name]
            if "InputFile" in types:
                files[name] = ("upload.jpg", b"file bytes")
                continue
            params[name] = self.value(method, name, types)
        if method == "editMessageMedia":
            params["media"] = {"type": "photo", "media": "attach://upload"}
        extra = {"editMessageCaption": {"caption": "new caption"}, "editMessageText": {"text": "new"},
                 "editMessageReplyMarkup": {"reply_markup": {"inline_keyboard": [[{"text": "a", "callback_data": "a"}]]}}}
        params.update(extra.get(method, {}))
        if method == "sendPaidMedia":
            params["media"] = [{"type": "photo", "media": "attach://upload"}]
        if "attach://upload" in json.dumps(params):
            files["upload"] = ("upload.jpg", b"file bytes")
        return params, files

    def value(self, method, name, types):
        emu = self.emu
        if name in ("chat_id", "from_chat_id"):
            return self.group.id
        if name in ("user_id", "receiver_user_id", "new_owner_chat_id"):
            if method in ("approveChatJoinRequest", "declineChatJoinRequest"):
                return emu.user("Requester").request_join(self.group)["from"]["id"]
            return self.alice.id
        if name == "sender_chat_id":
            return self.channel.id
        if name in ("message_id", "message_ids"):
            if method == "stopPoll":
                sent = emu.call("sendPoll", {"chat_id": self.group.id, "question": "Q?", "options": ["a", "b"]}, {})
            elif method == "editMessageCaption":
                sent = emu.call("sendPhoto", {"chat_id": self.group.id}, {"photo": ("p.jpg", b"jpg")})
            else:
                sent = emu.call("sendMessage", {"chat_id": self.group.id, "text": "x"}, {})
            return sent["message_id"] if name == "message_id" else [sent["message_id"]]
        if name == "business_connection_id":
            return self.business["id"]
        if name == "file_id":
            return emu.store_file(b"stored").file_id
        if name == "invite_link":
            return emu.call("createChatInviteLink", {"chat_id": self.group.id}, {})["invite_link"]
        if name.endswith("query_id"):
            kind = name[: -len("_id")]
            query_id = emu.new_id("q")
            emu._queries[query_id] = kind
            return query_id
        if name in FIXED:
            return FIXED[name]
        first = types[0]
        if first in ("Integer", "Float"):
            return 1
        if first == "Boolean":
            return True
        if first == "String":
            return "value"
        return FACTS.build(first)


@pytest.fixture
def world(emulator):
    return World(emulator)


@pytest.fixture(scope="module")
def http():
    pool = urllib3.PoolManager(retries=False, timeout=10.0)
    yield pool
    pool.clear()


def call_http(http, emu, method, params, files):
    url = "%s/bot%s/%s" % (emu.api_url, emu.token, method)
    if files:
        fields = {k: json.dumps(v) if not isinstance(v, str) else v for k, v in params.items()}
        fields.update(files)
        response = http.request("POST", url, fields=fields)
    else:
        response = http.request("POST", url, body=json.dumps(params), headers={"Content-Type": "application/json"})
    return response.status, json.loads(response.data)


@pytest.mark.parametrize("method", sorted(FACTS.methods))
def test_every_method_answers_with_its_declared_type(method, world, emulator, http):
    if method == "getUpdates":
        pytest.skip("covered in test_emulator.py")
    params, files = world.params(method)
    status, answer = call_http(http, emulator, method, params, files)
    assert status == 200, answer
    assert answer["ok"] is True
    returns = FACTS.methods[method]["returns"]
    if "Boolean" in returns and answer["result"] is True:
        return
    check_shape(answer["result"], returns[0])


def test_the_method_list_is_complete():
    assert len(FACTS.methods) == 185 and len(FACTS.update_types) == 27


@pytest.mark.parametrize("method", sorted(m for m, info in FACTS.methods.items()
                                          if any(p["required"] for p in info["params"])))
def test_every_method_rejects_a_missing_required_parameter(method, emulator, http):
    status, answer = call_http(http, emulator, method, {}, {})
    assert status == 400 and answer["ok"] is False and answer["error_code"] == 400
    assert answer["description"].startswith("Bad Request: ")


# -- state kept across calls ---------------------------------------------------------------------


def test_settings_round_trip(emulator):
    commands = [{"command": "start", "description": "Begin"}]
    assert emulator.call("getMyCommands", {}, {}) == []
    emulator.call("setMyCommands", {"commands": commands}, {})
    emulator.call("setMyCommands", {"commands": [], "language_code": "de"}, {})
    assert emulator.call("getMyCommands", {}, {}) == commands
    emulator.call("deleteMyCommands", {}, {})
    assert emulator.call("getMyCommands", {}, {}) == []
    emulator.call("setMyName", {"name": "Robo"}, {})
    assert emulator.call("getMyName", {}, {}) == {"name": "Robo"}
    emulator.call("setMyDescription", {"description": "Does things"}, {})
    assert emulator.call("getMyDescription", {}, {}) == {"description": "Does things"}


def test_chat_state(emulator):
    alice, bob = emulator.user("Alice"), emulator.user("Bob")
    group = emulator.group("Team", members=[alice, bob])
    assert emulator.call("getChatMemberCount", {"chat_id": group.id}, {}) == 3
    assert emulator.call("getChatMember", {"chat_id": group.id, "user_id": alice.id}, {})["status"] == "creator"
    emulator.call("banChatMember", {"chat_id": group.id, "user_id": bob.id}, {})
    assert emulator.call("getChatMember", {"chat_id": group.id, "user_id": bob.id}, {})["status"] == "kicked"
    assert emulator.call("getChatMemberCount", {"chat_id": group.id}, {}) == 2
    emulator.call("setChatTitle", {"chat_id": group.id, "title": "Renamed"}, {})
    info = emulator.call("getChat", {"chat_id": group.id}, {})
    check_shape(info, "ChatFullInfo")
    assert info["title"] == "Renamed" and info["type"] == "group"
    admins = emulator.call("getChatAdministrators", {"chat_id": group.id}, {})
    assert [a["user"]["id"] for a in admins] == [alice.id]
    emulator.call("leaveChat", {"chat_id": group.id}, {})
    with pytest.raises(Exception, match="not a member"):
        emulator.call("sendMessage", {"chat_id": group.id, "text": "x"}, {})


def test_forward_and_copy(emulator):
    alice, bob = emulator.user("Alice"), emulator.user("Bob")
    hers = alice.send("original")
    forwarded = emulator.call("forwardMessage", {"chat_id": bob.id, "from_chat_id": alice.id,
                                                 "message_id": hers["message_id"]}, {})
    assert forwarded["text"] == "original" and forwarded["forward_origin"]["sender_user"] == alice.user
    copied = emulator.call("copyMessage", {"chat_id": bob.id, "from_chat_id": alice.id,
                                           "message_id": hers["message_id"]}, {})
    assert emulator.transcript(bob)[-1]["message_id"] == copied["message_id"]
    assert "forward_origin" not in emulator.transcript(bob)[-1]
    with pytest.raises(Exception, match="message to forward not found"):
        emulator.call("forwardMessage", {"chat_id": bob.id, "from_chat_id": alice.id, "message_id": 99}, {})


def test_sent_media_keep_their_file_id(emulator):
    alice = emulator.user("Alice")
    first = emulator.call("sendAudio", {"chat_id": alice.id, "title": "Song", "duration": 3},
                          {"audio": ("song.mp3", b"ID3")})
    assert first["audio"]["title"] == "Song" and first["audio"]["mime_type"] == "audio/mpeg"
    again = emulator.call("sendAudio", {"chat_id": alice.id, "audio": first["audio"]["file_id"]}, {})
    assert again["audio"]["file_id"] == first["audio"]["file_id"]
    with pytest.raises(Exception, match="wrong file identifier"):
        emulator.call("sendAudio", {"chat_id": alice.id, "audio": "no-such-id"}, {})
    by_url = emulator.call("sendDocument", {"chat_id": alice.id, "document": "https://example.org/a.pdf"}, {})
    assert by_url["document"]["file_name"] == "a.pdf"


def test_stop_poll_closes_it_once(emulator):
    alice = emulator.user("Alice")
    sent = emulator.call("sendPoll", {"chat_id": alice.id, "question": "?", "options": ["a", "b"]}, {})
    poll = emulator.call("stopPoll", {"chat_id": alice.id, "message_id": sent["message_id"]}, {})
    assert poll["is_closed"] is True
    with pytest.raises(Exception, match="poll has already been closed"):
        emulator.call("stopPoll", {"chat_id": alice.id, "message_id": sent["message_id"]}, {})


# -- the standalone command -----------------------------------------------------------------------


def test_cli_parser_has_emulator_and_demo():
    args = build_parser().parse_args(["emulator", "--port", "0", "--token", "1:x"])
    assert (args.port, args.token, args.host) == (0, "1:x", "127.0.0.1")
    assert build_parser().parse_args(["demo"]).command == "demo"


def test_cli_stdin_lines_become_user_messages(capsys):
    with Emulator() as emu:
        _read_lines(emu, io.StringIO("Alice: hello\nand more\nBob: hi: there\n"))
        texts = [(u["message"]["from"]["first_name"], u["message"]["text"]) for u in emu.updates]
    assert texts == [("Alice", "hello"), ("Alice", "and more"), ("Bob", "hi: there")]
    assert 'Alice -> bot: "hello"' in capsys.readouterr().out


def test_cli_control_endpoint(emulator, http):
    response = http.request("POST", emulator.api_url + "/_emulator/send", fields={"user": "Zoe", "text": "yo"})
    assert json.loads(response.data)["result"]["text"] == "yo"
    assert emulator.updates[-1]["message"]["from"]["first_name"] == "Zoe"
    assert http.request("POST", emulator.api_url + "/_emulator/send", fields={"user": "Zoe"}).status == 400


def test_cli_serves_until_stdin_ends():
    script = "Alice: hello\n"
    result = subprocess.run([sys.executable, "-m", "telegrambot", "emulator", "--port", "0"],
                            input=script, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Bot API emulator at http://127.0.0.1:" in result.stdout
    assert 'Alice -> bot: "hello"' in result.stdout

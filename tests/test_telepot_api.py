"""telepot's module-level api surface in telegrambot.api: request(), download(),
set_proxy(), the pool settings _pools / _onetime_pool_spec, and DEFAULT_API_URL."""

import io
import json

import pytest
import urllib3

from telegrambot import api
from telegrambot.bot import Bot
from telegrambot.exception import ChatNotFoundError, NetworkError, TelegramError


@pytest.fixture(autouse=True)
def restore_api_settings():
    url = api.DEFAULT_API_URL
    yield
    api.DEFAULT_API_URL = url
    api.set_proxy(None)
    for client in list(api._clients.values()):
        client.close()
    api._clients.clear()


def test_request_takes_telepots_tuple(emulator):
    alice = emulator.user("Alice")
    me = api.request((emulator.token, "getMe", None, None), api_url=emulator.api_url)
    assert me["is_bot"] is True
    # params as telepot's Bot passed them: objects already serialised to JSON text
    markup = json.dumps({"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]})
    sent = api.request((emulator.token, "sendMessage",
                        {"chat_id": alice.id, "text": "hi", "reply_markup": markup}, None),
                       api_url=emulator.api_url, timeout=5)
    assert sent["text"] == "hi"
    assert sent["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "a"
    # files as a dict of name -> file, or (filename, file)
    document = api.request((emulator.token, "sendDocument", {"chat_id": alice.id},
                            {"document": ("notes.txt", io.BytesIO(b"some notes"))}),
                           api_url=emulator.api_url)
    assert document["document"]["file_name"] == "notes.txt"
    assert emulator.requests[-1].files["document"] == ("notes.txt", b"some notes")
    with pytest.raises(ChatNotFoundError):
        api.request((emulator.token, "sendMessage", {"chat_id": 5, "text": "x"}, None),
                    api_url=emulator.api_url)


def test_request_and_download_refuse_other_keywords():
    with pytest.raises(TypeError, match="unexpected keyword arguments 'retries'"):
        api.request(("1:abcdefghijk", "getMe", None, None), retries=3)
    with pytest.raises(TypeError, match="'headers'"):
        api.download(("1:abcdefghijk", "x"), headers={})


def test_download_returns_the_response(emulator, bot):
    alice = emulator.user("Alice")
    message = alice.send_document(b"file body", "body.txt")
    path = bot.getFile(message["document"]["file_id"])["file_path"]
    response = api.download((emulator.token, path), api_url=emulator.api_url)
    assert response.status == 200 and response.data == b"file body"
    streamed = api.download((emulator.token, path), api_url=emulator.api_url, preload_content=False)
    assert b"".join(streamed.stream(4)) == b"file body"
    streamed.release_conn()
    with pytest.raises(TelegramError):
        api.download((emulator.token, "documents/nonesuch.txt"), api_url=emulator.api_url)


def test_default_api_url_applies_to_bots_made_without_one(emulator):
    api.DEFAULT_API_URL = emulator.api_url
    bot = Bot(emulator.token)
    assert bot.api_url == emulator.api_url
    assert bot.getMe()["is_bot"] is True
    assert api.request((emulator.token, "getMe", None, None))["is_bot"] is True
    bot.close_connections()


def test_pools_set_the_telepot_way_carry_the_calls(emulator):
    """The recipe telepot users on a proxied host wrote; the emulator plays the proxy."""
    bot = Bot(emulator.token, api_url="http://api.example.invalid")
    api._pools = {"default": urllib3.ProxyManager(proxy_url=emulator.api_url, num_pools=3,
                                                  maxsize=10, retries=False, timeout=30)}
    api._onetime_pool_spec = (urllib3.ProxyManager, dict(proxy_url=emulator.api_url, num_pools=1,
                                                         maxsize=1, retries=False, timeout=30))
    assert bot.getMe()["is_bot"] is True
    assert bot.getUpdates(timeout=0) == []  # the long poll goes through its own manager
    assert emulator.requests[-1].method == "getUpdates"
    # set_proxy replaces them, as in telepot
    api.set_proxy(None)
    assert api._pools == {} and api._onetime_pool_spec is None
    with pytest.raises(NetworkError):
        bot.getMe(request_timeout=2)  # api.example.invalid does not resolve
    # changing the dict in place counts too
    api._pools["default"] = urllib3.ProxyManager(proxy_url=emulator.api_url)
    assert bot.getMe()["is_bot"] is True
    bot.close_connections()


def test_set_proxy_keeps_telepots_arguments(emulator):
    bot = Bot(emulator.token, api_url="http://api.example.invalid")
    api.set_proxy(emulator.api_url, ("user", "secret"))
    assert bot.getMe()["is_bot"] is True
    headers = {k.lower(): v for k, v in emulator.requests[-1].headers.items()}
    assert headers["proxy-authorization"] == "Basic dXNlcjpzZWNyZXQ="  # user:secret
    bot.close_connections()

"""The pytest plugin, as a user's test suite sees it: pytest run inside pytest (pytester)."""

import pytest

ECHO_TEST = """
def test_echo(emulator, bot):
    bot.message_loop(lambda msg: bot.sendMessage(msg["chat"]["id"], msg["text"].upper()))
    alice = emulator.user("Alice")
    alice.send("hello")
    assert alice.wait_for_message()["text"] == "HELLO"
"""


@pytest.mark.parametrize("how", ["installed", "-p", "pytest_plugins"])
def test_the_plugin_is_registered_once_however_it_is_named(pytester, how):
    """Installing the package registers the plugin (entry point); naming it again on the
    command line or in a conftest.py must not register it a second time."""
    pytester.makepyfile(test_user_echo=ECHO_TEST)
    args = ["-p", "no:cacheprovider", "--trace-config"]
    if how == "-p":
        args += ["-p", "telegrambot.testing.pytest_plugin"]
    elif how == "pytest_plugins":
        pytester.makeconftest('pytest_plugins = ["telegrambot.testing.pytest_plugin"]\n')
    result = pytester.runpytest_subprocess(*args)
    result.assert_outcomes(passed=1)
    registered = [line for line in result.outlines
                  if line.startswith("PLUGIN registered: <module 'telegrambot.testing.pytest_plugin'")]
    assert len(registered) == 1, result.outlines


def test_the_plugin_can_be_turned_off(pytester):
    pytester.makepyfile(test_user_echo=ECHO_TEST)
    result = pytester.runpytest_subprocess("-p", "no:telegrambot.testing.pytest_plugin")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'emulator' not found*"])


def test_delegator_bot_polling_and_on_a_webhook(pytester):
    pytester.makepyfile(test_user_counter="""
import pytest
from telegrambot.delegate import create_open, pave_event_space, per_chat_id
from telegrambot.helper import ChatHandler


class Counter(ChatHandler):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.count = 0

    def on_chat_message(self, msg):
        self.count += 1
        self.sender.sendMessage(str(self.count))


@pytest.mark.parametrize("webhook", [False, True])
def test_counter(emulator, delegator_bot, webhook):
    bot = delegator_bot([pave_event_space()(per_chat_id(), create_open, Counter, timeout=10)],
                        webhook=webhook)
    alice, bob = emulator.user("Alice"), emulator.user("Bob")
    alice.send("a")
    assert alice.wait_for_message()["text"] == "1"
    alice.send("b")
    assert alice.wait_for_message()["text"] == "2"
    bob.send("c")
    assert bob.wait_for_message()["text"] == "1"   # one Counter per chat
    polled = any(r.method == "getUpdates" for r in emulator.requests)
    assert polled is not webhook
    assert (emulator.webhook["url"] != "") is webhook
""")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_webhook_bot_receives_what_the_emulator_posts(pytester):
    pytester.makepyfile(test_user_webhook="""
def test_shout(emulator, webhook_bot):
    def handle(msg):
        run.bot.sendMessage(msg["chat"]["id"], msg["text"].upper())

    run = webhook_bot(handle)
    assert run.server.url.startswith("http://127.0.0.1:")
    assert emulator.webhook["url"] == run.server.url
    alice = emulator.user("Alice")
    alice.send("hi")
    assert alice.wait_for_message()["text"] == "HI"
    assert not any(r.method == "getUpdates" for r in emulator.requests)


def test_routing_table_and_a_bot_of_ones_own(emulator, webhook_bot):
    import telegrambot

    mine = telegrambot.Bot(emulator.token, api_url=emulator.api_url)
    run = webhook_bot({"chat": lambda msg: mine.sendMessage(msg["chat"]["id"], "chat!")},
                      bot=mine, path="/hook", secret_token="s3cret")
    assert run.bot is mine and run.server.url.endswith("/hook")
    assert emulator.webhook["secret_token"] == "s3cret"
    bob = emulator.user("Bob")
    bob.send("x")
    assert bob.wait_for_message()["text"] == "chat!"
""")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_a_bot_left_running_is_reported_by_name(pytester):
    pytester.makepyfile(test_user_leak="""
def test_forgets_to_stop(emulator):
    forgotten = emulator.make_bot()
    forgotten.message_loop(lambda msg: None)
    emulator.wait_for_request("getUpdates")


def test_stops_it(emulator, bot):
    bot.message_loop(lambda msg: None)
    emulator.wait_for_request("getUpdates")
""")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines([
        "*ERROR at teardown of test_forgets_to_stop*",
        "*telegrambot threads still running after the test: telegrambot-*bot.stop()*",
    ])
    assert "ERROR at teardown of test_stops_it" not in result.stdout.str()


def test_the_examples_of_the_testing_page_pass(pytester):
    """docs/testing.md shows the fixtures with test functions: they run as a user's tests."""
    import pathlib
    import re

    page = (pathlib.Path(__file__).parent.parent / "docs" / "testing.md").read_text("utf-8")
    section = page[page.index("## The pytest plugin"):page.index("## People and chats")]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    tests = sum(len(re.findall(r"^def test_", block, re.M)) for block in blocks)
    assert tests >= 3
    for number, block in enumerate(blocks):
        pytester.makepyfile(**{"test_user_docs_%d" % number: block})
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=tests)

"""run_webhook with no address given works against the emulator as it is: it listens on
loopback on a free port and registers that URL; the emulator POSTs updates there, with
the secret token, as Telegram would. The docs' own example runs as a script."""

import json
import os
import re
import signal
import subprocess
import sys
import threading

import pytest
import urllib3

import telegrambot
from telegrambot.core.webhook_rules import listen_address
from telegrambot.webhook import run_webhook

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join(ROOT, "docs", "tutorial", "webhooks.md")


def env():
    return dict(os.environ, PYTHONPATH=os.pathsep.join(
        filter(None, [ROOT, os.environ.get("PYTHONPATH")])))


def docs_example():
    """The code block of the section on webhooks without a URL."""
    text = open(DOC, encoding="utf-8").read()
    section = text.split("## Without a URL", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_docs_example_runs_with_defaults_only(tmp_path):
    code = docs_example()
    assert "run_webhook(bot, lambda msg" in code and "host=" not in code and "port=" not in code
    assert len(code.strip().splitlines()) <= 10
    script = tmp_path / "webhook_bot.py"
    script.write_text(code)
    done = subprocess.run([sys.executable, str(script)], cwd=str(tmp_path), env=env(),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "echo: hello"
    assert done.stderr == ""


def test_defaults_listen_on_loopback_and_register_that_url(emulator, bot):
    seen = []
    handled = threading.Event()

    def handle(msg):
        seen.append(msg["text"])
        handled.set()

    run = run_webhook(bot, handle)
    try:
        url = run.server.url
        assert url.startswith("http://127.0.0.1:") and not url.endswith(":8443/")
        assert emulator.webhook["url"] == url
        assert len(emulator.webhook["secret_token"]) >= 32
        emulator.user("Alice").send("hi")
        assert handled.wait(5)
        assert seen == ["hi"]
        assert bot.getWebhookInfo()["url"] == url
        # the 200 reaches the emulator around the time the handler runs: wait for it
        emulator.wait_until(lambda: bot.getWebhookInfo()["pending_update_count"] == 0)
    finally:
        run.stop(delete_webhook=True)


def test_without_url_telegrams_own_server_is_refused_before_anything_starts():
    bot = telegrambot.Bot("123456:ABCdef")  # Telegram's server: nothing may be sent there
    before = {t.name for t in threading.enumerate()}
    with pytest.raises(ValueError, match="needs url="):
        run_webhook(bot, lambda msg: None)
    assert {t.name for t in threading.enumerate()} == before
    assert not bot._receiving.loops


@pytest.mark.parametrize("url, host, port, api_url, expected", [
    (None, None, None, "http://127.0.0.1:8081", ("127.0.0.1", 0)),
    (None, "::1", 9000, "http://localhost:8081", ("::1", 9000)),
    ("https://bot.example.org/hook", None, None, "https://api.telegram.org", ("0.0.0.0", 8443)),
    ("https://bot.example.org:88/hook", "10.0.0.5", 8080, "https://api.telegram.org",
     ("10.0.0.5", 8080)),
])
def test_where_a_webhook_listens(url, host, port, api_url, expected):
    assert listen_address(url, host, port, api_url) == expected


def test_a_script_against_the_emulators_own_process(tmp_path):
    """``python -m telegrambot emulator`` in one process, a webhook bot with defaults in
    another: a user's message comes back answered."""
    emulator = subprocess.Popen(
        [sys.executable, "-m", "telegrambot", "emulator", "--port", "0", "--no-stdin"],
        cwd=ROOT, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    bot_proc = None
    try:
        api_url = emulator.stdout.readline().split(" at ")[1].strip()
        token = emulator.stdout.readline().split(": ", 1)[1].strip()
        emulator.stdout.readline()
        script = tmp_path / "bot.py"
        script.write_text(
            "import sys, telegrambot\n"
            "from telegrambot.webhook import run_webhook\n"
            "bot = telegrambot.Bot(sys.argv[1], api_url=sys.argv[2])\n"
            "def handle(msg):\n"
            "    bot.sendMessage(msg['chat']['id'], 'echo: ' + msg['text'])\n"
            "run_webhook(bot, handle, run_forever=True)\n")
        bot_proc = subprocess.Popen([sys.executable, str(script), token, api_url],
                                    cwd=str(tmp_path), env=env(), stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True)
        assert bot_proc.stdout.readline().startswith("Receiving updates for http://127.0.0.1:")
        pool = urllib3.PoolManager().connection_from_url(api_url)
        answer = pool.urlopen("POST", "/_emulator/send", body=json.dumps(
            {"user": "Alice", "text": "over the webhook"}),
            headers={"Content-Type": "application/json"})
        assert json.loads(answer.data)["ok"]
        assert emulator.stdout.readline().strip() == "bot -> Alice: echo: over the webhook"
        bot_proc.send_signal(signal.SIGINT)  # Ctrl-C: run_forever stops the bot
        out, err = bot_proc.communicate(timeout=20)
        assert bot_proc.returncode == 0, err
        assert "Traceback" not in err
    finally:
        for proc in (bot_proc, emulator):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.communicate()

"""A script that ends with a message loop still running (the forgotten ``run_forever``)
gets a WARNING on stderr when the interpreter exits; a script that waited on its loop,
stopped it, or ended on an uncaught exception gets none. Real scripts in subprocesses,
against the emulator of the test process."""

import os
import signal
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WARNING = "the program is ending while a message loop is still running"

HEAD = """\
import sys, threading
import telegrambot
from telegrambot.webhook import run_webhook

token, api_url = sys.argv[1], sys.argv[2]
bot = telegrambot.Bot(token, api_url=api_url)
handled = threading.Event()

def handle(msg):
    handled.set()

def handle_and_say(msg):
    print("handled", flush=True)

def handle_and_stop(msg):
    print("handled", flush=True)
    bot.stop()
"""

SCRIPTS = {
    # the forgotten run_forever: the loop handled a message, then the script ends
    "forgot": """
        bot.message_loop(handle)
        print("ready", flush=True)
        assert handled.wait(10)
        print("handled", flush=True)
    """,
    "sys.exit": """
        bot.message_loop(handle)
        print("ready", flush=True)
        assert handled.wait(10)
        print("handled", flush=True)
        sys.exit(0)
    """,
    "webhook, forgot": """
        run = run_webhook(bot, handle, host="127.0.0.1", port=0)
        print("ready", flush=True)
        assert handled.wait(10)
        print("handled", flush=True)
    """,
    "run_forever": """
        bot.message_loop(handle_and_stop, run_forever="ready")
        print("returned", flush=True)
    """,
    "stop": """
        bot.message_loop(handle)
        print("ready", flush=True)
        assert handled.wait(10)
        bot.stop()
        print("handled", flush=True)
    """,
    # the main thread ends; another (non-daemon) thread waits on the loop
    "waiting thread": """
        loop = bot.message_loop(handle_and_stop)
        threading.Thread(target=loop.wait).start()
        print("ready", flush=True)
    """,
    # run_forever ended by a signal whose handler exits: ended on purpose
    "run_forever, SIGTERM": """
        import signal
        signal.signal(signal.SIGTERM, lambda *args: sys.exit(0))
        bot.message_loop(handle_and_say, run_forever="ready")
    """,
    "uncaught exception": """
        bot.message_loop(handle)
        print("ready", flush=True)
        assert handled.wait(10)
        print("handled", flush=True)
        raise RuntimeError("the script failed")
    """,
}

WARNS = {"forgot": "telegrambot-poll", "sys.exit": "telegrambot-poll",
         "webhook, forgot": "telegrambot-queue"}


def run_script(emulator, tmp_path, name):
    script = tmp_path / "bot_script.py"
    script.write_text(HEAD + textwrap.dedent(SCRIPTS[name]))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        filter(None, [ROOT, os.environ.get("PYTHONPATH")])))
    proc = subprocess.Popen([sys.executable, str(script), emulator.token, emulator.api_url],
                            cwd=str(tmp_path), env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready", proc.communicate(timeout=10)
        emulator.user("Alice").send("hello")
        if name == "run_forever, SIGTERM":
            assert proc.stdout.readline().strip() == "handled"
            proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc.returncode, out, err


@pytest.mark.parametrize("name", sorted(WARNS))
def test_a_loop_left_running_at_exit_is_warned_about(emulator, tmp_path, name):
    code, out, err = run_script(emulator, tmp_path, name)
    assert code == 0, err
    assert "handled" in out  # the loop ran and handled the message before the exit
    lines = [line for line in err.splitlines() if WARNING in line]
    assert len(lines) == 1, err
    assert WARNS[name] in lines[0] and "run_forever=True" in lines[0]
    assert emulator.token not in err


@pytest.mark.parametrize("name", ["run_forever", "stop", "waiting thread"])
def test_no_warning_when_the_script_waited_or_stopped(emulator, tmp_path, name):
    code, out, err = run_script(emulator, tmp_path, name)
    assert code == 0, err
    assert "handled" in out  # the barrier: the loop handled the message, the script ended
    assert WARNING not in err, err
    assert err == "", err


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM ends a process at once there")
def test_no_warning_when_run_forever_is_ended_by_a_signal(emulator, tmp_path):
    code, out, err = run_script(emulator, tmp_path, "run_forever, SIGTERM")
    assert code == 0, err
    assert WARNING not in err, err
    assert err == "", err


def test_no_warning_after_an_uncaught_exception(emulator, tmp_path):
    code, out, err = run_script(emulator, tmp_path, "uncaught exception")
    assert code == 1 and "handled" in out
    assert "RuntimeError: the script failed" in err  # the traceback says why it ended
    assert WARNING not in err, err


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_that_exits_is_not_warned_about(emulator, tmp_path):
    """A child forked while the loop runs has the loop's state but not its thread."""
    SCRIPTS["fork"] = """
        import os
        loop = bot.message_loop(handle)
        pid = os.fork()
        if pid == 0:
            sys.exit(0)  # the child ends normally: its exit handlers run
        os.waitpid(pid, 0)
        print("ready", flush=True)
        assert handled.wait(10)
        print("handled", flush=True)
        bot.stop()
    """
    try:
        code, out, err = run_script(emulator, tmp_path, "fork")
    finally:
        del SCRIPTS["fork"]
    assert code == 0 and "handled" in out, err
    assert WARNING not in err, err

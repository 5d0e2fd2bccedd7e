"""Every example in --emulate mode, and the demo, run as the user would run them.

Each runs in a subprocess against its own embedded emulator with a scripted user; it must
exit 0 (the script's checks passed, the bot logged no error, every thread stopped) and
print the transcript lines expected of it. The processes are started together, since they
spend most of their time waiting.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_examples_ptb import COUNTERPARTS

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
TIMEOUT = 60  # seconds per process, generous for a busy machine

# example file -> lines its transcript must contain (bot replies, so a silent bot fails)
EXPECTED = {
    "routing.py": ["= 6.5", "Unknown command.", "You are at 51.50, -0.12.", "I saw that edit."],
    "counter.py": ["Message 3 of this conversation", "Quiet for 2 s: I close; the count stays.",
                   "Alice: Message 4 of this conversation"],
    "guess.py": ["is right!", "Games won: 1.", "the game waits (0 tries so far)"],
    "listener.py": ["Alice likes green. Noted!", "No answer? Never mind."],
    "inline_per_user.py": ["You sent 2 inline queries and chose q2."],
    "quiz.py": ["Score: 2 of 3.", "Too slow! Score: 0 of 3."],
    "vote.py": ["Closed, everyone voted: 2 yes, 1 no.", "Closed, time is up: 0 yes, 1 no."],
    "alarm.py": ["Beep beep! Time for tea.", "Alarm cancelled."],
    "deeplink.py": ["https://t.me/emulator_bot?startgroup=check-this-out",
                    "bot > Book club: Awesome, you just accessed hidden functionality!",
                    "[Continue here!]", "mask the deep-linked URLs as links: CLICK HERE.",
                    "(answers) https://t.me/emulator_bot?start=using-keyboard-here",
                    "The payload was: using-keyboard-here",
                    "Welcome, Bob! Alice invited you.", "Bob joined through your link."],
    "chatmember.py": ["bot > Garden: Hello, Garden! Thanks for having me, Alice.",
                      "bot > Garden: Bob joined. Welcome!",
                      "bot > Garden: Carol was added by Alice. Welcome!",
                      "bot > Garden: Bob is no longer with us. Thanks a lot, Alice...",
                      "bot > Garden: Carol is no longer with us.",
                      "a member of the groups -1001000000001 and in the channels -1001000000002."],
    "webapp.py": ["(her keyboard: [Open the colour picker!])",
                  "You chose #ff8800, which is (255, 136, 0) in RGB.", "That was not a colour.",
                  "(200 hello Alice", "(403 refused: init data hash does not match"],
    "passport.py": ["[Share]", "Alice Liddell, born 04.05.1852", "passport no. P1865",
                    "phone number +441865000000", "This does not answer a request of mine",
                    "Your address could not be read; please share it again."],
    "aio_echo.py": ["bot > Alice: Hi Alice!", "bot > Alice: Help!", "bot > Alice: Hello, bot!",
                    "bot > Alice: That was a photo, in a private chat."],
    "aio_counter.py": ["Message 3 of this conversation", "Quiet for 2 s: I close; the count stays.", "Message 4 of this conversation"],
    "aio_guess.py": ["is right!", "the game waits (0 tries so far)"],
    "aio_inline_per_user.py": ["You sent 2 inline queries and chose q2."],
    "aio_webhook.py": ["Message 3 of this conversation", "Quiet for 2 s: I close; the count stays.", "Message 4 of this conversation"],
    "files.py": ["notes.txt: 15000 bytes, sha256", "[document: report.csv] 1 files so far"],
}
DEMO = ("demo", [sys.executable, "-m", "telegrambot", "demo"],
        ["bot > Alice: Hello Alice! What can I get you?", "[Coffee] [Tea] [Cocoa]",
         "(edits its message) Alice ordered a coffee.",
         "bot > Bob: Bob, your tab: tea (1 drink).",
         "closing your tab (coffee, cocoa (2 drinks))", "everything stopped"])

# run by tests/test_webhook_examples.py, with checks of their own
WEBHOOK_EXAMPLES = {"webhook_builtin.py", "webhook_flask.py"}
# run by tests/test_examples_ptb.py, beside the python-telegram-bot bot each stands for
PTB_EXAMPLES = set(COUNTERPARTS)
SCRIPTS = sorted(p.name for p in EXAMPLES.glob("*.py") if not p.name.startswith("_")
                 and p.name not in WEBHOOK_EXAMPLES | PTB_EXAMPLES)
RUNS = [(name, [sys.executable, str(EXAMPLES / name), "--emulate"], EXPECTED.get(name, []))
        for name in SCRIPTS] + [DEMO]


@pytest.fixture(scope="module")
def processes():
    """Start every run at once; each test then collects its own."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    env.pop("TELEGRAM_BOT_TOKEN", None)  # --emulate must never need a real token
    started = {name: subprocess.Popen(argv, cwd=str(ROOT), env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True)
               for name, argv, _ in RUNS}
    yield started
    for proc in started.values():
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


@pytest.mark.parametrize("name, argv, expected", RUNS, ids=[run[0] for run in RUNS])
def test_runs_and_behaves(processes, name, argv, expected):
    proc = processes[name]
    try:
        out, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail("%s did not finish within %d s\n%s\n%s" % (name, TIMEOUT, out, err))
    assert proc.returncode == 0, "%s exited %s\nstdout:\n%s\nstderr:\n%s" % (
        name, proc.returncode, out, err)
    for line in expected:
        assert line in out, "%s: %r missing from the transcript:\n%s" % (name, line, out)
    assert "everything stopped" in out, out


def test_every_example_is_checked():
    """A new example needs expected transcript lines here."""
    unchecked = set(SCRIPTS) - set(EXPECTED)
    assert not unchecked, "add expected transcript lines for: %s" % ", ".join(sorted(unchecked))
    assert set(EXPECTED) <= set(SCRIPTS), "no such example: %s" % (set(EXPECTED) - set(SCRIPTS))


def test_example_without_token_explains(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("TELEGRAM_BOT_TOKEN", None)
    proc = subprocess.run([sys.executable, str(EXAMPLES / "echo.py")], cwd=str(tmp_path), env=env,
                          capture_output=True, text=True, timeout=TIMEOUT)
    assert proc.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in proc.stderr


# example -> (lines of the first run, lines of the second run on the same store file)
RESTARTED = {
    "counter.py": (["Alice: Message 1 of", "Bob: Message 1 of", "Alice: Message 4 of"],
                   ["Alice: Message 5 of", "Bob: Message 2 of", "Alice: Message 8 of"]),
    "guess.py": (["(games won so far: 0)", "Games won: 1.", "the game waits (0 tries so far)"],
                 # the game left waiting goes on: "let's play" is taken for a guess
                 ["Alice: let's play\n   bot > Alice: A whole number, please.",
                  "Games won: 2.", "(games won so far: 2)"]),
}


@pytest.mark.parametrize("name", sorted(RESTARTED))
def test_state_survives_a_restart_with_store(tmp_path, name):
    """Run twice with ``--store`` on the same file: the second run goes on from the first."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    env.pop("TELEGRAM_BOT_TOKEN", None)
    argv = [sys.executable, str(EXAMPLES / name), "--emulate", "--store", str(tmp_path / "bot.db")]
    for expected in RESTARTED[name]:
        proc = subprocess.run(argv, cwd=str(ROOT), env=env, capture_output=True, text=True,
                              timeout=TIMEOUT)
        assert proc.returncode == 0, "%s exited %s\nstdout:\n%s\nstderr:\n%s" % (
            name, proc.returncode, proc.stdout, proc.stderr)
        for line in expected:
            assert line in proc.stdout, "%s: %r missing:\n%s" % (name, line, proc.stdout)

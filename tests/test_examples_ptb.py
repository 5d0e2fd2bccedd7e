"""The counterparts of python-telegram-bot's example bots, each run with its dialogue.

Every example in :data:`COUNTERPARTS` runs as a user would run it (``--emulate``) in a
subprocess, against its own embedded emulator with a scripted user whose checks are in the
example itself; it must exit 0 (the checks passed, the bot logged no error, every thread
stopped) and print the transcript lines listed here. The processes are started together.
docs/examples.md and each example's docstring must name the python-telegram-bot bot it
stands for.
"""

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
TIMEOUT = 60  # seconds per process, generous for a busy machine

# example -> (python-telegram-bot's example bot, lines its transcript must contain)
COUNTERPARTS = {
    "echo.py": ("echobot.py", [
        "bot > Alice: Hi Alice!", "(her app opens a reply to it)", "bot > Alice: Help!",
        "bot > Alice: Hello, bot!", "That was a photo, in a private chat."]),
    "inline.py": ("inlinebot.py", [
        "(answers) 3 results: Caps, Bold, Italic", "tea & cake (via @emulator_bot, bold)",
        "You sent 'tea & cake' in bold.", "You sent 'tea & cake' in italic."]),
    "inline_keyboard.py": ("inlinekeyboard.py", [
        "Use /start to test this bot.", "bot > Alice: Please choose:",
        "[Option 1] [Option 2] [Option 3]", "(edits its message) Selected option: 2",
        "(edits its message) Selected option: 3"]),
    "inline_keyboard2.py": ("inlinekeyboard2.py", [
        "(edits its message) Route 1. Choose again", "(edits its message) Route 4. Choose again",
        "[Yes, let's do it again!] [Nah, I've had enough ...]",
        "(edits its message) Choose a route", "(edits its message) See you next time!",
        "(answers) This menu is closed: send /start."]),
    "poll.py": ("pollbot.py", [
        "bot > Book club: Alice feels Good and Fantastic!", "bot > Book club: Bob feels Great!",
        "(edits its message) [poll: How are you?] Good | Really good | Fantastic | Great (closed)",
        "(Dave cannot: the poll 'How are you?' is closed",
        "(edits its message) [quiz: How many eggs do you need for a cake?] 1 | 2 | 4 | 20 (closed)",
        "(her keyboard: [Press me!])", "bot > Alice: [poll: Tea or coffee?] Tea | Coffee | Both (closed)",
        "bot > Alice: [quiz: Capital of France?] Lyon | Paris (closed)"]),
    "raw_api.py": ("rawapibot.py", [
        "bot > Alice: Hello, raw API!", "bot > Alice: Did you see my photo?",
        "bot > Alice: Still there?"]),
    "timer.py": ("timerbot.py", [
        "Usage: /set <seconds>", "Sorry, we can not go back to the future!",
        "Timer successfully set! Old one was removed.", "bot > Alice: Beep! 1 seconds are over!",
        "bot > Bob: Beep! 3 seconds are over!", "Timer successfully cancelled!",
        "You have no active timer.", "Beep! 0.2 seconds are over!"]),
    "payment.py": ("paymentbot.py", [
        "[invoice: Coffee recipes]", "Thank you for your payment: 4.90 EUR.",
        "[invoice: Coffee beans]", "(answers) refused: Sorry, we do not ship there.",
        "(answers) ok: Post, 3 days, Courier, tomorrow", "(answers) refused: Something went wrong...",
        "(answers) refused: This order has changed",
        "Thank you for your payment: 25.80 EUR. Your beans go by Courier, tomorrow to Alice Liddell."]),
    "context_types.py": ("contexttypesbot.py", [
        "(edits its message) This button was clicked 2 times.",
        "(edits its message) This button was clicked 3 times.",
        "bot > Bob: (edits its message) This button was clicked 1 times.",
        "The following user IDs have used this bot: 1000000001, 1000000002, 1000000003"]),
    "arbitrary_callback_data.py": ("arbitrarycallbackdatabot.py", [
        "bot > Alice: Use /start to test this bot.",
        "(edits its message) So far you've selected [3]. Choose the next item:",
        "(edits its message) So far you've selected [3, 5]. Choose the next item:",
        "(edits its message) So far you've selected [1]. Choose the next item:",
        "bot > Alice: All clear!",
        "(edits its message) Sorry, I could not process this button click"]),
    "conversation.py": ("conversationbot.py", [
        "bot > Alice: Send /start to talk to me.", "Are you a boy or a girl?",
        "That is not what I asked (we are at: gender)", "Gorgeous! (18 bytes.)",
        "You seem a bit paranoid!", "Thank you! I hope we can talk again some day.",
        "I bet you look great!", "Maybe I can visit you sometime!",
        "Bye! I hope we can talk again some day."]),
    "conversation2.py": ("conversationbot2.py", [
        "Your age? Yes, I would love to hear about that!", "Until next time!",
        "Favourite colour - Blue", "Most impressive skill - Juggling"]),
    "nested_conversation.py": ("nestedconversationbot.py", [
        "(edits its message) Please choose, whom to add.",
        "Yourself:", "You: Name: Alice, Age: -", "Mother: Name: -, Age: 64",
        "No information yet.", "bot > Alice: Okay, bye.",
        "(answers) This menu is closed: send /start."]),
    "persistent_conversation.py": ("persistentconversationbot.py", [
        "I will hold a more complex conversation with you.",
        "Your age? I already know the following about that: 32",
        "This is what you already told me:", "Until next time!",
        "You already told me your age."]),
    "error_handler.py": ("errorhandlerbot.py", [
        "bot > Alice: Use /bad_command to cause an error.",
        "bot > Developer: An exception was raised while handling an update",
        '"text": "/bad_command"',
        "AttributeError: 'Bot' object has no attribute 'wrong_method_name'"]),
    "custom_webhook.py": ("customwebhookbot.py", [
        "To post a custom update, call http://127.0.0.1:",
        "server: 200 The bot is still running fine :)",
        "server: 200 Thank you for the submission! It's being forwarded.",
        "bot > Admin: Alice has sent a new payload.",
        "server: 404 No such user: they must send /start to the bot first.",
        "server: 400 The user_id must be a number.",
        "• pie"]),
}
# counterparts run by tests/test_examples.py (issue 19's first part)
ELSEWHERE = {"deeplink.py": "deeplinking.py", "chatmember.py": "chatmemberbot.py",
             "webapp.py": "webappbot.py", "passport.py": "passportbot.py"}


@pytest.fixture(scope="module")
def processes():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    env.pop("TELEGRAM_BOT_TOKEN", None)  # --emulate must never need a real token
    started = {name: subprocess.Popen([sys.executable, str(EXAMPLES / name), "--emulate"],
                                      cwd=str(ROOT), env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True)
               for name in COUNTERPARTS}
    yield started
    for proc in started.values():
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


@pytest.mark.parametrize("name", sorted(COUNTERPARTS))
def test_counterpart_runs_its_dialogue(processes, name):
    proc = processes[name]
    try:
        out, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail("%s did not finish within %d s\n%s\n%s" % (name, TIMEOUT, out, err))
    assert proc.returncode == 0, "%s exited %s\nstdout:\n%s\nstderr:\n%s" % (
        name, proc.returncode, out, err)
    for line in COUNTERPARTS[name][1]:
        assert line in out, "%s: %r missing from the transcript:\n%s" % (name, line, out)
    assert "everything stopped" in out, out


def _sections(markdown):
    """docs/examples.md cut at its level-2 headings."""
    return re.split(r"^## ", markdown, flags=re.MULTILINE)[1:]


@pytest.mark.parametrize("name, ptb", sorted(
    [(name, ptb) for name, (ptb, _) in COUNTERPARTS.items()] + sorted(ELSEWHERE.items())))
def test_counterpart_is_named_in_docs_and_docstring(name, ptb):
    sections = [s for s in _sections((ROOT / "docs" / "examples.md").read_text(encoding="utf-8"))
                if "../examples/%s\n" % name in s]
    assert len(sections) == 1, "docs/examples.md should have one section including %s" % name
    assert ptb in sections[0], "docs/examples.md: the section of %s should name %s" % (name, ptb)
    docstring = ast.get_docstring(ast.parse((EXAMPLES / name).read_text(encoding="utf-8")))
    assert "python-telegram-bot's %s" % ptb in " ".join(docstring.split()), (
        "the docstring of %s should name python-telegram-bot's %s" % (name, ptb))

"""telepot bots, written as their users write them, run against the emulator.

Each script in this directory is a telepot-style bot whose only difference from telepot
code is its import lines (``import telegrambot as telepot``, ``from telegrambot.delegate
import ...``). It runs in its own process as ``python bot.py TOKEN [args]`` (through
``_run.py``, which points bots made without an ``api_url`` at the emulator), while the test
plays users on the emulator and checks every reply. A bot that logs an error or a warning,
or prints a traceback, fails its test.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
RUNNER = HERE / "_run.py"
START_TIMEOUT = 30.0  # seconds for a bot process to start polling, on a busy machine
WAIT = 10.0  # seconds for any one reply
IDLE = 0.5  # idle timeouts given to the bots, seconds


class BotProcess:
    """One bot script running against the emulator."""

    def __init__(self, emulator, tmp_path, script, args):
        self.emulator = emulator
        self.name = script
        self.stdout_path = tmp_path / (script + ".out")
        self.stderr_path = tmp_path / (script + ".err")
        env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONPATH=os.pathsep.join(
            filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
        with open(self.stdout_path, "w") as out, open(self.stderr_path, "w") as err:
            self.proc = subprocess.Popen(
                [sys.executable, str(RUNNER), emulator.api_url, str(HERE / (script + ".py")),
                 emulator.token] + [str(a) for a in args],
                cwd=str(HERE), env=env, stdout=out, stderr=err)
        try:
            emulator.wait_for_request("getUpdates", timeout=START_TIMEOUT)  # it is polling
        except AssertionError:
            self.stop()
            raise AssertionError("%s did not start polling:\n%s" % (script, self.stderr()))

    def stderr(self):
        return self.stderr_path.read_text()

    def stdout(self):
        return self.stdout_path.read_text()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def check_clean(self):
        errors = self.stderr()
        bad = [line for line in errors.splitlines()
               if re.match(r"(ERROR|WARNING|CRITICAL) |Traceback|\w*Warning", line)]
        assert not bad, "%s reported trouble:\n%s" % (self.name, errors)


@pytest.fixture
def run_bot(emulator, tmp_path):
    started = []

    def start(script, *args):
        bot = BotProcess(emulator, tmp_path, script, args)
        started.append(bot)
        return bot

    yield start
    for bot in started:
        bot.stop()
    for bot in started:
        bot.check_clean()


def _answer(emulator, query):
    return emulator.wait_until(lambda: emulator.answers.get(query["id"]), WAIT,
                               "no answer to %s" % query["id"])


def _text(user):
    return user.wait_for_message(WAIT)["text"]


def _current(user, message):
    return user.private.messages[message["message_id"]]


def _wait_edit(emulator, user, message, predicate):
    def edited():
        current = _current(user, message)
        return current if predicate(current) else None

    return emulator.wait_until(edited, WAIT, "message %s was not edited as expected" % message["message_id"])


def test_all_bots_are_here():
    scripts = {p.stem for p in HERE.glob("*.py") if not p.name.startswith(("_", "test_"))}
    assert len(scripts) >= 15
    assert scripts == set(SCENARIOS), "a bot without a test, or a test without its bot"


# --------------------------------------------------------------------- the scenarios


def skeleton(emulator, run_bot):
    run_bot("skeleton")
    alice = emulator.user("Alice")
    alice.send("hello")
    reply = alice.wait_for_message(WAIT)
    assert reply["text"] == "You said: hello"
    query = alice.press(reply, "Press me")
    assert _answer(emulator, query)["text"] == "Got it"
    inline = alice.inline_query("loud")
    assert _answer(emulator, inline)["results"][0]["title"] == "LOUD"
    alice.send_photo()
    assert _text(alice) == "I only read text, not photo"
    alice.block_bot()  # my_chat_member: no on_my_chat_member, so ignored
    alice.unblock_bot()
    alice.send("still there?")
    assert _text(alice) == "You said: still there?"


def emodi(emulator, run_bot):
    bot = run_bot("emodi")
    alice, bob = emulator.user("Alice"), emulator.user("Bob")
    alice.send("\U0001f44d\U0001f600")
    assert _text(alice) == "\\U0001f44d\\U0001f600"
    alice.send("abcdefghijklmno")
    assert _text(alice) == "First 10 characters:\nabcdefghij"
    group = emulator.group("Friends", members=[alice, bob])
    bob.send("\u263a", chat=group)
    assert group.wait_for_message(WAIT)["text"] == "\\u263a"
    assert "by User(id=%d" % bob.id in bot.stdout()  # the Message namedtuple was built


def route_by_content_type(emulator, run_bot):
    run_bot("route_by_content_type")
    alice = emulator.user("Alice")
    for sent, expected in (("/start", "Welcome!"), ("/add 1 2.5 3", "= 6.5"),
                           ("/nope", "Unknown command"), ("plain", "Just text: plain")):
        alice.send(sent)
        assert _text(alice) == expected
    alice.send_photo(width=640, height=480)
    assert _text(alice) == "A photo, 640x480"
    alice.send(location={"latitude": 51.5072, "longitude": -0.1276})
    assert _text(alice) == "You are at 51.51, -0.13"
    alice.send(contact={"phone_number": "123", "first_name": "Bob"})
    assert _text(alice) == "I do not handle contact"


def counter(emulator, run_bot):
    run_bot("counter", IDLE)
    alice, bob = emulator.user("Alice"), emulator.user("Bob")
    for n in (1, 2, 3):
        alice.send("message")
        assert _text(alice) == str(n)
    bob.send("hi")
    assert _text(bob) == "1"  # a counter per chat
    assert _text(alice).startswith("Idle for 0.5 seconds")
    assert _text(bob).startswith("Idle for 0.5 seconds")
    alice.send("again")
    assert _text(alice) == "1"


def guess(emulator, run_bot):
    run_bot("guess", IDLE * 2)  # idle between guesses, so the search has time
    alice = emulator.user("Alice")
    alice.send("let's play")
    assert _text(alice) == "Guess my number"
    alice.send("ten")
    assert _text(alice) == "Give me a number, please."
    low, high = 0, 99
    for _ in range(8):  # a binary search finds any of 100 numbers in 7 guesses
        guess = (low + high) // 2
        alice.send(str(guess))
        hint = _text(alice)
        if hint == "Correct!":
            break
        assert hint in ("larger", "smaller")
        low, high = (guess + 1, high) if hint == "larger" else (low, guess - 1)
    else:
        pytest.fail("never guessed right")
    alice.send("another game")  # a new Player: the last one closed on Correct!
    assert _text(alice) == "Guess my number"
    assert re.fullmatch(r"Game expired\. The answer is \d+", _text(alice))  # idle


def chatbox(emulator, run_bot):
    owner, alice, bob = emulator.user("Owner"), emulator.user("Alice"), emulator.user("Bob")
    bot = run_bot("chatbox", owner.id)
    owner.send("/unread")
    assert _text(owner) == "No unread messages"
    for user, text in ((alice, "Hi, it is Alice"), (alice, "Are you there?"), (bob, "Bob here")):
        user.send(text)
        user.wait_for_message(WAIT, lambda m: m["text"] == "Saved for the owner")
    for user in (alice, bob):  # a welcome for each newcomer, from a thread of its own
        user.wait_for_message(WAIT, lambda m: m["text"] == "Hello!")
    owner.send("/unread")
    assert sorted(_text(owner).split("\n")) == sorted(
        ["ID: %d" % alice.id, "2 unread", "ID: %d" % bob.id, "1 unread"])
    owner.send("/next")
    assert _text(owner) == "From ID: %d" % alice.id
    assert [_text(owner), _text(owner)] == ["Hi, it is Alice", "Are you there?"]
    owner.send("/next")
    assert [_text(owner), _text(owner)] == ["From ID: %d" % bob.id, "Bob here"]
    owner.send("/next")
    assert _text(owner) == "No unread messages"
    alice.send("me again")
    alice.wait_for_message(WAIT, lambda m: m["text"] == "Saved for the owner")
    owner.send("/unread")
    assert _text(owner) == "ID: %d\n1 unread" % alice.id
    assert [m["text"] for m in alice.received()].count("Hello!") == 1  # no second welcome
    bot.stop()
    assert bot.stdout().count("CustomThread starting ...") == 2


def lover(emulator, run_bot):
    run_bot("lover", IDLE)
    alice = emulator.user("Alice")
    alice.send("hi")
    first = alice.wait_for_message(WAIT)
    assert first["text"] == "1. Would you marry me?"
    query = alice.press(first, "um ...")
    assert _answer(emulator, query)["text"] == "Ok. But I am going to keep asking."
    second = alice.wait_for_message(WAIT)
    assert second["text"] == "2. Would you marry me?"
    assert "reply_markup" not in _current(alice, first)  # the old question lost its buttons
    assert _text(alice) == "I know you may need a little time. I will always be here for you."
    alice.send("I am back")  # a new Lover, who remembers the count
    third = alice.wait_for_message(WAIT)
    assert third["text"] == "3. Would you marry me?"
    alice.press(third, "Yes")
    assert _text(alice) == "Thank you!"
    _wait_edit(emulator, alice, third, lambda m: "reply_markup" not in m)


def alarm(emulator, run_bot):
    run_bot("alarm")
    alice = emulator.user("Alice")
    alice.send("0.3")
    assert _text(alice) == "Got it. Alarm is set at 0.3 seconds from now."
    alice.send("soon")
    assert _text(alice) == "Not a number. No alarm set."
    assert _text(alice) == "Beep beep, time to wake up! (0.3 s)"


def inline_query(emulator, run_bot):
    run_bot("inline_query")
    alice = emulator.user("Alice")
    articles = _answer(emulator, alice.inline_query("show a"))["results"]
    assert [r["title"] for r in articles] == ["Telegram", "Google"]
    photos = _answer(emulator, alice.inline_query("show p"))["results"]
    assert photos[0]["thumbnail_url"] == photos[0]["photo_url"]  # thumb_url, renamed
    assert "thumb_url" not in photos[0] and photos[1]["thumbnail_url"]
    both = _answer(emulator, alice.inline_query("show b"))
    assert len(both["results"]) == 4 and both["switch_pm_text"] == "Back to Bot"
    alice.choose_inline_result("12345", "show p")
    assert _text(alice) == 'You chose 12345 for "show p"'


def inline_keyboard(emulator, run_bot):
    run_bot("inline_keyboard")
    alice = emulator.user("Alice")
    alice.send("keyboard please")
    keyboard = alice.wait_for_message(WAIT)
    assert keyboard["text"] == "Use inline keyboard"
    assert _answer(emulator, alice.press(keyboard, "Press me"))["text"] == "Got it"
    assert _answer(emulator, alice.press(keyboard, "edit"))["text"] == "Edited"
    assert _current(alice, keyboard)["text"] == "NEW MESSAGE HERE!!!!!"


def inline_per_user(emulator, run_bot):
    run_bot("inline_per_user", IDLE * 4)
    alice, bob = emulator.user("Alice"), emulator.user("Bob")
    assert _answer(emulator, alice.inline_query("a"))["results"][0]["title"] == "1. a"
    assert _answer(emulator, bob.inline_query("b"))["results"][0]["title"] == "1. b"
    assert _answer(emulator, alice.inline_query("ab"))["results"][0]["title"] == "2. ab"
    alice.choose_inline_result("abc", "ab")
    assert _text(alice) == "You sent 2 inline queries and chose ab"


def payment(emulator, run_bot):
    run_bot("payment", "provider-token")
    alice = emulator.user("Alice")
    alice.send("cream")
    invoice = alice.wait_for_message(WAIT)["invoice"]
    assert invoice["total_amount"] == 999 and invoice["currency"] == "HKD"
    shipping = alice.shipping_query("order-cream")
    options = _answer(emulator, shipping)["shipping_options"]
    assert [o["id"] for o in options] == ["fedex", "dhl"]
    checkout = alice.pre_checkout_query("order-cream", "HKD", 999 + 342 + 1234,
                                        shipping_option_id="dhl")
    assert _answer(emulator, checkout)["ok"] is True
    alice.pay(checkout)
    assert _text(alice) == "Thank you for paying 2575 HKD for order-cream, shipped by dhl"


def vote(emulator, run_bot):
    run_bot("vote", IDLE * 3, IDLE)
    alice, bob = emulator.user("Alice"), emulator.user("Bob")
    group = emulator.group("Committee", members=[alice, bob])
    alice.send("/vote", chat=group)
    ballot = group.wait_for_message(WAIT)
    assert ballot["text"] == "Let's Vote ..."
    assert _answer(emulator, alice.press(ballot, "Yes"))["text"] == "Ok"
    assert _answer(emulator, alice.press(ballot, "Nah!!!!"))["text"] == "You have already voted yes"
    bob.press(ballot, "no")
    assert group.wait_for_message(WAIT)["text"] == "Everyone has voted:\nYes: 1\nNo: 1\nSilent: 0"
    # a ballot outlives its VoteCounter: the expiry event starts one that carries on
    alice.send("/vote", chat=group)
    second = group.wait_for_message(WAIT)
    alice.press(second, "Yes")
    assert group.wait_for_message(WAIT)["text"] == "Time is up:\nYes: 1\nNo: 0\nSilent: 1"


def quiz(emulator, run_bot):
    run_bot("quiz", IDLE * 2)
    alice = emulator.user("Alice")
    alice.send("quiz me")
    start = alice.wait_for_message(WAIT)
    assert start["text"] == "Press START to do some math ..."
    alice.press(start, "START")
    operations = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "x": lambda a, b: a * b}
    seen = start["text"]
    for _ in range(3):
        question = _wait_edit(emulator, alice, start, lambda m, seen=seen: m["text"] != seen)
        seen = question["text"]
        x, sign, y = re.fullmatch(r"(\d+) ([-+x]) (\d+) = \?", seen).groups()
        alice.press(question, str(operations[sign](int(x), int(y))))
    _wait_edit(emulator, alice, start, lambda m: m["text"] == "3 out of 3")
    assert "reply_markup" not in _current(alice, start)


def datecalc(emulator, run_bot):
    run_bot("datecalc", IDLE * 3)
    alice, bob, carol = emulator.user("Alice"), emulator.user("Bob"), emulator.user("Carol")
    results = _answer(emulator, alice.inline_query("mon"))["results"]
    assert len(results) == 3 and results[0]["title"].endswith("Monday")
    chosen = results[1]["id"]
    alice.choose_inline_result(chosen, "mon", inline_message_id="inline-message-1")
    # her next query is answered after the chosen result was handled: the message is hers now
    assert _answer(emulator, alice.inline_query("tue"))["results"][0]["title"].endswith("Tuesday")
    # everyone's votes go back to Alice's DateCalculator, which made the message
    assert _answer(emulator, bob.press("inline-message-1", "yes"))["text"] == "Ok"
    assert _answer(emulator, carol.press("inline-message-1", "no"))["text"] == "Ok"
    again = bob.press("inline-message-1", "no")
    assert _answer(emulator, again)["text"] == "You have already voted yes"
    edit = emulator.wait_for_request(
        "editMessageText", WAIT, lambda r: r.params.get("inline_message_id") == "inline-message-1")
    assert edit.params["text"] == "%s\nYes: 1\nNo: 1" % chosen


def broadcast(emulator, run_bot):
    run_bot("broadcast")
    alice, bob = emulator.user("Alice"), emulator.user("Bob")
    alice.send("hello there")  # starts Alice's thread, which only hears what follows
    assert _text(alice) == "Talk to me, say bye when done"
    bob.send("hi")
    assert _text(bob) == "Talk to me, say bye when done"
    alice.send("one two three")
    assert _text(alice) == "3 words so far"
    bob.send("four")
    assert _text(bob) == "1 words so far"
    alice.send("bye")
    assert _text(alice) == "Bye! You said 3 words"
    alice.send("back again")
    assert _text(alice) == "Talk to me, say bye when done"


SCENARIOS = {fn.__name__: fn for fn in (
    skeleton, emodi, route_by_content_type, counter, guess, chatbox, lover, alarm,
    inline_query, inline_keyboard, inline_per_user, payment, vote, quiz, datecalc, broadcast,
)}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_bot(emulator, run_bot, name):
    SCENARIOS[name](emulator, run_bot)

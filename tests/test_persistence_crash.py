"""The bot process killed with SIGKILL at random points while the emulator delivers
updates, restarted on the same SQLite file each time (tests/persistence_crash_child.py).

After the last run every update the emulator had answered 200 for / had confirmed was
handled exactly once: each chat's state holds the sequence numbers of exactly the messages
sent into it, in order, none twice; the inbox is empty; every alarm a handled message asked
for fired. ``TELEGRAMBOT_SOAK=1`` repeats it over many more kill points.
"""

import os
import random
import signal
import subprocess
import sys
import threading

import pytest

from telegrambot.storage import SQLiteStore
from telegrambot.testing import Emulator

CHILD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "persistence_crash_child.py")
SOAK = bool(os.environ.get("TELEGRAMBOT_SOAK"))
KILLS = 40 if SOAK else 4
CHATS = 4
PER_WAVE = 60 if SOAK else 40

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")


class Child:
    """The bot process, and the lines it printed (counted by a reader thread)."""

    def __init__(self, path, emu, mode):
        self.log = open(path + ".log", "w+b")  # a file: a pipe nobody reads could fill up
        self.process = subprocess.Popen(
            [sys.executable, CHILD, path, emu.api_url, emu.token, mode],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log)
        self.cond = threading.Condition()
        self.handled = 0
        self.lines = []
        self.reader = threading.Thread(target=self._read, name="test-child-reader", daemon=True)
        self.reader.start()
        self.wait_for(lambda: "ready" in self.lines, "the bot process did not start")

    def _read(self):
        for line in self.process.stdout:
            with self.cond:
                text = line.decode().strip()
                if text == "h":
                    self.handled += 1
                else:
                    self.lines.append(text)
                self.cond.notify_all()
        with self.cond:
            self.lines.append("EOF")
            self.cond.notify_all()

    def wait_for(self, predicate, message, timeout=20):
        with self.cond:
            if not self.cond.wait_for(lambda: predicate() or "EOF" in self.lines, timeout):
                self.kill()
                raise AssertionError(message)
            if not predicate():
                self.process.wait(10)
                raise AssertionError("%s: %s" % (message, self.errors()[-3000:]))

    def errors(self):
        """What the process wrote to stderr."""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        self.reader.join(10)
        for stream in (self.process.stdin, self.process.stdout, self.log):
            stream.close()


def _accepted(emu):
    """Updates the bot accepted: answered 200 (webhook) or confirmed (polling)."""
    with emu._lock:
        return len(emu.updates) - len(emu._pending)


@pytest.mark.parametrize("mode", ["poll", "webhook"])
def test_killed_and_restarted_bot_handles_every_accepted_update_once(tmp_path, mode):
    rng = random.Random()
    path = str(tmp_path / "bot.db")
    sent = {}  # chat id -> sequence numbers sent there, in order
    alarms = {}  # chat id -> alarm numbers asked for
    seq = 0
    handled = 0  # messages the killed runs handled (an interrupted one may count twice)
    with Emulator() as emu:
        users = [emu.user("User%d" % n) for n in range(CHATS)]
        for _kill in range(KILLS):
            child = Child(path, emu, mode)
            try:
                wave = rng.randint(PER_WAVE // 2, PER_WAVE)
                for _ in range(wave):
                    seq += 1
                    user = rng.choice(users)
                    alarm = rng.random() < 0.1
                    user.send("%s %d" % ("alarm" if alarm else "msg", seq))
                    sent.setdefault(user.id, []).append(seq)
                    if alarm:
                        alarms.setdefault(user.id, []).append(seq)
                # kill once this run handled a random part of what is outstanding
                # (the rest accepted or not, a handler perhaps in the middle)
                target = rng.randint(0, max(0, seq - handled))
                child.wait_for(lambda c=child, t=target: c.handled >= t,
                               "the bot did not handle %d messages" % target)
            finally:
                child.kill()
                handled += child.handled
        # a last run finishes everything
        child = Child(path, emu, mode)
        process = child.process
        try:
            emu.wait_until(lambda: _accepted(emu) == len(emu.updates), timeout=30,
                           message="the restarted bot did not accept every update")
            process.stdin.close()
            child.wait_for(lambda: "closed" in child.lines, "the bot did not finish", 30)
            process.wait(10)
            err = child.errors()
        finally:
            if process.poll() is None:
                child.kill()
            else:
                child.reader.join(10)
                for stream in (process.stdin, process.stdout, child.log):
                    stream.close()
        assert "Traceback" not in err and "ERROR" not in err, err[-3000:]
    with SQLiteStore(path) as store:
        assert store.pending() == []
        assert store.events() == []
        for user_id, numbers in sent.items():
            record = store.load("chat:%d" % user_id)
            assert record is not None, "chat %d has no state" % user_id
            assert record.data["seen"] == numbers, "chat %d" % user_id
            assert sorted(record.data.get("alarms", [])) == alarms.get(user_id, []), \
                "chat %d" % user_id
            tally = store.load("user:%d" % user_id)
            assert tally is not None and tally.data["count"] == len(numbers), "user %d" % user_id

"""``python -m telegrambot demo``: a bot built with this library, talking to scripted users.

The demo starts the emulator (:mod:`telegrambot.testing`), runs :class:`CoffeeBar` (a
:class:`~telegrambot.DelegatorBot` with one :class:`~telegrambot.helper.ChatHandler` per
chat, receiving through ``message_loop``, taking orders with an inline keyboard), has two
simulated users order drinks, prints the conversation, stops everything and exits 0.

:class:`Conversation` and :func:`run_scripted` are the scripting kit behind it; the
``--emulate`` mode of the scripts in ``examples/`` uses them too.
"""

import argparse
import logging
import sys
import threading
import time
from typing import Any, Callable, Dict, List, Optional, TextIO

from ._delegator import DelegatorBot
from .core.flavor import glance, origin_identifier
from .delegate import create_open, include_callback_query_chat_id, pave_event_space, per_chat_id
from .exception import IdleTerminate
from .helper import ChatHandler

__all__ = ["Conversation", "run_scripted", "CoffeeBar", "make_bot", "scenario", "main"]

Message = Dict[str, Any]

# -------------------------------------------------------------------- the scripting kit


class Conversation:
    """Simulated people on an :class:`~telegrambot.testing.Emulator`, with a transcript.

    Every action of a person and every reply of the bot that the script waits for is
    printed to ``out``, one line each. The waits raise
    :class:`~telegrambot.testing.EmulatorTimeout` (an AssertionError) after ``timeout``
    seconds, and :meth:`expect` and friends raise AssertionError when the bot's reply is
    not the one expected.
    """

    def __init__(self, emulator: Any, out: Optional[TextIO] = None, timeout: float = 5.0) -> None:
        self.emu = emulator
        self.out = out if out is not None else sys.stdout
        self.timeout = timeout

    def user(self, first_name: str, **fields: Any) -> Any:
        """A new simulated user (see :meth:`Emulator.user`)."""
        return self.emu.user(first_name, **fields)

    def show(self, who: str, text: str) -> None:
        """Print one transcript line: ``who`` right-aligned, then ``text``."""
        lines = text.split("\n")
        print("%14s: %s" % (who, lines[0]), file=self.out)
        for more in lines[1:]:
            print("%14s  %s" % ("", more), file=self.out)
        self.out.flush()

    def note(self, text: str) -> None:
        """Print a stage direction: ``(text)``."""
        print("%14s  (%s)" % ("", text), file=self.out)
        self.out.flush()

    # -- people act

    def say(self, user: Any, text: str, chat: Any = None, **fields: Any) -> Message:
        """``user`` sends ``text`` (to her private chat with the bot, or to ``chat``)."""
        self.show(self._name(user, chat), text)
        return user.send(text, chat=chat, **fields)

    def press(self, user: Any, message: Message, button: str) -> Dict[str, Any]:
        """``user`` presses the inline button ``button`` (its text or callback data)."""
        self.show(self._name(user, message["chat"]["id"]), "(presses [%s])" % button)
        return user.press(message, button)

    def act(self, user: Any, description: str, action: Callable[[], Any]) -> Any:
        """Anything else a user does: print ``description``, run ``action()``."""
        self.show(user.user["first_name"], "(%s)" % description)
        return action()

    # -- the bot answers

    def expect(self, chat: Any, contains: Optional[str] = None) -> Message:
        """Wait for the next message the bot sends into ``chat`` (a user: her private chat),
        print it and check that its text or caption contains ``contains``."""
        message = self.emu.wait_for_message(chat, self.timeout)
        self.show(self._bot(message["chat"]), describe(message))
        _check(describe(message), contains, "the bot's message")
        return message

    def expect_answer(self, query: Dict[str, Any], contains: Optional[str] = None) -> Dict[str, Any]:
        """Wait for the bot's answer to a callback, inline, shipping or pre-checkout query;
        print it and return its parameters."""
        answers = self.emu.answers
        params = self.emu.wait_until(lambda: answers.get(query["id"]), self.timeout,
                                     "the bot did not answer query %s" % query["id"])
        shown = _describe_answer(params)
        self.show(self._bot(query["from"]), ("(answers) " + shown).strip())
        _check(shown, contains, "the bot's answer")
        return params

    def expect_edit(self, message: Message, contains: str) -> Message:
        """Wait until the bot has edited ``message`` so that it contains ``contains``."""
        chat_id, message_id = message["chat"]["id"], message["message_id"]

        def edited() -> Optional[Message]:
            for current in self.emu.transcript(chat_id):
                if current["message_id"] == message_id and contains in describe(current):
                    return current
            return None

        current = self.emu.wait_until(
            edited, self.timeout, "the bot did not edit its message to say %r" % contains)
        self.show(self._bot(current["chat"]), "(edits its message) " + describe(current))
        return current

    # -- names

    def _name(self, user: Any, chat: Any) -> str:
        name = user.user["first_name"]
        if chat is None:
            return name
        sim = self.emu.chat(chat)
        return name if sim.type == "private" else "%s@%s" % (name, sim.chat.get("title"))

    @staticmethod
    def _bot(chat: Dict[str, Any]) -> str:
        return "bot > %s" % (chat.get("title") or chat.get("first_name") or chat["id"])


def describe(message: Message) -> str:
    """A message as text: its text, or its kind of content (with the file name, title or
    question) and caption (a poll's options, and whether it is closed); then its keyboard's
    buttons on a second line, if it has any."""
    body = message.get("text")
    if body is None:
        kind = next((k for k in _SHOWN_KINDS if k in message), "message")
        content = message.get(kind)
        if not isinstance(content, dict):
            content = {}
        name = content.get("title") or content.get("file_name") or content.get("question")
        if kind == "poll" and content.get("type") == "quiz":
            kind = "quiz"
        body = "[%s%s]" % (kind, ": " + name if name else "")
        if message.get("caption"):
            body += " " + message["caption"]
        if "poll" in message:
            body += " " + " | ".join(o.get("text", "") for o in content.get("options") or ())
            if content.get("is_closed"):
                body += " (closed)"
    markup = message.get("reply_markup") or {}
    rows = markup.get("inline_keyboard") or markup.get("keyboard")
    if rows:
        body += "\n" + " ".join("[%s]" % button.get("text") for row in rows for button in row)
    return body


_SHOWN_KINDS = ("invoice", "document", "photo", "audio", "video", "voice", "sticker",
                "location", "poll", "dice", "contact", "successful_payment")


def _describe_answer(params: Dict[str, Any]) -> str:
    if "results" in params:
        titles = [r.get("title") or r.get("id") for r in params["results"]]
        return "%d result%s: %s" % (len(titles), "" if len(titles) == 1 else "s",
                                    ", ".join(str(t) for t in titles))
    if "ok" in params:
        verdict = "ok" if params["ok"] in (True, "true") else "refused"
        extra = params.get("error_message") or ", ".join(
            o.get("title", "") for o in params.get("shipping_options") or ())
        return verdict + (": " + extra if extra else "")
    return params.get("text") or params.get("url") or ""


def _check(text: str, contains: Optional[str], what: str) -> None:
    if contains is not None and contains not in text:
        raise AssertionError("%s should contain %r, it was %r" % (what, contains, text))


class _ErrorRecorder(logging.Handler):
    """Collects the ERROR records of the library: a bot that logs one has misbehaved."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: List[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _library_threads() -> List[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("telegrambot-") and t.is_alive()]


def run_scripted(start: Callable[..., Any], script: Callable[[Conversation], Any],
                 out: Optional[TextIO] = None, timeout: float = 5.0,
                 first_update_id: Optional[int] = None) -> int:
    """Run a bot against a fresh emulator with a scripted user; return an exit status.

    ``start(token, api_url)`` builds the bot, starts it receiving and returns something
    with a ``stop()`` method (the bot). ``script(conversation)`` plays the users and checks
    the bot's replies. Returns 0 when the script ran through, the bot logged no error and
    every library thread ended; 1 otherwise (the reason is printed to stderr).
    ``first_update_id`` numbers the emulator's updates from there (a bot with a store
    that ran before has seen the low numbers).
    """
    from .testing import Emulator

    out = out if out is not None else sys.stdout
    recorder = _ErrorRecorder()
    library_log = logging.getLogger("telegrambot")
    library_log.addHandler(recorder)
    problems: List[str] = []
    began = time.monotonic()
    try:
        with Emulator() as emu:
            if first_update_id is not None:
                emu.renumber_updates(first_update_id)
            running = start(emu.token, emu.api_url)
            try:
                script(Conversation(emu, out, timeout))
            except AssertionError as e:
                problems.append("the bot did not behave: %s" % e)
            finally:
                running.stop()
    finally:
        library_log.removeHandler(recorder)
    problems.extend("the bot logged an error: %s" % r.getMessage() for r in recorder.records)
    deadline = time.monotonic() + 2.0
    while _library_threads() and time.monotonic() < deadline:
        time.sleep(0.02)
    left = _library_threads()
    if left:
        problems.append("threads still running: %s" % ", ".join(sorted(t.name for t in left)))
    for problem in problems:
        print("FAILED: " + problem, file=sys.stderr)
    if not problems:
        print("-- done in %.1f s, everything stopped." % (time.monotonic() - began), file=out)
    return 1 if problems else 0


# -------------------------------------------------------------------- the demo bot

DRINKS = ("coffee", "tea", "cocoa")
MENU = {"inline_keyboard": [[{"text": d.capitalize(), "callback_data": d} for d in DRINKS]]}


class CoffeeBar(ChatHandler):
    """One per chat, on its own thread: takes orders from an inline keyboard, keeps the
    chat's tab in an attribute, and closes the tab after ``timeout`` quiet seconds."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tab: List[str] = []

    def on_chat_message(self, msg: Message) -> None:
        content_type, chat_type, chat_id = glance(msg)
        name = msg["from"]["first_name"]
        text = msg.get("text", "") if content_type == "text" else ""
        if text.startswith(("/start", "/menu")):
            self.sender.sendMessage("Hello %s! What can I get you?" % name, reply_markup=MENU)
        elif text.startswith("/tab"):
            self.sender.sendMessage("%s, your tab: %s." % (name, _tab(self.tab)))
        else:
            self.sender.sendMessage("Say /menu to order, /tab to see your tab.")

    def on_callback_query(self, msg: Message) -> None:
        query_id, from_id, drink = glance(msg, flavor="callback_query")
        if drink not in DRINKS:
            self.bot.answerCallbackQuery(query_id, text="That is not on the menu.")
            return
        self.tab.append(drink)
        self.bot.answerCallbackQuery(query_id, text="One %s, coming up!" % drink)
        self.bot.editMessageText(origin_identifier(msg), "%s ordered a %s." % (
            msg["from"]["first_name"], drink))

    def on_close(self, ex: BaseException) -> None:
        if isinstance(ex, IdleTerminate):
            self.sender.sendMessage("All quiet: closing your tab (%s). Goodbye!" % _tab(self.tab))


def _tab(drinks: List[str]) -> str:
    if not drinks:
        return "nothing yet"
    return "%s (%d drink%s)" % (", ".join(drinks), len(drinks), "" if len(drinks) == 1 else "s")


def make_bot(token: str, api_url: str, idle_timeout: float = 2.0) -> Any:
    """The demo bot: a DelegatorBot with a :class:`CoffeeBar` per private chat; callback
    queries from a chat's messages go to that chat's CoffeeBar."""
    return DelegatorBot(token, [
        include_callback_query_chat_id(pave_event_space())(
            per_chat_id(types=["private"]), create_open, CoffeeBar, timeout=idle_timeout),
    ], api_url=api_url)


def start(token: str, api_url: str) -> Any:
    """Build the demo bot and start its message loop."""
    bot = make_bot(token, api_url)
    bot.message_loop()
    return bot


def scenario(talk: Conversation) -> None:
    """Alice and Bob order drinks at the same time; each chat keeps its own tab."""
    alice, bob = talk.user("Alice"), talk.user("Bob")
    talk.say(alice, "/start")
    alice_menu = talk.expect(alice, "What can I get you?")
    talk.say(bob, "/start")
    bob_menu = talk.expect(bob, "Hello Bob!")

    query = talk.press(alice, alice_menu, "Coffee")
    talk.expect_answer(query, "One coffee")
    talk.expect_edit(alice_menu, "Alice ordered a coffee.")
    query = talk.press(bob, bob_menu, "Tea")
    talk.expect_answer(query, "One tea")
    talk.expect_edit(bob_menu, "Bob ordered a tea.")

    talk.say(alice, "/menu")
    menu = talk.expect(alice, "What can I get you?")
    talk.expect_answer(talk.press(alice, menu, "Cocoa"), "One cocoa")
    talk.expect_edit(menu, "Alice ordered a cocoa.")

    talk.say(alice, "/tab")
    talk.expect(alice, "coffee, cocoa (2 drinks)")
    talk.say(bob, "/tab")
    talk.expect(bob, "tea (1 drink)")
    talk.say(bob, "What's good here?")
    talk.expect(bob, "Say /menu to order")

    talk.note("both stay quiet for a while")
    talk.expect(alice, "closing your tab (coffee, cocoa (2 drinks))")
    talk.expect(bob, "closing your tab (tea (1 drink))")


def main(argv: Optional[List[str]] = None) -> int:
    """Run the demo; returns the exit status (0: the bot behaved and everything stopped)."""
    argparse.ArgumentParser(
        prog="python -m telegrambot demo",
        description="Watch a bot built with telegrambot talk to scripted users on the "
                    "embedded emulator. Needs no token and no network.").parse_args(argv)
    print("telegrambot demo: a DelegatorBot with one ChatHandler per chat, polling the")
    print("embedded Bot API emulator, while two scripted users order drinks.\n")
    return run_scripted(start, scenario)


if __name__ == "__main__":
    sys.exit(main())

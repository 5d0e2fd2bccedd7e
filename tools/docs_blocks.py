"""Run every code block of README.md and docs/ against the emulator.

    python tools/docs_blocks.py                          # every page
    python tools/docs_blocks.py docs/tutorial/basics.md  # some pages
    python tools/docs_blocks.py --list                   # what each block is taken for

The suite runs it (tests/test_docs_blocks.py). The rules, for people writing docs, are in
docs/contributing.md; in short:

- A page runs in a process of its own, in a fresh directory that looks like a clone of the
  repository (its top-level entries are linked in), against an emulator started for the
  page whose token is the page's placeholder token (``TOKEN``, or the one literal token
  the page writes, such as ``"123456:your-token"``); ``telegrambot.api.DEFAULT_API_URL``
  points at that emulator, so ``Bot(TOKEN)`` talks to it unchanged.
- ``python`` blocks run in order in one namespace, like one interpreter session. A block
  that runs forever (``run_forever``, ``while True:``, or marked ``forever``) runs until the
  dialogue given next to it is done, then gets Ctrl-C, as a reader stops a script; the
  page's bots are stopped before it starts and after it ends.
- Lines starting with ``>>>`` run as statements; what a session printed is not compared.
- ``sh`` blocks run command by command in that directory with this Python first on PATH,
  except the commands of :data:`SKIPPED_COMMANDS` (each with its reason).
- ``text`` blocks are output or diagrams; ``{literalinclude}`` of ``examples/`` is run by
  tests/test_examples.py; admonitions are read for the blocks inside them.
- A hidden HTML comment just before a block, ``<!-- docs-test ... -->``, says what the
  reader does around it (see :class:`Marker`). A block no rule covers is an error that
  names the page and line and says what to do.
"""

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Set, Tuple

ROOT = Path(__file__).resolve().parent.parent
HELP = "see docs/contributing.md, 'Code blocks in the docs'"
MARK = "docs-test"

#: What a page's ``sh`` blocks may contain and the runner does not run, with the reason.
SKIPPED_COMMANDS = [
    (re.compile(r"^pip install\b"), "installs packages: the suite runs in an environment "
                                    "where the package and its extras are installed"),
    (re.compile(r"^pytest\b"), "runs the test suite: this runner is part of it"),
    (re.compile(r"^sphinx-build\b"), "builds the docs: CI runs sphinx-build -W itself"),
    (re.compile(r"^python benchmarks/"), "a benchmark: it runs for minutes and its figures are "
                                         "on the page; benchmarks are run by hand"),
]
#: Block languages and what is done with them.
PYTHON = {"python", "py", "python3", "pycon"}
SHELL = {"sh", "bash", "shell", "console"}
OUTPUT = {"text", "none"}
CONTAINERS = {"note", "admonition", "warning", "tip", "important", "seealso", "attention",
              "caution", "danger", "error", "hint"}
FOREVER = re.compile(r"run_forever\s*[=(]|^\s*while True:", re.M)
TOKEN_LITERAL = re.compile(r"""["'](\d{3,}:[A-Za-z0-9_\-.]+)["']""")

# a block (or a dialogue's wait) that is not done by then fails; the tests of the runner
# shorten it through the environment
BLOCK_TIMEOUT = float(os.environ.get("DOCS_BLOCKS_WAIT", "20"))
SHELL_TIMEOUT = 60.0      # a command of an sh block (the demo, an example) may take this long
FOREVER_STOP = 10.0       # a forever block must end this soon after Ctrl-C
PAGE_TIMEOUT = 90.0       # the parent kills a page's process after this long


# ------------------------------------------------------------------------------ reading pages


class Marker:
    """The hidden comment before a block: ``<!-- docs-test OPTIONS`` then lines, ``-->``.

    OPTIONS on the first line: ``skip: REASON`` (the block is not run; the reason is
    reported), ``forever`` (it runs until Ctrl-C, even with no ``run_forever`` in it),
    ``pytest`` (the block is a test module: it is run by pytest, fixtures and all).

    Lines, in order, run around the block; ``{block}`` is where the block runs (before
    the first line if absent):

    - ``Alice: some text``: the user Alice (made on first use) sends the text;
    - ``bot > Alice: some text``: the bot's next message to Alice (of those it sent since
      this block's turn came) has this text (or caption); ``...`` in it matches anything;
    - ``Alice presses Tea``: Alice presses the button (text or data) of the last message
      with an inline keyboard the bot sent her;
    - ``>>> statement`` (``...`` continues it): hidden Python run in the page's namespace,
      where ``emulator`` is the page's emulator, and ``user("Alice")`` her SimUser;
    - ``replace: OLD => NEW``: run the block with OLD replaced by NEW, formatted with the
      namespace (``{PORT}``): a value the reader types in place of a placeholder.
    """

    def __init__(self, text: str, line: int) -> None:
        self.line = line
        body = text.strip()[len("<!--"):-len("-->")].strip()
        first, _, rest = body.partition("\n")
        options = first[len(MARK):].strip()
        self.skip: Optional[str] = None
        self.forever = False
        self.pytest = False
        self.problems: List[str] = []
        if options.startswith("skip:"):
            self.skip = options[len("skip:"):].strip() or None
            if self.skip is None:
                self.problems.append("'skip:' needs a reason after it")
        else:
            for word in options.split():
                if word == "forever":
                    self.forever = True
                elif word == "pytest":
                    self.pytest = True
                else:
                    self.problems.append("unknown option %r (known: skip: REASON, forever, "
                                         "pytest)" % word)
        self.before: List[str] = []
        self.after: List[str] = []
        self.replace: List[Tuple[str, str]] = []
        target = None
        lines = [ln.strip() for ln in rest.split("\n") if ln.strip()]
        if "{block}" not in lines:
            lines.insert(0, "{block}")
        target = self.before
        for ln in lines:
            if ln == "{block}":
                target = self.after
            elif ln.startswith("replace:"):
                old, sep, new = ln[len("replace:"):].partition("=>")
                if not sep:
                    self.problems.append("replace needs 'OLD => NEW': %r" % ln)
                self.replace.append((old.strip(), new.strip()))
            else:
                target.append(ln)


class Block:
    """One code block of a page: where it is, its language, its text, its marker."""

    def __init__(self, page: Path, line: int, lang: str, code: str,
                 marker: Optional[Marker] = None, include: Optional[str] = None) -> None:
        self.page = page
        self.line = line          # the line of the opening fence (1-based)
        self.lang = lang
        self.code = code
        self.marker = marker
        self.include = include    # the file of a {literalinclude}

    @property
    def where(self) -> str:
        return "%s:%d" % (rel(self.page), self.line)

    @property
    def first_code_line(self) -> int:
        return self.line + 1

    def __repr__(self) -> str:
        return "<Block %s %s>" % (self.where, self.lang or "(no language)")


def rel(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def pages(root: Path = ROOT) -> List[Path]:
    """README.md and every .md and .rst page under docs/ (the built site left out)."""
    found = [root / "README.md"]
    for pattern in ("*.md", "*.rst"):
        found += [p for p in sorted((root / "docs").rglob(pattern)) if "_build" not in p.parts]
    return found


def page_blocks(page: Path) -> List[Block]:
    text = Path(page).read_text(encoding="utf-8")
    if str(page).endswith(".rst"):
        return rst_blocks(page, text)
    return md_blocks(page, text, 0)


def md_blocks(page: Path, text: str, offset: int) -> List[Block]:
    """The code blocks of Markdown ``text`` whose first line is line ``offset + 1``."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").parse(text)
    blocks: List[Block] = []
    marker: Optional[Marker] = None
    for token in tokens:
        if marker is not None and token.type not in ("fence", "code_block"):
            blocks.append(Block(page, marker.line, "{docs-test}", "", marker))  # dangling
            marker = None
        if token.type == "html_block" and token.content.lstrip().startswith("<!-- " + MARK):
            assert token.map is not None
            marker = Marker(token.content, offset + token.map[0] + 1)
            continue
        if token.type in ("fence", "code_block"):
            assert token.map is not None
            line = offset + token.map[0] + 1
            info = token.info.strip() if token.type == "fence" else ""
            name = info.split()[0] if info else ""
            if name.startswith("{") and name.endswith("}"):
                directive = name[1:-1]
                argument = info[len(name):].strip()
                if directive in CONTAINERS:
                    inner = token.content
                    # a directive's options (":class: x") come first
                    skipped = 0
                    lines = inner.split("\n")
                    while skipped < len(lines) and lines[skipped].startswith(":"):
                        skipped += 1
                    blocks += md_blocks(page, "\n".join(lines[skipped:]), line + skipped)
                elif directive == "literalinclude":
                    blocks.append(Block(page, line, "{literalinclude}", "", marker,
                                        include=argument))
                elif directive in ("code-block", "code", "sourcecode"):
                    body = token.content.split("\n")
                    while body and body[0].startswith(":"):
                        body.pop(0)
                    blocks.append(Block(page, line, argument.split()[0] if argument else "",
                                        "\n".join(body), marker))
                else:
                    blocks.append(Block(page, line, name, token.content, marker))
            else:
                blocks.append(Block(page, line, name, token.content, marker))
            marker = None
    if marker is not None:
        blocks.append(Block(page, marker.line, "{docs-test}", "", marker))
    return blocks


_RST_DIRECTIVE = re.compile(r"^(\s*)\.\. (code-block|code|sourcecode)::\s*(\S*)\s*$")


def rst_blocks(page: Path, text: str) -> List[Block]:
    """``.. code-block:: lang`` blocks and ``::`` literal blocks of a reStructuredText page."""
    lines = text.split("\n")
    blocks = []
    for index, line in enumerate(lines):
        match = _RST_DIRECTIVE.match(line)
        literal = not match and line.rstrip().endswith("::") and not line.lstrip().startswith("..")
        if not (match or literal):
            continue
        indent = len(match.group(1)) if match else len(line) - len(line.lstrip())
        body = []
        j = index + 1
        while j < len(lines) and (not lines[j].strip() or lines[j].startswith(" " * (indent + 1))):
            body.append(lines[j])
            j += 1
        while body and body[0].strip().startswith(":") and match:
            body.pop(0)
        if not any(b.strip() for b in body):
            continue
        strip = min(len(b) - len(b.lstrip()) for b in body if b.strip())
        code = "\n".join(b[strip:] for b in body).strip("\n") + "\n"
        blocks.append(Block(page, index + 1, match.group(3) if match else "", code,
                            _rst_marker(lines, index)))
    return blocks


def _rst_marker(lines: List[str], index: int) -> Optional[Marker]:
    """The ``.. docs-test`` comment (its lines indented under it) just before line ``index``."""
    j = index - 1
    while j >= 0 and not lines[j].strip():
        j -= 1
    end = j
    while j >= 0 and lines[j].startswith(" "):
        j -= 1
    if j < 0 or not lines[j].startswith(".. " + MARK):
        return None
    body = [lines[j][3:]] + [ln.strip() for ln in lines[j + 1:end + 1]]
    return Marker("<!-- " + "\n".join(body) + " -->", j + 1)


# ------------------------------------------------------------------------------------ plans


class Step:
    """What the runner does with one block: ``kind`` and, if it is not run, ``reason``."""

    def __init__(self, block: Block, kind: str, reason: str = "") -> None:
        self.block, self.kind, self.reason = block, kind, reason


def plan(blocks: Iterable[Block]) -> Tuple[List[Step], List[str]]:
    """(the steps, the problems): a problem is a block no rule covers, or a bad marker."""
    steps: List[Step] = []
    problems: List[str] = []
    for block in blocks:
        marker = block.marker
        if marker is not None and marker.problems:
            problems += ["%s:%d: the docs-test comment: %s (%s)" % (
                rel(block.page), marker.line, p, HELP) for p in marker.problems]
            continue
        lang = block.lang.lower()
        if lang == "{docs-test}":
            problems.append("%s: a docs-test comment with no code block right after it (only "
                            "blank lines may come between) (%s)" % (block.where, HELP))
        elif marker is not None and marker.skip:
            steps.append(Step(block, "skip", marker.skip))
        elif lang == "{literalinclude}":
            target = (block.page.parent / (block.include or "")).resolve()
            if target.parent != ROOT / "examples" or not target.is_file():
                problems.append("%s: a literalinclude of %s: only files of examples/ are run "
                                "(by tests/test_examples.py); show other code in a block, or "
                                "mark it <!-- docs-test skip: WHY --> (%s)" % (
                                    block.where, block.include, HELP))
            else:
                steps.append(Step(block, "skip", "examples/%s is run by tests/test_examples.py"
                                  % target.name))
        elif lang in PYTHON:
            if not block.code.strip():
                problems.append("%s: an empty python block" % block.where)
            elif marker is not None and marker.pytest:
                steps.append(Step(block, "pytest"))
            elif (marker is not None and marker.forever) or FOREVER.search(block.code):
                steps.append(Step(block, "forever"))
            else:
                steps.append(Step(block, "python"))
        elif lang in SHELL:
            steps.append(Step(block, "sh"))
        elif lang in OUTPUT:
            steps.append(Step(block, "skip", "a text block is output or a diagram, not code"))
        else:
            what = "a block with no language" if not lang else "a %r block" % block.lang
            problems.append(
                "%s: %s: no rule covers it. Say what it is: ```python (run with the page), "
                "```sh (commands run), ```text (output, not run); or put "
                "<!-- docs-test skip: WHY --> just before it (%s)" % (block.where, what, HELP))
    return steps, problems


def page_token(page: Path, blocks: List[Block]) -> Tuple[Optional[str], List[str]]:
    """The one literal token the page's python blocks write, if any."""
    found: Dict[str, int] = {}
    for block in blocks:
        if block.lang.lower() in PYTHON:
            for token in TOKEN_LITERAL.findall(block.code):
                found.setdefault(token, block.line)
    if len(found) > 1:
        return None, ["%s: the page writes %d different tokens (%s); the runner serves one "
                      "per page: write the same placeholder token everywhere, or TOKEN (%s)"
                      % (rel(page), len(found), ", ".join(sorted(found)), HELP)]
    return (next(iter(found)) if found else None), []


# ------------------------------------------------------------------------------ running a page


class Failure(Exception):
    """A block failed: the message says where and why."""


def _statements(code: str) -> str:
    """The statements of a ``>>>`` session (the output lines dropped), or ``code`` itself."""
    lines = code.split("\n")
    if not any(ln.startswith(">>>") for ln in lines):
        return code
    kept = []
    for ln in lines:
        if ln.startswith(">>> ") or ln == ">>>" or ln.startswith("... ") or ln == "...":
            kept.append(ln[4:])
        else:
            kept.append("")  # output: keeps the line numbers
    return "\n".join(kept)


class Session:
    """One page running in this process (the child the parent started)."""

    def __init__(self, page: Path, report: Any) -> None:
        from telegrambot import api
        from telegrambot.testing import Emulator

        self.page = page
        self.report = report
        blocks = page_blocks(page)
        self.steps, problems = plan(blocks)
        token, more = page_token(page, blocks)
        if problems or more:
            raise Failure("\n".join(problems + more))
        self.emulator = Emulator(token).start()
        api.DEFAULT_API_URL = self.emulator.api_url
        self.namespace: Dict[str, Any] = {
            "__name__": "__main__", "TOKEN": self.emulator.token,
            "emulator": self.emulator, "user": self.emulator.user_named,
        }
        self.pytest_blocks: List[Block] = []
        self.sent: List[Dict[str, Any]] = []  # every message the bot sent, in order
        self.since = 0                         # ... of which the current block's start here
        self.looked_at: Set[int] = set()       # ... and those a dialogue line looked at
        self.emulator.add_listener(self.sent.append)

    def note(self, **event: Any) -> None:
        self.report.write(json.dumps(event) + "\n")
        self.report.flush()

    # -- the steps

    def run(self) -> None:
        for step in self.steps:
            block = step.block
            self.note(event="start", line=block.line, kind=step.kind)
            self.since = len(self.sent)  # the dialogue looks at what the bot sends from now
            if step.kind == "skip":
                self.note(event="skip", line=block.line, reason=step.reason)
                continue
            if step.kind == "pytest":
                self.pytest_blocks.append(block)
                continue
            getattr(self, "run_" + step.kind)(block)
            self.note(event="ok", line=block.line, kind=step.kind)
        if self.pytest_blocks:
            self.run_pytest(self.pytest_blocks)
        self.stop_bots()

    def code_of(self, block: Block) -> str:
        code = block.code
        for old, new in (block.marker.replace if block.marker else []):
            if old not in code:
                raise Failure("%s: replace: %r is not in the block (%s)" % (block.where, old, HELP))
            try:
                value = new.format_map(self.namespace)
            except (KeyError, AttributeError) as e:
                raise Failure("%s: replace: %r: %r is not defined by the lines before it"
                              % (block.where, new, e.args[0])) from None
            code = code.replace(old, value)
        return code

    def execute(self, code: str, first_line: int, what: str) -> None:
        source = "\n" * (first_line - 1) + code
        try:
            compiled = compile(source, str(self.page), "exec")
            exec(compiled, self.namespace)
        except KeyboardInterrupt:
            raise
        except BaseException as e:
            raise Failure(self.explain(e, what, first_line)) from None

    def explain(self, error: BaseException, what: str, line: int = 0) -> str:
        """Where ``error`` happened on the page (``line`` if no frame says), what it was, and
        what to do."""
        frames = [f for f in traceback.extract_tb(error.__traceback__)
                  if f.filename == str(self.page)]
        here = frames[-1].lineno if frames else getattr(error, "lineno", None) or line
        lines = ["%s:%s: %s failed: %s: %s" % (rel(self.page), here, what,
                                               type(error).__name__, error)]
        for frame in frames:
            lines.append("  line %s: %s" % (frame.lineno, (frame.line or "").strip()))
        tail = traceback.format_exception_only(type(error), error)
        if isinstance(error, SyntaxError):
            lines += ["  " + t.rstrip() for t in tail]
        lines.append("What to do: make the block run as a reader would copy it (earlier "
                     "blocks of the page run first, in one namespace), or say what the reader "
                     "does around it in a <!-- docs-test --> comment (%s)" % HELP)
        return "\n".join(lines)

    def hidden(self, lines: List[str], block: Block) -> None:
        """Run a marker's lines (dialogue and hidden Python) in order."""
        index = 0
        while index < len(lines):
            ln = lines[index]
            index += 1
            if ln.startswith(">>>"):
                code = [ln[4:]]
                while index < len(lines) and lines[index].startswith("..."):
                    code.append(lines[index][4:])
                    index += 1
                self.execute("\n".join(code) + "\n", block.marker.line if block.marker else 1,
                             "the hidden line %r of the docs-test comment before %s"
                             % (ln, block.where))
            else:
                self.dialogue(ln, block)

    def dialogue(self, ln: str, block: Block) -> None:
        emu = self.emulator
        expect = re.match(r"^bot > (\w+): (.*)$", ln)
        press = re.match(r"^(\w+) presses (.+)$", ln)
        says = re.match(r"^(\w+): (.*)$", ln)
        try:
            if expect:
                who = emu.user_named(expect.group(1))
                want = expect.group(2)
                sent = self.next_message(who.id, "the bot sent no message to %s within %g s" % (
                    who.user["first_name"], BLOCK_TIMEOUT))
                got = sent.get("text", sent.get("caption", ""))
                pattern = ".*".join(re.escape(part) for part in want.split("...")) + r"\Z"
                if not re.match(pattern, got, re.S):
                    raise Failure("%s: the bot said %r to %s; the docs-test comment expects %r"
                                  % (block.where, got, who.user["first_name"], want))
            elif press:
                who = emu.user_named(press.group(1))
                with_buttons = [m for m in who.received()
                                if "inline_keyboard" in (m.get("reply_markup") or {})]
                if not with_buttons:
                    raise Failure("%s: %s has no message with buttons to press"
                                  % (block.where, who.user["first_name"]))
                who.press(with_buttons[-1], press.group(2))
            elif says:
                emu.user_named(says.group(1)).send(says.group(2))
            else:
                raise Failure("%s: the docs-test comment line %r is none of 'Alice: text', "
                              "'bot > Alice: text', 'Alice presses X', '>>> code', 'replace: "
                              "A => B' (%s)" % (block.where, ln, HELP))
        except Failure:
            raise
        except AssertionError as e:  # the emulator's waits
            raise Failure("%s: the dialogue line %r: %s" % (block.where, ln, e)) from None

    def next_message(self, chat_id: int, timeout_message: str) -> Dict[str, Any]:
        """The first message the bot sent to ``chat_id`` since the block began, not yet
        looked at by a dialogue line; waits for it."""

        def find() -> Optional[Tuple[int]]:
            for index in range(self.since, len(self.sent)):
                if index not in self.looked_at and self.sent[index]["chat"]["id"] == chat_id:
                    return (index,)
            return None

        index = self.emulator.wait_until(find, BLOCK_TIMEOUT, timeout_message)[0]
        self.looked_at.add(index)
        return self.sent[index]

    def run_python(self, block: Block) -> None:
        marker = block.marker
        if marker is not None:
            self.hidden(marker.before, block)
        self.execute(_statements(self.code_of(block)), block.first_code_line,
                     "the python block")
        if marker is not None:
            self.hidden(marker.after, block)

    def run_forever(self, block: Block) -> None:
        """Run the block in this (the main) thread; after the dialogue, Ctrl-C."""
        marker = block.marker
        self.stop_bots()
        if marker is not None:
            self.hidden(marker.before, block)
        done = threading.Event()
        problem: List[BaseException] = []
        threads_before = set(threading.enumerate())
        polls = len([r for r in self.emulator.requests if r.method in ("getUpdates", "setWebhook")])

        def drive() -> None:
            try:
                # the bot is receiving once it polls, or has set its webhook; and it has
                # taken what was waiting for it (a reader's earlier messages) first
                emu = self.emulator
                emu.wait_until(
                    lambda: done.is_set() or (
                        len([r for r in emu.requests if r.method in ("getUpdates", "setWebhook")
                             and r.ready]) > polls and not emu.pending_updates()),
                    timeout=BLOCK_TIMEOUT, message="the block did not start receiving (no "
                    "getUpdates, no setWebhook), or left updates unconfirmed")
                if not done.is_set() and marker is not None:
                    self.hidden(marker.after, block)
            except BaseException as e:
                problem.append(e)
            finally:
                if not done.is_set():
                    os.kill(os.getpid(), signal.SIGINT)  # what a reader's Ctrl-C sends

        driver = threading.Thread(target=drive, name="docs-driver", daemon=True)
        driver.start()
        try:
            self.execute(self.code_of(block), block.first_code_line, "the block (run forever)")
        except KeyboardInterrupt:
            pass  # the way a forever block ends when it does not catch Ctrl-C itself
        finally:
            done.set()
        driver.join(FOREVER_STOP)
        if problem:
            error = problem[0]
            raise Failure(str(error) if isinstance(error, Failure)
                          else self.explain(error, "the dialogue of the block", block.line))
        self.stop_bots()
        # a bot the block made without a name (``MyBot(TOKEN).message_loop(...)``) stops on
        # Ctrl-C; under load its threads may still be ending: let them, so that they take
        # no update meant for the next block's bot
        for thread in set(threading.enumerate()) - threads_before:
            if thread.name.startswith(("telegrambot-poll", "telegrambot-loop", "telegrambot-queue")):
                thread.join(FOREVER_STOP)

    def run_sh(self, block: Block) -> None:
        env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep
                   + os.environ.get("PATH", ""))
        for command in shell_commands(block.code):
            for part in command_parts(command):
                reason = skipped_command(part)
                if reason:
                    self.note(event="skip", line=block.line, reason="%s: %s" % (part, reason))
                    continue
                try:
                    done = subprocess.run(["bash", "-c", part], env=env, capture_output=True,
                                          text=True, timeout=SHELL_TIMEOUT,
                                          stdin=subprocess.DEVNULL)
                except subprocess.TimeoutExpired:
                    raise Failure("%s: the command %r did not end within %g s" % (
                        block.where, part, SHELL_TIMEOUT)) from None
                if done.returncode != 0:
                    raise Failure("%s: the command %r failed (exit %d):\n%s%s" % (
                        block.where, part, done.returncode, done.stdout[-2000:],
                        done.stderr[-2000:]))

    def run_pytest(self, blocks: List[Block]) -> None:
        files = []
        for block in blocks:
            name = "test_docs_%s_%d.py" % (re.sub(r"\W", "_", self.page.stem), block.line)
            Path(name).write_text("\n" * (block.first_code_line - 1) + block.code,
                                  encoding="utf-8")
            files.append(name)
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p",
             "telegrambot.testing.pytest_plugin", "--rootdir", ".", *files],
            capture_output=True, text=True, timeout=PAGE_TIMEOUT)
        if done.returncode != 0:
            raise Failure("%s: the blocks marked pytest (lines %s) failed under pytest:\n%s" % (
                rel(self.page), ", ".join(str(b.line) for b in blocks),
                done.stdout[-3000:].replace(os.getcwd() + os.sep, "")))
        for block in blocks:
            self.note(event="ok", line=block.line, kind="pytest")

    def stop_bots(self) -> None:
        """Stop what the page's blocks started, as the end of a reader's script would."""
        for value in list(self.namespace.values()):
            if value is self.emulator or isinstance(value, type) or not any(
                    c.__module__.startswith("telegrambot") for c in type(value).__mro__):
                continue
            stop = getattr(value, "stop", None)
            if callable(stop):
                try:
                    stop()
                except Exception:  # noqa: BLE001 - stopping twice, a loop already ended
                    pass


def shell_commands(code: str) -> List[str]:
    """The commands of an ``sh`` block: one a line (``\\`` continues), ``$ `` and comments gone."""
    commands, current = [], ""
    for line in code.split("\n"):
        line = line.rstrip()
        if line.startswith("$ "):
            line = line[2:]
        if current:
            line = current + " " + line.lstrip()
            current = ""
        if line.endswith("\\"):
            current = line[:-1]
            continue
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            # a comment after the command (`cmd   # why`) is the shell's own business
            commands.append(stripped)
    return commands


def command_parts(command: str) -> List[str]:
    """The commands of a line joined by ``&&`` or ``;``, each run (or skipped) on its own."""
    return [part.strip() for part in re.split(r"&&|;", command) if part.strip()]


def skipped_command(command: str) -> Optional[str]:
    """Why ``command`` (one, not joined) is not run, or None if it is."""
    for pattern, reason in SKIPPED_COMMANDS:
        if pattern.search(command):
            return reason
    return None


def child(page: Path, report_path: str) -> int:
    """Run one page in this process (started by :func:`run_page`)."""
    with open(report_path, "w", encoding="utf-8") as report:
        try:
            session = Session(page, report)
            session.run()
        except Failure as e:
            report.write(json.dumps({"event": "fail", "message": str(e)}) + "\n")
            report.flush()
            _flush_and_exit(1)
        except BaseException as e:  # noqa: BLE001 - the runner's own fault, shown in full
            report.write(json.dumps({"event": "fail", "message": "the docs runner failed on "
                                     "%s:\n%s" % (rel(page), traceback.format_exc())}) + "\n")
            report.flush()
            del e
            _flush_and_exit(1)
        report.write(json.dumps({"event": "end"}) + "\n")
        report.flush()
    _flush_and_exit(0)
    return 0


def _flush_and_exit(status: int) -> None:
    """End the page's process at once: threads a page left behind end with it."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


# ------------------------------------------------------------------------------ the parent side


class PageResult:
    """What running a page gave: ``failure`` (None if it passed), the events, the output."""

    def __init__(self, page: Path, failure: Optional[str], events: List[Dict[str, Any]],
                 output: str, seconds: float) -> None:
        self.page, self.failure, self.events = page, failure, events
        self.output, self.seconds = output, seconds

    @property
    def skipped(self) -> List[Tuple[int, str]]:
        return [(e["line"], e["reason"]) for e in self.events if e["event"] == "skip"]

    @property
    def ran(self) -> List[Tuple[int, str]]:
        return [(e["line"], e["kind"]) for e in self.events if e["event"] == "ok"]


def clone_dir(directory: Path) -> None:
    """Make ``directory`` look like a clone of the repository: its top-level entries linked."""
    for entry in ROOT.iterdir():
        if entry.name.startswith(".") or entry.name.endswith(".egg-info"):
            continue
        target = directory / entry.name
        if not target.exists():
            target.symlink_to(entry)


def run_page(page: Path, timeout: float = PAGE_TIMEOUT, wait: Optional[float] = None
             ) -> PageResult:
    """Run ``page`` in a child process, in a fresh directory; never raises for a failure.

    ``wait``: how long a block or a dialogue line may wait (default 20 s)."""
    started = time.monotonic()
    page = Path(page).resolve()
    with tempfile.TemporaryDirectory(prefix="docs-blocks-") as directory:
        clone_dir(Path(directory))
        report = os.path.join(directory, ".docs-blocks-report")
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            [str(ROOT)] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else [])))
        if wait is not None:
            env["DOCS_BLOCKS_WAIT"] = str(wait)
        command = [sys.executable, str(Path(__file__).resolve()), "--child", str(page),
                   "--report", report]
        try:
            done = subprocess.run(command, cwd=directory, env=env, capture_output=True,
                                  text=True, timeout=timeout, stdin=subprocess.DEVNULL)
            output, killed = done.stdout + done.stderr, False
        except subprocess.TimeoutExpired as e:
            output = _text(e.stdout) + _text(e.stderr)
            killed = True
        events = []
        if os.path.exists(report):
            with open(report, encoding="utf-8") as f:
                events = [json.loads(line) for line in f if line.strip()]
    failure = next((e["message"] for e in events if e["event"] == "fail"), None)
    if failure is None and killed:
        current = [e for e in events if e["event"] == "start"]
        where = "%s:%d" % (rel(page), current[-1]["line"]) if current else rel(page)
        failure = ("%s: the page did not finish within %d s; it was at this block. A block "
                   "that runs forever needs a dialogue after which it is stopped, and the "
                   "others must return (%s)" % (where, timeout, HELP))
    if failure is None and not any(e["event"] == "end" for e in events):
        failure = "%s: the page's process ended early:\n%s" % (rel(page), output[-3000:])
    if failure is not None and output.strip():
        failure += "\n--- what the page printed (the end) ---\n" + output[-2000:]
    return PageResult(page, failure, events, output, time.monotonic() - started)


def _text(data: Any) -> str:
    if data is None:
        return ""
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else data


def run_pages(paths: Iterable[Path], workers: int = 2) -> Dict[Path, PageResult]:
    """Run pages, ``workers`` at a time."""
    paths = list(paths)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return dict(zip(paths, pool.map(run_page, paths)))


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("pages", nargs="*", help="pages to run (default: all)")
    parser.add_argument("--list", action="store_true", help="show what each block is taken for")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--report", help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    if args.child:
        return child(Path(args.child), args.report)
    chosen = [Path(p).resolve() for p in args.pages] or pages()
    if args.list:
        for page in chosen:
            steps, problems = plan(page_blocks(page))
            for step in steps:
                print("%-45s %-8s %s" % (step.block.where, step.kind, step.reason))
            for problem in problems:
                print("PROBLEM", problem)
        return 0
    failed = 0
    for page, result in run_pages(chosen, args.workers).items():
        status = "FAIL" if result.failure else "ok"
        print("%-4s %s (%.1f s, %d blocks run, %d skipped)" % (
            status, rel(page), result.seconds, len(result.ran), len(result.skipped)))
        if result.failure:
            failed += 1
            print(result.failure)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Every code block of README.md and docs/ runs, against the emulator.

The runner is tools/docs_blocks.py; its rules are in docs/contributing.md. Each page runs in
a process of its own (two at a time); a page's test fails with the page, the line and what
to do. Blocks that are not run are listed by the test below with their reason, never
dropped silently.
"""

import importlib.util
import os
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("docs_blocks", ROOT / "tools" / "docs_blocks.py")
docs_blocks = importlib.util.module_from_spec(_spec)
sys.modules["docs_blocks"] = docs_blocks
_spec.loader.exec_module(docs_blocks)

PAGES = [p for p in docs_blocks.pages() if docs_blocks.page_blocks(p)]


@pytest.fixture(scope="module")
def results(request):
    """The pages of the selected tests, run two at a time from the first test on."""
    from concurrent.futures import ThreadPoolExecutor

    selected = [item.callspec.params["page"] for item in request.session.items
                if getattr(item, "originalname", None) == "test_page_runs"]
    pool = ThreadPoolExecutor(max_workers=2)
    futures = {page: pool.submit(docs_blocks.run_page, page) for page in selected}
    yield futures
    pool.shutdown(wait=True)


@pytest.mark.parametrize("page", PAGES, ids=[docs_blocks.rel(p) for p in PAGES])
def test_page_runs(page, results):
    result = results[page].result()
    assert result.failure is None, result.failure
    steps, _ = docs_blocks.plan(docs_blocks.page_blocks(page))
    ran = {line for line, _ in result.ran}
    for step in steps:  # every block was run, or skipped with its reason
        assert step.block.line in ran or any(
            line == step.block.line for line, _ in result.skipped), step.block.where


def test_every_page_with_code_is_run():
    readme, tutorial = ROOT / "README.md", ROOT / "docs" / "tutorial" / "basics.md"
    assert readme in PAGES and tutorial in PAGES
    assert len(PAGES) >= 15


def test_what_is_not_run_is_listed_with_its_reason():
    """Nothing is skipped without a reason; print the list, for the record."""
    skipped = []
    for page in PAGES:
        steps, problems = docs_blocks.plan(docs_blocks.page_blocks(page))
        assert not problems, "\n".join(problems)
        skipped += [(s.block.where, s.reason) for s in steps if s.kind == "skip"]
    for where, reason in skipped:
        assert reason.strip(), where
        print("not run: %s: %s" % (where, reason))


# -- the runner itself: it fails where it must --------------------------------------------


def write(tmp_path, text, name="page.md"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_a_broken_block_fails_with_page_line_and_error(tmp_path):
    page = write(tmp_path, """\
        # A page

        ```python
        x = 1
        ```

        Some text.

        ```python
        y = x + undefined_name
        ```
        """)
    result = docs_blocks.run_page(page)
    assert result.failure is not None
    first_line = result.failure.splitlines()[0]
    assert first_line.startswith("%s:10: " % page), first_line
    assert "NameError" in first_line and "undefined_name" in first_line
    assert "What to do" in result.failure
    assert result.ran == [(3, "python")]  # the first block ran, in the same session


def test_blocks_share_a_namespace_and_reach_the_emulator(tmp_path):
    page = write(tmp_path, """\
        ```python
        import telegrambot

        bot = telegrambot.Bot("123456:your-token")
        ```

        <!-- docs-test
        Alice: hello
        {block}
        bot > Alice: You said: hello
        -->
        ```python
        me = bot.getMe()
        updates = bot.getUpdates()
        msg = updates[0]["message"]
        bot.sendMessage(msg["chat"]["id"], "You said: " + msg["text"])
        ```
        """)
    result = docs_blocks.run_page(page)
    assert result.failure is None, result.failure
    assert [line for line, _ in result.ran] == [1, 12]


def test_a_dialogue_that_does_not_happen_fails(tmp_path):
    page = write(tmp_path, """\
        <!-- docs-test
        Alice: hi
        bot > Alice: Hello
        -->
        ```python
        import telegrambot

        bot = telegrambot.Bot(TOKEN)
        bot.message_loop(lambda msg: bot.sendMessage(msg["chat"]["id"], "Bye"),
                         run_forever="Listening ...")
        ```
        """)
    result = docs_blocks.run_page(page)
    assert result.failure is not None
    assert result.failure.startswith(
        "%s:5: the bot said 'Bye' to Alice; the docs-test comment expects 'Hello'" % page
    ), result.failure


def test_a_forever_block_is_stopped_after_its_dialogue(tmp_path):
    page = write(tmp_path, """\
        <!-- docs-test
        Alice: ping
        bot > Alice: pong
        -->
        ```python
        import telegrambot

        bot = telegrambot.Bot(TOKEN)
        bot.message_loop(lambda msg: bot.sendMessage(msg["chat"]["id"], "pong"),
                         run_forever="Listening ...")
        print("stopped")
        ```
        """)
    result = docs_blocks.run_page(page)
    assert result.failure is None, result.failure
    assert result.ran == [(5, "forever")]
    assert "Listening ...\nstopped" in result.output


def test_an_unmarked_block_it_cannot_run_fails(tmp_path):
    page = write(tmp_path, """\
        Some code:

            print("an indented block says no language")

        ```ruby
        puts 1
        ```
        """)
    steps, problems = docs_blocks.plan(docs_blocks.page_blocks(page))
    assert steps == []
    assert len(problems) == 2
    assert problems[0].startswith("%s:3: a block with no language: no rule covers it" % page)
    assert problems[1].startswith("%s:5: a 'ruby' block: no rule covers it" % page)
    assert "docs/contributing.md" in problems[0]
    result = docs_blocks.run_page(page)
    assert result.failure is not None and ":3: a block with no language" in result.failure


def test_a_marker_needs_a_reason_to_skip(tmp_path):
    page = write(tmp_path, """\
        <!-- docs-test skip: -->
        ```python
        raise SystemExit(1)
        ```

        <!-- docs-test skip: needs a real phone -->
        ```python
        raise SystemExit(1)
        ```
        """)
    steps, problems = docs_blocks.plan(docs_blocks.page_blocks(page))
    assert [s.reason for s in steps] == ["needs a real phone"]
    assert problems == ["%s:1: the docs-test comment: 'skip:' needs a reason after it (%s)"
                        % (page, docs_blocks.HELP)]


def test_shell_blocks_run_and_skip_only_what_is_listed(tmp_path):
    page = write(tmp_path, """\
        ```sh
        pip install -e . && python -c "open('made.txt', 'w').write('yes')"
        test -f made.txt
        false
        ```
        """)
    result = docs_blocks.run_page(page)
    assert result.failure is not None
    assert result.failure.startswith("%s:1: the command 'false' failed" % page), result.failure
    assert [reason.split(":")[0] for _, reason in result.skipped] == ["pip install -e ."]


def test_a_hanging_block_fails_with_its_line(tmp_path):
    page = write(tmp_path, """\
        ```python
        x = 1
        ```

        ```python
        import threading
        threading.Event().wait()
        ```
        """)
    result = docs_blocks.run_page(page, timeout=3)
    assert result.failure is not None
    assert result.failure.startswith("%s:5: the page did not finish within 3 s" % page)


def test_the_parser_finds_fences_indented_blocks_and_admonitions(tmp_path):
    page = write(tmp_path, """\
        ````{note}
        Inside a note:

        ```python
        inner = 1
        ```
        ````

        ```{literalinclude} ../examples/echo.py
        ```

        - a list item

              indented in a list
        """)
    blocks = docs_blocks.page_blocks(page)
    assert [(b.line, b.lang) for b in blocks] == [(4, "python"), (9, "{literalinclude}"),
                                                  (14, "")]
    steps, problems = docs_blocks.plan(blocks)
    # the include is outside examples/ (the page sits in a temporary directory)
    assert "only files of examples/ are run" in problems[0]


@pytest.mark.skipif(os.name != "posix", reason="the runner stops forever blocks with SIGINT")
def test_pages_run_in_a_directory_like_a_clone(tmp_path):
    page = write(tmp_path, """\
        ```python
        import os
        assert os.path.isfile("examples/echo.py") and os.path.isfile("setup.py")
        open("scratch.txt", "w").close()   # written in the page's own directory
        ```
        """)
    result = docs_blocks.run_page(page)
    assert result.failure is None, result.failure
    assert not (ROOT / "scratch.txt").exists()


def test_a_comment_must_stand_right_before_its_block(tmp_path):
    page = write(tmp_path, """\
        <!-- docs-test
        Alice: hi
        -->
        A paragraph in between.

        ```python
        x = 1
        ```
        """)
    steps, problems = docs_blocks.plan(docs_blocks.page_blocks(page))
    assert [s.block.line for s in steps] == [6] and steps[0].block.marker is None
    assert problems == ["%s:1: a docs-test comment with no code block right after it (only "
                        "blank lines may come between) (%s)" % (page, docs_blocks.HELP)]


def test_the_commands_not_run_are_these():
    """Shell commands the runner does not run, each with its reason (tools/docs_blocks.py)."""
    skip = docs_blocks.skipped_command
    assert skip("pip install -e '.[test]'").startswith("installs packages")
    assert skip("pytest").startswith("runs the test suite")
    assert skip("sphinx-build docs docs/_build/html").startswith("builds the docs")
    assert skip("python benchmarks/bench_webhook.py").startswith("a benchmark")
    assert len(docs_blocks.SKIPPED_COMMANDS) == 4
    for command in ("python -m telegrambot demo", "python examples/quiz.py --emulate",
                    "openssl genrsa 2048 > private.key", "python tools/docs_blocks.py"):
        assert skip(command) is None, command
    assert docs_blocks.command_parts("pip install -e . && python -m telegrambot demo") == [
        "pip install -e .", "python -m telegrambot demo"]


def test_a_dialogue_looks_at_what_the_bot_sent_since_its_block_began(tmp_path):
    page = write(tmp_path, """\
        ```python
        import telegrambot

        bot = telegrambot.Bot(TOKEN)
        bot.sendMessage(user("Alice").id, "earlier")
        ```

        <!-- docs-test
        bot > Alice: now
        bot > Bob: and Bob
        bot > Alice: then
        -->
        ```python
        bot.sendMessage(user("Alice").id, "now")
        bot.sendMessage(user("Alice").id, "then")
        bot.sendMessage(user("Bob").id, "and Bob")
        ```
        """)
    result = docs_blocks.run_page(page)
    assert result.failure is None, result.failure
    page.write_text(page.read_text().replace("bot > Alice: then", "bot > Alice: then\nbot > Alice: now"))
    result = docs_blocks.run_page(page, wait=1)
    assert result.failure is not None  # "now" was looked at once already; nothing else comes
    assert "the bot sent no message to Alice within" in result.failure

"""docs/ptb.md, "Coming from python-telegram-bot": every code block on it runs.

The page's ```python blocks are taken from the page itself, so they cannot drift from what
is tested: each must be marked ``% runnable`` (a MyST comment on the line before it) and
runs here against the emulator. A section on something not written yet is marked planned
and holds no Python code, so the page never shows code that does not work.
"""

import contextlib
import io
import re
from pathlib import Path

import pytest

import telegrambot

PAGE = Path(__file__).resolve().parent.parent / "docs" / "ptb.md"
SECTIONS = ["Application", "Handlers and filters", "ConversationHandler", "JobQueue",
            "Persistence", "Defaults", "Arbitrary callback data", "Rate limiter"]
PLANNED = {"ConversationHandler", "Persistence", "Arbitrary callback data"}
RUNNABLE = "% runnable"


def sections():
    """{heading: text} of the page's level-2 sections."""
    parts = re.split(r"^## (.+)\n", PAGE.read_text(encoding="utf-8"), flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2]))


def python_blocks(text, first_line=1):
    """(line number, marked runnable, code) of each ```python block in ``text``."""
    lines = text.split("\n")
    blocks = []
    index = 0
    while index < len(lines):
        if lines[index].strip() == "```python":
            start = index + 1
            end = lines.index("```", start)
            marked = index > 0 and lines[index - 1].startswith(RUNNABLE)
            blocks.append((first_line + start, marked, "\n".join(lines[start:end]) + "\n"))
            index = end
        index += 1
    return blocks


BLOCKS = python_blocks(PAGE.read_text(encoding="utf-8"))


def test_every_section_is_there_and_planned_ones_say_so():
    found = sections()
    assert [h for h in found if h in SECTIONS] == SECTIONS
    for heading in SECTIONS:
        text = found[heading]
        runnable = python_blocks(text)
        if heading in PLANNED:
            assert "{admonition} Planned" in text, heading
            assert not runnable, "%s is planned: no code may claim to work" % heading
        else:
            assert "Planned" not in text, heading
            assert runnable, "%s needs a runnable example" % heading


def test_every_python_block_is_marked_runnable():
    assert len(BLOCKS) >= 5
    unmarked = [line for line, marked, _ in BLOCKS if not marked]
    assert not unmarked, "docs/ptb.md: python blocks at lines %s lack %r" % (unmarked, RUNNABLE)


@pytest.mark.parametrize("line, code", [(line, code) for line, _, code in BLOCKS],
                         ids=["line%d" % line for line, _, _ in BLOCKS])
def test_block_runs(line, code):
    printed = io.StringIO()
    namespace = {"__name__": "ptb_md"}
    try:
        with contextlib.redirect_stdout(printed):
            exec(compile(code, "%s:%d" % (PAGE, line), "exec"), namespace)
    finally:  # a block that failed half-way has not stopped its bot
        for value in namespace.values():
            if isinstance(value, telegrambot.Bot):
                value.stop()
    if "rate_limiter=True" in code:  # the page says what happens without one
        assert "without a limiter: sendMessage: [429] Too Many Requests" in printed.getvalue()

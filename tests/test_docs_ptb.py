"""docs/ptb.md, "Coming from python-telegram-bot": every section is there, with code.

Its code blocks run with every other page's (tests/test_docs_blocks.py). A section on
something not written yet is marked planned and holds no Python code, so the page never
shows code that does not work.
"""

import re
from pathlib import Path

PAGE = Path(__file__).resolve().parent.parent / "docs" / "ptb.md"
SECTIONS = ["Application", "Handlers and filters", "ConversationHandler", "JobQueue",
            "Persistence", "Defaults", "Arbitrary callback data", "Rate limiter"]
PLANNED = set()


def sections():
    """{heading: text} of the page's level-2 sections."""
    parts = re.split(r"^## (.+)\n", PAGE.read_text(encoding="utf-8"), flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2]))


def python_blocks(text):
    """The code of each ```python block in ``text``."""
    return re.findall(r"^```python\n(.*?)^```$", text, flags=re.MULTILINE | re.DOTALL)


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

"""docs/telepot.md lists every public telepot name with its telegrambot name, and can't drift:
each telegrambot name must resolve, and the first table must hold exactly the names of
telepot's reference documentation (checked when ../shared/reference is beside the repo)."""

import importlib
import inspect
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join(ROOT, "docs", "telepot.md")
REFERENCE = os.path.join(ROOT, "..", "shared", "reference", "telepot-10.1-docs.txt")
REFERENCE_HEADING = "### Names of telepot's reference"
LATER_HEADING = "### Names added by later telepot versions"

# misprints of the reference's index, and the name its text gives
MISPRINTS = {"telepot.Bot.unbannedChatMember": "telepot.Bot.unbanChatMember"}


def reference_names(text):
    """Every public name telepot's reference documentation gives: its index (functions,
    classes, methods, attributes, exceptions, modules), the module table and the
    namedtuple lists of section 1.7."""
    names = set()
    index = text[text.index("\n## A\n"):]
    for line in index.splitlines():
        line = line.strip().replace("\\_", "_")
        entry = re.match(r"^(\S+?)(?:\(\))? \((.+)\), \d+$", line)
        if entry:
            name, where = entry.groups()
            if where.startswith("class in "):
                names.add(where[len("class in "):] + "." + name)
            elif where.startswith("in module "):
                names.add(where[len("in module "):] + "." + name)
            elif where == "module":
                names.add(name)
            else:
                owner = re.fullmatch(r"(\S+) (?:method|attribute)", where)
                assert owner, line
                names.add(owner.group(1) + "." + name)
            continue
        exception = re.match(r"^(\w+), \d+$", line)
        if exception:
            names.add("telepot.exception." + exception.group(1))
    names.update(re.findall(r"<code>(telepot[\w.]*)</code>", text))  # the module table
    names.update(("telepot.namedtuple", "telepot.helper", "telepot.api"))
    section = text[text.index("## 1.7 telepot.namedtuple"):text.index("## 1.8 telepot.routing")]
    names.update("telepot.namedtuple." + n for n in re.findall(r"^- `(\w+)`$", section, re.M))
    return {MISPRINTS.get(name, name) for name in names}


def _tables():
    """{heading: [(telepot name, telegrambot name or None, difference)]} of docs/telepot.md."""
    with open(DOC, encoding="utf-8") as f:
        text = f.read()
    tables = {}
    for heading in (REFERENCE_HEADING, LATER_HEADING):
        start = text.index(heading)
        end = text.find("\n#", start + len(heading))
        rows = []
        for line in text[start:end if end != -1 else None].splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
            if len(cells) != 3 or not cells[0].startswith("`"):
                continue
            telepot_name = cells[0].strip("`")
            ours = None if cells[1] == "—" else cells[1].strip("`")
            rows.append((telepot_name, ours, cells[2]))
        tables[heading] = rows
    return tables


def _sets_attribute(cls, name):
    """Whether instances of ``cls`` get the attribute ``name`` in a constructor."""
    for klass in cls.__mro__:
        if klass.__module__.startswith("telegrambot"):
            if re.search(r"\bself\.%s = " % re.escape(name), inspect.getsource(klass)):
                return True
    return False


def resolve(dotted):
    """What a dotted name denotes: a module, then attributes (an attribute set on each
    instance of a class counts: ``TelegramError.description``). Raises if it does not exist."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            if not hasattr(obj, attr) and inspect.isclass(obj) and _sets_attribute(obj, attr):
                return "an attribute of each %s" % obj.__name__
            obj = getattr(obj, attr)
        return obj
    raise ImportError(dotted)


TABLES = _tables()
ALL_ROWS = [row for rows in TABLES.values() for row in rows]


@pytest.mark.parametrize("telepot_name, ours, difference", ALL_ROWS, ids=[r[0] for r in ALL_ROWS])
def test_each_telegrambot_name_resolves(telepot_name, ours, difference):
    assert difference, "say Same. or what differs"
    if ours is None:
        assert difference.startswith("Not provided"), difference
        return
    resolve(ours)  # raises if it does not exist


DIRECTION_WORDS = {"Received:": "in", "Only sent:": "out", "Sent and received:": "both"}


def test_what_the_table_says_of_unknown_keywords_is_what_each_type_does():
    checked = 0
    for telepot_name, ours, difference in ALL_ROWS:
        for words, direction in DIRECTION_WORDS.items():
            if difference.startswith(words):
                assert resolve(ours)._direction == direction, telepot_name
                checked += 1
    assert checked >= 20


def test_resolve_tells_a_missing_name():
    assert resolve("telegrambot.exception.TelegramError.description").startswith("an attribute")
    with pytest.raises(AttributeError):
        resolve("telegrambot.exception.TelegramError.nonesuch")
    with pytest.raises(AttributeError):
        resolve("telegrambot.helper.NoSuchHandler")


def test_no_name_is_listed_twice():
    names = [row[0] for row in ALL_ROWS]
    assert len(names) == len(set(names))


@pytest.mark.skipif(not os.path.exists(REFERENCE), reason="../shared/reference is not beside the repo")
def test_the_first_table_holds_exactly_the_names_of_the_reference():
    with open(REFERENCE, encoding="utf-8") as f:
        expected = reference_names(f.read())
    listed = {row[0] for row in TABLES[REFERENCE_HEADING]}
    assert listed - expected == set(), "not in the reference"
    assert expected - listed == set(), "missing from docs/telepot.md"
    assert len(expected) > 200


def test_the_extraction_reads_each_kind_of_entry():
    sample = (
        "<code>telepot</code>\t<code>telepot.aio</code>\n"
        "## 1.7 telepot.namedtuple\n- `User`\n- Various types of `InlineQueryResult`\n"
        "## 1.8 telepot.routing\n"
        "\n## A\n\n"
        "Administrator (class in telepot.helper), 11  \n"
        " administrator (telepot.helper.ChatContext attribute), 10  \n"
        " answer() (telepot.helper.Answerer method), 15  \n"
        "BadFlavor, 16  \n"
        " flance() (in module telepot), 5  \n"
        " telepot.delegate (module), 7  \n"
        "tribute), 17  \n"
        "unbannedChatMember() (telepot.Bot method), 3  \n"
    )
    assert reference_names(sample) == {
        "telepot", "telepot.aio", "telepot.namedtuple", "telepot.helper", "telepot.api",
        "telepot.namedtuple.User", "telepot.helper.Administrator",
        "telepot.helper.ChatContext.administrator", "telepot.helper.Answerer.answer",
        "telepot.exception.BadFlavor", "telepot.flance", "telepot.delegate",
        "telepot.Bot.unbanChatMember",
    }

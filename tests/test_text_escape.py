"""escape_html and escape_markdown: text sent escaped comes back from the emulator (which
applies parse_mode as Telegram does) as the same plain text, with no entity."""

import random

import pytest

from telegrambot.exception import TelegramError
from telegrambot.text import escape_html, escape_markdown, parse

GRIN = "\U0001f600"
# every character some parse mode treats as markup, and a few that none does
SPECIAL = "_*[]()~`>#+-=|{}.!\\<&\";'@/:"
TRICKY = [
    "1.5 + 2 = 3.5!",
    "a_b_c *not bold* `not code` [not](a link) ~x~ ||no spoiler|| __u__",
    "<b>not bold</b> &amp; &lt; &#33; &quot;quoted&quot; a<b",
    "> not a quotation\n>> nor this\n**>nor this||",
    "back\\slash\\ at the end\\",
    "\\_ \\* \\` \\[ \\\\",
    "```python\nprint('no pre')\n```",
    "![not](tg://emoji?id=1) !",
    GRIN + " emoji " + GRIN + "_" + GRIN,
    SPECIAL,
]


def _markups(text):
    yield escape_html(text), "HTML"
    yield escape_markdown(text), "MarkdownV2"
    yield escape_markdown(text, version=2), "MarkdownV2"
    yield escape_markdown(text, version=1), "Markdown"


@pytest.fixture
def alice(emulator):
    emulator.rules.flood = False  # many messages to one chat, quickly: parse_mode is tested here
    return emulator.user("Alice")


@pytest.mark.parametrize("text", TRICKY)
def test_escaped_text_comes_back_unchanged_from_the_emulator(bot, alice, text):
    for markup, mode in _markups(text):
        msg = bot.sendMessage(alice.id, markup, parse_mode=mode)
        assert (msg["text"], "entities" in msg) == (text, False), (mode, markup)
        assert alice.received()[-1]["text"] == text


def test_unescaped_text_is_refused_or_changed(bot, alice):
    """The barrier for the test above: the same texts unescaped do not survive."""
    for mode in ("HTML", "MarkdownV2", "Markdown"):
        changed = 0
        for text in TRICKY:
            try:
                msg = bot.sendMessage(alice.id, text, parse_mode=mode)
            except TelegramError as error:
                assert error.error_code == 400
                changed += 1
            else:
                changed += (msg["text"], "entities" in msg) != (text, False)
        assert changed >= 2, mode


def test_escaped_text_inside_each_markdown_v2_context(bot, alice):
    text = "a `tick`, a \\ back slash, (paren) and *stars*_."
    url = "https://example.com/a_(b)/c\\d?e=f*g"
    cases = [
        ("*%s*" % escape_markdown(text), "bold", {}),
        ("_%s_" % escape_markdown(text, entity_type="italic"), "italic", {}),
        ("`%s`" % escape_markdown(text, entity_type="code"), "code", {}),
        ("```\n%s```" % escape_markdown(text, entity_type="pre"), "pre", {}),
        ("```py\n%s```" % escape_markdown(text, entity_type="pre"), "pre", {"language": "py"}),
        ("[%s](%s)" % (escape_markdown(text), escape_markdown(url, entity_type="text_link")),
         "text_link", {"url": url}),
        # the plain-text escaping is also right in the verbatim and URL contexts
        ("`%s`" % escape_markdown(text), "code", {}),
        ("[%s](%s)" % (escape_markdown(text), escape_markdown(url)), "text_link", {"url": url}),
    ]
    for markup, kind, extra in cases:
        msg = bot.sendMessage(alice.id, markup, parse_mode="MarkdownV2")
        assert msg["text"] == text, markup
        assert msg["entities"] == [dict({"type": kind, "offset": 0, "length": len(text)},
                                        **extra)], markup
    emoji = "![%s](%s)" % (escape_markdown(GRIN), escape_markdown(
        "tg://emoji?id=5368324170671202286", entity_type="custom_emoji"))
    msg = bot.sendMessage(alice.id, emoji, parse_mode="MarkdownV2")
    assert msg["entities"][0]["custom_emoji_id"] == "5368324170671202286"


def test_escaped_html_in_an_attribute(bot, alice):
    url = 'https://example.com/?q="a"&b=<c>'
    markup = '<a href="%s">%s</a>' % (escape_html(url), escape_html("<&>"))
    msg = bot.sendMessage(alice.id, markup, parse_mode="HTML")
    assert msg["text"] == "<&>"
    assert msg["entities"] == [{"type": "text_link", "offset": 0, "length": 3, "url": url}]


def test_the_contexts_escape_only_what_they_must():
    assert escape_html('a<b & "c">\'') == "a&lt;b &amp; &quot;c&quot;&gt;'"
    assert escape_markdown("a.b_c\\d`e)") == "a\\.b\\_c\\\\d\\`e\\)"
    assert escape_markdown("a.b_c\\d`e)", entity_type="code") == "a.b_c\\\\d\\`e)"
    assert escape_markdown("a.b_c\\d`e)", entity_type="pre") == "a.b_c\\\\d\\`e)"
    assert escape_markdown("a.b_c\\d`e)", entity_type="text_link") == "a.b_c\\\\d`e\\)"
    assert escape_markdown("a.b_c\\d`e)[*", version=1) == "a.b\\_c\\d\\`e)\\[\\*"


def test_bad_arguments_say_what_to_do():
    with pytest.raises(ValueError, match="version must be 1 .* or 2"):
        escape_markdown("x", version=3)
    with pytest.raises(ValueError, match="legacy Markdown .* no escaping inside an entity"):
        escape_markdown("x", version=1, entity_type="code")
    with pytest.raises(ValueError, match="unknown entity_type 'preformatted'"):
        escape_markdown("x", entity_type="preformatted")


def test_random_texts_round_trip():
    rng = random.Random(17)
    alphabet = SPECIAL + "ab \n\r\t" + GRIN + "é"
    for _ in range(2000):
        text = "x" + "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20)))
        for markup, mode in _markups(text):
            assert parse(markup, mode) == (text, []), (mode, text, markup)

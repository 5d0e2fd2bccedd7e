"""telegrambot.text: entities -> HTML / MarkdownV2 / Markdown and markup -> (text, entities)."""

import random

import pytest

from telegrambot import namedtuple as nt
from telegrambot.text import (
    EntityParseError,
    apply_entities_as_html,
    apply_entities_as_markdown,
    apply_entities_as_markdown_v2,
    parse,
    parse_html,
    parse_markdown,
    parse_markdown_v2,
    utf16_length,
)

GRIN = "\U0001f600"  # outside the BMP: two UTF-16 code units


def ent(kind, offset, length, **extra):
    return dict({"type": kind, "offset": offset, "length": length}, **extra)


# -- parsing ----------------------------------------------------------------------------------

def test_markdown_v2_reference_sample():
    markup = (
        "*bold \\*text*\n_italic \\*text_\n__underline__\n~strikethrough~\n||spoiler||\n"
        "*bold _italic bold ~italic bold strikethrough ||italic bold strikethrough spoiler||~ "
        "__underline italic bold___ bold*\n"
        "[inline URL](http://www.example.com/)\n[inline mention of a user](tg://user?id=123456789)\n"
        "![\U0001f44d](tg://emoji?id=5368324170671202286)\n"
        "![22:45 tomorrow](tg://time?unix=1647531900&format=wDT)\n"
        "`inline fixed-width code`\n```\npre block\n```\n```python\nprint(1)\n```\n"
        ">Block quotation started\n>Block quotation continued\n"
        "**>Expandable started\n>The last line||"
    )
    text, entities = parse_markdown_v2(markup)
    assert text == (
        "bold *text\nitalic *text\nunderline\nstrikethrough\nspoiler\n"
        "bold italic bold italic bold strikethrough italic bold strikethrough spoiler "
        "underline italic bold bold\ninline URL\ninline mention of a user\n\U0001f44d\n"
        "22:45 tomorrow\ninline fixed-width code\npre block\n\nprint(1)\n\n"
        "Block quotation started\nBlock quotation continued\nExpandable started\nThe last line"
    )

    def find(fragment):
        return utf16_length(text[:text.index(fragment)])

    nested = find("bold italic bold")
    assert entities == [
        ent("bold", 0, 10), ent("italic", 11, 12), ent("underline", 24, 9),
        ent("strikethrough", 34, 13), ent("spoiler", 48, 7),
        ent("bold", nested, 103), ent("italic", nested + 5, 93),
        ent("strikethrough", nested + 17, 59), ent("spoiler", nested + 43, 33),
        ent("underline", nested + 77, 21),
        ent("text_link", find("inline URL"), 10, url="http://www.example.com/"),
        ent("text_mention", find("inline mention"), 24, user={"id": 123456789}),
        ent("custom_emoji", find("\U0001f44d"), 2, custom_emoji_id="5368324170671202286"),
        ent("date_time", find("22:45"), 14, unix_time=1647531900, date_time_format="wDT"),
        ent("code", find("inline fixed"), 23),
        ent("pre", find("pre block"), 10),
        ent("pre", find("print(1)"), 9, language="python"),
        ent("blockquote", find("Block quotation started"), 50),
        ent("expandable_blockquote", find("Expandable"), 32),
    ]


def test_html_reference_sample():
    markup = (
        "<b>bold</b>, <strong>bold</strong> <i>i</i><em>e</em> <u>u</u><ins>n</ins> "
        "<s>s</s><strike>k</strike><del>d</del> <span class=\"tg-spoiler\">p</span>"
        "<tg-spoiler>q</tg-spoiler> <a href=\"http://www.example.com/\">URL</a> "
        "<a href=\"tg://user?id=123456789\">user</a> "
        "<tg-emoji emoji-id=\"5368324170671202286\">\U0001f44d</tg-emoji> "
        "<tg-time unix=\"1647531900\" format=\"r\">soon</tg-time> <code>c</code> "
        "<pre>p</pre> <pre><code class=\"language-python\">x = 1</code></pre> "
        "<blockquote>q1</blockquote><blockquote expandable>q2</blockquote>"
    )
    text, entities = parse_html(markup)
    assert text == "bold, bold ie un skd pq URL user \U0001f44d soon c p x = 1 q1q2"
    kinds = [(e["type"], text.encode("utf-16-le")[2 * e["offset"]:2 * (e["offset"] + e["length"])]
              .decode("utf-16-le")) for e in entities]
    assert kinds == [
        ("bold", "bold"), ("bold", "bold"), ("italic", "i"), ("italic", "e"), ("underline", "u"),
        ("underline", "n"), ("strikethrough", "s"), ("strikethrough", "k"),
        ("strikethrough", "d"), ("spoiler", "p"), ("spoiler", "q"), ("text_link", "URL"),
        ("text_mention", "user"), ("custom_emoji", "\U0001f44d"), ("date_time", "soon"),
        ("code", "c"), ("pre", "p"), ("pre", "x = 1"), ("blockquote", "q1"),
        ("expandable_blockquote", "q2"),
    ]
    assert entities[17]["language"] == "python"
    assert entities[14]["unix_time"] == 1647531900 and entities[14]["date_time_format"] == "r"


def test_html_character_references_and_case():
    text, entities = parse_html("a &lt;b&gt; &amp; &quot;x&quot; &#128512;&#x1F600; &nbsp; AT&T "
                                "<B>up</B><b>x</>")
    assert text == 'a <b> & "x" %s%s &nbsp; AT&T upx' % (GRIN, GRIN)
    start = utf16_length(text[:text.index("up")])
    assert entities == [ent("bold", start, 2), ent("bold", start + 2, 1)]


def test_legacy_markdown():
    text, entities = parse_markdown(
        "*bold* _italic_ `code` [link](http://example.com) [me](tg://user?id=7) "
        "```python\nprint(1)``` snake\\_case *2*\\**2=4*")
    assert text == "bold italic code link me print(1) snake_case 2*2=4"
    assert entities == [
        ent("bold", 0, 4), ent("italic", 5, 6), ent("code", 12, 4),
        ent("text_link", 17, 4, url="http://example.com/"),
        ent("text_mention", 22, 2, user={"id": 7}),
        ent("pre", 25, 8, language="python"), ent("bold", 45, 1), ent("bold", 47, 3),
    ]


def test_offsets_count_utf16_code_units():
    assert utf16_length(GRIN + "a\u00e9\u4e2d") == 5
    for parser, markup in ((parse_html, "%s <b>%sx</b> <i>y</i>"),
                           (parse_markdown_v2, "%s *%sx* _y_"),
                           (parse_markdown, "%s *%sx* _y_")):
        text, entities = parser(markup % (GRIN, GRIN))
        assert text == "%s %sx y" % (GRIN, GRIN)
        assert entities == [ent("bold", 3, 3), ent("italic", 7, 1)], parser


def test_links_are_checked_as_telegram_does():
    text, entities = parse_html('<a href="example.com">a</a><a href="javascript:x()">b</a>'
                                '<a href="https://t.me/x?a=1">c</a><a>t.me/y</a>')
    assert text == "abct.me/y"
    assert entities == [ent("text_link", 0, 1, url="http://example.com/"),
                        ent("text_link", 2, 1, url="https://t.me/x?a=1"),
                        ent("text_link", 3, 6, url="http://t.me/y")]
    assert parse_markdown_v2("[a](http://x.org/\\(1\\))")[1] == [
        ent("text_link", 0, 1, url="http://x.org/(1)")]


def test_nesting_rules_drop_what_telegram_drops():
    text, entities = parse_html("<code><b>x</b>y</code> <a href='http://a.b'>z<a href='http://c.d'>"
                                "q</a></a> <b><b>w</b></b> <b><code>v</code></b>")
    assert text == "xy zq w v"
    assert entities == [ent("code", 0, 2), ent("text_link", 3, 2, url="http://a.b/"),
                        ent("bold", 6, 1), ent("code", 8, 1), ent("bold", 8, 1)]


@pytest.mark.parametrize("parser, markup, reason", [
    (parse_markdown_v2, "Hello.", "Character '.' is reserved and must be escaped with the "
                                  "preceding '\\'"),
    (parse_markdown_v2, "a *b", "Can't find end of Bold entity at byte offset 2"),
    (parse_markdown_v2, "\u00e9 _x", "Can't find end of Italic entity at byte offset 3"),
    (parse_markdown_v2, "```py\nx", "Can't find end of PreCode entity at byte offset 0"),
    (parse_markdown_v2, "[a](http://x", "Can't find end of a URL at byte offset 4"),
    (parse_markdown_v2, "![a]", "Custom emoji entity must contain a tg://emoji URL"),
    (parse_markdown_v2, "![a](http://x)", "Custom emoji URL must have scheme tg"),
    (parse_markdown_v2, "![a](tg://emoji?id=x)", "Invalid custom emoji identifier specified"),
    (parse_markdown_v2, "![a](tg://time?unix=x)", "Invalid Unix time specified"),
    (parse_markdown_v2, "![a](tg://time?unix=1&format=q)", "Invalid date-time format specified"),
    (parse_markdown_v2, "a >b", "Character '>' is reserved and must be escaped with the "
                                "preceding '\\'"),
    (parse_markdown_v2, ">*a\nb*", "Can't find end of Bold entity at byte offset 1"),
    (parse_markdown, "*bold", "Can't find end of the entity starting at byte offset 0"),
    (parse_markdown, GRIN + " _x", "Can't find end of the entity starting at byte offset 5"),
    (parse_html, "a < b", 'Unsupported start tag "" at byte offset 2'),
    (parse_html, "<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
    (parse_html, "<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
    (parse_html, "<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
    (parse_html, "x</b>", "Unexpected end tag at byte offset 1"),
    (parse_html, "<b", "Unclosed start tag at byte offset 0"),
    (parse_html, "<b>x</b", "Unclosed end tag at byte offset 4"),
    (parse_html, "<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    (parse_html, "<a href=x:y>z</a>", "Unexpected end of name token at byte offset 8"),
    (parse_html, '<b ="x">y</b>', 'Empty attribute name in the tag "b" at byte offset 0'),
    (parse_html, "<tg-emoji emoji-id=\"0\">x</tg-emoji>", "Invalid custom emoji identifier "
                                                       "specified"),
    (parse_html, "&#xD83D;", "Text contains invalid Unicode characters after decoding HTML "
                             "entities, check for unmatched surrogate code units"),
])
def test_malformed_markup_is_refused_with_telegrams_words(parser, markup, reason):
    with pytest.raises(EntityParseError) as info:
        parser(markup)
    assert info.value.reason == reason
    assert str(info.value) == "Bad Request: can't parse entities: " + reason
    assert isinstance(info.value, ValueError)


def test_parse_by_mode_name():
    assert parse("<b>x</b>", "HTML") == parse("*x*", "markdownv2") == parse("*x*", "Markdown") \
        == ("x", [ent("bold", 0, 1)])
    assert parse("<b>x</b>", None) == parse("<b>x</b>", "none") == ("<b>x</b>", [])
    with pytest.raises(ValueError, match="unsupported parse_mode") as info:
        parse("x", "BBCode")
    assert not isinstance(info.value, EntityParseError)


# -- writing ----------------------------------------------------------------------------------

def test_html_escapes_text_and_attributes():
    text = 'a<b> & "c" ' + GRIN + " link"
    entities = [ent("bold", 0, 4), ent("text_link", 14, 4, url='http://x.org/?a=1&b="2"')]
    html = apply_entities_as_html(text, entities)
    assert html == ('<b>a&lt;b&gt;</b> &amp; "c" %s <a href="http://x.org/?a=1&amp;b=&quot;2&quot;">'
                    'link</a>' % GRIN)
    assert parse_html(html) == (text, entities)


def test_markdown_v2_escapes_every_special_character():
    special = "_*[]()~`>#+-=|{}.!\\"
    text = special + " " + special
    entities = [ent("code", len(special) + 1, len(special))]
    markup = apply_entities_as_markdown_v2(text, entities)
    assert markup == "".join("\\" + c for c in special) + " `" + special.replace(
        "\\", "\\\\").replace("`", "\\`") + "`"
    assert parse_markdown_v2(markup) == (text, entities)


def test_every_entity_type_is_written_in_html_and_markdown_v2():
    text = "b i u s p c pre link me \U0001f44d time\nquote\nmore"
    entities = [
        ent("bold", 0, 1), ent("italic", 2, 1), ent("underline", 4, 1),
        ent("strikethrough", 6, 1), ent("spoiler", 8, 1), ent("code", 10, 1),
        ent("pre", 12, 3, language="c++"), ent("text_link", 16, 4, url="http://e.org/"),
        ent("text_mention", 21, 2, user={"id": 5, "is_bot": False, "first_name": "E"}),
        ent("custom_emoji", 24, 2, custom_emoji_id="42"),
        ent("date_time", 27, 4, unix_time=1700000000, date_time_format="wDT"),
        ent("blockquote", 32, 6), ent("expandable_blockquote", 38, 4),
    ]
    html = apply_entities_as_html(text, entities)
    assert html == (
        '<b>b</b> <i>i</i> <u>u</u> <s>s</s> <tg-spoiler>p</tg-spoiler> <code>c</code> '
        '<pre><code class="language-c++">pre</code></pre> <a href="http://e.org/">link</a> '
        '<a href="tg://user?id=5">me</a> <tg-emoji emoji-id="42">\U0001f44d</tg-emoji> '
        '<tg-time unix="1700000000" format="wDT">time</tg-time>\n'
        '<blockquote>quote\n</blockquote><blockquote expandable>more</blockquote>')
    markdown = apply_entities_as_markdown_v2(text, entities)
    assert markdown == (
        "*b* _i_ __u__ ~s~ ||p|| `c` ```c++\npre``` [link](http://e.org/) "
        "[me](tg://user?id=5) ![\U0001f44d](tg://emoji?id=42) "
        "![time](tg://time?unix=1700000000&format=wDT)\n>quote\n**>more||")
    mentioned = [dict(e, user={"id": 5}) if e["type"] == "text_mention" else e for e in entities]
    assert parse_html(html) == parse_markdown_v2(markdown) == (text, mentioned)


def test_entities_of_types_telegram_detects_keep_their_text():
    text = "@bob #tag http://x.org /start"
    entities = [ent("mention", 0, 4), ent("hashtag", 5, 4), ent("url", 10, 12),
                ent("bot_command", 23, 6), ent("bold", 0, 4)]
    assert apply_entities_as_html(text, entities) == "<b>@bob</b> #tag http://x.org /start"
    assert apply_entities_as_markdown_v2(text, entities) == "*@bob* \\#tag http://x\\.org /start"


def test_overlapping_entities_are_split_into_nested_ones():
    text = "abcdef"
    entities = [ent("bold", 0, 4), ent("italic", 2, 4)]
    assert apply_entities_as_html(text, entities) == "<b>ab<i>cd</i></b><i>ef</i>"
    assert apply_entities_as_markdown_v2(text, entities) == "*ab_cd_*_ef_"
    assert parse_markdown_v2("*ab_cd_*_ef_")[1] == [ent("bold", 0, 4), ent("italic", 2, 2),
                                                    ent("italic", 4, 2)]


def test_markdown_v2_separates_underscore_markers():
    text = "italic underline"
    entities = [ent("italic", 0, 16), ent("underline", 7, 9)]
    markup = apply_entities_as_markdown_v2(text, entities)
    assert markup == "_italic __underline__**_"
    assert parse_markdown_v2(markup) == (text, entities)


def test_markdown_v2_quotations_with_code_and_neighbours():
    text = "x = 1\n" + "quoted\nlines\n" + "second\n" + "after"
    entities = [ent("pre", 0, 6), ent("blockquote", 6, 13), ent("bold", 9, 6),
                ent("blockquote", 19, 7)]
    markup = apply_entities_as_markdown_v2(text, entities)
    assert markup == "```\nx = 1\\\n```>quo*ted\n>li*nes\n**>second\nafter"
    assert parse_markdown_v2(markup) == (text, entities)


def test_legacy_markdown_writes_what_it_can():
    text = "2*2=4 snake_case " + GRIN + " code"
    entities = [ent("bold", 0, 5), ent("italic", 6, 10), ent("underline", 6, 5),
                ent("code", 20, 4), ent("text_link", 21, 3, url="http://x.org/")]
    markup = apply_entities_as_markdown(text, entities)
    assert markup == "*2*\\**2=4* _snake_\\__case_ %s `code`" % GRIN
    parsed_text, parsed = parse_markdown(markup)
    assert parsed_text == text
    assert parsed == [ent("bold", 0, 1), ent("bold", 2, 3), ent("italic", 6, 5),
                      ent("italic", 12, 4), ent("code", 20, 4)]
    assert apply_entities_as_markdown("[x] a_b", [ent("text_link", 0, 3, url="http://y.z/(1)")]) \
        == "[[x](http://y.z/(1%29)] a\\_b"


def test_namedtuple_entities_and_telepot_style_call():
    entities = [nt.MessageEntity(type="bold", offset=0, length=2),
                nt.MessageEntity(type="text_mention", offset=3, length=3,
                                 user=nt.User(id=9, is_bot=False, first_name="Bob"))]
    assert apply_entities_as_html("hi bob", entities) == '<b>hi</b> <a href="tg://user?id=9">bob</a>'
    assert apply_entities_as_markdown("hi bob", entities) == "*hi* [bob](tg://user?id=9)"
    assert apply_entities_as_markdown("plain *text*", None) == "plain \\*text\\*"


def test_entities_that_do_not_fit_the_text_are_refused():
    with pytest.raises(ValueError, match="does not fit"):
        apply_entities_as_html("abc", [ent("bold", 2, 5)])
    with pytest.raises(ValueError, match="does not fit"):
        apply_entities_as_html(GRIN + "a", [ent("bold", 1, 2)])  # half of a surrogate pair


# -- round trips --------------------------------------------------------------------------------

_ALPHABET = list("ab c_*[]()~`>#+-=|{}.!\\<&\"'\n") + [GRIN, "\u00e9", "\u4e2d"]
_KINDS = ["bold", "italic", "underline", "strikethrough", "spoiler", "code", "pre", "text_link",
          "text_mention", "custom_emoji", "date_time"]
_EXTRAS = {"text_link": {"url": "http://example.com/a_(b)"}, "text_mention": {"user": {"id": 42}},
           "custom_emoji": {"custom_emoji_id": "12345"}, "date_time": {"unix_time": 1700000000},
           "pre": {"language": "python"}}


def _allowed(outer, inner):
    """Whether Telegram keeps ``inner`` inside ``outer`` (see #formatting-options)."""
    a, b = outer["type"], inner["type"]
    splittable = ("bold", "italic", "underline", "strikethrough", "spoiler")
    return a != b and a not in ("code", "pre") and (a in splittable or b in splittable or
                                                     "blockquote" in a)


def _random_message(rng):
    """Text and entities as Telegram sends them: properly nested, by the nesting rules, with
    quotations on whole lines; or None when the draw broke a rule."""
    text = "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(1, 30)))
    bounds = [0]
    for ch in text:
        bounds.append(bounds[-1] + utf16_length(ch))
    quotes, start = [], 0
    for index, ch in enumerate(text + "\n"):
        if ch == "\n":
            if text[start:index + 1] not in ("", "\n") and rng.random() < 0.3:
                quotes.append((start, min(index + 1, len(text))))
            start = index + 1
    entities = [ent(rng.choice(["blockquote", "expandable_blockquote"]), bounds[a],
                    bounds[b] - bounds[a]) for a, b in quotes]
    for _ in range(rng.randint(0, 5)):
        a = rng.randrange(len(text))
        b = rng.randint(a + 1, len(text))
        if any(a < qa < b or a < qb < b or (text[qb - 1] == "\n" and a <= qb - 1 < b)
               for qa, qb in quotes):
            return None  # crosses a quotation or holds its last line feed
        kind = rng.choice(_KINDS)
        entities.append(ent(kind, bounds[a], bounds[b] - bounds[a], **_EXTRAS.get(kind, {})))
    for x in entities:
        for y in entities:
            x_end, y_end = x["offset"] + x["length"], y["offset"] + y["length"]
            if x is not y and (x["offset"] < y["offset"] < x_end < y_end or (
                    x["offset"] <= y["offset"] and y_end <= x_end and not _allowed(x, y))):
                return None
    return text, entities


def _key(entity):
    return sorted(entity.items(), key=str)


@pytest.mark.parametrize("write, read", [(apply_entities_as_html, parse_html),
                                         (apply_entities_as_markdown_v2, parse_markdown_v2)])
def test_random_round_trips(write, read):
    rng = random.Random(20240601)
    checked = 0
    while checked < 1000:
        message = _random_message(rng)
        if message is None:
            continue
        checked += 1
        text, entities = message
        markup = write(text, entities)
        parsed_text, parsed = read(markup)
        assert parsed_text == text, markup
        assert sorted(parsed, key=_key) == sorted(entities, key=_key), (text, entities, markup)

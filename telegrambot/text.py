"""Formatted text: message entities to HTML or Markdown, and markup back to entities.

Telegram describes the formatting of a message either as markup in a parse mode
(``parse_mode="HTML"``, ``"MarkdownV2"`` or the legacy ``"Markdown"``) or as plain text plus
a list of `MessageEntity <https://core.telegram.org/bots/api#messageentity>`_ objects. This
module converts between the two, as telepot's ``telepot.text`` did, for the entity types of
Bot API 10.3 (https://core.telegram.org/bots/api#formatting-options):

- :func:`apply_entities_as_html`, :func:`apply_entities_as_markdown_v2` and
  :func:`apply_entities_as_markdown` turn a received message's text (or caption) and entities
  into markup that Telegram parses back into the same text and entities;
- :func:`escape_html` and :func:`escape_markdown` write plain text so that a parse mode
  reads it back unchanged, with no entity: for text from users put into markup;
- :func:`parse_html`, :func:`parse_markdown_v2`, :func:`parse_markdown` (and :func:`parse`,
  by parse mode name) give the plain text and entities Telegram makes of markup, or raise
  :class:`EntityParseError` with Telegram's wording for markup it refuses.

Offsets and lengths count UTF-16 code units, as the Bot API does: a character outside the
Basic Multilingual Plane (most emoji) counts two. :func:`utf16_length` measures a string so.
Entities may be dicts (as received) or :mod:`telegrambot.namedtuple` objects.

Entity types that Telegram detects by itself (``mention``, ``hashtag``, ``cashtag``,
``bot_command``, ``url``, ``email``, ``phone_number``, ...) need no markup: their text is kept
(escaped) and Telegram finds them again. The parsers do not detect them.
"""

import re
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

__all__ = [
    "EntityParseError",
    "apply_entities_as_html",
    "apply_entities_as_markdown",
    "apply_entities_as_markdown_v2",
    "escape_html",
    "escape_markdown",
    "parse",
    "parse_html",
    "parse_markdown",
    "parse_markdown_v2",
    "utf16_length",
]

Entity = Dict[str, Any]

_QUOTES = ("blockquote", "expandable_blockquote")
_VERBATIM = ("code", "pre")
_SPLITTABLE = ("bold", "italic", "underline", "strikethrough", "spoiler")
# rendering order of entities sharing a start and an end: outermost first
_RANK = {"blockquote": 0, "expandable_blockquote": 0, "text_link": 1, "text_mention": 1,
         "bold": 2, "italic": 3, "underline": 4, "strikethrough": 5, "spoiler": 6,
         "custom_emoji": 7, "date_time": 7, "pre": 8, "code": 9}
# Telegram's order of parsed entities sharing a start and a length
_PRIORITY = {"blockquote": 0, "expandable_blockquote": 0, "pre": 11, "code": 20,
             "text_link": 49, "text_mention": 49, "bold": 90, "italic": 91, "underline": 92,
             "strikethrough": 93, "spoiler": 94, "custom_emoji": 99, "date_time": 99}
_DATE_TIME_FORMAT = re.compile(r"(?:r|w?[dD]?[tT]?)\Z")


class EntityParseError(ValueError):
    """Markup that Telegram refuses. ``str(error)`` is the Bot API's error description
    (``Bad Request: can't parse entities: ...``); ``description`` is the same without the
    ``Bad Request:`` prefix and ``reason`` the part after ``can't parse entities:``."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        self.description = "can't parse entities: " + reason
        super().__init__("Bad Request: " + self.description)


def utf16_length(text: str) -> int:
    """The length of ``text`` in UTF-16 code units, the unit of entity offsets and lengths."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


# -- entities -> markup -------------------------------------------------------------------------

def _field(entity: Any, name: str) -> Any:
    if isinstance(entity, dict):
        return entity.get(name)
    return getattr(entity, name, None)


class _Span:
    """One entity laid over the Python string: ``text[start:end]``."""

    __slots__ = ("start", "end", "kind", "entity")

    def __init__(self, start: int, end: int, kind: str, entity: Any) -> None:
        self.start, self.end, self.kind, self.entity = start, end, kind, entity

    def piece(self, start: int, end: int) -> "_Span":
        return _Span(start, end, self.kind, self.entity)


def _spans(text: str, entities: Optional[Sequence[Any]], kinds: Sequence[str]) -> List[_Span]:
    """The entities of ``kinds`` as spans of Python indices, without the empty ones and those
    Telegram's nesting rules drop."""
    index: List[Optional[int]] = []  # UTF-16 offset -> Python index (None: inside a pair)
    for position, ch in enumerate(text):
        index.append(position)
        if ord(ch) > 0xFFFF:
            index.append(None)
    index.append(len(text))
    flat = []
    for entity in entities or ():
        kind = _field(entity, "type")
        offset, length = int(_field(entity, "offset") or 0), int(_field(entity, "length") or 0)
        if kind in kinds and length > 0:
            flat.append({"type": kind, "offset": offset, "length": length, "entity": entity})
    spans = []
    for item in _tidy(flat):
        kind, offset, length, entity = item["type"], item["offset"], item["length"], item["entity"]
        end = offset + length
        start_at = index[offset] if 0 <= offset < len(index) else None
        end_at = index[end] if end < len(index) else None
        if start_at is None or end_at is None:
            raise ValueError("entity %s at offset %d, length %d does not fit the text "
                             "(%d UTF-16 code units)" % (kind, offset, length, len(index) - 1))
        spans.append(_Span(start_at, end_at, kind, entity))
    spans.sort(key=lambda s: (s.start, -s.end, _RANK[s.kind]))
    return spans


def _user_link(entity: Any) -> str:
    return "tg://user?id=%d" % int(_field(_field(entity, "user"), "id"))


class _Format:
    """How one markup language writes entities (a new one for each text written)."""

    kinds: Sequence[str] = tuple(_RANK)

    def __init__(self, text: str) -> None:
        self.text = text

    def select(self, spans: List[_Span]) -> List[_Span]:
        """The spans this language can write (some may be split)."""
        return spans

    def open(self, span: _Span, stack: List[_Span]) -> str:
        raise NotImplementedError

    def close(self, span: _Span, stack: List[_Span]) -> str:
        raise NotImplementedError

    def chunk(self, start: int, end: int, stack: List[_Span]) -> str:
        """The plain ``text[start:end]`` written inside the open entities ``stack``."""
        raise NotImplementedError


def _render(text: str, entities: Optional[Sequence[Any]], fmt: _Format) -> str:
    """Write ``text`` with its entities in ``fmt``.

    Entities are opened outermost first and properly nested in the output: one that crosses
    another's boundary is closed there and opened again. Nothing is opened inside code or pre
    (Telegram allows no entity there) nor inside an entity of the same kind.
    """
    spans = fmt.select(_spans(text, entities, fmt.kinds))
    cuts = sorted({0, len(text)}.union(*((s.start, s.end) for s in spans)))
    out: List[str] = []
    stack: List[_Span] = []
    for start, end in zip(cuts, cuts[1:]):
        active = [s for s in spans if s.start <= start < s.end]
        keep = 0
        while keep < len(stack) and stack[keep] in active:
            keep += 1
        while len(stack) > keep:
            span = stack.pop()
            out.append(fmt.close(span, stack))
        for span in sorted(active, key=lambda s: (-s.end, _RANK[s.kind])):
            if span in stack or any(s.kind in _VERBATIM or s.kind == span.kind for s in stack):
                continue
            out.append(fmt.open(span, stack))
            stack.append(span)
        out.append(fmt.chunk(start, end, stack))
    while stack:
        span = stack.pop()
        out.append(fmt.close(span, stack))
    return "".join(out)


def _html_escape(text: str, quote: bool = False) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace('"', "&quot;") if quote else text


class _Html(_Format):
    tags = {"bold": "b", "italic": "i", "underline": "u", "strikethrough": "s",
            "spoiler": "tg-spoiler", "code": "code", "text_link": "a", "text_mention": "a",
            "custom_emoji": "tg-emoji", "date_time": "tg-time", "blockquote": "blockquote",
            "expandable_blockquote": "blockquote"}

    def open(self, span: _Span, stack: List[_Span]) -> str:
        entity, kind = span.entity, span.kind
        language = _field(entity, "language") if kind == "pre" else None
        if kind == "pre":
            return '<pre><code class="language-%s">' % _html_escape(language, True) \
                if language else "<pre>"
        attributes: List[Tuple[str, Any]] = []
        if kind == "text_link":
            attributes.append(("href", _field(entity, "url") or ""))
        elif kind == "text_mention":
            attributes.append(("href", _user_link(entity)))
        elif kind == "custom_emoji":
            attributes.append(("emoji-id", _field(entity, "custom_emoji_id")))
        elif kind == "date_time":
            attributes.append(("unix", int(_field(entity, "unix_time") or 0)))
            if _field(entity, "date_time_format"):
                attributes.append(("format", _field(entity, "date_time_format")))
        written = "".join(' %s="%s"' % (k, _html_escape(str(v), True)) for k, v in attributes)
        if kind == "expandable_blockquote":
            written = " expandable"
        return "<%s%s>" % (self.tags[kind], written)

    def close(self, span: _Span, stack: List[_Span]) -> str:
        if span.kind == "pre":
            return "</code></pre>" if _field(span.entity, "language") else "</pre>"
        return "</%s>" % self.tags[span.kind]

    def chunk(self, start: int, end: int, stack: List[_Span]) -> str:
        return _html_escape(self.text[start:end])


_V2_SPECIAL = re.compile(r"([_*\[\]()~`>#+\-=|{}.!\\])")
_V2_VERBATIM_SPECIAL = re.compile(r"([`\\])")
_V2_MARKS = {"bold": ("*", "*"), "italic": ("_", "_"), "underline": ("__", "__"),
             "strikethrough": ("~", "~"), "spoiler": ("||", "||"), "code": ("`", "`"), "pre": ("```", "```"),
             "text_link": ("[", ""), "text_mention": ("[", ""), "custom_emoji": ("![", ""),
             "date_time": ("![", ""), "blockquote": (">", ""), "expandable_blockquote": (">", "||")}


def _date_time_link(entity: Any) -> str:
    link = "tg://time?unix=%d" % int(_field(entity, "unix_time") or 0)
    time_format = _field(entity, "date_time_format")
    return link + "&format=" + time_format if time_format else link


class _MarkdownV2(_Format):

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.last = ""  # the last marker written, "" after text
        self.quote_ends: List[int] = []
        self.quote_starts: List[int] = []

    def select(self, spans: List[_Span]) -> List[_Span]:
        """Block quotations cover whole lines, never nest, and cut the entities crossing
        their edges. A quotation's last line feed is written after it (after the "||" of an
        expandable one) and no entity can start on that line feed."""
        text = self.text
        quotes: List[_Span] = []
        others: List[_Span] = []
        for span in spans:
            if span.kind not in _QUOTES:
                others.append(span)
                continue
            end = span.end - 1 if text[span.end - 1] == "\n" and span.end - 1 > span.start \
                else span.end
            whole_lines = (span.start == 0 or text[span.start - 1] == "\n") and (
                end == len(text) or text[end] == "\n")
            if whole_lines and not (quotes and span.start < quotes[-1].end):
                quotes.append(span.piece(span.start, end))
        self.quote_ends = [q.end for q in quotes]
        self.quote_starts = [q.start for q in quotes]
        edges = sorted({q.start for q in quotes} | set(self.quote_ends))
        line_feeds = {end for end in self.quote_ends if text[end:end + 1] == "\n"}
        selected = list(quotes)
        for span in others:
            points = [span.start] + [e for e in edges if span.start < e < span.end] + [span.end]
            for start, end in zip(points, points[1:]):
                start += start in line_feeds
                if start < end:
                    selected.append(span.piece(start, end))
        selected.sort(key=lambda s: (s.start, -s.end, _RANK[s.kind]))
        return selected

    def _mark(self, mark: str, stack: List[_Span]) -> str:
        """``mark``, after an empty entity where '_' markers would run together."""
        if self.last.endswith("_") and mark.startswith("_"):
            mark = self._separator(stack) + mark
        self.last = mark or self.last
        return mark

    @staticmethod
    def _separator(stack: List[_Span]) -> str:
        """An empty entity of a kind not open (an open one would close)."""
        kinds = {s.kind for s in stack}
        return next((m for k, m in (("bold", "**"), ("strikethrough", "~~"), ("spoiler", "||||"))
                     if k not in kinds), "**")

    def open(self, span: _Span, stack: List[_Span]) -> str:
        if span.kind in _QUOTES and span.start - 1 in self.quote_ends:
            # right after another quotation: an empty entity keeps the two apart
            return self._mark(self._separator(stack) + ">", stack)
        if span.kind == "pre":
            return self._mark("```%s\n" % (_field(span.entity, "language") or ""), stack)
        return self._mark(_V2_MARKS[span.kind][0], stack)

    def close(self, span: _Span, stack: List[_Span]) -> str:
        links = {"text_link": lambda e: _field(e, "url") or "", "text_mention": _user_link,
                 "custom_emoji": lambda e: "tg://emoji?id=%s" % _field(e, "custom_emoji_id"),
                 "date_time": _date_time_link}
        if span.kind in links:
            url = links[span.kind](span.entity).replace("\\", "\\\\").replace(")", "\\)")
            return self._mark("](%s)" % url, stack)
        return self._mark(_V2_MARKS[span.kind][1], stack)

    def chunk(self, start: int, end: int, stack: List[_Span]) -> str:
        self.last, text = "", self.text[start:end]
        if any(s.kind in _VERBATIM for s in stack):
            text = _V2_VERBATIM_SPECIAL.sub(r"\\\1", text)
            if end in self.quote_starts and text.endswith("\n"):
                # an escaped line feed lets the quotation's '>' start a line after the code
                text = text[:-1] + "\\\n"
            return text
        text = _V2_SPECIAL.sub(r"\\\1", text)
        if any(s.kind in _QUOTES for s in stack):
            text = text.replace("\n", "\n>")
        return text


class _Markdown(_Format):
    """Legacy Markdown: no nesting and no escaping inside an entity. A delimiter in an
    entity's text is written escaped between two parts of the entity, as Telegram advises."""

    kinds = ("bold", "italic", "code", "pre", "text_link", "text_mention")
    delimiters = {"bold": "*", "italic": "_", "code": "`", "text_link": "]", "text_mention": "]"}

    def select(self, spans: List[_Span]) -> List[_Span]:
        """Outermost entities only, and not those the markup cannot hold: a pre with ``` in
        it or ending with `, an entity right after a backslash (the two would make an escape)."""
        text, selected = self.text, []  # type: str, List[_Span]
        for span in spans:
            after_entity = bool(selected) and selected[-1].end == span.start
            content = text[span.start:span.end]
            if selected and span.start < selected[-1].end or (
                    span.kind == "pre" and ("```" in content or content.endswith("`"))) or (
                    text[span.start - 1:span.start] == "\\" and not after_entity):
                continue
            selected.append(span)
        return selected

    def open(self, span: _Span, stack: List[_Span]) -> str:
        return ""  # chunk() writes the delimiters

    def close(self, span: _Span, stack: List[_Span]) -> str:
        return ""

    def chunk(self, start: int, end: int, stack: List[_Span]) -> str:
        text = self.text[start:end]
        if not stack:
            return re.sub(r"([_*`\[])", r"\\\1", text)
        span = stack[-1]
        entity, kind = span.entity, span.kind
        if kind == "pre":
            return "```%s\n%s```" % (_field(entity, "language") or "", text)
        delimiter = self.delimiters[kind]
        head, tail = ("[", "](%s)" % (_user_link(entity) if kind == "text_mention" else (
            _field(entity, "url") or "").replace(")", "%29"))) if delimiter == "]" \
            else (delimiter, delimiter)
        between = delimiter if delimiter == "]" else "\\" + delimiter
        return between.join(head + part + tail if part else "" for part in text.split(delimiter))


def apply_entities_as_html(text: str, entities: Optional[Sequence[Any]]) -> str:
    """``text`` with its ``entities`` written as HTML for ``parse_mode="HTML"``; ``<``, ``>``
    and ``&`` are escaped. Raises ValueError for an entity that does not fit the text."""
    return _render(text, entities, _Html(text))


def apply_entities_as_markdown_v2(text: str, entities: Optional[Sequence[Any]]) -> str:
    """``text`` with its ``entities`` written as MarkdownV2 for ``parse_mode="MarkdownV2"``,
    every special character escaped.

    A block quotation that does not cover whole lines cannot be written and is left out.
    Raises ValueError for an entity that does not fit the text.
    """
    return _render(text, entities, _MarkdownV2(text))


def apply_entities_as_markdown(text: str, entities: Optional[Sequence[Any]]) -> str:
    """``text`` with its ``entities`` written as legacy Markdown (``parse_mode="Markdown"``).

    That mode has bold, italic, code, pre and links only, and no nesting: other entities and
    entities inside another are left out. Raises ValueError for an entity that does not fit
    the text.
    """
    return _render(text, entities, _Markdown(text))


# -- plain text -> markup ------------------------------------------------------------------------

def escape_html(text: str) -> str:
    """``text`` for ``parse_mode="HTML"``: ``&``, ``<``, ``>`` and ``"`` written as
    character references, so Telegram shows it as it is, with no entity. The result may also
    stand in an attribute value (``<a href="...">``)."""
    return _html_escape(text, quote=True)


_V1_SPECIAL = re.compile(r"([_*`\[])")
_V2_URL_SPECIAL = re.compile(r"([)\\])")
_V2_CONTEXTS = {"pre": _V2_VERBATIM_SPECIAL, "code": _V2_VERBATIM_SPECIAL,
                "text_link": _V2_URL_SPECIAL, "custom_emoji": _V2_URL_SPECIAL}


def escape_markdown(text: str, version: int = 2, entity_type: Optional[str] = None) -> str:
    """``text`` with a backslash before each character that Markdown would read as markup,
    so Telegram shows it as it is, with no entity.

    ``version=2`` is for ``parse_mode="MarkdownV2"``. ``entity_type`` says where the text
    goes: None for plain text (or inside bold, italic, a link's text, ...), where every
    special character is escaped; ``"pre"`` or ``"code"``, where only the backquote and the
    backslash are; ``"text_link"`` or ``"custom_emoji"`` for the URL between the
    parentheses, where only ``)`` and the backslash are. (The plain-text escaping is also
    right in those places, only longer.)

    ``version=1`` is for the legacy ``parse_mode="Markdown"``: ``_``, ``*``, the backquote
    and ``[`` are escaped; that mode cannot escape anything inside an entity.
    """
    if version == 1:
        if entity_type is not None:
            raise ValueError("legacy Markdown (version=1) has no escaping inside an entity: "
                             "use version=2 (MarkdownV2) or HTML for entity_type=%r"
                             % (entity_type,))
        return _V1_SPECIAL.sub(r"\\\1", text)
    if version != 2:
        raise ValueError("version must be 1 (parse_mode='Markdown') or 2 "
                         "(parse_mode='MarkdownV2'), not %r" % (version,))
    if entity_type is None or entity_type in _V2_MARKS and entity_type not in _V2_CONTEXTS:
        return _V2_SPECIAL.sub(r"\\\1", text)
    if entity_type not in _V2_CONTEXTS:
        raise ValueError("unknown entity_type %r: give None for plain text, 'pre', 'code', "
                         "'text_link' or 'custom_emoji' (or another MarkdownV2 entity type)"
                         % (entity_type,))
    return _V2_CONTEXTS[entity_type].sub(r"\\\1", text)


# -- markup -> entities -------------------------------------------------------------------------

class _Plain:
    """The plain text being built, and its length in UTF-16 code units."""

    def __init__(self) -> None:
        self.parts: List[str] = []
        self.units = 0

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.units += utf16_length(text)

    def since(self, part: int) -> str:
        return "".join(self.parts[part:])

    def text(self) -> str:
        return "".join(self.parts)


class _Open:
    """An entity whose end is still to come."""

    __slots__ = ("kind", "offset", "pos", "part", "args")

    def __init__(self, kind: str, offset: int, pos: int, part: int,
                 args: Optional[Dict[str, str]] = None) -> None:
        self.kind, self.offset, self.pos, self.part = kind, offset, pos, part
        self.args = args or {}


def _byte_offset(markup: str, index: int) -> int:
    return len(markup[:index].encode("utf-8", "surrogatepass"))


def _entity(kind: str, offset: int, length: int, **extra: Any) -> Entity:
    entity: Entity = {"type": kind, "offset": offset, "length": length}
    entity.update(extra)
    return entity


def _tg_query(url: str, host: str) -> Optional[Dict[str, str]]:
    """The query of a ``tg://<host>?...`` link (``tg:<host>?`` too), None for another link."""
    match = re.match(r"tg:(?://)?%s/?\?([^#]*)" % host, url, re.I)
    if match is None:
        return None
    pairs = (part.partition("=") for part in match.group(1).split("&"))
    return {key: value for key, _, value in pairs}


def _link_user_id(url: str) -> Optional[int]:
    query = _tg_query(url, "user")
    user_id = (query or {}).get("id", "")
    return int(user_id) if re.fullmatch(r"[0-9]{1,16}", user_id) and int(user_id) else None


_URL = re.compile(r"(?:([A-Za-z][A-Za-z0-9+.-]*)://)?([^/?#\s]+)([/?#]\S*)?\Z")
_HOST = re.compile(r"(?:[^@\s]*@)?[\w.-]+(?::[0-9]{1,5})?\Z")


def _checked_url(url: str) -> str:
    """The link as Telegram keeps it (``http://`` added, ``/`` for an empty path), or ""
    when Telegram would drop it."""
    url = url.strip()
    if re.match(r"(?:tg|ton):\S", url, re.I):
        return url if not re.search(r"\s", url) else ""
    match = _URL.match(url)
    if match is None or not _HOST.match(match.group(2)):
        return ""
    scheme = (match.group(1) or "http").lower()
    if scheme not in ("http", "https"):
        return ""
    return "%s://%s%s" % (scheme, match.group(2), match.group(3) or "/")


def _link_entity(offset: int, length: int, url: str) -> Optional[Entity]:
    user_id = _link_user_id(url)
    if user_id is not None:
        return _entity("text_mention", offset, length, user={"id": user_id})
    url = _checked_url(url)
    return _entity("text_link", offset, length, url=url) if url else None


def _custom_emoji_entity(offset: int, length: int, emoji_id: str) -> Entity:
    if not re.fullmatch(r"[0-9]{1,19}", emoji_id or "") or not int(emoji_id):
        raise EntityParseError("Invalid custom emoji identifier specified")
    return _entity("custom_emoji", offset, length, custom_emoji_id=emoji_id)


def _date_time_entity(offset: int, length: int, unix: Optional[str],
                      time_format: Optional[str]) -> Entity:
    if unix is None or not re.fullmatch(r"-?[0-9]{1,12}", unix):
        raise EntityParseError("Invalid Unix time specified")
    if not _DATE_TIME_FORMAT.match(time_format or ""):
        raise EntityParseError("Invalid date-time format specified")
    extra: Dict[str, Any] = {"unix_time": int(unix)}
    if time_format:
        extra["date_time_format"] = time_format
    return _entity("date_time", offset, length, **extra)


def _bang_entity(offset: int, length: int, url: str) -> Entity:
    """The entity of ``![text](url)``: a custom emoji or a date and time."""
    time_query = _tg_query(url, "time")
    if time_query is not None:
        return _date_time_entity(offset, length, time_query.get("unix"), time_query.get("format"))
    query = _tg_query(url, "emoji")
    if query is None:
        if not url.lower().startswith("tg:"):
            raise EntityParseError("Custom emoji URL must have scheme tg")
        raise EntityParseError('Custom emoji URL must have host "emoji"')
    if "id" not in query:
        raise EntityParseError("Custom emoji URL must have an emoji identifier")
    return _custom_emoji_entity(offset, length, query["id"])


def _contains(outer: Entity, inner: Entity) -> bool:
    """Whether Telegram drops ``inner``, lying inside ``outer``, for the nesting rules."""
    a, b = outer["type"], inner["type"]
    same_span = outer["offset"] == inner["offset"] and outer["length"] == inner["length"]
    if a in _VERBATIM:
        return not (same_span and b in _SPLITTABLE)
    if b in _SPLITTABLE:
        return a == b
    if a in _QUOTES or b in _QUOTES:
        return a in _QUOTES and b in _QUOTES
    return a not in _SPLITTABLE


def _tidy(entities: List[Entity]) -> List[Entity]:
    """Entities in Telegram's order, without those its nesting rules forbid: nothing inside
    code or pre, no entity of a kind inside the same kind, no link inside a link, ..."""
    entities.sort(key=lambda e: (e["offset"], -e["length"], _PRIORITY.get(e["type"], 50)))
    kept: List[Entity] = []
    for entity in entities:
        end = entity["offset"] + entity["length"]
        if not any(_contains(outer, entity) for outer in kept
                   if outer["offset"] + outer["length"] >= end):
            kept.append(entity)
    return kept


def _url_in_parentheses(markup: str, i: int, what: str) -> Tuple[str, int]:
    """The MarkdownV2 URL starting at ``markup[i]`` (after '('), and the index of its ')'."""
    url, start = [], i
    while i < len(markup) and markup[i] != ")":
        if markup[i] == "\\" and "\x00" < markup[i + 1:i + 2] <= "~":
            i += 1
        url.append(markup[i])
        i += 1
    if i == len(markup):
        raise EntityParseError("Can't find end of %s at byte offset %d"
                               % (what, _byte_offset(markup, start)))
    return "".join(url), i


_V2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!\n")
_V2_NAMES = {"bold": "Bold", "italic": "Italic", "underline": "Underline",
             "strikethrough": "Strikethrough", "spoiler": "Spoiler", "code": "Code",
             "pre": "Pre", "link": "TextUrl", "bang": "CustomEmoji", "blockquote": "BlockQuote"}
_V2_ENDS: Dict[str, Callable[[str, str, str], bool]] = {
    "bold": lambda c, n1, n2: c == "*",
    "italic": lambda c, n1, n2: c == "_" and n1 != "_",
    "underline": lambda c, n1, n2: c == "_" and n1 == "_",
    "strikethrough": lambda c, n1, n2: c == "~",
    "spoiler": lambda c, n1, n2: c == "|" and n1 == "|",
    "code": lambda c, n1, n2: c == "`",
    "pre": lambda c, n1, n2: c == "`" and n1 == "`" and n2 == "`",
    "link": lambda c, n1, n2: c == "]",
    "bang": lambda c, n1, n2: c == "]",
    "blockquote": lambda c, n1, n2: False,
}
_V2_STARTS = {"*": "bold", "~": "strikethrough", "[": "link"}
_SPACES = " \t\r\n\v\f\x00"


def _unclosed(markup: str, top: _Open) -> EntityParseError:
    name = "PreCode" if top.kind == "pre" and top.args else _V2_NAMES[top.kind]
    return EntityParseError("Can't find end of %s entity at byte offset %d"
                            % (name, _byte_offset(markup, top.pos)))


def _reserved(char: str) -> EntityParseError:
    return EntityParseError("Character '%s' is reserved and must be escaped with the "
                            "preceding '\\'" % char)


def _pre_start(markup: str, i: int) -> Tuple[str, int]:
    """After a ``` at ``i``: the language named on its line, and where the code starts."""
    n = len(markup)
    j = end = i + 3
    while end < n and markup[end] not in _SPACES and markup[end] != "`":
        end += 1
    language = ""
    if end != j and end < n and markup[end] != "`":
        language, j = markup[j:end], end
    if markup[j:j + 1] in ("\n", "\r") and j < n:  # one line break after ``` is not text
        j += 2 if markup[j + 1:j + 2] in ("\n", "\r") and markup[j] != markup[j + 1] else 1
    return language, j


def parse_markdown_v2(markup: str) -> Tuple[str, List[Entity]]:
    """The plain text and entities Telegram makes of MarkdownV2 ``markup``.

    Raises :class:`EntityParseError` (Telegram's wording) for markup it refuses, such as an
    unescaped reserved character or an entity without its end.
    """
    plain, entities, stack = _Plain(), [], []  # type: _Plain, List[Entity], List[_Open]
    n, i = len(markup), 0
    quoted = False  # a block quotation is open
    line_start = True  # a '>' here would start a quotation
    while i < n:
        c = markup[i]
        n1, n2 = markup[i + 1:i + 2], markup[i + 2:i + 3]
        if c == "\\" and "\x00" < n1 <= "~":
            plain.add(n1)
            line_start = n1 == "\n" if n1 != "\r" else line_start
            i += 2
            continue
        verbatim = bool(stack) and stack[-1].kind in _VERBATIM
        if (c != "`") if verbatim else (c not in _V2_RESERVED):
            plain.add(c)
            line_start = line_start and c == "\r"
            i += 1
            continue
        top = stack[-1] if stack else None
        ends = top is not None and (
            (quoted and c == "\n" and n1 != ">") or _V2_ENDS[top.kind](c, n1, n2))
        if top is None or not ends:
            if c == "\n":
                plain.add(c)
                line_start = True
                i += 1
                continue
            start, args = i, None
            if c == ">" and line_start:
                i += 1
                if quoted:  # the next line of the open quotation
                    continue
                kind, quoted = "blockquote", True
            elif c in _V2_STARTS:
                kind, i = _V2_STARTS[c], i + 1
            elif c == "_":
                kind, i = ("underline", i + 2) if n1 == "_" else ("italic", i + 1)
            elif (c, n1) in (("|", "|"), ("!", "[")):
                kind, i = "spoiler" if c == "|" else "bang", i + 2
            elif c == "`" and n1 == n2 == "`":
                language, i = _pre_start(markup, i)
                kind, args = "pre", {"language": language} if language else None
            elif c == "`":
                kind, i = "code", i + 1
            else:
                raise _reserved(c)
            stack.append(_Open(kind, plain.units, start, len(plain.parts), args))
            continue
        # the end of the entity on top
        kind = top.kind
        if c == "\n" and kind != "blockquote":
            # only a quotation ends at a line break: after "||", an expandable one
            mark_before = top.pos == i - 2 or (top.pos == i - 3 and plain.text().endswith("\r"))
            if kind != "spoiler" or not mark_before:
                raise _unclosed(markup, top)
            stack.pop()
            top = stack[-1]
            if top.kind != "blockquote":
                raise _unclosed(markup, top)
            kind = "expandable_blockquote"
        offset, length = top.offset, plain.units - top.offset
        entity: Optional[Entity] = None
        if kind in ("link", "bang"):
            if n1 != "(":
                if kind == "bang":
                    raise EntityParseError("Custom emoji entity must contain a tg://emoji URL")
                url, i = plain.since(top.part), i + 1
            else:
                what = "a URL" if kind == "link" else "a custom emoji URL"
                url, i = _url_in_parentheses(markup, i + 2, what)
                i += 1
            entity = (_link_entity if kind == "link" else _bang_entity)(offset, length, url)
        elif kind in _QUOTES:
            plain.add(c)
            quoted, line_start = False, True
            length += 1
            entity = _entity(kind, offset, length)
            i += 1
        else:
            i += {"underline": 2, "spoiler": 2, "pre": 3}.get(kind, 1)
            entity = _entity(kind, offset, length, **(top.args or {}))
        stack.pop()
        if entity is not None and length:
            entities.append(entity)
    if quoted:
        kind = "blockquote"
        if len(stack) > 1 and stack[-1].kind == "spoiler" and stack[-1].pos == n - 2:
            stack.pop()
            kind = "expandable_blockquote"
        if stack[-1].kind == "blockquote":
            top = stack.pop()
            if plain.units > top.offset:
                entities.append(_entity(kind, top.offset, plain.units - top.offset))
    if stack:
        raise _unclosed(markup, stack[-1])
    return plain.text(), _tidy(entities)


def parse_markdown(markup: str) -> Tuple[str, List[Entity]]:
    """The plain text and entities Telegram makes of legacy Markdown ``markup``
    (``parse_mode="Markdown"``): bold, italic, code, pre and links, not nested.

    Raises :class:`EntityParseError` (Telegram's wording) for an entity without its end.
    """
    plain, entities = _Plain(), []  # type: _Plain, List[Entity]
    n, i = len(markup), 0
    while i < n:
        c = markup[i]
        if c == "\\" and markup[i + 1:i + 2] in ("_", "*", "`", "["):
            plain.add(markup[i + 1])
            i += 2
            continue
        if c not in "_*`[":
            plain.add(c)
            i += 1
            continue
        start = i
        end_char = "]" if c == "[" else c
        language = ""
        is_pre = markup[i:i + 3] == "```"
        if is_pre:
            language, i = _pre_start(markup, i)
        else:
            i += 1
        offset = plain.units
        while i < n and (markup[i] != end_char or is_pre and markup[i + 1:i + 3] != "``"):
            plain.add(markup[i])
            i += 1
        if i == n:
            raise EntityParseError("Can't find end of the entity starting at byte offset %d"
                                   % _byte_offset(markup, start))
        length = plain.units - offset
        if length:
            if c == "[":
                url = markup[start + 1:i]
                if markup[i + 1:i + 2] == "(":
                    close = markup.find(")", i + 2)
                    close = n if close < 0 else close
                    url, i = markup[i + 2:close], close
                link = _link_entity(offset, length, url)
                if link is not None:
                    entities.append(link)
            elif is_pre:
                entities.append(_entity("pre", offset, length,
                                        **({"language": language} if language else {})))
            else:
                kind = {"_": "italic", "*": "bold", "`": "code"}[c]
                entities.append(_entity(kind, offset, length))
        i += 3 if is_pre else 1
    return plain.text(), _tidy(entities)


_HTML_TAGS = frozenset({"a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins",
                        "tg-spoiler", "tg-emoji", "tg-time", "span", "pre", "code", "blockquote"})
_HTML_KINDS = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic",
               "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
               "u": "underline", "ins": "underline", "tg-spoiler": "spoiler", "span": "spoiler"}
# (tag, attribute) -> the name the value is kept under, and the prefix it must have
_HTML_ARGUMENTS = {("a", "href"): ("url", ""), ("code", "class"): ("language", "language-"),
                   ("span", "class"): ("class", "tg-"), ("tg-emoji", "emoji-id"): ("id", ""),
                   ("tg-time", "unix"): ("unix", ""), ("tg-time", "format"): ("format", "")}
_NAMED_REFERENCES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


_REFERENCE = re.compile(r"&(?:#x([0-9a-fA-F]*)|#([0-9]*)|([A-Za-z]*))(;?)")


def _html_reference(markup: str, i: int) -> Tuple[Optional[int], int]:
    """The code point of the character reference at ``markup[i]`` ('&') and where it ends;
    None when it is not one Telegram knows (the '&' is then text)."""
    match = _REFERENCE.match(markup, i)
    assert match is not None  # every group may be empty
    hexadecimal, decimal, name, semicolon = match.groups()
    if name is not None:
        char = _NAMED_REFERENCES.get(name)
        return (ord(char) if char else None), match.end()
    digits = hexadecimal if hexadecimal is not None else decimal
    code = int(digits, 16 if hexadecimal is not None else 10) if digits else 0
    if code == 0 or code >= 0x10FFFF or match.end() - len(semicolon) - i >= 10:
        return None, match.end()
    return code, match.end()


def _html_attributes(markup: str, i: int, tag: str, begin: int) -> Tuple[Dict[str, str], int]:
    """The attributes of a start tag from ``markup[i]``, and the index of its '>'."""
    n = len(markup)
    args: Dict[str, str] = {}

    def unclosed(named: bool = True) -> EntityParseError:
        where = ' "%s"' % tag if named else ""
        return EntityParseError("Unclosed start tag%s at byte offset %d"
                                % (where, _byte_offset(markup, begin)))

    while i < n and markup[i] != ">":
        while i < n and markup[i] in _SPACES:
            i += 1
        if i < n and markup[i] == ">":
            break
        name_start = i
        while i < n and markup[i] not in _SPACES and markup[i] not in "=>/\"'":
            i += 1
        name = markup[name_start:i]
        if not name:
            raise EntityParseError('Empty attribute name in the tag "%s" at byte offset %d'
                                   % (tag, _byte_offset(markup, begin)))
        while i < n and markup[i] in _SPACES:
            i += 1
        if i == n:
            raise unclosed()
        if markup[i] != "=":
            if tag == "blockquote" and name == "expandable":
                args["expandable"] = "1"
            continue
        i += 1
        while i < n and markup[i] in _SPACES:
            i += 1
        if i == n:
            raise unclosed()
        if markup[i] not in "'\"":
            token = re.compile(r"[A-Za-z0-9.-]*").match(markup, i)
            assert token is not None
            value, i = token.group().lower(), token.end()
            if i < n and markup[i] not in _SPACES and markup[i] != ">":
                raise EntityParseError("Unexpected end of name token at byte offset %d"
                                       % _byte_offset(markup, token.start()))
        else:
            quote, chars = markup[i], []
            i += 1
            while i < n and markup[i] != quote:
                code, after = _html_reference(markup, i) if markup[i] == "&" else (None, i)
                chars.append(chr(code) if code is not None else markup[i])
                i = after if code is not None else i + 1
            i += i < n
            value = "".join(chars)
        if i == n:
            raise unclosed(named=False)
        key, prefix = _HTML_ARGUMENTS.get((tag, name), ("", ""))
        if key and value.startswith(prefix):
            args[key] = value[len(prefix):]
        elif tag == "blockquote" and name == "expandable":
            args["expandable"] = "1"
    return args, i


def _html_entity(tag: str, args: Dict[str, str], offset: int, length: int,
                 inner: str) -> Optional[Entity]:
    """The entity a closed tag makes (None when Telegram drops it)."""
    if tag in _HTML_KINDS:
        return _entity(_HTML_KINDS[tag], offset, length)
    if tag == "a":
        return _link_entity(offset, length, args.get("url") or inner)
    if tag == "tg-emoji":
        return _custom_emoji_entity(offset, length, args.get("id", ""))
    if tag == "tg-time":
        return _date_time_entity(offset, length, args.get("unix"), args.get("format"))
    if tag == "blockquote":
        return _entity("expandable_blockquote" if args else "blockquote", offset, length)
    extra = {"language": args["language"]} if args.get("language") else {}
    return _entity(tag, offset, length, **extra)  # pre, code


def parse_html(markup: str) -> Tuple[str, List[Entity]]:
    """The plain text and entities Telegram makes of HTML ``markup`` (``parse_mode="HTML"``).

    Raises :class:`EntityParseError` (Telegram's wording) for markup it refuses: an
    unsupported or unclosed tag, an unmatched end tag, ...
    """
    plain, entities, stack = _Plain(), [], []  # type: _Plain, List[Entity], List[_Open]
    n, i = len(markup), 0
    while i < n:
        c = markup[i]
        if c == "&":
            code, after = _html_reference(markup, i)
            if code is not None:
                if 0xD800 <= code <= 0xDFFF:
                    raise EntityParseError(
                        "Text contains invalid Unicode characters after decoding HTML "
                        "entities, check for unmatched surrogate code units")
                plain.add(chr(code))
                i = after
                continue
        if c != "<":
            plain.add(c)
            i += 1
            continue
        begin = i
        i += 1
        if markup[i:i + 1] != "/":
            while i < n and markup[i] not in _SPACES and markup[i] != ">":
                i += 1
            if i == n:
                raise EntityParseError("Unclosed start tag at byte offset %d"
                                       % _byte_offset(markup, begin))
            tag = markup[begin + 1:i].lower()
            if tag not in _HTML_TAGS:
                raise EntityParseError('Unsupported start tag "%s" at byte offset %d'
                                       % (tag, _byte_offset(markup, begin)))
            args, i = _html_attributes(markup, i, tag, begin)
            if tag == "span" and args.get("class") != "spoiler":
                raise EntityParseError('Tag "span" must have class "tg-spoiler" at byte '
                                       'offset %d' % _byte_offset(markup, begin))
            stack.append(_Open(tag, plain.units, begin, len(plain.parts), args))
            i += 1
            continue
        if not stack:
            raise EntityParseError("Unexpected end tag at byte offset %d"
                                   % _byte_offset(markup, begin))
        while i < n and markup[i] not in _SPACES and markup[i] != ">":
            i += 1
        end_tag = markup[begin + 2:i].lower()
        while i < n and markup[i] in _SPACES:
            i += 1
        if i == n or markup[i] != ">":
            raise EntityParseError("Unclosed end tag at byte offset %d"
                                   % _byte_offset(markup, begin))
        top = stack.pop()
        if end_tag and end_tag != top.kind:
            raise EntityParseError('Unmatched end tag at byte offset %d, expected "</%s>", '
                                   'found "</%s>"' % (_byte_offset(markup, begin), top.kind,
                                                      end_tag))
        i += 1
        length = plain.units - top.offset
        if length <= 0:
            continue
        entity = _html_entity(top.kind, top.args, top.offset, length, plain.since(top.part))
        if entity is None:
            continue
        last: Entity = entities[-1] if entities else {}
        language = last.get("language") or entity.get("language")
        if language and {last.get("type"), entity["type"]} == {"pre", "code"} and (
                last["offset"], last["length"]) == (top.offset, length):
            # <pre><code class="language-x"> (either way round): a pre with its language
            last.update(type="pre", language=language)
            continue
        entities.append(entity)
    if stack:
        raise EntityParseError('Can\'t find end tag corresponding to start tag "%s"'
                               % stack[-1].kind)
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    return plain.text(), _tidy(entities)


_PARSERS = {"html": parse_html, "markdownv2": parse_markdown_v2, "markdown": parse_markdown}


def parse(markup: str, parse_mode: Optional[str]) -> Tuple[str, List[Entity]]:
    """The plain text and entities of ``markup`` in ``parse_mode`` ("HTML", "MarkdownV2" or
    "Markdown", any case); no parse mode (None, "" or "none") leaves the text as it is.

    Raises :class:`EntityParseError` for markup Telegram refuses and a plain ValueError
    ("unsupported parse_mode") for an unknown parse mode.
    """
    mode = (parse_mode or "").lower()
    if mode in ("", "none"):
        return markup, []
    parser = _PARSERS.get(mode)
    if parser is None:
        raise ValueError("unsupported parse_mode")
    return parser(markup)

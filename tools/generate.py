"""Write the method table, the Bot methods and the object types from the Bot API facts.

Usage::

    python tools/generate.py [path/to/botapi.json]     # default: ../shared/botapi/botapi.json

Outputs (see :func:`outputs`): ``telegrambot/core/methods.py`` (the method table, I/O-free),
``telegrambot/_methods.py`` (one method of the threaded ``Bot`` per Bot API method),
``telegrambot/aio/_methods.py`` (the same methods as coroutines, for ``telegrambot.aio.Bot``)
and ``telegrambot/namedtuple.py``. They are committed; tests/test_generated.py fails when they
differ from what this script would write today. The facts file is also copied to
telegrambot/botapi.json, which the emulator reads at run time.

The methods are written from one template for either runtime: ``methods_module(facts,
asynchronous=True)`` writes the same methods as ``async def`` awaiting ``self._call`` (for
the asyncio Bot), never derived from the threaded file.
"""

import json
import keyword
import os
import re
import sys
from typing import Dict, List

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT_FACTS = os.path.join(ROOT, "..", "shared", "botapi", "botapi.json")
DOCS = "https://core.telegram.org/bots/api#"

# Methods that address "a message" as telepot did: one ``msg_identifier`` argument that is
# (chat_id, message_id), (inline_message_id,) or an inline_message_id string. Those with an
# inline_message_id parameter are found in the facts; these take a (chat_id, message_id) only.
CHAT_MESSAGE_TARGETS = ("deleteMessage", "stopPoll", "editMessageChecklist")

# Optional parameters that stay positional after msg_identifier, as telepot had them.
POSITIONAL_OPTIONAL = {
    "editMessageText": ("text",),
    "editMessageCaption": ("caption",),
    "editMessageReplyMarkup": ("reply_markup",),
}

SCALARS = {"Integer": "int", "String": "str", "Boolean": "bool", "Float": "float"}

# What the Bot API renamed over the years (https://core.telegram.org/bots/api-changelog).
# Old names still listed in the facts (deprecated but documented) need no entry: they are
# fields and parameters like any other. main() checks each entry against the facts.
_THUMB = {"thumb": "thumbnail"}
_THUMB_URL = {"thumb_url": "thumbnail_url"}
_THUMB_BOX = {"thumb_url": "thumbnail_url", "thumb_width": "thumbnail_width",
              "thumb_height": "thumbnail_height"}
_THUMB_GIF = {"thumb_url": "thumbnail_url", "thumb_mime_type": "thumbnail_mime_type"}
_VIDEO_CHATS = {"voice_chat_" + event: "video_chat_" + event
                for event in ("scheduled", "started", "ended", "participants_invited")}
RENAMED_FIELDS: Dict[str, Dict[str, str]] = {
    # Bot API 2.0
    "Message": dict({"left_chat_participant": "left_chat_member"}, **_VIDEO_CHATS),  # + 6.0
    # 2.3
    "ReplyKeyboardRemove": {"hide_keyboard": "remove_keyboard"},
    # 6.0
    "ChatMemberAdministrator": {"can_manage_voice_chats": "can_manage_video_chats"},
    # 6.6
    "Animation": _THUMB, "Audio": _THUMB, "Document": _THUMB, "Sticker": _THUMB,
    "Video": _THUMB, "VideoNote": _THUMB, "StickerSet": _THUMB,
    "InputMediaAnimation": _THUMB, "InputMediaAudio": _THUMB, "InputMediaDocument": _THUMB,
    "InputMediaVideo": _THUMB,
    "InlineQueryResultArticle": _THUMB_BOX, "InlineQueryResultContact": _THUMB_BOX,
    "InlineQueryResultDocument": _THUMB_BOX, "InlineQueryResultLocation": _THUMB_BOX,
    "InlineQueryResultVenue": _THUMB_BOX,
    "InlineQueryResultPhoto": _THUMB_URL, "InlineQueryResultVideo": _THUMB_URL,
    "InlineQueryResultGif": _THUMB_GIF, "InlineQueryResultMpeg4Gif": _THUMB_GIF,
}
RENAMED_PARAMS: Dict[str, Dict[str, str]] = {
    # 6.0
    "promoteChatMember": {"can_manage_voice_chats": "can_manage_video_chats"},
    # 6.6
    "sendAnimation": _THUMB, "sendAudio": _THUMB, "sendDocument": _THUMB, "sendVideo": _THUMB,
    "sendVideoNote": _THUMB, "setStickerSetThumbnail": _THUMB,
}
RENAMED_METHODS = {
    "kickChatMember": "banChatMember",  # 5.3
    "getChatMembersCount": "getChatMemberCount",  # 5.3
    "setStickerSetThumb": "setStickerSetThumbnail",  # 6.6
}
RENAMED_TYPES = {
    "ReplyKeyboardHide": "ReplyKeyboardRemove",  # 2.3
    "VoiceChatScheduled": "VideoChatScheduled",  # 6.0
    "VoiceChatStarted": "VideoChatStarted",
    "VoiceChatEnded": "VideoChatEnded",
    "VoiceChatParticipantsInvited": "VideoChatParticipantsInvited",
}


def check_renames(facts: dict) -> None:
    """Each rename names a type, method or field of the facts under its new name, and an
    old name the facts no longer have (else the entry is useless or wrong)."""
    types, methods = facts["types"], facts["methods"]
    for kind, table, owners in (("field", RENAMED_FIELDS, types), ("parameter", RENAMED_PARAMS, methods)):
        for owner, renames in table.items():
            spec = owners[owner]
            names = {f["name"] for f in spec.get("fields", spec.get("params", []))}
            for old, new in renames.items():
                if new not in names or old in names:
                    raise SystemExit("rename of %s %s.%s -> %s does not fit the facts" % (kind, owner, old, new))
    for old, new in RENAMED_METHODS.items():
        if new not in methods or old in methods:
            raise SystemExit("rename of method %s -> %s does not fit the facts" % (old, new))
    for old, new in RENAMED_TYPES.items():
        if new not in types or old in types:
            raise SystemExit("rename of type %s -> %s does not fit the facts" % (old, new))


def _type_names(api_types: List[str], types: Dict[str, dict]) -> List[str]:
    found = []
    for t in api_types:
        while t.startswith("Array of "):
            t = t[len("Array of "):]
        if t in types:
            found.append(t)
    return found


def _closure(start: List[str], types: Dict[str, dict]) -> set:
    seen: set = set()
    stack = list(start)
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        spec = types[name]
        stack.extend(spec.get("subtypes", []))
        for field in spec.get("fields", []):
            stack.extend(_type_names(field["types"], types))
    return seen


def directions(facts: dict) -> Dict[str, str]:
    """For each type: 'in' (only ever received), 'out' (only ever sent: a method parameter
    or part of one, never part of an answer or update) or 'both'."""
    types = facts["types"]
    received = ["Update"]
    sent: List[str] = []
    for spec in facts["methods"].values():
        received += _type_names(spec["returns"], types)
        for p in spec["params"]:
            sent += _type_names(p["types"], types)
    incoming, outgoing = _closure(received, types), _closure(sent, types)
    return {name: "out" if name in outgoing and name not in incoming
            else "in" if name in incoming and name not in outgoing else "both"
            for name in types}


def snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def field_name(name: str) -> str:
    return name + "_" if keyword.iskeyword(name) else name


def py_type(api_type: str, param: str = "") -> str:
    if api_type.startswith("Array of "):
        return "Sequence[%s]" % py_type(api_type[len("Array of "):])
    if api_type == "InputFile":
        return "InputFileLike"
    if api_type == "Integer" and param.endswith("_date"):
        return "TimeLike"
    if api_type == "Integer" and (param.endswith("_period") or param in ("duration", "cache_time")):
        return "PeriodLike"
    return SCALARS.get(api_type, "ObjectLike")


def union(types: List[str]) -> str:
    unique = []
    for t in types:
        if t not in unique:
            unique.append(t)
    return unique[0] if len(unique) == 1 else "Union[%s]" % ", ".join(unique)


def return_type(api_type: str) -> str:
    if api_type.startswith("Array of "):
        return "List[%s]" % return_type(api_type[len("Array of "):])
    return SCALARS.get(api_type, "JSONObject")


def takes_msg_identifier(name: str, params: List[dict]) -> bool:
    names = {p["name"] for p in params}
    return "inline_message_id" in names or name in CHAT_MESSAGE_TARGETS


# The keyword of a method's upload progress callback, on the methods that can upload; it
# must be the name of no Bot API parameter (main() checks).
PROGRESS = "progress"
# Fields of Input* objects typed String that take a file (``attach://<name>``): an object
# type with one of these (or holding such an object) makes its method able to upload.
FILE_FIELDS = {"media", "thumbnail", "cover", "photo", "video", "animation", "sticker"}


def _element(api_type: str) -> str:
    while api_type.startswith("Array of "):
        api_type = api_type[len("Array of "):]
    return api_type


def file_carriers(types: Dict[str, dict]) -> set:
    """The Input* object types that can carry a file, directly or through those they hold."""
    carriers: set = set()
    changed = True
    while changed:
        changed = False
        for name, spec in types.items():
            if name in carriers or not name.startswith("Input"):
                continue
            fields = spec.get("fields", [])
            if (any(f["name"] in FILE_FIELDS and f["types"] == ["String"] for f in fields)
                    or any(_element(t) in carriers for f in fields for t in f["types"])
                    or any(sub in carriers for sub in spec.get("subtypes", []))):
                carriers.add(name)
                changed = True
    return carriers


def can_upload(spec: dict, carriers: set) -> bool:
    """Whether a method can upload a file: an InputFile parameter, or an object that can
    carry one (``InputMedia...``)."""
    return any(t == "InputFile" or _element(t) in carriers or _element(t) == "InputFile"
               for p in spec["params"] for t in p["types"])


def method_source(name: str, spec: dict, asynchronous: bool = False,
                  uploads: bool = False) -> List[str]:
    params = spec["params"]
    targeted = takes_msg_identifier(name, params)
    target_names = ("chat_id", "message_id", "inline_message_id") if targeted else ()
    keep_positional = POSITIONAL_OPTIONAL.get(name, ())
    positional, keyword_only = [], []
    for p in params:
        if p["name"] in target_names:
            if p["name"] == "chat_id":
                positional.append("msg_identifier: MsgIdentifier")
            continue
        annotation = union([py_type(t, p["name"]) for t in p["types"]])
        if p["required"]:
            positional.append("%s: %s" % (p["name"], annotation))
        elif p["name"] in keep_positional:
            positional.append("%s: Optional[%s] = None" % (p["name"], annotation))
        else:
            keyword_only.append("%s: Optional[%s] = None" % (p["name"], annotation))
    if targeted and "msg_identifier: MsgIdentifier" not in positional:
        positional.append("msg_identifier: MsgIdentifier")
    renamed = RENAMED_PARAMS.get(name, {})
    annotations = {p["name"]: union([py_type(t, p["name"]) for t in p["types"]]) for p in params}
    for old, new in renamed.items():  # the old name, taken for the new one
        keyword_only.append("%s: Optional[%s] = None" % (old, annotations[new]))
    if uploads:
        keyword_only.append("%s: Optional[Progress] = None" % PROGRESS)
    keyword_only += ["api_kwargs: Optional[Dict[str, Any]] = None", "request_timeout: TimeoutLike = None"]
    signature = ["self"] + positional + ["*"] + keyword_only
    result = union([return_type(t) for t in spec["returns"]])
    lines = ["    %sdef %s(" % ("async " if asynchronous else "", name)]
    lines += ["        %s," % arg for arg in signature]
    lines += ["    ) -> %s:" % result]
    doc = "%s: %s%s" % (name, DOCS, name.lower())
    notes = []
    if renamed:
        notes.append("Old names taken for the new: %s." % ", ".join(
            "``%s`` (now ``%s``)" % kv for kv in renamed.items()))
    if uploads:
        notes.append("``%s(done, total)``: called as the files' bytes are sent." % PROGRESS)
    if notes:
        doc += "\n\n        %s\n        " % "\n        ".join(notes)
    lines.append('        """%s"""' % doc)
    for old, new in renamed.items():
        lines.append("        if %s is not None:" % old)
        lines.append('            %s = renamed_param("%s", "%s", %s, "%s", %s)' % (new, name, old, old, new, new))
    sent = [p["name"] for p in params if p["name"] not in target_names]
    if sent:
        lines.append("        params = {")
        lines += ['            "%s": %s,' % (n, n) for n in sent]
        lines.append("        }")
    else:
        lines.append("        params: Dict[str, Any] = {}")
    if targeted:
        lines.append(
            "        params.update(message_target(msg_identifier, inline=%s))"
            % ("inline_message_id" in {p["name"] for p in params})
        )
    lines.append('        return %sself._call("%s", params, api_kwargs, request_timeout%s)'
                 % ("await " if asynchronous else "", name,
                    ", %s=%s" % (PROGRESS, PROGRESS) if uploads else ""))
    lines.append("")
    lines.append("    %s = %s" % (snake_case(name), name))
    lines.append("")
    return lines


def method_table_module(facts: dict) -> str:
    """``telegrambot/core/methods.py``: what each method takes and returns, for both runtimes."""
    out = [
        "# Generated by tools/generate.py from the Bot API %s facts; do not edit by hand." % facts["version"],
        '"""The Bot API methods as data: parameters, required ones, uploads, results, renames.',
        "",
        "Code that needs \"every method that ...\" derives it from :data:`METHODS`, never from a",
        "hand-written list. I/O-free: both runtimes' Bots, the docs and the tests read it.",
        '"""',
        "",
        "from typing import Dict, NamedTuple, Tuple",
        "",
        '__all__ = ["API_VERSION", "METHODS", "MethodInfo", "RENAMED_METHODS", "RENAMED_PARAMS"]',
        "",
        "#: The Bot API version the table describes.",
        'API_VERSION = "%s"' % facts["version"],
        "",
        "",
        "class MethodInfo(NamedTuple):",
        '    """One method: its name and snake_case alias, its parameters in API order (the',
        "    deprecated ones too), the required ones and those that may carry a file, the names",
        "    of the types it returns, and whether Bot's method takes ``msg_identifier`` in place",
        '    of chat_id/message_id/inline_message_id."""',
        "",
        "    name: str",
        "    alias: str",
        "    params: Tuple[str, ...]",
        "    required: Tuple[str, ...]",
        "    uploads: Tuple[str, ...]",
        "    returns: Tuple[str, ...]",
        "    msg_identifier: bool",
        "",
        "",
        "def _info(name, alias, params, required, uploads, returns, msg_identifier=False):",
        "    return MethodInfo(",
        "        name, alias, tuple(params.split()), tuple(required.split()),",
        "        tuple(uploads.split()), tuple(returns.split(\"|\")), msg_identifier,",
        "    )",
        "",
        "",
        "#: Method names the Bot API renamed, and the method each calls now.",
        "RENAMED_METHODS: Dict[str, str] = {",
    ]
    out += ['    "%s": "%s",' % kv for kv in RENAMED_METHODS.items()]
    out += [
        "}",
        "#: Parameters the Bot API renamed: method -> {old name: new name}; the methods take both.",
        "RENAMED_PARAMS: Dict[str, Dict[str, str]] = {",
    ]
    out += ['    "%s": %s,' % (m, json.dumps(r)) for m, r in RENAMED_PARAMS.items()]
    out += [
        "}",
        "",
        "#: Every Bot API method by name.",
        "METHODS: Dict[str, MethodInfo] = {",
    ]
    for name, spec in facts["methods"].items():
        params = spec["params"]
        out.append(
            '    "%s": _info("%s", "%s", "%s", "%s", "%s", "%s"%s),'
            % (
                name,
                name,
                snake_case(name),
                " ".join(p["name"] for p in params),
                " ".join(p["name"] for p in params if p["required"]),
                " ".join(p["name"] for p in params if "InputFile" in p["types"]),
                "|".join(spec["returns"]),
                ", True" if takes_msg_identifier(name, params) else "",
            )
        )
    out.append("}")
    return "\n".join(out) + "\n"


def methods_module(facts: dict, asynchronous: bool = False) -> str:
    """The ``Methods`` mixin of a Bot: ``telegrambot/_methods.py``, or with ``asynchronous``
    the same methods as coroutines for an asyncio Bot in a subpackage (``telegrambot.aio``),
    which supplies ``async def _call`` and a ``transport`` module with ``TimeoutLike``."""
    up = ".." if asynchronous else "."
    out = [
        "# Generated by tools/generate.py from the Bot API %s facts; do not edit by hand." % facts["version"],
        '"""Every Bot API method as a method of :class:`%s.Bot`.'
        % ("telegrambot.aio" if asynchronous else "telegrambot"),
        "",
        "The method table is :mod:`telegrambot.core.methods`; its names are importable from here too.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from typing import Any, Dict, List, Optional, Sequence, Union",
        "",
        "from %score.methods import (  # noqa: F401 - the method table, importable from here too" % up,
        "    API_VERSION,",
        "    METHODS,",
        "    RENAMED_METHODS,",
        "    RENAMED_PARAMS,",
        "    MethodInfo,",
        ")",
        "from %score.request import (" % up,
        "    InputFileLike,",
        "    JSONObject,",
        "    MsgIdentifier,",
        "    ObjectLike,",
        "    PeriodLike,",
        "    Progress,",
        "    TimeLike,",
        "    message_target,",
        "    renamed_param,",
        ")",
        "from .transport import TimeoutLike",
        "",
        '__all__ = ["API_VERSION", "METHODS", "MethodInfo", "Methods", "RENAMED_METHODS", "RENAMED_PARAMS"]',
        "",
        "",
        "class Methods:",
        '    """One method per Bot API method; ``Bot`` supplies ``_call``."""',
        "",
        "    %sdef _call(" % ("async " if asynchronous else ""),
        "        self,",
        "        method: str,",
        "        params: Dict[str, Any],",
        "        api_kwargs: Optional[Dict[str, Any]],",
        "        request_timeout: TimeoutLike,",
        "        %s: Optional[Progress] = None," % PROGRESS,
        "    ) -> Any:",
        "        raise NotImplementedError",
        "",
    ]
    carriers = file_carriers(facts["types"])
    for name, spec in facts["methods"].items():
        out += method_source(name, spec, asynchronous, can_upload(spec, carriers))
    out.append("    # the names the Bot API gave these methods before (see RENAMED_METHODS)")
    for old, new in RENAMED_METHODS.items():
        out.append("    %s = %s" % (old, new))
        out.append("    %s = %s" % (snake_case(old), new))
    return "\n".join(out) + "\n"


def converter(types: List[str], abstract: Dict[str, dict]) -> str:
    """The nested-conversion spec of a field: a type name, with [] per array level."""
    objects = [t for t in types if t not in SCALARS and t != "InputFile"]
    if len(objects) != 1 or len(types) != 1:
        return ""
    t, depth = objects[0], 0
    while t.startswith("Array of "):
        t, depth = t[len("Array of "):], depth + 1
    if t in SCALARS or t == "InputFile":
        return ""
    return t + "[]" * depth


def namedtuple_module(facts: dict) -> str:
    types = facts["types"]
    abstract = {n: t for n, t in types.items() if "subtypes" in t}
    out = [
        "# Generated by tools/generate.py from the Bot API %s facts; do not edit by hand." % facts["version"],
        '"""The Bot API object types as namedtuples.',
        "",
        "Build one from a received dict with ``Message(**msg)``: every field is present (None",
        "where absent), nested objects are converted too, ``from`` is exposed as ``from_`` and",
        "fields this version does not know are ignored (a nested object of a subtype it does not",
        "know, from a newer API, stays a dict). Build outgoing objects by keyword,",
        "``InlineKeyboardButton(text='Press me', callback_data='press')``; a discriminator",
        "field (``type``, ``status``, ``source``) is filled in for you. Abstract types such as",
        "``ChatMember(**d)`` return an instance of the subtype that ``d`` describes.",
        "",
        "Keywords: a field renamed by a later Bot API version may be given its old name",
        "(``thumb_url`` for ``thumbnail_url``). A keyword that names no field raises TypeError",
        "for a type that is only ever sent (``InlineQueryResultPhoto``, ``InputMediaVideo``,",
        "...), warns for one that is both sent and received (``InlineKeyboardButton``), and is",
        "ignored for one that is only received (newer fields of ``Message``). Nested dicts are",
        "converted too; in an object that is sent, a nested dict with a key its type lacks",
        "stays a dict, so nothing is dropped.",
        "",
        "``PhotoSizeArray(data)``, ``MessageEntityArray(data)``, ``PhotoSizeArrayArray(data)``",
        "and so on for every type: a list (of lists) of dicts converted in one call.",
        "",
        "This module is not imported by ``import telegrambot``: import it when you use it.",
        '"""',
        "",
        "from typing import Any as _Any",
        "",
        "from ._objects import array_helper, define, define_abstract",
        "",
    ]
    direction = directions(facts)
    for name, spec in types.items():
        if "subtypes" in spec:
            continue
        fields = spec.get("fields", [])
        names = " ".join(field_name(f["name"]) for f in fields)
        nested = {field_name(f["name"]): converter(f["types"], abstract) for f in fields}
        nested = {k: v for k, v in nested.items() if v}
        fixed = {field_name(f["name"]): f["value"] for f in fields if "value" in f}
        args = ['"%s"' % name, '"%s"' % names]
        if nested:
            args.append("{%s}" % ", ".join('"%s": "%s"' % kv for kv in nested.items()))
        if fixed:
            if not nested:
                args.append("{}")
            args.append("{%s}" % ", ".join('"%s": %s' % (k, repr(v)) for k, v in fixed.items()))
        if name in RENAMED_FIELDS:
            args.append("renamed=%s" % json.dumps(RENAMED_FIELDS[name]))
        if direction[name] != "in":
            args.append('direction="%s"' % direction[name])
        line = "%s = define(%s)" % (name, ", ".join(args))
        if len(line) <= 100:
            out.append(line)
        else:
            out.append("%s = define(" % name)
            out += ["    %s," % a for a in args]
            out.append(")")
    out.append("")
    for name, spec in abstract.items():
        out.append('%s = define_abstract("%s", "%s")' % (name, name, " ".join(spec["subtypes"])))
    out.append("")
    out.append("# the names the Bot API gave these types before")
    for old, new in RENAMED_TYPES.items():
        out.append("%s = %s" % (old, new))
    out += [
        "",
        "__all__ = [",
    ]
    out += ['    "%s",' % n for n in sorted(list(types) + list(RENAMED_TYPES))]
    out += [
        "]",
        "",
        "",
        "def __getattr__(name: str) -> _Any:",
        '    """``<Type>Array`` and ``<Type>ArrayArray``: list converters, made on first use."""',
        "    return array_helper(__name__, name)",
    ]
    return "\n".join(out) + "\n"


def check_progress_keyword(facts: dict) -> None:
    """The progress keyword must be no Bot API parameter's name."""
    taken = [m for m, spec in facts["methods"].items()
             if any(p["name"] == PROGRESS for p in spec["params"])]
    if taken:
        raise SystemExit("the Bot API now has a parameter %r (%s): rename PROGRESS in "
                         "tools/generate.py" % (PROGRESS, ", ".join(taken)))


def outputs(raw: str) -> Dict[str, str]:
    """What this script writes, from the facts file's text: {path under the repo: text}."""
    facts = json.loads(raw)
    check_renames(facts)
    check_progress_keyword(facts)
    return {
        "telegrambot/core/methods.py": method_table_module(facts),
        "telegrambot/_methods.py": methods_module(facts),
        "telegrambot/aio/_methods.py": methods_module(facts, asynchronous=True),
        "telegrambot/namedtuple.py": namedtuple_module(facts),
        "telegrambot/botapi.json": raw,
    }


def main(argv: List[str]) -> int:
    facts_path = argv[1] if len(argv) > 1 else DEFAULT_FACTS
    with open(facts_path, encoding="utf-8") as f:
        raw = f.read()
    for path, text in outputs(raw).items():
        with open(os.path.join(ROOT, path), "w", encoding="utf-8") as f:
            f.write(text)
        print("wrote", path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

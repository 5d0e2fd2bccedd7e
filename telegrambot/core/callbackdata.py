"""Arbitrary callback data: any object behind an inline button, a short id sent in its place.

Telegram takes a button's ``callback_data`` as a string of at most 64 bytes. With
``Bot(token, arbitrary_callback_data=True)`` a button's ``callback_data`` may be any
object: each outgoing inline keyboard that has callback buttons is given a random
*keyboard id*, its buttons' data are kept under it (a list, by button order), and each
button is sent with ``<keyboard id><index>`` as its data. Incoming, the id is looked up and
the object put back; data that cannot be found (evicted, from another bot, forged) becomes
an :class:`InvalidCallbackData`.

What is here, with no I/O (the runtimes keep the cache, its lock and its store):

- :func:`keyboard_params`: which parameters of a method can carry an inline keyboard,
  derived from the Bot API facts (``reply_markup`` of the send/edit methods, the
  ``results`` of answerInlineQuery, the ``result`` of answerWebAppQuery, ...);
- :func:`encode_call`: a call's keyboards with their data replaced by ids, and the
  ``(keyboard id, values)`` to keep;
- :func:`decode_update`, :func:`decode_result`: ids put back into an update (by a loop,
  just before the handler), or into a method's result (the message a send returns shows
  the objects it was given);
- :class:`Keyboards`: the least-recently-used table of keyboard ids to values.

https://core.telegram.org/bots/api#inlinekeyboardbutton
"""

import json
import secrets
from collections import OrderedDict
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

__all__ = [
    "DEFAULT_MAXSIZE", "InvalidCallbackData", "KEYBOARD_ID_LENGTH", "Keyboards",
    "decode_data", "decode_markup", "decode_result", "decode_update", "encode_call",
    "keyboard_params", "new_keyboard_id", "split_id",
]

#: Keyboards kept by ``arbitrary_callback_data=True``.
DEFAULT_MAXSIZE = 1024
#: Characters of a keyboard id (URL-safe base64 of 12 random bytes: 96 bits).
KEYBOARD_ID_LENGTH = 16
#: Telegram's limit on a button's callback_data, in bytes; an id takes at most 19.
MAX_CALLBACK_DATA = 64

Lookup = Callable[[str], Optional[Sequence[Any]]]


class InvalidCallbackData:
    """The ``data`` of a callback query (or the ``callback_data`` of a button in an incoming
    message) whose object the bot no longer has: the keyboard was evicted from the cache,
    sent before ``arbitrary_callback_data`` was on, or the data is not one of the bot's ids.
    ``data`` is the string Telegram sent. Answer the query (say the button expired) and,
    if you like, send a fresh keyboard."""

    __slots__ = ("data",)

    def __init__(self, data: Any) -> None:
        self.data = data

    def __repr__(self) -> str:
        return "InvalidCallbackData(%r)" % (self.data,)

    def __eq__(self, other: object) -> bool:
        return type(other) is InvalidCallbackData and other.data == self.data

    def __hash__(self) -> int:
        return hash((InvalidCallbackData, self.data))


def new_keyboard_id() -> str:
    """A random keyboard id of :data:`KEYBOARD_ID_LENGTH` URL-safe characters."""
    return secrets.token_urlsafe(12)


def split_id(data: Any) -> Optional[Tuple[str, int]]:
    """``(keyboard id, button index)`` of a button id, or None if ``data`` is not one."""
    if type(data) is not str or not KEYBOARD_ID_LENGTH < len(data) <= KEYBOARD_ID_LENGTH + 3:
        return None
    index = data[KEYBOARD_ID_LENGTH:]
    if not (index.isascii() and index.isdigit()) or (index[0] == "0" and index != "0"):
        return None
    return data[:KEYBOARD_ID_LENGTH], int(index)


# ---------------------------------------------------------------- the table


class Keyboards:
    """Keyboard id -> the values of its buttons, at most ``maxsize`` keyboards: the least
    recently used goes first. Not locked: the runtime guards it."""

    __slots__ = ("maxsize", "_items")

    def __init__(self, maxsize: int = DEFAULT_MAXSIZE) -> None:
        if type(maxsize) is not int or maxsize < 1:
            raise ValueError("the callback data cache's size must be an int of at least 1, "
                             "not %r" % (maxsize,))
        self.maxsize = maxsize
        self._items: OrderedDict[str, Sequence[Any]] = OrderedDict()

    def add(self, keyboard_id: str, values: Sequence[Any]) -> List[str]:
        """Keep ``values`` under ``keyboard_id`` (as the most recent); return the ids
        evicted to make room."""
        items = self._items
        items[keyboard_id] = values
        items.move_to_end(keyboard_id)
        evicted = []
        while len(items) > self.maxsize:
            evicted.append(items.popitem(last=False)[0])
        return evicted

    def get(self, keyboard_id: str) -> Optional[Sequence[Any]]:
        """The values kept under ``keyboard_id`` (now the most recently used), or None."""
        items = self._items
        values = items.get(keyboard_id)
        if values is not None:
            items.move_to_end(keyboard_id)
        return values

    def discard(self, keyboard_id: str) -> None:
        self._items.pop(keyboard_id, None)

    def clear(self) -> None:
        self._items.clear()

    def __contains__(self, keyboard_id: object) -> bool:
        return keyboard_id in self._items

    def __len__(self) -> int:
        return len(self._items)

    def ids(self) -> List[str]:
        """The keyboard ids, least recently used first."""
        return list(self._items)


# ---------------------------------------------------------------- which parameters

_params_memo: Dict[str, Tuple[str, ...]] = {}
_SCALARS = frozenset({"Integer", "String", "Boolean", "Float", "InputFile"})


def keyboard_params(method: str) -> Tuple[str, ...]:
    """The parameters of ``method`` whose value can hold an inline keyboard (empty for a
    method that takes none, or one newer than this library)."""
    if not _params_memo:
        _params_memo.update(_derive())
    return _params_memo.get(method, ())


def _derive() -> Dict[str, Tuple[str, ...]]:
    """From the packaged Bot API facts: method -> its parameters that can carry an
    InlineKeyboardMarkup (directly or inside an object). The facts are read once and
    dropped; the result is a few dozen entries."""
    from importlib import resources

    facts = json.loads(resources.files("telegrambot").joinpath("botapi.json").read_text("utf-8"))
    methods, types = facts["methods"], facts["types"]

    def names(expressions: Sequence[str]) -> List[str]:
        out = []
        for expression in expressions:
            while expression.startswith("Array of "):
                expression = expression[len("Array of "):]
            if expression not in _SCALARS and expression in types:
                out.append(expression)
        return out

    reaches: Dict[str, bool] = {}

    def carries(name: str) -> bool:
        if name == "InlineKeyboardMarkup":
            return True
        if name in reaches:
            return reaches[name]
        reaches[name] = False  # a type nested in itself: not through that way
        info = types[name]
        inner = list(info.get("subtypes", ()))
        for field in info.get("fields", ()):
            inner.extend(names(field["types"]))
        reaches[name] = any(carries(n) for n in inner if n in types)
        return reaches[name]

    table: Dict[str, Tuple[str, ...]] = {}
    for method, info in methods.items():
        found = tuple(p["name"] for p in info["params"] if any(carries(n) for n in names(p["types"])))
        if found:
            table[method] = found
    table.setdefault("", ())  # marks the table as derived even if the facts had nothing
    return table


# ---------------------------------------------------------------- outgoing


def _field(obj: Any, name: str) -> Any:
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None) if hasattr(obj, "_fields") else None


def _with(obj: Any, name: str, value: Any) -> Any:
    """A copy of ``obj`` (a dict or a telegrambot.namedtuple object) with ``name`` set."""
    if isinstance(obj, dict):
        new = dict(obj)
        new[name] = value
        return new
    return obj._replace(**{name: value})


def _encode_markup(markup: Any, new_id: Callable[[], str], kept: List[Tuple[str, list]]) -> Any:
    rows = _field(markup, "inline_keyboard")
    if not isinstance(rows, (list, tuple)):
        return markup  # a reply keyboard, a markup as JSON text, nothing to do
    keyboard_id = None
    values: list = []
    new_rows = []
    for row in rows:
        if not isinstance(row, (list, tuple)):
            new_rows.append(row)
            continue
        new_row = []
        for button in row:
            data = _field(button, "callback_data")
            if data is None:
                new_row.append(button)
                continue
            if keyboard_id is None:
                keyboard_id = new_id()
            new_row.append(_with(button, "callback_data", keyboard_id + str(len(values))))
            values.append(data)
        new_rows.append(new_row)
    if keyboard_id is None:
        return markup
    kept.append((keyboard_id, values))
    return _with(markup, "inline_keyboard", new_rows)


def _encode_value(value: Any, new_id: Callable[[], str], kept: List[Tuple[str, list]]) -> Any:
    """``value`` (a markup, an object with a ``reply_markup``, or a list of those) with
    its keyboards encoded; the same object if nothing changed."""
    if isinstance(value, (list, tuple)) and not hasattr(value, "_fields"):
        items = [_encode_value(v, new_id, kept) for v in value]
        return value if all(a is b for a, b in zip(items, value)) else items
    if _field(value, "inline_keyboard") is not None:
        return _encode_markup(value, new_id, kept)
    markup = _field(value, "reply_markup")
    if markup is not None:
        new = _encode_markup(markup, new_id, kept)
        if new is not markup:
            return _with(value, "reply_markup", new)
    return value


def encode_call(method: str, params: Dict[str, Any],
                new_id: Callable[[], str] = new_keyboard_id) -> List[Tuple[str, list]]:
    """Replace, in ``params`` (a call's own dict), the callback data of every inline
    keyboard the call carries with button ids; return ``(keyboard id, values)`` for each
    keyboard to keep. The caller's objects are not changed (a changed markup is a copy)."""
    kept: List[Tuple[str, list]] = []
    for name in keyboard_params(method):
        value = params.get(name)
        if value is not None:
            params[name] = _encode_value(value, new_id, kept)
    return kept


# ---------------------------------------------------------------- incoming
#
# Decoding never changes what it is given: an object with something decoded is a copy
# (along the path to the change only), so an update a store keeps, or hands back again,
# stays the JSON that came.


def decode_data(data: Any, lookup: Lookup) -> Any:
    """The object behind a button id, or :class:`InvalidCallbackData`. Anything but a
    string (data decoded already) is returned as it is."""
    if type(data) is not str:
        return data
    parts = split_id(data)
    if parts is not None:
        values = lookup(parts[0])
        if values is not None and parts[1] < len(values):
            return values[parts[1]]
    return InvalidCallbackData(data)


def decode_markup(message: Dict[str, Any], lookup: Lookup) -> Dict[str, Any]:
    """``message`` with the objects put back into the callback buttons of its inline
    keyboard (a copy), or ``message`` itself if it has none."""
    markup = message.get("reply_markup")
    if not isinstance(markup, dict):
        return message
    rows = markup.get("inline_keyboard")
    if not isinstance(rows, list):
        return message
    new_rows = []
    changed = False
    for row in rows:
        if isinstance(row, list):
            new_row = []
            for button in row:
                if isinstance(button, dict) and "callback_data" in button:
                    button = dict(button, callback_data=decode_data(button["callback_data"], lookup))
                    changed = True
                new_row.append(button)
            row = new_row
        new_rows.append(row)
    if not changed:
        return message
    return dict(message, reply_markup=dict(markup, inline_keyboard=new_rows))


def decode_update(update: Any, lookup: Lookup) -> Any:
    """``update`` with the objects put back (a copy): the ``data`` of a callback query,
    the buttons of its message, and the buttons of any message the update carries; the
    update itself if there is nothing to decode. Anything of another shape is left as it
    is (never raises on a broken update)."""
    if not isinstance(update, dict):
        return update
    changes: Dict[str, Any] = {}
    for key, obj in update.items():
        if not isinstance(obj, dict):
            continue
        if key == "callback_query":
            new = obj
            if "data" in obj:
                new = dict(obj, data=decode_data(obj["data"], lookup))
            message = obj.get("message")
            if isinstance(message, dict) and "reply_markup" in message:
                decoded = decode_markup(message, lookup)
                if decoded is not message:
                    new = dict(new, message=decoded)
            if new is not obj:
                changes[key] = new
        elif "reply_markup" in obj:
            decoded = decode_markup(obj, lookup)
            if decoded is not obj:
                changes[key] = decoded
    return dict(update, **changes) if changes else update


def decode_result(method: str, result: Any, lookup: Lookup) -> Any:
    """``result`` with the objects put back into the message (or messages) a call
    returns. getUpdates' updates are left as they came: a loop decodes each one just
    before its handler (:func:`decode_update`), after a store may have kept it."""
    if method == "getUpdates":
        return result
    if isinstance(result, dict):
        return decode_markup(result, lookup) if "reply_markup" in result else result
    if isinstance(result, list):
        return [decode_markup(item, lookup) if isinstance(item, dict) and "reply_markup" in item
                else item for item in result]
    return result

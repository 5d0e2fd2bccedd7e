"""What the emulator refuses, as Telegram refuses it: :class:`Rules`.

Every rule is on by default (``Emulator()`` or ``Emulator(strict=True)``); turn them all
off with ``Emulator(strict=False)``, or some of them with
``Emulator(strict=Rules(flood=False))``. ``emu.rules`` can be changed while the emulator
runs. The rules, each with the status and description Telegram answers (the table in
"Testing your bot" gives the Bot API fact each mirrors):

- ``text``: a text over 4096 characters after entity parsing (400 ``Bad Request: message
  is too long``), an empty or blank one (400 ``Bad Request: message text is empty``);
- ``caption``: a caption over 1024 characters after entity parsing (400 ``Bad Request:
  message caption is too long``);
- ``callback_data``: over 64 bytes (400 ``Bad Request: BUTTON_DATA_INVALID``; an empty one
  counts as none);
- ``keyboards``: a ``reply_markup`` not of the documented shapes (400, in Telegram's words,
  such as ``Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup must be an
  Array of Arrays``), an inline button without an action (``Bad Request: can't parse inline
  keyboard button: Text buttons are unallowed in the inline keyboard``) or with several (the
  documentation asks for exactly one; Telegram's server takes the first it knows, so this
  description is the emulator's own);
- ``entities``: malformed ``parse_mode`` markup (400 ``Bad Request: can't parse entities:
  ...``);
- ``files``: an upload over 50 MB (413 ``Request Entity Too Large``), getFile of a file over
  20 MB (400 ``Bad Request: file is too big``);
- ``media_group``: sendMediaGroup with no item (400 ``Bad Request: there are no messages to
  send``) or over 10 (400 ``Bad Request: too many messages to send as an album``); one item
  is sent as a single message, as Telegram's server does;
- ``buttons``: ``user.press(message, data)`` on a message without that button raises
  AssertionError (a user can only press a button she sees);
- ``flood``: messages over the flood limits (429 ``Too Many Requests: retry after N`` with
  ``parameters.retry_after``), see :mod:`telegrambot.core.limits`.

Lengths count characters (Unicode code points) of the text as it is once ``parse_mode``
markup became entities. Whatever the rules, a number or a boolean sent for a text
parameter (``"text": 42``) is read as its text (``"42"``), as Telegram reads it.
"""

import json
from dataclasses import dataclass
from typing import Any, Optional, Union

from ..core.limits import DEFAULT_LIMITS, FloodLimits

__all__ = ["Rules", "keyboard_error", "MAX_TEXT", "MAX_CAPTION", "MAX_CALLBACK_DATA",
           "MAX_UPLOAD", "MAX_UPLOAD_LOCAL", "MAX_DOWNLOAD", "MAX_MEDIA_GROUP"]

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64  # bytes
MAX_UPLOAD = 50 * 1024 * 1024
MAX_UPLOAD_LOCAL = 2000 * 1024 * 1024  # a local Bot API server (--local)
MAX_DOWNLOAD = 20 * 1024 * 1024
MAX_MEDIA_GROUP = 10

# InlineKeyboardButton fields that say what the button does ("exactly one" of them)
_INLINE_ACTIONS = ("url", "callback_data", "web_app", "login_url", "switch_inline_query",
                   "switch_inline_query_current_chat", "switch_inline_query_chosen_chat",
                   "copy_text", "callback_game", "pay")


@dataclass
class Rules:
    """Which of Telegram's refusals the emulator applies (all by default); see the module."""

    text: bool = True
    caption: bool = True
    callback_data: bool = True
    keyboards: bool = True
    entities: bool = True
    files: bool = True
    media_group: bool = True
    buttons: bool = True
    #: True for Telegram's limits, a FloodLimits of other limits, False for none.
    flood: Union[bool, FloodLimits] = True

    @classmethod
    def none(cls) -> "Rules":
        """Every rule off: the emulator accepts what it can store."""
        return cls(text=False, caption=False, callback_data=False, keyboards=False,
                   entities=False, files=False, media_group=False, buttons=False, flood=False)

    @property
    def flood_limits(self) -> Optional[FloodLimits]:
        """The flood limits in force, or None."""
        if self.flood is True:
            return DEFAULT_LIMITS
        return self.flood or None


def keyboard_error(markup: Any, callback_data: bool = True, shapes: bool = True) -> Optional[str]:
    """What Telegram says about a ``reply_markup`` value it refuses (after "Bad Request: "),
    or None if it accepts it. ``shapes`` and ``callback_data`` select the checks."""
    if isinstance(markup, str):
        try:
            markup = json.loads(markup)
        except ValueError:
            return "can't parse reply keyboard markup JSON object" if shapes else None
    if not isinstance(markup, dict):
        return "object expected as reply markup" if shapes else None
    if shapes and "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list):
            return 'field "keyboard" of the ReplyKeyboardMarkup must be an Array'
        for row in rows:
            if not isinstance(row, list):
                return 'field "keyboard" of the ReplyKeyboardMarkup must be an Array of Arrays'
            for button in row:
                problem = _keyboard_button(button)
                if problem:
                    return "can't parse keyboard button: " + problem
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list):
            return ('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array'
                    if shapes else None)
        for row in rows:
            if not isinstance(row, list):
                if shapes:
                    return ('field "inline_keyboard" of the InlineKeyboardMarkup must be an '
                            "Array of Arrays")
                continue
            for button in row:
                problem = _inline_button(button, callback_data, shapes)
                if problem:
                    return problem
    return None


def _keyboard_button(button: Any) -> Optional[str]:
    if isinstance(button, str):
        return None
    if not isinstance(button, dict):
        return "KeyboardButton must be a String or an Object"
    return _text_field(button)


def _text_field(button: dict) -> Optional[str]:
    if "text" not in button:
        return "Can't find field \"text\""
    if not isinstance(button["text"], (str, int, float)) or isinstance(button["text"], bool):
        return 'Field "text" must be of type String'
    return None


def _inline_button(button: Any, callback_data: bool, shapes: bool) -> Optional[str]:
    prefix = "can't parse inline keyboard button: "
    if not isinstance(button, dict):
        return prefix + "InlineKeyboardButton must be an Object" if shapes else None
    if shapes:
        problem = _text_field(button)
        if problem:
            return prefix + problem
    data = button.get("callback_data")
    if callback_data and isinstance(data, str) and len(data.encode("utf-8")) > MAX_CALLBACK_DATA:
        return "BUTTON_DATA_INVALID"
    if not shapes:
        return None
    actions = [name for name in _INLINE_ACTIONS
               if name in button and button[name] is not None
               and not (name in ("url", "callback_data") and button[name] == "")]
    if not actions and "disabled" not in button:
        return prefix + "Text buttons are unallowed in the inline keyboard"
    if len(actions) > 1:
        return prefix + "exactly one of the fields %s must be used, not %s" % (
            ", ".join(_INLINE_ACTIONS), " and ".join(actions))
    return None

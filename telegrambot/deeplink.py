"""Deep links: ``t.me`` links that open the bot with a payload, and reading the payload back.

A user who opens ``https://t.me/<bot>?start=<payload>`` and presses Start sends the bot
``/start <payload>``; ``?startgroup=<payload>`` first asks her to pick a group to add the
bot to, and the payload then arrives with ``/start`` in that group. A start payload has at
most 64 characters, each one of ``A-Z a-z 0-9 _ -``: :func:`encode_payload` fits any
bytes (up to 48) into that alphabet. ``?startapp=<parameter>`` opens the bot's Mini App
(or a named one) with the parameter as ``start_param`` of its init data (up to 512
characters of the same alphabet).

https://core.telegram.org/bots/features#deep-linking

::

    link = deep_link("my_bot", "ref-42")           # https://t.me/my_bot?start=ref-42
    ...
    payload = start_payload(msg)                    # "ref-42" for "/start ref-42"
"""

import base64
import binascii
import re
from typing import Any, Dict, Optional, Union

__all__ = [
    "MAX_PAYLOAD_LENGTH",
    "MAX_APP_PARAMETER_LENGTH",
    "deep_link",
    "mini_app_link",
    "start_payload",
    "is_valid_payload",
    "encode_payload",
    "decode_payload",
]

#: Longest ``start`` / ``startgroup`` payload Telegram accepts.
MAX_PAYLOAD_LENGTH = 64
#: Longest ``startapp`` parameter Telegram accepts.
MAX_APP_PARAMETER_LENGTH = 512

_ALPHABET = re.compile(r"[A-Za-z0-9_-]*")
_USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,31}")
_APP_NAME = re.compile(r"[A-Za-z0-9_]{1,64}")
_START = re.compile(r"/start(?:@([A-Za-z0-9_]+))?(?:\s+(.*))?", re.S)


def is_valid_payload(payload: str, max_length: int = MAX_PAYLOAD_LENGTH) -> bool:
    """Whether ``payload`` can go into a deep link: at most ``max_length`` characters, each
    of ``A-Z a-z 0-9 _ -``."""
    return isinstance(payload, str) and len(payload) <= max_length and bool(_ALPHABET.fullmatch(payload))


def _check_payload(payload: str, max_length: int, what: str) -> None:
    if not isinstance(payload, str):
        raise TypeError("%s must be a str, not %s" % (what, type(payload).__name__))
    if len(payload) > max_length:
        raise ValueError(
            "%s has %d characters; Telegram takes at most %d (encode_payload() packs up to %d "
            "bytes)" % (what, len(payload), max_length, max_length * 3 // 4)
        )
    bad = sorted(set(_ALPHABET.sub("", payload)))
    if bad:
        raise ValueError(
            "%s may hold only A-Z, a-z, 0-9, '_' and '-', not %s; encode_payload() turns "
            "anything into that alphabet" % (what, ", ".join(repr(c) for c in bad))
        )


def _check_username(bot_username: str) -> str:
    if not isinstance(bot_username, str):
        raise TypeError("bot_username must be a str, not %s" % type(bot_username).__name__)
    name = bot_username[1:] if bot_username.startswith("@") else bot_username
    if not _USERNAME.fullmatch(name):
        raise ValueError("%r is not a bot username (5-32 characters: letters, digits, '_')" % bot_username)
    return name


def deep_link(bot_username: str, payload: Optional[str] = None, *, group: bool = False) -> str:
    """``https://t.me/<bot>?start=<payload>`` (``?startgroup=`` with ``group=True``).

    ``bot_username`` with or without its ``@``; ``payload`` at most 64 characters of
    ``A-Z a-z 0-9 _ -`` (ValueError otherwise). Without a payload: the bot's plain link
    (``?startgroup`` alone with ``group=True``).
    """
    name = _check_username(bot_username)
    key = "startgroup" if group else "start"
    if payload is None:
        return "https://t.me/%s?%s" % (name, key) if group else "https://t.me/%s" % name
    _check_payload(payload, MAX_PAYLOAD_LENGTH, "payload")
    return "https://t.me/%s?%s=%s" % (name, key, payload)


def mini_app_link(bot_username: str, start_param: Optional[str] = None, *,
                  app_name: Optional[str] = None) -> str:
    """A link that opens the bot's main Mini App, or its Mini App ``app_name``:
    ``https://t.me/<bot>?startapp=<start_param>`` or ``https://t.me/<bot>/<app>?startapp=...``.

    ``start_param`` (at most 512 characters of ``A-Z a-z 0-9 _ -``) reaches the Mini App as
    ``start_param`` in its init data (:func:`telegrambot.webapp.validate_init_data`).

    https://core.telegram.org/bots/webapps#direct-link-mini-apps
    """
    name = _check_username(bot_username)
    base = "https://t.me/%s" % name
    if app_name is not None:
        if not isinstance(app_name, str) or not _APP_NAME.fullmatch(app_name):
            raise ValueError("app_name must be the Mini App's short name (letters, digits, '_')")
        base += "/" + app_name
    if start_param is None:
        return base if app_name is not None else base + "?startapp"
    _check_payload(start_param, MAX_APP_PARAMETER_LENGTH, "start_param")
    return "%s?startapp=%s" % (base, start_param)


def start_payload(msg: Union[Dict[str, Any], str], bot_username: Optional[str] = None) -> Optional[str]:
    """The payload of a ``/start`` message (a message dict or its text): ``"abc"`` for
    ``/start abc``, ``""`` for a bare ``/start``, None for any other message.

    ``/start@<bot> abc`` (as sent in groups) counts when ``bot_username`` is that bot or
    not given. The payload is returned as sent; it is checked by nobody, so treat it as
    untrusted input.
    """
    text = msg.get("text") if isinstance(msg, dict) else msg
    if not isinstance(text, str):
        return None
    match = _START.fullmatch(text.strip())
    if match is None:
        return None
    addressed = match.group(1)
    if addressed and bot_username and addressed.lower() != bot_username.lstrip("@").lower():
        return None
    return (match.group(2) or "").strip()


def encode_payload(data: Union[bytes, str]) -> str:
    """``data`` (bytes, or text encoded as UTF-8) as a deep-link payload: base64url
    without padding. At most 48 bytes fit in the 64 characters of a payload."""
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if len(raw) > MAX_PAYLOAD_LENGTH * 3 // 4:
        raise ValueError(
            "%d bytes do not fit in a deep-link payload: at most %d do once encoded "
            "(store the data and put a short key in the link instead)"
            % (len(raw), MAX_PAYLOAD_LENGTH * 3 // 4)
        )
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_payload(payload: str) -> bytes:
    """The bytes that :func:`encode_payload` encoded (``.decode()`` them for text).

    ValueError when ``payload`` is not base64url: a payload typed or altered by hand.
    """
    if not isinstance(payload, str) or not _ALPHABET.fullmatch(payload) or len(payload) % 4 == 1:
        raise ValueError("not a payload made by encode_payload(): %r" % (payload,))
    try:
        return base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("not a payload made by encode_payload(): %r" % (payload,)) from None

"""Web Apps (Mini Apps): checking the init data a Web App hands its own server.

A Web App opened from the bot gets ``Telegram.WebApp.initData``, a query string saying who
opened it (``user``, ``chat``, ``start_param``, ...) and when (``auth_date``). Anyone can
send your server such a string, so check it first:

* :func:`validate_init_data` checks its ``hash``, an HMAC-SHA-256 keyed with the bot's
  token (only the bot's owner can make one);
* :func:`validate_init_data_signature` checks its ``signature``, made with Telegram's
  Ed25519 key: a third party can check it knowing only the bot's id (needs the
  ``cryptography`` package, the ``passport`` extra).

Both return the fields as a dict, with ``user``, ``receiver`` and ``chat`` JSON-decoded
and ``auth_date`` (and ``can_send_after``) as ints, or raise :class:`InvalidInitData`.
Data sent back to the bot from a keyboard button (``Telegram.WebApp.sendData``) arrives
instead as a message with ``web_app_data``; Telegram itself delivers it, so it needs no
check.

https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app
"""

import base64
import binascii
import hashlib
import hmac
import json
import time
from typing import Any, Dict, List, Optional, Tuple, Union
from urllib.parse import parse_qsl

from .exception import TelegramBotException

__all__ = [
    "InvalidInitData",
    "validate_init_data",
    "validate_init_data_signature",
    "data_check_string",
    "TELEGRAM_PUBLIC_KEY",
    "TELEGRAM_TEST_PUBLIC_KEY",
]

#: Telegram's Ed25519 public key (hex) for init data signatures, production environment.
TELEGRAM_PUBLIC_KEY = "e7bf03a2fa4602af4580703d88dda5bb59f32ed8b02a56c187fe7d34caed242d"
#: The same for Telegram's test environment.
TELEGRAM_TEST_PUBLIC_KEY = "40055058a4ee38156a06562e52eece92a771bcd8346a8c4615cb7376eddf72ec"

#: Init data longer than this (characters) is refused unread: real init data is a few KB.
MAX_INIT_DATA_LENGTH = 64 * 1024
_MAX_FIELDS = 64
_JSON_FIELDS = ("user", "receiver", "chat")
_INT_FIELDS = ("auth_date", "can_send_after")


class InvalidInitData(TelegramBotException, ValueError):
    """Web App init data that cannot be trusted: malformed, with a wrong or missing hash or
    signature, or older than allowed."""


def _pairs(init_data: Union[str, bytes]) -> List[Tuple[str, str]]:
    if isinstance(init_data, bytes):
        try:
            init_data = init_data.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInitData("init data is not UTF-8 text") from None
    if not isinstance(init_data, str):
        raise TypeError("init_data must be the query string (str), not %s" % type(init_data).__name__)
    if len(init_data) > MAX_INIT_DATA_LENGTH:
        raise InvalidInitData("init data is %d characters long, more than the %d allowed"
                              % (len(init_data), MAX_INIT_DATA_LENGTH))
    if not init_data:
        return []  # parse_qsl's strict parsing refuses "" before Python 3.10, accepts it after
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True,
                          max_num_fields=_MAX_FIELDS, errors="strict")
    except (ValueError, UnicodeDecodeError):
        raise InvalidInitData("init data is not a query string of key=value pairs") from None
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise InvalidInitData("init data repeats a field")
    return pairs


def data_check_string(pairs: List[Tuple[str, str]], exclude: Tuple[str, ...] = ("hash",)) -> str:
    """The fields as Telegram signs them: ``key=value`` lines sorted by key, without the
    fields in ``exclude``."""
    return "\n".join("%s=%s" % kv for kv in sorted(p for p in pairs if p[0] not in exclude))


def _fields(pairs: List[Tuple[str, str]], max_age: Optional[float], now: Optional[float]) -> Dict[str, Any]:
    fields: Dict[str, Any] = dict(pairs)
    for key in _INT_FIELDS:
        if key in fields:
            try:
                fields[key] = int(fields[key])
            except ValueError:
                raise InvalidInitData("init data field %s is not a number" % key) from None
    for key in _JSON_FIELDS:
        if key in fields:
            try:
                fields[key] = json.loads(fields[key])
            except ValueError:
                raise InvalidInitData("init data field %s is not JSON" % key) from None
    if max_age is not None:
        auth_date = fields.get("auth_date")
        if auth_date is None:
            raise InvalidInitData("init data has no auth_date, so its age is unknown "
                                  "(pass max_age=None to accept it anyway)")
        age = (time.time() if now is None else now) - auth_date
        if age > max_age:
            raise InvalidInitData("init data is %d seconds old, older than max_age=%s"
                                  % (age, max_age))
    return fields


def validate_init_data(init_data: Union[str, bytes], token: str, *,
                       max_age: Optional[float] = 86400, now: Optional[float] = None) -> Dict[str, Any]:
    """Check Web App init data with the bot's token and return its fields.

    The ``hash`` field must be the hex HMAC-SHA-256 of the other fields' data-check-string
    (:func:`data_check_string`), keyed with HMAC-SHA-256 of ``token`` under the key
    ``"WebAppData"``. ``auth_date`` must be at most ``max_age`` seconds before ``now``
    (default: the current time; ``max_age=None`` skips the check). Raises
    :class:`InvalidInitData` otherwise; the token never appears in its message.

    https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app
    """
    if not isinstance(token, str) or not token:
        raise TypeError("token must be the bot's token (a non-empty str)")
    pairs = _pairs(init_data)
    given = dict(pairs).get("hash")
    if not given:
        raise InvalidInitData("init data has no hash")
    secret = hmac.new(b"WebAppData", token.encode("utf-8"), hashlib.sha256).digest()
    expected = hmac.new(secret, data_check_string(pairs).encode("utf-8"), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode("ascii"), given.lower().encode("utf-8")):
        raise InvalidInitData("init data hash does not match: not made for this bot, or altered")
    return _fields(pairs, max_age, now)


def _public_key(key: Any, test_environment: bool) -> Any:
    try:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    except ImportError:
        raise ImportError("checking an init data signature needs the cryptography package: "
                          "pip install 'telegrambot[passport]'") from None
    if key is None:
        key = TELEGRAM_TEST_PUBLIC_KEY if test_environment else TELEGRAM_PUBLIC_KEY
    if isinstance(key, Ed25519PublicKey):
        return key
    if isinstance(key, str):
        try:
            key = bytes.fromhex(key)
        except ValueError:
            raise ValueError("public_key must be 64 hex digits, 32 bytes or an Ed25519PublicKey") from None
    if not isinstance(key, (bytes, bytearray)) or len(key) != 32:
        raise ValueError("public_key must be 64 hex digits, 32 bytes or an Ed25519PublicKey")
    return Ed25519PublicKey.from_public_bytes(bytes(key))


def validate_init_data_signature(init_data: Union[str, bytes], bot_id: int, *,
                                 max_age: Optional[float] = 86400,
                                 test_environment: bool = False,
                                 public_key: Any = None,
                                 now: Optional[float] = None) -> Dict[str, Any]:
    """Check the Ed25519 ``signature`` of Web App init data and return its fields.

    The signed text is ``"<bot_id>:WebAppData\\n"`` followed by the data-check-string of
    the fields other than ``hash`` and ``signature``; the signature is base64url. It is
    checked with Telegram's published key (:data:`TELEGRAM_PUBLIC_KEY`, or
    :data:`TELEGRAM_TEST_PUBLIC_KEY` with ``test_environment=True``), or with
    ``public_key`` (hex, 32 bytes or an ``Ed25519PublicKey``; for tests). No token is
    needed, so a third party can check data meant for someone else's bot. ``max_age`` and
    ``now`` as in :func:`validate_init_data`. Needs the ``cryptography`` package.

    https://core.telegram.org/bots/webapps#validating-data-for-third-party-use
    """
    if isinstance(bot_id, bool) or not isinstance(bot_id, int):
        raise TypeError("bot_id must be the bot's numeric id (the digits before ':' in its token)")
    key = _public_key(public_key, test_environment)
    pairs = _pairs(init_data)
    given = dict(pairs).get("signature")
    if not given:
        raise InvalidInitData("init data has no signature")
    try:
        signature = base64.urlsafe_b64decode(given + "=" * (-len(given) % 4))
    except (binascii.Error, ValueError):
        raise InvalidInitData("init data signature is not base64url") from None
    message = "%d:WebAppData\n%s" % (bot_id, data_check_string(pairs, ("hash", "signature")))
    from cryptography.exceptions import InvalidSignature

    try:
        key.verify(signature, message.encode("utf-8"))
    except InvalidSignature:
        raise InvalidInitData("init data signature does not match: not signed by Telegram for "
                              "bot %d, or altered" % bot_id) from None
    return _fields(pairs, max_age, now)

"""Telegram Passport: decrypting the personal data and documents a user shares with the bot.

The user's Telegram app encrypts what she shares for the bot's RSA public key (set with
@BotFather's /setpublickey); the bot receives a message with ``passport_data``.
:func:`decrypt` turns that into plain data with the bot's private key; the documents'
files are downloaded as usual and decrypted with :func:`decrypt_file` (or
:func:`download_file` does both)::

    from telegrambot import passport

    key = passport.load_private_key(open("private.key", "rb").read())

    def handle(msg):
        if "passport_data" in msg:
            shared = passport.decrypt(msg["passport_data"], key)
            if shared["credentials"]["nonce"] != expected_nonce:
                return                                # not an answer to our request
            for element in shared["data"]:
                if element["type"] == "personal_details":
                    print(element["data"]["first_name"])
                for scan in element.get("files", []):
                    jpeg = passport.download_file(bot, scan)

Needs the ``cryptography`` package: ``pip install 'telegrambot[passport]'``.

https://core.telegram.org/passport#decrypting-data
"""

import base64
import binascii
import hashlib
import hmac
import io
import json
from typing import Any, Dict, List, Mapping, Sequence, Union
from urllib.parse import urlencode

from .exception import TelegramBotException

__all__ = [
    "PassportError",
    "decrypt",
    "decrypt_credentials",
    "decrypt_file",
    "download_file",
    "load_private_key",
    "request_link",
    "FILE_FIELDS",
    "FILE_LIST_FIELDS",
]

#: Fields of an EncryptedPassportElement holding one PassportFile.
FILE_FIELDS = ("front_side", "reverse_side", "selfie")
#: Fields holding an array of PassportFile.
FILE_LIST_FIELDS = ("files", "translation")

KeyLike = Union[bytes, str, Any]  # PEM text, or a cryptography RSAPrivateKey


class PassportError(TelegramBotException, ValueError):
    """Passport data that cannot be decrypted: a wrong key, a wrong hash, altered data, or
    credentials that do not fit the data.

    ``element`` names what failed: ``"credentials"``, an element type such as
    ``"passport"`` (with the field, as in ``"passport.front_side"``), or ``"file"``.
    """

    def __init__(self, element: str, reason: str) -> None:
        super().__init__("%s: %s" % (element, reason))
        self.element = element
        self.reason = reason


def _crypto() -> Any:
    try:
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    except ImportError:
        raise ImportError("Telegram Passport needs the cryptography package: "
                          "pip install 'telegrambot[passport]'") from None
    return Cipher, algorithms, modes


def load_private_key(pem: Union[bytes, bytearray, str], password: Union[bytes, str, None] = None) -> Any:
    """The bot's RSA private key from its PEM text (``password`` if the PEM is encrypted).

    Load it once and pass the result to :func:`decrypt`: parsing a key costs more than
    decrypting a message.
    """
    _crypto()
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    if isinstance(pem, str):
        pem = pem.encode("ascii", "replace")
    if isinstance(password, str):
        password = password.encode("utf-8")
    if not isinstance(pem, (bytes, bytearray)):
        raise TypeError("private_key must be PEM text (bytes or str) or a loaded RSA private key")
    try:
        key = serialization.load_pem_private_key(bytes(pem), password=password)
    except TypeError:
        raise ValueError("the private key is encrypted: give its password" if password is None
                         else "the private key is not encrypted: give no password") from None
    except ValueError:
        raise ValueError("private_key is not a PEM private key, or its password is wrong") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("Telegram Passport needs an RSA private key, not %s" % type(key).__name__)
    return key


def _key(private_key: KeyLike, password: Union[bytes, str, None]) -> Any:
    if isinstance(private_key, (bytes, bytearray, str)):
        return load_private_key(private_key, password)
    _crypto()
    from cryptography.hazmat.primitives.asymmetric import rsa

    if not isinstance(private_key, rsa.RSAPrivateKey):
        raise TypeError("private_key must be PEM text (bytes or str) or a loaded RSA private key")
    return private_key


def _b64(value: Any, element: str, what: str) -> bytes:
    if not isinstance(value, str):
        raise PassportError(element, "%s is missing or not a string" % what)
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise PassportError(element, "%s is not base64" % what) from None


def _decrypt(ciphertext: bytes, secret: bytes, data_hash: bytes, element: str) -> bytes:
    """AES-256-CBC with key and IV from SHA-512(secret + hash); the hash checked, the
    padding removed."""
    if len(data_hash) != 32:
        raise PassportError(element, "the hash is %d bytes, not a SHA-256 hash" % len(data_hash))
    if not ciphertext or len(ciphertext) % 16:
        raise PassportError(element, "%d bytes of encrypted data, not whole AES blocks: "
                                     "truncated or altered" % len(ciphertext))
    Cipher, algorithms, modes = _crypto()
    digest = hashlib.sha512(secret + data_hash).digest()
    decryptor = Cipher(algorithms.AES(digest[:32]), modes.CBC(digest[32:48])).decryptor()
    padded = decryptor.update(ciphertext) + decryptor.finalize()
    if not hmac.compare_digest(hashlib.sha256(padded).digest(), data_hash):
        raise PassportError(element, "the data does not match its hash: wrong secret, or the "
                                     "data or its credentials were altered")
    padding = padded[0]
    if padding < 32 or padding > len(padded):
        raise PassportError(element, "bad padding length %d (it must be 32 to 255 bytes)" % padding)
    return padded[padding:]


def _json(plain: bytes, element: str) -> Any:
    try:
        return json.loads(plain.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise PassportError(element, "the decrypted data is not JSON") from None


def decrypt_credentials(credentials: Mapping[str, Any], private_key: KeyLike,
                        password: Union[bytes, str, None] = None) -> Dict[str, Any]:
    """The Credentials (``secure_data`` and ``nonce``) inside an EncryptedCredentials.

    The secret is decrypted with the private key (RSA-OAEP), then the data with it.

    https://core.telegram.org/passport#credentials
    """
    key = _key(private_key, password)
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    if not isinstance(credentials, Mapping):
        raise PassportError("credentials", "not an EncryptedCredentials object")
    encrypted_secret = _b64(credentials.get("secret"), "credentials", "secret")
    data_hash = _b64(credentials.get("hash"), "credentials", "hash")
    data = _b64(credentials.get("data"), "credentials", "data")
    try:
        secret = key.decrypt(encrypted_secret, padding.OAEP(
            mgf=padding.MGF1(algorithm=hashes.SHA1()), algorithm=hashes.SHA1(), label=None))
    except ValueError:
        raise PassportError("credentials", "the secret cannot be decrypted with this private key "
                                           "(is its public key the one set with @BotFather?)") from None
    decoded = _json(_decrypt(data, secret, data_hash, "credentials"), "credentials")
    if not isinstance(decoded, dict) or not isinstance(decoded.get("secure_data"), dict):
        raise PassportError("credentials", "the decrypted credentials have no secure_data")
    return decoded


def _file_credentials(value: Any, element: str) -> Dict[str, Any]:
    if not isinstance(value, Mapping):
        raise PassportError(element, "no file credentials for this file")
    if len(_b64(value.get("file_hash"), element, "file_hash")) != 32:
        raise PassportError(element, "file_hash is not a SHA-256 hash")
    _b64(value.get("secret"), element, "secret")
    return dict(value)


def _files(element: Mapping[str, Any], credentials: Mapping[str, Any], name: str) -> Dict[str, Any]:
    """The element's file fields, each PassportFile with its ``file_credentials``."""
    out: Dict[str, Any] = {}
    for field in FILE_FIELDS:
        if element.get(field) is not None:
            out[field] = dict(element[field], file_credentials=_file_credentials(
                credentials.get(field), name + "." + field))
    for field in FILE_LIST_FIELDS:
        files = element.get(field)
        if files is None:
            continue
        creds = credentials.get(field)
        if not isinstance(files, list) or not isinstance(creds, list) or len(creds) != len(files):
            raise PassportError(name + "." + field, "%s files but credentials for %s" % (
                len(files) if isinstance(files, list) else "no list of",
                len(creds) if isinstance(creds, list) else "none"))
        out[field] = [dict(f, file_credentials=_file_credentials(c, "%s.%s[%d]" % (name, field, i)))
                      for i, (f, c) in enumerate(zip(files, creds))]
    return out


def decrypt(passport_data: Mapping[str, Any], private_key: KeyLike,
            password: Union[bytes, str, None] = None) -> Dict[str, Any]:
    """A decrypted copy of a message's ``passport_data``.

    The result has the same shape: ``credentials`` is the decrypted Credentials
    (``secure_data`` and ``nonce``: check the nonce is the one you asked with), each
    element's ``data`` the decrypted object (PersonalDetails, IdDocumentData or
    ResidentialAddress), and each file (``front_side``, ``reverse_side``, ``selfie``, every
    item of ``files`` and ``translation``) carries its ``file_credentials`` for
    :func:`decrypt_file`. ``phone_number`` and ``email`` elements are not encrypted.
    ``private_key`` is PEM text (with ``password`` if encrypted) or a key from
    :func:`load_private_key`.

    A wrong key, a wrong hash or altered data raises :class:`PassportError` naming the
    element; nothing half-decrypted is returned. The input is left as it was.

    https://core.telegram.org/bots/api#passportdata
    """
    if not isinstance(passport_data, Mapping):
        raise TypeError("passport_data must be the message's passport_data dict")
    key = _key(private_key, password)
    credentials = decrypt_credentials(passport_data.get("credentials") or {}, key)
    secure_data = credentials["secure_data"]
    elements = passport_data.get("data")
    if not isinstance(elements, list):
        raise PassportError("data", "passport_data has no list of elements")
    decrypted: List[Dict[str, Any]] = []
    for element in elements:
        if not isinstance(element, Mapping) or not isinstance(element.get("type"), str):
            raise PassportError("data", "an element without a type")
        name = element["type"]
        new = dict(element)
        encrypted = element.get("data") is not None or any(
            element.get(f) is not None for f in FILE_FIELDS + FILE_LIST_FIELDS)
        if encrypted:
            value = secure_data.get(name)
            if not isinstance(value, Mapping):
                raise PassportError(name, "the credentials have nothing for this element")
            if element.get("data") is not None:
                data_credentials = value.get("data")
                if not isinstance(data_credentials, Mapping):
                    raise PassportError(name, "the credentials have no data credentials")
                plain = _decrypt(
                    _b64(element["data"], name, "data"),
                    _b64(data_credentials.get("secret"), name, "data secret"),
                    _b64(data_credentials.get("data_hash"), name, "data_hash"),
                    name)
                new["data"] = _json(plain, name)
            new.update(_files(element, value, name))
        decrypted.append(new)
    result = dict(passport_data)
    result.update(data=decrypted, credentials=credentials)
    return result


def decrypt_file(data: bytes, file_credentials: Mapping[str, Any]) -> bytes:
    """The content of a downloaded Passport file (a JPEG), given its ``file_credentials``
    (which :func:`decrypt` put on every file). Raises :class:`PassportError` if the file
    does not match its hash (altered, truncated, or another file).

    https://core.telegram.org/passport#filecredentials
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError("data must be the downloaded file's bytes")
    creds = _file_credentials(file_credentials, "file")
    return _decrypt(bytes(data), _b64(creds["secret"], "file", "secret"),
                    _b64(creds["file_hash"], "file", "file_hash"), "file")


def download_file(bot: Any, passport_file: Mapping[str, Any]) -> bytes:
    """Download a PassportFile from a :func:`decrypt` result and return it decrypted."""
    creds = passport_file.get("file_credentials")
    if creds is None:
        raise ValueError("this PassportFile has no file_credentials: take it from the result of "
                         "passport.decrypt(), not from the message")
    buffer = io.BytesIO()
    bot.download_file(passport_file["file_id"], buffer)
    return decrypt_file(buffer.getvalue(), creds)


def request_link(bot_id: int, scope: Union[Mapping[str, Any], Sequence[Any]],
                 public_key: Union[str, bytes], nonce: str) -> str:
    """A ``tg://`` link that asks the user's Telegram app for Passport data.

    ``scope`` is a PassportScope (``{"data": [...], "v": 1}``) or just its list of
    elements, e.g. ``["personal_details", {"type": "id_document", "selfie": True}]``;
    ``public_key`` the bot's public key (PEM); ``nonce`` a fresh value you check in the
    decrypted credentials. Web pages use Telegram's Passport SDKs instead.

    https://core.telegram.org/passport#requesting-information
    """
    if isinstance(public_key, bytes):
        public_key = public_key.decode("ascii")
    if not isinstance(scope, Mapping):
        scope = {"data": list(scope), "v": 1}
    if not isinstance(nonce, str) or not nonce:
        raise ValueError("nonce must be a non-empty string")
    query = urlencode({"domain": "telegrampassport", "bot_id": int(bot_id),
                       "scope": json.dumps(scope, separators=(",", ":")),
                       "public_key": public_key, "nonce": nonce})
    return "tg://resolve?" + query

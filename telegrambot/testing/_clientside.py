"""What a user's Telegram app does for the emulator's simulated people: encrypt Telegram
Passport data for a bot's public key, and sign Web App init data.

This is the other side of :mod:`telegrambot.passport` and :mod:`telegrambot.webapp`,
written separately from them (from the same published rules), so that a bot tested on the
emulator meets data made as Telegram makes it. It needs the ``cryptography`` package for
Passport and for signed init data.
"""

import base64
import hashlib
import hmac
import json
import os
import time
from typing import Any, Callable, Dict, List, Optional, Tuple
from urllib.parse import quote, urlencode

_FILE_FIELDS = ("front_side", "reverse_side", "selfie")
_FILE_LISTS = ("files", "translation")
_PLAIN = ("phone_number", "email")


def _need_cryptography() -> None:
    try:
        import cryptography  # noqa: F401
    except ImportError:
        raise ImportError("simulated Passport data and signed init data need the cryptography "
                          "package: pip install 'telegrambot[passport]'") from None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _seal(plain: bytes) -> Tuple[bytes, bytes, bytes]:
    """Encrypt ``plain`` as Passport does: returns (encrypted, secret, hash).

    A random padding of 32 to 255 bytes, whose first byte is its length, goes in front so
    the total is whole AES blocks; the hash is SHA-256 of the padded data; key and IV are
    the two parts of SHA-512(secret + hash); AES-256-CBC.
    """
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    shortest = 32 + (-(len(plain) + 32) % 16)
    length = shortest + 16 * (os.urandom(1)[0] % ((255 - shortest) // 16 + 1))
    padded = bytes([length]) + os.urandom(length - 1) + plain
    data_hash = hashlib.sha256(padded).digest()
    secret = os.urandom(32)
    digest = hashlib.sha512(secret + data_hash).digest()
    encryptor = Cipher(algorithms.AES(digest[:32]), modes.CBC(digest[32:48])).encryptor()
    return encryptor.update(padded) + encryptor.finalize(), secret, data_hash


def _public_key(key: Any) -> Any:
    from cryptography.hazmat.primitives import serialization

    if isinstance(key, str):
        key = key.encode("ascii")
    if isinstance(key, bytes):
        return serialization.load_pem_public_key(key)
    if hasattr(key, "public_key"):  # a private key: take its public half
        return key.public_key()
    return key


def _flip(data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 0x01])


def encrypt_passport(public_key: Any, nonce: str, elements: Dict[str, Any],
                     store_file: Callable[[bytes], Any], tamper: Tuple[str, ...] = ()
                     ) -> Dict[str, Any]:
    """A PassportData encrypted for ``public_key`` (PEM, or a cryptography key).

    ``elements`` maps an element type to what the user shares: a string for
    ``phone_number`` and ``email``; otherwise a dict with ``data`` (a dict) and files as
    bytes (``front_side``, ``reverse_side``, ``selfie``) or lists of bytes (``files``,
    ``translation``). ``store_file(encrypted_bytes)`` keeps a file and returns its
    StoredFile. ``tamper`` names element types (or ``"credentials"``) whose encrypted data
    gets a bit flipped after encryption, as an attacker or a broken transfer would.
    """
    _need_cryptography()
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    key = _public_key(public_key)
    secure_data: Dict[str, Any] = {}
    data: List[Dict[str, Any]] = []

    def passport_file(content: bytes) -> Tuple[Dict[str, Any], Dict[str, str]]:
        sealed, secret, file_hash = _seal(content)
        stored = store_file(sealed)
        obj = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
               "file_size": len(sealed), "file_date": int(time.time())}
        return obj, {"file_hash": _b64(file_hash), "secret": _b64(secret)}

    for kind, shared in elements.items():
        element: Dict[str, Any] = {"type": kind}
        if kind in _PLAIN:
            element[kind] = shared
            element["hash"] = _b64(hashlib.sha256(str(shared).encode("utf-8")).digest())
            data.append(element)
            continue
        value: Dict[str, Any] = {}
        hashed = b""
        if shared.get("data") is not None:
            plain = json.dumps(shared["data"], ensure_ascii=False).encode("utf-8")
            sealed, secret, data_hash = _seal(plain)
            if kind in tamper:
                sealed = _flip(sealed)
            element["data"] = _b64(sealed)
            value["data"] = {"data_hash": _b64(data_hash), "secret": _b64(secret)}
            hashed += data_hash
        for field in _FILE_FIELDS:
            if shared.get(field) is not None:
                element[field], value[field] = passport_file(shared[field])
                hashed += base64.b64decode(value[field]["file_hash"])
        for field in _FILE_LISTS:
            if shared.get(field) is not None:
                made = [passport_file(content) for content in shared[field]]
                element[field] = [obj for obj, _ in made]
                value[field] = [creds for _, creds in made]
                hashed += b"".join(base64.b64decode(c["file_hash"]) for _, c in made)
        element["hash"] = _b64(hashlib.sha256(hashed).digest())
        secure_data[kind] = value
        data.append(element)

    credentials = json.dumps({"secure_data": secure_data, "nonce": nonce}).encode("utf-8")
    sealed, secret, data_hash = _seal(credentials)
    if "credentials" in tamper:
        sealed = _flip(sealed)
    encrypted_secret = key.encrypt(secret, padding.OAEP(
        mgf=padding.MGF1(algorithm=hashes.SHA1()), algorithm=hashes.SHA1(), label=None))
    return {"data": data, "credentials": {"data": _b64(sealed), "hash": _b64(data_hash),
                                          "secret": _b64(encrypted_secret)}}


def _check_string(pairs: List[Tuple[str, str]], leave_out: Tuple[str, ...]) -> str:
    return "\n".join(k + "=" + v for k, v in sorted(pairs) if k not in leave_out)


def web_app_init_data(token: str, bot_id: int, user: Dict[str, Any], *,
                      fields: Optional[Dict[str, Any]] = None, auth_date: Optional[int] = None,
                      signing_key: Any = None) -> str:
    """Init data as Telegram hands it to a Web App: a query string with ``hash`` made from
    ``token`` and, with ``signing_key`` (an Ed25519 private key), a ``signature`` as
    Telegram makes it with its own key."""
    values: Dict[str, Any] = {"user": user, "auth_date": int(time.time()) if auth_date is None
                              else auth_date}
    values.update(fields or {})
    pairs = [(k, v if isinstance(v, str) else json.dumps(v, separators=(",", ":"), ensure_ascii=False)
              if isinstance(v, (dict, list)) else str(v)) for k, v in values.items()]
    if signing_key is not None:
        _need_cryptography()
        signed = "%d:WebAppData\n%s" % (bot_id, _check_string(pairs, ("hash", "signature")))
        signature = signing_key.sign(signed.encode("utf-8"))
        pairs.append(("signature", base64.urlsafe_b64encode(signature).rstrip(b"=").decode("ascii")))
    secret = hmac.new(b"WebAppData", token.encode("utf-8"), hashlib.sha256).digest()
    digest = hmac.new(secret, _check_string(pairs, ("hash",)).encode("utf-8"), hashlib.sha256)
    pairs.append(("hash", digest.hexdigest()))
    return urlencode(pairs, quote_via=quote)

"""telegrambot.passport, checked against Passport data encrypted right here by a separate
implementation of Telegram's scheme (https://core.telegram.org/passport#decrypting-data):

* a random 32-byte secret, sent RSA-OAEP (SHA-1) encrypted for the bot's public key;
* the plaintext gets 32 to 255 random padding bytes in front, the first of which holds
  the padding length, so that the total is a multiple of 16;
* hash = SHA-256(padded); SHA-512(secret + hash) gives the AES-256 key (first 32 bytes)
  and the CBC IV (next 16).

Then the emulator path: a simulated user shares data, a real bot decrypts it and
downloads the files over HTTP.
"""

import base64
import hashlib
import json
import os
import queue
import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

import pytest

cryptography = pytest.importorskip("cryptography")

from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding as asym_padding  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes  # noqa: E402

from telegrambot import passport  # noqa: E402
from telegrambot.passport import PassportError  # noqa: E402

# ------------------------------------------------------------------ the test's own encryption


@pytest.fixture(scope="module")
def key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def other_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(private_key, password=None):
    algorithm = (serialization.BestAvailableEncryption(password) if password
                 else serialization.NoEncryption())
    return private_key.private_bytes(serialization.Encoding.PEM,
                                     serialization.PrivateFormat.TraditionalOpenSSL, algorithm)


def b64(raw):
    return base64.b64encode(raw).decode()


def seal(plain, pad=None, *, first_byte=None, secret=None):
    """Encrypt like Telegram; ``pad`` picks the padding length (default: random valid),
    ``first_byte`` overrides the length byte (to make bad padding with a correct hash)."""
    if pad is None:
        choices = [n for n in range(32, 256) if (len(plain) + n) % 16 == 0]
        pad = choices[os.urandom(1)[0] % len(choices)]
    assert (len(plain) + pad) % 16 == 0
    filler = os.urandom(pad - 1)
    data = bytes([pad if first_byte is None else first_byte]) + filler + plain
    data_hash = hashlib.sha256(data).digest()
    secret = secret or os.urandom(32)
    both = hashlib.sha512(secret + data_hash).digest()
    aes_key, iv = both[0:32], both[32:48]
    enc = Cipher(algorithms.AES(aes_key), modes.CBC(iv)).encryptor()
    return enc.update(data) + enc.finalize(), secret, data_hash


def encrypt_secret(public_key, secret):
    return public_key.encrypt(secret, asym_padding.OAEP(
        mgf=asym_padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None))


class Shared:
    """Builds a PassportData element by element; ``files`` maps file_id -> encrypted bytes
    (what getFile would serve) and ``contents`` file_id -> the plain content."""

    def __init__(self, public_key, nonce="nonce-1"):
        self.public_key = public_key
        self.nonce = nonce
        self.secure_data = {}
        self.data = []
        self.files = {}
        self.contents = {}

    def _file(self, content, kind):
        sealed, secret, file_hash = seal(content)
        file_id = "%s-%d" % (kind, len(self.files))
        self.files[file_id] = sealed
        self.contents[file_id] = content
        return ({"file_id": file_id, "file_unique_id": "u" + file_id, "file_size": len(sealed),
                 "file_date": 1700000000},
                {"file_hash": b64(file_hash), "secret": b64(secret)})

    def element(self, kind, data=None, pad=None, **files):
        element, creds = {"type": kind, "hash": b64(os.urandom(32))}, {}
        if data is not None:
            sealed, secret, data_hash = seal(json.dumps(data).encode(), pad)
            element["data"] = b64(sealed)
            creds["data"] = {"data_hash": b64(data_hash), "secret": b64(secret)}
        for field, content in files.items():
            if isinstance(content, list):
                made = [self._file(c, kind) for c in content]
                element[field] = [m[0] for m in made]
                creds[field] = [m[1] for m in made]
            else:
                element[field], creds[field] = self._file(content, kind)
        self.data.append(element)
        self.secure_data[kind] = creds
        return element

    def plain(self, kind, value):
        self.data.append({"type": kind, kind: value, "hash": b64(os.urandom(32))})

    def passport_data(self, credentials_pad=None):
        plain = json.dumps({"secure_data": self.secure_data, "nonce": self.nonce}).encode()
        sealed, secret, data_hash = seal(plain, credentials_pad)
        return {"data": self.data, "credentials": {
            "data": b64(sealed), "hash": b64(data_hash),
            "secret": b64(encrypt_secret(self.public_key, secret))}}


PERSON = {"first_name": "Alice", "last_name": "Liddell", "birth_date": "04.05.1852",
          "gender": "female", "country_code": "GB", "residence_country_code": "GB",
          "first_name_native": "Alice", "last_name_native": "Liddell"}


@pytest.fixture
def everything(key):
    shared = Shared(key.public_key(), nonce="req-42")
    shared.element("personal_details", PERSON)
    shared.element("passport", {"document_no": "P123", "expiry_date": "01.01.2030"},
                   front_side=b"front jpeg", selfie=b"selfie jpeg",
                   translation=[b"translation 1", b"translation 2"])
    shared.element("driver_license", {"document_no": "D9"}, front_side=b"d front",
                   reverse_side=b"d back", selfie=b"d selfie")
    shared.element("address", {"street_line1": "1 Rabbit Hole", "city": "Oxford",
                                "country_code": "GB", "post_code": "OX1"})
    shared.element("utility_bill", files=[b"bill page 1", b"bill page 2" * 500],
                   translation=[b"bill translated"])
    shared.plain("phone_number", "+441234567890")
    shared.plain("email", "alice@example.org")
    return shared


# ------------------------------------------------------------------ decrypting


def test_everything_decrypts(key, everything):
    given = everything.passport_data()
    snapshot = json.dumps(given, sort_keys=True)
    result = passport.decrypt(given, pem(key))
    assert json.dumps(given, sort_keys=True) == snapshot  # the input is left alone
    assert result["credentials"]["nonce"] == "req-42"
    assert set(result["credentials"]["secure_data"]) == {
        "personal_details", "passport", "driver_license", "address", "utility_bill"}
    by_type = {e["type"]: e for e in result["data"]}
    assert [e["type"] for e in result["data"]] == [e["type"] for e in given["data"]]
    assert by_type["personal_details"]["data"] == PERSON
    assert by_type["passport"]["data"] == {"document_no": "P123", "expiry_date": "01.01.2030"}
    assert by_type["address"]["data"]["city"] == "Oxford"
    assert by_type["phone_number"]["phone_number"] == "+441234567890"
    assert by_type["email"] == given["data"][-1]
    for element, original in zip(result["data"], given["data"]):
        assert element["hash"] == original["hash"]  # kept for setPassportDataErrors
    files = []
    for element in result["data"]:
        for field in ("front_side", "reverse_side", "selfie"):
            if field in element:
                files.append(element[field])
        for field in ("files", "translation"):
            files.extend(element.get(field, []))
    assert len(files) == len(everything.files) == 10
    for f in files:
        content = passport.decrypt_file(everything.files[f["file_id"]], f["file_credentials"])
        assert content == everything.contents[f["file_id"]]
        assert set(f) == {"file_id", "file_unique_id", "file_size", "file_date", "file_credentials"}


@pytest.mark.parametrize("pad", [32, 48, 255 - 15, None])
def test_padding_lengths_of_the_rule(key, pad):
    shared = Shared(key.public_key())
    body = {"document_no": "X" * 9}
    plain_length = len(json.dumps(body).encode())
    if pad is not None:  # nudge to a length that makes whole blocks
        pad += -(plain_length + pad) % 16
        assert 32 <= pad <= 255
    shared.element("identity_card", body, pad=pad, front_side=b"f", reverse_side=b"r")
    result = passport.decrypt(shared.passport_data(credentials_pad=pad and None), key)
    assert result["data"][0]["data"] == body


def test_credentials_with_the_longest_padding(key):
    shared = Shared(key.public_key(), nonce="n")
    shared.plain("email", "a@b.c")
    plain = json.dumps({"secure_data": {}, "nonce": "n"}).encode()
    pad = max(n for n in range(32, 256) if (len(plain) + n) % 16 == 0)
    data = shared.passport_data(credentials_pad=pad)
    assert passport.decrypt(data, key)["credentials"]["nonce"] == "n"


@pytest.mark.parametrize("first_byte, problem", [(0, "padding"), (31, "padding"), (250, "padding")])
def test_bad_padding_with_a_correct_hash(key, first_byte, problem):
    """Padding that breaks the rule is refused even when the hash fits the bytes."""
    shared = Shared(key.public_key())
    shared.element("personal_details", PERSON)
    data = shared.passport_data()
    plain = json.dumps({"secure_data": shared.secure_data, "nonce": "n"}).encode()
    pad = 32 + (-(len(plain) + 32) % 16)
    sealed, secret, data_hash = seal(plain, pad, first_byte=first_byte)
    if first_byte == 250:  # longer than the data: make the data short enough
        plain = b"{}"
        sealed, secret, data_hash = seal(plain, 46, first_byte=250)
    data["credentials"] = {"data": b64(sealed), "hash": b64(data_hash),
                           "secret": b64(encrypt_secret(key.public_key(), secret))}
    with pytest.raises(PassportError) as info:
        passport.decrypt(data, key)
    assert info.value.element == "credentials" and problem in str(info.value)


def flip(text, at=-1):
    raw = bytearray(base64.b64decode(text))
    raw[at] ^= 0x80
    return b64(bytes(raw))


def test_tampered_credentials(key, everything):
    data = everything.passport_data()
    data["credentials"]["data"] = flip(data["credentials"]["data"], 20)
    with pytest.raises(PassportError) as info:
        passport.decrypt(data, key)
    assert info.value.element == "credentials"
    assert "hash" in str(info.value)


def test_tampered_element_names_it(key, everything):
    data = everything.passport_data()
    data["data"][1]["data"] = flip(data["data"][1]["data"])
    with pytest.raises(PassportError) as info:
        passport.decrypt(data, key)
    assert info.value.element == "passport"
    assert str(info.value).startswith("passport: ")


def test_truncated_element(key, everything):
    data = everything.passport_data()
    raw = base64.b64decode(data["data"][0]["data"])
    data["data"][0]["data"] = b64(raw[:-3])
    with pytest.raises(PassportError, match="personal_details: .*whole AES blocks"):
        passport.decrypt(data, key)


def test_wrong_key(other_key, everything):
    with pytest.raises(PassportError) as info:
        passport.decrypt(everything.passport_data(), pem(other_key))
    assert info.value.element == "credentials"
    assert "private key" in str(info.value)


def test_wrong_credentials_hash(key, everything):
    data = everything.passport_data()
    data["credentials"]["hash"] = b64(hashlib.sha256(b"something else").digest())
    with pytest.raises(PassportError, match="credentials: .*hash"):
        passport.decrypt(data, key)


def test_wrong_data_hash_in_the_credentials(key, everything):
    everything.secure_data["address"]["data"]["data_hash"] = b64(hashlib.sha256(b"x").digest())
    with pytest.raises(PassportError) as info:
        passport.decrypt(everything.passport_data(), key)
    assert info.value.element == "address"


def test_secret_of_another_element(key, everything):
    secure = everything.secure_data
    secure["passport"]["data"]["secret"] = secure["driver_license"]["data"]["secret"]
    with pytest.raises(PassportError) as info:
        passport.decrypt(everything.passport_data(), key)
    assert info.value.element == "passport"


def test_tampered_and_swapped_files(key, everything):
    result = passport.decrypt(everything.passport_data(), key)
    front = result["data"][1]["front_side"]
    encrypted = everything.files[front["file_id"]]
    altered = encrypted[:5] + bytes([encrypted[5] ^ 1]) + encrypted[6:]
    with pytest.raises(PassportError) as info:
        passport.decrypt_file(altered, front["file_credentials"])
    assert info.value.element == "file" and "hash" in str(info.value)
    selfie = result["data"][1]["selfie"]
    with pytest.raises(PassportError):
        passport.decrypt_file(everything.files[selfie["file_id"]], front["file_credentials"])
    with pytest.raises(PassportError, match="AES blocks"):
        passport.decrypt_file(encrypted[:-1], front["file_credentials"])
    with pytest.raises(PassportError, match="file: file_hash"):
        passport.decrypt_file(encrypted, {"secret": front["file_credentials"]["secret"]})


def test_credentials_that_do_not_fit_the_data(key, everything):
    everything.secure_data["utility_bill"]["files"].pop()
    with pytest.raises(PassportError) as info:
        passport.decrypt(everything.passport_data(), key)
    assert info.value.element == "utility_bill.files"


def test_element_without_credentials(key, everything):
    del everything.secure_data["driver_license"]
    with pytest.raises(PassportError) as info:
        passport.decrypt(everything.passport_data(), key)
    assert info.value.element == "driver_license"


def test_missing_file_credentials(key, everything):
    del everything.secure_data["passport"]["selfie"]
    with pytest.raises(PassportError) as info:
        passport.decrypt(everything.passport_data(), key)
    assert info.value.element == "passport.selfie"


@pytest.mark.parametrize("mangle", [
    lambda d: d["credentials"].update(secret="not base64!"),
    lambda d: d["credentials"].pop("hash"),
    lambda d: d.update(data="nope"),
    lambda d: d["data"].append({"no": "type"}),
])
def test_malformed_passport_data(key, everything, mangle):
    data = everything.passport_data()
    mangle(data)
    with pytest.raises(PassportError):
        passport.decrypt(data, key)


def test_key_forms(key, everything):
    data = everything.passport_data()
    for form in (pem(key), pem(key).decode(), key, passport.load_private_key(pem(key))):
        assert passport.decrypt(data, form)["credentials"]["nonce"] == "req-42"
    locked = pem(key, b"s3cret")
    assert passport.decrypt(data, locked, password="s3cret")["data"][0]["data"] == PERSON
    with pytest.raises(ValueError, match="password"):
        passport.decrypt(data, locked)
    with pytest.raises(ValueError, match="password is wrong"):
        passport.decrypt(data, locked, password="wrong")
    with pytest.raises(ValueError, match="not a PEM"):
        passport.decrypt(data, b"-----BEGIN NONSENSE-----")
    with pytest.raises(TypeError):
        passport.decrypt(data, 12345)


def test_request_link(key):
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    link = passport.request_link(123, ["personal_details", {"type": "id_document", "selfie": True}],
                                 public, "n-1")
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path) == ("tg", "resolve", "")
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query["domain"] == "telegrampassport" and query["bot_id"] == "123"
    assert json.loads(query["scope"]) == {"data": ["personal_details", {"type": "id_document",
                                                                       "selfie": True}], "v": 1}
    assert query["public_key"] == public.decode() and query["nonce"] == "n-1"


def test_the_extra_is_named_when_cryptography_is_missing():
    code = ("import sys; sys.modules['cryptography'] = None\n"
            "from telegrambot import passport\n"
            "try:\n    passport.decrypt({'data': [], 'credentials': {}}, b'x')\n"
            "except ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "pip install 'telegrambot[passport]'" in out.stdout, out.stderr


# ------------------------------------------------------------------ through the emulator


def test_a_bot_decrypts_what_a_simulated_user_shares(emulator, bot, key):
    alice = emulator.user("Alice")
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    got = queue.Queue()

    def handle(msg):
        try:
            shared = passport.decrypt(msg["passport_data"], key)
            scans = {e["type"]: [passport.download_file(bot, f) for f in
                                 [e.get("front_side"), e.get("selfie"), *e.get("files", [])] if f]
                     for e in shared["data"]}
            got.put((shared, scans))
        except Exception as e:  # handed to the test, which fails with it
            got.put(e)

    bot.message_loop(handle)
    alice.share_passport(public, "abc", {
        "personal_details": {"data": PERSON},
        "passport": {"data": {"document_no": "P1"}, "front_side": b"\xff\xd8 front",
                     "selfie": b"\xff\xd8 selfie"},
        "bank_statement": {"files": [b"page one", b"page two"]},
        "phone_number": "+1555",
    })
    result = got.get(timeout=10)
    assert not isinstance(result, Exception), result
    shared, scans = result
    assert shared["credentials"]["nonce"] == "abc"
    assert shared["data"][0]["data"] == PERSON
    assert scans["passport"] == [b"\xff\xd8 front", b"\xff\xd8 selfie"]
    assert scans["bank_statement"] == [b"page one", b"page two"]
    assert scans["phone_number"] == [] and shared["data"][3]["phone_number"] == "+1555"

    alice.share_passport(public, "abc", {"address": {"data": {"city": "Oxford"}}},
                         tamper=["address"])
    error = got.get(timeout=10)
    assert isinstance(error, PassportError) and error.element == "address"


def test_emulator_encryption_is_what_the_rule_says(key, emulator):
    """The emulator's side checked by this file's reading of the rule, not by the library."""
    alice = emulator.user("Alice")
    message = alice.share_passport(key.public_key(), "n", {"address": {"data": {"city": "X"}}})
    creds = message["passport_data"]["credentials"]
    secret = key.decrypt(base64.b64decode(creds["secret"]), asym_padding.OAEP(
        mgf=asym_padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None))
    data_hash = base64.b64decode(creds["hash"])
    both = hashlib.sha512(secret + data_hash).digest()
    dec = Cipher(algorithms.AES(both[:32]), modes.CBC(both[32:48])).decryptor()
    padded = dec.update(base64.b64decode(creds["data"])) + dec.finalize()
    assert hashlib.sha256(padded).digest() == data_hash
    assert 32 <= padded[0] <= 255 and len(padded) % 16 == 0
    assert json.loads(padded[padded[0]:])["nonce"] == "n"

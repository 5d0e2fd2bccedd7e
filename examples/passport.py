"""Telegram Passport: receive personal data and documents, decrypt them, check the nonce.

``/start`` gives each user a link that asks her Telegram app for her personal details, an
identity document with a selfie, a proof of address and her phone number, with a fresh
nonce. What she shares arrives encrypted for the bot's public key (a message with
``passport_data``); ``telegrambot.passport`` decrypts it with the private key, and the
scans, downloaded like any file, with their own credentials. Data that cannot be
decrypted is reported back to her with setPassportDataErrors, so she can send it again.

Needs ``pip install 'telegrambot[passport]'`` and a key pair: ``openssl genrsa 2048 >
private.key``, then give ``openssl rsa -in private.key -pubout`` to @BotFather
(/setpublickey). PASSPORT_KEY names the private key file (default ``private.key``).
``--emulate`` makes a throwaway key instead. The counterpart of python-telegram-bot's
passportbot.py.
"""

import hashlib
import html
import os
import secrets
import sys
from urllib.parse import parse_qs, urlsplit

from _common import main

import telegrambot
from telegrambot import passport

SCOPE = ["personal_details", {"type": "id_document", "selfie": True}, "address_document",
         "phone_number"]
KEY = None  # the bot's private key; loaded from PASSPORT_KEY, or made by --emulate


def private_key():
    global KEY
    if KEY is None:
        with open(os.environ.get("PASSPORT_KEY", "private.key"), "rb") as f:
            KEY = passport.load_private_key(f.read())
    return KEY


def public_pem(key):
    from cryptography.hazmat.primitives import serialization

    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def start(token, api_url):
    bot = telegrambot.Bot(token, api_url, defaults={"parse_mode": "HTML"})
    key = private_key()
    bot_id = bot.getMe()["id"]
    nonces = {}  # user id -> the nonce of the request we gave her

    def on_chat(msg):
        content_type, chat_type, chat_id = telegrambot.glance(msg)
        if chat_type != "private":
            return
        if content_type == "passport_data":
            received(chat_id, msg["from"], msg["passport_data"])
        else:
            nonces[msg["from"]["id"]] = nonce = secrets.token_urlsafe(16)
            link = passport.request_link(bot_id, SCOPE, public_pem(key), nonce)
            bot.sendMessage(chat_id, "To sign up, share your documents with Telegram Passport.",
                            reply_markup={"inline_keyboard": [[{"text": "Share", "url": link}]]})

    def received(chat_id, user, data):
        try:
            shared = passport.decrypt(data, key)
        except passport.PassportError as e:
            refuse(chat_id, user, data, e)
            return
        if shared["credentials"]["nonce"] != nonces.get(user["id"]):
            bot.sendMessage(chat_id, "This does not answer a request of mine; say /start first.")
            return
        del nonces[user["id"]]  # each request is answered once
        lines = []
        for element in shared["data"]:
            kind, fields = element["type"], element.get("data") or {}
            if kind == "personal_details":
                lines.append("%s %s, born %s" % (fields["first_name"], fields["last_name"],
                                                 fields["birth_date"]))
            elif "document_no" in fields:
                lines.append("%s no. %s" % (kind.replace("_", " "), fields["document_no"]))
            elif kind in ("phone_number", "email"):
                lines.append("%s %s" % (kind.replace("_", " "), element[kind]))
            elif kind == "address":
                lines.append("address in %s" % fields.get("city"))
            else:
                lines.append(kind.replace("_", " "))
            scans = [element[f] for f in ("front_side", "reverse_side", "selfie") if f in element]
            scans += element.get("files", []) + element.get("translation", [])
            for scan in scans:  # a real bot would store these
                content = passport.download_file(bot, scan)
                lines.append("  a scan of %d bytes, sha256 %s" % (
                    len(content), hashlib.sha256(content).hexdigest()[:12]))
        bot.sendMessage(chat_id, "Thank you! Received:\n%s" % html.escape("\n".join(lines)))

    def refuse(chat_id, user, data, error):
        kind = error.element.split(".")[0]
        hashes = {e["type"]: e["hash"] for e in data.get("data", []) if isinstance(e, dict)}
        if kind in hashes:  # tell her app which element to send again
            bot.setPassportDataErrors(user["id"], [{
                "source": "unspecified", "type": kind, "element_hash": hashes[kind],
                "message": "This could not be read. Please send it again."}])
            bot.sendMessage(chat_id, "Your <b>%s</b> could not be read; please share it again."
                            % html.escape(kind.replace("_", " ")))
        else:
            bot.sendMessage(chat_id, "Your data could not be decrypted. Please try again.")

    bot.message_loop({"chat": on_chat})
    return bot


def scenario(talk):
    public = public_pem(private_key())
    alice, bob = talk.user("Alice"), talk.user("Bob")
    talk.say(alice, "/start")
    offer = talk.expect(alice, "share your documents with Telegram Passport")
    link = offer["reply_markup"]["inline_keyboard"][0][0]["url"]
    assert link.startswith("tg://resolve?domain=telegrampassport&bot_id="), link
    nonce = parse_qs(urlsplit(link).query)["nonce"][0]
    talk.note("Alice presses [Share]; her app asks her what to share, with nonce %s" % nonce)
    shared = {
        "personal_details": {"data": {
            "first_name": "Alice", "last_name": "Liddell", "birth_date": "04.05.1852",
            "gender": "female", "country_code": "GB", "residence_country_code": "GB",
            "first_name_native": "Alice", "last_name_native": "Liddell"}},
        "passport": {"data": {"document_no": "P1865"}, "front_side": b"\xff\xd8 passport scan",
                     "selfie": b"\xff\xd8 selfie"},
        "utility_bill": {"files": [b"\xff\xd8 bill, page 1", b"\xff\xd8 bill, page 2"]},
        "phone_number": "+441865000000",
    }
    talk.act(alice, "shares her data", lambda: alice.share_passport(public, nonce, shared))
    thanks = talk.expect(alice, "Thank you! Received:\nAlice Liddell, born 04.05.1852")
    scan = shared["passport"]["front_side"]
    for line in ("passport no. P1865", "utility bill", "phone number +441865000000",
                 "a scan of %d bytes, sha256 %s" % (len(scan), hashlib.sha256(scan).hexdigest()[:12])):
        assert line in thanks["text"], thanks["text"]
    assert thanks["text"].count("a scan of") == 4

    talk.act(alice, "shares the same again, answering no open request",
             lambda: alice.share_passport(public, nonce, {"phone_number": "+441865000000"}))
    talk.expect(alice, "This does not answer a request of mine")

    talk.say(bob, "/start")
    link = talk.expect(bob, "share your documents")["reply_markup"]["inline_keyboard"][0][0]["url"]
    talk.act(bob, "shares his address; it is damaged on the way",
             lambda: bob.share_passport(public, parse_qs(urlsplit(link).query)["nonce"][0],
                                        {"address": {"data": {"city": "Oxford"}}}, tamper=["address"]))
    talk.expect(bob, "Your address could not be read; please share it again.")
    errors = talk.emu.wait_for_request("setPassportDataErrors").params["errors"]
    assert errors[0]["type"] == "address" and errors[0]["source"] == "unspecified", errors
    talk.note("the bot told his app: %s" % errors[0]["message"])


if __name__ == "__main__":
    if "--emulate" in sys.argv[1:]:
        from cryptography.hazmat.primitives.asymmetric import rsa

        KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    sys.exit(main(start, scenario, __doc__))

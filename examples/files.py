"""Files: downloading what users send, uploading what the bot makes.

A document sent to the bot is downloaded with ``download_file`` (here into memory) and
its SHA-256 is sent back. ``/report`` uploads a CSV made on the spot, given as a
``(filename, bytes)`` pair; a path or an open binary file works the same way and is
streamed, never read into memory whole.
"""

import hashlib
import io
import sys

from _common import main

import telegrambot


def start(token, api_url):
    bot = telegrambot.Bot(token, api_url)
    received = []  # (file name, size) of every document received

    def handle(msg):
        content_type, chat_type, chat_id = telegrambot.glance(msg)
        if content_type == "document":
            document = msg["document"]
            buffer = io.BytesIO()
            bot.download_file(document["file_id"], buffer)  # or a path: "downloads/x.bin"
            data = buffer.getvalue()
            received.append((document.get("file_name", "?"), len(data)))
            bot.sendMessage(chat_id, "%s: %d bytes, sha256 %s" % (
                document.get("file_name", "your file"), len(data), hashlib.sha256(data).hexdigest()))
        elif msg.get("text") == "/report":
            rows = "".join("%s,%d\n" % row for row in received)
            bot.sendDocument(chat_id, ("report.csv", ("name,bytes\n" + rows).encode()),
                             caption="%d files so far" % len(received))
        else:
            bot.sendMessage(chat_id, "Send me a document, or say /report.")

    bot.message_loop(handle)
    return bot


def scenario(talk):
    alice = talk.user("Alice")
    data = b"emulated bytes " * 1000
    talk.act(alice, "sends notes.txt, %d bytes" % len(data),
             lambda: alice.send_document(data, "notes.txt"))
    talk.expect(alice, "notes.txt: 15000 bytes, sha256 %s" % hashlib.sha256(data).hexdigest())
    talk.say(alice, "/report")
    report = talk.expect(alice, "1 files so far")
    uploaded = talk.emu.file(report["document"]["file_id"]).data
    talk.note("the report holds: %r" % uploaded.decode())
    assert uploaded == b"name,bytes\nnotes.txt,15000\n", uploaded


if __name__ == "__main__":
    sys.exit(main(start, scenario, __doc__))

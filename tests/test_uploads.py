"""Uploads from a ``pathlib.Path`` or from a ``str`` naming an existing file, and the
progress callbacks of uploads and downloads; the emulator checks the bytes it received."""

import io
import os
import pathlib

import pytest

from telegrambot.core.request import CHUNK_SIZE, encode, local_file
from telegrambot.exception import BadRequest


class Progress:
    """Records progress(done, total) calls and checks them as they come."""

    def __init__(self):
        self.calls = []

    def __call__(self, done, total):
        assert isinstance(done, int) and isinstance(total, int)
        self.calls.append((done, total))

    def check(self, total):
        assert self.calls, "progress was never called"
        assert self.calls[0] == (0, total)
        assert self.calls[-1] == (total, total)
        dones = [done for done, _ in self.calls]
        assert dones == sorted(dones)  # monotonic
        assert all(t == total and 0 <= d <= total for d, t in self.calls)
        return len(self.calls)


@pytest.fixture
def big_file(tmp_path):
    data = os.urandom(3 * 1024 * 1024 + 123)  # several chunks, not a round number
    path = tmp_path / "report.bin"
    path.write_bytes(data)
    return path, data


def uploaded(emulator, method):
    record = emulator.wait_for_request(method)
    return {name: (filename, data) for name, (filename, data) in record.files.items()}


def test_a_path_uploads_the_exact_bytes(emulator, bot, big_file):
    path, data = big_file
    alice = emulator.user("Alice")
    sent = bot.sendDocument(alice.id, path)
    assert uploaded(emulator, "sendDocument")["document"] == ("report.bin", data)
    assert emulator.file(sent["document"]["file_id"]).data == data


def test_a_str_naming_an_existing_file_uploads_it(emulator, bot, big_file, monkeypatch):
    path, data = big_file
    alice = emulator.user("Alice")
    sent = bot.sendDocument(alice.id, str(path))
    assert uploaded(emulator, "sendDocument")["document"] == ("report.bin", data)
    assert emulator.file(sent["document"]["file_id"]).data == data
    monkeypatch.chdir(path.parent)  # a relative path too
    bot.sendPhoto(alice.id, "report.bin", caption="report.bin")
    record = emulator.requests[-1]
    assert record.files["photo"] == ("report.bin", data)
    assert record.params["caption"] == "report.bin"  # not a file parameter: sent as text


def test_a_str_that_is_no_local_file_is_sent_as_it_is(emulator, bot, big_file, tmp_path):
    path, data = big_file
    alice = emulator.user("Alice")
    file_id = bot.sendDocument(alice.id, path)["document"]["file_id"]
    again = bot.sendDocument(alice.id, file_id)  # a file_id: no upload
    record = emulator.requests[-1]
    assert record.files == {} and record.params["document"] == file_id
    assert again["document"]["file_id"] == file_id
    missing = str(tmp_path / "no-such-file.bin")
    with pytest.raises(BadRequest):
        bot.sendDocument(alice.id, missing)  # the server is told a file_id it does not know
    assert emulator.requests[-1].params["document"] == missing
    assert emulator.requests[-1].files == {}


def test_which_strings_count_as_local_files(tmp_path, big_file):
    path, _ = big_file
    assert local_file(str(path))
    assert not local_file(str(tmp_path))  # a directory
    assert not local_file("")
    assert not local_file("https://example.org" + str(path))
    assert not local_file("attach://file0")
    assert not local_file("nul\x00byte")
    assert not local_file("x" * 5000)
    body, headers = encode({"document": str(path), "caption": str(path)}, False, ("document",))
    assert [up.field for up in body.uploads] == ["document"]
    body, headers = encode({"document": str(path)}, False, ())  # not a file parameter
    assert headers["Content-Type"] == "application/json"


def test_inside_objects_a_str_stays_a_str_and_a_path_uploads(emulator, bot, big_file):
    path, data = big_file
    alice = emulator.user("Alice")
    bot.sendMediaGroup(alice.id, [{"type": "document", "media": path},
                                  {"type": "document", "media": ("b.bin", b"second")}])
    files = uploaded(emulator, "sendMediaGroup")
    assert sorted(files.values()) == sorted([("report.bin", data), ("b.bin", b"second")])


def test_upload_progress_reaches_the_total_monotonically(emulator, bot, big_file):
    path, data = big_file
    alice = emulator.user("Alice")
    progress = Progress()
    sent = bot.sendDocument(alice.id, str(path), progress=progress)
    assert progress.check(len(data)) >= len(data) // CHUNK_SIZE
    assert emulator.file(sent["document"]["file_id"]).data == data


def test_upload_progress_counts_every_file_of_a_request(emulator, bot, big_file):
    path, data = big_file
    alice = emulator.user("Alice")
    progress = Progress()
    bot.sendMediaGroup(alice.id, [{"type": "document", "media": path},
                                  {"type": "document", "media": ("b.bin", b"second")}],
                       progress=progress)
    progress.check(len(data) + len(b"second"))
    assert sorted(uploaded(emulator, "sendMediaGroup").values()) == sorted(
        [("report.bin", data), ("b.bin", b"second")])


def test_progress_on_a_request_without_a_file_is_never_called(emulator, bot):
    alice = emulator.user("Alice")
    file_id = bot.sendDocument(alice.id, ("a.txt", b"abc"))["document"]["file_id"]
    progress = Progress()
    bot.sendDocument(alice.id, file_id, progress=progress)
    assert emulator.requests[-1].params["document"] == file_id  # the call was made
    assert progress.calls == []


def test_no_callback_sends_the_same_body(big_file):
    path, data = big_file
    body, _ = encode({"chat_id": 1, "document": path}, False, ("document",))
    plain = b"".join(body)
    body.rewind()
    body.progress = Progress()
    reported = b"".join(body)
    assert reported == plain and len(plain) == body.length
    body.progress.check(len(data))


def test_download_progress_into_a_file_object_and_a_path(emulator, bot, big_file, tmp_path):
    path, data = big_file
    alice = emulator.user("Alice")
    file_id = bot.sendDocument(alice.id, path)["document"]["file_id"]
    progress = Progress()
    out = io.BytesIO()
    bot.download_file(file_id, out, progress=progress)
    assert out.getvalue() == data
    assert progress.check(len(data)) >= len(data) // CHUNK_SIZE
    progress = Progress()
    bot.download_file(file_id, tmp_path / "copy.bin", progress=progress)
    assert (tmp_path / "copy.bin").read_bytes() == data
    progress.check(len(data))


def test_download_without_progress_is_unchanged(emulator, bot, big_file, tmp_path):
    path, data = big_file
    alice = emulator.user("Alice")
    file_id = bot.sendDocument(alice.id, path)["document"]["file_id"]
    bot.download_file(file_id, tmp_path / "plain.bin")
    assert (tmp_path / "plain.bin").read_bytes() == data


def test_a_download_that_fails_midway_leaves_no_file(emulator, bot, tmp_path):
    alice = emulator.user("Alice")
    file_id = bot.sendDocument(alice.id, ("x.bin", b"x" * 300000))["document"]["file_id"]
    calls = []

    def cancel(done, total):  # a progress callback may cancel by raising
        calls.append(done)
        if done > 0:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        bot.download_file(file_id, tmp_path / "broken.bin", progress=cancel)
    assert calls[0] == 0 and len(calls) == 2
    assert not (tmp_path / "broken.bin").exists()


def test_the_progress_keyword_is_no_bot_api_parameter():
    from telegrambot.core.methods import METHODS

    assert all("progress" not in info.params for info in METHODS.values())


def test_path_and_str_give_the_same_upload(emulator, bot, big_file):
    path, data = big_file
    alice = emulator.user("Alice")
    bot.sendAudio(alice.id, pathlib.Path(path))
    first = emulator.requests[-1].files
    bot.sendAudio(alice.id, str(path))
    assert emulator.requests[-1].files == first


def test_local_mode_a_str_path_goes_as_a_file_uri(emulator, big_file):
    from telegrambot import Bot
    from telegrambot.exception import TelegramError

    path, _ = big_file
    bot = Bot(emulator.token, api_url=emulator.api_url, local_mode=True)
    try:
        bot.sendDocument(emulator.user("Alice").id, str(path))
    except TelegramError:
        pass  # the emulator reads no local files; what was sent is what counts
    finally:
        bot.close_connections()
    record = emulator.requests[-1]
    assert record.params["document"] == path.resolve().as_uri() and not record.files


def test_local_mode_download_copies_with_progress(emulator, big_file, tmp_path):
    """A local Bot API server answers getFile with a path on its own disk: the file is
    copied from there, and progress reports it as a download would."""
    from telegrambot import Bot

    path, data = big_file
    stored = emulator.store_file(b"unused")
    stored.file_path = str(path)  # as a local server answers: an absolute path
    bot = Bot(emulator.token, api_url=emulator.api_url, local_mode=True)
    try:
        progress = Progress()
        bot.download_file(stored.file_id, tmp_path / "copy.bin", progress=progress)
        assert (tmp_path / "copy.bin").read_bytes() == data
        progress.check(len(data))
        progress, out = Progress(), io.BytesIO()
        bot.download_file(stored.file_id, out, progress=progress)
        assert out.getvalue() == data
        progress.check(len(data))
    finally:
        bot.close_connections()
    assert emulator.requests[-1].method == "getFile"  # no download over HTTP

"""The emulator as a local Bot API server (``Emulator(local=True)``): file:// URIs read
from disk, getFile answering with a path on the server's disk, the larger upload limit."""

import os
import pathlib

import pytest

import telegrambot
from telegrambot.exception import BadRequest
from telegrambot.testing import Emulator
from telegrambot.testing.rules import MAX_UPLOAD, MAX_UPLOAD_LOCAL


def test_a_path_goes_as_file_uri_and_comes_back_as_a_copy(tmp_path):
    video = tmp_path / "talk.mp4"
    video.write_bytes(b"video bytes")
    with Emulator(local=True) as emu:
        alice = emu.user("Alice")
        bot = telegrambot.Bot(emu.token, api_url=emu.api_url, local_mode=True)
        sent = bot.sendVideo(alice.id, pathlib.Path(video))
        assert emu.requests[-1].params["video"] == video.as_uri()
        assert emu.requests[-1].files == {}  # not uploaded: the server read its disk
        info = bot.getFile(sent["video"]["file_id"])
        assert os.path.isabs(info["file_path"])
        assert info["file_path"].startswith(emu.local_dir)
        bot.download_file(sent["video"]["file_id"], str(tmp_path / "copy.mp4"))
        assert (tmp_path / "copy.mp4").read_bytes() == b"video bytes"
        with pytest.raises(BadRequest, match="not found"):
            bot.sendVideo(alice.id, pathlib.Path(tmp_path / "missing.mp4"))
        local_dir = emu.local_dir
    assert not os.path.exists(local_dir)  # removed on stop


def test_without_local_mode_a_file_uri_is_refused(tmp_path):
    video = tmp_path / "talk.mp4"
    video.write_bytes(b"video bytes")
    with Emulator() as emu:
        alice = emu.user("Alice")
        bot = emu.make_bot(local_mode=True)
        with pytest.raises(BadRequest, match="wrong file identifier"):
            bot.sendVideo(alice.id, pathlib.Path(video))
        assert emu.local_dir is None


def test_local_limits():
    with Emulator(local=True) as emu, Emulator() as remote:
        assert emu.max_upload == MAX_UPLOAD_LOCAL == 2000 * 1024 * 1024
        assert remote.max_upload == MAX_UPLOAD
        big = emu.store_file(b"x" * (21 * 1024 * 1024))  # over getFile's 20 MB
        remote_big = remote.store_file(b"x" * (21 * 1024 * 1024))
        assert emu.make_bot().getFile(big.file_id)["file_size"] == 21 * 1024 * 1024
        with pytest.raises(BadRequest, match="file is too big"):
            remote.make_bot().getFile(remote_big.file_id)

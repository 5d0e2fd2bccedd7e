"""``python -m telegrambot upload`` / ``download`` against the emulator: the bytes arrive
whole, and a progress bar is drawn on standard error when it is a terminal, never when it
is a pipe."""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
pty = pytest.importorskip("pty")


def cli(emulator, *args, tty=False):
    """Run the command line; (exit status, stdout, stderr)."""
    argv = [sys.executable, "-m", "telegrambot", *args, "--token", emulator.token,
            "--api-url", emulator.api_url]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        filter(None, [ROOT, os.environ.get("PYTHONPATH")])))
    env.pop("TELEGRAM_BOT_TOKEN", None)
    if not tty:
        done = subprocess.run(argv, env=env, capture_output=True, timeout=30)
        return done.returncode, done.stdout.decode(), done.stderr.decode()
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=slave)
    finally:
        os.close(slave)
    try:
        out = proc.stdout.read()
        proc.wait(30)
        err = []
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the other end closed (Linux)
                break
            if not chunk:
                break
            err.append(chunk)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, out.decode(), b"".join(err).decode()


@pytest.fixture
def payload(tmp_path):
    data = os.urandom(2 * 1024 * 1024 + 7)
    path = tmp_path / "movie.bin"
    path.write_bytes(data)
    return path, data


def test_upload_and_download_show_a_bar_on_a_terminal(emulator, payload, tmp_path):
    path, data = payload
    alice = emulator.user("Alice")
    code, out, err = cli(emulator, "upload", str(alice.id), str(path), tty=True)
    assert code == 0, err
    file_id = out.strip()
    assert emulator.file(file_id).data == data
    assert emulator.requests[-1].files["document"] == ("movie.bin", data)
    assert "\rmovie.bin [" in err and "] 100%  2.0 MiB/2.0 MiB" in err, repr(err)
    assert err.endswith("\n")

    dest = tmp_path / "back.bin"
    code, out, err = cli(emulator, "download", file_id, str(dest), tty=True)
    assert code == 0, err
    assert dest.read_bytes() == data
    assert "\rback.bin [" in err and "100%" in err, repr(err)


def test_no_bar_when_standard_error_is_not_a_terminal(emulator, payload, tmp_path):
    path, data = payload
    alice = emulator.user("Alice")
    code, out, err = cli(emulator, "upload", str(alice.id), str(path), "--as", "video",
                         "--caption", "hi")
    assert code == 0 and err == "", err
    record = emulator.requests[-1]
    assert record.method == "sendVideo" and record.files["video"] == ("movie.bin", data)
    assert record.params["caption"] == "hi"
    code, out, err = cli(emulator, "download", out.strip(), str(tmp_path / "c.bin"))
    assert code == 0 and err == "" and (tmp_path / "c.bin").read_bytes() == data


def test_upload_of_a_missing_file_says_so(emulator, tmp_path):
    code, out, err = cli(emulator, "upload", "1", str(tmp_path / "nope.bin"))
    assert code != 0 and "no such file" in err

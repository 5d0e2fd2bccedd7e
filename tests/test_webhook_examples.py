"""The webhook examples run end to end against the emulator (``--emulate``)."""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_example(name, *args, extra_path=None):
    env = dict(os.environ)
    env.pop("TELEGRAM_BOT_TOKEN", None)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (extra_path, ROOT, env.get("PYTHONPATH")) if p)
    script = os.path.join(ROOT, "examples", name)
    return subprocess.run(
        [sys.executable, script, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_builtin_example_emulated():
    done = run_example("webhook_builtin.py", "--emulate")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "Alice got: You said: hello over a webhook",
        "Alice got: I only echo text, this was a photo.",
    ]


def test_flask_example_emulated():
    pytest.importorskip("flask")
    done = run_example("webhook_flask.py", "--emulate")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["Alice got: Flask heard: hello Flask"]


def test_flask_example_without_flask_skips(tmp_path):
    (tmp_path / "flask").mkdir()
    (tmp_path / "flask" / "__init__.py").write_text("raise ImportError('no flask here')\n")
    done = run_example("webhook_flask.py", "--emulate", extra_path=str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "Flask is not installed" in done.stdout


@pytest.mark.parametrize("name", ["webhook_builtin.py", "webhook_flask.py", "custom_webhook.py"])
def test_examples_ask_for_a_token_and_url(name):
    if "flask" in name:
        pytest.importorskip("flask")
    done = run_example(name)
    assert done.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in done.stderr

import threading
import time

import pytest


def _library_threads():
    return {t for t in threading.enumerate() if t.name.startswith("telegrambot-") and t.is_alive()}


@pytest.fixture(autouse=True)
def no_thread_leak():
    """Every telegrambot thread a test starts must be gone shortly after the test ends."""
    before = _library_threads()
    yield
    deadline = time.monotonic() + 3.0
    leaked = _library_threads() - before
    while leaked and time.monotonic() < deadline:
        time.sleep(0.02)
        leaked = _library_threads() - before
    assert not leaked, "threads left running: %s" % sorted(t.name for t in leaked)

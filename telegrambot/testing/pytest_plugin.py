"""pytest fixtures for bots tested against the emulator.

Enable with ``pytest -p telegrambot.testing.pytest_plugin`` (or ``addopts`` in your
configuration, or ``pytest_plugins = ["telegrambot.testing.pytest_plugin"]`` in a
conftest.py). Fixtures:

``emulator``
    a started :class:`~telegrambot.testing.Emulator`, stopped after the test.
``bot``
    ``emulator.make_bot()``: a ``telegrambot.Bot`` pointed at it; its message loop (if
    started) is stopped and its connections closed after the test.
"""

from typing import Any, Iterator

import pytest

from telegrambot.testing import Emulator


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    emu = Emulator()
    emu.start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def bot(emulator: Emulator) -> Iterator[Any]:
    made = emulator.make_bot()
    try:
        yield made
    finally:
        made.stop()
        made.close_connections()

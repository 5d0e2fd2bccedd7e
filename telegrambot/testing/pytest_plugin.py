"""pytest fixtures for testing bots against the emulator.

Installing telegrambot registers this module as a pytest plugin (the ``pytest11`` entry
point ``telegrambot.testing.pytest_plugin``), so the fixtures are there in every test.
Naming it too (``pytest -p telegrambot.testing.pytest_plugin``, ``addopts``, or
``pytest_plugins = ["telegrambot.testing.pytest_plugin"]`` in a conftest.py, for a
checkout that is not installed) registers it once all the same; ``-p
no:telegrambot.testing.pytest_plugin`` turns it off. A fixture of yours with the same name
takes precedence over these. Fixtures:

``emulator``
    a started :class:`~telegrambot.testing.Emulator`, stopped after the test. After the
    test, every ``telegrambot-*`` thread started during it must have ended (the bots, loops
    and servers the test started must have been stopped), or the test errors with their
    names.
``bot``
    ``emulator.make_bot()``: a ``telegrambot.Bot`` pointed at it; its message loop (if
    started) is stopped and its connections closed after the test.
``delegator_bot``
    a function: ``delegator_bot(patterns, **kwargs)`` makes a
    :class:`telegrambot.DelegatorBot` on the emulator with those delegation patterns, starts
    its message loop and returns it; with ``webhook=True`` the bot receives its updates on a
    webhook (as from ``webhook_bot``) instead of polling. Other keyword arguments go to
    ``DelegatorBot``. Every bot made is stopped after the test.
``webhook_bot``
    a function: ``webhook_bot(handler, bot=None, **kwargs)`` runs a bot (``bot``, or a new
    one on the emulator) on a webhook: a :class:`~telegrambot.webhook.WebhookServer` on a
    free loopback port, set with setWebhook, so the emulator POSTs every update to it, and
    a message loop handing them to ``handler`` (a function, a routing table, or None for the
    bot's ``handle``). Other keyword arguments go to
    :func:`~telegrambot.webhook.run_webhook`. Returns the
    :class:`~telegrambot.webhook.WebhookRun` (``.bot``, ``.server``); the server and the
    bot are stopped after the test.
``aio_run``
    a function: ``aio_run(coroutine)`` runs it in a new event loop (``asyncio.run``) and
    returns its result; before that loop ends, every ``telegrambot-*`` task started
    meanwhile (an asyncio bot's loops, its scheduler, a long poll) must have ended within
    a grace period, or the test fails with their names (:func:`check_no_task_leak`):
    ``asyncio.run`` would otherwise cancel them silently.

The module imports the emulator only when a fixture is used, so the plugin costs nothing
to test suites that do not use it.
"""

import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, List, Optional, Set

import pytest

if TYPE_CHECKING:
    from telegrambot import Bot, DelegatorBot
    from telegrambot.testing import Emulator
    from telegrambot.webhook import WebhookRun

__all__ = ["emulator", "bot", "delegator_bot", "webhook_bot", "library_threads",
           "check_no_thread_leak", "aio_run", "library_tasks", "check_no_task_leak"]

#: How long threads may take to end after the test stopped them (seconds).
THREAD_GRACE = 3.0


def library_threads() -> Set[threading.Thread]:
    """The live threads this library started (their names begin with ``telegrambot-``)."""
    return {t for t in threading.enumerate() if t.name.startswith("telegrambot-") and t.is_alive()}


def check_no_thread_leak(before: Iterable[threading.Thread], grace: float = THREAD_GRACE) -> None:
    """Fail the test if a library thread not in ``before`` is still alive after ``grace``
    seconds (each one is joined meanwhile)."""
    known = set(before)
    deadline = time.monotonic() + grace
    for thread in library_threads() - known:
        thread.join(max(0.0, deadline - time.monotonic()))
    leaked = sorted(t.name for t in library_threads() - known)
    if leaked:
        pytest.fail("telegrambot threads still running after the test: %s. Stop what the test "
                    "started: bot.stop() for a bot's loops and delegates, server.stop() for a "
                    "webhook server, run.stop() for run_webhook." % ", ".join(leaked),
                    pytrace=False)


def library_tasks() -> Set[Any]:
    """The running event loop's unfinished tasks this library started (named
    ``telegrambot-...``)."""
    import asyncio

    return {t for t in asyncio.all_tasks() if t.get_name().startswith("telegrambot-")
            and not t.done()}


async def check_no_task_leak(before: Iterable[Any], grace: float = THREAD_GRACE) -> None:
    """Fail the test if a library task not in ``before`` has not ended after ``grace``
    seconds (awaited meanwhile, never cancelled)."""
    import asyncio

    known = set(before)
    left = library_tasks() - known
    if left:
        await asyncio.wait(left, timeout=grace)
    leaked = sorted(t.get_name() for t in library_tasks() - known)
    if leaked:
        pytest.fail("telegrambot tasks still running at the end of the test: %s. Stop what "
                    "the test started: await bot.stop() (or leave 'async with bot:') for a "
                    "bot's loops and scheduler." % ", ".join(leaked), pytrace=False)


@pytest.fixture
def aio_run() -> Callable[[Any], Any]:
    import asyncio

    async def checked(coro: Any) -> Any:
        before = library_tasks()
        result = await coro  # a failing test fails with its own error, not with this check
        await check_no_task_leak(before)
        return result

    def run(coro: Any) -> Any:
        return asyncio.run(checked(coro))

    return run


@pytest.fixture
def emulator() -> Iterator["Emulator"]:
    from telegrambot.testing import Emulator

    before = library_threads()
    emu = Emulator()
    emu.start()
    try:
        yield emu
    finally:
        emu.stop()
    check_no_thread_leak(before)


def _stop_bot(made: "Bot") -> None:
    try:
        made.stop()
    finally:
        made.close_connections()


@pytest.fixture
def bot(emulator: "Emulator") -> Iterator["Bot"]:
    made = emulator.make_bot()
    try:
        yield made
    finally:
        _stop_bot(made)


@pytest.fixture
def webhook_bot(emulator: "Emulator") -> Iterator[Callable[..., "WebhookRun"]]:
    runs: List[Any] = []
    made: List[Any] = []

    def start(handler: Any = None, bot: Optional["Bot"] = None, **kwargs: Any) -> "WebhookRun":
        from telegrambot.webhook import run_webhook

        if bot is None:
            bot = emulator.make_bot()
            made.append(bot)
        kwargs.setdefault("host", "127.0.0.1")
        kwargs.setdefault("port", 0)
        run = run_webhook(bot, handler, **kwargs)
        runs.append(run)
        return run

    try:
        yield start
    finally:
        _stop_all(runs, made)


def _stop_all(runs: List[Any], bots: List[Any]) -> None:
    """Stop every webhook run, then every bot (and the bots of the runs), even if one fails."""
    errors: List[BaseException] = []
    for stop in [run.stop for run in runs] + [
            lambda b=b: _stop_bot(b) for b in bots + [run.bot for run in runs]]:
        try:
            stop()
        except Exception as error:  # stop the others first, then report the first failure
            errors.append(error)
    if errors:
        raise errors[0]


@pytest.fixture
def delegator_bot(emulator: "Emulator") -> Iterator[Callable[..., "DelegatorBot"]]:
    runs: List[Any] = []
    made: List[Any] = []

    def start(patterns: Iterable[Any], *, webhook: bool = False,
              **bot_kwargs: Any) -> "DelegatorBot":
        from telegrambot import DelegatorBot

        bot_kwargs.setdefault("api_url", emulator.api_url)
        delegator = DelegatorBot(emulator.token, patterns, **bot_kwargs)
        if webhook:
            from telegrambot.webhook import run_webhook

            runs.append(run_webhook(delegator, host="127.0.0.1", port=0))
        else:
            made.append(delegator)
            delegator.message_loop()
        return delegator

    try:
        yield start
    finally:
        _stop_all(runs, made)

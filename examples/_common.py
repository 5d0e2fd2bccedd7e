"""What every example shares: its command line, and running it for real or emulated.

An example defines ``start(token, api_url)``, which builds its bot, starts it receiving
and returns it (an asyncio example defines ``async def serve(token, api_url, stopped)``,
which runs its bot until the ``asyncio.Event`` ``stopped`` is set, and passes
``in_event_loop(serve)`` as ``start``), and ``scenario(talk)``, which plays a user against it on the emulator
(``talk`` is a :class:`telegrambot.demo.Conversation`). Its last line is
``sys.exit(main(start, scenario, __doc__))``, which gives it this command line::

    python examples/echo.py TOKEN              # run against Telegram (or TELEGRAM_BOT_TOKEN)
    python examples/echo.py --api-url URL ...  # against a local Bot API server or
                                               # `python -m telegrambot emulator`
    python examples/echo.py --emulate          # scripted user on the embedded emulator:
                                               # prints the transcript, exit 0 if all went well
    python examples/counter.py --store bot.db ...  # keep its state in an SQLite file, so a
                                               # restart continues (the examples whose
                                               # start() takes ``store``)
"""

import argparse
import asyncio
import functools
import inspect
import logging
import os
import threading
import time
from typing import Any, Callable, Optional, Sequence

from telegrambot.api import DEFAULT_API_URL
from telegrambot.demo import Conversation, run_scripted

__all__ = ["main", "Conversation", "in_event_loop"]


class _Closing:
    """A bot whose stop() also closes its store."""

    def __init__(self, bot: Any, store: Any) -> None:
        self.bot = bot
        self.store = store

    def stop(self) -> None:
        try:
            self.bot.stop()
        finally:
            self.store.close()


def _closing(start: Callable[..., Any], store: Any, token: str, api_url: str) -> _Closing:
    return _Closing(start(token, api_url, store=store), store)


def main(
    start: Callable[..., Any],
    scenario: Callable[[Conversation], Any],
    description: Optional[str] = None,
    argv: Optional[Sequence[str]] = None,
) -> int:
    """Parse the command line, then run the bot until Ctrl-C, or emulated with ``--emulate``."""
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("token", nargs="?", default=os.environ.get("TELEGRAM_BOT_TOKEN"),
                        help="the bot token (default: $TELEGRAM_BOT_TOKEN)")
    parser.add_argument("--api-url", default=DEFAULT_API_URL,
                        help="Bot API server (default: %(default)s)")
    parser.add_argument("--emulate", action="store_true",
                        help="run against the embedded emulator with a scripted user, "
                             "print the conversation and exit (0: the bot behaved)")
    keeps_state = "store" in inspect.signature(start).parameters
    if keeps_state:
        parser.add_argument("--store", metavar="FILE",
                            help="keep updates, states and events in this SQLite file, so the "
                                 "bot continues where it was after a restart")
    args = parser.parse_args(argv)
    store = None
    if keeps_state and args.store:
        from telegrambot.storage import SQLiteStore

        store = SQLiteStore(args.store)
        start = functools.partial(_closing, start, store)
    try:
        if args.emulate:
            # a fresh emulator numbers updates from the start again; Telegram never does:
            # with a store (which recognises a number it has seen), number them afresh
            first = int(time.time() * 1000) if store is not None else None
            return run_scripted(start, scenario, first_update_id=first)
        if not args.token:
            parser.error("give the bot token as an argument or in TELEGRAM_BOT_TOKEN "
                         "(or use --emulate)")
        logging.basicConfig(level=logging.INFO,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        bot = start(args.token, args.api_url)
        print("Listening ... (Ctrl-C to stop)")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
        finally:
            bot.stop()
        return 0
    finally:
        if store is not None:
            store.close()


def in_event_loop(serve: Callable[..., Any]) -> Callable[[str, str], Any]:
    """``start`` for an asyncio example: ``serve(token, api_url, stopped)`` runs in an event
    loop of its own thread (the emulated user plays in this one); the returned handle's
    ``stop()`` sets ``stopped`` and waits for ``serve`` to return."""

    def start(token: str, api_url: str) -> Any:
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        holder: dict = {}

        async def run() -> None:
            holder["stopped"] = asyncio.Event()
            ready.set()
            await serve(token, api_url, holder["stopped"])

        thread = threading.Thread(target=loop.run_until_complete, args=(run(),),
                                  name="example-event-loop")
        thread.start()
        ready.wait(10)

        class Running:
            def stop(self) -> None:
                loop.call_soon_threadsafe(holder["stopped"].set)
                thread.join(10)
                loop.close()

        return Running()

    return start

"""Run a telepot-style bot script against a Bot API server (the tests give the emulator).

    python _run.py API_URL path/to/bot.py ARGS...

The bot script is run as ``__main__`` with ``sys.argv = [bot.py, ARGS...]`` (its token
first, as telepot scripts take it), after pointing every Bot made without an ``api_url``
at API_URL through ``telegrambot.api.DEFAULT_API_URL``. Log records of WARNING and above
go to stderr with their level, so the tests can tell a bot that logged an error.
"""

import logging
import runpy
import sys

import telegrambot.api

if __name__ == "__main__":
    api_url, script, *args = sys.argv[1:]
    telegrambot.api.DEFAULT_API_URL = api_url
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    sys.argv = [script] + args
    runpy.run_path(script, run_name="__main__")

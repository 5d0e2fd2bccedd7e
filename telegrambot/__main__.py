"""Command line: ``python -m telegrambot <command>``.

``python -m telegrambot emulator [--host 127.0.0.1] [--port 8081] [--token T] [--bot-username U] [--no-flood | --lenient]``
    Serve the Bot API emulator (:mod:`telegrambot.testing`) until Ctrl-C, for any bot or
    library to talk to: point it at ``http://127.0.0.1:8081`` with the printed token.
    It refuses what Telegram refuses (:mod:`telegrambot.testing.rules`); ``--no-flood``
    turns the flood limits off (to measure throughput), ``--lenient`` every rule.
    Simulated users speak in two ways:

    - on standard input, one line per message: ``Alice: hello`` (a user named Alice is
      created on first use; a line without ``Name:`` is said by the last speaker);
    - over HTTP: ``POST /_emulator/send`` with ``user`` and ``text`` (JSON body or form),
      e.g. ``curl -d user=Alice -d text=hello http://127.0.0.1:8081/_emulator/send``.

    Every message the bot sends is printed as ``bot -> Alice: text``.

``python -m telegrambot demo``
    Run the demonstration (:mod:`telegrambot.demo`): a bot built with this library talks
    to scripted users on the embedded emulator, and the conversation is printed.

``python -m telegrambot upload CHAT FILE [--as document] [--caption TEXT] [--token T] [--api-url URL]``
    Send a local file to a chat (as a document, photo, audio, video, animation, voice,
    video_note or sticker) and print the file_id Telegram gave it.

``python -m telegrambot download FILE_ID DEST [--token T] [--api-url URL]``
    Download a file by its file_id into the file DEST.

    Both take the token from ``--token`` or ``TELEGRAM_BOT_TOKEN``, and show a progress bar
    on standard error when it is a terminal (nothing otherwise).
"""

import argparse
import json
import logging
import os
import pathlib
import sys
import threading
from typing import Any, Dict, List, Optional


def _describe(message: Dict[str, Any]) -> str:
    chat = message["chat"]
    where = chat.get("first_name") or chat.get("title") or str(chat["id"])
    body = message.get("text") or message.get("caption")
    if body is None:
        kinds = [k for k in ("photo", "document", "audio", "video", "voice", "sticker",
                             "animation", "location", "contact", "poll", "dice") if k in message]
        body = "<%s>" % (kinds[0] if kinds else "message")
    markup = message.get("reply_markup", {}).get("inline_keyboard")
    if markup:
        body += "  " + " ".join("[%s]" % b.get("text") for row in markup for b in row)
    return "bot -> %s: %s" % (where, body)


def run_emulator(args: argparse.Namespace, stdin: Any = None) -> int:
    """Serve until interrupted or standard input ends (when ``--no-stdin`` is not given)."""
    from telegrambot.testing import Emulator
    from telegrambot.testing.rules import Rules

    rules = Rules.none() if args.lenient else Rules(flood=not args.no_flood)
    emu = Emulator(token=args.token, bot_username=args.bot_username, host=args.host,
                   port=args.port, strict=rules)
    emu.add_listener(lambda message: print(_describe(message), flush=True))
    emu.start()
    print("Bot API emulator at http://%s:%d" % (args.host, emu.port))
    print("token: %s" % emu.token)
    print("type 'Name: text' to speak as a user; Ctrl-C to stop", flush=True)
    try:
        if args.no_stdin:
            threading.Event().wait()
        else:
            _read_lines(emu, stdin or sys.stdin)
    except KeyboardInterrupt:
        pass
    finally:
        emu.stop()
    return 0


def _read_lines(emu: Any, stream: Any) -> None:
    speaker = "Alice"
    for line in stream:
        line = line.rstrip("\n")
        if not line.strip():
            continue
        name, sep, text = line.partition(":")
        if sep and name.strip() and " " not in name.strip():
            speaker, line = name.strip(), text.strip()
        message = emu.user_named(speaker).send(line)
        print("%s -> bot: %s" % (speaker, json.dumps(message.get("text"), ensure_ascii=False)),
              flush=True)


def run_demo(args: argparse.Namespace) -> int:
    from telegrambot.demo import main as demo_main

    return demo_main([])


#: What ``upload --as`` takes: the kind of file -> the method sending it.
UPLOAD_KINDS = {"document": "sendDocument", "photo": "sendPhoto", "audio": "sendAudio",
                "video": "sendVideo", "animation": "sendAnimation", "voice": "sendVoice",
                "video_note": "sendVideoNote", "sticker": "sendSticker"}


def _cli_bot(args: argparse.Namespace) -> Any:
    from telegrambot import Bot

    token = args.token or os.environ.get("TELEGRAM_BOT_TOKEN")
    if not token:
        raise SystemExit("a token is needed: --token TOKEN, or set TELEGRAM_BOT_TOKEN")
    return Bot(token, api_url=args.api_url)


def run_upload(args: argparse.Namespace) -> int:
    from telegrambot._progressbar import ProgressBar

    if not os.path.isfile(args.file):
        raise SystemExit("no such file: %s" % args.file)
    with _cli_bot(args) as bot:
        bar = ProgressBar(os.path.basename(args.file))
        try:
            extra = {"caption": args.caption} if args.caption else {}
            message = getattr(bot, UPLOAD_KINDS[args.kind])(
                args.chat, pathlib.Path(args.file), progress=bar, **extra)
        finally:
            bar.close()
    media = message.get(args.kind)
    if isinstance(media, list):  # a photo: its sizes, the largest last
        media = media[-1]
    print(media["file_id"] if isinstance(media, dict) else json.dumps(message))
    return 0


def run_download(args: argparse.Namespace) -> int:
    from telegrambot._progressbar import ProgressBar

    with _cli_bot(args) as bot:
        bar = ProgressBar(os.path.basename(args.dest))
        try:
            bot.download_file(args.file_id, args.dest, progress=bar)
        finally:
            bar.close()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m telegrambot",
                                     description="telegrambot command line tools")
    commands = parser.add_subparsers(dest="command", metavar="command")
    commands.required = True

    emulator = commands.add_parser("emulator", help="serve the Bot API emulator")
    emulator.add_argument("--host", default="127.0.0.1", help="address to listen on")
    emulator.add_argument("--port", type=int, default=8081, help="port (0: any free port)")
    emulator.add_argument("--token", default=None, help="the bot token to accept")
    emulator.add_argument("--bot-username", default="emulator_bot", help="the bot's username")
    emulator.add_argument("--no-stdin", action="store_true",
                          help="do not read user messages from standard input")
    emulator.add_argument("--no-flood", action="store_true",
                          help="do not answer 429 when the bot sends faster than Telegram allows")
    emulator.add_argument("--lenient", action="store_true",
                          help="refuse nothing Telegram would refuse (every rule off)")
    emulator.set_defaults(run=run_emulator)

    demo = commands.add_parser("demo", help="run the demonstration bot against the emulator")
    demo.set_defaults(run=run_demo)

    def bot_options(command: argparse.ArgumentParser) -> None:
        command.add_argument("--token", default=None,
                             help="the bot's token (default: $TELEGRAM_BOT_TOKEN)")
        command.add_argument("--api-url", default=None,
                             help="the Bot API server (default: Telegram's)")

    upload = commands.add_parser("upload", help="send a local file to a chat")
    upload.add_argument("chat", help="the chat's id or @channelusername")
    upload.add_argument("file", help="the file to send")
    upload.add_argument("--as", dest="kind", choices=sorted(UPLOAD_KINDS), default="document",
                        help="how to send it (default: document)")
    upload.add_argument("--caption", default=None, help="a caption")
    bot_options(upload)
    upload.set_defaults(run=run_upload)

    download = commands.add_parser("download", help="download a file by its file_id")
    download.add_argument("file_id")
    download.add_argument("dest", help="the file to write")
    bot_options(download)
    download.set_defaults(run=run_download)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())

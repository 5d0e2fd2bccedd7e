"""telegrambot.testing: an offline Telegram for tests, examples and manual use.

:class:`Emulator` is a Bot API server on 127.0.0.1 that speaks the real HTTP protocol
(https://core.telegram.org/bots/api), with simulated users, groups and channels::

    from telegrambot.testing import Emulator

    with Emulator() as emu:
        bot = emu.make_bot()                # telegrambot.Bot(emu.token, api_url=emu.api_url)
        alice = emu.user("Alice")
        alice.send("/start")                # a 'message' update waits in getUpdates
        bot.sendMessage(alice.id, "Hello!")
        assert alice.received()[-1]["text"] == "Hello!"

What it offers:

- every Bot API method answers (``{"ok": true, "result": ...}``), with Telegram's error
  answers for the common mistakes (``chat not found``, ``message to edit not found``,
  ``message is not modified``, 401 on a wrong token, 409 for getUpdates under a webhook);
- parameters by query string, urlencoded form, JSON body or multipart/form-data (uploads and
  ``attach://`` parts); uploads are kept, so ``getFile`` and ``/file/bot<token>/<path>``
  give the same bytes back;
- ``parse_mode`` ("HTML", "MarkdownV2", "Markdown") applied as Telegram does: texts and
  captions are stored as plain text plus ``entities`` (:mod:`telegrambot.text`), and
  malformed markup is a 400 ``can't parse entities``;
- ``getUpdates`` long polling (wakes at once when an update is pushed) and ``setWebhook``
  delivery to a loopback URL with the ``X-Telegram-Bot-Api-Secret-Token`` header, retried;
- simulated people (:class:`SimUser`, :class:`SimChat`) that push every update type, see
  :mod:`telegrambot.testing.people`;
- ``emu.requests`` (every request, decoded), ``emu.transcript(chat)``,
  ``user.received()``, and waits with timeouts: ``emu.wait_for_request()``,
  ``user.wait_for_message()``, ``emu.wait_until()``;
- fault injection: ``emu.inject("sendMessage", "retry_after", seconds=2)``, ``"html502"``,
  ``"error"``, ``"blocked"``, ``"migrated"``, ``"drop"``, ``"delay"``;
- Telegram's refusals, on by default and each switchable (``Emulator(strict=...)``,
  ``emu.rules``, :mod:`telegrambot.testing.rules`): text and caption lengths, callback_data
  size, keyboard shapes, parse errors, file sizes, media group sizes, buttons a user can
  press, and the flood limits (429 with ``retry_after``).

``check_shape(obj, "Message")`` asserts that an object is shaped as the Bot API declares.

For pytest, the plugin :mod:`telegrambot.testing.pytest_plugin` (registered when the
package is installed) gives the ``emulator``, ``bot``, ``delegator_bot`` and ``webhook_bot``
fixtures. From a shell: ``python -m telegrambot emulator``.
"""

from typing import TYPE_CHECKING, Any

__all__ = ["DEFAULT_TOKEN", "Emulator", "EmulatorTimeout", "Request", "Rules", "SimChat",
           "SimUser", "StoredFile", "check_shape"]

if TYPE_CHECKING:
    from .emulator import DEFAULT_TOKEN, Emulator, EmulatorTimeout, Request, StoredFile
    from .people import SimChat, SimUser
    from .rules import Rules

# imported when first used, so that loading the pytest plugin (a submodule) stays cheap
_LAZY = {"DEFAULT_TOKEN": "emulator", "Emulator": "emulator", "EmulatorTimeout": "emulator",
         "Request": "emulator", "StoredFile": "emulator", "SimChat": "people",
         "SimUser": "people", "Rules": "rules"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError("module %r has no attribute %r" % (__name__, name))
    import importlib

    value = getattr(importlib.import_module("." + module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> Any:
    return sorted(set(globals()) | set(__all__))


def check_shape(obj: Any, type_name: str) -> None:
    """Assert that ``obj`` is shaped as the Bot API type ``type_name`` (e.g. 'Message',
    'Update', 'Array of ChatMember') declares: required fields present, no unknown field,
    value types as declared, recursively."""
    from ._facts import facts

    facts().check(obj, type_name, type_name)

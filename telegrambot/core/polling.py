"""Polling getUpdates: the offset, the delay after a fault, what ends polling, when the
offset reached must be confirmed. No I/O, no clock, no thread.

A runtime's polling loop calls `getUpdates <https://core.telegram.org/bots/api#getupdates>`_
with ``offset=state.offset`` and tells :class:`PollState` what happened:
:meth:`~PollState.polled` after an answer, :meth:`~PollState.failed` after an error (which
says how long to wait, or that polling cannot go on), :meth:`~PollState.arrived` for each
update before handing it over and :meth:`~PollState.handed_over` once its handler returned,
so the offset moves past an update only once it was handled. On the way out,
:meth:`~PollState.unconfirmed` says whether the server must still be told the offset.

What is worth logging comes back as a :class:`Note` (a logger method name, a text and its
arguments), so every runtime logs the same lines.

:class:`Receiving` is what the loops of one bot share: the loops running, the poller, the
offset polling got to (so the bot's next polling loop starts there) and the update_ids its
webhook receivers accepted lately.
"""

from typing import Any, List, NamedTuple, Optional, Tuple

from ..exception import (
    BadHTTPResponse,
    ConflictError,
    TelegramError,
    TooManyRequestsError,
    UnauthorizedError,
)
from .notes import Note

__all__ = [
    "BACKOFF_START",
    "BACKOFF_MAX",
    "Note",
    "Fault",
    "PollState",
    "Receiving",
    "fatal_status",
    "fatal_note",
]

#: First delay (seconds) after a failed getUpdates; it doubles with each failure in a row.
BACKOFF_START = 0.1
#: Longest delay (seconds) between two failed getUpdates.
BACKOFF_MAX = 30.0


class Fault(NamedTuple):
    """After a failed getUpdates: wait ``delay`` seconds, and log ``note``."""

    delay: float
    note: Note


def fatal_status(error: BaseException) -> Optional[int]:
    """401 or 404 if ``error`` says the token or the URL is wrong: polling cannot go on."""
    if isinstance(error, UnauthorizedError):
        return 401
    if isinstance(error, TelegramError):
        code = error.error_code
    elif isinstance(error, BadHTTPResponse):
        code = error.status
    else:
        return None
    return code if code in (401, 404) else None


def fatal_note(error: BaseException, api_url: str) -> Note:
    """What to log when ``error`` (see :func:`fatal_status`) ended a loop; ``api_url``
    without the token."""
    if fatal_status(error) == 404:
        return Note("error", "getUpdates answered 404 Not Found (%s): check api_url (%s) and "
                    "that the bot still exists (a deleted bot's token gets 404); the loop has "
                    "ended", (error, api_url))
    return Note("error", "the Bot API rejected the bot token (%s): check the token; the loop "
                "has ended", (error,))


class PollState:
    """Where polling is: ``offset``, the next update_id to ask for (the updates below it
    were handed over), the offset the server last heard, and the failures in a row."""

    __slots__ = ("offset", "confirmed", "failures")

    def __init__(self, offset: Optional[int] = None) -> None:
        self.offset = offset
        self.confirmed = offset
        self.failures = 0

    def polled(self) -> None:
        """getUpdates answered: the server knows the offset asked with."""
        self.failures = 0
        self.confirmed = self.offset

    def failed(self, error: Exception) -> Optional[Fault]:
        """getUpdates raised ``error``: how long to wait before the next one, or None when
        polling cannot go on (see :func:`fatal_status`)."""
        if fatal_status(error) is not None:
            return None
        self.failures += 1
        backoff = min(BACKOFF_MAX, BACKOFF_START * 2 ** (self.failures - 1))
        if isinstance(error, TooManyRequestsError) and error.retry_after is not None:
            return Fault(float(error.retry_after), Note(
                "warning", "getUpdates: too many requests, waiting %s s as asked",
                (error.retry_after,)))
        if isinstance(error, ConflictError):
            note = Note("error", "getUpdates refused (%s): a webhook is set for this bot (call "
                        "bot.deleteWebhook() to poll, or receive through the webhook), or "
                        "another process polls with the same token (stop it); retrying in "
                        "%.1f s", (error, backoff))
        elif isinstance(error, (ValueError, TypeError, AttributeError, KeyError)):
            note = Note("exception", "getUpdates: unexpected answer; retrying in %.1f s",
                        (backoff,))
        else:
            note = Note("warning", "getUpdates failed (%s: %s); retrying in %.1f s",
                        (type(error).__name__, error, backoff))
        return Fault(backoff, note)

    def arrived(self, update: Any) -> Tuple[Optional[int], Optional[Note]]:
        """An update getUpdates gave: its update_id (None: skip it) and what to log.

        An update_id below the offset is no repeat (the server sends from the offset on):
        Telegram numbers updates afresh after a week without any, and the loop follows."""
        try:
            update_id = int(update["update_id"])
        except (TypeError, KeyError, ValueError):
            return None, Note("error", "getUpdates gave an update without update_id; "
                              "skipped: %.200r", (update,))
        offset = self.offset
        if offset is not None and update_id < offset:
            return update_id, Note("warning", "update_id went back from %s to %s: following "
                                   "the server's new numbering", (offset - 1, update_id))
        return update_id, None

    def handed_over(self, update_id: int) -> None:
        """The handler of ``update_id`` returned: the offset moves past it."""
        self.offset = update_id + 1

    def unconfirmed(self) -> bool:
        """Has the offset moved since the server last heard it?"""
        return self.offset != self.confirmed

    def confirm_failed(self, error: Exception) -> Note:
        """Telling the server the offset (on the way out) failed with ``error``."""
        return Note("warning", "could not confirm handled updates up to %s (%s): this bot's "
                    "next polling loop starts after them; another process polling with the "
                    "token may get them again", (self.offset, error))


class Receiving:
    """What the receiving loops of one bot share, owned by the bot (``bot._receiving``):
    ``loops`` running, the polling loop (``poller``, while its thread or task runs, even
    once stopped from a handler), ``offset``, the update polling got to (after the last one
    handed to a handler), so that the bot's next polling loop starts there, and ``seen``,
    the update_ids its webhook receivers accepted lately. ``lock`` is the runtime's; it
    guards the rest and is never held across I/O."""

    __slots__ = ("lock", "loops", "poller", "offset", "seen")

    def __init__(self, lock: Any) -> None:
        self.lock = lock
        self.loops: List[Any] = []
        self.poller: Any = None
        self.offset: Optional[int] = None
        self.seen: Any = None

"""The exceptions raised by telegrambot.

Everything derives from :class:`TelegramBotException` (also importable as
``TelepotException`` for code moving over from telepot). An error answered by the Bot API
is a :class:`TelegramError`; its concrete class is picked by matching the description
against each subclass's ``DESCRIPTION_PATTERNS``, so a subclass defined in user code takes
part as soon as it is defined.
"""

import re
from typing import Any, Dict, List, Optional, Type


class TelegramBotException(Exception):
    """Base of every exception raised by this library."""


TelepotException = TelegramBotException


class BadFlavor(TelegramBotException):
    """An object that is not a message, query or event of any known flavor."""

    def __init__(self, offender: Any) -> None:
        super().__init__(offender)
        self.offender = offender


class BadHTTPResponse(TelegramBotException):
    """The server answered something that is not a Bot API JSON answer (a proxy page, a 502)."""

    def __init__(self, status: int, text: str, response: Any = None) -> None:
        super().__init__(status, text)
        self.status = status
        self.text = text
        self.response = response

    def __str__(self) -> str:
        snippet = self.text if len(self.text) <= 200 else self.text[:200] + "..."
        return f"HTTP {self.status}, not a Bot API answer: {snippet!r}"


class NetworkError(TelegramBotException):
    """The request did not complete: connection refused or reset, a timeout, a TLS failure.

    The urllib3 error that caused it is kept as ``__cause__`` (with the token removed
    from its text).
    """


class RequestTimeout(NetworkError):
    """No answer arrived within the request timeout."""


class EventNotFound(TelegramBotException):
    """The scheduler has no such event: it already fired or was cancelled."""

    def __init__(self, event: Any) -> None:
        super().__init__(event)
        self.event = event


class WaitTooLong(TelegramBotException):
    """Nothing arrived within the time allowed."""

    def __init__(self, seconds: Optional[float]) -> None:
        super().__init__(seconds)
        self.seconds = seconds


class IdleTerminate(WaitTooLong):
    """A delegate closes because it has been idle for ``seconds``."""


class StopListening(TelegramBotException):
    """Raised in a handler to make its delegate close normally."""


class TelegramError(TelegramBotException):
    """An error answered by the Bot API (``"ok": false``).

    ``description``, ``error_code`` and the whole answer as ``json`` are kept.
    Subclasses set ``DESCRIPTION_PATTERNS``, regular expressions matched (case-insensitive)
    against the description to pick the most specific class.
    """

    DESCRIPTION_PATTERNS: List[str] = []

    def __init__(self, description: str, error_code: int, json: Optional[Dict[str, Any]] = None) -> None:
        super().__init__(description, error_code, json)
        self.description = description
        self.error_code = error_code
        self.json = json if json is not None else {}

    @property
    def parameters(self) -> Dict[str, Any]:
        """The answer's ``parameters`` object (``retry_after``, ``migrate_to_chat_id``)."""
        params = self.json.get("parameters")
        return params if isinstance(params, dict) else {}

    def __str__(self) -> str:
        return f"[{self.error_code}] {self.description}"


class UnauthorizedError(TelegramError):
    DESCRIPTION_PATTERNS = ["unauthorized"]


class BotWasKickedError(TelegramError):
    DESCRIPTION_PATTERNS = [r"bot.*kicked"]


class BotWasBlockedError(TelegramError):
    DESCRIPTION_PATTERNS = [r"bot.*blocked"]


class TooManyRequestsError(TelegramError):
    DESCRIPTION_PATTERNS = [r"too *many *requests"]

    @property
    def retry_after(self) -> Optional[int]:
        """Seconds to wait before the next request, as the server asked."""
        return self.parameters.get("retry_after")


class MigratedToSupergroupChatError(TelegramError):
    DESCRIPTION_PATTERNS = [r"migrated.*supergroup *chat", r"group chat was upgraded to a supergroup"]

    @property
    def migrate_to_chat_id(self) -> Optional[int]:
        """The id of the supergroup the group became."""
        return self.parameters.get("migrate_to_chat_id")


class NotEnoughRightsError(TelegramError):
    DESCRIPTION_PATTERNS = [
        r"not *enough *rights",
        r"there *is *no *administrators *in *the *private *chat",
        r"need administrator rights",
    ]


class ChatNotFoundError(TelegramError):
    DESCRIPTION_PATTERNS = [r"chat not found"]


class UserNotFoundError(TelegramError):
    DESCRIPTION_PATTERNS = [r"user not found"]


class MessageNotModifiedError(TelegramError):
    DESCRIPTION_PATTERNS = [r"message is not modified"]


class MessageToEditNotFoundError(TelegramError):
    DESCRIPTION_PATTERNS = [r"message to edit not found"]


class MessageToDeleteNotFoundError(TelegramError):
    DESCRIPTION_PATTERNS = [r"message to delete not found"]


class MessageCantBeEditedError(TelegramError):
    DESCRIPTION_PATTERNS = [r"message can'?t be edited"]


class MessageCantBeDeletedError(TelegramError):
    DESCRIPTION_PATTERNS = [r"message can'?t be deleted"]


class QueryTooOldError(TelegramError):
    DESCRIPTION_PATTERNS = [r"query is too old", r"query id is invalid"]


class ConflictError(TelegramError):
    DESCRIPTION_PATTERNS = [r"conflict"]


_compiled: Dict[str, "re.Pattern[str]"] = {}


def _all_subclasses(cls: Type[TelegramError]) -> List[Type[TelegramError]]:
    found = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_all_subclasses(sub))
    return found


def error_class_for(description: str) -> Type[TelegramError]:
    """The most specific :class:`TelegramError` subclass whose patterns match ``description``.

    Subclasses defined later (in user code) are searched first, so a user's own
    subclass wins over a built-in one matching the same text.
    """
    text = description or ""
    for cls in reversed(_all_subclasses(TelegramError)):
        for pattern in cls.__dict__.get("DESCRIPTION_PATTERNS", ()):
            compiled = _compiled.get(pattern)
            if compiled is None:
                compiled = _compiled[pattern] = re.compile(pattern, re.IGNORECASE)
            if compiled.search(text):
                return cls
    return TelegramError

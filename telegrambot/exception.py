"""The exceptions raised by telegrambot.

Everything derives from :class:`TelegramBotException` (also importable as
``TelepotException`` for code moving over from telepot).

An error answered by the Bot API (``"ok": false``) is a :class:`TelegramError`, raised as
the class of its status code, so it can be caught by status:

=====  ========================  ==================================
code   class                     also known as (telepot's names)
=====  ========================  ==================================
400    :class:`BadRequest`
401    :class:`Unauthorized`     ``UnauthorizedError``
403    :class:`Forbidden`
404    :class:`NotFound`
409    :class:`Conflict`         ``ConflictError``
429    :class:`TooManyRequests`  ``TooManyRequestsError``
5xx    :class:`ServerError`
=====  ========================  ==================================

Within its status, the most specific class is picked by matching the description against
each subclass's ``DESCRIPTION_PATTERNS`` (case-insensitive regular expressions): "Forbidden:
bot was blocked by the user" is a :class:`BotWasBlockedError`, which is a
:class:`Forbidden`. A subclass defined in user code takes part as soon as it is defined, and
the latest defined wins when several match. A class derived from :class:`TelegramError`
directly (such as :class:`NotEnoughRightsError`, which Telegram answers as 400 or 403) is
raised as a subclass of both it and the status class, so ``except NotEnoughRightsError`` and
``except Forbidden`` both catch "Forbidden: not enough rights to send text messages".

Every :class:`TelegramError` carries ``method`` (the Bot API method that failed),
``error_code``, ``description``, ``parameters`` (with ``retry_after`` and
``migrate_to_chat_id`` also as attributes) and the whole answer as ``json``.
"""

import itertools
import re
from typing import Any, Dict, List, Optional, Type

__all__ = [
    "BadFlavor", "BadHTTPResponse", "BadRequest", "BotWasBlockedError", "BotWasKickedError",
    "ChatNotFoundError", "Conflict", "ConflictError", "ConnectError", "ConnectTimeout",
    "EventNotFound", "FloodWaitTooLong", "Forbidden", "IdleTerminate",
    "MessageCantBeDeletedError", "MessageCantBeEditedError", "MessageNotModifiedError",
    "MessageToDeleteNotFoundError", "MessageToEditNotFoundError",
    "MigratedToSupergroupChatError", "NetworkError", "NotEnoughRightsError", "NotFound",
    "QueryTooOldError", "RequestTimeout", "RetryAfterTooLong", "ServerError", "StopListening",
    "TelegramBotException", "TelegramError", "TelepotException", "TooManyRequests",
    "TooManyRequestsError", "Unauthorized", "UnauthorizedError", "UserDeactivatedError",
    "UserNotFoundError", "WaitTooLong", "error_class_for", "status_class",
]


class TelegramBotException(Exception):
    """Base of every exception raised by this library."""


TelepotException = TelegramBotException


class BadFlavor(TelegramBotException):
    """An object that is not a message, query or event of any known flavor."""

    def __init__(self, offender: Any) -> None:
        super().__init__(offender)
        self.offender = offender


class BadHTTPResponse(TelegramBotException):
    """The server answered something that is not a Bot API JSON answer (a proxy page, a 502).

    ``status`` is the HTTP status, ``text`` the body (without the token), ``response`` what
    the transport answered (urllib3's response with the default transport).
    """

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

    The transport's error that caused it (urllib3's, with the default transport) is kept
    as ``__cause__``, with the token removed from its text. Unless it is a :class:`ConnectError`, the request may have reached
    the server: the call may or may not have taken effect.
    """


class RequestTimeout(NetworkError):
    """No answer arrived within the request timeout."""


class ConnectError(NetworkError):
    """No connection could be made (refused, unknown host, connect timeout): nothing was
    sent, so the call certainly did not take effect and can be repeated safely."""


class ConnectTimeout(ConnectError, RequestTimeout):
    """The connection was not established within the connect timeout (nothing was sent)."""


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


_class_counter = itertools.count(1)


class TelegramError(TelegramBotException):
    """An error answered by the Bot API (``"ok": false``); see the module's documentation.

    ``method`` is the Bot API method that failed (None when unknown), ``error_code`` the
    answer's code, ``description`` its text, ``json`` the whole answer. Subclasses set
    ``DESCRIPTION_PATTERNS``, regular expressions matched (case-insensitive) against the
    description to pick the most specific class.

    https://core.telegram.org/bots/api#making-requests
    """

    DESCRIPTION_PATTERNS: List[str] = []
    #: A sentence added to the message, saying what to do about the error.
    HINT: Optional[str] = None
    _order = 0
    _with_status: Dict[Any, Any]  # set on a class once it has been combined with a status

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._order = next(_class_counter)

    def __init__(
        self,
        description: str,
        error_code: int,
        json: Optional[Dict[str, Any]] = None,
        method: Optional[str] = None,
    ) -> None:
        super().__init__(description, error_code, json)
        self.description = description
        self.error_code = error_code
        self.json = json if json is not None else {}
        self.method = method
        #: What the library could tell about the cause, added to the message (or None).
        self.hint: Optional[str] = None

    @property
    def parameters(self) -> Dict[str, Any]:
        """The answer's ``parameters`` object (``retry_after``, ``migrate_to_chat_id``)."""
        params = self.json.get("parameters")
        return params if isinstance(params, dict) else {}

    @property
    def retry_after(self) -> Optional[int]:
        """Seconds to wait before repeating the request, when the server said so."""
        return self.parameters.get("retry_after")

    @property
    def migrate_to_chat_id(self) -> Optional[int]:
        """The supergroup a group became, when the server said so."""
        return self.parameters.get("migrate_to_chat_id")

    def __str__(self) -> str:
        text = "[%s] %s" % (self.error_code, self.description)
        if self.method:
            text = "%s: %s" % (self.method, text)
        hint = self.hint or self.HINT
        return "%s (%s)" % (text, hint) if hint else text

    def __reduce__(self) -> Any:
        cls = type(self)
        key: Any = cls.__dict__.get("_mixed") or cls
        return (_restore, (key, self.description, self.error_code, self.json, self.method),
                dict(self.__dict__))


# ---------------------------------------------------------------- by status


class BadRequest(TelegramError):
    """400: the request is wrong (a parameter, a chat or a message that does not exist, ...)."""

    DESCRIPTION_PATTERNS = [r"^bad request\b"]


class Unauthorized(TelegramError):
    """401: the token was refused (a wrong token, or a bot logged out of this server)."""

    DESCRIPTION_PATTERNS = ["unauthorized"]
    HINT = "the token was refused: check it with @BotFather"


class Forbidden(TelegramError):
    """403: the bot may not do this (blocked by the user, not a member, no rights, ...)."""

    DESCRIPTION_PATTERNS = [r"^forbidden\b"]


class NotFound(TelegramError):
    """404: no such method at this address (a wrong ``api_url``, or a method the server does
    not know)."""

    DESCRIPTION_PATTERNS = [r"^not found\b"]


class Conflict(TelegramError):
    """409: another getUpdates or a webhook is in the way."""

    DESCRIPTION_PATTERNS = ["conflict"]


class TooManyRequests(TelegramError):
    """429: flood control; ``retry_after`` says how many seconds to wait before repeating.

    https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this
    """

    DESCRIPTION_PATTERNS = [r"too *many *requests"]


class ServerError(TelegramError):
    """5xx: the server failed; the call may or may not have taken effect."""

    DESCRIPTION_PATTERNS = [r"^internal server error\b"]


#: Telepot's names for the status classes.
UnauthorizedError = Unauthorized
ConflictError = Conflict
TooManyRequestsError = TooManyRequests

_STATUS_CLASSES: Dict[int, Type[TelegramError]] = {
    400: BadRequest, 401: Unauthorized, 403: Forbidden, 404: NotFound, 409: Conflict,
    429: TooManyRequests,
}
_STATUS_BRANCHES = (BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooManyRequests,
                    ServerError)


def status_class(error_code: Any) -> Optional[Type[TelegramError]]:
    """The class standing for an error code (400 -> BadRequest, 5xx -> ServerError), or None."""
    if not isinstance(error_code, int) or isinstance(error_code, bool):
        return None
    found = _STATUS_CLASSES.get(error_code)
    if found is None and 500 <= error_code <= 599:
        return ServerError
    return found


# ---------------------------------------------------------------- specific errors


class BotWasKickedError(Forbidden):
    DESCRIPTION_PATTERNS = [r"bot.*kicked"]


class BotWasBlockedError(Forbidden):
    DESCRIPTION_PATTERNS = [r"bot.*blocked"]


class UserDeactivatedError(Forbidden):
    DESCRIPTION_PATTERNS = [r"user is deactivated"]


class MigratedToSupergroupChatError(BadRequest):
    DESCRIPTION_PATTERNS = [r"migrated.*supergroup *chat", r"group chat was upgraded to a supergroup"]


class NotEnoughRightsError(TelegramError):
    """Missing administrator rights; Telegram answers it as 400 or 403 depending on the call,
    so it is raised together with that status class."""

    DESCRIPTION_PATTERNS = [
        r"not *enough *rights",
        r"there *is *no *administrators *in *the *private *chat",
        r"need administrator rights",
    ]


class ChatNotFoundError(BadRequest):
    DESCRIPTION_PATTERNS = [r"chat not found"]


class UserNotFoundError(BadRequest):
    DESCRIPTION_PATTERNS = [r"user not found"]


class MessageNotModifiedError(BadRequest):
    DESCRIPTION_PATTERNS = [r"message is not modified"]


class MessageToEditNotFoundError(BadRequest):
    DESCRIPTION_PATTERNS = [r"message to edit not found"]


class MessageToDeleteNotFoundError(BadRequest):
    DESCRIPTION_PATTERNS = [r"message to delete not found"]


class MessageCantBeEditedError(BadRequest):
    DESCRIPTION_PATTERNS = [r"message can'?t be edited"]


class MessageCantBeDeletedError(BadRequest):
    DESCRIPTION_PATTERNS = [r"message can'?t be deleted"]


class QueryTooOldError(BadRequest):
    DESCRIPTION_PATTERNS = [r"query is too old", r"query id is invalid"]


# ---------------------------------------------------------------- flood control


class FloodWaitTooLong(TelegramBotException):
    """Flood control would make the call wait longer than the rate limiter's ``max_wait``.

    Raised before the call is sent (or sent again): it did not take effect. ``method`` is
    the call, ``wait`` the seconds it would have had to wait, ``max_wait`` the limit.
    """

    method: Optional[str]

    def __init__(self, method: str, wait: float, max_wait: float) -> None:
        super().__init__(method, wait, max_wait)
        self.method, self.wait, self.max_wait = method, wait, max_wait

    def __str__(self) -> str:
        return ("%s was not sent: flood control would hold it %.1f s, longer than the rate "
                "limiter's max_wait of %s s" % (self.method, self.wait, self.max_wait))


class RetryAfterTooLong(TooManyRequests, FloodWaitTooLong):
    """Telegram answered 429 with a ``retry_after`` longer than the rate limiter's
    ``max_wait``: the call was not repeated. A :class:`TooManyRequests` with its answer."""

    def __init__(self, description: str, error_code: int, json: Optional[Dict[str, Any]] = None,
                 method: Optional[str] = None, max_wait: float = 0.0) -> None:
        TooManyRequests.__init__(self, description, error_code, json, method)
        self.wait = float(self.retry_after or 0)
        self.max_wait = max_wait

    def __str__(self) -> str:
        return "%s (retry_after is longer than the rate limiter's max_wait of %s s: not repeated)" % (
            TelegramError.__str__(self), self.max_wait)

    def __reduce__(self) -> Any:
        return (_restore_retry_after, (self.description, self.error_code, self.json, self.method,
                                       self.max_wait), dict(self.__dict__))


# ---------------------------------------------------------------- choosing the class

_compiled: Dict[str, "re.Pattern[str]"] = {}


def _all_subclasses(cls: Type[TelegramError]) -> List[Type[TelegramError]]:
    found = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_all_subclasses(sub))
    return found


def _candidates_for(status: Optional[Type[TelegramError]]) -> List[Type[TelegramError]]:
    """Classes whose patterns may name the error, latest defined first.

    With a status: that status's subclasses and the classes under no status at all;
    without one: every subclass. Computed for each error (no cache keeps a class alive).
    """
    everything = {c for c in _all_subclasses(TelegramError) if "_mixed" not in c.__dict__}
    if status is None:
        found = list(everything)
    else:
        found = [c for c in everything if issubclass(c, status) and c is not status
                 or not issubclass(c, _STATUS_BRANCHES)]
    found.sort(key=lambda c: c._order, reverse=True)
    return found


def _matches(cls: Type[TelegramError], text: str) -> bool:
    for pattern in cls.__dict__.get("DESCRIPTION_PATTERNS", ()):
        compiled = _compiled.get(pattern)
        if compiled is None:
            compiled = _compiled[pattern] = re.compile(pattern, re.IGNORECASE)
        if compiled.search(text):
            return True
    return False


def _with_status(cls: Type[TelegramError], status: Type[TelegramError]) -> Type[TelegramError]:
    """``cls`` made a subclass of ``status`` too (one class per pair, kept on ``cls``, so
    that it lives exactly as long as ``cls``)."""
    if issubclass(cls, status):
        return cls
    made = cls.__dict__.get("_with_status")
    if made is None:
        made = {}
        cls._with_status = made
    mixed = made.get(status)
    if mixed is None:
        mixed = made[status] = type(cls.__name__, (cls, status), {
            "__module__": cls.__module__, "__qualname__": cls.__qualname__,
            "__doc__": cls.__doc__, "_mixed": (cls, status)})
    return mixed


def error_class_for(description: str, error_code: Any = None) -> Type[TelegramError]:
    """The class to raise for an error answer: the status class of ``error_code`` or the
    most specific class under it whose patterns match ``description``.

    Classes defined later (in user code) are tried first, so a user's own subclass wins
    over a built-in one matching the same text. A matching class that derives from
    :class:`TelegramError` directly is combined with the status class. Without a known
    ``error_code``, the description alone decides (as in telepot).
    """
    text = description or ""
    status = status_class(error_code)
    for cls in _candidates_for(status):
        if _matches(cls, text):
            return cls if status is None else _with_status(cls, status)
    return status if status is not None else TelegramError


def _restore(key: Any, description: str, error_code: Any, json: Any, method: Any) -> TelegramError:
    cls = _with_status(*key) if isinstance(key, tuple) else key
    return cls(description, error_code, json, method)


def _restore_retry_after(description: str, error_code: Any, json: Any, method: Any,
                         max_wait: float) -> "RetryAfterTooLong":
    return RetryAfterTooLong(description, error_code, json, method, max_wait)

"""A Bot API answer turned into its result or the exception it stands for, with no I/O.

An answer is an HTTP status and a body. A JSON object with ``"ok": true`` gives its
``result``; one with ``"ok": false`` is raised as the
:class:`~telegrambot.exception.TelegramError` subclass of its ``error_code`` and
description (:func:`~telegrambot.exception.error_class_for`); anything else (a proxy's page,
a bare 502) is a :class:`~telegrambot.exception.BadHTTPResponse`. No token reaches the
exception: a description or page that quotes a URL is redacted.
"""

import json
from typing import Any, NamedTuple, NoReturn, Optional

from ..exception import BadHTTPResponse, error_class_for
from .redact import redact

__all__ = ["Answer", "parse_answer", "raise_download_error"]


class Answer(NamedTuple):
    """An HTTP answer as a transport hands it back: its status and its (decoded) body."""

    status: int
    data: bytes


def parse_answer(status: int, data: bytes, response: Any = None, method: Optional[str] = None) -> Any:
    """The ``result`` of a Bot API answer, or the exception it stands for.

    An error answer becomes the :class:`~telegrambot.exception.TelegramError` subclass of
    its status and description (``method`` is recorded on it); ``response`` (what the
    transport answered) is kept on a :class:`~telegrambot.exception.BadHTTPResponse`.
    """
    try:
        answer = json.loads(data)
    except ValueError:
        answer = None
    if not isinstance(answer, dict) or "ok" not in answer:
        text = data.decode("utf-8", "replace")
        raise BadHTTPResponse(status, redact(text), response)
    if answer["ok"]:
        return answer.get("result")
    description = str(answer.get("description", ""))
    cleaned = redact(description)
    if cleaned != description:  # a description that quotes a URL with the token in it
        description = cleaned
        answer = dict(answer, description=cleaned)
    error_code = answer.get("error_code", status)
    raise error_class_for(description, error_code)(description, error_code, answer, method)


def raise_download_error(status: int, data: bytes, response: Any = None,
                         method: Optional[str] = "download") -> NoReturn:
    """Raise what a file download answered with ``status`` (not 200) and body ``data``
    stands for: the Bot API's error, else a BadHTTPResponse."""
    parse_answer(status, data, response, method)
    raise BadHTTPResponse(status, redact(data.decode("utf-8", "replace")), response)

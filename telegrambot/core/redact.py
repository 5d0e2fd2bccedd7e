"""The bot token kept out of text: log records, exception messages, reprs.

Every URL of the Bot API holds the token, so whatever quotes a URL (a transport's error, a
log line of the HTTP library, an error page) would show it. :func:`register_token` records
a token when a bot is made; :func:`redact` replaces every recorded token, and anything
shaped like one, with ``<token>``; :func:`scrub_exception` does that to an exception chain
in place; :func:`redact_record` is a logging filter (a callable taking a log record) that
does it to the records of an HTTP library's loggers.

No lock: tokens are only ever added, to a set (one step under the interpreter's lock), and
the list :func:`redact` walks, longest first, is rebuilt whenever the set has grown.
"""

import re
from typing import Any, Optional, Set, Tuple

__all__ = ["register_token", "redact", "scrub_exception", "redact_record"]

_forms: Set[str] = set()
# (how many forms it was sorted from, the forms longest first); replaced whole, never changed
_sorted: Tuple[int, Tuple[str, ...]] = (0, ())
# the ":" may be percent-encoded, as in an error page that quotes the URL
_TOKEN_IN_TEXT = re.compile(r"\d{3,}(?::|%3[Aa])[A-Za-z0-9_-]{10,}")


def register_token(token: str) -> None:
    """Remember ``token`` so :func:`redact` removes it wherever it appears."""
    if token:
        _forms.update((token, token.replace(":", "%3A"), token.replace(":", "%3a")))


def _known() -> Tuple[str, ...]:
    global _sorted
    count, tokens = _sorted
    if count != len(_forms):
        snapshot = tuple(_forms)
        # longest first, so a token that contains another is replaced whole
        tokens = tuple(sorted(snapshot, key=len, reverse=True))
        _sorted = (len(snapshot), tokens)
    return tokens


def redact(text: str) -> str:
    """``text`` with every bot token (known ones, and anything shaped like one) replaced.

    A token whose ":" is percent-encoded (``%3A``, as a page quoting the URL may show it)
    is found too.
    """
    for token in _known():
        if token in text:
            text = text.replace(token, "<token>")
    return _TOKEN_IN_TEXT.sub("<token>", text)


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, BaseException):
        scrub_exception(value)
    return value


def scrub_exception(exc: BaseException, _seen: Optional[set] = None) -> None:
    """Remove tokens from an exception chain in place: its args, the ``url``, ``reason``
    and ``message`` attributes HTTP libraries set, its cause and context."""
    seen = _seen if _seen is not None else set()
    if id(exc) in seen:
        return
    seen.add(id(exc))
    try:
        exc.args = tuple(_scrub(a) for a in exc.args)
    except Exception:  # some exception types refuse new args; leave them
        pass
    for attr in ("url", "reason", "message"):
        value = getattr(exc, attr, None)
        if isinstance(value, str):
            try:
                setattr(exc, attr, redact(value))
            except Exception:
                pass
        elif isinstance(value, BaseException):
            scrub_exception(value, seen)
    for linked in (exc.__cause__, exc.__context__):
        if linked is not None:
            scrub_exception(linked, seen)


def redact_record(record: Any) -> bool:
    """A logging filter: rewrites ``record`` so that its message shows no token; keeps it.

    Add it to an HTTP library's loggers: ``logging.getLogger("urllib3").addFilter(redact_record)``.
    """
    try:
        message = record.getMessage()
    except Exception:
        return True
    cleaned = redact(message)
    if cleaned != message:
        record.msg, record.args = cleaned, None
    return True

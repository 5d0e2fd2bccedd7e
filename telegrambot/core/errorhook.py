"""The error hook's rule: what a handler raised goes to ``on_error``, else to the log.

``message_loop(..., on_error=fn)`` and ``DelegatorBot(..., on_error=fn)`` set a hook
``fn(exception, obj)``, where ``obj`` is what was being handled: the update, the event, or
the message a delegate was given. Without a hook the error is logged at ERROR with its
traceback (the line names the update_id). A hook that raises is logged at ERROR with both
tracebacks and ends nothing: not the loop, not the delegate.

The runtime passes its own logger in (core imports no logging); an asynchronous runtime
whose hook is a coroutine function awaits it in the same shape, with :data:`HOOK_FAILED`
as the prefix of the line it logs when the hook raises.
"""

from typing import Any, Callable, Optional

__all__ = ["ErrorHook", "HOOK_FAILED", "checked_hook", "report"]

#: ``on_error(exception, obj)``; what it returns is ignored.
ErrorHook = Callable[[BaseException, Any], Any]

#: Put before the line that would have been logged, when the hook itself raised.
HOOK_FAILED = "on_error failed; it was given this error: "


def checked_hook(on_error: Any) -> Optional[ErrorHook]:
    """``on_error`` if it is None or callable; else TypeError, before anything starts."""
    if on_error is not None and not callable(on_error):
        raise TypeError("on_error must be a function taking (exception, update), not %r"
                        % (on_error,))
    return on_error


def report(logger: Any, on_error: Optional[ErrorHook], exc: BaseException, obj: Any,
           text: str, *args: Any) -> None:
    """Hand ``exc`` and ``obj`` to ``on_error``; without a hook, log ``text % args`` at
    ERROR on ``logger`` with ``exc``'s traceback. When the hook raises, that is logged
    (``HOOK_FAILED + text``) with its traceback and ``exc``'s as its context. Never
    raises an ``Exception``."""
    if on_error is None:
        logger.error(text, *args, exc_info=exc, stacklevel=2)  # the caller's line
        return
    try:
        on_error(exc, obj)
    except Exception as failure:
        if failure.__context__ is None and failure is not exc:
            failure.__context__ = exc  # the traceback shows both, wherever report is called
        logger.error(HOOK_FAILED + text, *args, exc_info=failure, stacklevel=2)

"""The error hook's rule (:func:`telegrambot.core.errorhook.report`) in the asyncio runtime,
where ``on_error`` may be a coroutine function: awaited, and what it raises logged as the
core logs what a plain hook raises."""

import asyncio
import inspect
import logging
from typing import Any, Optional

from ..core.errorhook import ErrorHook, report

__all__ = ["report_async", "report_soon"]


def _raising(failure: BaseException) -> Any:
    """A hook that raises ``failure`` (what a coroutine hook raised), for the core's report."""
    def hook(*args: Any) -> None:
        raise failure
    return hook


async def report_async(logger: logging.Logger, hook: Optional[ErrorHook], exc: BaseException,
                       obj: Any, text: str, *args: Any) -> None:
    """:func:`~telegrambot.core.errorhook.report`, awaiting a coroutine ``hook``."""
    if hook is None or not inspect.iscoroutinefunction(hook):
        report(logger, hook, exc, obj, text, *args)
        return
    try:
        await hook(exc, obj)
    except Exception as failure:
        report(logger, _raising(failure), exc, obj, text, *args)


def report_soon(logger: logging.Logger, hook: Optional[ErrorHook], exc: BaseException,
                obj: Any, text: str, *args: Any) -> None:
    """The same from code that cannot await (in the running loop): a coroutine ``hook``
    runs in a ``telegrambot-on-error`` task."""
    if hook is None or not inspect.iscoroutinefunction(hook):
        report(logger, hook, exc, obj, text, *args)
        return
    asyncio.get_running_loop().create_task(
        report_async(logger, hook, exc, obj, text, *args), name="telegrambot-on-error")

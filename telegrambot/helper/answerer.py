"""Answering inline queries on a thread per user: :class:`Answerer` and its mixin."""

import logging
import threading
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional, Tuple, Type

from .._threads import start_thread
from ..core.errorhook import ErrorHook, checked_hook, report

__all__ = ["Answerer", "AnswererMixin", "answer_arguments"]

log = logging.getLogger(__name__)


def answer_arguments(query_id: str, answer: Any) -> Tuple[tuple, Dict[str, Any]]:
    """The arguments of `answerInlineQuery <https://core.telegram.org/bots/api#answerinlinequery>`_
    for a computed ``answer``: a list of results, a tuple ``(results, cache_time,
    is_personal, ...)`` in the method's parameter order, or a dict of keyword arguments.
    Raises ValueError for anything else."""
    if isinstance(answer, list):
        return (query_id, answer), {}
    if isinstance(answer, tuple):
        from ..core.methods import METHODS

        names = METHODS["answerInlineQuery"].params[2:]
        return (query_id, answer[0]), dict(zip(names, answer[1:]))
    if isinstance(answer, dict):
        return (query_id,), answer
    raise ValueError(f"an answer must be a list, a tuple or a dict, not {type(answer).__name__}")


class _AnswerSlot:
    __slots__ = ("lock", "latest", "closed")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latest: Optional[Tuple[Any, ...]] = None
        self.closed = False


class Answerer:
    """Answers inline queries on a thread per user, at most one computing at a time.

    A user typing sends a query per keystroke. :meth:`answer` hands the query to the
    user's thread; while that thread computes, newer queries replace older waiting ones,
    and an answer whose query has been superseded is dropped instead of sent.

    What ``compute_fn`` or the answer's request raises goes to ``on_error(exception,
    inline_query)`` (default: the bot's ``on_error``, a
    :class:`~telegrambot.DelegatorBot`'s), else it is logged at ERROR.
    """

    def __init__(self, bot: Any, on_error: Optional[ErrorHook] = None) -> None:
        self._bot = bot
        self._on_error = checked_hook(on_error)
        self._lock = threading.Lock()
        self._slots: Dict[Any, _AnswerSlot] = {}

    def answer(self, inline_query: Dict[str, Any], compute_fn: Callable[..., Any],
               *compute_args: Any, **compute_kwargs: Any) -> None:
        """Compute ``compute_fn(*compute_args, **compute_kwargs)`` on the user's thread
        and answer the query with it (https://core.telegram.org/bots/api#answerinlinequery).

        ``compute_fn`` must be thread-safe and return a list of results, a tuple
        ``(results, cache_time, is_personal, ...)`` in the method's parameter order, or a
        dict of keyword arguments.
        """
        user = inline_query["from"]["id"]
        job = (inline_query, compute_fn, compute_args, compute_kwargs)
        while True:
            with self._lock:
                slot = self._slots.get(user)
                new = slot is None
                if slot is None:
                    slot = self._slots[user] = _AnswerSlot()
            with slot.lock:
                if slot.closed:
                    continue
                slot.latest = job
            break
        if new:
            start_thread(threading.Thread(target=self._work, args=(user, slot),
                                          name=f"telegrambot-answerer-{user}", daemon=True))

    def _work(self, user: Any, slot: _AnswerSlot) -> None:
        while True:
            with slot.lock:
                job = slot.latest
                slot.latest = None
                if job is None:
                    slot.closed = True
                    with self._lock:
                        del self._slots[user]
                    return
            inline_query, compute_fn, args, kwargs = job
            try:
                answer = compute_fn(*args, **kwargs)
            except Exception as e:
                self._failed(e, inline_query, "computing the answer to inline query %s failed")
                continue
            with slot.lock:
                superseded = slot.latest is not None
            if superseded:
                continue  # drop this answer, compute the newer one
            try:  # outside the lock: a newer query is taken at once, not after this request
                self._send(inline_query["id"], answer)
            except Exception as e:
                self._failed(e, inline_query, "answering inline query %s failed")

    def _failed(self, exc: Exception, inline_query: Dict[str, Any], text: str) -> None:
        hook = self._on_error if self._on_error is not None else getattr(self._bot, "on_error", None)
        report(log, hook, exc, inline_query, text, inline_query.get("id"))

    def _send(self, query_id: str, answer: Any) -> None:
        args, kwargs = answer_arguments(query_id, answer)
        self._bot.answerInlineQuery(*args, **kwargs)


class AnswererMixin:
    """Gives a delegate an :class:`Answerer` as ``self.answerer`` (of the class named by the
    class attribute ``Answerer``, which a subclass may replace)."""

    if TYPE_CHECKING:  # provided by the delegate class this is mixed into
        bot: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._answerer = self.Answerer(self.bot)
        super().__init__(*args, **kwargs)

    @property
    def answerer(self) -> Answerer:
        return self._answerer

    # after the property: in the class body the name means this attribute, not the class
    Answerer: Type[Answerer] = Answerer

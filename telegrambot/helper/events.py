"""Delegates and time: closing after an idle timeout, and events of a delegate's own.

:class:`IdleEventCoordinator` and :class:`StandardEventScheduler` only schedule and cancel
events on the bot's scheduler (``event_at``, ``event_later``, ``event_now``, ``cancel``);
they use no thread of their own.
"""

import time
from typing import TYPE_CHECKING, Any, Callable, Dict, Tuple, Type

from .. import exception
from ..core.capture import event_pattern
from ..core.flavor import is_event
from .listeners import Listener

__all__ = [
    "IdleEventCoordinator",
    "IdleTerminateMixin",
    "StandardEventScheduler",
    "StandardEventMixin",
]


class IdleEventCoordinator:
    """Closes a delegate after ``timeout`` seconds without a message.

    One ``_idle`` event is pending at a time. While it is, messages only note the time
    they arrive; when it fires early (messages came since), it is set again for the
    remaining time, so handling a message costs no scheduler work.
    """

    def __init__(self, scheduler: Any, timeout: float) -> None:
        self._scheduler = scheduler
        self._timeout_seconds = timeout
        self._timeout_event: Any = None
        self._last = time.monotonic()

    def _schedule(self, delay: float) -> None:
        self._timeout_event = self._scheduler.event_later(delay, ("_idle", {"seconds": self._timeout_seconds}))

    def refresh(self) -> None:
        """Restart the idle countdown from now."""
        self._last = time.monotonic()
        if self._timeout_event is None:
            self._schedule(self._timeout_seconds)

    def augment_on_message(self, handler: Callable[[Any], Any]) -> Callable[[Any], Any]:
        """Wrap ``on_message``: each message restarts the countdown (setting the event
        again if an earlier one fired without closing the delegate); only the idle event
        that marks a real timeout is passed on."""

        def augmented(msg: Any) -> Any:
            if not is_event(msg):
                self.refresh()
            elif "_idle" in msg:
                event = self._timeout_event
                if event is None or msg is not event.data:
                    return None  # an earlier delegate's, or cancelled too late
                self._timeout_event = None
                remaining = self._last + self._timeout_seconds - time.monotonic()
                if remaining > 0:
                    self._schedule(remaining)
                    return None
            return handler(msg)

        return augmented

    def augment_on_close(self, handler: Callable[[BaseException], Any]) -> Callable[[BaseException], Any]:
        """Wrap ``on_close``: cancel the pending idle event."""

        def augmented(ex: BaseException) -> Any:
            event, self._timeout_event = self._timeout_event, None
            if event is not None:
                try:
                    self._scheduler.cancel(event)
                except exception.EventNotFound:
                    pass
            return handler(ex)

        return augmented


class IdleTerminateMixin:
    """Installs an :class:`IdleEventCoordinator` (the class attribute
    ``IdleEventCoordinator``, which a subclass may replace); ``on__idle`` raises
    :class:`~telegrambot.exception.IdleTerminate` to close the delegate.

    :param timeout: seconds without a message before the delegate closes.
    """

    if TYPE_CHECKING:  # provided by the delegate class this is mixed into
        scheduler: Any
        on_message: Callable[[Any], Any]
        on_close: Callable[[BaseException], Any]

    def __init__(self, timeout: float, *args: Any, **kwargs: Any) -> None:
        idlec = self._idle_event_coordinator = self.IdleEventCoordinator(self.scheduler, timeout)
        idlec.refresh()
        self.on_message = idlec.augment_on_message(self.on_message)
        self.on_close = idlec.augment_on_close(self.on_close)
        super().__init__(*args, **kwargs)

    @property
    def idle_event_coordinator(self) -> IdleEventCoordinator:
        return self._idle_event_coordinator

    # after the property: in the class body the name means this attribute, not the class
    IdleEventCoordinator: Type[IdleEventCoordinator] = IdleEventCoordinator

    def on__idle(self, event: Dict[str, Any]) -> None:
        """Close the delegate: it has been idle too long."""
        raise exception.IdleTerminate(event["_idle"]["seconds"])


class StandardEventScheduler:
    """The bot's scheduler, for one delegate: events carry their source, so each delegate
    captures its own events only.

    A standard event is ``{'_flavor': {'source': {'space': event_space, 'id': source_id},
    ...data}}``: the event space is shared by the delegates of one delegation pattern, the
    source id is the delegate's id.
    """

    def __init__(self, scheduler: Any, event_space: Any, source_id: Any) -> None:
        self._base = scheduler
        self._event_space = event_space
        self._source_id = source_id

    @property
    def event_space(self) -> Any:
        return self._event_space

    def configure(self, listener: Listener) -> None:
        """Make ``listener`` capture the events of this space and source."""
        listener.capture(event_pattern(self._event_space, self._source_id))

    def make_event_data(self, flavor: str, data: Dict[str, Any]) -> Dict[str, Any]:
        """``{flavor: {'source': ..., **data}}``; ``flavor`` must start with ``_``."""
        if not flavor.startswith("_"):
            raise ValueError("an event flavor must start with _underscore")
        content = {"source": {"space": self._event_space, "id": self._source_id}}
        content.update(data)
        return {flavor: content}

    def event_at(self, when: float, data_tuple: Tuple[str, Dict[str, Any]]) -> Any:
        """Emit the event ``(flavor, data)`` at the timestamp ``when`` (as time.time())."""
        return self._base.event_at(when, self.make_event_data(*data_tuple))

    def event_later(self, delay: float, data_tuple: Tuple[str, Dict[str, Any]]) -> Any:
        """Emit the event ``(flavor, data)`` ``delay`` seconds from now."""
        return self._base.event_later(delay, self.make_event_data(*data_tuple))

    def event_now(self, data_tuple: Tuple[str, Dict[str, Any]]) -> Any:
        """Emit the event ``(flavor, data)`` as soon as possible."""
        return self._base.event_now(self.make_event_data(*data_tuple))

    def cancel(self, event: Any) -> None:
        """Cancel an event (raises EventNotFound when it already fired)."""
        self._base.cancel(event)


class StandardEventMixin:
    """Gives a delegate a :class:`StandardEventScheduler` as ``self.scheduler`` (the class
    attribute ``StandardEventScheduler``, which a subclass may replace).

    :param event_space: supplied by :func:`telegrambot.delegate.pave_event_space`.
    """

    if TYPE_CHECKING:  # provided by the delegate class this is mixed into
        bot: Any
        id: Any

        @property
        def listener(self) -> Listener: ...

    def __init__(self, event_space: Any, *args: Any, **kwargs: Any) -> None:
        self._scheduler = self.StandardEventScheduler(self.bot.scheduler, event_space, self.id)
        self._scheduler.configure(self.listener)
        super().__init__(*args, **kwargs)

    @property
    def scheduler(self) -> StandardEventScheduler:
        return self._scheduler

    # after the property: in the class body the name means this attribute, not the class
    StandardEventScheduler: Type[StandardEventScheduler] = StandardEventScheduler

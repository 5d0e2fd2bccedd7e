"""The default router: a message goes by its flavor to its owner's ``on_<flavor>`` method.

:class:`Router` and the flavor table are I/O-free (:mod:`telegrambot.core.routing`) and
shared by both runtimes; this module adds the logging of what a default router ignores, and
:class:`DefaultRouterMixin` for delegates. ``Bot.router`` is a :func:`default_router` too.
"""

import logging
from typing import Any, Tuple

from ..core.routing import FlavorTable, Router, flavor_or_none, flavor_router

__all__ = ["Router", "flavor_router", "default_router", "DefaultRouterMixin"]

log = logging.getLogger(__name__)


class _LoggedFlavorTable(FlavorTable):
    """A flavor table that logs what it ignores: a flavor its owner has no method for at
    DEBUG (a handler need not handle every flavor), an object of no known flavor at
    WARNING."""

    def unknown(self, msg: Any) -> None:
        log.warning("%s received an object of no known flavor; ignored: %.200r",
                    type(self.owner).__name__, msg)

    def unhandled(self, flavor: str, names: Tuple[str, ...]) -> None:
        log.debug("%s has no %s(): %s ignored", type(self.owner).__name__, names[0], flavor)


def default_router(owner: Any) -> Router:
    """A :class:`Router` by flavor to ``owner``'s ``on_<flavor>`` methods
    (``on_chat_message`` for ``chat``, ``on__alarm`` for the event ``_alarm``), looked up
    when a message arrives; a flavor ``owner`` has no method for is ignored (logged at
    DEBUG). Its ``routing_table`` takes entries of your own
    (``router.routing_table['_alarm'] = on_alarm``)."""
    return Router(flavor_or_none, _LoggedFlavorTable(owner))


class DefaultRouterMixin:
    """A :class:`Router` by flavor as ``self.router``, and ``on_message`` routing through
    it: ``on_chat_message``, ``on_edited_chat_message`` (else ``on_chat_message``),
    ``on_callback_query``, ``on_inline_query``, ``on_chosen_inline_result``,
    ``on_shipping_query``, ``on_pre_checkout_query``, ``on_my_chat_member``, ...
    (``on_<flavor>`` for every flavor), and ``on__<name>`` for an event ``_<name>``
    (``on__idle``).

    A message whose flavor has no method is ignored (logged at DEBUG): a handler that
    defines only ``on_chat_message`` lives on when, say, a ``my_chat_member`` update
    arrives because the user blocked the bot.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._router = default_router(self)
        super().__init__(*args, **kwargs)

    @property
    def router(self) -> Router:
        return self._router

    def on_message(self, msg: Any) -> Any:
        """Route ``msg`` to its handler."""
        return self._router.route(msg)

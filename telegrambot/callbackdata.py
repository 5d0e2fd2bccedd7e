"""Arbitrary callback data for the threaded runtime: :class:`CallbackDataCache`.

``Bot(token, arbitrary_callback_data=True)`` (or a size, or a cache of your own) lets an
inline button's ``callback_data`` be any object::

    bot.sendMessage(chat_id, "Pick", reply_markup={"inline_keyboard": [[
        {"text": "Two", "callback_data": ("add", 2)},
        {"text": "Reset", "callback_data": {"reset": True}}]]})

The bot keeps each keyboard's data and sends short random ids instead (Telegram's
64-byte limit never applies); the ``data`` of the ``callback_query`` that a press brings is
the object again, before any handler sees it, and so are the buttons of the messages a
call returns and of the message a callback query carries. Data the bot no longer has
(the keyboard was pushed out of the cache, or was sent before the feature was on) arrives
as an :class:`~telegrambot.core.callbackdata.InvalidCallbackData` holding the string
Telegram sent, never as an error. The rules live in :mod:`telegrambot.core.callbackdata`.

Every button with ``callback_data`` goes through the cache while the feature is on,
strings included: a string comes back as the same string. With the feature off nothing
changes and nothing is paid. The objects are put back into the updates a bot's loops
hand over (polled, or fed by a webhook), just before the handler, and into the messages
its methods return. ``bot.getUpdates()`` called by hand gives the updates as they came
(``bot.callback_data.decode_update(update)`` decodes one), and
:meth:`Bot.request <telegrambot.Bot.request>` sends its parameters as given.

With a store (``Bot(token, store=SQLiteStore(path), arbitrary_callback_data=True)``, or
``CallbackDataCache(size, store=...)``) each keyboard is also written to the store's values
(namespace ``callback_data:<bot id>``, at most ``size`` keyboards, the least recently
written going first) before the message is sent, so buttons still work after a restart.
A store keeps JSON: data that is not JSON then fails at the call
that sends the button (:class:`~telegrambot.storage.UnstorableValue`, nothing sent), and
data read back from the store comes as JSON gives it (a tuple as a list).

The threaded :class:`~telegrambot.Bot` and :class:`~telegrambot.DelegatorBot` take
``arbitrary_callback_data``; the asyncio runtime's bot does not yet (the rules in
:mod:`telegrambot.core.callbackdata` are ready for it).
"""

import logging
import threading
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from .core.bounded import LimitedDict
from .core.callbackdata import (
    DEFAULT_MAXSIZE,
    InvalidCallbackData,
    Keyboards,
    decode_result,
    decode_update,
    encode_call,
    keyboard_params,
    new_keyboard_id,
    split_id,
)

__all__ = ["CallbackDataCache", "InvalidCallbackData", "DEFAULT_MAXSIZE", "NAMESPACE", "make_cache"]

log = logging.getLogger(__name__)

#: The store namespace the keyboards are kept under (``:<bot id>`` is added by a Bot).
NAMESPACE = "callback_data"


class CallbackDataCache:
    """The keyboards whose callback data a bot keeps: an LRU of ``maxsize`` keyboards, in
    memory and, with ``store``, in the store's values (namespace ``namespace``) so that
    they survive a restart. Thread-safe; no lock is held across the store's I/O.

    https://core.telegram.org/bots/api#callbackquery
    """

    def __init__(self, maxsize: int = DEFAULT_MAXSIZE, store: Any = None,
                 namespace: str = NAMESPACE) -> None:
        self._keyboards = Keyboards(maxsize)  # a bad size: ValueError here
        if store is not None and not callable(getattr(store, "kv_get", None)):
            raise TypeError("store must be a telegrambot.storage Store, not %r" % (store,))
        self.store = store
        self.namespace = namespace
        keyboard_params("")  # the Bot API facts read now, not in the first call
        self._lock = threading.Lock()
        # callback query id -> its button's keyboard id, for drop(query)
        self._queries = LimitedDict(maxsize)
        if store is not None:
            self._load()

    @property
    def maxsize(self) -> int:
        """How many keyboards are kept."""
        return self._keyboards.maxsize

    def __len__(self) -> int:
        return len(self._keyboards)

    def __repr__(self) -> str:
        return "<CallbackDataCache %d/%d keyboards%s>" % (
            len(self), self.maxsize, " in %r" % (self.store,) if self.store is not None else "")

    def _load(self) -> None:
        """Take the keyboards of the store (the newest ``maxsize`` of them) into memory."""
        items = self.store.kv_items(self.namespace)
        with self._lock:
            for keyboard_id, values in items[-self.maxsize:]:
                if isinstance(values, list):
                    self._keyboards.add(keyboard_id, values)

    # -- outgoing ------------------------------------------------------------------------

    def encode(self, method: str, params: dict) -> List[Tuple[str, list]]:
        """Replace the callback data of the keyboards in a call's ``params`` (changed in
        place) with ids and keep the data; return what was kept. With a store, the
        keyboards are durable when this returns; data a store cannot keep raises
        (:class:`~telegrambot.storage.UnstorableValue`) before anything is kept."""
        kept = encode_call(method, params, new_keyboard_id)
        if not kept:
            return kept
        store = self.store
        if store is not None:
            from .core.records import Changes, KVWrite, check_json

            for _, values in kept:
                check_json(values, "callback_data of a keyboard sent with %s" % method)
            store.commit(Changes(kv=[KVWrite(self.namespace, keyboard_id, values, self.maxsize)
                                     for keyboard_id, values in kept]))
        with self._lock:
            for keyboard_id, values in kept:
                self._keyboards.add(keyboard_id, values)
        return kept

    # -- incoming ------------------------------------------------------------------------

    def lookup(self, keyboard_id: str) -> Optional[Sequence[Any]]:
        """The data of a keyboard's buttons, or None if it is gone."""
        with self._lock:
            values = self._keyboards.get(keyboard_id)
        if values is not None or self.store is None:
            return values
        try:  # pushed out of memory, or written by an earlier process
            values = self.store.kv_get(self.namespace, keyboard_id)
        except Exception:
            log.exception("the callback data of keyboard %s could not be read from the store",
                          keyboard_id)
            return None
        if not isinstance(values, list):
            return None
        with self._lock:
            self._keyboards.add(keyboard_id, values)
        return values

    def decode_update(self, update: Any) -> Any:
        """``update`` with its objects put back (a copy; the update itself if it has no
        ids); never raises. The keyboard of a callback query's button is remembered for
        :meth:`drop`."""
        try:
            query = update.get("callback_query") if isinstance(update, dict) else None
            if isinstance(query, dict):
                parts = split_id(query.get("data"))
                if parts is not None and isinstance(query.get("id"), str):
                    with self._lock:
                        self._queries[query["id"]] = parts[0]
            return decode_update(update, self.lookup)
        except Exception:
            log.exception("callback data of update %s could not be decoded",
                          update.get("update_id") if isinstance(update, dict) else None)
            return update

    def decode_result(self, method: str, result: Any) -> Any:
        """``result`` with its objects put back; never raises."""
        try:
            return decode_result(method, result, self.lookup)
        except Exception:
            log.exception("callback data in the result of %s could not be decoded", method)
            return result

    # -- housekeeping --------------------------------------------------------------------

    def drop(self, query: Union[str, Dict[str, Any]]) -> None:
        """Forget a keyboard whose buttons are no longer needed (they then bring
        InvalidCallbackData): the keyboard of a callback query's button (the query dict
        a handler got), or a keyboard id. Useful once a press replaced the keyboard."""
        if isinstance(query, dict):
            with self._lock:
                keyboard_id = self._queries.pop(query.get("id"), None)
            if keyboard_id is None:
                return
        else:
            keyboard_id = query
        with self._lock:
            self._keyboards.discard(keyboard_id)
        if self.store is not None:
            self.store.kv_delete(self.namespace, keyboard_id)

    def clear(self) -> None:
        """Forget every keyboard kept in memory and in the store."""
        with self._lock:
            ids = self._keyboards.ids()
            self._keyboards.clear()
            self._queries.clear()
        if self.store is not None:
            from .core.records import Changes, KVWrite

            stored = [key for key, _ in self.store.kv_items(self.namespace)]
            if stored or ids:
                self.store.commit(Changes(kv=[KVWrite(self.namespace, key, None)
                                              for key in sorted(set(stored) | set(ids))]))


def make_cache(value: Union[None, bool, int, CallbackDataCache], store: Any = None,
               bot_id: Optional[int] = None) -> Optional[CallbackDataCache]:
    """The cache of ``Bot(arbitrary_callback_data=value)``: None for False/None, a cache
    of :data:`DEFAULT_MAXSIZE` keyboards for True, of ``value`` keyboards for an int, or
    the cache given. ``store`` (the bot's store) keeps the keyboards of a cache made here."""
    if value is None or value is False:
        return None
    if isinstance(value, CallbackDataCache):
        return value
    namespace = NAMESPACE if bot_id is None else "%s:%s" % (NAMESPACE, bot_id)
    if value is True:
        return CallbackDataCache(DEFAULT_MAXSIZE, store, namespace)
    if type(value) is int:
        if value < 1:
            raise ValueError("arbitrary_callback_data: a cache size must be at least 1, not %d"
                             % value)
        return CallbackDataCache(value, store, namespace)
    raise TypeError("arbitrary_callback_data must be True, False, a cache size (int) or a "
                    "CallbackDataCache, not %r" % (value,))

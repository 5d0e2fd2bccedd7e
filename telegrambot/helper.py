"""Building blocks of delegates: listeners, contexts, handlers, routers and mixins.

A delegate (see :class:`telegrambot.DelegatorBot`) is an object living on its own thread.
It waits on a :class:`Listener` for the messages it has *captured* and handles them one at
a time. The classes here are the usual ingredients:

- contexts (:class:`ListenerContext`, :class:`ChatContext`, :class:`UserContext`,
  :class:`CallbackQueryOriginContext`) hold the bot, the delegate's id and its listener,
  plus proxies (:class:`Sender`, :class:`Administrator`, :class:`Editor`) that fill in the
  chat or message for you;
- handlers (:class:`ChatHandler`, :class:`UserHandler`, :class:`InlineUserHandler`,
  :class:`CallbackQueryOriginHandler`, :class:`Monitor`) combine a context with a
  :class:`Router` and the idle-timeout and event mixins;
- :class:`Answerer` answers inline queries on a thread per user.

Captured patterns are indexed: the cost of handing a message to its listeners depends on
how many listeners want it, not on how many there are.
"""

import functools
import inspect
import itertools
import logging
import queue
import re
import threading
import time
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Dict,
    FrozenSet,
    Iterable,
    List,
    Optional,
    Sequence,
    Tuple,
    Type,
)

from . import exception
from ._flavor import flavor, handler_names, is_event, message_identifier
from .core.bounded import LimitedDict, LimitedSet

__all__ = [
    "match",
    "match_all",
    "ListenerHub",
    "Listener",
    "Microphone",
    "Sender",
    "Administrator",
    "Editor",
    "Answerer",
    "AnswererMixin",
    "CallbackQueryCoordinator",
    "InterceptCallbackQueryMixin",
    "IdleEventCoordinator",
    "IdleTerminateMixin",
    "StandardEventScheduler",
    "StandardEventMixin",
    "ListenerContext",
    "ChatContext",
    "UserContext",
    "CallbackQueryOriginContext",
    "InvoiceContext",
    "openable",
    "Router",
    "flavor_router",
    "DefaultRouterMixin",
    "Monitor",
    "ChatHandler",
    "UserHandler",
    "InlineUserHandler",
    "CallbackQueryOriginHandler",
    "InvoiceHandler",
    "SafeDict",
    "chat_flavors",
    "inline_flavors",
]

log = logging.getLogger(__name__)

#: Flavors of messages in a chat (new and edited), and of inline activity. The defaults of
#: :func:`telegrambot.delegate.per_from_id` and :class:`UserHandler` cover both.
chat_flavors = ["chat", "edited_chat"]
inline_flavors = ["inline_query", "chosen_inline_result"]

# ------------------------------------------------------------------ templates


def _is_regex(key: Any) -> bool:
    return hasattr(key, "search")


def match(data: Any, template: Any) -> bool:
    """Does ``data`` match ``template``?

    A dict template matches a dict whose selected parts match its values: a key that is a
    string selects that field, a compiled regex selects every field whose name it finds
    (any of them may match). A callable template is called with the data and says yes or
    no; any other template must equal the data.
    """
    if isinstance(template, dict) and isinstance(data, dict):
        for key, sub in template.items():
            if _is_regex(key):
                if not any(match(v, sub) for k, v in data.items() if isinstance(k, str) and key.search(k)):
                    return False
            elif key not in data or not match(data[key], sub):
                return False
        return True
    if callable(template):
        return bool(template(data))
    return data == template


def match_all(msg: Any, pattern: Iterable[Any]) -> bool:
    """True when ``msg`` matches every template of ``pattern``."""
    return all(match(msg, template) for template in pattern)


def _leaves(template: Any, path: Tuple[Any, ...], out: List[Tuple[Tuple[Any, ...], Any]]) -> bool:
    """Collect (path, value) for every constant value in a dict template.

    Returns True when those leaves say everything the template says (no functions, no
    regex keys, no unhashable or empty parts), so matching them is matching the template.
    """
    exact = bool(template)
    for key, sub in template.items():
        if _is_regex(key):
            exact = False
        if isinstance(sub, dict):
            exact = _leaves(sub, path + (key,), out) and exact
            continue
        if callable(sub):
            exact = False
            continue
        try:
            hash(sub)
        except TypeError:
            exact = False
            continue
        out.append((path + (key,), sub))
    return exact


class _Capture:
    """One captured pattern of one listener, as stored in the hub."""

    __slots__ = ("listener", "pattern", "shape", "key", "exact")

    def __init__(self, listener: "Listener", pattern: List[Any]) -> None:
        self.listener = listener
        self.pattern = pattern
        leaves: List[Tuple[Tuple[Any, ...], Any]] = []
        exact = True
        for template in pattern:
            if isinstance(template, dict):
                exact = _leaves(template, (), leaves) and exact
            else:
                exact = False
        self.shape = tuple(path for path, _ in leaves)
        self.key = tuple(value for _, value in leaves)
        self.exact = exact and bool(leaves)

    def matches(self, msg: Any) -> bool:
        return self.exact or match_all(msg, self.pattern)


_REGEX_CACHE_LIMIT = 4096


class _Shape:
    """The captures whose constants sit at the same places (``paths``) of a message,
    indexed by those constants."""

    __slots__ = ("paths", "table")

    def __init__(self, paths: Tuple[Tuple[Any, ...], ...]) -> None:
        # each path with whether all its keys are plain (no regex)
        self.paths = tuple((path, not any(_is_regex(key) for key in path)) for path in paths)
        self.table: Dict[Tuple[Any, ...], Dict[_Capture, None]] = {}


class ListenerHub:
    """Hands each message to the listeners whose captures it matches.

    Patterns whose dict templates hold constant values (``{'chat': {'id': 42}}``) are
    indexed by those values, grouped by where they sit in the message (the *shape*); a
    message costs one lookup per shape in use plus a check of each candidate. Patterns
    without any constant (only functions, say) are checked one by one.

    All methods take ``lock``; :class:`telegrambot.DelegatorBot` shares its own so that
    delivering and starting delegates happen as one step.
    """

    def __init__(self, lock: Optional[Any] = None, max_waking: int = 16) -> None:
        if max_waking < 1:
            raise ValueError("max_waking must be at least 1 (or no message could be queued)")
        self.lock = lock if lock is not None else threading.RLock()
        self._shapes: Dict[Tuple[Any, ...], _Shape] = {}
        self._scan: Dict[_Capture, None] = {}
        self._regex_hits: Dict[Any, Dict[str, bool]] = {}  # regex -> {field name: found}
        # Waking a listener's thread makes it compete for the GIL; with thousands competing,
        # the interpreter spends its time on forced switches. So at most ``max_waking``
        # threads are woken and not yet running at a time; delivery waits for the rest.
        self._wake = threading.Condition(threading.Lock())
        self._waking = 0
        self._max_waking = max_waking

    def listener(self) -> "Listener":
        """A new listener attached to this hub."""
        return Listener(self)

    # -- captures ------------------------------------------------------------------------

    def add(self, listener: "Listener", pattern: List[Any]) -> None:
        capture = _Capture(listener, pattern)
        with self.lock:
            if listener.closed:
                raise RuntimeError("this listener is closed")
            listener._captures.append(capture)
            if capture.shape:
                shape = self._shapes.get(capture.shape)
                if shape is None:
                    shape = self._shapes[capture.shape] = _Shape(capture.shape)
                shape.table.setdefault(capture.key, {})[capture] = None
            else:
                self._scan[capture] = None

    def _unindex(self, capture: _Capture) -> None:
        if not capture.shape:
            self._scan.pop(capture, None)
            return
        table = self._shapes[capture.shape].table
        bucket = table[capture.key]
        del bucket[capture]
        if not bucket:
            del table[capture.key]
            if not table:
                del self._shapes[capture.shape]

    def remove(self, listener: "Listener", pattern: Optional[List[Any]] = None) -> None:
        """Drop the listener's captures equal to ``pattern`` (all of them for None)."""
        with self.lock:
            keep = []
            for capture in listener._captures:
                if pattern is None or capture.pattern == pattern:
                    self._unindex(capture)
                else:
                    keep.append(capture)
            listener._captures = keep

    def close(self, listener: "Listener") -> List[Any]:
        """Detach ``listener`` for good; returns the messages still queued in it."""
        with self.lock:
            self.remove(listener)
            listener.closed = True
            return listener._drain()

    # -- delivery ------------------------------------------------------------------------

    def _selected(self, regex: Any, data: Dict[Any, Any]) -> List[Any]:
        """The values of the fields of ``data`` whose names ``regex`` finds (names seen
        before are looked up, not searched again)."""
        hits = self._regex_hits.get(regex)
        if hits is None or len(hits) >= _REGEX_CACHE_LIMIT:
            hits = self._regex_hits[regex] = {}
        found = []
        for name, value in data.items():
            hit = hits.get(name)
            if hit is None:
                hit = hits[name] = isinstance(name, str) and regex.search(name) is not None
            if hit:
                found.append(value)
        return found

    def _values(self, data: Any, path: Tuple[Any, ...], plain: bool) -> Sequence[Any]:
        """What ``data`` holds at ``path`` (several values where a regex selects several)."""
        if plain:
            for key in path:
                if not isinstance(data, dict) or key not in data:
                    return ()
                data = data[key]
            return (data,)
        values = [data]
        for key in path:
            found = []
            for value in values:
                if not isinstance(value, dict):
                    continue
                if _is_regex(key):
                    found.extend(self._selected(key, value))
                elif key in value:
                    found.append(value[key])
            if not found:
                return found
            values = found
        return values

    def _candidates(self, msg: Any) -> Iterable[_Capture]:
        for shape in self._shapes.values():
            columns = []
            for path, plain in shape.paths:
                values = self._values(msg, path, plain)
                if not values:
                    break
                columns.append(values)
            else:
                keys = (tuple(v[0] for v in columns),) if all(len(v) == 1 for v in columns) \
                    else itertools.product(*columns)
                for key in keys:
                    try:
                        bucket = shape.table.get(key)
                    except TypeError:  # an unhashable value at an indexed place
                        continue
                    if bucket:
                        yield from bucket
        yield from self._scan

    def matching(self, msg: Any) -> List["Listener"]:
        """The listeners that want ``msg``, each once."""
        found: Dict[Listener, None] = {}
        with self.lock:
            for capture in self._candidates(msg):
                listener = capture.listener
                if listener in found:
                    continue
                try:
                    if capture.matches(msg):
                        found[listener] = None
                except Exception:
                    log.exception("a capture template failed on a message; taken as no match")
        return list(found)

    def deliver(self, msg: Any) -> int:
        """Queue ``msg`` in every listener that wants it; returns how many."""
        with self.lock:
            listeners = self.matching(msg)
            for listener in listeners:
                self.put(listener, msg)
        return len(listeners)

    def put(self, listener: "Listener", msg: Any) -> None:
        """Queue ``msg`` in ``listener`` (waiting while too many threads are being woken)."""
        with self._wake:
            while self._waking >= self._max_waking:
                self._wake.wait(0.1)
            if listener._waiting and not listener._woken:
                listener._woken = True
                self._waking += 1
        listener._queue.put(msg)

    def _get(self, listener: "Listener", timeout: Optional[float]) -> Any:
        try:
            return listener._queue.get_nowait()  # no waiting, no waking to count
        except queue.Empty:
            pass
        wake = self._wake
        with wake:
            listener._waiting = True
        try:
            return listener._queue.get(timeout=timeout)
        finally:
            with wake:
                listener._waiting = False
                if listener._woken:
                    listener._woken = False
                    self._waking -= 1
                    if self._waking <= self._max_waking // 2:
                        wake.notify()


_STOP = object()  # queued to make Listener.wait() raise StopListening


class Listener:
    """A delegate's inbox: receives the messages matching its captured patterns.

    Get one from ``bot.create_listener()``. Each pattern is a list of templates that must
    all match (see :func:`match`): functions, or dicts whose keys are strings or compiled
    regexes and whose values are data or functions.
    """

    def __init__(self, hub: ListenerHub) -> None:
        self._hub = hub
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._captures: List[_Capture] = []
        self._waiting = False  # blocked in wait() (guarded by the hub's wake condition)
        self._woken = False  # a message was queued while it waited
        self.closed = False

    def capture(self, pattern: Any) -> None:
        """Start capturing messages that match ``pattern`` (a list of templates; a single
        dict or function is taken as a list of one)."""
        if isinstance(pattern, dict) or callable(pattern):
            pattern = [pattern]
        self._hub.add(self, list(pattern))

    def cancel_capture(self, pattern: Any) -> None:
        """Stop capturing ``pattern`` (every capture equal to it)."""
        if isinstance(pattern, dict) or callable(pattern):
            pattern = [pattern]
        self._hub.remove(self, list(pattern))

    def clear_captures(self) -> None:
        """Stop capturing anything."""
        self._hub.remove(self)

    def list_captures(self) -> List[List[Any]]:
        """The captured patterns."""
        return [capture.pattern for capture in self._captures]

    def wait(self, timeout: Optional[float] = None) -> Any:
        """Block until a captured message arrives and return it.

        Raises :class:`~telegrambot.exception.WaitTooLong` after ``timeout`` seconds, and
        :class:`~telegrambot.exception.StopListening` when the bot stops its delegates.
        """
        if not self._captures:
            raise RuntimeError("Listener has nothing to capture")
        try:
            msg = self._hub._get(self, timeout)
        except queue.Empty:
            raise exception.WaitTooLong(timeout)
        if msg is _STOP:
            raise exception.StopListening("the bot is stopping its delegates")
        return msg

    def stop(self) -> None:
        """Make :meth:`wait` raise StopListening once the messages queued so far are taken.

        Like a message, it wakes a waiting delegate only while few others are being woken
        (see :class:`ListenerHub`), so stopping thousands of delegates does not wake them
        all at once."""
        self._hub.put(self, _STOP)

    def close(self) -> None:
        """Detach from the bot: no more messages arrive."""
        self._hub.close(self)

    def _drain(self) -> List[Any]:
        left: List[Any] = []
        while True:
            try:
                msg = self._queue.get_nowait()
            except queue.Empty:
                return left
            if msg is not _STOP:
                left.append(msg)


class Microphone:
    """Broadcasts messages to the listeners of a :class:`ListenerHub`: each listener gets
    the messages it captured (see :class:`Listener`).

    ``SpeakerBot.mic`` is one. Plain queues can be added as well (:meth:`add`); they
    receive every message sent, as telepot's did.
    """

    def __init__(self, hub: Optional[ListenerHub] = None) -> None:
        self._hub = hub if hub is not None else ListenerHub()
        self._queues: Dict[Any, None] = {}
        self._lock = threading.Lock()

    @property
    def hub(self) -> ListenerHub:
        return self._hub

    def listener(self) -> "Listener":
        """A new listener hearing this microphone."""
        return self._hub.listener()

    def add(self, q: Any) -> None:
        """Also put every message sent into the queue ``q`` (anything with ``put_nowait``)."""
        with self._lock:
            self._queues[q] = None

    def remove(self, q: Any) -> None:
        """Stop putting messages into ``q``."""
        with self._lock:
            self._queues.pop(q, None)

    def send(self, msg: Any) -> int:
        """Hand ``msg`` to the listeners that captured it and to every added queue;
        returns how many listeners wanted it."""
        count = self._hub.deliver(msg)
        if self._queues:
            with self._lock:
                queues = list(self._queues)
            for q in queues:
                try:
                    q.put_nowait(msg)
                except queue.Full:
                    log.warning("a queue added to the microphone is full; a message was not put there")
        return count


# ------------------------------------------------------------------ proxies


@functools.cache
def _proxy_specs() -> Dict[str, Dict[str, Tuple[str, str, Optional[int]]]]:
    """For each proxy kind, ``{method name: (api name, bound parameter, position)}``.

    Derived from the method table, so every method of the Bot API version this library
    was generated for is covered:

    - sender: methods named send*/forward*/copy* that take a ``chat_id``;
    - editor: methods that take a ``msg_identifier`` and edit, stop or delete a message;
    - administrator: every other method that takes a ``chat_id``.
    """
    from ._methods import METHODS, Methods

    specs: Dict[str, Dict[str, Tuple[str, str, Optional[int]]]] = {
        "sender": {}, "editor": {}, "administrator": {}}
    for info in METHODS.values():
        params = list(inspect.signature(getattr(Methods, info.name)).parameters.values())[1:]
        positional = [p.name for p in params if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]
        names = {p.name for p in params}
        if "msg_identifier" in names and info.name.startswith(("edit", "stop", "delete")):
            kind, bound = "editor", "msg_identifier"
        elif "chat_id" in names and not info.msg_identifier:
            kind = "sender" if info.name.startswith(("send", "forward", "copy")) else "administrator"
            bound = "chat_id"
        else:
            continue
        position = positional.index(bound) if bound in positional else None
        for name in (info.name, info.alias):
            specs[kind][name] = (info.name, bound, position)
    try:
        from .bot import RENAMED_METHODS
    except ImportError:  # pragma: no cover - older bot module
        RENAMED_METHODS = {}
    for old, new in RENAMED_METHODS.items():
        for table in specs.values():
            if new in table:
                table[old] = table[new]
    return specs


def _bind(method: Callable[..., Any], bound: str, position: Optional[int], value: Any) -> Callable[..., Any]:
    if position is None:
        return functools.partial(method, **{bound: value})
    if position == 0:
        return functools.partial(method, value)

    def call(*args: Any, **kwargs: Any) -> Any:
        return method(*args[:position], value, *args[position:], **kwargs)

    return call


class _Proxy:
    _kind = ""

    def __init__(self, bot: Any, value: Any) -> None:
        self._bot = bot
        self._value = value

    @classmethod
    def method_names(cls) -> FrozenSet[str]:
        """Every method this proxy offers (Bot API names and snake_case aliases)."""
        return frozenset(_proxy_specs()[cls._kind])

    def __getattr__(self, name: str) -> Callable[..., Any]:
        spec = _proxy_specs()[self._kind].get(name) if not name.startswith("_") else None
        if spec is None:
            raise AttributeError(f"{type(self).__name__} has no method {name!r}")
        _, bound, position = spec
        method = _bind(getattr(self._bot, name), bound, position, self._value)
        self.__dict__[name] = method
        return method

    def __dir__(self) -> List[str]:
        return sorted(set(super().__dir__()) | self.method_names())


class Sender(_Proxy):
    """The bot's sending methods with ``chat_id`` filled in: every ``send*``,
    ``forward*`` and ``copy*`` method of the Bot API (https://core.telegram.org/bots/api#available-methods).

    Other arguments are as for the bot's methods, without ``chat_id``.
    """

    _kind = "sender"

    def __init__(self, bot: Any, chat_id: Any) -> None:
        super().__init__(bot, chat_id)


class Administrator(_Proxy):
    """The bot's chat methods other than sending, with ``chat_id`` filled in: members,
    permissions, invite links, join requests, pins, forum topics, title, photo,
    ``getChat*``, ``leaveChat`` and the rest (https://core.telegram.org/bots/api#available-methods)."""

    _kind = "administrator"

    def __init__(self, bot: Any, chat_id: Any) -> None:
        super().__init__(bot, chat_id)


class Editor(_Proxy):
    """The bot's message editing methods with ``msg_identifier`` filled in: every
    ``editMessage*``, ``stopMessageLiveLocation``, ``stopPoll`` and ``deleteMessage``
    (https://core.telegram.org/bots/api#updating-messages).

    ``msg_identifier`` is ``(chat_id, message_id)``, ``(inline_message_id,)``, or a sent
    message (its identifier is taken).
    """

    _kind = "editor"

    def __init__(self, bot: Any, msg_identifier: Any) -> None:
        if isinstance(msg_identifier, dict):
            msg_identifier = message_identifier(msg_identifier)
        super().__init__(bot, msg_identifier)


# ------------------------------------------------------------------ threads

# threading.stack_size() is process-wide: a thread started while another start has it
# changed would get that size. Delegate and Answerer threads start one at a time on this.
_start_lock = threading.Lock()


def _start_thread(thread: Any, stack_size: Optional[int] = None) -> None:
    """Start ``thread``, with a stack of ``stack_size`` bytes if given (the process-wide
    setting is restored right after)."""
    with _start_lock:
        if stack_size is None:
            thread.start()
            return
        previous = threading.stack_size(stack_size)
        try:
            thread.start()
        finally:
            threading.stack_size(previous)


# ------------------------------------------------------------------ answerer


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
    """

    def __init__(self, bot: Any) -> None:
        self._bot = bot
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
            _start_thread(threading.Thread(target=self._work, args=(user, slot),
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
            except Exception:
                log.exception("computing the answer to inline query %s failed", inline_query.get("id"))
                continue
            with slot.lock:
                superseded = slot.latest is not None
            if superseded:
                continue  # drop this answer, compute the newer one
            try:  # outside the lock: a newer query is taken at once, not after this request
                self._send(inline_query["id"], answer)
            except Exception:
                log.exception("answering inline query %s failed", inline_query.get("id"))

    def _send(self, query_id: str, answer: Any) -> None:
        if isinstance(answer, list):
            self._bot.answerInlineQuery(query_id, answer)
        elif isinstance(answer, tuple):
            from ._methods import METHODS

            names = METHODS["answerInlineQuery"].params[2:]
            self._bot.answerInlineQuery(query_id, answer[0], **dict(zip(names, answer[1:])))
        elif isinstance(answer, dict):
            self._bot.answerInlineQuery(query_id, **answer)
        else:
            raise ValueError(f"an answer must be a list, a tuple or a dict, not {type(answer).__name__}")


class AnswererMixin:
    """Gives a delegate an :class:`Answerer` as ``self.answerer``."""

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


# ------------------------------------------------------------------ callback query origins


def _is_callback_query(msg: Any) -> bool:
    try:
        return flavor(msg) == "callback_query"
    except exception.BadFlavor:
        return False


def _origin_pattern(origin: Tuple[Any, ...]) -> List[Any]:
    """The listener pattern for callback queries from ``origin`` (a message identifier)."""
    if len(origin) == 2:
        return [{"message": {"chat": {"id": origin[0]}, "message_id": origin[1]}}, _is_callback_query]
    return [{"inline_message_id": origin[0]}, _is_callback_query]


def _get(obj: Any, key: str) -> Any:
    return obj.get(key) if isinstance(obj, dict) else getattr(obj, key, None)


def _argument_finder(func: Callable[..., Any], name: str, default: Optional[int] = None
                     ) -> Callable[[Tuple[Any, ...], Dict[str, Any]], Any]:
    """A function that picks the argument ``name`` out of a call ``func(*args, **kwargs)``;
    where ``func`` has no such positional parameter, the one at ``default`` (or None)."""
    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):  # no signature to read
        params = []
    positional = [p.name for p in params
                  if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    position = positional.index(name) if name in positional else default

    def find(args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Any:
        if name in kwargs:
            return kwargs[name]
        return args[position] if position is not None and position < len(args) else None

    return find


def _has_callback_data(kwargs: Dict[str, Any]) -> bool:
    keyboard = _get(_get(kwargs, "reply_markup"), "inline_keyboard") or ()
    return any(_get(button, "callback_data") is not None for row in keyboard for button in row)


class _AugmentedBot:
    """The bot as seen by an InterceptCallbackQueryMixin delegate: sending and editing
    methods report the origins they create to the coordinator."""

    def __init__(self, bot: Any, coordinator: "CallbackQueryCoordinator") -> None:
        self._bot = bot
        self._coordinator = coordinator

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._bot, name)
        specs = _proxy_specs()
        if name in specs["sender"]:
            value = self._coordinator.augment_send(value)
        elif name in specs["editor"] and specs["editor"][name][0].startswith(("edit", "stopMessage")):
            value = self._coordinator.augment_edit(value)
        elif name in specs["editor"] and specs["editor"][name][0] == "deleteMessage":
            value = self._coordinator.augment_delete(value)
        else:
            return value
        self.__dict__[name] = value
        return value


class CallbackQueryCoordinator:
    """Keeps a delegate's listener capturing callback queries from the messages it sent.

    :param id: the delegate's id, passed to notifiers.
    :param origin_set: the set of origins (message identifiers) to capture; shared with
        later delegates of the same id. A :class:`telegrambot.core.bounded.LimitedSet`
        (what :class:`InterceptCallbackQueryMixin` uses) keeps the newest origins only: the
        one it pushes out stops being captured (and its notifier is told).
    :param enable_chat: capture origins of chat messages: False, True, or a notifier
        ``notifier(origin, id, adding)`` called on each change.
    :param enable_inline: the same for inline messages.
    """

    def __init__(self, id: Any, origin_set: Any, enable_chat: Any, enable_inline: Any) -> None:
        self._id = id
        self._origin_set = origin_set
        self._listener: Optional[Listener] = None
        self._enable_chat, self._chat_notify = self._dissolve(enable_chat)
        self._enable_inline, self._inline_notify = self._dissolve(enable_inline)

    @staticmethod
    def _dissolve(enable: Any) -> Tuple[bool, Optional[Callable[..., Any]]]:
        if not enable:
            return False, None
        if enable is True:
            return True, None
        if callable(enable):
            return True, enable
        raise ValueError("enable_chat/enable_inline must be a bool or a notifier function")

    def configure(self, listener: Listener) -> None:
        """Make ``listener`` capture callback queries from the origins in the set."""
        self._listener = listener
        for origin in list(self._origin_set):
            listener.capture(_origin_pattern(origin))

    def _rectify(self, msg_identifier: Any) -> Tuple[Tuple[Any, ...], Optional[Callable[..., Any]]]:
        if isinstance(msg_identifier, dict):
            msg_identifier = message_identifier(msg_identifier)
        if isinstance(msg_identifier, tuple):
            if len(msg_identifier) == 2:
                return msg_identifier, self._chat_notify
            if len(msg_identifier) == 1:
                return msg_identifier, self._inline_notify
            raise ValueError(f"not a message identifier: {msg_identifier!r}")
        return (msg_identifier,), self._inline_notify

    def capture_origin(self, msg_identifier: Any, notify: bool = True) -> None:
        """Start capturing callback queries from this message."""
        origin, notifier = self._rectify(msg_identifier)
        if origin not in self._origin_set:
            pushed_out = self._origin_set.add(origin)  # a bounded set drops its oldest
            if self._listener is not None:
                self._listener.capture(_origin_pattern(origin))
            if pushed_out is not None:
                self._forget(pushed_out, notify)
        if notify and notifier:
            notifier(origin, self._id, True)

    def _forget(self, origin: Tuple[Any, ...], notify: bool) -> None:
        """An origin the bounded set pushed out: no longer captured nor mapped."""
        if self._listener is not None:
            self._listener.cancel_capture(_origin_pattern(origin))
        notifier = self._rectify(origin)[1]
        if notify and notifier:
            notifier(origin, self._id, False)

    def uncapture_origin(self, msg_identifier: Any, notify: bool = True) -> None:
        """Stop capturing callback queries from this message."""
        origin, notifier = self._rectify(msg_identifier)
        if origin in self._origin_set:
            self._origin_set.discard(origin)
            if self._listener is not None:
                self._listener.cancel_capture(_origin_pattern(origin))
        if notify and notifier:
            notifier(origin, self._id, False)

    def augment_send(self, send_func: Callable[..., Any]) -> Callable[..., Any]:
        """Wrap a sending method: a sent message whose inline keyboard carries
        ``callback_data`` becomes a captured origin (for a copy, answered with a bare
        MessageId, in the chat the call names)."""
        chat_id = _argument_finder(send_func, "chat_id")

        def augmented(*args: Any, **kwargs: Any) -> Any:
            sent = send_func(*args, **kwargs)
            if self._enable_chat and isinstance(sent, dict) and _has_callback_data(kwargs):
                if "chat" in sent:
                    self.capture_origin(message_identifier(sent))
                elif "message_id" in sent and chat_id(args, kwargs) is not None:
                    self.capture_origin((chat_id(args, kwargs), sent["message_id"]))
            return sent

        return augmented

    def augment_edit(self, edit_func: Callable[..., Any]) -> Callable[..., Any]:
        """Wrap an editing method: an edit that leaves an inline keyboard with
        ``callback_data`` captures the message as origin, one that removes it stops.

        The message is the call's ``msg_identifier`` argument (the first one if
        ``edit_func`` has no parameter of that name)."""
        msg_identifier = _argument_finder(edit_func, "msg_identifier", default=0)

        def augmented(*args: Any, **kwargs: Any) -> Any:
            edited = edit_func(*args, **kwargs)
            if (edited is True and self._enable_inline) or (isinstance(edited, dict) and self._enable_chat):
                if _has_callback_data(kwargs):
                    self.capture_origin(msg_identifier(args, kwargs))
                else:
                    self.uncapture_origin(msg_identifier(args, kwargs))
            return edited

        return augmented

    def augment_delete(self, delete_func: Callable[..., Any]) -> Callable[..., Any]:
        """Wrap ``deleteMessage``: a deleted message stops being a captured origin."""
        msg_identifier = _argument_finder(delete_func, "msg_identifier", default=0)

        def augmented(*args: Any, **kwargs: Any) -> Any:
            deleted = delete_func(*args, **kwargs)
            if deleted is True and self._enable_chat:
                self.uncapture_origin(msg_identifier(args, kwargs))
            return deleted

        return augmented

    def augment_on_message(self, handler: Callable[[Any], Any]) -> Callable[[Any], Any]:
        """Wrap ``on_message``: a chosen inline result with an ``inline_message_id``
        becomes a captured origin."""

        def augmented(msg: Any) -> Any:
            if self._enable_inline and "inline_message_id" in msg and "result_id" in msg:
                self.capture_origin(msg["inline_message_id"])
            return handler(msg)

        return augmented

    def augment_bot(self, bot: Any) -> Any:
        """A proxy of ``bot`` whose sending methods go through :meth:`augment_send` and
        editing methods through :meth:`augment_edit`; everything else is the bot's."""
        return _AugmentedBot(bot, self)


class SafeDict(dict):
    """A dict whose item access, assignment and deletion are guarded by a lock."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lock = threading.RLock()

    def _locked(name: str) -> Callable[..., Any]:  # type: ignore[misc]
        method = getattr(dict, name)

        @functools.wraps(method)
        def locked(self: "SafeDict", *args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return method(self, *args, **kwargs)

        return locked

    __getitem__ = _locked("__getitem__")
    __setitem__ = _locked("__setitem__")
    __delitem__ = _locked("__delitem__")
    get = _locked("get")
    pop = _locked("pop")
    setdefault = _locked("setdefault")
    update = _locked("update")
    del _locked


#: Most origins (messages with buttons) one delegate's InterceptCallbackQueryMixin
#: captures; capturing one more forgets the oldest.
MAX_ORIGINS_PER_DELEGATE = 1000
#: Most delegates whose origins are kept for their successors once they closed.
MAX_ORIGIN_SETS = 10_000

# (delegate class, id) -> origin set, kept across successive delegates (the least recently
# used beyond MAX_ORIGIN_SETS forgotten); guarded by its lock
_cqc_origins = LimitedDict(MAX_ORIGIN_SETS)
_cqc_lock = threading.Lock()


class InterceptCallbackQueryMixin:
    """Captures callback queries from the messages this delegate sends or edits.

    ``self.bot`` becomes a proxy whose sending and editing methods tell a
    :class:`CallbackQueryCoordinator` which messages carry callback buttons; the original
    bot stays available as ``self._InterceptCallbackQueryMixin__bot``.

    :param intercept_callback_query: ``(enable_chat, enable_inline)``, or one value for
        both (see :class:`CallbackQueryCoordinator`).
    """

    if TYPE_CHECKING:  # provided by the delegate class this is mixed into
        id: Any
        _bot: Any
        on_message: Callable[[Any], Any]
        on_close: Callable[[BaseException], Any]

        @property
        def listener(self) -> Listener: ...

    def __init__(self, intercept_callback_query: Any, *args: Any, **kwargs: Any) -> None:
        self.__origins_key = key = (type(self), self.id)
        with _cqc_lock:
            origin_set = _cqc_origins.get(key)
            if origin_set is None:
                origin_set = LimitedSet(MAX_ORIGINS_PER_DELEGATE)
            _cqc_origins[key] = origin_set  # the most recently used
        if isinstance(intercept_callback_query, tuple):
            enable = intercept_callback_query
        else:
            enable = (intercept_callback_query,) * 2
        cqc = self._callback_query_coordinator = self.CallbackQueryCoordinator(self.id, origin_set, *enable)
        cqc.configure(self.listener)
        self.__bot = self._bot
        self._bot = cqc.augment_bot(self._bot)
        self.on_message = cqc.augment_on_message(self.on_message)
        on_close = self.on_close

        def closing(ex: BaseException) -> Any:
            with _cqc_lock:
                if not _cqc_origins.get(self.__origins_key, True):
                    del _cqc_origins[self.__origins_key]
            return on_close(ex)

        self.on_close = closing
        super().__init__(*args, **kwargs)

    @property
    def callback_query_coordinator(self) -> CallbackQueryCoordinator:
        return self._callback_query_coordinator

    # after the property: in the class body the name means this attribute, not the class
    CallbackQueryCoordinator: Type[CallbackQueryCoordinator] = CallbackQueryCoordinator


# ------------------------------------------------------------------ idle timeout and events


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
    """Installs an :class:`IdleEventCoordinator`; ``on__idle`` raises
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


_EVENT_KEY = re.compile("^_.+")


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
        listener.capture([{_EVENT_KEY: {"source": {"space": self._event_space, "id": self._source_id}}}])

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
    """Gives a delegate a :class:`StandardEventScheduler` as ``self.scheduler``.

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


# ------------------------------------------------------------------ contexts


class ListenerContext:
    """A delegate's bot, id and listener (created from ``bot.create_listener()``)."""

    def __init__(self, bot: Any, context_id: Any, *args: Any, **kwargs: Any) -> None:
        self._bot = bot
        self._id = context_id
        self._listener = bot.create_listener()
        super().__init__(*args, **kwargs)

    @property
    def bot(self) -> Any:
        """The bot (or a proxy of it, see :class:`InterceptCallbackQueryMixin`)."""
        return self._bot

    @property
    def id(self) -> Any:
        return self._id

    @property
    def listener(self) -> Listener:
        return self._listener


class ChatContext(ListenerContext):
    """A context for one chat: ``chat_id``, ``sender`` and ``administrator``."""

    @property
    def chat_id(self) -> Any:
        return self._id

    @functools.cached_property
    def sender(self) -> Sender:
        """A :class:`Sender` to this chat (made on first use)."""
        return Sender(self.bot, self._id)

    @functools.cached_property
    def administrator(self) -> Administrator:
        """An :class:`Administrator` of this chat (made on first use)."""
        return Administrator(self.bot, self._id)


class UserContext(ListenerContext):
    """A context for one user: ``user_id`` and a ``sender`` to their private chat."""

    @property
    def user_id(self) -> Any:
        return self._id

    @functools.cached_property
    def sender(self) -> Sender:
        """A :class:`Sender` to the user's private chat (made on first use)."""
        return Sender(self.bot, self._id)


class CallbackQueryOriginContext(ListenerContext):
    """A context for the message callback queries come from: ``origin`` and an ``editor``."""

    @property
    def origin(self) -> Any:
        """The origin's message identifier."""
        return self._id

    @functools.cached_property
    def editor(self) -> Editor:
        """An :class:`Editor` of the origin (made on first use)."""
        return Editor(self.bot, self._id)


class InvoiceContext(ListenerContext):
    """A context for one invoice, identified by its ``payload``."""

    @property
    def payload(self) -> Any:
        """The invoice payload (the ``payload`` given to ``sendInvoice``)."""
        return self._id


def openable(cls: type) -> type:
    """Class decorator: add what :func:`telegrambot.delegate.create_open` needs and the
    class lacks: ``open(initial_msg, seed)``, ``on_message(msg)``, ``on_close(ex)``,
    ``close(ex=None)`` and a ``listener`` property."""

    def open(self: Any, initial_msg: Any, seed: Any) -> Any:
        return None

    def on_message(self: Any, msg: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__}.on_message() is not defined")

    def on_close(self: Any, ex: BaseException) -> None:
        normal = isinstance(ex, (exception.IdleTerminate, exception.StopListening))
        log.log(logging.DEBUG if normal else logging.ERROR,
                "%s closed: %s: %s", type(self).__name__, type(ex).__name__, ex)

    def close(self: Any, ex: Optional[BaseException] = None) -> None:
        raise ex if ex else exception.StopListening()

    def listener(self: Any) -> Listener:
        raise NotImplementedError(f"{type(self).__name__} has no listener")

    for name, value in (("open", open), ("on_message", on_message), ("on_close", on_close),
                        ("close", close), ("listener", property(listener))):
        if getattr(cls, name, None) is None:
            setattr(cls, name, value)
    return cls


# ------------------------------------------------------------------ routing


class Router:
    """Maps a message to a handler: ``key_function(msg)`` gives a key to look up in
    ``routing_table``.

    The key function returns a key, or ``(key,)``, ``(key, args)`` or
    ``(key, args, kwargs)``: the extras are passed to the handler after the message. The
    table key ``None`` is the default handler, used for keys the table lacks.
    """

    def __init__(self, key_function: Callable[[Any], Any], routing_table: Dict[Any, Any]) -> None:
        self.key_function = key_function
        self.routing_table = routing_table

    def map(self, msg: Any) -> Any:
        """The table entry for ``msg`` (KeyError when there is none; no default)."""
        k = self.key_function(msg)
        key = k[0] if isinstance(k, (tuple, list)) else k
        return self.routing_table[key]

    def route(self, msg: Any, *aa: Any, **kw: Any) -> Any:
        """Call the handler for ``msg`` and return what it returns (``*aa`` and ``**kw``
        are ignored: they let a router's ``route`` be another router's handler)."""
        k = self.key_function(msg)
        args: Sequence[Any] = ()
        kwargs: Dict[str, Any] = {}
        if isinstance(k, (tuple, list)):
            if not 1 <= len(k) <= 3:
                raise ValueError("a key function must return key, (key,), (key, args) or "
                                 f"(key, args, kwargs), not {k!r}")
            key = k[0]
            if len(k) > 1:
                args = k[1]
            if len(k) > 2:
                kwargs = k[2]
        else:
            key = k
        try:
            fn = self.routing_table[key]
        except KeyError:
            if None not in self.routing_table:
                raise RuntimeError(f"No handler for key: {key!r}, and default handler not defined")
            fn = self.routing_table[None]
        return fn(msg, *args, **kwargs)


def flavor_router(routing_table: Dict[Any, Callable[..., Any]]) -> Callable[..., Any]:
    """A function routing a message by its flavor through ``routing_table``
    (``{'chat': fn, 'callback_query': fn2, None: default}``): the ``route`` of a
    :class:`Router` keyed by :func:`telegrambot.flavor`."""
    return Router(flavor, routing_table).route


def _flavor_or_none(msg: Any) -> Optional[str]:
    """The flavor of ``msg``, or None for an object of no known shape."""
    try:
        return flavor(msg)
    except exception.BadFlavor:
        return None


def _ignore_unknown(owner: Any, msg: Any) -> None:
    log.warning("%s received an object of no known flavor; ignored: %.200r",
                type(owner).__name__, msg)


class _FlavorTable(dict):
    """Routing table of the default router: flavor ``f`` goes to the owner's
    ``on_<f>`` method (see :func:`telegrambot._flavor.handler_names`), looked up when a
    message arrives, so a method may be added later. A flavor the owner has no method
    for is ignored with a DEBUG log line; the owner carries on. Entries are made on
    first use; the key None (an object of no known flavor) is ignored with a warning."""

    def __init__(self, owner: Any) -> None:
        super().__init__()
        self._owner = owner
        self._made: Dict[Any, Callable[[Any], Any]] = {}

    def __missing__(self, key: Any) -> Callable[[Any], Any]:
        if not isinstance(key, str):
            if key is not None:
                raise KeyError(key)
            handler: Callable[[Any], Any] = functools.partial(_ignore_unknown, self._owner)
        else:
            handler = _flavor_handler(self._owner, key)
        self[key] = self._made[key] = handler
        return handler

    def custom_keys(self) -> List[Any]:
        """The keys whose entries were set from outside (not made by the table)."""
        return [key for key, value in self.items() if self._made.get(key) is not value]

    def __contains__(self, key: Any) -> bool:
        return dict.__contains__(self, key) or isinstance(key, str) or key is None


def _flavor_handler(owner: Any, key: str) -> Callable[[Any], Any]:
    names = handler_names(key)

    def handler(msg: Any) -> Any:
        for name in names:
            method = getattr(owner, name, None)
            if method is not None:
                return method(msg)
        log.debug("%s has no %s(): %s ignored", type(owner).__name__, names[0], key)
        return None

    return handler


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
        self._router = Router(_flavor_or_none, _FlavorTable(self))
        super().__init__(*args, **kwargs)

    @property
    def router(self) -> Router:
        return self._router

    def on_message(self, msg: Any) -> Any:
        """Route ``msg`` to its handler."""
        return self._router.route(msg)


# ------------------------------------------------------------------ handlers


def _flavor_in(flavors: Sequence[str]) -> Callable[[Any], bool]:
    def check(msg: Any) -> bool:
        try:
            return flavor(msg) in flavors
        except exception.BadFlavor:
            return False

    return check


@openable
class Monitor(ListenerContext, DefaultRouterMixin):
    """A delegate that never times out, for background work; pairs with
    :func:`telegrambot.delegate.per_application`.

    :param capture: a list of patterns for the listener to capture.
    """

    def __init__(self, seed_tuple: Tuple[Any, Any, Any], capture: Iterable[Any], **kwargs: Any) -> None:
        bot, initial_msg, seed = seed_tuple
        super().__init__(bot, seed, **kwargs)
        for pattern in capture:
            self.listener.capture(pattern)


@openable
class ChatHandler(ChatContext, DefaultRouterMixin, StandardEventMixin, IdleTerminateMixin):
    """A delegate for one chat (seed: the chat id, see
    :func:`telegrambot.delegate.per_chat_id`).

    :param include_callback_query: also capture callback queries from this chat's messages.
    :param timeout: idle seconds before closing. ``event_space`` comes from
        :func:`telegrambot.delegate.pave_event_space`.
    """

    def __init__(self, seed_tuple: Tuple[Any, Any, Any], include_callback_query: bool = False,
                 **kwargs: Any) -> None:
        bot, initial_msg, seed = seed_tuple
        super().__init__(bot, seed, **kwargs)
        self.listener.capture([{"chat": {"id": self.chat_id}}])
        if include_callback_query:
            self.listener.capture([{"message": {"chat": {"id": self.chat_id}}}, _is_callback_query])


@openable
class UserHandler(UserContext, DefaultRouterMixin, StandardEventMixin, IdleTerminateMixin):
    """A delegate for one user's actions (seed: the user id, see
    :func:`telegrambot.delegate.per_from_id`).

    :param flavors: the flavors to capture, or ``'all'``.
    :param include_callback_query: also capture callback queries from the user's private chat.
    """

    def __init__(self, seed_tuple: Tuple[Any, Any, Any], include_callback_query: bool = False,
                 flavors: Any = chat_flavors + inline_flavors, **kwargs: Any) -> None:
        bot, initial_msg, seed = seed_tuple
        super().__init__(bot, seed, **kwargs)
        if flavors == "all":
            self.listener.capture([{"from": {"id": self.user_id}}])
        else:
            self.listener.capture([{"from": {"id": self.user_id}}, _flavor_in(tuple(flavors))])
        if include_callback_query:
            self.listener.capture([{"message": {"chat": {"id": self.user_id}}}, _is_callback_query])


class InlineUserHandler(UserHandler):
    """A delegate for one user's inline queries and chosen inline results."""

    def __init__(self, seed_tuple: Tuple[Any, Any, Any], **kwargs: Any) -> None:
        super().__init__(seed_tuple, flavors=inline_flavors, **kwargs)


@openable
class CallbackQueryOriginHandler(CallbackQueryOriginContext, DefaultRouterMixin,
                                 StandardEventMixin, IdleTerminateMixin):
    """A delegate for the callback queries from one message (seed: its identifier, see
    :func:`telegrambot.delegate.per_callback_query_origin`)."""

    def __init__(self, seed_tuple: Tuple[Any, Any, Any], **kwargs: Any) -> None:
        bot, initial_msg, seed = seed_tuple
        super().__init__(bot, seed, **kwargs)
        self.listener.capture(_origin_pattern(tuple(self.origin)))


_PAYMENT_QUERY = _flavor_in(("shipping_query", "pre_checkout_query"))


@openable
class InvoiceHandler(InvoiceContext, DefaultRouterMixin, StandardEventMixin, IdleTerminateMixin):
    """A delegate for one invoice (seed: its payload, see
    :func:`telegrambot.delegate.per_invoice_payload`): it receives the shipping queries
    and pre-checkout queries for the invoice (``on_shipping_query``,
    ``on_pre_checkout_query``) and the message reporting its successful payment, or a
    refund, (``on_chat_message``).
    """

    def __init__(self, seed_tuple: Tuple[Any, Any, Any], **kwargs: Any) -> None:
        bot, initial_msg, seed = seed_tuple
        super().__init__(bot, seed, **kwargs)
        self.listener.capture([{"invoice_payload": self.payload}, _PAYMENT_QUERY])
        self.listener.capture([{"successful_payment": {"invoice_payload": self.payload}}])
        self.listener.capture([{"refunded_payment": {"invoice_payload": self.payload}}])

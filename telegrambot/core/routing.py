"""Routing: a message to its handler, by a key the message gives. No I/O: a router calls
the handler it finds and returns what that returns (a coroutine, for an async handler, which
the async runtime awaits), so both runtimes use these as they are.

A :class:`Router` looks ``key_function(msg)`` up in a routing table. A *key function*
takes a message and returns what the router looks up: a key, or a tuple ``(key,)``,
``(key, args)`` or ``(key, args, kwargs)`` whose extras are passed on to the handler. A
*routing table* is a plain dict ``{key: handler}``; the key ``None`` is the default
handler. A :class:`FlavorTable` is the table of a default router: flavor ``f`` to the
owner's ``on_<f>`` method.

Key functions that find nothing to route on (no text, no command prefix, no regex match)
return the 1-tuple ``((None,),)``: the key ``(None,)``, which a table may map like any
other key and which, unlike ``None``, is not the default.
"""

import re
from typing import Any, Callable, Dict, Iterable, List, Optional, Pattern, Sequence, Tuple, Union

from ..exception import BadFlavor
from .flavor import all_content_types, content_type, flavor, handler_names

__all__ = [
    "NO_KEY",
    "Router",
    "flavor_router",
    "flavor_or_none",
    "FlavorTable",
    "by_content_type",
    "by_command",
    "by_chat_command",
    "by_text",
    "by_data",
    "by_regex",
    "process_key",
    "lower_key",
    "upper_key",
    "make_routing_table",
    "make_content_type_routing_table",
]

KeyFunction = Callable[[Any], Any]

#: What a key function returns when it finds nothing to route on.
NO_KEY = ((None,),)


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


def flavor_or_none(msg: Any) -> Optional[str]:
    """The flavor of ``msg``, or None for an object of no known shape (the key function
    of a default router)."""
    try:
        return flavor(msg)
    except BadFlavor:
        return None


class FlavorTable(dict):
    """Routing table of a default router: flavor ``f`` goes to the owner's ``on_<f>``
    method (see :func:`telegrambot.core.flavor.handler_names`), looked up when a message
    arrives, so a method may be added later. Entries are made on first use; the key None
    stands for an object of no known flavor.

    A flavor the owner has no method for, and an object of no known flavor, are ignored:
    the handler returns None after calling :meth:`unhandled` or :meth:`unknown`, which do
    nothing here (a runtime's subclass logs them).
    """

    def __init__(self, owner: Any) -> None:
        super().__init__()
        self._owner = owner
        self._made: Dict[Any, Callable[[Any], Any]] = {}

    def __missing__(self, key: Any) -> Callable[[Any], Any]:
        if not isinstance(key, str):
            if key is not None:
                raise KeyError(key)
            handler: Callable[[Any], Any] = self.unknown
        else:
            handler = self._handler(key)
        self[key] = self._made[key] = handler
        return handler

    def _handler(self, key: str) -> Callable[[Any], Any]:
        table, names = self, handler_names(key)  # three cells a handler, as few as can be

        def handler(msg: Any) -> Any:
            for name in names:
                method = getattr(table._owner, name, None)
                if method is not None:
                    return method(msg)
            table.unhandled(key, names)
            return None

        return handler

    def custom_keys(self) -> List[Any]:
        """The keys whose entries were set from outside (not made by the table)."""
        return [key for key, value in self.items() if self._made.get(key) is not value]

    def __contains__(self, key: Any) -> bool:
        return dict.__contains__(self, key) or isinstance(key, str) or key is None

    @property
    def owner(self) -> Any:
        """Whose methods the table routes to."""
        return self._owner

    def unknown(self, msg: Any) -> None:
        """Called with an object of no known flavor (which is then ignored)."""

    def unhandled(self, flavor: str, names: Tuple[str, ...]) -> None:
        """Called when the owner has none of the methods ``names`` for ``flavor``."""


def by_content_type() -> KeyFunction:
    """Key: the message's content type; argument: that content (``msg[content_type]``)."""

    def key(msg: Dict[str, Any]) -> Any:
        kind = content_type(msg)
        return kind, (msg[kind] if kind is not None else None,)

    return key


def _bot_username(username: Union[str, Callable[[], str], None]) -> Callable[[], Optional[str]]:
    """A function giving the bot's username in lower case without ``@`` (None when not
    given); a callable ``username`` is called once, when first needed."""
    if username is None or isinstance(username, str):
        fixed = username.lstrip("@").lower() if username else None
        return lambda: fixed
    if not callable(username):
        raise TypeError("username must be the bot's username (a str) or a function returning "
                        "it, not %s" % type(username).__name__)
    learned: List[str] = []

    def get() -> Optional[str]:
        if not learned:
            name = username()
            if not isinstance(name, str) or not name.lstrip("@"):
                raise ValueError("the username function returned %r, not a username" % (name,))
            learned.append(name.lstrip("@").lower())
        return learned[0]

    return get


def by_command(
    extractor: Callable[[Any], Optional[str]],
    prefix: Union[str, Sequence[str]] = ("/",),
    separator: str = " ",
    pass_args: bool = False,
    *,
    username: Union[str, Callable[[], str], None] = None,
) -> KeyFunction:
    """Key: the command at the head of ``extractor(msg)`` (the text after a ``prefix``, up
    to ``separator``). With ``pass_args`` the words after it are passed as one list
    argument. Text without a prefix, or no text at all (``extractor`` returned None), gives
    the key ``(None,)``.

    A command may name the bot it is for: ``/start@NameBot``. The name is not part of the
    key. With ``username`` (this bot's username, or a function returning it, called once
    when first needed: ``username=lambda: bot.getMe()["username"]``), a command naming
    another bot gives the key ``(None,)``, as text that is no command for this bot. Without
    ``username``, a command naming any bot is taken as this bot's; that is right when the
    bot sees only the commands meant for it (Telegram's default privacy mode in groups).
    """
    prefixes = (prefix,) if isinstance(prefix, str) else tuple(prefix)
    bot_username = _bot_username(username)

    def key(msg: Any) -> Any:
        text = extractor(msg)
        if not isinstance(text, str):
            return NO_KEY
        for head in prefixes:
            if text.startswith(head):
                words = text[len(head):].split(separator)
                command, at, addressee = words[0].partition("@")
                if at and addressee:
                    mine = bot_username()
                    if mine is not None and addressee.lower() != mine:
                        return NO_KEY  # a command for another bot
                    words[0] = command
                return words[0], ((words[1:],) if pass_args else ())
        return NO_KEY

    return key


def by_chat_command(
    prefix: Union[str, Sequence[str]] = ("/",),
    separator: str = " ",
    pass_args: bool = False,
    *,
    username: Union[str, Callable[[], str], None] = None,
) -> KeyFunction:
    """:func:`by_command` on a chat message's ``text``: ``/start``, ``/start@NameBot``.

    Commands are read from ``text`` only: a message without text (a photo, even with a
    caption) gives the key ``(None,)``. See :func:`by_command` for ``username``.
    """
    return by_command(_text, prefix, separator, pass_args, username=username)


def _text(msg: Any) -> Optional[str]:
    return msg.get("text")


def by_text() -> KeyFunction:
    """Key: the message's ``text``; a message without text gives the key ``(None,)``."""
    return lambda msg: msg.get("text", NO_KEY)


def by_data() -> KeyFunction:
    """Key: a callback query's ``data``; a query without data (a game's) gives the key
    ``(None,)``."""
    return lambda msg: msg.get("data", NO_KEY)


def by_regex(
    extractor: Callable[[Any], str], regex: Union[str, Pattern[str]], key: Any = 1
) -> KeyFunction:
    """Key: ``match.group(key)`` of the first match of ``regex`` in ``extractor(msg)``
    (``key`` may be a tuple of groups); argument: the match object. No match, or no text
    (``extractor`` returned None), gives the key ``(None,)``."""
    pattern = re.compile(regex) if isinstance(regex, str) else regex
    groups = key if isinstance(key, tuple) else (key,)

    def key_function(msg: Any) -> Any:
        text = extractor(msg)
        if not isinstance(text, str):
            return NO_KEY
        match = pattern.search(text)
        if match is None:
            return NO_KEY
        return match.group(*groups), (match,)

    return key_function


def process_key(processor: Callable[[Any], Any], fn: KeyFunction) -> KeyFunction:
    """Wrap the key function ``fn`` so that ``processor`` transforms the key it returns
    (extra arguments pass through unchanged)."""

    def key(*args: Any, **kwargs: Any) -> Any:
        k = fn(*args, **kwargs)
        if isinstance(k, (tuple, list)):
            return (processor(k[0]),) + tuple(k[1:])
        return processor(k)

    return key


def _string_method(name: str) -> Callable[[Any], Any]:
    def apply(key: Any) -> Any:
        method = getattr(key, name, None)
        return method() if callable(method) else key

    return apply


def lower_key(fn: KeyFunction) -> KeyFunction:
    """Wrap ``fn`` so that string keys come out in lower case."""
    return process_key(_string_method("lower"), fn)


def upper_key(fn: KeyFunction) -> KeyFunction:
    """Wrap ``fn`` so that string keys come out in upper case."""
    return process_key(_string_method("upper"), fn)


def _late_method(obj: Any, name: str) -> Callable[..., Any]:
    # looked up at call time: ``obj`` need only define the handlers it uses
    return lambda *args, **kwargs: getattr(obj, name)(*args, **kwargs)


def make_routing_table(obj: Any, keys: Iterable[Any], prefix: str = "on_") -> Dict[Any, Any]:
    """``{key: obj.<prefix><key>}`` for each key, each method looked up when called.

    A key may also be a 1-tuple ``(key,)`` (same as ``key``) or a 2-tuple
    ``(key, handler)`` used as it is.
    """
    table: Dict[Any, Any] = {}
    for k in keys:
        if isinstance(k, tuple):
            if len(k) == 2:
                table[k[0]] = k[1]
                continue
            if len(k) != 1:
                raise ValueError(f"a routing table key must be key, (key,) or (key, handler): {k!r}")
            k = k[0]
        table[k] = _late_method(obj, prefix + k)
    return table


def make_content_type_routing_table(obj: Any, prefix: str = "on_") -> Dict[Any, Any]:
    """A routing table over every content type of the Bot API: ``{'text': obj.on_text,
    'photo': obj.on_photo, ...}``; pair it with :func:`by_content_type`."""
    return make_routing_table(obj, all_content_types, prefix)

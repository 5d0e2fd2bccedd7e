"""Conversations as data: which step method a message is for, and where a step leads.

A conversation's position is a stack of state names (a list of str, so it can live in a
delegate's JSON ``state``): empty when no conversation runs, one name at the top level,
more in a nested conversation. Step methods are declared with :func:`route` (the
decorators of :mod:`telegrambot.conversation` call it) and collected per class by
:func:`routes_of`; :func:`pick` chooses the route for a message and :func:`advance` applies
what the step returned. No I/O, no clock: the caller passes the time where it matters.
"""

import re
from typing import Any, Callable, Dict, Iterable, List, NamedTuple, Optional, Sequence, Tuple, Union

from .flavor import flavor as flavor_of

__all__ = [
    "END", "Pop", "Push", "Route", "advance", "expired", "matcher", "pick", "route", "routes_of",
]


class _End:
    __slots__ = ()

    def __repr__(self) -> str:
        return "END"


#: What a step returns to end the whole conversation (every level of it).
END = _End()


class Push:
    """What a step returns to enter a nested conversation at ``state``; the current
    level stays underneath, where :class:`Pop` returns."""

    __slots__ = ("state",)

    def __init__(self, state: str) -> None:
        self.state = _checked(state)

    def __repr__(self) -> str:
        return "Push(%r)" % self.state


class Pop:
    """What a step returns to leave a nested conversation: back to the level underneath,
    in ``state`` if given (else where that level was). Leaving the top level ends the
    conversation."""

    __slots__ = ("state",)

    def __init__(self, state: Optional[str] = None) -> None:
        self.state = None if state is None else _checked(state)

    def __repr__(self) -> str:
        return "Pop(%r)" % (self.state,)


def _checked(state: Any) -> str:
    if not isinstance(state, str) or not state:
        raise TypeError("a conversation state is a non-empty str, not %r" % (state,))
    return state


Matcher = Callable[[Any], bool]


class Route(NamedTuple):
    """One way into a step method: ``kind`` is ``'entry'`` (starts a conversation),
    ``'step'`` (in one of ``states``), ``'fallback'`` (in any state, or those of
    ``states``) or ``'timeout'``; ``match`` tells whether a message is for it; ``name``
    is the method's name."""

    kind: str
    states: Optional[Tuple[str, ...]]
    match: Matcher
    name: str


_ROUTES = "_conversation_routes"


def _command(msg: Any) -> Optional[str]:
    text = msg.get("text") if isinstance(msg, dict) else None
    if not isinstance(text, str) or not text.startswith("/"):
        return None
    return text[1:].split(None, 1)[0].split("@", 1)[0] if len(text) > 1 else ""


def matcher(flavor: Optional[str] = None, *, command: Union[None, str, Iterable[str]] = None,
            text: Union[None, bool, str] = None, content: Union[None, str, Iterable[str]] = None,
            data: Any = None, when: Optional[Matcher] = None) -> Matcher:
    """A test of a message from what a step takes; all given conditions must hold.

    - ``flavor``: ``'chat'`` (messages; the default unless ``data`` is given) or
      ``'callback_query'`` (the default with ``data``), or another flavor;
    - ``command``: the bot command (``'start'`` for ``/start`` or ``/start@bot ...``), or
      several;
    - ``text``: True for any text that is not a command, or a regular expression the text
      must match (``re.search``);
    - ``content``: the content type (``'photo'``, ``'location'``, ...) or several;
    - ``data``: a callback query's data: a regular expression for string data, a
      function of the data, or any other value to compare with ``==`` (arbitrary callback
      data);
    - ``when``: a function of the message, for anything else.
    """
    if flavor is None:
        flavor = "callback_query" if data is not None else "chat"
    commands = None
    if command is not None:
        commands = frozenset([command] if isinstance(command, str) else command)
        if any(c.startswith("/") for c in commands):
            raise ValueError("command names go without the slash: 'start', not '/start'")
    contents = None
    if content is not None:
        contents = frozenset([content] if isinstance(content, str) else content)
    pattern = re.compile(text) if isinstance(text, str) else None
    data_test: Optional[Matcher] = None
    if isinstance(data, str):
        data_pattern = re.compile(data)
        data_test = lambda d: isinstance(d, str) and data_pattern.search(d) is not None  # noqa: E731
    elif callable(data):
        data_test = data
    elif data is not None:
        data_test = lambda d: d == data  # noqa: E731

    def match(msg: Any) -> bool:
        try:
            if flavor_of(msg) != flavor:
                return False
        except Exception:
            return False
        if commands is not None and _command(msg) not in commands:
            return False
        if text is not None:
            value = msg.get("text")
            if not isinstance(value, str):
                return False
            if pattern is None:
                if text and value.startswith("/"):
                    return False
            elif pattern.search(value) is None:
                return False
        if contents is not None and not any(c in msg for c in contents):
            return False
        if data_test is not None and not data_test(msg.get("data")):
            return False
        return when is None or bool(when(msg))

    return match


def route(fn: Callable[..., Any], kind: str, states: Optional[Sequence[str]], match: Matcher) -> Callable[..., Any]:
    """Record on ``fn`` a way into it (see :class:`Route`); returns ``fn``."""
    if states is not None:
        states = tuple(_checked(s) for s in states)
    routes = list(getattr(fn, _ROUTES, ()))
    routes.insert(0, Route(kind, states, match, fn.__name__))  # decorators apply bottom-up
    setattr(fn, _ROUTES, routes)
    return fn


def routes_of(cls: type) -> List[Route]:
    """The routes declared by a class and its bases, in the order they were written (a
    base's first); a method overridden without decorators has none."""
    seen: Dict[str, List[Route]] = {}
    for klass in reversed(cls.__mro__):
        for name, value in vars(klass).items():
            found = getattr(value, _ROUTES, None)
            if found is not None:
                seen.pop(name, None)
                seen[name] = [r._replace(name=name) for r in found]
            elif name in seen and callable(value):
                del seen[name]
    return [r for routes in seen.values() for r in routes]


def pick(routes: Sequence[Route], stack: Sequence[str], msg: Any,
         allow_reentry: bool = False) -> Optional[Route]:
    """The route a message takes: with no conversation, the first entry point that
    matches; in one, the first step of the current state (the top of ``stack``) that
    matches, else the first fallback for that state, else (``allow_reentry``) an entry
    point. None: the message is not the conversation's."""
    if not stack:
        return _first(routes, msg, "entry", None)
    top = stack[-1]
    found = _first(routes, msg, "step", top) or _first(routes, msg, "fallback", top)
    if found is None and allow_reentry:
        found = _first(routes, msg, "entry", None)
    return found


def _first(routes: Sequence[Route], msg: Any, kind: str, state: Optional[str]) -> Optional[Route]:
    for r in routes:
        if r.kind != kind:
            continue
        if state is not None and r.states is not None and state not in r.states:
            continue
        if r.match(msg):
            return r
    return None


def advance(stack: Sequence[str], result: Any, *, entered: bool = False) -> List[str]:
    """The stack after a step returned ``result``: a state name moves the current level
    there (``entered``: an entry point, which starts the conversation afresh), None stays,
    :data:`END` ends it all, :class:`Push` and :class:`Pop` enter and leave a nested
    level. Anything else is a TypeError naming what a step may return."""
    stack = [] if entered else list(stack)
    if result is None:
        return stack
    if result is END:
        return []
    if isinstance(result, str):
        return stack[:-1] + [_checked(result)]
    if isinstance(result, Push):
        return stack + [result.state]
    if isinstance(result, Pop):
        stack = stack[:-1]
        if stack and result.state is not None:
            stack[-1] = result.state
        return stack
    raise TypeError("a conversation step returns the next state's name, END, Push(state), "
                    "Pop() or None (stay), not %r" % (result,))


def expired(deadline: Any, now: float) -> bool:
    """Has a conversation whose deadline is ``deadline`` (a time, or None) timed out?"""
    return isinstance(deadline, (int, float)) and now >= deadline

"""The delegate table of a ``DelegatorBot``: which seed has a live delegate, when a message
starts one, and where the messages an ended delegate left go. No thread, no lock, no clock.

:class:`DelegateTable` makes every decision; a runtime subclasses it and supplies
:meth:`~DelegateTable._launch` (make the delegate and start it: a thread, a task) and
:meth:`~DelegateTable._failed` (report an error; called in an ``except`` block), calls
:meth:`~DelegateTable.offer` with each message once its hub has delivered it, and
:meth:`~DelegateTable.retire` when a delegate it started ends. The runtime holds its lock
around every call. The hub is the runtime's listener hub: ``matching(msg)``,
``put(listener, msg)`` and ``close(listener)`` (which returns what was still queued).

The rules:

- a seed of None starts nothing; a hashable seed has at most one live delegate; an
  unhashable one starts a delegate for every message;
- an ``_idle`` event never starts a delegate (it only concerns the one that scheduled it),
  nor does anything while the table is stopping;
- when a delegate ends, the messages still queued for it go to its successor for the same
  seed, started for them if need be, so none is lost to a closing delegate; a message it
  had captured for another seed is left alone (that seed's delegate had it from the hub);
- delegates of the caller's own kind (objects with ``start()`` and ``is_alive()`` that the
  runtime cannot watch) are checked as their number doubles, and retired once ended.
"""

from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from .flavor import is_event

__all__ = ["Delegate", "Pattern", "DelegateTable", "is_idle_event", "SWEEP_MIN"]

#: Live delegates of the caller's own kind at which the table first checks which ended.
SWEEP_MIN = 64


class Pattern:
    """A delegation pattern and its live delegates (seed -> :class:`Delegate`)."""

    __slots__ = ("seeder", "delegator", "registry")

    def __init__(self, seeder: Callable[[Any], Any], delegator: Callable[[Any], Any]) -> None:
        self.seeder = seeder
        self.delegator = delegator
        self.registry: Dict[Any, Delegate] = {}


class Delegate:
    """One delegate: its pattern and seed, the runtime's ``runner`` (a thread, a task), the
    listeners it made, whether it was retired. ``own`` is False for a runner of the caller's
    kind, which the runtime does not watch: its ``is_alive()`` is asked instead."""

    __slots__ = ("pattern", "seed", "hashable", "runner", "own", "listeners", "retired")

    def __init__(self, pattern: Pattern, seed: Any, hashable: bool) -> None:
        self.pattern = pattern
        self.seed = seed
        self.hashable = hashable
        self.runner: Any = None
        self.own = True  # the runtime retires it when it ends
        self.listeners: List[Any] = []
        self.retired = False

    def alive(self) -> bool:
        return not self.retired and (self.own or self.runner.is_alive())


def is_idle_event(msg: Any) -> bool:
    """Is ``msg`` an ``_idle`` event (one that never starts a delegate)?"""
    return isinstance(msg, dict) and "_idle" in msg and is_event(msg)


class DelegateTable:
    """The delegates of one bot, by pattern and seed (see the top of this module)."""

    def __init__(self, patterns: Iterable[Tuple[Any, Any]], hub: Any) -> None:
        self.patterns = [Pattern(seeder, delegator) for seeder, delegator in patterns]
        self.hub = hub
        self.live: Dict[Delegate, None] = {}
        self.foreign: Dict[Delegate, None] = {}  # live, of the caller's kind
        self.sweep_at = SWEEP_MIN
        #: The delegate being made, which owns the listeners made meanwhile.
        self.constructing: Optional[Delegate] = None
        #: While True, nothing starts a delegate.
        self.stopping = False

    # -- what the runtime supplies

    def _launch(self, delegate: Delegate, msg: Any) -> None:
        """Make ``delegate``'s runner from ``delegate.pattern.delegator`` and start it; set
        ``delegate.runner`` and, for a runner of the caller's kind, ``delegate.own =
        False``. Raise if that fails."""
        raise NotImplementedError

    def _failed(self, text: str, *args: Any) -> None:
        """Report an error (called in the ``except`` block that caught it)."""
        raise NotImplementedError

    def _pattern_failed(self, msg: Any) -> None:
        """A pattern's seeder or delegator raised on ``msg`` (called in the ``except``
        block): by default reported by :meth:`_failed`; a runtime with an error hook
        hands it the message too."""
        self._failed("delegation pattern failed on a message; skipped for this pattern")

    # -- decisions

    def count(self) -> int:
        """How many delegates are alive."""
        return sum(1 for delegate in self.live if delegate.alive())

    def offer(self, msg: Any) -> None:
        """Give ``msg`` (delivered by the hub already) to every pattern."""
        for pattern in self.patterns:
            try:
                self.seed(pattern, msg)
            except Exception:
                self._pattern_failed(msg)

    def seed(self, pattern: Pattern, msg: Any) -> None:
        """Start ``pattern``'s delegate for ``msg`` unless one is alive."""
        seed = pattern.seeder(msg)
        if seed is None:
            return
        try:
            hash(seed)
            hashable = True
        except TypeError:
            hashable = False
        if hashable:
            delegate = pattern.registry.get(seed)
            if delegate is not None:
                if delegate.alive():
                    return
                # a runner of the caller's that ended: what it left, ``msg`` included if
                # it was queued there, goes to a successor
                if any(left is msg for left in self.retire(delegate)):
                    return
                if seed in pattern.registry:  # a successor, started for earlier leftovers
                    self._succeed(delegate, msg)
                    return
        if self.stopping or is_idle_event(msg):
            return
        delegate = self._start(pattern, seed, hashable, msg)
        if hashable:
            pattern.registry[seed] = delegate

    def _start(self, pattern: Pattern, seed: Any, hashable: bool, msg: Any) -> Delegate:
        delegate = Delegate(pattern, seed, hashable)
        constructing, self.constructing = self.constructing, delegate  # may nest
        try:
            self._launch(delegate, msg)
        except BaseException:
            for listener in delegate.listeners:
                self.hub.close(listener)
            raise
        finally:
            self.constructing = constructing
        self.live[delegate] = None
        if not delegate.own:
            self.foreign[delegate] = None
            if len(self.foreign) >= self.sweep_at:
                self.sweep()
        return delegate

    def sweep(self) -> None:
        """Retire the delegates of the caller's kind that have ended: nothing tells when
        they end, so they are checked as their number doubles."""
        for delegate in list(self.foreign):
            if not delegate.runner.is_alive():
                self.retire(delegate)
        self.sweep_at = max(SWEEP_MIN, 2 * len(self.foreign))

    def retire(self, delegate: Delegate) -> List[Any]:
        """Forget an ended delegate and close its listeners. What was still queued for it
        goes to its successor; returns those messages."""
        if delegate.retired:
            return []
        delegate.retired = True
        self.live.pop(delegate, None)
        self.foreign.pop(delegate, None)
        registry = delegate.pattern.registry
        if delegate.hashable and registry.get(delegate.seed) is delegate:
            del registry[delegate.seed]
        leftovers: List[Any] = []
        for listener in delegate.listeners:
            leftovers.extend(self.hub.close(listener))
        if delegate.hashable:  # an unhashable seed's messages each started a delegate of their own
            for msg in leftovers:
                self._succeed(delegate, msg)
        return leftovers

    def _succeed(self, ended: Delegate, msg: Any) -> None:
        """Hand ``msg``, queued for the ended delegate, to its successor for the same seed,
        started if need be. A message the delegate captured for another seed is left
        alone: that seed's own delegate had it from the hub."""
        pattern, seed = ended.pattern, ended.seed
        try:
            if is_idle_event(msg) or pattern.seeder(msg) != seed:
                return
            successor = pattern.registry.get(seed)
            if successor is None:
                if not self.stopping:
                    pattern.registry[seed] = self._start(pattern, seed, True, msg)
                return
            wanted = set(self.hub.matching(msg))
            for listener in successor.listeners:
                if listener in wanted:
                    self.hub.put(listener, msg)
        except Exception:
            self._failed("handing a message on to the successor of delegate %r failed", seed)

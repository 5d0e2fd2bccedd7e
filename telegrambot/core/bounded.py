"""Containers with a size limit: the oldest entry goes when a new one would exceed it.

Used where a table would otherwise grow with everything a long-running bot has seen (the
callback query origins of messages with buttons, for one). No locking here: the caller
guards a container shared between threads.
"""

from collections import OrderedDict
from typing import Any, Hashable, Iterator, Optional

__all__ = ["LimitedDict", "LimitedSet"]


class LimitedDict(OrderedDict):
    """A dict of at most ``maxsize`` items. Setting a key moves it to the newest end; a new
    key beyond ``maxsize`` pushes the oldest out."""

    def __init__(self, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        super().__init__()
        self.maxsize = maxsize

    def __setitem__(self, key: Any, value: Any) -> None:
        if key in self:
            self.move_to_end(key)
        super().__setitem__(key, value)
        while len(self) > self.maxsize:
            self.popitem(last=False)


class LimitedSet:
    """A set of at most ``maxsize`` items, oldest first: :meth:`add` returns the item it
    pushed out, if any."""

    __slots__ = ("maxsize", "_items")

    def __init__(self, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self.maxsize = maxsize
        self._items: OrderedDict[Hashable, None] = OrderedDict()

    def add(self, item: Hashable) -> Optional[Hashable]:
        """Add ``item`` (as the newest); return the oldest item if it had to go."""
        items = self._items
        if item in items:
            items.move_to_end(item)
            return None
        items[item] = None
        if len(items) > self.maxsize:
            return items.popitem(last=False)[0]
        return None

    def discard(self, item: Hashable) -> None:
        self._items.pop(item, None)

    def __contains__(self, item: object) -> bool:
        return item in self._items

    def __iter__(self) -> Iterator[Hashable]:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"LimitedSet({list(self._items)!r}, maxsize={self.maxsize})"

"""A dict guarded by a lock, for state that several delegate threads share."""

import functools
import threading
from typing import Any, Callable

__all__ = ["SafeDict"]


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

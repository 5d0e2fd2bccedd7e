"""Starting the library's threads with a stack size of their own."""

import threading
from typing import Any, Optional

__all__ = ["start_thread"]

# threading.stack_size() is process-wide: a thread started while another start has it
# changed would get that size. Delegate and Answerer threads start one at a time on this
# lock, which is process-wide for the same reason.
_start_lock = threading.Lock()


def start_thread(thread: Any, stack_size: Optional[int] = None) -> None:
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

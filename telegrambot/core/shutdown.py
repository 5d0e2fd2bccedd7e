"""What to say when the program ends with a loop still running and nothing waiting on it.

A loop runs on a daemon thread: when the main thread's script ends (typically because the
``run_forever`` after ``message_loop`` was forgotten), the interpreter exits and takes the
loop with it, silently. The threaded runtime asks :func:`exit_note` at interpreter exit,
after every non-daemon thread has ended (so a thread still waiting on a loop keeps the
program alive and is never reported), and logs the note at WARNING.

Not reported: a loop that was stopped, or that anything waited on (``run_forever``,
``wait()``, ``join()``: the program then ended it on purpose, e.g. on a signal); an exit
on an uncaught exception (its traceback says why the program ended); an interactive
session.
"""

from typing import Optional, Sequence

from .notes import Note

__all__ = ["exit_note"]


def exit_note(unwaited: Sequence[str], *, interactive: bool = False,
              uncaught: bool = False) -> Optional[Note]:
    """The WARNING to log when the interpreter exits while the loops ``unwaited`` (their
    thread names; running, never stopped nor waited on) still run; None if there is
    nothing to say."""
    if not unwaited or interactive or uncaught:
        return None
    return Note(
        "warning",
        "the program is ending while a message loop is still running (%s): the main thread "
        "ended and nothing waits on the loop, so the bot stops receiving now. To keep the "
        "bot running, end the script with message_loop(..., run_forever=True) or "
        "loop.wait() (run_webhook(..., run_forever=True) for a webhook); to end it on "
        "purpose, call bot.stop() first.",
        (", ".join(sorted(set(unwaited))),))

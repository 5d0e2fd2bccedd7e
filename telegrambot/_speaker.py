"""SpeakerBot: a bot with a microphone that broadcasts messages to listeners."""

import threading
from typing import Any, Optional

from .bot import Bot
from .helper.listeners import Listener, ListenerHub, Microphone

__all__ = ["SpeakerBot"]


class SpeakerBot(Bot):
    """A :class:`~telegrambot.Bot` with a :class:`~telegrambot.helper.Microphone`.

    ``bot.mic.send(msg)`` hands ``msg`` to every :class:`~telegrambot.helper.Listener`
    made by :meth:`create_listener` that captured it; a thread waits for its messages
    with ``listener.wait()``. Nothing is sent to the microphone unless you do it (usually
    first thing in an overridden :meth:`handle`). :class:`~telegrambot.DelegatorBot`
    is a SpeakerBot whose ``handle`` does that for you.

    Takes the arguments of :class:`~telegrambot.Bot`.
    """

    def __init__(self, token: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(token, *args, **kwargs)
        self._hub = ListenerHub()
        self._mic: Optional[Microphone] = None
        self._mic_lock = threading.Lock()

    @property
    def mic(self) -> Microphone:
        """The :class:`~telegrambot.helper.Microphone` of this bot's listeners."""
        mic = self._mic
        if mic is None:
            with self._mic_lock:
                if self._mic is None:
                    self._mic = Microphone(self._hub)
                mic = self._mic
        return mic

    def create_listener(self) -> Listener:
        """A new :class:`~telegrambot.helper.Listener` that hears :attr:`mic`; close it
        (``listener.close()``) when done with it."""
        return self._hub.listener()

"""Where :mod:`telegrambot.core.flavor` lived before: kept so that older imports work."""

from .core.flavor import *  # noqa: F401,F403
from .core.flavor import __all__  # noqa: F401

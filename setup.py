import os
import re

from setuptools import find_packages, setup

HERE = os.path.dirname(os.path.abspath(__file__))

with open(os.path.join(HERE, "telegrambot", "__init__.py"), encoding="utf-8") as f:
    VERSION = re.search(r'^__version__ = "([^"]+)"', f.read(), re.M).group(1)

with open(os.path.join(HERE, "README.md"), encoding="utf-8") as f:
    LONG_DESCRIPTION = f.read()

setup(
    name="telegrambot",
    version=VERSION,
    description="A blocking, thread-based Telegram Bot API library with per-chat delegation",
    long_description=LONG_DESCRIPTION,
    long_description_content_type="text/markdown",
    packages=find_packages(include=["telegrambot", "telegrambot.*"]),
    package_data={"telegrambot": ["py.typed", "botapi.json"]},
    python_requires=">=3.9",
    install_requires=["urllib3>=1.26,<3"],
    extras_require={
        "socks": ["urllib3[socks]>=1.26,<3"],
        # Telegram Passport decryption and Web App init data signatures
        "passport": ["cryptography>=3.1"],
        # the asyncio runtime (telegrambot.aio); telegrambot.asgi needs nothing
        "aio": ["aiohttp>=3.8"],
        # markdown-it-py: tests/test_docs_blocks.py reads the docs' code blocks as Sphinx does;
        # uvicorn: a real ASGI server for the ASGI webhook app's tests
        "test": ["pytest>=7", "pytest-timeout>=2", "cryptography", "flask", "markdown-it-py>=2",
                 "aiohttp>=3.8", "uvicorn"],
        "docs": ["sphinx>=7", "myst-parser>=2", "furo"],
        "dev": ["ruff", "mypy"],
    },
    # the emulator's fixtures in every pytest run; named as the module, so that naming it
    # again (-p, pytest_plugins) finds it registered and does not register it twice
    entry_points={"pytest11": ["telegrambot.testing.pytest_plugin = telegrambot.testing.pytest_plugin"]},
    classifiers=[
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3 :: Only",
        "Programming Language :: Python :: 3.9",
        "Programming Language :: Python :: 3.10",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
        "Programming Language :: Python :: 3.13",
        "Topic :: Communications :: Chat",
        "Intended Audience :: Developers",
    ],
)

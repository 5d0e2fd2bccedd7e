"""telegrambot/core is I/O-free: no module in it imports threading, queue, sockets, the clock,
logging, an HTTP library or a runtime module of the package, directly or through what it
imports, so that both runtimes (threads, asyncio) can drive it. Every module of the folder is
checked, new ones included."""

import ast
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORE = os.path.join(ROOT, "telegrambot", "core")
MODULES = sorted(name[:-3] for name in os.listdir(CORE) if name.endswith(".py"))

# no threads or tasks, no blocking I/O, no clock, no logging (it imports threading)
FORBIDDEN = frozenset({
    "threading", "_thread", "queue", "asyncio", "concurrent", "multiprocessing", "subprocess",
    "socket", "ssl", "select", "selectors", "socketserver", "http", "urllib3", "aiohttp",
    "requests", "sqlite3", "redis", "time", "logging", "signal", "sched", "importlib",
    "urllib.request",
})
# packaged data may be read (core/defaults.py reads the Bot API facts once per Defaults);
# importing modules by name may not
ALLOWED = frozenset({"importlib.resources"})
# the only modules of the package that core may import: itself and the exceptions
ALLOWED_OWN = ("telegrambot.core", "telegrambot.exception")


def _allowed(name: str) -> bool:
    return any(name == allowed or name.startswith(allowed + ".") for allowed in ALLOWED)


def _forbidden(name: str) -> bool:
    parts = name.split(".")
    return (parts[0] in FORBIDDEN or ".".join(parts[:2]) in FORBIDDEN) and not _allowed(name)


def _imports(module: str):
    """(name, line) of every module ``telegrambot.core.<module>`` imports, relative imports
    resolved."""
    path = os.path.join(CORE, module + ".py")
    package = "telegrambot.core"  # what relative imports start from, for __init__ too
    tree = ast.parse(open(path, encoding="utf-8").read(), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            full = [name + "." + alias.name for alias in node.names]
            if node.module is None:  # ``from .. import api``: the names are modules
                for each in full:
                    yield each, node.lineno
                continue
            # ``from importlib import resources`` imports importlib.resources
            yield (full[0] if len(full) == 1 and _allowed(full[0]) else name), node.lineno
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "__import__":
            yield "__import__", node.lineno


def test_every_core_module_is_checked():
    assert {"flavor", "routing", "capture", "seeding", "delegation", "polling", "events",
            "ordering", "origins", "notes", "request", "answer", "redact", "__init__"} <= set(MODULES)


@pytest.mark.parametrize("module", MODULES)
def test_core_imports_nothing_that_blocks(module):
    for name, line in _imports(module):
        assert name != "__import__", f"core/{module}.py:{line} imports by name"
        assert not _forbidden(name), f"core/{module}.py:{line} imports {name}"
        if name.split(".")[0] == "telegrambot":
            assert name.startswith(ALLOWED_OWN), f"core/{module}.py:{line} imports {name}"


def test_core_imports_nothing_that_blocks_through_what_it_imports():
    """In a fresh interpreter: the modules each core module brings in, beyond those the
    interpreter starts with, include nothing forbidden (exception.py's imports count)."""
    code = (
        "import importlib, json, sys\n"
        "start = set(sys.modules)\n"
        "out = {}\n"
        "for name in %r:\n"
        "    module = 'telegrambot.core' + ('' if name == '__init__' else '.' + name)\n"
        "    importlib.import_module(module)\n"
        "    out[name] = sorted(set(sys.modules) - start)\n"
        "print(json.dumps(out))\n" % (MODULES,)
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout)
    assert set(loaded) == set(MODULES)
    own = [name for names in loaded.values() for name in names if name.startswith("telegrambot")]
    # the positive barrier: imports were seen
    assert {"telegrambot.core.flavor", "telegrambot.core.request"} <= set(own)
    for module, names in loaded.items():
        for name in names:
            assert not _forbidden(name), f"core.{module} brings in {name}"
            if name.startswith("telegrambot."):
                assert name.startswith(ALLOWED_OWN), f"core.{module} brings in {name}"

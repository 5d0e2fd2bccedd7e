"""telegrambot.core stays I/O-free: no module of it imports sockets, threads, clocks, an HTTP
library or a runtime module of the package, directly or through what it imports."""

import ast
import json
import os
import subprocess
import sys

import telegrambot.core

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORE = os.path.dirname(telegrambot.core.__file__)

# what blocks, waits or talks to the network, and the runtimes' own libraries
FORBIDDEN = {
    "socket", "ssl", "select", "selectors", "threading", "_thread", "asyncio", "queue", "time",
    "http", "urllib3", "aiohttp", "socketserver", "subprocess", "multiprocessing", "concurrent",
    "logging", "sched", "signal",
}
# the package modules core may use besides its own: pure ones only
ALLOWED_OUTSIDE = {"telegrambot", "telegrambot.exception"}


def core_modules():
    return sorted("telegrambot.core." + name[:-3] for name in os.listdir(CORE)
                  if name.endswith(".py") and name != "__init__.py")


def imports_of(path):
    """(absolute module names, package modules named by relative imports) of one file."""
    tree = ast.parse(open(path, encoding="utf-8").read(), path)
    absolute, relative = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            absolute.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                absolute.add(node.module or "")
            else:
                parts = ["telegrambot", "core"]
                base = ".".join(parts[: len(parts) - (node.level - 1)])
                if node.module:
                    relative.add(base + "." + node.module)
                else:  # from .. import name
                    relative.update(base + "." + alias.name for alias in node.names)
    return absolute, relative


def test_the_core_has_modules_to_check():
    assert {"telegrambot.core.request", "telegrambot.core.answer",
            "telegrambot.core.redact"} <= set(core_modules())


def test_no_core_module_names_a_blocking_module_or_a_runtime_module():
    for module in core_modules():
        path = os.path.join(CORE, module.rsplit(".", 1)[1] + ".py")
        absolute, relative = imports_of(path)
        blocking = {name for name in absolute if name.split(".")[0] in FORBIDDEN}
        blocking |= {name for name in absolute if name == "urllib.request"}
        assert not blocking, "%s imports %s" % (module, sorted(blocking))
        outside = {name for name in relative
                   if not name.startswith("telegrambot.core") and name not in ALLOWED_OUTSIDE}
        assert not outside, "%s imports runtime modules %s" % (module, sorted(outside))


def test_importing_the_core_loads_nothing_that_blocks():
    """What the core's imports pull in, transitively, in a fresh interpreter."""
    code = (
        "import importlib, json, sys\n"
        "before = set(sys.modules)\n"
        "for name in %r:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))\n" % (core_modules(),)
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    loaded = json.loads(out.stdout)
    assert "telegrambot.core.request" in loaded  # the check saw the imports happen
    blocking = [name for name in loaded if name.split(".")[0] in FORBIDDEN]
    assert not blocking, "importing telegrambot.core loads %s" % blocking
    package = [name for name in loaded if name.startswith("telegrambot")
               and not name.startswith("telegrambot.core") and name not in ALLOWED_OUTSIDE]
    assert not package, "importing telegrambot.core loads %s" % package

"""Every public module of telegrambot says what it exports: it defines ``__all__``, each name
in it once, and ``from <module> import *`` gives every one of them."""

import importlib
import os
import pkgutil

import pytest

import telegrambot

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _public_modules():
    names = ["telegrambot"]
    for info in pkgutil.walk_packages(telegrambot.__path__, "telegrambot."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            names.append(info.name)
    return sorted(names)


PUBLIC = _public_modules()


def test_the_public_modules_are_found():
    # the positive barrier: packages, their modules and the modules at the top are walked
    assert {"telegrambot.bot", "telegrambot.helper", "telegrambot.helper.listeners",
            "telegrambot.core", "telegrambot.core.flavor", "telegrambot.testing.emulator",
            "telegrambot.routing", "telegrambot.loop"} <= set(PUBLIC)
    assert not [name for name in PUBLIC if "._" in name]


@pytest.mark.parametrize("name", PUBLIC)
def test_a_public_module_defines_all_and_every_name_resolves(name):
    if name == "telegrambot.passport":
        pytest.importorskip("cryptography")
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert isinstance(exported, (list, tuple)), f"{name} has no __all__"
    assert all(isinstance(item, str) for item in exported)
    assert len(set(exported)) == len(exported), f"{name}.__all__ names something twice"
    namespace: dict = {}
    exec(f"from {name} import *", namespace)  # imports the submodules a package lists
    missing = [item for item in exported if item not in namespace]
    assert not missing, f"{name}.__all__ names what it does not have: {missing}"

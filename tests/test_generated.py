"""The generated code matches the facts file, and every method sends every parameter."""

import ast
import datetime
import importlib.util
import inspect
import json
import os
import subprocess
import sys

import pytest

import telegrambot
from telegrambot._methods import METHODS
from telegrambot.bot import Bot
from telegrambot.exception import TelegramError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FACTS_PATH = os.path.join(ROOT, "..", "shared", "botapi", "botapi.json")
PACKAGED_FACTS = os.path.join(ROOT, "telegrambot", "botapi.json")


def _facts():
    path = FACTS_PATH if os.path.exists(FACTS_PATH) else PACKAGED_FACTS
    with open(path, encoding="utf-8") as f:
        return json.load(f)


FACTS = _facts()


def _load_generator():
    spec = importlib.util.spec_from_file_location("generate", os.path.join(ROOT, "tools", "generate.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not os.path.exists(FACTS_PATH), reason="../shared/botapi is not beside the repo")
def test_generated_code_is_up_to_date_with_the_facts_file():
    generate = _load_generator()
    with open(FACTS_PATH, encoding="utf-8") as f:
        raw = f.read()
    expected = generate.outputs(raw)
    assert {"telegrambot/core/methods.py", "telegrambot/_methods.py", "telegrambot/aio/_methods.py",
            "telegrambot/namedtuple.py",
            "telegrambot/botapi.json"} <= set(expected)
    for name, text in expected.items():
        with open(os.path.join(ROOT, name), encoding="utf-8") as f:
            assert f.read() == text, "%s is stale: run python tools/generate.py" % name


def test_the_template_writes_the_same_methods_as_coroutines():
    """What an asyncio Bot will be generated from: the same signatures and docstrings, each
    method an ``async def`` that awaits ``_call``."""
    generate = _load_generator()
    threaded = ast.parse(generate.methods_module(FACTS))
    asynchronous = ast.parse(generate.methods_module(FACTS, asynchronous=True))

    def methods(tree):
        cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Methods")
        return {n.name: n for n in cls.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}

    sync, coro = methods(threaded), methods(asynchronous)
    assert set(sync) == set(coro) and len(coro) == 186  # 185 methods and _call
    for name, node in coro.items():
        assert isinstance(node, ast.AsyncFunctionDef), name
        assert isinstance(sync[name], ast.FunctionDef), name
        assert ast.dump(node.args) == ast.dump(sync[name].args), name
        assert ast.get_docstring(node) == ast.get_docstring(sync[name]), name
        if name != "_call":
            returned = node.body[-1]
            assert isinstance(returned, ast.Return) and isinstance(returned.value, ast.Await), name
    imports = [n for n in asynchronous.body if isinstance(n, ast.ImportFrom)]
    assert {(n.level, n.module) for n in imports} >= {(2, "core.methods"), (2, "core.request"),
                                                     (1, "transport")}


def test_every_method_and_parameter_exists_with_its_alias():
    assert len(FACTS["methods"]) == len(METHODS) == 185
    for name, spec in FACTS["methods"].items():
        method = getattr(Bot, name)
        assert getattr(Bot, METHODS[name].alias) is method
        signature = inspect.signature(method)
        names = set(signature.parameters)
        for p in spec["params"]:
            if METHODS[name].msg_identifier and p["name"] in ("chat_id", "message_id", "inline_message_id"):
                assert "msg_identifier" in names
                continue
            assert p["name"] in names, "%s lacks %s" % (name, p["name"])
            kind = signature.parameters[p["name"]].kind
            if p["required"]:
                assert kind is inspect.Parameter.POSITIONAL_OR_KEYWORD, (name, p["name"])
        assert "api_kwargs" in names and "request_timeout" in names
        assert name.lower() in (method.__doc__ or "")


def test_required_parameters_are_positional_in_api_order_and_optional_ones_keywords():
    generate = _load_generator()
    keep_positional = generate.POSITIONAL_OPTIONAL  # telepot's (msg_identifier, text)
    carriers = generate.file_carriers(FACTS["types"])
    for name, spec in FACTS["methods"].items():
        target = {"chat_id", "message_id", "inline_message_id"} if METHODS[name].msg_identifier else set()
        expected = []  # in API order, msg_identifier where the first target parameter was
        for p in spec["params"]:
            if p["name"] in target:
                if "msg_identifier" not in expected:
                    expected.append("msg_identifier")
            elif p["required"] or p["name"] in keep_positional.get(name, ()):
                expected.append(p["name"])
        if target and "msg_identifier" not in expected:
            expected.append("msg_identifier")
        parameters = inspect.signature(getattr(Bot, name)).parameters.values()
        positional = [p.name for p in parameters if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]
        assert positional == ["self"] + expected, name
        keywords = {p.name for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY}
        optional = {p["name"] for p in spec["params"]} - target - set(expected)
        renamed = set(_load_generator().RENAMED_PARAMS.get(name, {}))  # old names, also taken
        uploads = {"progress"} if generate.can_upload(spec, carriers) else set()
        assert keywords == optional | renamed | uploads | {"api_kwargs", "request_timeout"}, name
    sig = inspect.signature(Bot.setGameScore)
    # every method with a file parameter, and those taking InputMedia..., have progress=
    for name in ("sendDocument", "sendPhoto", "sendMediaGroup", "editMessageMedia",
                 "createNewStickerSet", "setWebhook", "sendPaidMedia"):
        assert "progress" in inspect.signature(getattr(Bot, name)).parameters, name
    assert "progress" not in inspect.signature(Bot.sendMessage).parameters
    assert all("progress" in inspect.signature(getattr(Bot, name)).parameters
               for name, info in METHODS.items() if info.uploads)
    positional = [p.name for p in sig.parameters.values() if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]
    assert positional == ["self", "user_id", "score", "msg_identifier"]


def _sample(name, types, uploads):
    """A value for a parameter, and what the server should decode it to."""
    t = types[0]
    if "InputFile" in types:
        data = ("data of %s" % name).encode()
        return data, ("file", data)
    if t == "Integer":
        if name.endswith("_date"):
            when = datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
            return when, int(when.timestamp())
        return 7, 7
    if t == "Float":
        return 1.5, 1.5
    if t == "Boolean":
        return True, True
    if t == "String":
        return "v-" + name, "v-" + name
    if t.startswith("Array of "):
        inner = t[len("Array of "):]
        if inner in ("Integer",):
            return [1, 2], [1, 2]
        if inner == "String":
            return ["a", "b"], ["a", "b"]
        return [{"k": name, "skip": None}], [{"k": name}]
    return {"k": name, "n": 1, "skip": None}, {"k": name, "n": 1}


def _check_sent(record, name, expected):
    if isinstance(expected, tuple) and expected[0] == "file":
        files = record.files
        data = [v[1] if isinstance(v, tuple) else v for v in files.values()]
        assert expected[1] in data, "%s: upload missing" % name
        return
    got = record.params.get(name)
    if isinstance(got, str) and not isinstance(expected, str):
        got = json.loads(got)
    assert got == expected, "%s: sent %r, expected %r" % (name, got, expected)


@pytest.mark.parametrize("method", sorted(FACTS["methods"]))
def test_calling_with_every_parameter_sends_every_parameter(emulator, bot, method):
    info = METHODS[method]
    spec = FACTS["methods"][method]
    args, kwargs, expected = [], {}, {}
    signature = inspect.signature(getattr(Bot, method))
    for p in spec["params"]:
        if info.msg_identifier and p["name"] in ("chat_id", "message_id", "inline_message_id"):
            continue
        value, decoded = _sample(p["name"], p["types"], info.uploads)
        if method == "getUpdates" and p["name"] == "timeout":
            value = decoded = 0  # sent all the same; a real long poll would wait that long
        expected[p["name"]] = decoded
        kind = signature.parameters[p["name"]].kind
        if kind is inspect.Parameter.POSITIONAL_OR_KEYWORD:
            args.append((p["name"], value))
        else:
            kwargs[p["name"]] = value
    if info.msg_identifier:
        args.append(("msg_identifier", (7, 8)))
        expected["chat_id"], expected["message_id"] = 7, 8
    ordered = [v for n, v in sorted(args, key=lambda a: list(signature.parameters).index(a[0]))]
    try:
        getattr(bot, method)(*ordered, **kwargs)
    except TelegramError:
        pass  # the emulator may refuse the made-up values; what was sent is what counts
    record = emulator.requests[-1]
    assert record.method == method
    for name, decoded in expected.items():
        _check_sent(record, name, decoded)


def test_public_surface_is_lazy_and_complete():
    assert set(telegrambot.__all__) == set(telegrambot._EXPORTS) | {"__version__"}
    for name in telegrambot.__all__:
        if name != "__version__":
            assert getattr(telegrambot, name) is not None
    probe = (
        "import sys, telegrambot; "
        "print(sorted(m for m in sys.modules if m.startswith(('telegrambot.', 'urllib3'))))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"  # nothing beyond the package itself until a name is used

import threading

import pytest

from telegrambot.testing.pytest_plugin import (
    check_no_task_leak,
    check_no_thread_leak,
    library_tasks,
    library_threads,
)

pytest_plugins = ["pytester"]  # tests of the pytest plugin run pytest inside pytest


@pytest.fixture(autouse=True)
def no_thread_leak():
    """Every telegrambot thread a test starts must be gone shortly after the test ends."""
    before = library_threads()
    yield
    check_no_thread_leak(before)


def make_self_signed(directory):
    """A self-signed certificate for 127.0.0.1 in ``directory``: (certfile, keyfile) paths."""
    import datetime
    import ipaddress
    import shutil
    import subprocess

    certfile, keyfile = directory / "cert.pem", directory / "key.pem"
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError:
        if not shutil.which("openssl"):
            pytest.skip("neither the cryptography package nor the openssl command is available")
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
             "-keyout", str(keyfile), "-out", str(certfile)],
            check=True, capture_output=True,
        )  # fmt: skip
        return str(certfile), str(keyfile)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return str(certfile), str(keyfile)


@pytest.fixture
def self_signed_cert(tmp_path):
    """(certfile, keyfile) of a fresh self-signed certificate for 127.0.0.1."""
    return make_self_signed(tmp_path)


# ------------------------------------------------------------------ both runtimes


class _Synced:
    """A sync face of an object of the asyncio runtime: each method call runs in the
    runtime's event loop (awaited there if it gives an awaitable), from the test's thread.
    So a scenario written once drives the real asyncio Bot, over aiohttp, as it drives the
    threaded one. Call it from the test's thread, never from a handler (the loop's thread)."""

    def __init__(self, runtime, target):
        self._runtime = runtime
        self._target = target

    def __getattr__(self, name):
        value = getattr(self._target, name)
        if callable(value) and not isinstance(value, type):
            return lambda *args, **kwargs: self._runtime.call(value, *args, **kwargs)
        return self._runtime.wrap(value)

    def __repr__(self):
        return "<synced %r>" % (self._target,)


class ThreadedRuntime:
    """The threaded runtime as the ``runtime`` fixture gives it."""

    name = "threaded"

    def __init__(self, emulator):
        self.emulator = emulator
        self.made = []

    def make_bot(self, **kwargs):
        from telegrambot.bot import Bot

        kwargs.setdefault("api_url", self.emulator.api_url)
        bot = Bot(kwargs.pop("token", self.emulator.token), **kwargs)
        self.made.append(bot)
        return bot

    def queue(self):
        """A queue for a queue-fed loop of this runtime (``put`` from the test's thread)."""
        import queue

        return queue.Queue()

    def make_delegator_bot(self, patterns, **kwargs):
        """A DelegatorBot of this runtime on the emulator; build ``patterns`` with
        :attr:`delegate`'s delegators (the seeders are the same in both)."""
        from telegrambot import DelegatorBot

        kwargs.setdefault("api_url", self.emulator.api_url)
        bot = DelegatorBot(kwargs.pop("token", self.emulator.token), patterns, **kwargs)
        self.made.append(bot)
        return bot

    @property
    def delegate(self):
        """This runtime's delegate module (seeders, ``create_open``, ``call``, ...)."""
        import telegrambot.delegate

        return telegrambot.delegate

    @property
    def helper(self):
        """This runtime's helper module (``ChatHandler``, ``Answerer``, ...)."""
        import telegrambot.helper

        return telegrambot.helper

    def close(self):
        for bot in self.made:
            bot.stop()
            bot.close_connections()


class AsyncRuntime(ThreadedRuntime):
    """The asyncio runtime, its event loop running on a thread of the test (not a
    ``telegrambot-`` one); at close, every ``telegrambot-`` task must have ended."""

    name = "async"

    def __init__(self, emulator):
        import asyncio

        pytest.importorskip("aiohttp")
        super().__init__(emulator)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="test-event-loop",
                                       daemon=True)
        self.thread.start()
        self.before = self.call(library_tasks)

    def call(self, fn, *args, **kwargs):
        import asyncio
        import inspect

        args = [a._target if isinstance(a, _Synced) else a for a in args]
        kwargs = {k: (v._target if isinstance(v, _Synced) else v) for k, v in kwargs.items()}

        async def run():
            result = fn(*args, **kwargs)
            if inspect.isawaitable(result):
                result = await result
            return result

        return self.wrap(asyncio.run_coroutine_threadsafe(run(), self.loop).result(30))

    def wrap(self, value):
        if type(value).__module__.startswith("telegrambot.aio"):
            return _Synced(self, value)
        return value

    def queue(self):
        import asyncio

        return _Synced(self, self.call(asyncio.Queue))

    def make_bot(self, **kwargs):
        from telegrambot.aio import Bot

        kwargs.setdefault("api_url", self.emulator.api_url)
        bot = self.call(Bot, kwargs.pop("token", self.emulator.token), **kwargs)
        self.made.append(bot)
        return bot

    def make_delegator_bot(self, patterns, **kwargs):
        from telegrambot.aio.delegate import DelegatorBot

        kwargs.setdefault("api_url", self.emulator.api_url)
        bot = self.call(DelegatorBot, kwargs.pop("token", self.emulator.token), patterns, **kwargs)
        self.made.append(bot)
        return bot

    @property
    def delegate(self):
        import telegrambot.aio.delegate

        return telegrambot.aio.delegate

    @property
    def helper(self):
        import telegrambot.aio.helper

        return telegrambot.aio.helper

    def close(self):
        try:
            super().close()
            self.call(check_no_task_leak, self.before)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(5)
            self.loop.close()


@pytest.fixture(params=["threaded", "async"])
def runtime(request, emulator):
    """Each runtime in turn: ``runtime.make_bot(**kwargs)`` gives a bot on the emulator
    with the threaded Bot's sync face (for the asyncio one, each call runs in its event
    loop); ``runtime.name``. What the bots started is stopped after the test."""
    made = (ThreadedRuntime if request.param == "threaded" else AsyncRuntime)(emulator)
    try:
        yield made
    finally:
        made.close()


@pytest.fixture
def rbot(runtime):
    """A bot of each runtime on the emulator (see ``runtime``)."""
    return runtime.make_bot()

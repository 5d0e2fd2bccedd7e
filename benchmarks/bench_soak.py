"""Soak: nothing accepted is lost or handled twice; hostile clients cost bounded memory and
cannot crowd Telegram out.

    python benchmarks/bench_soak.py                       # every phase, about two minutes
    python benchmarks/bench_soak.py --phases memory,fairness

Loopback only; every wait is bounded (a phase that stalls fails the run). Clients run in
child processes (this script with ``--role``), so they do not share the server's
interpreter lock. Phases:

delivery
    ``--updates`` (100,000) updates for 1,000 chats, POSTed to ``run_webhook(ordered=True)``
    by ``--clients`` (50) threads of a child process that plays Telegram: it delivers each
    update until it is answered 200 (503, 5xx and broken connections are retried with a
    doubling delay), sends the next update of a chat only once the previous one was
    accepted, and otherwise goes by update_id with a random jitter of 200 (so deliveries
    arrive out of order); 2 % of the accepted updates are delivered again (a lost 200)
    and 2 % of the requests are malformed (bad JSON, no update_id, wrong secret, too big,
    chunked, both lengths, a space before a header's colon). Halfway, the receiver is
    stopped (``run.stop()``: what was answered 200 is handed over) and started again on
    the same port. Figures: lost, handled twice, per-chat order, late updates, rate.
polling
    ``--poll-updates`` (20,000) updates for 100 chats polled by ``bot.message_loop``
    from the emulator, with a fault every 20 polls (a 502, a dropped connection, an HTML
    page) and two stops and restarts, the second one with the final offset confirmation
    failing. Figures: lost, handled twice, order.
memory
    A ``WebhookServer`` in a child process; 250 connections each sending 6.2 MiB of
    header lines (100 lines of 65,000 bytes), again and again for ``--attack-seconds``.
    Figures: the server's resident memory before (the baseline) and at its peak.
fairness
    A ``WebhookServer`` (secret token, ``connection_limit`` 256) fed by 40 kept-alive
    connections playing Telegram (``--legit-updates`` updates), first alone (the baseline),
    then with 25 attackers that reconnect whenever cut off: 5 hold 40 silent connections
    each, 5 hold 20 connections sending a header byte every 100 ms, 5 send 6.2 MiB heads,
    5 flood requests with a wrong secret, 5 send junk. Figures: share of legitimate
    deliveries answered 200, and their rate, without and with the attack.
"""

import argparse
import collections
import heapq
import http.client
import json
import logging
import os
import queue
import random
import socket
import subprocess
import sys
import threading
import time
from typing import Any, Dict, List, Optional

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

SECRET = "soak-secret"
PATH = "/hook"
HEADER = "X-Telegram-Bot-Api-Secret-Token"
OVERSIZED = b"POST /hook HTTP/1.1\r\nHost: x\r\n" + b"".join(
    b"X-Pad-%d: %s\r\n" % (i, b"x" * 65_000) for i in range(100))  # 6.2 MiB, never ended


def rss_kib(pid: str = "self") -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def child(role: str, *args: Any) -> subprocess.Popen:
    argv = [sys.executable, os.path.abspath(__file__), "--role", role] + [str(a) for a in args]
    return subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def result_of(proc: subprocess.Popen, timeout: float) -> Dict[str, Any]:
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise SystemExit("a client process did not finish in %.0f s" % timeout)
    if proc.returncode != 0:
        raise SystemExit("a client process failed (%s)" % proc.returncode)
    return json.loads(out.strip().splitlines()[-1])


def wait_until(condition: Any, timeout: float, what: str) -> None:
    if not settle(condition, timeout):
        raise SystemExit("stalled: %s not reached in %.0f s" % (what, timeout))


def settle(condition: Any, timeout: float) -> bool:
    """Wait for ``condition`` at most ``timeout`` seconds; whether it came."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


# ------------------------------------------------------------------ delivery (server side)


def message(update_id: int, chat_id: int) -> Dict[str, Any]:
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": 1700000000, "text": "hi %d" % update_id,
        "chat": {"id": chat_id, "type": "private", "first_name": "Soak"},
        "from": {"id": chat_id, "is_bot": False, "first_name": "Soak"}}}


class Ledger:
    """What the handler was given: counts per update_id, per-chat order, late ones."""

    def __init__(self) -> None:
        self.count: collections.Counter = collections.Counter()
        self.last: Dict[int, int] = {}
        self.out_of_order = 0
        self.lock = threading.Lock()

    def __call__(self, msg: Dict[str, Any]) -> None:
        update_id, chat_id = msg["message_id"], msg["chat"]["id"]
        with self.lock:
            self.count[update_id] += 1
            if self.last.get(chat_id, -1) >= update_id:
                self.out_of_order += 1
            self.last[chat_id] = update_id

    def handled(self) -> int:
        return len(self.count)


class Counting(logging.Handler):
    def __init__(self, needle: str) -> None:
        super().__init__(logging.WARNING)
        self.needle, self.hits = needle, 0

    def emit(self, record: logging.LogRecord) -> None:
        if self.needle in record.getMessage():
            self.hits += 1


def phase_delivery(args: argparse.Namespace) -> None:
    from telegrambot.testing import Emulator
    from telegrambot.webhook import run_webhook

    late = Counting("came late")
    lost_logged = Counting("are lost")
    logging.getLogger("telegrambot.loop").addHandler(late)
    logging.getLogger("telegrambot.loop").addHandler(lost_logged)
    logging.getLogger("telegrambot.loop").propagate = False  # counted, not printed
    logging.getLogger("telegrambot.webhook").setLevel(logging.ERROR)  # the malformed ones
    port = free_port()
    ledger = Ledger()
    with Emulator() as emu:
        bot = emu.make_bot()

        def start() -> Any:
            return run_webhook(bot, ledger, host="127.0.0.1", port=port, path=PATH,
                               secret_token=SECRET, ordered=True)

        run = start()
        began = time.monotonic()
        telegram = child("telegram", port, args.updates, args.clients, args.seed)
        wait_until(lambda: ledger.handled() >= args.updates // 2, 300, "half the updates")
        stop_began = time.monotonic()
        run.stop(timeout=60)
        stopped = time.monotonic() - stop_began
        handled_at_stop = ledger.handled()
        run = start()
        report = result_of(telegram, 600)
        # what was accepted is handled within seconds; what is still missing after 20 s is lost
        settle(lambda: ledger.handled() >= report["accepted"], 20)
        elapsed = time.monotonic() - began
        run.stop(timeout=30)
        bot.deleteWebhook()
    twice = sum(1 for n in ledger.count.values() if n > 1)
    lost = report["accepted"] - ledger.handled()
    print("delivery: %d updates, %d chats, %d client threads; receiver stopped after %d "
          "handled (stop took %.2f s) and started again"
          % (args.updates, args.updates // 100, args.clients, handled_at_stop, stopped))
    print("  requests: %s" % ", ".join("%s: %d" % kv for kv in sorted(report["statuses"].items())))
    print("  redeliveries of accepted updates: %d (each answered %s); malformed requests: %d "
          "(answered %s)" % (report["dups"], report["dup_statuses"], report["malformed"],
                             report["malformed_statuses"]))
    print("  accepted %d of %d; handled %d; LOST %d, HANDLED TWICE %d, per-chat order broken "
          "%d times; %d handed over late (logged); %d loss reports" % (
              report["accepted"], args.updates, ledger.handled(), lost, twice,
              ledger.out_of_order, late.hits, lost_logged.hits))
    print("  %.1f s in all: %.0f updates/s" % (elapsed, args.updates / elapsed))
    if lost or twice or ledger.out_of_order or report["accepted"] != args.updates:
        raise SystemExit("delivery: FAILED")


# ------------------------------------------------------------------ delivery (Telegram's side)


def role_telegram(port: int, total: int, clients: int, seed: int) -> None:
    rng = random.Random(seed)
    chats = max(1, total // 100)
    per_chat: Dict[int, collections.deque] = collections.defaultdict(collections.deque)
    chat_of = {}
    for update_id in range(1, total + 1):
        chat = rng.randrange(chats)
        per_chat[chat].append(update_id)
        chat_of[update_id] = chat
    lock = threading.Condition()
    ready: List[Any] = []  # (key, chat): chats free to send their next update
    retry: List[Any] = []  # (due, chat, delay)
    for chat, ids in per_chat.items():
        heapq.heappush(ready, (ids[0] + rng.randrange(200), chat))
    accepted = set()
    statuses: collections.Counter = collections.Counter()
    dup_statuses: collections.Counter = collections.Counter()
    malformed_statuses: collections.Counter = collections.Counter()
    counts = collections.Counter()
    backoff: Dict[int, float] = {}

    def take() -> Optional[int]:
        with lock:
            while True:
                now = time.monotonic()
                while retry and retry[0][0] <= now:
                    _, chat = heapq.heappop(retry)
                    heapq.heappush(ready, (per_chat[chat][0], chat))
                if ready:
                    return heapq.heappop(ready)[1]
                if len(accepted) == total:
                    return None
                lock.wait(min(0.05, retry[0][0] - now) if retry else 0.05)

    def done(chat: int, ok: bool) -> None:
        with lock:
            if ok:
                per_chat[chat].popleft()
                backoff.pop(chat, None)
                if per_chat[chat]:
                    heapq.heappush(ready, (per_chat[chat][0] + rng.randrange(200), chat))
            else:
                delay = backoff[chat] = min(0.5, backoff.get(chat, 0.025) * 2)
                heapq.heappush(retry, (time.monotonic() + delay, chat))
            lock.notify_all()

    bad_requests = [
        ("bad json", lambda: (b"{nope", {})),
        ("no update_id", lambda: (b'{"message": {}}', {})),
        ("wrong secret", lambda: (b'{"update_id": 1}', {HEADER: "guess"})),
        ("too big", lambda: (b"x" * ((1 << 20) + 1), {})),
    ]
    raw_bad = [
        ("chunked", "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
        ("both lengths", "Content-Length: 16\r\nTransfer-Encoding: chunked\r\n\r\n" + '{"update_id": 1}'),
        ("space before colon", "Content-Length: 16\r\nTransfer-Encoding : chunked\r\n\r\n"
         + '{"update_id": 1}'),
    ]

    def post(conn: Any, body: bytes, headers: Dict[str, str]) -> int:
        conn.request("POST", PATH, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        if response.getheader("Connection", "").lower() == "close":
            conn.close()
        return response.status

    def malformed(crng: random.Random) -> int:
        if crng.random() < 0.5:
            kind, make = crng.choice(bad_requests)
            body, extra = make()
            headers = {HEADER: SECRET, "Content-Type": "application/json"}
            headers.update(extra)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                return post(conn, body, headers)
            finally:
                conn.close()
        kind, tail = crng.choice(raw_bad)
        head = f"POST {PATH} HTTP/1.1\r\nHost: x\r\n{HEADER}: {SECRET}\r\n"
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.sendall((head + tail).encode())
            line = sock.makefile("rb").readline()
        return int(line.split()[1])

    def worker(k: int) -> None:
        crng = random.Random(seed * 1000 + k)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {HEADER: SECRET, "Content-Type": "application/json"}
        while True:
            chat = take()
            if chat is None:
                break
            update_id = per_chat[chat][0]
            body = json.dumps(message(update_id, chat)).encode()
            if crng.random() < 0.02:
                try:
                    status = malformed(crng)
                except OSError as e:
                    status = type(e).__name__
                with lock:
                    counts["malformed"] += 1
                    malformed_statuses[status] += 1
            try:
                status = post(conn, body, headers)
            except (OSError, http.client.HTTPException) as e:
                conn.close()
                status = type(e).__name__
            with lock:
                statuses[status] += 1
                if status == 200:
                    accepted.add(update_id)
            if status == 200 and crng.random() < 0.02:  # the 200 was "lost": sent again
                try:
                    again = post(conn, body, headers)
                except (OSError, http.client.HTTPException) as e:
                    conn.close()
                    again = type(e).__name__
                with lock:
                    counts["dups"] += 1
                    dup_statuses[again] += 1
            done(chat, status == 200)
        conn.close()

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps({
        "accepted": len(accepted), "statuses": {str(k): v for k, v in statuses.items()},
        "dups": counts["dups"], "dup_statuses": dict(dup_statuses),
        "malformed": counts["malformed"],
        "malformed_statuses": {str(k): v for k, v in malformed_statuses.items()},
    }))


# ------------------------------------------------------------------ polling


def phase_polling(args: argparse.Namespace) -> None:
    from telegrambot.testing import Emulator

    ledger = Ledger()
    n = args.poll_updates
    rng = random.Random(args.seed)
    unconfirmed = Counting("could not confirm")
    logging.getLogger("telegrambot.loop").addHandler(unconfirmed)
    logging.getLogger("telegrambot.loop").propagate = False  # counted, not printed
    holding, release = threading.Event(), threading.Event()

    def handle(msg: Dict[str, Any]) -> None:
        ledger(msg)
        if ledger.handled() == 2 * n // 3:  # the loop waits here while the stop begins
            holding.set()
            release.wait(30)
    with Emulator() as emu:
        for _ in range(n):
            chat = rng.randrange(100)
            obj = message(0, chat)["message"]
            update = emu.push_update("message", obj)
            obj["message_id"] = update["update_id"]
        bot = emu.make_bot()
        faults = ["html502", "drop", "error"]
        polls = [0]

        def fault_injector(stop: threading.Event) -> None:
            while not stop.is_set():
                count = sum(1 for r in list(emu.requests) if r.method == "getUpdates")
                if count >= polls[0] + 20:
                    polls[0] = count
                    kind = faults[count // 20 % 3]
                    options = {"error_code": 502, "description": "Bad Gateway"} if kind == "error" else {}
                    emu.inject("getUpdates", kind, **options)
                stop.wait(0.005)

        stop = threading.Event()
        injector = threading.Thread(target=fault_injector, args=(stop,))
        injector.start()
        began = time.monotonic()
        try:
            bot.message_loop(handle, timeout=1)
            wait_until(lambda: ledger.handled() >= n // 3, 120, "a third of the polled updates")
            bot.stop(timeout=10)
            bot.message_loop(handle, timeout=1)
            if not holding.wait(120):
                raise SystemExit("stalled: two thirds of the polled updates not reached")
            # the handler is busy: the next getUpdates is the stop's confirmation; it fails
            emu.inject("getUpdates", "error", error_code=500, description="Internal Server Error")
            stopper = threading.Thread(target=bot.stop, kwargs={"timeout": 10})
            stopper.start()
            release.set()
            stopper.join(30)
            bot.message_loop(handle, timeout=1)
            wait_until(lambda: ledger.handled() >= n, 120, "every polled update")
            elapsed = time.monotonic() - began
            bot.stop(timeout=10)
        finally:
            stop.set()
            injector.join()
    twice = sum(1 for c in ledger.count.values() if c > 1)
    lost = n - ledger.handled()
    print("polling: %d updates, 100 chats; a fault every 20 polls (%d injected), two stops "
          "and restarts, the second with its offset confirmation failing (%d failed)"
          % (n, polls[0] // 20, unconfirmed.hits))
    print("  handled %d; LOST %d, HANDLED TWICE %d, order broken %d times; %.1f s, %.0f updates/s"
          % (ledger.handled(), lost, twice, ledger.out_of_order, elapsed, n / elapsed))
    if lost or twice or ledger.out_of_order or not unconfirmed.hits:
        raise SystemExit("polling: FAILED")


# ------------------------------------------------------------------ memory


def role_memory_server(port: int) -> None:
    from telegrambot.webhook import WebhookServer

    logging.disable(logging.WARNING)
    sink: queue.Queue = queue.Queue()
    server = WebhookServer(sink, "127.0.0.1", port, PATH, secret_token=SECRET).start()
    baseline = rss_kib()
    peak = [baseline]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.01):
            peak[0] = max(peak[0], rss_kib())

    sampler = threading.Thread(target=sample)
    sampler.start()
    print("ready", flush=True)
    sys.stdin.readline()
    stop.set()
    sampler.join()
    server.stop(timeout=5)
    print(json.dumps({"baseline": baseline, "peak": peak[0]}))


def send_oversized(port: int, stop: threading.Event, tally: collections.Counter,
                   lock: threading.Lock) -> None:
    """Send 6.2 MiB heads again and again; count how each attempt ended."""
    while not stop.is_set():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
                sock.sendall(OVERSIZED)
                line = sock.makefile("rb").readline()
                outcome = line.split()[1].decode() if line else "closed"
        except OSError as e:
            outcome = type(e).__name__
        with lock:
            tally[outcome] += 1


def role_oversized(port: int, connections: int, seconds: float) -> None:
    stop = threading.Event()
    tally: collections.Counter = collections.Counter()
    lock = threading.Lock()
    threads = [threading.Thread(target=send_oversized, args=(port, stop, tally, lock))
               for _ in range(connections)]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join(30)
    print(json.dumps({"outcomes": dict(tally)}))


def phase_memory(args: argparse.Namespace) -> None:
    port = free_port()
    server = child("memory-server", port)
    assert server.stdout is not None and server.stdin is not None
    if server.stdout.readline().strip() != "ready":
        raise SystemExit("the memory server did not start")
    attack = child("oversized", port, 250, args.attack_seconds)
    outcomes = result_of(attack, args.attack_seconds + 120)["outcomes"]
    server.stdin.write("report\n")
    server.stdin.flush()
    figures = result_of(server, 60)
    print("memory: 250 connections sending 6.2 MiB of header lines each, again and again for "
          "%.0f s (%d attempts: %s)" % (args.attack_seconds, sum(outcomes.values()),
                                         ", ".join("%s %d" % kv for kv in sorted(outcomes.items()))))
    print("  server RSS: baseline %.1f MiB, peak %.1f MiB (target: under 100 MiB)"
          % (figures["baseline"] / 1024, figures["peak"] / 1024))
    if figures["peak"] >= 100 * 1024:
        raise SystemExit("memory: FAILED")


# ------------------------------------------------------------------ fairness


def role_legit(port: int, first_id: int, total: int, connections: int) -> None:
    """Telegram: kept-alive connections delivering updates; every attempt counts."""
    tally: collections.Counter = collections.Counter()
    lock = threading.Lock()
    ids = iter(range(first_id, first_id + total))
    began = time.monotonic()
    deadline = began + 60

    def worker() -> None:
        conn = None
        headers = {HEADER: SECRET, "Content-Type": "application/json"}
        while time.monotonic() < deadline:
            with lock:
                update_id = next(ids, None)
            if update_id is None:
                break
            while time.monotonic() < deadline:  # until accepted, as Telegram does
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                try:
                    conn.request("POST", PATH, body=json.dumps(message(update_id, 1)),
                                 headers=headers)
                    response = conn.getresponse()
                    response.read()
                    outcome: Any = response.status
                except (OSError, http.client.HTTPException) as e:
                    outcome = type(e).__name__
                with lock:
                    tally[outcome] += 1
                if outcome == 200:
                    break
                conn.close()
                conn = None
                time.sleep(0.05)
        if conn is not None:
            conn.close()

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    print(json.dumps({"outcomes": {str(k): v for k, v in tally.items()},
                      "elapsed": elapsed}))


def role_attackers(port: int) -> None:
    stop = threading.Event()
    tally: collections.Counter = collections.Counter()
    lock = threading.Lock()

    def count(what: str) -> None:
        with lock:
            tally[what] += 1

    def holder(size: int, drip: bool) -> None:
        """Hold ``size`` connections; with ``drip``, send a header byte on each every 100 ms."""
        socks: List[socket.socket] = []
        while not stop.is_set():
            while len(socks) < size and not stop.is_set():
                try:
                    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
                    sock.setblocking(False)
                    if drip:
                        sock.send(b"POST /hook HTTP/1.1\r\nX-Drip: ")
                    socks.append(sock)
                    count("holder connections" if not drip else "slowloris connections")
                except OSError:
                    count("connect failed")
                    break
            for sock in list(socks):
                try:
                    if drip:
                        sock.send(b"x")
                    data = sock.recv(4096)
                    if data == b"" or data:  # closed, or answered: cut off
                        raise ConnectionError()
                except BlockingIOError:
                    continue
                except OSError:
                    socks.remove(sock)
                    sock.close()
                    count("cut off")
            stop.wait(0.1)
        for sock in socks:
            sock.close()

    def oversized() -> None:
        while not stop.is_set():
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                    sock.sendall(OVERSIZED)
                    sock.recv(100)
                count("oversized heads")
            except OSError:
                count("oversized cut off")

    def wrong_secret() -> None:
        body = json.dumps(message(1, 1))
        while not stop.is_set():
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            try:
                while not stop.is_set():
                    conn.request("POST", PATH, body=body, headers={HEADER: "guess"})
                    response = conn.getresponse()
                    response.read()
                    count("wrong secret %d" % response.status)
            except (OSError, http.client.HTTPException):
                count("wrong secret: connection closed")
            finally:
                conn.close()

    def junk() -> None:
        rng = random.Random()
        while not stop.is_set():
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                    sock.sendall(bytes(rng.randrange(256) for _ in range(2000)) + b"\r\n\r\n")
                    sock.recv(100)
                count("junk requests")
            except OSError:
                count("junk cut off")

    attackers = ([threading.Thread(target=holder, args=(40, False)) for _ in range(5)]
                 + [threading.Thread(target=holder, args=(20, True)) for _ in range(5)]
                 + [threading.Thread(target=oversized) for _ in range(5)]
                 + [threading.Thread(target=wrong_secret) for _ in range(5)]
                 + [threading.Thread(target=junk) for _ in range(5)])
    for thread in attackers:
        thread.start()
    print("ready", flush=True)
    sys.stdin.readline()
    stop.set()
    for thread in attackers:
        thread.join(30)
    print(json.dumps({"tally": dict(tally)}))


def phase_fairness(args: argparse.Namespace) -> None:
    from telegrambot.webhook import WebhookServer

    logging.disable(logging.WARNING)  # the attack is logged, rate-limited, but not here
    sink: queue.Queue = queue.Queue()
    consumed = [0]
    stop = threading.Event()

    def consume() -> None:
        while not stop.is_set():
            try:
                sink.get(timeout=0.1)
                consumed[0] += 1
            except queue.Empty:
                pass

    consumer = threading.Thread(target=consume)
    consumer.start()
    port = free_port()
    server = WebhookServer(sink, "127.0.0.1", port, PATH, secret_token=SECRET).start()
    try:
        n = args.legit_updates
        alone = result_of(child("legit", port, 1, n, 40), 120)
        attackers = child("attackers", port)
        assert attackers.stdout is not None and attackers.stdin is not None
        if attackers.stdout.readline().strip() != "ready":
            raise SystemExit("the attackers did not start")
        time.sleep(1.0)  # let them take the connections
        attacked = result_of(child("legit", port, n + 1, n, 40), 120)
        attackers.stdin.write("stop\n")
        attackers.stdin.flush()
        tally = result_of(attackers, 60)["tally"]
    finally:
        server.stop(timeout=5)
        stop.set()
        consumer.join()
        logging.disable(logging.NOTSET)

    def share(result: Dict[str, Any]) -> str:
        outcomes = result["outcomes"]
        tries = sum(outcomes.values())
        ok = outcomes.get("200", 0)
        return ("%d of %d deliveries answered 200 (%.1f %%), %.0f updates/s; others: %s"
                % (ok, tries, 100.0 * ok / max(1, tries), ok / result["elapsed"],
                   {k: v for k, v in outcomes.items() if k != "200"} or "none"))

    print("fairness: 40 kept-alive connections deliver %d updates, alone, then beside 25 "
          "reconnecting attackers" % n)
    print("  baseline, no attack:  %s" % share(alone))
    print("  under attack:         %s" % share(attacked))
    print("  attackers: %s" % ", ".join("%s %d" % kv for kv in sorted(tally.items())))
    outcomes = attacked["outcomes"]
    if outcomes.get("200", 0) < 0.95 * sum(outcomes.values()):
        raise SystemExit("fairness: FAILED (under 95 %)")


# ------------------------------------------------------------------ main


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--role":
        role, params = sys.argv[2], sys.argv[3:]
        roles = {
            "telegram": lambda: role_telegram(*map(int, params)),
            "memory-server": lambda: role_memory_server(int(params[0])),
            "oversized": lambda: role_oversized(int(params[0]), int(params[1]), float(params[2])),
            "legit": lambda: role_legit(*map(int, params)),
            "attackers": lambda: role_attackers(int(params[0])),
        }
        roles[role]()
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phases", default="delivery,polling,memory,fairness")
    parser.add_argument("--updates", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--poll-updates", type=int, default=20_000)
    parser.add_argument("--attack-seconds", type=float, default=5.0)
    parser.add_argument("--legit-updates", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    phases = {"delivery": phase_delivery, "polling": phase_polling,
              "memory": phase_memory, "fairness": phase_fairness}
    began = time.monotonic()
    for name in args.phases.split(","):
        phases[name](args)
    print("soak passed in %.0f s" % (time.monotonic() - began))


if __name__ == "__main__":
    main()

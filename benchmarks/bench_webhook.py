"""Throughput of the built-in webhook receiver, against a bare http.server baseline.

Clients run in a separate process (so they do not share the server's interpreter lock):
``--clients`` threads POST ``--updates`` distinct updates on loopback, either on kept-alive
connections or on a new connection per update (as the emulator does), and the elapsed
time gives updates per second. Both servers get the same requests:

- baseline: ``http.server.ThreadingHTTPServer``, HTTP/1.1, reads the body, answers 200;
- receiver: ``telegrambot.webhook.WebhookServer`` with a secret token, feeding a queue that
  a consumer thread drains; the run checks that every update arrived exactly once.

Run: ``python benchmarks/bench_webhook.py [--updates 10000] [--clients 50] [--rounds 3]``
"""

import argparse
import collections
import http.client
import http.server
import json
import os
import queue
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from telegrambot.webhook import SECRET_HEADER, WebhookServer  # noqa: E402

SECRET = "bench-secret"
PATH = "/hook"


def run_clients(port: int, updates: int, clients: int, keep_alive: bool) -> float:
    """POST ``updates`` updates from ``clients`` threads; return the elapsed seconds."""
    headers = {"Content-Type": "application/json", SECRET_HEADER: SECRET}
    failures = []

    def client(first: int) -> None:
        try:
            post_all(first)
        except Exception as exc:
            failures.append(type(exc).__name__)

    def post_all(first: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for update_id in range(first, updates, clients):
            body = json.dumps(
                {
                    "update_id": update_id,
                    "message": {
                        "message_id": update_id,
                        "date": 1700000000,
                        "chat": {"id": 1000 + first, "type": "private", "first_name": "Load"},
                        "from": {"id": 1000 + first, "is_bot": False, "first_name": "Load"},
                        "text": "hello %d" % update_id,
                    },
                }
            )
            conn.request("POST", PATH, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                failures.append(response.status)
            if not keep_alive:
                conn.close()
        conn.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise SystemExit("%d requests failed: %s" % (len(failures), collections.Counter(failures)))
    return elapsed


def measure(port: int, args: argparse.Namespace, keep_alive: bool) -> float:
    """Updates per second, the clients running in a child process."""
    command = [sys.executable, __file__, "--client-port", str(port), "--updates", str(args.updates)]
    command += ["--clients", str(args.clients)] + ([] if keep_alive else ["--new-connections"])
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return args.updates / float(out)


class BareHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    wbufsize = -1  # the answer in one write, no Nagle delay: the stack at its best
    disable_nagle_algorithm = True

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


class BareServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # as WebhookServer


def bench_baseline(args: argparse.Namespace, keep_alive: bool) -> float:
    httpd = BareServer(("127.0.0.1", 0), BareHandler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.1,), daemon=True)
    thread.start()
    try:
        return measure(httpd.server_address[1], args, keep_alive)
    finally:
        httpd.shutdown()
        httpd.server_close()


def bench_receiver(args: argparse.Namespace, keep_alive: bool) -> float:
    updates: queue.Queue[dict] = queue.Queue()
    seen: collections.Counter[int] = collections.Counter()

    def consume() -> None:
        while True:
            update = updates.get()
            if update is None:
                return
            seen[update["update_id"]] += 1

    consumer = threading.Thread(target=consume, daemon=True)
    consumer.start()
    server = WebhookServer(updates, "127.0.0.1", 0, PATH, secret_token=SECRET).start()
    try:
        rate = measure(server.port, args, keep_alive)
    finally:
        server.stop()
        updates.put(None)
        consumer.join()
    if len(seen) != args.updates or set(seen.values()) != {1}:
        raise SystemExit(
            "updates lost or duplicated: %d distinct of %d" % (len(seen), args.updates)
        )
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--updates", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3, help="runs of each; the best counts")
    parser.add_argument("--client-port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--new-connections", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client_port:
        elapsed = run_clients(
            args.client_port, args.updates, args.clients, not args.new_connections
        )
        print(elapsed)
        return
    print(
        "%d updates, %d concurrent clients, loopback, %d CPUs, best of %d rounds"
        % (args.updates, args.clients, os.cpu_count(), args.rounds)
    )
    for keep_alive in (True, False):
        mode = "kept-alive connections" if keep_alive else "a new connection per update"
        baseline = receiver = 0.0
        for _ in range(args.rounds):  # interleaved, best of each: other load only slows down
            baseline = max(baseline, bench_baseline(args, keep_alive))
            receiver = max(receiver, bench_receiver(args, keep_alive))
        print("%s:" % mode)
        print("  baseline (bare http.server, answers 200): %8.0f updates/s" % baseline)
        print(
            "  WebhookServer (secret, checks, queue):    %8.0f updates/s  (%.0f%% of baseline)"
            % (receiver, 100 * receiver / baseline)
        )


if __name__ == "__main__":
    main()

"""Load: 10,000 updates POSTed by 50 concurrent clients on loopback, each handled once.

Rates are measured by benchmarks/bench_webhook.py; this test checks correctness under load.
"""

import collections
import http.client
import json
import threading

from telegrambot.webhook import SECRET_HEADER, run_webhook

UPDATES = 10_000
CLIENTS = 50


def test_ten_thousand_updates_from_fifty_clients_each_handled_once(emulator, bot):
    handled = collections.Counter()
    done = threading.Event()

    def handle(msg):
        handled[msg["message_id"]] += 1
        if len(handled) == UPDATES:
            done.set()

    run = run_webhook(bot, handle, host="127.0.0.1", port=0, ordered=False)
    secret = emulator.webhook["secret_token"]
    statuses = collections.Counter()
    errors = []

    def client(first):
        conn = http.client.HTTPConnection("127.0.0.1", run.server.port, timeout=30)
        try:
            for update_id in range(first, UPDATES, CLIENTS):
                message = {
                    "message_id": update_id,
                    "date": 0,
                    "chat": {"id": first, "type": "private"},
                    "text": "x",
                }
                body = json.dumps({"update_id": update_id, "message": message})
                conn.request("POST", "/", body=body, headers={SECRET_HEADER: secret})
                response = conn.getresponse()
                response.read()
                statuses[response.status] += 1
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            conn.close()

    try:
        clients = [
            threading.Thread(target=client, args=(k,), name="load-client") for k in range(CLIENTS)
        ]
        for thread in clients:
            thread.start()
        for thread in clients:
            thread.join(120)
        assert not errors
        assert statuses == {200: UPDATES}
        assert done.wait(60)
    finally:
        run.stop()
    assert len(handled) == UPDATES
    assert set(handled.values()) == {1}

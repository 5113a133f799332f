"""A loopback JSON-RPC proxy that injects the faults real providers produce (acceptance 3).

Forwards to a real node (anvil) and, on a seeded share of requests, answers instead with:
HTTP 429 (with Retry-After: 0), HTTP 502, a stall longer than the client's timeout, a body
cut in half (truncated JSON), or a JSON-RPC "range too large" error. eth_getLogs spanning
more than `max_range` blocks always get the range error, as capped providers do. FACTS.md
lists which of these web3.py does not handle; the listener must handle them all.
"""

from __future__ import annotations

import json
import random
import threading
import time
import urllib.request
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FAULTS = ("429", "502", "stall", "truncate", "range")


class FaultProxy:
    def __init__(self, upstream: str, *, rate: float = 0.25, seed: int = 1, stall: float = 1.5,
                 max_range: int | None = 200, delay: float = 0.0):
        self.upstream, self.rate, self.stall, self.max_range = upstream, rate, stall, max_range
        self.delay = delay      # added latency per request (a slow remote provider)
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.stats: Counter[str] = Counter()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True     # else delayed ACKs add ~40 ms per response

            def log_message(self, *a):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                proxy.handle(self, body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    @property
    def fault_share(self) -> float:
        return sum(self.stats[f] for f in FAULTS) / max(1, self.stats["requests"])

    def _too_wide(self, req) -> bool:
        if self.max_range is None:
            return False
        for r in req if isinstance(req, list) else [req]:
            if r.get("method") == "eth_getLogs":
                f = r["params"][0]
                if int(f["toBlock"], 16) - int(f["fromBlock"], 16) + 1 > self.max_range:
                    return True
        return False

    def handle(self, h: BaseHTTPRequestHandler, body: bytes) -> None:
        req = json.loads(body)
        if self.delay:
            time.sleep(self.delay)
        with self.lock:
            self.stats["requests"] += 1
            fault = self.rng.choice(FAULTS) if self.rng.random() < self.rate else None
            if fault == "range" and "eth_getLogs" not in body.decode():
                fault = self.rng.choice(FAULTS[:4])   # providers raise range errors on logs only
            if fault is None and self._too_wide(req):
                fault = "range"
            if fault:
                self.stats[fault] += 1
        if fault == "429":
            return _send(h, 429, b"rate limited", {"Retry-After": "0"})
        if fault == "502":
            return _send(h, 502, b"<html>bad gateway</html>")
        if fault == "stall":
            time.sleep(self.stall)
            return _send(h, 504, b"gateway timeout")
        if fault == "range":
            def err(r):
                return {"jsonrpc": "2.0", "id": r.get("id"),
                        "error": {"code": -32005, "message": "query returned more than 10000 results"}}
            out = [err(r) for r in req] if isinstance(req, list) else err(req)
            return _send(h, 200, json.dumps(out).encode())
        up = urllib.request.Request(self.upstream, data=body,
                                    headers={"content-type": "application/json"})
        with urllib.request.urlopen(up, timeout=60) as resp:
            data = resp.read()
        if fault == "truncate":
            data = data[: max(1, len(data) // 2)]
        _send(h, 200, data)


def _send(h, status, data, headers=None):
    try:
        h.send_response(status)
        h.send_header("content-type", "application/json")
        h.send_header("content-length", str(len(data)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(data)
    except (BrokenPipeError, ConnectionResetError):
        pass

"""A loopback Solana JSON-RPC server for the tests and the bench — NOT a validator.

No Solana validator installs from the package registries (FACTS.md), so the listener tests
talk to this server on 127.0.0.1: it answers getSignaturesForAddress, getTransaction (json
encoding), getProgramAccounts (memcmp/dataSize filters, withContext), getBlockTime, getSlot
and getHealth, single or batched, from a `Ledger` of real solders transactions and Borsh
account data (solana_ledger.py). It can inject faults on a share of HTTP requests: 429 with
Retry-After, 500/502/503, stalls longer than the client's timeout, and truncated bodies.
"""

from __future__ import annotations

import base64
import json
import random
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import base58

from tests.support.solana_ledger import Ledger


@dataclass
class Faults:
    rate: float = 0.0                  # share of HTTP requests that fail
    seed: int = 0
    stall_s: float = 0.0               # a stall sleeps this long (> the client's timeout)
    kinds: tuple[str, ...] = ("429", "500", "502", "503", "stall", "truncate", "cut")
    counts: dict[str, int] = field(default_factory=dict)

    def __post_init__(self):
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()

    def draw(self) -> str | None:
        with self._lock:
            if self._rng.random() >= self.rate:
                return None
            k = self._rng.choice([k for k in self.kinds if k != "stall" or self.stall_s > 0])
            self.counts[k] = self.counts.get(k, 0) + 1
            return k


class SolanaRpcServer:
    def __init__(self, ledger: Ledger, faults: Faults | None = None, delay_s: float = 0.0):
        self.ledger, self.faults, self.delay_s = ledger, faults or Faults(), delay_s
        self.requests = 0
        self._index = {t["signature"]: t for t in ledger.txs}
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def __enter__(self) -> "SolanaRpcServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    # ---- JSON-RPC methods ----------------------------------------------------------
    def dispatch(self, method: str, params: list):
        lg = self.ledger
        if method == "getSignaturesForAddress":
            addr, cfg = params[0], (params[1] if len(params) > 1 else {})
            rows = [t for t in reversed(lg.txs) if addr in t["keys"]]
            rows.sort(key=lambda t: -t["slot"])         # stable: newest first within a slot
            if cfg.get("before"):
                pos = next((i for i, t in enumerate(rows) if t["signature"] == cfg["before"]), None)
                rows = rows[pos + 1:] if pos is not None else []
            if cfg.get("until"):
                pos = next((i for i, t in enumerate(rows) if t["signature"] == cfg["until"]), None)
                rows = rows[:pos] if pos is not None else rows
            rows = rows[:min(int(cfg.get("limit", 1000)), 1000)]
            return [{"signature": t["signature"], "slot": t["slot"],
                     "err": t["json"]["meta"]["err"], "memo": None,
                     "blockTime": lg.block_time(t["slot"]), "confirmationStatus": "finalized"}
                    for t in rows]
        if method == "getTransaction":
            t = self._index.get(params[0])
            return None if t is None else t["json"]
        if method == "getProgramAccounts":
            program, cfg = params[0], (params[1] if len(params) > 1 else {})
            out = []
            for key in sorted(lg.accounts):
                acc = lg.accounts[key]
                if acc["owner"] != program or not _matches(acc["data"], cfg.get("filters", [])):
                    continue
                out.append({"pubkey": key, "account": {
                    "data": [base64.b64encode(acc["data"]).decode(), "base64"],
                    "owner": program, "lamports": 2_000_000, "executable": False,
                    "rentEpoch": 18446744073709551615, "space": len(acc["data"])}})
            return {"context": {"slot": lg.slot, "apiVersion": "1.18.0"}, "value": out} \
                if cfg.get("withContext") else out
        if method == "getBlockTime":
            return lg.block_time(params[0])
        if method == "getSlot":
            return lg.slot
        if method == "getHealth":
            return "ok"
        raise KeyError(method)

    def answer(self, msg: dict) -> dict:
        try:
            return {"jsonrpc": "2.0", "id": msg.get("id"),
                    "result": self.dispatch(msg["method"], msg.get("params", []))}
        except KeyError:
            return {"jsonrpc": "2.0", "id": msg.get("id"),
                    "error": {"code": -32601, "message": "Method not found"}}

    def _handler(self):
        server = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True     # headers and body as separate writes would
            wbufsize = 1 << 16                 # otherwise meet delayed ACKs (~40 ms a reply)

            def log_message(self, *a):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                server.requests += 1
                if server.delay_s:
                    time.sleep(server.delay_s)
                fault = server.faults.draw()
                if fault in ("429", "500", "502", "503"):
                    data = b'{"jsonrpc":"2.0","error":{"code":429,"message":"Too many requests"}}'
                    self.send_response(int(fault))
                    if fault == "429":
                        self.send_header("Retry-After", "0")
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                if fault == "stall":
                    time.sleep(server.faults.stall_s)
                req = json.loads(body)
                reply = [server.answer(m) for m in req] if isinstance(req, list) else server.answer(req)
                data = json.dumps(reply).encode()
                if fault == "truncate":                 # a well-framed but cut JSON body
                    data = data[: max(1, len(data) // 2)]
                self.send_response(200)
                self.send_header("content-type", "application/json")
                if fault == "cut":                      # the connection drops mid-body
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data[: len(data) // 3])
                    self.close_connection = True
                    return
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return H


def _matches(data: bytes, filters: list[dict]) -> bool:
    for f in filters:
        if "dataSize" in f and len(data) != f["dataSize"]:
            return False
        if "memcmp" in f:
            want = base58.b58decode(f["memcmp"]["bytes"])
            off = f["memcmp"]["offset"]
            if data[off:off + len(want)] != want:
                return False
    return True


def main() -> None:
    """`python -m tests.support.solana_rpc [N_STEPS]`: serve a seeded Jet ledger until ^C."""
    import sys

    from tests.support.solana_ledger import governance_scenario, jet_scenario

    lg, events, _ = jet_scenario(0, int(sys.argv[1]) if len(sys.argv) > 1 else 300)
    glg, realm, _, votes = governance_scenario(0)
    lg.accounts.update(glg.accounts)
    with SolanaRpcServer(lg) as srv:
        print(f"{srv.url}  ({len(lg.txs)} transactions, {len(events)} events; "
              f"realm {realm} with {len(votes)} votes)", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()

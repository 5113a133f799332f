"""Solana listener and order-book bench (issue 5, acceptance 6; DECISIONS D23).

How it times (no peer here, so "like for like" is run to run): each figure is the median
of 3 runs.
1. Transactions decoded end to end per second: the listener (getSignaturesForAddress paging,
   batched getTransaction, Anchor decoding, Parquet chunks, checkpoints) against the loopback
   JSON-RPC server of tests/support/solana_rpc.py serving a seeded Jet ledger; warm (timed in
   this process around `index_program`, the server already up).
2. Time and peak memory to rebuild order lifetimes from --events generated dYdX-shaped order
   events (target at 1,000,000: ≤ 20 s, ≤ 2 GB), in a fresh process: seconds around
   `rebuild_lifetimes` only (events already read), peak RSS of that process.
Last line: {"tx_per_s", "events", "lifetimes_s", "lifetimes_peak_mb"} — `lifetimes_s` is
for `events` events, whatever --events was.

    .venv/bin/python bench/solana.py [--steps 3000] [--events 1000000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.measure import median_of  # noqa: E402

CHILD = r"""
import resource, sys, time, json
import pyarrow.parquet as pq
from indexer.orderbook import rebuild_lifetimes
ev = pq.read_table(sys.argv[1])
t = time.perf_counter()
lt = rebuild_lifetimes(ev, "dydx")
s = time.perf_counter() - t
print(json.dumps({"events": ev.num_rows, "lifetimes": lt.num_rows, "seconds": s,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def bench_listener(steps: int) -> dict:
    from indexer.solana.listener import index_program
    from indexer.solana.rpc import SolanaRpc
    from tests.support.solana_ledger import JET, jet_scenario
    from tests.support.solana_rpc import SolanaRpcServer

    lg, events, _ = jet_scenario(seed=1, n_steps=steps)
    with SolanaRpcServer(lg) as srv, tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        res = index_program(SolanaRpc(srv.url, batch=100, concurrency=4), JET, d, chunk_txs=5000)
        s = time.perf_counter() - t
    assert res["events"] == len(events)
    return {"transactions": res["transactions"], "events": res["events"], "seconds": s,
            "tx_per_s": res["transactions"] / s}


def bench_lifetimes(n_events: int) -> dict:
    import pyarrow.parquet as pq

    from indexer.generate import generate_dydx_order_events
    from indexer.generate.dydx import ORDERS_PER_SCALE

    scale = n_events / (ORDERS_PER_SCALE * 3.25)
    ev = generate_dydx_order_events(seed=1, scale=scale)
    while ev.num_rows < n_events:
        scale *= 1.05
        ev = generate_dydx_order_events(seed=1, scale=scale)
    ev = ev.slice(0, n_events)
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "events.parquet"
        pq.write_table(ev, p)
        out = subprocess.run([sys.executable, "-c", CHILD, str(p)], capture_output=True,
                             text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=3000, help="ledger steps (≈ transactions)")
    ap.add_argument("--events", type=int, default=1_000_000)
    a = ap.parse_args()
    li = median_of(lambda: bench_listener(a.steps))
    print(f"listener: {li['transactions']} transactions, {li['events']} events in "
          f"{li['seconds']:.2f} s = {li['tx_per_s']:.0f} tx/s (loopback JSON-RPC)")
    lt = median_of(lambda: bench_lifetimes(a.events))
    print(f"lifetimes: {lt['events']} events -> {lt['lifetimes']} lifetime rows in "
          f"{lt['seconds']:.2f} s, peak RSS {lt['peak_mb']:.0f} MB (targets: ≤ 20 s, ≤ 2048 MB)")
    print(json.dumps({"tx_per_s": round(li["tx_per_s"], 1), "events": lt["events"],
                      "lifetimes_s": round(lt["seconds"], 3),
                      "lifetimes_peak_mb": round(lt["peak_mb"], 1)}))


if __name__ == "__main__":
    main()

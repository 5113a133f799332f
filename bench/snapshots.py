"""Snapshot bench (issue 19): contract reads per second, ours against the node's own speed.

A local anvil gets Multicall3 at its canonical address (as on mainnet), three dHEDGE-shaped
pools (contracts/test/ListenerEmitters.sol) and --investors deposits in each, spread over
--days UTC days. The event datasets are indexed first (not timed); then:
- ours: `pool_snapshots` through the real reader (indexer/evm/snapshots.py: holders from
  the store, Multicall3 aggregate3 inside batched JSON-RPC, Parquet chunk, checkpoint), timed
  warm in this process around `run_snapshots` (header fetch, store reads and the write
  included), into a fresh copy of the event store each run;
- raw: exactly the calls ours made (recorded by the reader), sent as plain `eth_call`s in
  JSON-RPC batch requests (BATCH per HTTP request, one after another) with the same client
  (httpx + orjson), only parsed — no decoding, no files: the node's floor without Multicall3.
Both are the median of 3 runs. `calls` counts the contract reads (an aggregate3 carries many).
Last line: {"calls", "ours_calls_per_s", "raw_calls_per_s", "ratio"} (ratio = ours / raw).

    .venv/bin/python bench/snapshots.py [--investors 200] [--days 10]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench import measure  # noqa: E402

DAY = 86_400
BATCH = 50      # eth_calls per raw HTTP request (the reader's plain-path batch size)


def make_world(investors: int, days: int):
    from eth_utils import keccak, to_checksum_address

    from indexer.evm.multicall import install
    from tests.support.evm import Anvil, deploy
    from tests.support.indexer import artifacts

    node = Anvil("--timestamp", "1700000000").__enter__()
    install(node.rpc)
    w3, art = node.w3, artifacts()
    token = deploy(w3, art["TestToken"], "A", "A", 18)
    pools = [deploy(w3, art["MockPoolLogic"]) for _ in range(3)]
    people = [to_checksum_address(keccak(f"bench:{i}".encode())[:20]) for i in range(investors)]
    per_day = -(-investors // days)
    for d in range(days):
        for who in people[d * per_day:(d + 1) * per_day]:
            for k, pool in enumerate(pools):
                pool.functions.deposit(who, token.address, 1, 1, 10**18 + k).transact()
        node.rpc("evm_increaseTime", [hex(DAY)])
        node.mine(1)
    node.mine(1)
    return node, [p.address for p in pools]


def raw(url: str, log: list) -> tuple[int, float]:
    import httpx
    import orjson

    items = [(b, to, data) for b, calls in log for to, data in calls]
    t0 = time.perf_counter()
    with httpx.Client(timeout=120) as c:
        for i in range(0, len(items), BATCH):
            body = orjson.dumps([{"jsonrpc": "2.0", "id": k, "method": "eth_call",
                                  "params": [{"to": to, "data": "0x" + data.hex()}, hex(b)]}
                                 for k, (b, to, data) in enumerate(items[i:i + BATCH])])
            got = orjson.loads(c.post(url, content=body,
                                      headers={"content-type": "application/json"}).content)
            assert len(got) == len(items[i:i + BATCH]) and all("result" in g for g in got)
    return len(items), time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--investors", type=int, default=200)
    ap.add_argument("--days", type=int, default=10)
    a = ap.parse_args()
    from indexer.api import connect, index_dataset
    from indexer.datasets import get
    from indexer.evm.snapshots import run_snapshots
    from indexer.store import Store

    node, pools = make_world(a.investors, a.days)
    work = Path(tempfile.mkdtemp(prefix="bench-snap-"))
    try:
        client = connect(node.url)
        cid = client.chain_id()
        events = work / "events"
        for ds in ("dhedge_deposits", "pool_token_transfers"):
            index_dataset(client, events, ds, cid, pools, 0, client.block_number(), 0, workers=0)
        print(f"machine: {measure.machine()}")
        runs = []

        def ours():
            store = work / f"run{len(runs)}"
            shutil.copytree(events, store)
            log: list = []
            t0 = time.perf_counter()
            out = run_snapshots(client, Store(store), get("pool_snapshots"), cid, pools, 0,
                                client.block_number(), 0, log=log)
            r = {"seconds": time.perf_counter() - t0, "calls": out["calls"], "rows": out["rows"],
                 "chunks": out["chunks"], "log": log}
            runs.append(r)
            return r
        o = measure.median_of(ours)
        if len({r["rows"] for r in runs}) != 1 or o["rows"] == 0:
            sys.exit(f"error: runs disagree on rows ({[r['rows'] for r in runs]})")
        raws = sorted((raw(node.url, o["log"]) for _ in range(measure.RUNS)), key=lambda r: r[1])
        n, raw_s = raws[1]
        if n != o["calls"]:
            sys.exit(f"error: raw sent {n} calls, ours {o['calls']}")
        ours_rate, raw_rate = n / o["seconds"], n / raw_s
        print(f"{n:,} contract reads over {a.days} days, 3 pools × {a.investors} investors: "
              f"ours {o['seconds']:.2f} s ({ours_rate:,.0f} reads/s, {o['rows']:,} rows in "
              f"{o['chunks']} chunk(s)); raw batched eth_call {raw_s:.2f} s ({raw_rate:,.0f}/s) "
              f"(medians of 3)")
        print(json.dumps({"calls": n, "ours_calls_per_s": round(ours_rate),
                          "raw_calls_per_s": round(raw_rate), "ratio": round(ours_rate / raw_rate, 2)}))
    finally:
        node.__exit__(None, None, None)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

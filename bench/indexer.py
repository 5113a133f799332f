"""Indexer bench (issue 4, acceptance 7; issue 19): logs/s from a local anvil node, ≥ 200,000 logs.

How it times (bench/measure.py): every tool — ours, ethereum-etl, cryo — runs as its own
process on the same node and block range, timed from process start to files on disk
(interpreter start and imports included), peak = the summed RSS of its process tree
(workers included), the median of 3 runs each. Worker counts: ours at 1 and 2 worker
processes (`--workers`), ethereum-etl at `--max-workers` 1 and 2, cryo at
`max_concurrent_chunks` 1 and 2; each tool's best setting is compared. All fetch the same
RANGE blocks per eth_getLogs (~10,000 logs, the usual provider cap).
- raw: `eth_getLogs` over HTTP + JSON parsing only (httpx + orjson, the client our listener
  uses; DECISIONS D23), same ranges, in this process (a floor, not a tool: no files);
- peers are installed on first use into .cache/bench-venvs/ (bench/peers.py).
Every tool must write exactly the node's log count: a disagreement fails the bench (exit 1).
Prints figures, then as its LAST line one JSON object.

    .venv/bin/python bench/indexer.py [--logs 200000]
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

from bench import measure, peers  # noqa: E402

PER_BLOCK = 2000        # logs per block (one spam transaction per block)
RANGE = 5               # blocks per eth_getLogs: ~10,000 logs, the usual provider cap
WORKERS = (1, 2)


def make_chain(n_logs: int):
    from tests.support.evm import Anvil, deploy
    from tests.support.indexer import artifacts
    node = Anvil("--gas-limit", "2000000000", "--no-request-size-limit").__enter__()
    spam = deploy(node.w3, artifacts()["TransferSpammer"])
    first = node.w3.eth.block_number + 1
    for i in range(-(-n_logs // PER_BLOCK)):
        h = spam.functions.spam(PER_BLOCK, i * 1_000_003 + 1).transact({"gas": 80_000_000})
        assert node.w3.eth.wait_for_transaction_receipt(h, poll_latency=0.01).status == 1
    return node, spam.address, first, node.w3.eth.block_number


def raw_fetch(url: str, contract: str, first: int, last: int) -> tuple[int, float]:
    import httpx
    import orjson
    t0 = time.perf_counter()
    n = 0
    with httpx.Client(timeout=120) as c:
        for lo in range(first, last + 1, RANGE):
            hi = min(last, lo + RANGE - 1)
            body = orjson.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_getLogs", "params": [
                {"fromBlock": hex(lo), "toBlock": hex(hi), "address": [contract.lower()]}]})
            n += len(orjson.loads(c.post(url, content=body,
                                         headers={"content-type": "application/json"}).content)["result"])
    return n, time.perf_counter() - t0


def ours(url, contract, first, last, workers) -> measure.Timed:
    """`epochdrop index erc20_transfers` as a user runs it, into a fresh store."""
    store = Path(tempfile.mkdtemp(prefix="bench-store-", dir=REPO / ".cache"))
    try:
        t = measure.run([sys.executable, "-m", "pipeline.cli", "index", "erc20_transfers",
                         "--rpc", url, "--store", str(store), "--contracts", contract,
                         "--from", str(first), "--to", str(last), "--confirmations", "0",
                         "--range", str(RANGE), "--workers", str(workers)],
                        cwd=REPO, env=measure.env_with_repo(REPO))
        import pyarrow.parquet as pq
        t.rows = sum(pq.read_metadata(f).num_rows for f in store.rglob("*.parquet"))
        return t
    finally:
        shutil.rmtree(store, ignore_errors=True)


def ethereum_etl(url, first, last, workers) -> measure.Timed:
    exe = peers.ensure("ethereum-etl")
    with tempfile.TemporaryDirectory(dir=REPO / ".cache") as d:
        out = Path(d) / "tt.csv"
        t = measure.run([str(exe), "export_token_transfers", "--start-block", str(first),
                         "--end-block", str(last), "--provider-uri", url, "--batch-size", str(RANGE),
                         "--max-workers", str(workers), "--output", str(out)])
        t.rows = sum(1 for _ in open(out)) - 1
    return t


def cryo(url, contract, first, last, workers) -> measure.Timed:
    """cryo's PyPI wheel is a Python module (no CLI binary): `cryo.freeze("logs", ...)`.

    The child leaves with `os._exit(0)` once `freeze` has returned (its files are written and
    closed then; the rows are counted from them below): at 2 chunks the wheel's runtime
    threads can still hold the GIL state while the interpreter finalizes, and the process
    then aborts ("PyGILState_Release: thread state … must be current", measured 2026-12-04)
    after doing all its work."""
    py = peers.ensure("cryo")
    with tempfile.TemporaryDirectory(dir=REPO / ".cache") as d:
        code = (f"import cryo; cryo.freeze('logs', blocks=['{first}:{last + 1}'], rpc='{url}', "
                f"contract=['{contract.lower()}'], chunk_size={RANGE}, output_dir='{d}', "
                f"max_concurrent_chunks={workers}, no_verbose=True); "
                "import os; os._exit(0)")
        t = measure.run([str(py), "-c", code])
        import pyarrow.parquet as pq
        t.rows = sum(pq.read_metadata(f).num_rows for f in Path(d).rglob("*.parquet"))
    return t


def best(name: str, f, n: int) -> tuple[int, measure.Timed, dict]:
    """Median of 3 at each worker count; the fastest setting, and every median."""
    got = {}
    for w in WORKERS:
        got[w] = measure.median_of(lambda: f(w))
        if got[w].rows != n:
            sys.exit(f"error: {name} with {w} worker(s) wrote {got[w].rows:,} rows, the node "
                     f"has {n:,} logs: the bench compares nothing")
        print(f"{name} ({w} worker{'s' if w > 1 else ''}): {got[w].seconds:.2f} s  "
              f"{n / got[w].seconds:,.0f} logs/s  peak {got[w].peak_mb:.0f} MB (median of 3)")
    w = min(got, key=lambda k: got[k].seconds)
    return w, got[w], got


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--logs", type=int, default=200_000)
    a = ap.parse_args()
    (REPO / ".cache").mkdir(exist_ok=True)
    peers.ensure("ethereum-etl"), peers.ensure("cryo")     # installs count in no timing
    node, contract, first, last = make_chain(a.logs)
    try:
        url = node.url
        print(f"machine: {measure.machine()}")
        raws = [raw_fetch(url, contract, first, last) for _ in range(measure.RUNS)]
        n = raws[0][0]
        raw_s = sorted(r[1] for r in raws)[1]
        print(f"logs: {n:,} in blocks {first}–{last}")
        print(f"raw eth_getLogs (httpx + orjson, in process): {raw_s:.2f} s  {n / raw_s:,.0f} logs/s")
        mid = first + 50_000 // PER_BLOCK - 1           # exactly the first 50,000 logs
        w_ours, o, ours_all = best("ours", lambda w: ours(url, contract, first, last, w), n)
        small = measure.median_of(lambda: ours(url, contract, first, mid, w_ours))
        if small.rows != 50_000:
            sys.exit(f"error: ours wrote {small.rows:,} rows for the first 50,000 logs")
        w_etl, etl, _ = best("ethereum-etl", lambda w: ethereum_etl(url, first, last, w), n)
        w_cryo, cr, _ = best("cryo", lambda w: cryo(url, contract, first, last, w), n)
        rate = lambda t: n / t.seconds  # noqa: E731
        print(f"ours ({w_ours} workers) vs ethereum-etl ({w_etl}): {rate(o) / rate(etl):.2f}x; "
              f"vs cryo ({w_cryo}): {rate(o) / rate(cr):.2f}x; overhead over raw "
              f"{o.seconds / raw_s - 1:+.1%}")
        print(json.dumps({
            "logs": n, "timing": "whole process, start to files on disk; median of 3",
            "raw_logs_per_s": round(n / raw_s),
            "ours_logs_per_s": round(rate(o)), "ours_workers": w_ours,
            "ours_1_worker_logs_per_s": round(rate(ours_all[1])),
            "ours_2_workers_logs_per_s": round(rate(ours_all[2])),
            "ethereum_etl_logs_per_s": round(rate(etl)), "ethereum_etl_workers": w_etl,
            "cryo_logs_per_s": round(rate(cr)), "cryo_workers": w_cryo,
            "overhead": round(o.seconds / raw_s - 1, 4),
            "vs_ethereum_etl": round(rate(o) / rate(etl), 2),
            "vs_cryo": round(rate(o) / rate(cr), 2),
            "peak_mb_50k": round(small.peak_mb),
            f"peak_mb_{n // 1000}k": round(o.peak_mb),
        }))
    finally:
        node.__exit__(None, None, None)


if __name__ == "__main__":
    main()

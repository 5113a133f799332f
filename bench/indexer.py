"""Indexer bench (issue 4, acceptance 7): logs/s from a local anvil node for ≥ 200,000 logs.

Measures, on the same node and block range:
- raw: `eth_getLogs` over HTTP + JSON parsing only (httpx + orjson, the client our listener
  uses; DECISIONS D23), same ranges;
- ours: `epochdrop index erc20_transfers` end to end (fetch, decode, checksum, Parquet,
  checkpoints), in a fresh process, with its peak RSS at 50k and at 200k logs;
- ethereum-etl (`export_token_transfers`) and cryo (`cryo logs`), each from its own venv
  under .cache/bench-venvs/ (D25), when they install; null otherwise.
Prints figures, then as its LAST line one JSON object with the keys the issue names.

    .venv/bin/python bench/indexer.py [--logs 200000]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
VENVS = REPO / ".cache" / "bench-venvs"
PER_BLOCK = 2000        # logs per block (one spam transaction per block)
RANGE = 5               # blocks per eth_getLogs: ~10,000 logs, the usual provider cap


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


CHILD = r"""
import json, sys, time
sys.path.insert(0, {repo!r})
from pathlib import Path
from indexer.api import connect, index_dataset
from indexer.datasets import get
c = connect({url!r}); ds = get("erc20_transfers"); cid = c.chain_id()
t0 = time.perf_counter()
out = index_dataset(c, Path({store!r}), ds, cid, [{contract!r}], {first}, {last}, 0,
                    range_blocks={rng}, workers={workers})
dt = time.perf_counter() - t0
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1]
print(json.dumps(dict(rows=out["rows"], seconds=dt, peak_mb=int(hwm) / 1024,
                      worker_peak_mb=out.get("worker_peak_mb") or 0)))
"""


def ours(url, contract, first, last, workers=2) -> dict:
    """`epochdrop index`'s own code path (indexer.api.index_dataset) in a fresh process; peak
    RSS is the parent's (workers are separate processes of about the same size)."""
    store = tempfile.mkdtemp(prefix="bench-store-", dir=REPO / ".cache")
    try:
        code = CHILD.format(repo=str(REPO), url=url, store=store, contract=contract, rng=RANGE,
                            first=first, last=last, workers=workers)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(store, ignore_errors=True)


def ethereum_etl(url, first, last) -> tuple[int, float] | None:
    exe = VENVS / "ethereum-etl" / "bin" / "ethereumetl"
    if not exe.exists():
        return None
    with tempfile.TemporaryDirectory(dir=REPO / ".cache") as d:
        out = Path(d) / "tt.csv"
        t0 = time.perf_counter()
        p = subprocess.run([str(exe), "export_token_transfers", "--start-block", str(first),
                            "--end-block", str(last), "--provider-uri", url, "--batch-size", str(RANGE),
                            "--max-workers", "1", "--output", str(out)], capture_output=True, text=True)
        dt = time.perf_counter() - t0
        if p.returncode != 0:
            print("ethereum-etl failed:", p.stderr[-500:], file=sys.stderr)
            return None
        n = sum(1 for _ in open(out)) - 1
    return n, dt


def cryo(url, contract, first, last) -> tuple[int, float] | None:
    """cryo's PyPI wheel is a Python module (no CLI binary): `cryo.freeze("logs", ...)`."""
    py = VENVS / "cryo" / "bin" / "python"
    if not py.exists():
        return None
    with tempfile.TemporaryDirectory(dir=REPO / ".cache") as d:
        code = (f"import cryo; cryo.freeze('logs', blocks=['{first}:{last + 1}'], rpc='{url}', "
                f"contract=['{contract.lower()}'], chunk_size={RANGE}, output_dir='{d}', "
                "max_concurrent_chunks=1, no_verbose=True)")
        t0 = time.perf_counter()
        p = subprocess.run([str(py), "-c", code], capture_output=True, text=True)
        dt = time.perf_counter() - t0
        if p.returncode != 0:
            print("cryo failed:", (p.stderr or p.stdout)[-500:], file=sys.stderr)
            return None
        import pyarrow.parquet as pq
        n = sum(pq.read_metadata(f).num_rows for f in Path(d).rglob("*.parquet"))
    return n, dt


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--logs", type=int, default=200_000)
    a = ap.parse_args()
    (REPO / ".cache").mkdir(exist_ok=True)
    node, contract, first, last = make_chain(a.logs)
    try:
        url = node.url
        n, raw_s = raw_fetch(url, contract, first, last)
        raw_s = min(raw_s, raw_fetch(url, contract, first, last)[1])        # best of two
        print(f"logs: {n:,} in blocks {first}–{last}")
        print(f"raw eth_getLogs (httpx + orjson): {raw_s:.2f} s  {n / raw_s:,.0f} logs/s")
        mid = first + (last - first + 1) // 4 - 1
        small = ours(url, contract, first, mid)
        full = min((ours(url, contract, first, last) for _ in range(2)), key=lambda r: r["seconds"])
        single = ours(url, contract, first, last, workers=0)
        assert full["rows"] == n, (full, n)
        print(f"ours end to end: {full['seconds']:.2f} s  {n / full['seconds']:,.0f} logs/s  "
              f"(overhead over raw {full['seconds'] / raw_s - 1:+.1%})")
        print(f"ours with --workers 0 (fetch threads + decode in one process): {single['seconds']:.2f} s  "
              f"{n / single['seconds']:,.0f} logs/s")
        print(f"peak RSS: {small['rows']:,} logs {small['peak_mb']:.0f} MB (+ each worker "
              f"{small['worker_peak_mb']:.0f} MB); {full['rows']:,} logs {full['peak_mb']:.0f} MB "
              f"(+ each worker {full['worker_peak_mb']:.0f} MB); --workers 0: {single['peak_mb']:.0f} MB")
        etl = ethereum_etl(url, first, last)
        cr = cryo(url, contract, first, last)
        etl_rate = etl[0] / etl[1] if etl else None
        cryo_rate = cr[0] / cr[1] if cr else None
        for name, r in (("ethereum-etl", etl), ("cryo", cr)):
            if r:
                print(f"{name}: {r[0]:,} rows in {r[1]:.2f} s  {r[0] / r[1]:,.0f} logs/s  "
                      f"(ours is {n / full['seconds'] / (r[0] / r[1]):.2f}x)")
            else:
                print(f"{name}: not installed in {VENVS} (or failed); see bench docs")
        ours_rate = n / full["seconds"]
        print(json.dumps({
            "logs": n, "raw_logs_per_s": round(n / raw_s), "ours_logs_per_s": round(ours_rate),
            "ethereum_etl_logs_per_s": round(etl_rate) if etl_rate else None,
            "cryo_logs_per_s": round(cryo_rate) if cryo_rate else None,
            "overhead": round(full["seconds"] / raw_s - 1, 4),
            "vs_ethereum_etl": round(ours_rate / etl_rate, 2) if etl_rate else None,
            "vs_cryo": round(ours_rate / cryo_rate, 2) if cryo_rate else None,
            "peak_mb_50k": round(small["peak_mb"] + 2 * small["worker_peak_mb"]),
            "peak_mb_200k": round(full["peak_mb"] + 2 * full["worker_peak_mb"]),
        }))
    finally:
        node.__exit__(None, None, None)


if __name__ == "__main__":
    main()

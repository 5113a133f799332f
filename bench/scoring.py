"""Scoring bench: a generated dYdX-shaped epoch (28 days, 30 markets, 50 makers) and a
Jet epoch (30 days) at 250,000 / 500,000 / 1,000,000 order lifetimes.

Each size is written as Parquet (decimal strings, as the importer requires) and scored by
`epochdrop score`'s function in a child process, three times (the median run is kept; no peer
here, so like for like is run to run). How it times: the child's wall time around the
scoring call only (inputs on disk, imports done), and the child's peak RSS (its own rusage,
one process). Prints one JSON line per size `{"program", "lifetimes", "seconds", "peak_mb",
"cpu_seconds", "seconds_per_million"}` (D23's keys, plus the program, the child's CPU time
and the time per million lifetimes: cost should grow with order changes, i.e. about
linearly in lifetimes at a fixed sample count, not with samples × orders), Jet first, so the
last line is the largest dYdX case. Targets (issue 19): a dYdX-shaped epoch (28 days, 30
markets) with 1,000,000 lifetimes in ≤ 20 s and ≤ 2 GB.

    .venv/bin/python bench/scoring.py [--sizes 250000,500000,1000000] [--programs jet,dydx]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DYDX_EPOCH = "20"  # dip19 with eligibility from epoch 19: the full path
JET_EPOCH = "2"


def _decimal_text(col: pa.Array, places: int) -> pa.Array:
    return pa.array(np.char.mod(f"%.{places}f", np.asarray(col)))


def write_inputs(program: str, n: int, folder: Path, seed: int = 6) -> None:
    from bench.orderbook_gen import MAKERS, lifetimes

    folder.mkdir(parents=True, exist_ok=True)
    if program == "dydx":
        from distributor.programs.dydx.schedule import window

        t = lifetimes(n, window(DYDX_EPOCH).start, 28, seed, "dydx")
        t = t.set_column(4, "price", _decimal_text(t["price"], 2))
        t = t.set_column(5, "size", _decimal_text(t["size"], 4))
        pq.write_table(t, folder / "dydx_orders.parquet")
        markets = sorted(set(t["market"].to_pylist()))
        rng = np.random.default_rng(seed)
        rows = [(e, m, f"0xmaker{k}", f"{rng.integers(1, 10**7)}.{rng.integers(0, 100):02d}")
                for e in (int(DYDX_EPOCH) - 1, int(DYDX_EPOCH)) for m in markets
                for k in range(MAKERS)]
        pq.write_table(pa.table({"epoch": [r[0] for r in rows], "market": [r[1] for r in rows],
                                 "maker": [r[2] for r in rows],
                                 "volume_usd": [r[3] for r in rows]}),
                       folder / "dydx_maker_volume.parquet")
    else:
        from distributor.programs.jet.program import JetParams, window

        t = lifetimes(n, window(JET_EPOCH, JetParams()).start, 30, seed, "jet")
        t = t.set_column(4, "rate", _decimal_text(t["rate"], 6))
        t = t.set_column(5, "size", _decimal_text(t["size"], 4))
        pq.write_table(t, folder / "jet_orders.parquet")
        markets = sorted(set(t["market"].to_pylist()))
        tenors = [86_400 * (7, 14, 30, 90)[i % 4] for i in range(len(markets))]
        pq.write_table(pa.table({"market": markets, "tenor_seconds": tenors}),
                       folder / "jet_markets.parquet")


def child(program: str, folder: str, out: str) -> None:
    """Runs in the child: score one epoch, print the wall seconds of the scoring."""
    from distributor.runner import score_epoch

    epoch = DYDX_EPOCH if program == "dydx" else JET_EPOCH
    t0 = time.perf_counter()
    score_epoch(program, folder, epoch, out)
    print(json.dumps({"seconds": time.perf_counter() - t0}))


def measure(program: str, n: int, work: Path, runs: int = 3) -> dict:
    folder = work / f"{program}-{n}"
    write_inputs(program, n, folder)
    got = sorted((measure_once(program, n, folder, work / f"{program}-{n}-out-{k}")
                  for k in range(runs)), key=lambda r: r["seconds"])
    best = dict(got[len(got) // 2])
    best["seconds_per_million"] = round(best["seconds"] * 1_000_000 / n, 2)
    best["runs"] = runs
    return best


def measure_once(program: str, n: int, folder: Path, out: Path) -> dict:
    proc = subprocess.Popen([sys.executable, __file__, "--child", program, str(folder), str(out)],
                            stdout=subprocess.PIPE, cwd=ROOT)
    stdout = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage (RUSAGE_CHILDREN, per child)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{program} {n}: scoring child failed ({proc.returncode})")
    seconds = json.loads(stdout.decode().strip().splitlines()[-1])["seconds"]
    return {"program": program, "lifetimes": n, "seconds": round(seconds, 2),
            "peak_mb": round(usage.ru_maxrss / 1024, 1),
            # CPU of the whole child (imports included): a check on `seconds` when other
            # work shares the machine's two cores
            "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="250000,500000,1000000")
    ap.add_argument("--programs", default="jet,dydx")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--child", nargs=3, metavar=("PROGRAM", "FOLDER", "OUT"))
    a = ap.parse_args()
    if a.child:
        child(*a.child)
        return
    sizes = sorted(int(s) for s in a.sizes.split(","))
    with tempfile.TemporaryDirectory(prefix="epochdrop-bench-") as tmp:
        for program in a.programs.split(","):
            for n in sizes:
                print(json.dumps(measure(program, n, Path(tmp), a.runs)), flush=True)


if __name__ == "__main__":
    main()

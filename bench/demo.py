"""Demo bench (issue 19): `epochdrop demo` cold, and a rerun that changes nothing.

How it times (bench/measure.py): the whole `epochdrop demo --out DIR` process, from start
to its last file, after install (the venv exists; nothing is downloaded):
- cold_s: into an empty DIR (the embedded chain is built, every dataset indexed, every epoch
  run, verified, and the what-ifs drawn);
- rerun_s: the same command again on that DIR (nothing changed: the store's checkpoints cover
  the chain's blocks, so nothing is re-indexed — its run report must say 0 RPC calls for every
  chain epoch, else the bench fails — and every epoch folder is up to date).
Each is the median of --runs (default 3) cold/rerun pairs. index_s, score_s, tree_s and
report_s are the cold run's seconds in those stages of `run`, summed over the 8 epochs (from
the run report; "score" = load + score + allocate). The demo runs its two halves (chain, and
off-chain inputs) in two processes side by side, so the stage sums can exceed cold_s.

    .venv/bin/python bench/demo.py [--runs 3] [--small]

Last line: {"cold_s", "rerun_s", "index_s", "score_s", "tree_s", "report_s"}.
"""

from __future__ import annotations

import argparse
import ast
import json
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench import measure  # noqa: E402


def report_rows(out: Path) -> list[dict]:
    runs = out.parent / ".epochdrop-runs" / out.name
    latest = max(runs.glob("demo_*.json"), key=lambda p: p.stat().st_mtime_ns)
    rows = json.loads(latest.read_text())["done"][-1]
    for r in rows:
        r["stages"] = ast.literal_eval(r["stages"])
    return rows


def one(small: bool) -> dict:
    work = Path(tempfile.mkdtemp(prefix="bench-demo-", dir=REPO / ".cache"))
    out = work / "demo"
    cmd = [sys.executable, "-m", "pipeline.cli", "demo", "--out", str(out)] + (["--small"] if small else [])
    env = measure.env_with_repo(REPO)
    try:
        cold = measure.run(cmd, cwd=REPO, env=env)
        rows = report_rows(out)
        rerun = measure.run(cmd, cwd=REPO, env=env)
        again = report_rows(out)
        calls = {f"{r['program']} {r['epoch']}": int(r["rpc_calls"]) for r in again}
        if any(calls.values()) or not all(r["fresh"] == "False" for r in again):
            sys.exit(f"error: the rerun re-did work: RPC calls {calls}, fresh "
                     f"{[r['fresh'] for r in again]}")
        total = lambda *names: round(sum(r["stages"].get(n, 0.0) for r in rows for n in names), 2)  # noqa: E731
        return {"seconds": cold.seconds, "cold_s": round(cold.seconds, 2),
                "rerun_s": round(rerun.seconds, 2), "index_s": total("index"),
                "score_s": total("load", "score", "allocate"), "tree_s": total("tree"),
                "report_s": total("report"), "cold_peak_mb": round(cold.peak_mb),
                "rerun_peak_mb": round(rerun.peak_mb)}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=measure.RUNS)
    ap.add_argument("--small", action="store_true", help="the reduced demo (tests' size)")
    a = ap.parse_args()
    (REPO / ".cache").mkdir(exist_ok=True)
    print(f"machine: {measure.machine()}")
    runs = [one(a.small) for _ in range(a.runs)]
    for r in runs:
        print(f"cold {r['cold_s']:.1f} s, rerun {r['rerun_s']:.1f} s (index {r['index_s']:.1f} s, "
              f"score {r['score_s']:.1f} s, tree {r['tree_s']:.1f} s, report {r['report_s']:.1f} s)")
    med = sorted(runs, key=lambda r: r["cold_s"])[len(runs) // 2]
    rerun = sorted(r["rerun_s"] for r in runs)[len(runs) // 2]
    print(json.dumps({"cold_s": med["cold_s"], "rerun_s": rerun, "index_s": med["index_s"],
                      "score_s": med["score_s"], "tree_s": med["tree_s"],
                      "report_s": med["report_s"], "runs": a.runs,
                      "timing": "whole `epochdrop demo` process; median of runs"}))


if __name__ == "__main__":
    main()

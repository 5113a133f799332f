"""Engines bench: one dYdX epoch scored on DuckDB, Spark `local[2]` and a Spark standalone
cluster (2 workers × 1 core, on loopback), at 1M and 10M order lifetimes (issue 18).

What is compared: the epoch's `rewards.parquet` bytes and the Merkle root built from it (the
program's own scheme, `packed` for dYdX) must be the same on every engine; a mismatch prints
`"identical": false` and exits 1.

How it times (the same way for every engine): each engine runs in its own child process;
the child imports everything and, for Spark, starts its SparkSession (and the cluster's
executors) *before* the clock starts; then the whole scoring call — `score_epoch`: load and
validate the inputs, score, allocate, write the folder — is timed with a wall clock. At 1M
the median of 3 calls in that warm process is kept; at 10M one call per engine (the key
`runs` says how many). The inputs are generated once per size (bench/scale_data.py) into a
temp folder and read from local disk by all three. On two cores Spark is expected to be
slower than DuckDB: the point is identical payouts and a path to a cluster. Spark conf: the
engine's own (distributor/engines/spark/session.py) plus `spark.driver.memory=4g` (see
DRIVER_MEMORY) and any `--conf KEY=VALUE`.

Prints one JSON line per size (with `runs`, `spark_*_runs_s`, the rewards sha256 and root),
and last a line `{"results": [{"rows", "duckdb_s", "spark_local_s", "spark_cluster_s",
"identical", "runs"}, …]}` with one object per size (D23 style: the named keys are exact).

    .venv/bin/python bench/engines.py [--sizes 1000000,10000000] [--engines duckdb,spark_local,spark_cluster] [--work DIR]

The same child (`--child JOBS.json`) scores any list of epochs on one engine; the cluster
test (tests/test_engine_cluster.py) uses it to submit to its own cluster from a fresh process.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

ENGINES = ("duckdb", "spark_local", "spark_cluster")
LOCAL_MASTER = "local[2]"
# The driver JVM's heap. Spark's default (1g) is too small for the input content hash, which
# streams the sorted row texts of a 1M-row table through the driver (engines/spark/files.py);
# local[2] runs its tasks in that JVM too. The cluster's executors keep Spark's 1g.
DRIVER_MEMORY = "4g"
CLUSTER_CONF = {"spark.sql.shuffle.partitions": "4", "spark.default.parallelism": "4"}
KEY = {"duckdb": "duckdb_s", "spark_local": "spark_local_s", "spark_cluster": "spark_cluster_s"}


# -- one engine, one epoch ----------------------------------------------------------------------

def engine_config(kind: str, master: str | None = None, conf: dict[str, str] | None = None):
    """The `engine=` argument of `score_epoch`: None for DuckDB (the default path, unchanged),
    else the `[engine]` table (kind, master, conf) as the runner takes it."""
    if kind == "duckdb":
        return None
    from distributor.engines import EngineConfig  # what score_epoch(engine=) takes

    return EngineConfig(kind="spark", master=master or LOCAL_MASTER, conf=dict(conf or {}))


def score(job: dict[str, Any], engine: Any) -> float:
    """Score one epoch into `job["out"]` (replaced); the wall seconds of the whole call."""
    from distributor.runner import score_epoch

    kw = {"engine": engine} if engine is not None else {}
    t0 = time.perf_counter()
    score_epoch(job["program"], job["data"], job["epoch"], job["out"],
                config=job.get("config"), chain=job.get("chain"), **kw)
    return time.perf_counter() - t0


def tree_scheme(program: str, config: str | Path | None = None) -> str:
    """The `[tree] scheme` of the config (the program's documented default when None)."""
    import tomllib

    from distributor.programs import default_config_path

    path = Path(config) if config else default_config_path(program)
    return tomllib.loads(path.read_text()).get("tree", {}).get("scheme", "none")


def fingerprint(out: str | Path, program: str, config: str | Path | None = None) -> dict:
    """What must not depend on the engine: sha256 of `rewards.parquet`, and the root of the
    tree built from it with the program's scheme (None for scheme `none`, D20, or nobody
    paid); the other files' sha256 too (manifest, scores), to say which differ."""
    import pyarrow.parquet as pq

    from distributor.trees.build import BuildOptions, build_tree

    out = Path(out)
    files = {f.name: hashlib.sha256(f.read_bytes()).hexdigest()
             for f in sorted(out.iterdir()) if f.is_file()}
    scheme = tree_scheme(program, config)
    root = None
    if scheme != "none" and pq.read_metadata(out / "rewards.parquet").num_rows:
        built, _ = build_tree(out / "rewards.parquet", BuildOptions(scheme=scheme))
        root = "0x" + built.root.hex()
    return {"rewards_sha256": files.get("rewards.parquet"), "root": root, "scheme": scheme,
            "files": files}


# -- the child: one engine, warm, any list of epochs ----------------------------------------

def child(spec_path: str) -> None:
    """Score `jobs` on one engine in this process, each `runs` times; print one JSON line:
    per job the seconds of each run and the fingerprint of the last run's folder."""
    spec = json.loads(Path(spec_path).read_text())
    kind, master = spec["engine"], spec.get("master")
    engine = engine_config(kind, master, spec.get("conf"))
    started = time.perf_counter()
    if engine is not None:
        from distributor.engines.spark.session import get_session, stop_session

        get_session(engine.master, dict(engine.conf))   # up before any clock starts
    session_s = time.perf_counter() - started
    try:
        results = []
        for job in spec["jobs"]:
            secs = [score(job, engine) for _ in range(int(job.get("runs", 1)))]
            results.append({**job, "seconds": [round(s, 3) for s in secs],
                            **fingerprint(job["out"], job["program"], job.get("config"))})
    finally:
        if engine is not None:
            stop_session()
    print(json.dumps({"engine": kind, "master": master, "session_s": round(session_s, 2),
                      "results": results}))


def run_child(engine: str, jobs: list[dict[str, Any]], work: Path, master: str | None = None,
              conf: dict[str, str] | None = None, timeout: float | None = None) -> dict:
    """Run `child` in a fresh interpreter (its own JVM for Spark); its parsed JSON line."""
    work.mkdir(parents=True, exist_ok=True)
    spec = work / f"jobs-{engine}.json"
    spec.write_text(json.dumps({"engine": engine, "master": master, "conf": conf or {},
                                "jobs": jobs}))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])}
    if master and master.startswith("spark://127.0.0.1"):
        env["SPARK_LOCAL_IP"] = "127.0.0.1"   # the driver listens where the executors can reach it
    log = work / f"child-{engine}.log"          # Spark's log: kept whole for a post-mortem
    with open(log, "w") as err:
        proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child",
                               str(spec)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=err, text=True, timeout=timeout)
    if proc.returncode != 0:
        tail = log.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{engine} child failed ({proc.returncode}; log {log}): {tail}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# -- the bench ------------------------------------------------------------------------------

def measure(n: int, work: Path, engines: list[str], runs: int,
            conf: dict[str, str] | None = None) -> dict[str, Any]:
    """One size: generate, score on each engine (cluster started here), compare."""
    from bench.scale_data import DYDX_EPOCH, dydx_inputs

    data = work / f"dydx-{n}"
    rows = dydx_inputs(data, n)
    got: dict[str, dict] = {}
    for engine in engines:
        job = {"program": "dydx", "data": str(data), "epoch": DYDX_EPOCH,
               "out": str(work / f"out-{n}-{engine}"), "runs": runs}
        if engine == "spark_cluster":
            from tests.support.spark_cluster import standalone_cluster

            with standalone_cluster(work / "cluster", workers=2, cores=1, memory="2g") as c:
                # local[2] gets 2 × cores shuffle partitions from the engine; the same here
                got[engine] = run_child("spark", [job], work, master=c.master_url,
                                        conf={**CLUSTER_CONF, **(conf or {})})
        else:
            kind = "duckdb" if engine == "duckdb" else "spark"
            got[engine] = run_child(kind, [job], work,
                                    master=LOCAL_MASTER if kind == "spark" else None,
                                    conf=conf if kind == "spark" else None)
        print(f"# {n}: {engine} {got[engine]['results'][0]['seconds']} s", file=sys.stderr,
              flush=True)
    prints = {e: (g["results"][0]["rewards_sha256"], g["results"][0]["root"])
              for e, g in got.items()}
    out: dict[str, Any] = {"rows": rows}
    for engine in ENGINES:
        secs = got[engine]["results"][0]["seconds"] if engine in got else None
        out[KEY[engine]] = round(statistics.median(secs), 2) if secs else None
    # one engine alone proves nothing: null, not true (the bench fails only on false)
    out["identical"] = len(set(prints.values())) == 1 if len(prints) > 1 else None
    out["runs"] = runs
    out["detail"] = {e: {"seconds": g["results"][0]["seconds"], "session_s": g["session_s"],
                         "rewards_sha256": prints[e][0], "root": prints[e][1]}
                     for e, g in got.items()}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000000,10000000")
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--runs", type=int, default=3, help="runs per engine below 10M (median)")
    ap.add_argument("--runs-large", type=int, default=1, help="runs per engine at ≥ 10M")
    ap.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE",
                    help="extra Spark conf for both Spark engines (default: "
                         f"spark.driver.memory={DRIVER_MEMORY})")
    ap.add_argument("--work", metavar="DIR", help="work in DIR and keep it (inputs, outputs, "
                    "the cluster's and the children's logs); default: a temp folder removed after")
    ap.add_argument("--child", metavar="JOBS_JSON")
    a = ap.parse_args()
    if a.child:
        child(a.child)
        return
    engines = [e for e in a.engines.split(",") if e]
    bad = [e for e in engines if e not in ENGINES]
    if bad:
        raise SystemExit(f"--engines: unknown {', '.join(bad)} (known: {', '.join(ENGINES)})")
    sizes = sorted(int(s) for s in a.sizes.split(","))
    conf = {"spark.driver.memory": DRIVER_MEMORY,
            **dict(kv.split("=", 1) for kv in a.conf)}
    results = []
    with (contextlib.nullcontext(a.work) if a.work
          else tempfile.TemporaryDirectory(prefix="epochdrop-engines-")) as tmp:
        Path(tmp).mkdir(parents=True, exist_ok=True)
        for n in sizes:
            r = measure(n, Path(tmp), engines, a.runs if n < 10_000_000 else a.runs_large, conf)
            print(json.dumps(r), flush=True)
            results.append({k: r[k] for k in ("rows", "duckdb_s", "spark_local_s",
                                              "spark_cluster_s", "identical", "runs")})
            for f in Path(tmp).glob(f"dydx-{n}/*"):
                f.unlink()   # 10M inputs are ~250 MB; keep the temp folder small
    print(json.dumps({"results": results}))
    if any(r["identical"] is False for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()

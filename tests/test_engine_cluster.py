"""Issue 18, acceptance 2: the same payouts on a real Spark standalone cluster.

The test starts a master and two workers (1 core each) on loopback with pyspark's own
`spark-class` (tests/support/spark_cluster.py), submits to `spark://127.0.0.1:…` from a fresh
interpreter (bench/engines.py's child: its own driver JVM, so the session-scoped `local[2]`
SparkSession of this process is left alone — one process holds one SparkSession), and scores:

- every program (curve, dhedge, dydx, holders, jet, jet_airdrop, mirror) on each epoch of the
  reduced demo (`epochdrop demo --small`, tests/support/workflow.py), and
- one program on ≥ 1M generated rows (bench/scale_data.py).

Each epoch's `rewards.parquet` must be byte-identical to DuckDB's, and the Merkle root built
from it (the program's scheme; Curve and Mirror have none, D20) the same. While the child
runs, the workers' executor JVMs are watched: the job ran there, on both workers. Afterwards
master, workers and executors are stopped by pid and none is left (the suite's orphan check
in tests/conftest.py checks the rest).
"""

from __future__ import annotations

import threading
import time
import tomllib
from pathlib import Path

import pytest

from bench.engines import CLUSTER_CONF, DRIVER_MEMORY, fingerprint, run_child, score
from bench.scale_data import GENERATORS
from tests.support.spark_cluster import standalone_cluster
from tests.support.workflow import small_demo

pytestmark = [pytest.mark.xdist_group("spark_cluster"), pytest.mark.slow]

PROGRAMS = {"curve", "dhedge", "dydx", "holders", "jet", "jet_airdrop", "mirror"}
LARGE = "dydx"             # the ≥ 1M-row program scored on the cluster too (the bench's)
ROWS = 1_000_000


def demo_jobs() -> list[dict]:
    """One scoring job per demo epoch: its data, config and chain, as `run` read them."""
    root, rows = small_demo()
    jobs = []
    for r in rows:
        config = root / "configs" / f"{r['program']}.toml"
        chain = tomllib.loads(config.read_text()).get("sources", {}).get("chain_id")
        jobs.append({"program": r["program"], "epoch": r["epoch"], "data": r["data"],
                     "config": str(config), "chain": chain})
    return jobs


class ExecutorWatch:
    """Polls the cluster's executor JVMs while the job runs; the most seen at once."""

    def __init__(self, cluster):
        self.cluster, self.most, self._stop = cluster, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.most = max(self.most, len(self.cluster.executor_pids()))
            time.sleep(0.5)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def test_every_program_pays_the_same_on_a_standalone_cluster(tmp_path):
    jobs = demo_jobs()
    assert {j["program"] for j in jobs} == PROGRAMS
    gen, epoch = GENERATORS[LARGE]
    data = tmp_path / f"{LARGE}-1m"
    assert gen(data, ROWS) >= ROWS
    jobs.append({"program": LARGE, "epoch": epoch, "data": str(data), "config": None,
                 "chain": None})

    expected = {}
    for i, job in enumerate(jobs):
        job["out"] = str(tmp_path / "duckdb" / str(i))
        score(job, None)
        expected[i] = fingerprint(job["out"], job["program"], job["config"])
        job["out"] = str(tmp_path / "spark" / str(i))

    with standalone_cluster(tmp_path / "cluster", workers=2, cores=1, memory="1g") as cluster:
        with ExecutorWatch(cluster) as watch:
            got = run_child("spark", jobs, tmp_path / "child", master=cluster.master_url,
                            conf={**CLUSTER_CONF, "spark.driver.memory": DRIVER_MEMORY},
                            timeout=1500)
        assert watch.most == 2, f"{watch.most} executors seen on the two workers"
        assert got["master"] == cluster.master_url
    assert cluster.executor_pids() == []
    assert all(p.poll() is not None for p in [cluster.master, *cluster.workers])

    assert len(got["results"]) == len(jobs)
    paid_trees = 0
    for i, (job, res) in enumerate(zip(jobs, got["results"])):
        want = expected[i]
        name = f"{job['program']} {job['epoch']}"
        assert res["rewards_sha256"] == want["rewards_sha256"], \
            f"{name}: rewards.parquet differs between DuckDB and the cluster"
        assert res["root"] == want["root"], f"{name}: root differs"
        differ = sorted(f for f in want["files"] if res["files"].get(f) != want["files"][f])
        assert not differ, f"{name}: {differ} differ between DuckDB and the cluster"
        paid_trees += want["root"] is not None
    # the trees compared are real ones: every program with a scheme paid somebody
    assert paid_trees == sum(1 for j in jobs if j["program"] not in ("curve", "mirror"))

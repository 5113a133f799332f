"""Issue 18 acceptance: `index --engine spark` gives the rows of `index` without Spark.

A real anvil with > 20,000 Transfer logs over > 300 blocks (TransferSpammer, as the
crash test and bench/indexer.py make them, plus empty stretches), indexed once by the
process path as the reference. Then:
- on a real standalone cluster (a master and two 1-core workers started here with pyspark's
  `spark-class`, tests/support/spark_cluster.py), through the fault proxy at ≥ 20% faults,
  with one executor SIGKILLed while its tasks run: the same rows, the checkpoint at the
  last block, Spark re-ran the lost task(s), nothing left running;
- on `local[2]` without faults; a chunk run again writes the same file bytes; `blocks`
  through the task body;
- a task that runs out of RPC retries is one line, and nothing is committed;
- a reorg between two chunks is found at their boundary (the driver, with the task body
  run in-process in a chosen order), and the store ends with the canonical rows;
- a missing Java or pyspark is one line, and nothing is written.
Every `index` runs as the user runs it (a subprocess: its JVM ends with it).
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import time

import pyarrow.parquet as pq
import pytest

from epochdrop.spark import PYSPARK_HINT
from indexer import checkpoint as ckpt
from indexer.retry import RetryPolicy
from indexer.spark_chunk import ChunkSpec, run_chunk
from indexer.store import Store
from tests.conftest import descendants
from tests.support.evm import REPO, Anvil, deploy
from tests.support.faultproxy import FaultProxy, _send
from tests.support.indexer import artifacts, rows_of, run_cli
from tests.support.spark_cluster import standalone_cluster

pytestmark = pytest.mark.xdist_group("spark_cluster")

MIN_LOGS, MIN_BLOCKS = 20_000, 300


@pytest.fixture(scope="module")
def chain():
    """anvil with the spam contract; (node, contract, first block, last block, log count)."""
    rng = random.Random(18)
    with Anvil() as node:
        spam = deploy(node.w3, artifacts()["TransferSpammer"])
        first = node.w3.eth.block_number + 1
        logs, txs, h = 0, 0, None
        while logs < MIN_LOGS or node.w3.eth.block_number - first < MIN_BLOCKS:
            n = rng.randrange(20, 110)
            h = spam.functions.spam(n, txs * 1_000_003 + 1).transact({"gas": 3_000_000})
            logs, txs = logs + n, txs + 1
            if txs % 40 == 0:
                node.w3.eth.wait_for_transaction_receipt(h, poll_latency=0.01)
                node.mine(rng.randrange(5, 30))            # empty stretches: chunks with no row
        assert node.w3.eth.wait_for_transaction_receipt(h, poll_latency=0.01).status == 1
        last = node.w3.eth.block_number
        yield node, spam.address, first, last, logs


@pytest.fixture(scope="module")
def reference(chain, tmp_path_factory):
    """The store `index` writes without Spark, and the seconds it took (the figure to beat)."""
    node, contract, first, last, logs = chain
    store = tmp_path_factory.mktemp("plain") / "store"
    t0 = time.monotonic()
    proc = run_cli("index", "erc20_transfers", "--rpc", node.url, "--store", str(store),
                   "--contracts", contract, "--from", str(first), "--to", str(last))
    wall = time.monotonic() - t0
    assert proc.returncode == 0, proc.stderr
    rows = rows_of(store, "erc20_transfers")
    assert len(rows) == logs >= MIN_LOGS
    print(f"\nprocess path: {logs:,} logs over {last - first + 1} blocks in {wall:.1f} s wall "
          f"({_seconds(proc.stderr):.1f} s indexing, {logs / _seconds(proc.stderr):,.0f} logs/s)")
    return store, rows


def _seconds(stderr: str) -> float:
    return float(re.search(r"reorg\(s\), ([0-9.]+) s", stderr)[1])


def _position(store, contract) -> int:
    cp = ckpt.load(store, "erc20_transfers", 31337, ckpt.contract_set_tag([contract]))
    return -1 if cp is None else cp.position


@pytest.fixture
def running_before() -> set[int]:
    """The processes of this test worker before the test (descendants of this process)."""
    return set(descendants(os.getpid()))


def _no_process_left(node, before: set[int] = frozenset()) -> None:
    """Nothing this test started is still running, but the module's anvil (and its child)
    and what ran before it (`before`: e.g. the session's scoring Spark JVM, tests/conftest.py,
    when another Spark test of this worker started it)."""
    keep = {node.proc.pid, *descendants(node.proc.pid), *before}
    deadline = time.monotonic() + 20
    left = {p: c for p, c in descendants(os.getpid()).items() if p not in keep}
    while left and time.monotonic() < deadline:
        time.sleep(0.3)
        left = {p: c for p, c in descendants(os.getpid()).items() if p not in keep}
    assert not left, left


@pytest.mark.slow
def test_cluster_with_faults_and_a_killed_executor_gives_the_same_rows(chain, reference, tmp_path,
                                                                     running_before):
    node, contract, first, last, logs = chain
    clean_store, expected = reference
    store = tmp_path / "spark-store"
    t_start = time.monotonic()
    with standalone_cluster(tmp_path / "cluster", workers=2, cores=1, memory="1g") as cluster, \
            FaultProxy(node.url, rate=0.25, seed=18, stall=1.0, max_range=8) as proxy:
        cmd = [sys.executable, "-m", "pipeline.cli", "index", "erc20_transfers",
               "--rpc", proxy.url, "--store", str(store), "--contracts", contract,
               "--from", str(first), "--to", str(last), "--range", "12",
               "--timeout", "1", "--retries", "12",
               "--engine", "spark", "--spark-master", cluster.master_url]
        with open(tmp_path / "index.err", "w+") as err:
            proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=err)
            try:
                cluster.wait_executors(2, timeout=120)
                # kill once chunks are being committed, with most of the range still to do
                deadline = time.monotonic() + 240
                while _position(store, contract) < first and proc.poll() is None \
                        and time.monotonic() < deadline:
                    time.sleep(0.05)
                at_kill = _position(store, contract)
                killed = cluster.kill_executor()
                rc = proc.wait(timeout=600)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
            err.seek(0)
            stderr = err.read()
        assert rc == 0, stderr[-3000:]
        assert first <= at_kill < last, (at_kill, first, last)        # the kill was mid-run
        assert killed not in cluster.executor_pids()
    wall = time.monotonic() - t_start
    done = re.search(r"on Spark \((\d+) cores, (\d+) failed task attempt", stderr)
    assert done and int(done[2]) >= 1, stderr[-2000:]     # Spark re-ran the killed executor's task
    assert proxy.fault_share >= 0.2, proxy.stats
    assert rows_of(store, "erc20_transfers") == expected
    assert _position(store, contract) == last
    assert not [p for p in store.rglob("*") if ".partial." in p.name or ".tmp-" in p.name]
    _no_process_left(node, running_before)
    secs = _seconds(stderr)
    print(f"\nspark cluster (2 × 1 core, faults {proxy.fault_share:.0%}, 1 executor killed, "
          f"{done[2]} task attempt(s) re-run): {wall:.1f} s wall, {secs:.1f} s indexing, "
          f"{logs / secs:,.0f} logs/s")


def test_local_spark_gives_the_same_rows_and_files_per_chunk(chain, reference, tmp_path,
                                                            running_before):
    node, contract, first, last, logs = chain
    clean_store, expected = reference
    store = tmp_path / "store"
    args = ["index", "erc20_transfers", "--rpc", node.url, "--store", str(store),
            "--contracts", contract, "--from", str(first), "--to", str(last), "--range", "40",
            "--engine", "spark", "--spark-master", "local[2]"]
    t0 = time.monotonic()
    proc = run_cli(*args)
    wall = time.monotonic() - t0
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert rows_of(store, "erc20_transfers") == expected
    assert _position(store, contract) == last
    chunks = Store(store).chunks("erc20_transfers", 31337)
    assert len(chunks) > 2 and all(c.end - c.start + 1 <= 40 for c in chunks)
    # a chunk run again (what Spark does after a lost executor: the task's own code, here
    # called directly) writes the same file name with the same bytes
    again = tmp_path / "again"
    for c in chunks[:3]:
        done = run_chunk(ChunkSpec(node.url, 30.0, RetryPolicy(), "erc20_transfers", 31337,
                                   (contract,), c.tag, str(again), c.start, c.end, 40))
        assert done.file == c.path.name and done.rows == pq.read_metadata(c.path).num_rows
        written = again / "erc20_transfers" / "chain=31337" / done.file
        assert written.read_bytes() == c.path.read_bytes()
    # and a second run on the same store indexes nothing more (the checkpoint covers it)
    rerun = run_cli(*args)
    assert rerun.returncode == 0 and " 0 new rows" in rerun.stderr, rerun.stderr[-2000:]
    secs = _seconds(proc.stderr)
    print(f"\nspark local[2]: {wall:.1f} s wall, {secs:.1f} s indexing, {logs / secs:,.0f} logs/s")
    # the blocks dataset: its task body (the header source) over the whole range in chunks
    # of 64, called directly — the Spark plumbing around it is the one tested above
    blocks = ["index", "blocks", "--rpc", node.url, "--from", str(first), "--to", str(last)]
    assert run_cli(*blocks, "--store", str(tmp_path / "b1")).returncode == 0
    for lo in range(first, last + 1, 64):
        run_chunk(ChunkSpec(node.url, 30.0, RetryPolicy(), "blocks", 31337, (), "",
                            str(tmp_path / "b2"), lo, min(last, lo + 63), 64))
    key = ("block_number",)
    assert rows_of(tmp_path / "b2", "blocks", key) == rows_of(tmp_path / "b1", "blocks", key)
    assert len(rows_of(tmp_path / "b2", "blocks", key)) == last - first + 1
    _no_process_left(node, running_before)


def test_missing_java_or_pyspark_is_one_line_and_writes_nothing(chain, tmp_path):
    node, contract, first, last, _ = chain
    store = tmp_path / "store"
    args = ["index", "erc20_transfers", "--rpc", node.url, "--store", str(store),
            "--contracts", contract, "--engine", "spark"]
    no_java = {k: v for k, v in os.environ.items() if k != "JAVA_HOME"}
    no_java["PATH"] = os.path.dirname(sys.executable)       # python, but no java
    proc = subprocess.run([sys.executable, "-m", "pipeline.cli", *args], cwd=REPO, env=no_java,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1].startswith("error: the spark engine needs Java 17")
    code = ("import sys; sys.modules['pyspark'] = None; from pipeline.cli import main; "
            f"main({['index', *args[1:]]!r})")
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert lines[-1] == f"error: {PYSPARK_HINT}"
    assert not store.exists()
    proc = run_cli("index", "erc20_transfers", "--rpc", node.url, "--store", str(store),
                   "--engine", "flink")
    assert proc.returncode == 2 and "--engine flink: give one of" in proc.stderr


class LogsDown(FaultProxy):
    """The fault proxy, but once `down` is set every eth_getLogs gets a 502 (the driver's
    own calls still pass), so the tasks, not the driver, run out of retries."""
    down = False

    def handle(self, h, body):
        if self.down and b"eth_getLogs" in body:
            return _send(h, 502, b"<html>bad gateway</html>")
        return super().handle(h, body)


def test_a_chunk_that_gives_up_is_one_line_and_commits_nothing(chain, tmp_path, running_before):
    node, contract, first, last, _ = chain
    store = tmp_path / "store"
    with LogsDown(node.url, rate=0.0) as proxy:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", "index", "erc20_transfers", "--rpc", proxy.url,
             "--store", str(store), "--contracts", contract, "--from", str(first), "--to",
             str(last), "--range", "100", "--retries", "2", "--timeout", "0.5",
             "--engine", "spark", "--spark-master", "local[2]"],
            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        lines = []
        while not any(line.startswith("plan:") for line in lines) and proc.poll() is None:
            lines.append(proc.stderr.readline())
        proxy.down = True
        lines += proc.communicate(timeout=300)[1].splitlines()
    assert proc.returncode == 1
    last_line = lines[-1].strip()
    assert re.fullmatch(r"error: blocks \d+-\d+: the Spark task failed \(after Spark's retries\): "
                        r"FailureError: batch of \d calls on http://127\.0\.0\.1:\d+: gave up after "
                        r"2 attempts \(last error: HTTP 502\)", last_line), last_line
    assert _position(store, contract) == first - 1
    assert not list(store.rglob("*.parquet")) and not list(store.rglob("*.partial.*"))
    _no_process_left(node, running_before)


class InProcessRunner:
    """The chunk task body called in this process, one chunk at a time, instead of on Spark:
    the driver's boundary checks against a real node whose chain is replaced between two
    chunks, at a moment the test chooses (`after` chunks). Spark's part is tested above."""
    slots, failed_tasks = 1, 0

    def __init__(self, after: int, reorg):
        self.after, self.reorg, self.calls = after, reorg, 0

    def __call__(self, spec):
        done = run_chunk(spec)
        self.calls += 1
        if self.calls == self.after:
            self.reorg()
        return done

    def cancel(self):
        pass


def test_a_reorg_between_two_chunks_is_found_at_their_boundary(tmp_path):
    from indexer.api import connect, dataset
    from indexer.spark_index import SparkListener

    with Anvil() as node:
        spam = deploy(node.w3, artifacts()["TransferSpammer"])
        first = node.w3.eth.block_number + 1

        def spam_blocks(n, seed):
            for i in range(n):
                h = spam.functions.spam(3, seed + i).transact({"gas": 3_000_000})
            node.w3.eth.wait_for_transaction_receipt(h, poll_latency=0.01)

        spam_blocks(25, 1)
        snap = node.rpc("evm_snapshot")            # the fork point: block first + 24
        spam_blocks(35, 1000)

        def reorg():                               # blocks first+25.. replaced, chain longer
            node.rpc("evm_revert", [snap])
            spam_blocks(45, 5000)

        last = node.w3.eth.block_number
        store = Store(tmp_path / "store")
        client = connect(node.url)
        runner = InProcessRunner(after=3, reorg=reorg)      # after chunk first+20..first+29
        lis = SparkListener(store, dataset("erc20_transfers"), 31337, [spam.address], client,
                            runner, url=node.url, timeout=30.0, policy=client.policy,
                            range_blocks=10)
        lis.depth = 1                               # one chunk in flight: a fixed order
        out = lis.run(first, last, 0)
        assert lis.restarts == 1                    # chunk 4's block lo-1 is not chunk 3's end
        assert out.reorgs == 1 and out.rolled_back_to == [first + 19]
        assert out.last == last
        assert run_cli("index", "erc20_transfers", "--rpc", node.url, "--store",
                       str(tmp_path / "plain"), "--contracts", spam.address, "--from", str(first),
                       "--to", str(last)).returncode == 0
        expected = rows_of(tmp_path / "plain", "erc20_transfers")
        assert rows_of(tmp_path / "store", "erc20_transfers") == expected

"""`index --engine spark`: the block range as chunks, each a Spark task; the driver commits.

The driver is the listener (indexer/evm/listener.py) with one change: instead of fetching
ranges itself, it hands fixed chunks of `--range` blocks to Spark, one single-task job per
chunk, up to `2 × cores + 1` in flight (from a thread pool; Spark runs jobs of several
threads side by side). An executor runs indexer/spark_chunk.py on its chunk — the listener's
sources, retries and decoder — and writes the chunk's Parquet file itself, atomically, under
its final name. Everything else is the listener's, unchanged:

- the store lock is held by the driver for the whole run; at start the store is rolled back
  to the checkpoint and the checkpoint's hash checked against the node (reorgs);
- blocks above head − confirmations are never indexed;
- results are consumed strictly in chunk order and the checkpoint moves over each finished
  chunk only once every chunk before it has finished (a contiguous run): a driver killed
  mid-run leaves files above the checkpoint, which the next run's start-up rollback removes;
- reorg check at every chunk boundary: the hash of block lo−1 the task saw must be the hash
  of the previous chunk's last block; a mismatch drops the chunks in flight and resolves the
  reorg from the remembered hashes, as the listener does.

A lost executor costs its running chunks only: Spark re-runs those tasks elsewhere
(`spark.task.maxFailures`), and a re-run writes the same file name with the same rows.

Why chunk files differ from `index` without Spark (rows do not): the listener closes a file
once 25,000 rows (`--chunk-rows`) are buffered, at a range end that depends on the node's
range limits as they happen; tasks that run in parallel must know their ranges before any
row is fetched, so here a file is exactly one chunk of `--range` blocks (none when empty).
Each file is sorted by the dataset's key, so the store read back in key order is the same
rows, and a re-run over the same blocks writes the same files byte for byte.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter, deque
from pathlib import Path

import pyarrow.parquet as pq

from epochdrop.errors import FailureError, UserError
from indexer import checkpoint as ckpt
from indexer.datasets.base import Dataset
from indexer.evm.listener import Listener
from indexer.spark_chunk import ChunkDone, ChunkSpec, run_chunk
from indexer.store import Store


class SparkRunner:
    """Runs one chunk as one Spark job; counts task attempts that failed (lost executors)."""

    def __init__(self, sc):
        self.sc = sc
        self.slots = max(1, sc.defaultParallelism)
        self.failed_tasks = 0
        self.running: set[str] = set()     # job groups of chunks in flight
        self.lock = threading.Lock()       # chunks run from several driver threads

    def __call__(self, spec: ChunkSpec) -> ChunkDone:
        group = f"epochdrop-index-{spec.lo}-{spec.hi}"
        self.sc.setJobGroup(group, f"index blocks {spec.lo}-{spec.hi}")
        with self.lock:
            self.running.add(group)
        try:
            return self.sc.parallelize([spec], 1).map(run_chunk).collect()[0]
        except Exception as exc:   # noqa: BLE001 — py4j wraps the task's error: say it in one line
            raise FailureError(f"blocks {spec.lo}-{spec.hi}: the Spark task failed "
                               f"(after Spark's retries): {task_error(exc)}") from None
        finally:
            failed = self._failed(group)
            with self.lock:
                self.running.discard(group)
                self.failed_tasks += failed

    def _failed(self, group: str) -> int:
        st = self.sc.statusTracker()
        n = 0
        for job in st.getJobIdsForGroup(group):
            info = st.getJobInfo(job)
            for stage in (info.stageIds if info else []):
                s = st.getStageInfo(stage)
                n += s.numFailedTasks if s else 0
        return n

    def cancel(self) -> None:
        """Cancel the chunks in flight (only ours: a reused session may run other jobs)."""
        with self.lock:
            groups = list(self.running)
        for group in groups:
            self.sc.cancelJobGroup(group)


def task_error(exc: Exception) -> str:
    """The last Python exception line of a failed task (py4j puts the whole worker
    traceback in the message), e.g. `FailureError: eth_getLogs ...: gave up after 8 attempts`."""
    text = str(exc)
    found = re.findall(r"^(?:[\w.]+\.)?(\w*(?:Error|Exception)): (.+)$", text, re.MULTILINE)
    if found:
        kind, msg = found[-1]
        return f"{kind}: {msg.strip()}"
    return text.strip().splitlines()[0][:300] if text.strip() else type(exc).__name__


class SparkListener(Listener):
    """The listener, with chunks fetched, decoded and written by Spark tasks."""

    def __init__(self, store: Store, ds: Dataset, chain_id: int, contracts: list[str], client,
                 runner, *, url: str, timeout: float, policy, range_blocks: int):
        super().__init__(store, ds, chain_id, contracts, source=None, client=client)
        self.runner, self.range_blocks = runner, range_blocks
        self.depth = 2 * runner.slots + 1          # chunks in flight (the pool's threads)
        self.spec = dict(url=url, timeout=timeout, policy=policy, dataset=ds.name,
                         chain_id=chain_id, contracts=tuple(self.contracts), tag=self.tag,
                         store=str(Path(store.root).resolve()), range_blocks=range_blocks)
        self.unmatched: Counter[str] = Counter()
        self.restarts = 0                          # boundary hash mismatches (reorgs in flight)

    def _pass(self, cp, target, pool, bar, task, t0) -> bool:
        """One sweep from the checkpoint to target; True if a reorg forced a restart."""
        pending: deque = deque()
        nxt = cp.position + 1
        prev = (cp.position, cp.hash)
        try:
            while True:
                while len(pending) < self.depth and nxt <= target:
                    hi = min(target, nxt + self.range_blocks - 1)
                    spec = ChunkSpec(lo=nxt, hi=hi, **self.spec)
                    pending.append((nxt, hi, pool.submit(self.runner, spec)))
                    nxt = hi + 1
                if not pending:
                    return False
                lo, hi, fut = pending.popleft()
                done: ChunkDone = fut.result()
                if prev[1] is not None and done.before_hash != prev[1]:
                    self.restarts += 1
                    self._drop(pending)
                    return True                          # reorg under us
                self._check_file(done)
                self._commit_chunk(cp, done)
                # as the listener's one AdaptiveStep: later chunks start where this one ended
                # (a provider's range cap is learnt once, not once per chunk)
                self.spec["range_start"] = done.range_end
                prev = (hi, done.hi_hash)
                bar.update(task, advance=hi - lo + 1,
                           description=f"{self.ds.name} {self.out.rows:,} rows "
                                       f"{self.out.rows / max(1e-9, time.monotonic() - t0):,.0f}/s")
        except BaseException:
            self.runner.cancel()                         # no task writes after we return
            self._drop(pending)
            raise

    def _check_file(self, done: ChunkDone) -> None:
        """The file a task reported is in the store with its rows: an executor that wrote
        to a disk the driver does not see (a store path not shared) is caught here."""
        if done.file is None:
            return
        path = self.store.partition(self.ds.name, self.chain_id) / done.file
        try:
            n = pq.read_metadata(path).num_rows
        except OSError:
            raise UserError(f"--store {self.store.root}: the Spark task for blocks {done.lo}-"
                            f"{done.hi} wrote {path} on {done.worker.split(':')[0]}, but this "
                            "machine does not see it: the store must be on a filesystem every "
                            "executor shares") from None
        if n != done.rows:
            raise FailureError(f"{path}: {n} rows, the task reported {done.rows}")

    def _commit_chunk(self, cp: ckpt.Checkpoint, done: ChunkDone) -> None:
        self.out.rows += done.rows
        self.out.chunks += done.file is not None
        self.out.blocks += done.hi - done.lo + 1
        self.out.splits += done.splits
        self.client.retries += done.retries
        self.unmatched.update(done.unmatched)
        cp.remember(done.hi, done.hi_hash)
        ckpt.save(self.store.root, cp)

    def _loop(self, cp, target, pool, bar, task, t0) -> None:
        """The listener's loop, under the store lock; after a reorg, the files of chunks
        past the checkpoint are removed before the reorg is resolved (a chunk grid that
        restarts elsewhere would not overwrite them), and at the end the partial files of
        tasks killed with their executor."""
        try:
            while self._pass(cp, target, pool, bar, task, t0):
                self._rollback(cp, cp.position)
                self._resolve_reorg(cp)
        finally:
            self.store.remove_partials()


def precheck(ds: Dataset, client) -> None:
    """What `--engine spark` cannot do, said before anything is started or written: a
    snapshot dataset (its reads depend on event rows indexed before), the embedded chain
    (it lives in this process, no executor can reach it), a missing pyspark or Java."""
    from indexer.evm.rpc import HttpTransport
    from indexer.spark_session import require

    if ds.kind not in ("events", "blocks"):
        raise UserError(f"--engine spark indexes event and blocks datasets; {ds.name} is a "
                        f"{ds.kind} dataset: index it without --engine spark")
    if not isinstance(client.transport, HttpTransport):
        raise UserError("--engine spark needs an http(s) --rpc the executors can reach "
                        "(the embedded chain lives in this process)")
    require()


def index_on_spark(client, store: Path | str, ds: Dataset, chain_id: int, contracts: list[str],
                   start: int, end: int, confirmations: int, *, master: str,
                   range_blocks: int) -> dict:
    """Index blocks `start`..`end` of an event or `blocks` dataset with Spark tasks on
    `master`; the same counts as indexer.api.index_dataset, plus `spark_task_failures`
    (task attempts Spark re-ran) and `spark_cores`."""
    from dataclasses import asdict

    from indexer.spark_session import spark_context

    precheck(ds, client)
    t = client.transport
    st = Store(Path(store))
    cp = ckpt.load(store, ds.name, chain_id, ckpt.contract_set_tag(contracts))
    if cp is not None and cp.start <= start and cp.position >= end:
        # nothing to fetch: the listener's own checks (rollback, reorg) without a JVM
        from indexer.api import index_dataset
        return dict(index_dataset(client, store, ds, chain_id, contracts, start, end,
                                  confirmations, workers=0), spark_task_failures=0, spark_cores=0)
    with spark_context(master) as sc:
        runner = SparkRunner(sc)
        lis = SparkListener(st, ds, chain_id, contracts, client, runner, url=t.url,
                            timeout=t.timeout, policy=client.policy, range_blocks=range_blocks)
        res = lis.run(start, end, confirmations)
    return dict(asdict(res), retries=client.retries, unmatched=dict(lis.unmatched),
                worker_peak_mb=None, spark_task_failures=runner.failed_tasks,
                spark_cores=runner.slots)


__all__ = ["SparkListener", "SparkRunner", "index_on_spark", "precheck", "task_error"]

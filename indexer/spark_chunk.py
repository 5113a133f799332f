"""One chunk of `index --engine spark`: what a Spark task runs on an executor.

A chunk is a block range the driver fixed before the run. The task fetches it with the
listener's own sources (indexer/evm/sources.py: the same RPC client, retries, fault
classification and decoder as `index` without Spark), in sub-ranges that adapt like the
listener's (a "range too large" halves the sub-range), checks that consecutive sub-ranges
chain (the hash of each sub-range's block lo−1, fetched in the same batch, equals the hash
of the previous sub-range's last block: a reorg in flight refetches the chunk), sorts the
rows by the dataset's key and writes them as ONE Parquet file named by the chunk's range.

Why one file per chunk, named by the range only: Spark re-runs a task whose executor was
lost, and a re-run must write the very same file name (atomically, so a reader or the other
attempt never sees half a file) — never a second file holding the same rows. The file's rows
depend only on the (final) blocks, so every attempt writes the same rows under the same name.
A chunk with no row writes no file (as the listener writes none) and removes a file an
earlier attempt may have left under that name.

Nothing here imports pyspark: the task body is plain Python, so it is the same code whether
Spark runs it on a cluster, on `local[2]`, or a test calls it directly.
"""

from __future__ import annotations

import os
import socket
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path


from epochdrop.errors import FailureError
from indexer.datasets import get
from indexer.evm.rpc import HttpTransport, RpcClient
from indexer.evm.sources import HeaderSource, LogSource
from indexer.retry import AdaptiveStep, RangeTooLarge, RetryPolicy
from indexer.store import chunk_name, write_chunk_file

REFETCHES = 5        # a chunk whose blocks change under it this often fails (then Spark retries)


@dataclass(frozen=True)
class ChunkSpec:
    """Everything a task needs, picklable (the driver ships one per chunk)."""
    url: str
    timeout: float
    policy: RetryPolicy
    dataset: str
    chain_id: int
    contracts: tuple[str, ...]
    tag: str
    store: str             # absolute path every executor sees (a shared filesystem)
    lo: int
    hi: int
    range_blocks: int      # initial blocks per eth_getLogs inside the chunk (adapts)
    range_start: int = 0   # what earlier chunks adapted it to (0: range_blocks)


@dataclass
class ChunkDone:
    """What a finished task reports to the driver."""
    lo: int
    hi: int
    hi_hash: str
    before_hash: str | None        # hash of block lo−1 as the node gave it (None for lo = 0)
    rows: int
    file: str | None               # file name in the partition, None when no row
    retries: int = 0
    splits: int = 0
    refetches: int = 0
    unmatched: dict = field(default_factory=dict)
    seconds: float = 0.0
    worker: str = ""               # host:pid of the Python worker that ran it
    range_end: int = 0             # the sub-range size the chunk ended with (for the next)


_CLIENTS: dict[tuple, RpcClient] = {}


def _client(spec: ChunkSpec) -> RpcClient:
    """One client per Python worker and endpoint: Spark reuses workers, so the HTTP
    connection pool survives from one chunk to the next."""
    key = (spec.url, spec.timeout, spec.policy)
    c = _CLIENTS.get(key)
    if c is None:
        c = _CLIENTS[key] = RpcClient(HttpTransport(spec.url, spec.timeout), spec.policy)
    return c


def _source(spec: ChunkSpec, client: RpcClient):
    """The listener's source and range adaptation for this dataset (indexer/api.py)."""
    ds = get(spec.dataset)
    size = min(spec.range_start or spec.range_blocks, spec.hi - spec.lo + 1)
    if ds.kind == "blocks":
        return ds, HeaderSource(client, ds, spec.chain_id), AdaptiveStep(min(size, 200), 1, 1000, 10_000)
    return ds, LogSource(client, ds, spec.chain_id, list(spec.contracts)), AdaptiveStep(size)


def run_chunk(spec: ChunkSpec) -> ChunkDone:
    """Fetch, decode and write chunk [spec.lo, spec.hi]; the file is complete on return."""
    t0 = time.monotonic()
    client = _client(spec)
    retries0 = client.retries
    ds, source, step = _source(spec, client)
    splits = 0
    for refetch in range(REFETCHES):
        cols = {c.name: [] for c in ds.columns}
        lo, prev, before, rows, chained = spec.lo, None, None, 0, True
        while lo <= spec.hi:
            hi = min(spec.hi, lo + step.size - 1)
            checks = [lo - 1] if lo > 0 else []
            try:
                got = source.fetch(lo, hi, checks)
            except RangeTooLarge:
                splits += 1
                step.shrink(hi - lo + 1)
                continue
            if prev is None:
                before = got.checks.get(lo - 1)
            elif got.checks.get(lo - 1) != prev:
                chained = False              # the chain changed between two sub-ranges
                break
            prev = got.hi_hash
            step.success(hi - lo + 1, got.items)
            rows += source.decode_into(got, cols)
            lo = hi + 1
        if chained:
            break
    else:
        raise FailureError(f"blocks {spec.lo}-{spec.hi} changed under {REFETCHES} fetches in a "
                           "row (a reorg deeper than --confirmations?)")
    part = Path(spec.store) / spec.dataset / f"chain={spec.chain_id}"
    name = chunk_name(spec.dataset, spec.lo, spec.hi, spec.tag)
    if rows:
        write_file(part, name, ds.table(cols, sort=True))
    else:
        (part / name).unlink(missing_ok=True)
    unmatched = dict(getattr(source, "unmatched", {}) or {})
    if hasattr(source, "decoder"):
        source.decoder.unmatched.clear()
    return ChunkDone(spec.lo, spec.hi, prev, before, rows, name if rows else None,
                     retries=client.retries - retries0, splits=splits, refetches=refetch,
                     unmatched=unmatched, seconds=time.monotonic() - t0,
                     worker=f"{socket.gethostname()}:{os.getpid()}", range_end=step.size)


def write_file(part: Path, name: str, table) -> Path:
    """Write a chunk file as `Store.write_chunk` does (indexer/store.py write_chunk_file),
    without the store lock: the driver holds it for the whole run and its tasks write on its
    behalf. Stale partial files of a killed task are removed under the lock by the driver at
    the end of the run (Store.remove_partials), as at every start."""
    return write_chunk_file(part, name, table)


__all__ = ["ChunkDone", "ChunkSpec", "run_chunk", "write_file"]

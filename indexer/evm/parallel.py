"""Fetch and decode log ranges in worker processes, so decoding runs beside the node.

Python decodes on one core at a time (the GIL); a listener that fetches and decodes in one
process is bound by the sum of both. Here each worker fetches a range (its own RpcClient:
the same retries, classification and batching) and decodes it to an Arrow table, which it
sends back as Arrow IPC bytes; the listener keeps `workers + 1` ranges in flight and
consumes them in order, so while one worker decodes, the other's request is being served
(D23: fetch and decode may overlap). Only for HTTP endpoints: the embedded chain lives in
the parent process and uses the in-process `LogSource`.

Workers are forked before the listener starts any thread (fork + threads is unsafe), and
die with the listener (epochdrop/procs.py: PR_SET_PDEATHSIG), so a SIGKILLed `index` leaves
no decode worker behind (issue 20).
"""

from __future__ import annotations

import multiprocessing
import os
from collections import Counter
from concurrent.futures import ProcessPoolExecutor

import pyarrow as pa

from epochdrop.procs import die_with_parent
from indexer.datasets.base import Dataset
from indexer.evm.sources import Fetched

_W: dict = {}


def _init(parent, url, timeout, policy, ds_name, chain_id, contracts):
    die_with_parent(parent)
    from indexer.datasets import get
    from indexer.evm.rpc import HttpTransport, RpcClient
    from indexer.evm.sources import LogSource
    _W["client"] = RpcClient(HttpTransport(url, timeout), policy)
    _W["src"] = LogSource(_W["client"], get(ds_name), chain_id, contracts)
    _W["retries"] = 0


def _ping() -> int:
    return 1


def _work(lo: int, hi: int, checks: list[int]):
    src, client = _W["src"], _W["client"]
    got = src.fetch(lo, hi, checks)
    cols = src.decoder.new_columns()
    src.decode_into(got, cols)
    table = src.ds.table(cols, sort=src.decoder.mixed)
    src.decoder.mixed = False
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as w:
        w.write_table(table)
    unmatched = dict(src.decoder.unmatched)
    src.decoder.unmatched.clear()
    retries, _W["retries"] = client.retries - _W["retries"], client.retries
    return (got.hi_hash, got.checks, got.items, sink.getvalue().to_pybytes(), unmatched, retries,
            _peak_mb())


def _peak_mb() -> float:
    try:
        with open("/proc/self/status") as f:
            return next(int(l.split()[1]) for l in f if l.startswith("VmHWM")) / 1024
    except (OSError, StopIteration):
        return 0.0


class ProcessLogSource:
    """Same interface as `LogSource` for the listener; `depth` = worker count."""

    def __init__(self, client, ds: Dataset, chain_id: int, contracts: list[str], workers: int = 2):
        self.client, self.ds, self.depth = client, ds, workers
        self.unmatched: Counter[str] = Counter()
        self.worker_peak_mb = 0.0
        t = client.transport
        self.pool = ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context("fork"), initializer=_init,
            initargs=(os.getpid(), t.url, t.timeout, client.policy, ds.name, chain_id, list(contracts)))
        for f in [self.pool.submit(_ping) for _ in range(workers)]:
            f.result()                     # fork now, while this process has no threads

    def fetch(self, lo: int, hi: int, checks: list[int]) -> Fetched:
        hi_hash, chk, items, ipc, unmatched, retries, peak = self.pool.submit(
            _work, lo, hi, checks).result()
        self.worker_peak_mb = max(self.worker_peak_mb, peak)
        self.unmatched.update(unmatched)
        self.client.retries += retries
        return Fetched(lo, hi, hi_hash, chk, ipc, items)

    def decode_into(self, got: Fetched, cols: dict) -> int:
        t = pa.ipc.open_stream(got.payload).read_all()
        cols.setdefault("_parts", []).append(t)
        return t.num_rows

    def to_table(self, cols: dict) -> pa.Table:
        """Ranges arrive in order and each is sorted by its worker: no sort needed."""
        return pa.concat_tables(cols.get("_parts", [])).replace_schema_metadata(
            self.ds.arrow_schema().metadata)

    def close(self) -> None:
        self.pool.shutdown(cancel_futures=True)

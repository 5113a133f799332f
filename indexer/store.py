"""The Parquet store: hive-partitioned chunks, written atomically, under one lock.

Layout (DESIGN "The store"; D9 chain names):

    <store>/<dataset>/chain=<chain>/<dataset>__<start:012d>_to_<end:012d>[__<tag>].parquet
    <store>/.lock                    flock; the kernel drops it when a process dies
    <store>/_state/...               checkpoints and caches (indexer/checkpoint.py)
    <store>/_runs/...                run reports (epochdrop/runreport.py)

Only finished chunks end in `.parquet`: a chunk is written as `.<name>.partial.<pid>` in the
same folder, fsynced and renamed (cryo's files.rs/export.rs habit, STYLE 2), so glob readers
(DuckDB, Spark) never see half a file. `start`/`end` are inclusive positions (blocks for EVM,
slots for Solana, any monotone number for imports) and name what the chunk covers even when
it holds no row there. `tag` separates writers that share a partition (e.g. two contract
sets of one dataset, or one import) so a rollback of one never touches the other.

The API is generic on purpose — the Solana listener and the importer use it as is:

    with Store(root).locked() as st:
        st.write_chunk("curve_swaps", 1, 100, 199, table, tag="ab12")
        st.rollback("curve_swaps", 1, after=150, position="block_number", tag="ab12")
        st.read("curve_swaps")             # one Arrow table (hive `chain` column added)
    duckdb.sql(f"select * from read_parquet('{Store(root).glob('curve_swaps')}',
                hive_partitioning=true)")
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from epochdrop.errors import UserError
from epochdrop.fsio import TMP_PREFIX, check_store

CHUNK_RE = re.compile(r"^(?P<ds>[a-z0-9_]+)__(?P<start>\d{12})_to_(?P<end>\d{12})"
                      r"(?:__(?P<tag>[A-Za-z0-9_-]+))?\.parquet$")
PARTIAL = ".partial."
# Fixed writer options so that the same rows give the same bytes (idempotent re-runs).
WRITE_OPTS = dict(compression="zstd", compression_level=3, use_dictionary=True,
                  write_statistics=True, row_group_size=128 * 1024)


@dataclass(frozen=True, order=True)
class Chunk:
    start: int
    end: int
    tag: str
    path: Path


def chunk_name(dataset: str, start: int, end: int, tag: str = "") -> str:
    return f"{dataset}__{start:012d}_to_{end:012d}{'__' + tag if tag else ''}.parquet"


def write_chunk_file(part: Path, name: str, table: pa.Table) -> Path:
    """Write `table` as `part/name` atomically: a `.partial.<pid>` temp name in the same
    folder, fsynced, renamed, the folder fsynced. The caller holds the store lock, or writes
    on behalf of a driver that holds it (indexer/spark_chunk.py: Spark tasks in other
    processes, which cannot share an flock). Same writer options, so same rows → same bytes."""
    part.mkdir(parents=True, exist_ok=True)
    final = part / name
    tmp = part / f".{name}{PARTIAL}{os.getpid()}"
    pq.write_table(table, tmp, **WRITE_OPTS)
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, final)
    _fsync_dir(part)
    return final


class Store:
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self._lock_fd: int | None = None

    # ---- locking -------------------------------------------------------------------
    @contextlib.contextmanager
    def locked(self) -> Iterator["Store"]:
        """Hold the store's exclusive lock; a second writer gets a clear UserError.

        fcntl.flock is released by the kernel when the holder dies (even by SIGKILL), so a
        killed indexer never leaves the store blocked. Stale partial files from a killed
        writer are removed once the lock is held.
        """
        check_store(self.root)   # D28: a folder that is not a store is never written into
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "_state").mkdir(exist_ok=True)   # what marks this folder as a store
        fd = os.open(self.root / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise UserError(f"store {self.root} is in use by another epochdrop process; "
                            "wait for it to finish") from None
        self._lock_fd = fd
        try:
            self.remove_partials()
            yield self
        finally:
            self._lock_fd = None
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _require_lock(self) -> None:
        if self._lock_fd is None:
            raise RuntimeError("write to the store without holding its lock (use Store.locked())")

    # ---- paths ---------------------------------------------------------------------
    def partition(self, dataset: str, chain: int | str) -> Path:
        return self.root / dataset / f"chain={chain}"

    def glob(self, dataset: str) -> str:
        """A glob DuckDB's read_parquet(..., hive_partitioning=true) takes."""
        return str(self.root / dataset / "chain=*" / "*.parquet")

    def datasets(self) -> list[str]:
        if not self.root.exists():
            return []
        return sorted(p.name for p in self.root.iterdir()
                      if p.is_dir() and not p.name.startswith(("_", ".")))

    def chains(self, dataset: str) -> list[str]:
        d = self.root / dataset
        if not d.exists():
            return []
        return sorted(p.name.split("=", 1)[1] for p in d.iterdir()
                      if p.is_dir() and p.name.startswith("chain="))

    def chunks(self, dataset: str, chain: int | str, tag: str | None = None) -> list[Chunk]:
        """Finished chunks of a partition, by start; `tag=None` means every tag."""
        part = self.partition(dataset, chain)
        if not part.exists():
            return []
        out = []
        for p in part.iterdir():
            m = CHUNK_RE.match(p.name)
            if m and m["ds"] == dataset and (tag is None or (m["tag"] or "") == tag):
                out.append(Chunk(int(m["start"]), int(m["end"]), m["tag"] or "", p))
        return sorted(out)

    # ---- writes --------------------------------------------------------------------
    def write_chunk(self, dataset: str, chain: int | str, start: int, end: int,
                    table: pa.Table, *, tag: str = "") -> Path:
        """Write `table` as the chunk covering [start, end]; atomic; replaces a same-named one."""
        self._require_lock()
        if end < start:
            raise ValueError(f"chunk end {end} before start {start}")
        return write_chunk_file(self.partition(dataset, chain),
                                chunk_name(dataset, start, end, tag), table)

    def delete_chunk(self, chunk: Chunk) -> None:
        self._require_lock()
        chunk.path.unlink(missing_ok=True)
        _fsync_dir(chunk.path.parent)

    def rollback(self, dataset: str, chain: int | str, after: int, *,
                 position: str = "block_number", tag: str | None = None) -> int:
        """Remove every row with `position` > `after` (reorgs, uncommitted work).

        Chunks wholly above `after` are deleted; a chunk straddling it is rewritten as the
        chunk [start, after] holding only its rows ≤ after (written before the old file is
        removed, so a crash in between leaves a duplicate range that the next rollback —
        always run at start-up — removes again). Returns the number of chunks touched.
        """
        self._require_lock()
        touched = 0
        for ch in self.chunks(dataset, chain, tag):
            if ch.end <= after:
                continue
            if ch.start <= after:
                table = pq.read_table(ch.path)
                kept = table.filter(pc.less_equal(table[position], after))
                self.write_chunk(dataset, chain, ch.start, after, kept, tag=ch.tag)
            self.delete_chunk(ch)
            touched += 1
        return touched

    def remove_partials(self) -> int:
        """Delete temp files left by killed writers (only ever called under the lock):
        partial chunks, and temp checkpoint files under `_state/`."""
        n = 0
        if not self.root.exists():
            return 0
        for ds in self.datasets():
            for p in (self.root / ds).glob(f"chain=*/.*{PARTIAL}*"):
                p.unlink(missing_ok=True)
                n += 1
        state = self.root / "_state"
        for p in state.rglob(f"{TMP_PREFIX}*") if state.exists() else []:
            p.unlink(missing_ok=True)     # a checkpoint write cut short (fsio's temp names)
            n += 1
        return n

    # ---- reads ---------------------------------------------------------------------
    def read(self, dataset: str, chain: int | str | None = None,
             columns: list[str] | None = None, tag: str | None = None) -> pa.Table | None:
        """All rows of a dataset (or one chain), in chunk order; None when there are none.

        Chunks are read one by one and concatenated (no hive discovery needed); the
        partition value is added as a string column `chain` as DuckDB's hive reader does.
        """
        chains = [str(chain)] if chain is not None else self.chains(dataset)
        tables = []
        for c in chains:
            for ch in self.chunks(dataset, c, tag):
                t = pq.read_table(ch.path, columns=columns)
                tables.append(t.append_column("chain", pa.array([c] * t.num_rows, pa.string())))
        if not tables:
            return None
        return pa.concat_tables(tables, promote_options="default")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

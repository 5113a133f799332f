"""`tree check`'s second half: the shards and native file regenerated from the rebuilt
tree and compared with the bytes on disk, in a forked child beside the proof pass.

Comparing bytes is fast at a million claims; only a file found to differ is parsed
(by `check.py`) to name the claim that is wrong. The native file (~242 MB at a million
claims) is compared as it is regenerated (`SameBytes`), never held whole.
"""

from __future__ import annotations

import ctypes
from pathlib import Path

import numpy as np
import pyarrow as pa

from distributor.trees import outputs
from distributor.trees.build import FORK_MIN
from distributor.trees.forked import Forked
from distributor.trees.schemes import Built
from epochdrop.errors import InternalError

CHUNK = 1 << 20  # bytes compared at a time against a file on disk
# A file that no longer parses is a finding about the folder, not a crash.
UNREADABLE = (OSError, ValueError, KeyError, TypeError, IndexError, pa.ArrowException)


class Regenerated:
    """The shards and native file regenerated from the rebuild and compared with the
    disk. At `FORK_MIN` claims and up that runs in a forked child from the start (beside
    the proof pass, as `tree build` writes: `forked.py`; and the child makes the node text
    this process never needs); below, it
    runs in `result()`, only once the proofs are known to agree, as it always did."""

    def __init__(self, folder: Path, built: Built, scheme, head: dict):
        self.compare = lambda: _compare_regenerated(folder, built, scheme, head)
        self.job = None
        if len(built.claims) >= FORK_MIN:
            _release_freed_memory()
            self.job = Forked(lambda: _outcome(self.compare))

    def result(self) -> list[str]:
        """-> the files that differ; a read error is raised here, as if read here."""
        kind, value = self.job.result() if self.job else _outcome(self.compare)
        if kind == "raised":
            raise value
        return value

    def discard(self) -> None:
        """Wait for the child and drop its answer (the proofs already differ)."""
        if self.job:
            try:
                self.job.result()
            except InternalError:
                pass


def _compare_regenerated(folder: Path, built: Built, scheme, head: dict) -> list[str]:
    cmp = _Compare(folder)
    plan = outputs.ShardPlan(built, folder, head)
    plan.write(cmp)
    plan.write_index(cmp)
    expected = {f"{outputs.SHARDS}/{name}.json" for name, _ in plan.groups}
    present = {p.relative_to(folder).as_posix() for p in (folder / outputs.SHARDS).glob("*.json")}
    cmp.differ += sorted(present - expected - {f"{outputs.SHARDS}/index.json"})
    if scheme.native_file and not _same_native(folder, built, scheme):
        cmp.differ.append(scheme.native_file)
    return cmp.differ


def _release_freed_memory() -> None:
    """Hand memory already freed by arrow's pool and by malloc back to the OS before a
    fork: ~300 MB at a million claims that both processes would otherwise count, and
    would each copy as they reuse it."""
    pa.default_memory_pool().release_unused()
    try:
        ctypes.CDLL(None).malloc_trim(0)  # glibc only; elsewhere there is nothing to call
    except (OSError, AttributeError):
        pass


def _outcome(job) -> tuple:
    """("ok", value) or ("raised", exc) for an unreadable file, so a child's read error
    reaches the parent as the same exception (and only counts where it would have)."""
    try:
        return "ok", job()
    except UNREADABLE as exc:
        return "raised", exc


class _Compare:
    """An `outputs.OutputSink` that compares with the folder instead of writing."""

    def __init__(self, folder: Path):
        self.folder, self.differ = folder, []

    def write(self, rel: str, *parts: bytes | memoryview) -> None:
        path = self.folder / rel
        on_disk = path.read_bytes() if path.is_file() else None
        at = 0
        for part in parts:  # compared as numpy arrays: a memcmp, where views compare bytewise
            mine = np.frombuffer(part, np.uint8)
            if on_disk is None or len(on_disk) < at + len(mine) or \
                    not np.array_equal(np.frombuffer(on_disk, np.uint8, len(mine), at), mine):
                self.differ.append(rel)
                return
            at += len(mine)
        if at != len(on_disk):
            self.differ.append(rel)


class SameBytes:
    """A binary file-like whose write() compares with the next bytes of a file on disk
    instead of writing, so a regenerated native file (~242 MB at a million claims) is
    never held whole. `finish()` -> the offset of the first difference, or None."""

    def __init__(self, path: Path):
        self.f = open(path, "rb")
        self.pos = 0
        self.first_difference: int | None = None

    def write(self, data) -> int:
        view = memoryview(data).cast("B")
        if self.first_difference is None:
            for a in range(0, len(view), CHUNK):
                want = bytes(view[a:a + CHUNK])  # bytes == bytes is a memcmp; views compare slowly
                got = self.f.read(len(want))
                if got != want:
                    self.first_difference = self.pos + a + _first_mismatch(got, want)
                    break
        self.pos += len(view)
        return len(view)

    def finish(self) -> int | None:
        """Close; a file longer than what was written differs where the writing ended."""
        with self.f:
            if self.first_difference is None and self.f.read(1):
                self.first_difference = self.pos
        return self.first_difference


def _first_mismatch(a: bytes, b: bytes) -> int:
    n = min(len(a), len(b))
    diff = np.flatnonzero(np.frombuffer(a, np.uint8, n) != np.frombuffer(b, np.uint8, n))
    return int(diff[0]) if len(diff) else n


def _same_native(folder: Path, built: Built, scheme) -> bool:
    path = folder / scheme.native_file
    if not path.is_file():
        return False
    same = SameBytes(path)
    scheme.write_native(built, same, outputs.ProofText(built))
    return same.finish() is None

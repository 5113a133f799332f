"""Atomic files and folders, content hashes and canonical JSON.

Every file epochdrop writes appears whole or not at all (DESIGN "Reliability"): files are
written under a temporary name and renamed; output folders are built in a sibling temp
folder (DECISIONS D7) and swapped in, so a crash leaves the previous output intact.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any, Iterator

TMP_PREFIX = ".tmp-"
OLD_PREFIX = ".old-"


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical_json(obj: Any, *, indent: int | None = 2) -> bytes:
    """Stable JSON bytes: sorted keys, fixed separators, trailing newline."""
    text = json.dumps(obj, sort_keys=True, indent=indent, ensure_ascii=False,
                      separators=(",", ": ") if indent is not None else (",", ":"))
    return (text + "\n").encode()


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write `data` to `path` so that readers see the old file or the new one, never half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{TMP_PREFIX}{path.name}.{os.getpid()}")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def atomic_write_json(path: str | os.PathLike, obj: Any) -> None:
    atomic_write_bytes(path, canonical_json(obj))


def recover_dir(out: Path) -> None:
    """Finish or undo a swap that a killed process left half-done.

    If `out` is missing but a `.old-` sibling exists, the process died between the two
    renames of `atomic_dir`: the old folder is the last complete output, so put it back.
    Stale temp folders are removed.
    """
    parent = out.parent
    if not parent.exists():
        return
    olds = sorted(parent.glob(f"{OLD_PREFIX}{out.name}.*"))
    if olds and not out.exists():
        os.replace(olds[-1], out)
        olds = olds[:-1]
    for stale in olds + sorted(parent.glob(f"{TMP_PREFIX}{out.name}.*")):
        shutil.rmtree(stale, ignore_errors=True)


@contextlib.contextmanager
def atomic_dir(out: str | os.PathLike) -> Iterator[Path]:
    """Yield a temp folder beside `out`; on success it replaces `out`, on error it vanishes."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    recover_dir(out)
    tmp = out.with_name(f"{TMP_PREFIX}{out.name}.{os.getpid()}")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _fsync_tree(tmp)
    if out.exists():
        old = out.with_name(f"{OLD_PREFIX}{out.name}.{os.getpid()}")
        os.replace(out, old)
        os.replace(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, out)


def _fsync_tree(root: Path) -> None:
    """Make every file under `root` durable before the swap.

    One `syncfs(2)` where Linux offers it: per-file fsync issues one device flush per file,
    which for thousands of proof shards costs seconds (~2.6 ms each on the shared VM)."""
    if _syncfs(root):
        return
    for dirpath, _, files in os.walk(root):
        for name in files:
            fd = os.open(os.path.join(dirpath, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


class EarlyWriteback:
    """Flush a folder's filesystem in the background while more files are still written.

    The kernel holds back writeback of fresh dirty pages for up to 30 s, so without this
    the final `syncfs` before the swap would write a million claims' 2 GB of outputs in
    one go at the end; started early, most of it goes to disk while later files are being
    formatted, and the final flush only has the tail left. A no-op off Linux."""

    def __init__(self, root: Path, interval: float = 0.5):
        import threading

        self.root, self.interval = root, interval
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="writeback", daemon=True)

    def _run(self) -> None:
        while not self.stop.wait(self.interval):
            if not _syncfs(self.root):
                return

    def __enter__(self) -> "EarlyWriteback":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()


def hash_tree(root: str | os.PathLike, *, exclude: set[str] = frozenset()) -> dict[str, str]:
    """sha256 of every file under `root`, keyed by its relative POSIX path, sorted."""
    root = Path(root)
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file():
            rel = p.relative_to(root).as_posix()
            if rel not in exclude:
                out[rel] = sha256_file(p)
    return out


def _syncfs(path: Path) -> bool:
    """syncfs(2) on the filesystem holding `path`; False where it is unavailable."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        fd = os.open(path, os.O_RDONLY)
        try:
            return libc.syncfs(fd) == 0
        finally:
            os.close(fd)
    except (OSError, AttributeError):
        return False

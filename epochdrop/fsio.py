"""Atomic files and folders, content hashes and canonical JSON.

Every file epochdrop writes appears whole or not at all (DESIGN "Reliability"): files are
written under a temporary name and renamed; output folders are built in a sibling temp
folder (DECISIONS D7) and swapped in, so a crash leaves the previous output intact.

An output folder is ours or untouched (DECISIONS D28, issue 20): `atomic_dir` replaces `out`
only when it is absent, empty, or holds a marker this tool wrote (an epochdrop manifest, a
store's `_state/`, a static site's `programs.json`, a what-if's `summary.json`); a file, a
folder with anything else, the working directory, a home folder or `/` is refused with one
`UserError` line before anything is created. `check_out` / `check_store` are the same rule for callers that want to
refuse before they start expensive work.
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

from epochdrop.errors import UserError

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


# What marks a folder as written by epochdrop (D28): file name → accepted "format" prefix, or
# a folder name (a store's `_state/`).
OWN_FILES = {"manifest.json": "epochdrop-", "programs.json": "epochdrop-",
             "epochdrop-site.json": "epochdrop-", "summary.json": "epochdrop-whatif-"}
OWN_DIRS = ("_state",)


def _flag_path(path: str | os.PathLike) -> Path:
    """`path` made absolute without resolving symlinks (`.` → the working directory), so a
    message can name it and `with_name` works (`Path('.').with_name` raises ValueError)."""
    return Path(os.path.abspath(os.path.expanduser(os.fspath(path))))


def _ours(folder: Path) -> bool:
    for name, prefix in OWN_FILES.items():
        f = folder / name
        if f.is_file():
            try:
                fmt = json.loads(f.read_text(encoding="utf-8")).get("format", "")
            except (OSError, ValueError, AttributeError):
                continue
            if isinstance(fmt, str) and fmt.startswith(prefix):
                return True
    return any((folder / d).is_dir() for d in OWN_DIRS)


def _read_only(path: Path) -> bool:
    """True when `path` may not be written: by access(2), or by its mode bits (root passes
    access(2) everywhere, but a folder the user made read-only is still theirs to keep)."""
    import stat

    try:
        mode = path.stat().st_mode
    except OSError:
        return True
    return not os.access(path, os.W_OK | os.X_OK) or not mode & (stat.S_IWUSR | stat.S_IWGRP
                                                                  | stat.S_IWOTH)


def _check_place(p: Path, flag: str) -> None:
    """Refusals that hold whatever the folder holds: special places, a file in the way, a
    parent that cannot be written."""
    home = _flag_path("~")
    cwd = Path(os.getcwd())
    if p == Path(p.anchor) or p == home or p == cwd or p in cwd.parents:
        what = ("the root folder" if p == Path(p.anchor) else "your home folder" if p == home
                else "the working directory" if p == cwd else "a parent of the working directory")
        raise UserError(f"{flag} {p}: is {what}; give a new or empty folder")
    for anc in [p, *p.parents]:
        if anc.exists() or anc.is_symlink():
            if not anc.is_dir():
                if anc == p:
                    raise UserError(f"{flag} {p}: is a file, not a folder; give a new or "
                                    "empty folder")
                raise UserError(f"{flag} {p}: {anc} is a file, not a folder")
            if anc != p and _read_only(anc):
                raise UserError(f"{flag} {p}: folder {anc} is not writable")
            break


def check_out(out: str | os.PathLike, flag: str = "--out") -> Path:
    """The absolute `out` when a command may (re)place it (D28), else `UserError`, nothing
    touched: absent (its parent writable), empty, or holding a manifest this tool wrote."""
    p = _flag_path(out)
    _check_place(p, flag)
    if p.is_dir():
        if _read_only(p):
            raise UserError(f"{flag} {p}: the folder is read-only; it is left as it is")
        entries = sorted(e.name for e in p.iterdir())
        if entries and not _ours(p):
            shown = ", ".join(entries[:3]) + (", …" if len(entries) > 3 else "")
            raise UserError(f"{flag} {p}: the folder holds files epochdrop did not write "
                            f"({shown}); give a new or empty folder, or remove them")
    return p


def _store_entry(e: Path) -> bool:
    """An entry a store written by any epochdrop version holds: its lock, run reports, or a
    dataset folder of `chain=` partitions (stores written before `_state/` marked them)."""
    if e.name in (".lock", "_runs", "_state"):
        return True
    return (e.is_dir() and not e.is_symlink() and any(True for _ in e.iterdir())
            and all(c.is_dir() and c.name.startswith("chain=") for c in e.iterdir()))


def check_store(store: str | os.PathLike, flag: str = "--store") -> Path:
    """The same rule for a store (D28): absent, empty, or holding `_state/` (or only what a
    store holds: its lock, run reports and dataset folders of `chain=` partitions)."""
    p = _flag_path(store)
    _check_place(p, flag)
    if p.is_dir():
        entries = sorted(e.name for e in p.iterdir())
        if entries and not (p / "_state").is_dir() and not all(map(_store_entry, p.iterdir())):
            shown = ", ".join(entries[:3]) + (", …" if len(entries) > 3 else "")
            raise UserError(f"{flag} {p}: not an epochdrop store (no _state/ folder) and not "
                            f"empty ({shown}); give a store or a new folder")
        if _read_only(p):
            raise UserError(f"{flag} {p}: the folder is read-only")
    return p


@contextlib.contextmanager
def atomic_dir(out: str | os.PathLike, flag: str = "--out") -> Iterator[Path]:
    """Yield a temp folder beside `out`; on success it replaces `out`, on error it vanishes.

    `out` must pass `check_out` (D28): otherwise `UserError` before anything is created."""
    out = _flag_path(out)
    recover_dir(out)
    check_out(out, flag)
    out.parent.mkdir(parents=True, exist_ok=True)
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

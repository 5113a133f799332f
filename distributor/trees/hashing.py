"""Bulk hashing over contiguous byte arrays: one C call per level, no Python object per node.

A million-claim tree needs ~4 million keccak calls (OZ double-hashes leaves; EIP-55
checksums hash every address). Building each node as a Python object costs more than the
hash itself (FACTS.md "Merkle": a per-leaf Python tree builds 100k leaves in ~8 s), so
every level here is one numpy `(M, 32)` uint8 array, hashed by `_keccak.c` in one call
that releases the GIL, split over the cores by threads. Where the extension was not built
(no C compiler at install), the same bytes come from safe-pysha3, one call per row, with
the second half hashed in a forked child.
"""

from __future__ import annotations

import hashlib
import os
import threading

import numpy as np
import sha3

try:
    from distributor.trees import _keccak
except ImportError:  # built optionally (setup.py); same results, slower
    _keccak = None

_sha256 = hashlib.sha256
_CPUS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)

PARALLEL_MIN = 1 << 15  # rows; below this a second thread (or fork) costs more than it saves


def keccak_rows(rows: np.ndarray) -> np.ndarray:
    """keccak256 of every row of a 2-D uint8 array -> (M, 32) uint8."""
    rows = np.ascontiguousarray(rows, dtype=np.uint8)
    m, width = rows.shape
    if _keccak is None:
        return _hash_rows(rows, sha3.keccak_256)
    out = np.empty((m, 32), dtype=np.uint8)
    _split(m, lambda a, b: _keccak.keccak256_rows(rows[a:b], width, out[a:b]))
    return out


def pair_rows(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """keccak256(min(l, r) || max(l, r)) for every pair of (M, 32) rows: the sorted-pair
    hash of OpenZeppelin's MerkleProof.sol (`_hashPair`), Uniswap's merkle-tree.ts
    (`sortAndConcat`) and Balancer, so a proof needs no left/right flags."""
    if _keccak is None:
        return keccak_rows(order_pairs(left, right))
    left = np.ascontiguousarray(left, dtype=np.uint8)
    right = np.ascontiguousarray(right, dtype=np.uint8)
    out = np.empty(left.shape, dtype=np.uint8)
    _split(len(out), lambda a, b: _keccak.pair_rows(left[a:b], right[a:b], out[a:b]))
    return out


def sha256_rows(rows: np.ndarray) -> np.ndarray:
    """sha256 of every row of a 2-D uint8 array -> (M, 32) uint8."""
    return _hash_rows(rows, _sha256)


def _split(m: int, job) -> None:
    """Run `job(a, b)` over row ranges covering 0..m, one per core when m is large."""
    if m < PARALLEL_MIN or _CPUS < 2:
        job(0, m)
        return
    cuts = [m * k // _CPUS for k in range(_CPUS + 1)]
    errors: list[BaseException] = []

    def run(a: int, b: int) -> None:
        try:
            job(a, b)
        except BaseException as exc:  # re-raised in the caller below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(a, b)) for a, b in zip(cuts[1:-1], cuts[2:])]
    for t in threads:
        t.start()
    run(cuts[0], cuts[1])
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def _hash_rows(rows: np.ndarray, fn) -> np.ndarray:
    """One Python-level hash call per row (sha256, or keccak without the extension)."""
    m, width = rows.shape
    if m == 0:
        return np.zeros((0, 32), dtype=np.uint8)
    data = np.ascontiguousarray(rows).tobytes()
    if m >= PARALLEL_MIN and _CPUS > 1 and hasattr(os, "fork"):
        out = _hash_forked(data, width, m, fn)
    else:
        out = _hash_span(data, width, 0, m, fn)
    return np.frombuffer(out, dtype=np.uint8).reshape(m, 32)


def _hash_span(data: bytes, width: int, a: int, b: int, fn) -> bytes:
    return b"".join([fn(data[i:i + width]).digest() for i in range(a * width, b * width, width)])


def _hash_forked(data: bytes, width: int, m: int, fn) -> bytes:
    """Hash the second half in a forked child (the hash calls hold the GIL, so threads
    would not help); the child inherits `data` copy-on-write and pipes 32-byte digests back."""
    half = m // 2
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: no Python cleanup, just the digests
        try:
            os.close(r)
            out = _hash_span(data, width, half, m, fn)
            view = memoryview(out)
            while view:
                view = view[os.write(w, view):]
            os._exit(0)
        except BaseException:
            os._exit(1)
    os.close(w)
    first = _hash_span(data, width, 0, half, fn)
    chunks = []
    with os.fdopen(r, "rb") as f:
        while chunk := f.read(1 << 22):
            chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    second = b"".join(chunks)
    if status != 0 or len(second) != 32 * (m - half):
        second = _hash_span(data, width, half, m, fn)  # the child failed: do it here
    return first + second


def order_pairs(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """(M, 64) rows holding min(left, right) || max(left, right) in byte order (the input
    of `pair_rows`; Jito's merkle_tree.rs sorts its sha256 pairs the same way, `lsib <= rsib`)."""
    swap = left.view("S32").ravel() > right.view("S32").ravel()
    first = np.where(swap[:, None], right, left)
    second = np.where(swap[:, None], left, right)
    return np.concatenate([first, second], axis=1)


def sort_rows(rows: np.ndarray) -> np.ndarray:
    """Stable permutation that sorts (M, W) uint8 rows as byte strings (memcmp order).

    Hashes and account bytes practically never share their first 8 bytes, so the rows are
    sorted by those as one big-endian integer (2-4x faster than numpy's string sort), and
    the string sort only decides where two of them do."""
    rows = np.ascontiguousarray(rows, dtype=np.uint8)
    m, w = rows.shape
    full = lambda: np.argsort(rows.view(f"S{w}").ravel() if w else np.zeros(m), kind="stable")  # noqa: E731
    if w < 8:
        return full()
    return order_by_prefix(np.ascontiguousarray(rows[:, :8]).view(">u8").ravel().astype(np.uint64), full)


def order_by_prefix(key: np.ndarray, full) -> np.ndarray:
    """Stable order by an order-preserving integer prefix `key`; `full()` (the exact
    stable order) is used only when two keys tie."""
    order = np.argsort(key, kind="stable")
    k = key[order]
    return full() if np.any(k[1:] == k[:-1]) else order


def u256_be(values: list[int]) -> np.ndarray:
    """Python ints (0 <= v < 2**256) -> (M, 32) big-endian uint8 rows (abi uint256)."""
    buf = b"".join([v.to_bytes(32, "big") for v in values])
    return np.frombuffer(buf, dtype=np.uint8).reshape(len(values), 32)


def u64_le(values: list[int]) -> np.ndarray:
    """Python ints (0 <= v < 2**64) -> (M, 8) little-endian uint8 rows (Rust `to_le_bytes`)."""
    arr = np.array(values, dtype=np.uint64) if values else np.zeros(0, dtype=np.uint64)
    return arr.astype("<u8").view(np.uint8).reshape(len(values), 8)

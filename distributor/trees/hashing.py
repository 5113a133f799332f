"""Bulk hashing over contiguous byte arrays: one C call per hash, no Python object per node.

A million-claim tree needs ~3 million keccak calls (OZ double-hashes leaves). Building each
node as a Python object costs more than the hash itself (FACTS.md "Merkle": a per-leaf
Python tree builds 100k leaves in ~8 s), so every level here is one numpy `(M, 32)` uint8
array and the hash loop is a single comprehension over slices of one `bytes` buffer.
safe-pysha3's `keccak_256` is the fastest per-call keccak available from PyPI.
"""

from __future__ import annotations

import hashlib
import os

import numpy as np
import sha3

_keccak = sha3.keccak_256
_sha256 = hashlib.sha256
_CPUS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def keccak_rows(rows: np.ndarray) -> np.ndarray:
    """keccak256 of every row of a 2-D uint8 array -> (M, 32) uint8."""
    return _hash_rows(rows, _keccak)


def sha256_rows(rows: np.ndarray) -> np.ndarray:
    """sha256 of every row of a 2-D uint8 array -> (M, 32) uint8."""
    return _hash_rows(rows, _sha256)


PARALLEL_MIN = 1 << 16  # rows; below this a fork costs more than it saves


def _hash_rows(rows: np.ndarray, fn) -> np.ndarray:
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
    """(M, 64) rows holding min(left, right) || max(left, right) in byte order.

    Sorted-pair hashing is what OpenZeppelin's MerkleProof.sol (`_hashPair`), Uniswap's
    merkle-tree.ts (`sortAndConcat`) and Jito's merkle_tree.rs (`lsib <= rsib`) all do, so
    a proof needs no left/right flags.
    """
    swap = left.view("S32").ravel() > right.view("S32").ravel()
    first = np.where(swap[:, None], right, left)
    second = np.where(swap[:, None], left, right)
    return np.concatenate([first, second], axis=1)


def sort_rows(rows: np.ndarray) -> np.ndarray:
    """Stable permutation that sorts (M, 32) rows as big-endian byte strings."""
    return np.argsort(rows.view("S32").ravel(), kind="stable")


def u256_be(values: list[int]) -> np.ndarray:
    """Python ints (0 <= v < 2**256) -> (M, 32) big-endian uint8 rows (abi uint256)."""
    buf = b"".join([v.to_bytes(32, "big") for v in values])
    return np.frombuffer(buf, dtype=np.uint8).reshape(len(values), 32)


def u64_le(values: list[int]) -> np.ndarray:
    """Python ints (0 <= v < 2**64) -> (M, 8) little-endian uint8 rows (Rust `to_le_bytes`)."""
    arr = np.array(values, dtype=np.uint64) if values else np.zeros(0, dtype=np.uint64)
    return arr.astype("<u8").view(np.uint8).reshape(len(values), 8)

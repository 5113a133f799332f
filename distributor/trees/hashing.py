"""Bulk hashing over contiguous byte arrays: one C call per hash, no Python object per node.

A million-claim tree needs ~3 million keccak calls (OZ double-hashes leaves). Building each
node as a Python object costs more than the hash itself (FACTS.md "Merkle": a per-leaf
Python tree builds 100k leaves in ~8 s), so every level here is one numpy `(M, 32)` uint8
array and the hash loop is a single comprehension over slices of one `bytes` buffer.
safe-pysha3's `keccak_256` is the fastest per-call keccak available from PyPI.
"""

from __future__ import annotations

import hashlib

import numpy as np
import sha3

_keccak = sha3.keccak_256
_sha256 = hashlib.sha256


def keccak_rows(rows: np.ndarray) -> np.ndarray:
    """keccak256 of every row of a 2-D uint8 array -> (M, 32) uint8."""
    return _hash_rows(rows, _keccak)


def sha256_rows(rows: np.ndarray) -> np.ndarray:
    """sha256 of every row of a 2-D uint8 array -> (M, 32) uint8."""
    return _hash_rows(rows, _sha256)


def _hash_rows(rows: np.ndarray, fn) -> np.ndarray:
    m, width = rows.shape
    if m == 0:
        return np.zeros((0, 32), dtype=np.uint8)
    data = np.ascontiguousarray(rows).tobytes()
    out = b"".join([fn(data[i:i + width]).digest() for i in range(0, m * width, width)])
    return np.frombuffer(out, dtype=np.uint8).reshape(m, 32)


def keccak(data: bytes) -> bytes:
    return _keccak(data).digest()


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

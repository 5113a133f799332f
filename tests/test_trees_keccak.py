"""The C bulk keccak (`distributor/trees/_keccak.c`) against safe-pysha3, row by row.

Widths cross the 136-byte Keccak-256 rate (one, two and three absorbed blocks), and the
fallback path (no extension) must give the same bytes, threads and fork included."""

from __future__ import annotations

import numpy as np
import pytest
import sha3
from hypothesis import given, settings, strategies as st

from distributor.trees import hashing


def reference(rows: np.ndarray) -> np.ndarray:
    out = b"".join(sha3.keccak_256(bytes(r)).digest() for r in rows)
    return np.frombuffer(out, dtype=np.uint8).reshape(len(rows), 32)


def test_extension_is_built():
    # `pip install -e .` compiles it (setup.py); CI has a compiler.
    assert hashing._keccak is not None


@settings(max_examples=60, deadline=None)
@given(width=st.integers(0, 420), m=st.integers(0, 40), seed=st.integers(0, 2**32 - 1))
def test_rows_match_pysha3(width, m, seed):
    rows = np.random.default_rng(seed).integers(0, 256, size=(m, width), dtype=np.uint8)
    assert np.array_equal(hashing.keccak_rows(rows), reference(rows))


def test_known_vectors():
    empty = hashing.keccak_rows(np.zeros((1, 0), dtype=np.uint8))[0].tobytes().hex()
    assert empty == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    abc = hashing.keccak_rows(np.frombuffer(b"abc", dtype=np.uint8).reshape(1, 3))[0]
    assert abc.tobytes().hex() == "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"


@pytest.mark.parametrize("extension", [True, False])
def test_large_batches_split_over_threads_or_fork(monkeypatch, extension):
    if not extension:
        monkeypatch.setattr(hashing, "_keccak", None)
    m = hashing.PARALLEL_MIN * 2 + 3
    rng = np.random.default_rng(7)
    left = rng.integers(0, 256, size=(m, 32), dtype=np.uint8)
    right = rng.integers(0, 256, size=(m, 32), dtype=np.uint8)
    right[5] = left[5]  # equal pair
    pairs = hashing.pair_rows(left, right)
    sample = rng.choice(m, 300, replace=False)
    ordered = hashing.order_pairs(left[sample], right[sample])
    assert np.array_equal(pairs[sample], reference(ordered))
    assert np.array_equal(pairs[5], reference(np.concatenate([left[5], left[5]])[None])[0])
    rows = np.concatenate([left, right], axis=1)[:, :40]
    assert np.array_equal(hashing.keccak_rows(rows)[sample], reference(rows[sample]))

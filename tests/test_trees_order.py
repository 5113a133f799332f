"""Canonical claim order (D1) and leaf order: the fast integer-prefix sorts must give
exactly numpy's stable string sort, ties in the prefix included."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings, strategies as st

from distributor.trees import jsontext
from distributor.trees.hashing import sort_rows
from distributor.trees.hexfmt import checksum_addresses
from distributor.trees.schemes.base import account_order


@settings(max_examples=80, deadline=None)
@given(m=st.integers(0, 300), w=st.sampled_from([0, 1, 7, 8, 20, 32, 40]),
       alphabet=st.sampled_from([2, 3, 256]), shared=st.integers(0, 32),
       seed=st.integers(0, 2**32 - 1))
def test_sort_rows_is_the_stable_byte_order(m, w, alphabet, shared, seed):
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, alphabet, size=(m, w), dtype=np.uint8)
    rows[: m // 2, :min(shared, w)] = 7  # half the rows share a prefix: the fallback path
    want = np.argsort(rows.view(f"S{w}").ravel() if w else np.zeros(m), kind="stable")
    assert np.array_equal(sort_rows(rows), want)


@settings(max_examples=40, deadline=None)
@given(m=st.integers(0, 400), shared=st.integers(0, 20), seed=st.integers(0, 2**32 - 1))
def test_account_order_is_eip55_text_order(m, shared, seed):
    rng = np.random.default_rng(seed)
    raw = rng.integers(0, 256, size=(m, 20), dtype=np.uint8)
    raw[: m // 3, :shared] = raw[0, :shared] if m else 0  # shared leading bytes -> ties
    accounts = checksum_addresses(raw)
    want = sorted(range(m), key=lambda i: accounts[i])  # Python's sort is stable
    assert account_order(jsontext.strings(accounts)).tolist() == want

"""distributor/trees/jsontext.py: column-wise JSON text must equal what per-claim Python
formatting gives (the writers' bytes depend on it; test_trees_golden.py checks whole files)."""

from __future__ import annotations

import json
import random

import base58
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distributor.trees import jsontext as jt
from distributor.trees.claims import Claims
from distributor.trees.outputs import ProofText
from distributor.trees.schemes import get_scheme

texts = st.lists(st.text(max_size=12), max_size=30)


@settings(max_examples=100, deadline=None)
@given(texts)
def test_strings_round_trip_any_text(values):
    assert jt.strings(values).to_pylist() == [v.encode() for v in values]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=2**256 - 1), max_size=30))
def test_decimal_is_str_of_each_int(values):
    assert jt.decimal(values).to_pylist() == [str(v).encode() for v in values]


def test_unsigned_covers_the_u64_range():
    values = np.array([0, 1, 9, 10, 2**63, 2**64 - 1], dtype=np.uint64)
    assert jt.unsigned(values).to_pylist() == [str(int(v)).encode() for v in values]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=5), st.integers(0, 10**30)), max_size=20),
       st.integers(0, 20), st.integers(0, 20))
def test_join_and_data_of_a_slice_equal_python_formatting(rows, a, b):
    """`data` must honour an array's offset: writers slice columns before joining."""
    names = jt.strings([r[0] for r in rows])
    amounts = jt.decimal([r[1] for r in rows])
    a, b = sorted((min(a, len(rows)), min(b, len(rows))))
    joined = jt.join('{"n":"', names[a:b], '","a":"', amounts[a:b], '"},')
    python = lambda part: "".join(f'{{"n":"{n}","a":"{m}"}},' for n, m in part).encode()  # noqa: E731
    assert bytes(jt.data(joined)) == python(rows[a:b])
    assert bytes(jt.data(joined[1:])) == python(rows[a + 1:b])


def test_fixed_width_and_spans_share_memory_and_cut_right():
    rows = np.frombuffer(b"abcdefghij", np.uint8).reshape(5, 2)
    assert jt.fixed_width(rows).to_pylist() == [b"ab", b"cd", b"ef", b"gh", b"ij"]
    buf = np.frombuffer(b"xxhelloworld!", np.uint8).copy()
    cut = jt.spans(buf, np.array([2, 7, 12]), np.array([7, 12, 12]))
    assert cut.to_pylist() == [b"hello", b"world", b""]
    buf[2] = ord("J")  # no copy was made
    assert cut[0].as_py() == b"Jello"
    assert jt.spans(buf, np.array([], np.int64), np.array([], np.int64)).to_pylist() == []


@pytest.mark.parametrize("n", [1, 2, 3, 8, 8193])
def test_solana_native_file_is_the_pretty_json_of_the_tree(tmp_path, n):
    """merkle_tree.json is streamed column-wise; it must be byte for byte what
    `json.dumps(tree, indent=2)` prints for the same tree (one claim: an empty proof;
    8,193: two chunks)."""
    rng = random.Random(n)
    keys = [rng.randbytes(32) for _ in range(n)]
    amounts = [rng.randrange(2**40) for _ in range(n)]
    locked = [rng.choice([0, rng.randrange(2**40)]) for _ in range(n)]
    claims = Claims.of([base58.b58encode(k).decode() for k in keys],
                       np.frombuffer(b"".join(keys), np.uint8).reshape(n, 32), amounts, None, locked)
    scheme = get_scheme("solana")
    built = scheme.build(claims, scheme.leaf_types(None))
    path = tmp_path / "merkle_tree.json"
    with open(path, "wb") as fh:
        scheme.write_native(built, fh, ProofText(built))
    tree = {"merkle_root": list(built.root), "max_num_nodes": n,
            "max_total_claim": sum(amounts) + sum(locked),
            "tree_nodes": [{"claimant": list(keys[i]), "amount": amounts[i],
                            "locked_amount": locked[i],
                            "proof": [list(p) for p in built.proof(i)]} for i in range(n)]}
    assert path.read_bytes() == json.dumps(tree, indent=2).encode() + b"\n"

"""Acceptance 6 (hypothesis): every proof verifies; row order changes no output byte.

Proofs are checked by a deliberately naive verifier written here from the contracts'
rules (eth-abi encoding, one hash call per step), independent of the bulk code.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
from eth_abi import encode
from eth_hash.auto import keccak
from eth_utils import to_checksum_address
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from distributor.trees.claims import Claims
from distributor.trees.schemes import get_scheme
from epochdrop.fsio import hash_tree
from tests.trees_support import run_cli, write_csv

addresses = st.binary(min_size=20, max_size=20)
amounts = st.one_of(st.integers(0, 2**256 - 1), st.sampled_from([0, 1, 2**256 - 1]))
claim_sets = st.dictionaries(addresses, amounts, min_size=1, max_size=70)
u64 = st.integers(0, 2**56)  # 70 claims x 2 amounts stay below the u64 total
solana_sets = st.dictionaries(st.binary(min_size=32, max_size=32), st.tuples(u64, u64),
                              min_size=1, max_size=70)
SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def _sorted_fold(leaf: bytes, proof: list[bytes]) -> bytes:
    for p in proof:
        leaf = keccak(min(leaf, p) + max(leaf, p))
    return leaf


def _evm_claims(d: dict) -> Claims:
    keys = np.frombuffer(b"".join(d), dtype=np.uint8).reshape(len(d), 20)
    return Claims.of([to_checksum_address(k) for k in d], keys, list(d.values()))


@SETTINGS
@given(claim_sets)
def test_every_oz_proof_verifies(d):
    built = get_scheme("oz").build(_evm_claims(d), ["address", "uint256"])
    for i, (acct, amt) in enumerate(zip(built.claims.accounts, built.claims.amounts)):
        leaf = keccak(keccak(encode(["address", "uint256"], [acct, amt])))
        assert _sorted_fold(leaf, built.proof(i)) == built.root


@SETTINGS
@given(claim_sets)
def test_every_uniswap_proof_verifies(d):
    built = get_scheme("uniswap").build(_evm_claims(d), None)
    assert sorted(built.claims.indices) == list(range(len(d)))
    for i, (acct, amt) in enumerate(zip(built.claims.accounts, built.claims.amounts)):
        leaf = keccak(built.claims.indices[i].to_bytes(32, "big") + bytes.fromhex(acct[2:])
                      + amt.to_bytes(32, "big"))
        assert _sorted_fold(leaf, built.proof(i)) == built.root


@SETTINGS
@given(claim_sets)
def test_every_packed_proof_verifies(d):
    built = get_scheme("packed").build(_evm_claims(d), None)
    for i, (acct, amt) in enumerate(zip(built.claims.accounts, built.claims.amounts)):
        leaf = keccak(bytes.fromhex(acct[2:]) + amt.to_bytes(32, "big"))
        assert _sorted_fold(leaf, built.proof(i)) == built.root


@SETTINGS
@given(solana_sets)
def test_every_solana_proof_verifies(d):
    import base58
    keys = np.frombuffer(b"".join(d), dtype=np.uint8).reshape(len(d), 32)
    c = Claims.of([base58.b58encode(k).decode() for k in d], keys, [v[0] for v in d.values()],
                  None, [v[1] for v in d.values()])
    built = get_scheme("solana").build(c, None)
    sha = lambda b: hashlib.sha256(b).digest()  # noqa: E731
    for i, (key, (unlocked, locked)) in enumerate(d.items()):
        h = sha(b"\0" + sha(key + unlocked.to_bytes(8, "little") + locked.to_bytes(8, "little")))
        for p in built.proof(i):  # jito merkle_tree.rs Proof::verify, sorted hashing
            h = sha(b"\1" + min(h, p) + max(h, p))
        assert h == built.root


@settings(max_examples=8, deadline=None)
@given(claim_sets, st.randoms(use_true_random=False), st.sampled_from(["oz", "uniswap", "packed"]))
def test_shuffling_rows_changes_no_output_byte(d, rnd, scheme):
    rows = [("0x" + k.hex(), v) for k, v in d.items()]
    shuffled = list(rows)
    rnd.shuffle(shuffled)
    shuffled = [(rnd.choice([a, to_checksum_address(a), "0x" + a[2:].upper()]), v) for a, v in shuffled]
    tmp = Path(tempfile.mkdtemp())
    try:
        outs = []
        for name, data in (("a", rows), ("b", shuffled)):
            src = write_csv(tmp / f"{name}.csv", data)
            run_cli("tree", "build", src, "--scheme", scheme, "--out", tmp / f"out_{name}")
            outs.append(tmp / f"out_{name}")
        assert hash_tree(outs[0]) .keys() == hash_tree(outs[1]).keys()
        for rel, digest in hash_tree(outs[0], exclude={"manifest.json"}).items():
            assert hash_tree(outs[1], exclude={"manifest.json"})[rel] == digest, rel
        m = [json.loads((o / "manifest.json").read_text()) for o in outs]
        assert m[0]["inputs"] != m[1]["inputs"] or rows == shuffled
        for x in m:
            x.pop("inputs")
        assert m[0] == m[1]
    finally:
        shutil.rmtree(tmp)

"""Acceptance 3 and 4: our proofs claim real tokens on a real EVM (anvil from npm).

Claim contracts (contracts/test/TreeClaims.sol, OpenZeppelin MerkleProof from npm
@openzeppelin/contracts, compiled with npm solc) get their root from `tree build`; claims
use the JSON `tree proof` prints, exactly what a front-end would send.
"""

from __future__ import annotations

import json

import pytest
from web3.exceptions import ContractLogicError

from tests.support.evm import REPO, Anvil, compile_contracts, deploy
from tests.trees_support import random_claims, run_cli, tree_of, write_csv

pytestmark = pytest.mark.xdist_group("trees_evm")


@pytest.fixture(scope="module")
def chain():
    art = compile_contracts([REPO / "contracts/test/TestToken.sol",
                             REPO / "contracts/test/TreeClaims.sol"])
    with Anvil() as node:
        token = deploy(node.w3, art["TestToken"], "Reward", "RWD", 18)
        yield node, art, token


def _proof(out, account):
    return json.loads(run_cli("tree", "proof", out, account).stdout)


def _send(fn):
    """Transact and wait; a revert surfaces as ContractLogicError with its reason."""
    tx = fn.transact()
    return fn.w3.eth.wait_for_transaction_receipt(tx)


def _claim_args(scheme, c, amount=None, proof=None):
    amount = int(c["amount"]) if amount is None else amount
    proof = c["proof"] if proof is None else proof
    if scheme == "uniswap":
        return (c["index"], c["account"], amount, proof)
    return (c["account"], amount, proof)


@pytest.mark.parametrize("scheme,contract", [("oz", "OzCumulativeClaim"),
                                             ("uniswap", "UniswapClaim"),
                                             ("packed", "PackedClaim")])
def test_claims_succeed_and_bad_claims_revert(chain, tmp_path, scheme, contract):
    node, art, token = chain
    w3 = node.w3
    claims = [(a.lower(), 10**18 + i) for i, a in enumerate(node.accounts[1:5])]
    claims += random_claims(20, seed=42)
    out = tmp_path / "out"
    run_cli("tree", "build", write_csv(tmp_path / "in.csv", claims), "--scheme", scheme,
            "--out", out)
    man = tree_of(out)
    dist = deploy(w3, art[contract], token.address, bytes.fromhex(man["root"][2:]))
    _send(token.functions.mint(dist.address, int(man["total"])))

    first, second = (_proof(out, a) for a in node.accounts[1:3])
    with pytest.raises(ContractLogicError, match="invalid proof"):  # wrong amount
        _send(dist.functions.claim(*_claim_args(scheme, first, amount=int(first["amount"]) + 1)))
    with pytest.raises(ContractLogicError, match="invalid proof"):  # someone else's proof
        _send(dist.functions.claim(*_claim_args(scheme, first, proof=second["proof"])))

    for account in node.accounts[1:5]:
        c = _proof(out, account)
        before = token.functions.balanceOf(account).call()
        _send(dist.functions.claim(*_claim_args(scheme, c)))
        assert token.functions.balanceOf(account).call() - before == int(c["amount"])
    with pytest.raises(ContractLogicError, match="already claimed|nothing to claim"):
        _send(dist.functions.claim(*_claim_args(scheme, first)))
    # the random (non-anvil) claimants verify too: claims pay to the account, not the sender
    for account, amount in claims[4:8]:
        _send(dist.functions.claim(*_claim_args(scheme, _proof(out, account))))


def test_cumulative_epoch_pays_only_the_difference(chain, tmp_path):
    node, art, token = chain
    a, b, c = node.accounts[5:8]
    epoch1 = [(a, 100), (b, 250)] + [(x, v) for x, v in random_claims(5, seed=1)]
    run_cli("tree", "build", write_csv(tmp_path / "e1.csv", epoch1), "--scheme", "oz",
            "--out", tmp_path / "e1", "--epoch", "1")
    epoch2 = [(a.lower(), 40), (c, 7)]  # b gets nothing new; c is new
    run_cli("tree", "build", write_csv(tmp_path / "e2.csv", epoch2), "--scheme", "oz",
            "--previous", tmp_path / "e1", "--out", tmp_path / "e2", "--epoch", "2")
    m1 = tree_of(tmp_path / "e1")
    m2 = tree_of(tmp_path / "e2")
    assert m2["count"] == m1["count"] + 1  # every epoch-1 account carried, plus c
    assert int(m2["total"]) == int(m1["total"]) + 47
    assert m2["previous"]["root"] == m1["root"] and m2["cumulative"]

    dist = deploy(node.w3, art["OzCumulativeClaim"], token.address, bytes.fromhex(m1["root"][2:]))
    _send(token.functions.mint(dist.address, int(m2["total"])))
    balance = lambda x: token.functions.balanceOf(x).call()  # noqa: E731
    start = {x: balance(x) for x in (a, b, c)}
    e1a = _proof(tmp_path / "e1", a)
    _send(dist.functions.claim(a, int(e1a["amount"]), e1a["proof"]))
    assert balance(a) - start[a] == 100

    _send(dist.functions.setRoot(bytes.fromhex(m2["root"][2:])))
    with pytest.raises(ContractLogicError, match="invalid proof"):  # old proofs are retired
        _send(dist.functions.claim(a, int(e1a["amount"]), e1a["proof"]))
    e2a, e2b, e2c = (_proof(tmp_path / "e2", x) for x in (a, b, c))
    assert (int(e2a["amount"]), int(e2b["amount"]), int(e2c["amount"])) == (140, 250, 7)
    _send(dist.functions.claim(a, 140, e2a["proof"]))
    assert balance(a) - start[a] == 140  # 100 before + only the 40 difference now
    _send(dist.functions.claim(b, 250, e2b["proof"]))
    _send(dist.functions.claim(c, 7, e2c["proof"]))
    assert (balance(b) - start[b], balance(c) - start[c]) == (250, 7)
    with pytest.raises(ContractLogicError, match="nothing to claim"):
        _send(dist.functions.claim(a, 140, e2a["proof"]))

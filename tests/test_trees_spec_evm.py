"""Issue 16 acceptance: claims on a real EVM (anvil from npm) for a Merkl-shaped leaf and
for a sharded (ENS EP2) proof, with the JSON `tree proof` prints — what a front-end sends.

contracts/test/SpecClaims.sol holds the two harnesses (OpenZeppelin MerkleProof from npm
@openzeppelin/contracts, compiled with npm solc).
"""

from __future__ import annotations

import json
import random

import pytest
from web3.exceptions import ContractLogicError

from tests.support.evm import REPO, Anvil, compile_contracts, deploy
from tests.trees_support import run_cli

pytestmark = pytest.mark.xdist_group("trees_evm")


@pytest.fixture(scope="module")
def chain():
    art = compile_contracts([REPO / "contracts/test/TestToken.sol",
                             REPO / "contracts/test/SpecClaims.sol"])
    with Anvil() as node:
        yield node, art


def _send(fn, sender=None):
    tx = fn.transact({"from": sender} if sender else {})
    return fn.w3.eth.wait_for_transaction_receipt(tx)


def _proof(out, account):
    return json.loads(run_cli("tree", "proof", out, account).stdout)


def test_merkl_shaped_claims_pay_every_token(chain, tmp_path):
    node, art = chain
    w3 = node.w3
    a_tok = deploy(w3, art["TestToken"], "Reward A", "RA", 18)
    b_tok = deploy(w3, art["TestToken"], "Reward B", "RB", 6)
    users = node.accounts[1:4]
    rng = random.Random(3)
    rows = []
    for u in users:  # two distributions per (user, token): the preset sums them
        for tok in (a_tok, b_tok):
            rows += [{"address": u, "token": tok.address, "amount": str(rng.randrange(1, 10**20))}
                     for _ in range(2)]
    rows += [{"address": "0x" + rng.randbytes(20).hex(), "token": a_tok.address,
              "amount": str(rng.randrange(10**18))} for _ in range(30)]
    rows.append({"address": users[0], "token": "0x" + "00" * 19 + "01", "amount": "0"})  # dropped
    src = tmp_path / "rewards.json"
    src.write_text(json.dumps(rows))
    out = tmp_path / "out"
    run_cli("tree", "build", src, "--scheme", "merkl", "--out", out)
    man = json.loads((out / "manifest.json").read_text())
    dist = deploy(w3, art["MerklShapedClaim"], bytes.fromhex(man["tree"]["root"][2:]))
    for tok in (a_tok, b_tok):
        due = sum(int(r["amount"]) for r in rows if r["token"] == tok.address)
        _send(tok.functions.mint(dist.address, due))

    def args(claims, bump=0):
        return ([c["leaf"]["account"] for c in claims], [c["leaf"]["token"] for c in claims],
                [int(c["amount"]) + bump for c in claims], [c["proof"] for c in claims])

    first = _proof(out, users[0])["claims"]
    assert len(first) == 2  # the zero-amount third token has no leaf
    with pytest.raises(ContractLogicError, match="invalid proof"):
        _send(dist.functions.claim(*args(first, bump=1)))
    for u in users:
        claims = _proof(out, u.lower())["claims"]
        before = {t.address: t.functions.balanceOf(u).call() for t in (a_tok, b_tok)}
        _send(dist.functions.claim(*args(claims)))
        for c in claims:
            tok = a_tok if c["leaf"]["token"] == a_tok.address else b_tok
            want = sum(int(r["amount"]) for r in rows
                       if r["address"] == u and r["token"] == tok.address)
            assert int(c["amount"]) == want
            assert tok.functions.balanceOf(u).call() - before[tok.address] == want
    with pytest.raises(ContractLogicError, match="nothing to claim"):
        _send(dist.functions.claim(*args(first)))


def test_sharded_proof_claims_against_the_top_root(chain, tmp_path):
    node, art = chain
    w3 = node.w3
    token = deploy(w3, art["TestToken"], "ENS", "ENS", 18)
    rng = random.Random(5)
    claimants = node.accounts[1:6]
    rows = [{"account": a, "amount": str(10**18 + i)} for i, a in enumerate(claimants)]
    rows += [{"account": "0x" + rng.randbytes(20).hex(), "amount": str(rng.randrange(10**21))}
             for _ in range(200)]
    src = tmp_path / "airdrop.json"
    src.write_text(json.dumps(rows))
    out = tmp_path / "out"
    run_cli("tree", "build", src, "--scheme", "ens", "--out", out)
    man = json.loads((out / "manifest.json").read_text())
    dist = deploy(w3, art["ShardedClaim"], token.address, bytes.fromhex(man["tree"]["root"][2:]))
    _send(token.functions.mint(dist.address, int(man["tree"]["total"])))

    c = _proof(out, claimants[0])
    # 16 shards: the last 4 nodes are the top tree's; the sub-tree proof alone does not verify
    with pytest.raises(ContractLogicError, match="invalid proof"):
        _send(dist.functions.claimTokens(int(c["amount"]), c["proof"][:-4]), claimants[0])
    with pytest.raises(ContractLogicError, match="invalid proof"):  # someone else's claim
        _send(dist.functions.claimTokens(int(c["amount"]), c["proof"]), claimants[1])
    for i, a in enumerate(claimants):
        c = _proof(out, a)
        before = token.functions.balanceOf(a).call()
        _send(dist.functions.claimTokens(int(c["amount"]), c["proof"]), a)
        assert token.functions.balanceOf(a).call() - before == 10**18 + i
    with pytest.raises(ContractLogicError, match="already claimed"):
        _send(dist.functions.claimTokens(int(c["amount"]), c["proof"]), claimants[-1])


FIELDS = [["account", "address"], ["u", "uint96"], ["i", "int32"], ["b", "bool"],
          ["h", "bytes32"], ["s4", "bytes4"], ["s", "string"], ["arr", "address[]"],
          ["nums", "uint256[]"], ["ints", "int256[]"]]


@pytest.mark.parametrize("encoding", ["packed", "abi", "double"])
def test_leaves_of_every_abi_type_equal_solidity(chain, tmp_path, encoding):
    """A one-claim tree's root is its leaf: for each encoding, every type of the grammar,
    negative ints and arrays included, hashes as solc's abi.encode / abi.encodePacked do."""
    node, art = chain
    enc = deploy(node.w3, art["LeafEncodings"])
    rng = random.Random(encoding)
    fields = FIELDS[:6] if encoding == "double" else FIELDS
    for trial in range(3):
        row = {"account": "0x" + rng.randbytes(20).hex(), "u": str(rng.randrange(2**96)),
               "i": str(rng.randrange(-2**31, 2**31)), "b": rng.choice([True, False]),
               "h": "0x" + rng.randbytes(32).hex(), "s4": "0x" + rng.randbytes(4).hex(),
               "s": rng.choice(["", "héllo", "x" * 70]),
               "arr": ["0x" + rng.randbytes(20).hex() for _ in range(rng.randrange(3))],
               "nums": [str(rng.randrange(2**256)) for _ in range(rng.randrange(3))],
               "ints": [str(rng.randrange(-2**255, 2**255)) for _ in range(2)]}
        spec = tmp_path / f"{trial}.toml"
        spec.write_text(f"[leaf]\nfields = {json.dumps(fields)}\n"
                        f'encoding = "{"abi" if encoding == "double" else encoding}"\n'
                        f'hash = "{"double-keccak" if encoding == "double" else "keccak"}"\n'
                        '[claims]\namount = "u"\n')
        src = tmp_path / f"{trial}.json"
        src.write_text(json.dumps([{f: row[f] for f, _ in fields}]))
        out = tmp_path / f"out{trial}"
        run_cli("tree", "build", src, "--spec", spec, "--out", out)
        root = json.loads((out / "manifest.json").read_text())["tree"]["root"]
        args = [node.w3.to_checksum_address(row["account"]), int(row["u"]), int(row["i"]),
                row["b"], bytes.fromhex(row["h"][2:]), bytes.fromhex(row["s4"][2:])]
        if encoding == "double":
            want = enc.functions.doubled(*args).call()
        else:
            args += [row["s"], [node.w3.to_checksum_address(a) for a in row["arr"]],
                     [int(n) for n in row["nums"]], [int(n) for n in row["ints"]]]
            want = getattr(enc.functions, "packed" if encoding == "packed" else "encoded")(*args).call()
        assert root == "0x" + want.hex().removeprefix("0x"), (trial, row)
        run_cli("tree", "check", out)

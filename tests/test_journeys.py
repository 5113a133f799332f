"""The users' journeys across stages (issue 13), each through the real parts, on a fresh
small demo (`epochdrop demo --small`'s code, tests/support/workflow.py) or `run` on the
sample tables:

- J1 claim API: `serve` over the demo's epochs folder lists every epoch under its label;
  each epoch with a tree answers a claim for an account of its `rewards.csv` whose proof
  folds to the root (hashing written out here, independently of the tree builders); curve
  and mirror (scheme none) are listed as "no tree".
- J4 auditor: `verify DIR --rpc ANVIL --contract ADDR` on a real CumulativeMerkleDistributor
  says identical, and after the contract's root changes names the deployed root as the one
  that differs (exit 1); the same for a `tree build` folder (re-checked as `tree check`).
- No Python repr (`{'`, `None`, `PosixPath(`) in any output file of the demo or any answer
  `serve` gives.

J2/J2b/J3 (export-static, the claim page, deploy/publish) live with the claim flow.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from pathlib import Path

import base58
import pytest
import sha3
from eth_abi import encode

from distributor.trees.outputs import claim_json
from epochdrop.folder import read_manifest
from tests.support.claimsfx import Serve, run_cli, tree_build
from tests.support.evm import REPO, Anvil, compile_contracts, deploy
from tests.support.workflow import GROUP, small_demo

pytestmark = pytest.mark.xdist_group(GROUP)

REPR = re.compile(r"\{'|\bNone\b|PosixPath\(")
SAMPLES = REPO / "data" / "samples"


# -- independent proof folding (the contracts' and Jito's rules, written out) -------------

def _keccak(b: bytes) -> bytes:
    return sha3.keccak_256(b).digest()


def fold(scheme: str, claim: dict) -> bytes:
    amount = int(claim["amount"])
    if scheme == "solana":  # Jito merkle-tree crate: 0x00 leaf / 0x01 node prefixes, sorted
        key = base58.b58decode(claim["account"])
        data = hashlib.sha256(key + amount.to_bytes(8, "little")
                              + int(claim.get("locked_amount") or 0).to_bytes(8, "little"))
        h = hashlib.sha256(b"\x00" + data.digest()).digest()
        for p in claim["proof"]:
            s = bytes.fromhex(p[2:])
            h = hashlib.sha256(b"\x01" + min(h, s) + max(h, s)).digest()
        return h
    account = bytes.fromhex(claim["account"][2:])
    if scheme == "packed":  # CumulativeMerkleDistributor.leaf, LeafFormat.Packed
        h = _keccak(account + amount.to_bytes(32, "big"))
    else:                   # OpenZeppelin StandardMerkleTree (address, uint256)
        h = _keccak(_keccak(encode(["address", "uint256"], [claim["account"], amount])))
    for p in claim["proof"]:  # OpenZeppelin MerkleProof.processProof: sorted pairs
        s = bytes.fromhex(p[2:])
        h = _keccak(min(h, s) + max(h, s))
    return h


def first_reward(folder: Path) -> tuple[str, int] | None:
    with open(folder / "rewards.csv", newline="") as f:
        row = next(csv.DictReader(f), None)
    return (row["account"], int(row["amount"])) if row else None


# -- J1 -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def served():
    root, rows = small_demo()
    answers: dict[str, bytes] = {}
    with Serve(root / "epochs") as s:
        def get(path: str):
            r = s.get(path)
            answers[path] = r.content
            return r
        yield root, rows, get, answers


def test_j1_serve_lists_every_demo_epoch_and_answers_its_claims(served):
    root, rows, get, _ = served
    listing = {p["program"]: p for p in get("/v1/programs").json()["programs"]}
    assert set(listing) == {r["program"] for r in rows}
    checked = no_tree = 0
    for r in rows:
        program, label = r["program"], r["epoch"]
        folder = root / "epochs" / program / label
        m = read_manifest(folder)
        assert label in listing[program]["epochs"], (program, label)
        info = get(f"/v1/programs/{program}/epochs/{label}")
        assert info.status_code == 200, info.text
        info = info.json()
        assert (info["program"], info["epoch"], info["root"]) == (program, label, m.root)
        assert info["token"]["symbol"] and info["token"]["decimals"] is not None
        paid = first_reward(folder)
        if m.tree is None:  # curve and mirror: scheme none (D20)
            assert info["status"] == "no tree" and label in listing[program]["no_tree"]
            if paid:
                r404 = get(f"/v1/programs/{program}/epochs/{label}/claims/{paid[0]}")
                assert r404.status_code == 404 and r404.json()["error"] == "no_tree"
            no_tree += 1
            continue
        assert info["status"] == "ok" and info["count"] == m.tree.count
        account, amount = paid
        answer = get(f"/v1/programs/{program}/epochs/{label}/claims/{account}")
        assert answer.status_code == 200, answer.text
        c = answer.json()
        assert (c["program"], c["epoch"], c["root"], c["scheme"]) == (program, label, m.root,
                                                                     m.scheme)
        assert c["account"] == account
        if m.tree.cumulative and m.tree.previous is not None:
            assert int(c["amount"]) >= amount  # cumulative: previous epochs' amounts included
        else:
            assert int(c["amount"]) == amount
        assert fold(m.scheme, c) == bytes.fromhex(m.root[2:]), (program, label)
        assert claim_json(folder, account) == c  # `tree proof` reads a run folder alike
        get(f"/v1/programs/{program}/claims/{account}")
        get(f"/v1/programs/{program}")
        checked += 1
    assert checked >= 4 and no_tree >= 2  # dhedge, dydx ×2, jet, jet_airdrop; curve, mirror


def test_no_python_repr_in_demo_outputs_or_served_answers(served):
    root, rows, get, answers = served
    get(f"/v1/accounts/{first_reward(Path(rows[0]['out']))[0]}")
    get("/health")
    bad = [f"{path}: {REPR.search(body.decode()).group()}" for path, body in answers.items()
           if REPR.search(body.decode())]
    files = [p for p in root.rglob("*") if p.is_file()
             and p.suffix in (".json", ".csv", ".html", ".txt", ".toml", ".md")]
    assert len(files) > 20
    for p in files:
        hit = REPR.search(p.read_text(errors="replace"))
        if hit:
            bad.append(f"{p.relative_to(root)}: {hit.group()!r} at {hit.start()}")
    assert not bad, bad[:10]


# -- J4 -----------------------------------------------------------------------------------

CONFIG = '''program = "dhedge"
[params]
daily_pot = "5000"
free_allowance = "100"
denominator = 12
decimals = 18
[tree]
scheme = "oz"
[token]
address = "{token}"
symbol = "DHT"
chain_id = {chain_id}
'''


@pytest.fixture(scope="module")
def chain():
    arts = compile_contracts([REPO / "contracts/CumulativeMerkleDistributor.sol",
                              REPO / "contracts/test/TestToken.sol"])
    with Anvil() as node:
        owner = node.accounts[0]
        token = deploy(node.w3, arts["TestToken"], "dHEDGE", "DHT", 18)
        dist = deploy(node.w3, arts["CumulativeMerkleDistributor"], token.address, 1, owner)
        yield node, token, dist, owner


def set_root(node, dist, owner, root: str) -> None:
    tx = dist.functions.setMerkleRoot(bytes.fromhex(root[2:]), 0).transact({"from": owner})
    assert node.w3.eth.wait_for_transaction_receipt(tx)["status"] == 1


def verify(*args) -> tuple[int, str]:
    proc = run_cli("verify", *args, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def test_j4_auditor_checks_the_deployed_root(chain, tmp_path):
    node, token, dist, owner = chain
    cfg = tmp_path / "dhedge.toml"
    cfg.write_text(CONFIG.format(token=token.address, chain_id=node.w3.eth.chain_id))
    out = tmp_path / "out" / "dhedge" / "2022-03"
    run_cli("run", cfg, "--epoch", "2022-03", "--data", SAMPLES / "dhedge", "--out", out)
    m = read_manifest(out)
    assert m.token.address == token.address and m.chain_id == node.w3.eth.chain_id
    set_root(node, dist, owner, m.root)
    where = ("--rpc", node.url, "--contract", dist.address)

    code, text = verify(out, *where, "--data", SAMPLES / "dhedge")
    assert code == 0, text
    assert "deployed root: identical" in text and "root: identical" in text
    assert "OK: identical" in text

    # A tree build of the published rewards.csv: the same root, re-checked as `tree check`.
    tree = tree_build(out / "rewards.csv", tmp_path / "tree", "oz", token=token.address,
                      chain_id=node.w3.eth.chain_id, epoch="2022-03")
    assert read_manifest(tree).root == m.root
    code, text = verify(tree, *where)
    assert code == 0 and "tree check: ok" in text and "deployed root: identical" in text, text

    other = "0x" + _keccak(b"someone else's root").hex()
    set_root(node, dist, owner, other)
    code, text = verify(out, *where, "--data", SAMPLES / "dhedge")
    assert code == 1, text
    assert f"deployed root: DIFFERS on {dist.address}" in text and other in text
    assert "differs: deployed root; the folder and the rebuild agree" in text
    code, text = verify(tree, *where)
    assert code == 1 and "differs: deployed root" in text and "tree check: ok" in text, text


def test_verify_refusals_are_one_line(chain, tmp_path):
    node, token, dist, _ = chain
    tree = tree_build(REPO / "tests/golden/trees/claims.csv", tmp_path / "t", "oz",
                      token=token.address, chain_id=1)
    for args, code, says in (
            ((tree, "--rpc", "embedded"), 2, "--rpc embedded: the embedded chain lives only"),
            ((tree, "--contract", dist.address), 2, "--contract needs --rpc"),
            ((tree, "--rpc", node.url, "--contract", dist.address), 2,
             f"wrong chain: --rpc is chain {node.w3.eth.chain_id}, the manifest says 1"),
            ((tree, "--rpc", node.url, "--contract", token.address), 2,
             "is not a CumulativeMerkleDistributor (no merkleRoot())")):
        rc, text = verify(*args)
        assert rc == code and says in text, text
        assert text.count("\n") == 1 and text.startswith("error: "), text

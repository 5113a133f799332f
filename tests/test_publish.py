"""Acceptance 2 and 3 of issue 8 on a real anvil: `epochdrop publish` dry run sends nothing,
`--send` sets the root, served proofs claim, a second cumulative root pays only the
difference, the same root twice and a wrong chain/token/decimals/funding are refused before
any transaction, and the key never shows up in output, run reports or errors."""

from __future__ import annotations

import json
import secrets

import pytest
from eth_account import Account
from web3 import Web3

from tests.support.claimsfx import Serve, run_cli, tree_build, write_claims_csv
from tests.support.evm import REPO, Anvil, compile_contracts, deploy

pytestmark = pytest.mark.xdist_group("publish")

KEY = "0x" + secrets.token_hex(32)
OWNER = Account.from_key(KEY).address
SOURCES = [REPO / "contracts/CumulativeMerkleDistributor.sol", REPO / "contracts/test/TestToken.sol"]
OUTPUTS: list[str] = []  # every stdout/stderr publish printed, grepped at the end


def publish(folder, contract, node, *extra, env=None, code=0):
    proc = run_cli("publish", folder, "--contract", contract, "--rpc", node.url, *extra,
                   env={"EPOCHDROP_PRIVATE_KEY": KEY, **(env or {})}, check=False)
    OUTPUTS.extend([proc.stdout, proc.stderr])
    assert proc.returncode == code, proc.stdout + proc.stderr
    return proc.stdout + proc.stderr


def state(node, dist):
    w3 = node.w3
    return (w3.eth.block_number, w3.eth.get_transaction_count(OWNER),
            bytes(dist.functions.merkleRoot().call()))


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    base = tmp_path_factory.mktemp("publish")
    arts = compile_contracts(SOURCES)
    # The checked-in ABI (used by publish) is the compiled one.
    assert json.loads((REPO / "contracts_abi/CumulativeMerkleDistributor.json").read_text()) == \
        arts["CumulativeMerkleDistributor"]["abi"]
    with Anvil() as node:
        node.rpc("anvil_setBalance", [OWNER, hex(10**20)])
        token = deploy(node.w3, arts["TestToken"], "Reward", "RWD", 18)
        dist = deploy(node.w3, arts["CumulativeMerkleDistributor"], token.address, 0, OWNER)
        yield base, node, arts, token, dist


def mint(node, token, to, amount):
    token.functions.mint(to, amount).transact({"from": node.accounts[0]})


def test_publish_claim_cumulative_and_refusals(chain):
    base, node, arts, token, dist = chain
    w3 = node.w3
    rows = write_claims_csv(base / "e1.csv", 300, seed=1, max_amount=10**6)
    e1 = tree_build(base / "e1.csv", base / "out" / "drop" / "1", "packed", chain_id=31337,
                    token=token.address, decimals=18, program="drop", epoch="1")
    m1 = json.loads((e1 / "manifest.json").read_text())

    # Underfunded first: refused before any transaction.
    before = state(node, dist)
    assert "underfunded" in publish(e1, dist.address, node, "--send", code=2)
    assert state(node, dist) == before
    mint(node, token, dist.address, int(m1["total"]))

    # Dry run: plan printed, nothing sent.
    before = state(node, dist)
    out = publish(e1, dist.address, node)
    assert "dry run: nothing sent" in out and "setMerkleRoot" in out and m1["root"] in out
    assert state(node, dist) == before

    out = publish(e1, dist.address, node, "--send")
    assert "0x" + bytes(dist.functions.merkleRoot().call()).hex() == m1["root"]
    assert f"holds root {m1['root']}" in out

    # Same root twice: refused, no transaction.
    before = state(node, dist)
    assert "already set" in publish(e1, dist.address, node, "--send", code=2)
    assert state(node, dist) == before

    # Second epoch: increments for the first 100 accounts plus 50 new ones (cumulative, D5).
    inc = write_claims_csv(base / "e2.csv", 150, seed=2, max_amount=10**6,
                           accounts=[a for a, _ in rows[:100]])
    e2 = tree_build(base / "e2.csv", base / "out" / "drop" / "2", "packed", chain_id=31337,
                    token=token.address, decimals=18, previous=e1, program="drop", epoch="2")
    m2 = json.loads((e2 / "manifest.json").read_text())

    with Serve(base / "out", extra=("--rpc", node.url, "--contract", f"drop={dist.address}")) as srv:
        claimer = node.accounts[1]
        first = [Web3.to_checksum_address(a) for a, _ in rows[:3]]
        for a in first:  # claim epoch 1 with served proofs
            c = srv.get(f"/v1/programs/drop/epochs/1/claims/{a}").json()
            dist.functions.claim(a, int(c["amount"]), c["root"], c["proof"]).transact({"from": claimer})
            assert token.functions.balanceOf(a).call() == int(c["amount"])
        mint(node, token, dist.address, int(m2["total"]) - int(m1["total"]))
        publish(e2, dist.address, node, "--send")
        assert "0x" + bytes(dist.functions.merkleRoot().call()).hex() == m2["root"]

        for a in first:
            old = srv.get(f"/v1/programs/drop/epochs/1/claims/{a}").json()
            new = srv.get(f"/v1/programs/drop/epochs/2/claims/{a}").json()
            live = srv.get(f"/v1/programs/drop/claimable/{a}")
            assert live.headers["cache-control"] == "no-store"
            live = live.json()
            assert (live["cumulative"], live["claimed"], live["claimable"]) == \
                (new["amount"], old["amount"], str(int(new["amount"]) - int(old["amount"])))
            bal = token.functions.balanceOf(a).call()
            dist.functions.claim(a, int(new["amount"]), new["root"], new["proof"]).transact({"from": claimer})
            assert token.functions.balanceOf(a).call() - bal == int(new["amount"]) - int(old["amount"])
            after = srv.get(f"/v1/programs/drop/claimable/{a}").json()
            assert after["claimable"] == "0" and after["claimed"] == new["amount"]
            # Nothing left: the account drops out of its eligible list, a re-claim reverts.
            assert all(e["program"] != "drop" for e in srv.get(f"/v1/accounts/{a}").json()["eligible"])
        newcomer = Web3.to_checksum_address(inc[120][0])
        c = srv.get(f"/v1/programs/drop/epochs/2/claims/{newcomer}").json()
        dist.functions.claim(newcomer, int(c["amount"]), c["root"], c["proof"]).transact({"from": claimer})
        assert token.functions.balanceOf(newcomer).call() == int(c["amount"])
        assert dist.functions.totalClaimed().call() == sum(
            token.functions.balanceOf(a).call() for a in first + [newcomer])


@pytest.mark.parametrize("case", ["chain", "token", "decimals", "scheme", "owner", "noncumulative"])
def test_refused_before_any_transaction(chain, case):
    base, node, arts, token, dist = chain
    w3 = node.w3
    other_token = deploy(w3, arts["TestToken"], "Other", "OTH", 6 if case == "decimals" else 18)
    target_token = other_token if case == "decimals" else token
    owner = {"owner": node.accounts[2], "noncumulative": node.accounts[0]}.get(case, OWNER)
    target = deploy(w3, arts["CumulativeMerkleDistributor"], target_token.address,
                    1 if case == "scheme" else 0, owner)
    mint(node, target_token, target.address, 10**40)
    write_claims_csv(base / f"{case}.csv", 20, seed=3, max_amount=10**6)
    opts = dict(chain_id=1 if case == "chain" else 31337, decimals=18,
                token=other_token.address if case == "token" else target_token.address)
    if case == "decimals":
        opts["token"] = other_token.address
    folder = tree_build(base / f"{case}.csv", base / "refused" / case, "packed", **opts)
    if case == "noncumulative":  # a contract that already pays cumulative amounts
        target.functions.setMerkleRoot(b"\x11" * 32, 0).transact({"from": owner})
    before = state(node, target)
    out = publish(folder, target.address, node, "--send", code=2)
    assert state(node, target) == before
    expected = {"chain": "wrong chain", "token": "wrong token", "decimals": "wrong decimals",
                "scheme": "wrong scheme", "owner": "not the contract owner",
                "noncumulative": "not cumulative"}[case]
    assert expected in out


def test_expiry_stops_claims_and_claws_back(chain):
    _, node, arts, token, _ = chain
    w3 = node.w3
    d = deploy(w3, arts["CumulativeMerkleDistributor"], token.address, 0, node.accounts[0])
    mint(node, token, d.address, 1000)
    now = w3.eth.get_block("latest")["timestamp"]
    account = node.accounts[3]
    leaf = Web3.solidity_keccak(["address", "uint256"], [account, 1000])
    d.functions.setMerkleRoot(leaf, now + 100).transact()  # one-leaf tree: root = leaf
    with pytest.raises(Exception):
        d.functions.clawback().transact()  # not expired yet
    node.rpc("evm_increaseTime", [200])
    node.mine()
    with pytest.raises(Exception):
        d.functions.claim(account, 1000, leaf, []).transact({"from": account})
    before = token.functions.balanceOf(node.accounts[0]).call()
    d.functions.clawback().transact()
    assert token.functions.balanceOf(node.accounts[0]).call() - before == 1000


def test_key_never_shown(chain, tmp_path):
    """Acceptance 3: grep every output, run report and error for the key."""
    base, node, arts, token, dist = chain
    folder = base / "out" / "drop" / "2"  # published by the first test: "already set"
    assert folder.exists(), "the publish test above must have run first"
    # Malformed and invalid keys: refused without echoing them.
    bad = KEY[:-1]
    out = run_cli("publish", folder, "--contract", dist.address, "--rpc", node.url, "--send",
                  env={"EPOCHDROP_PRIVATE_KEY": bad}, check=False)
    assert out.returncode == 2 and bad[2:] not in out.stdout + out.stderr
    zero = "0x" + "0" * 64
    out2 = run_cli("publish", folder, "--contract", dist.address, "--rpc", node.url, "--send",
                   env={"EPOCHDROP_PRIVATE_KEY": zero}, check=False)
    assert out2.returncode == 2 and "not a valid" in out2.stderr
    # Keystore: wrong password refused, right one signs (root already set -> refused, exit 2).
    ks = tmp_path / "key.json"
    ks.write_text(json.dumps(Account.encrypt(KEY, "pw-" + KEY[10:20])))
    out3 = run_cli("publish", folder, "--contract", dist.address, "--rpc", node.url, "--send",
                   "--keystore", ks, env={"EPOCHDROP_KEYSTORE_PASSWORD": "wrong"}, check=False)
    assert out3.returncode == 2 and "wrong password" in out3.stderr
    out4 = run_cli("publish", folder, "--contract", dist.address, "--rpc", node.url, "--send",
                   "--keystore", ks, env={"EPOCHDROP_KEYSTORE_PASSWORD": "pw-" + KEY[10:20]},
                   check=False)
    assert out4.returncode == 2 and "already set" in out4.stderr
    texts = OUTPUTS + [o.stdout + o.stderr for o in (out, out2, out3, out4)]
    reports = [p.read_text() for p in base.rglob(".epochdrop-runs/**/*.json")]
    assert len(reports) >= 5 and any('"publish"' in r for r in reports)
    assert len(OUTPUTS) >= 6, "the publish tests above must have run first"
    secret = KEY[2:]
    for text in texts + reports:
        for form in (secret, secret.upper(), secret[:32], secret[32:]):
            assert form not in text and form.lower() not in text.lower()

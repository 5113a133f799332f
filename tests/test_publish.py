"""Acceptance 2 and 3 of issue 8 on a real anvil: `epochdrop publish` dry run sends nothing,
`--send` sets the root, served proofs claim, a second cumulative root pays only the
difference, the same root twice and a wrong chain/token/decimals/funding are refused before
any transaction, and the key never shows up in output, run reports or errors.

Issue 13 (claim flow): the shipped distributor bytecode is the source's; `epochdrop deploy`
plans, then deploys it (last stdout line = the address); `publish --safe` writes a Safe
Transaction Builder batch and executes it through a real 2-of-3 Safe (npm
@safe-global/safe-contracts); an epoch without a token is refused naming the [token] keys."""

from __future__ import annotations

import importlib.util
import json
import secrets

import pytest
from eth_account import Account
from web3 import Web3

from tests.support.claimsfx import Serve, run_cli, tree_build, write_claims_csv
from tests.support.evm import REPO, Anvil, compile_contracts, deploy
from tests.support.safefx import deploy_safe
from tests.trees_support import tree_of

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


def mined(node, call, sender):
    """Send a contract call and wait for its receipt (a read right after must see it)."""
    receipt = node.w3.eth.wait_for_transaction_receipt(call.transact({"from": sender}))
    assert receipt["status"] == 1
    return receipt


def mint(node, token, to, amount):
    mined(node, token.functions.mint(to, amount), node.accounts[0])


def test_publish_claim_cumulative_and_refusals(chain):
    base, node, arts, token, dist = chain
    rows = write_claims_csv(base / "e1.csv", 300, seed=1, max_amount=10**6)
    e1 = tree_build(base / "e1.csv", base / "out" / "drop" / "1", "packed", chain_id=31337,
                    token=token.address, decimals=18, program="drop", epoch="1")
    m1 = tree_of(e1)

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

    # Only a first epoch (no --previous): the configured contract makes it cumulative.
    with Serve(base / "out", extra=("--rpc", node.url, "--contract", f"drop={dist.address}")) as srv:
        a = Web3.to_checksum_address(rows[5][0])
        live = srv.get(f"/v1/programs/drop/claimable/{a}").json()
        assert (live["cumulative"], live["claimed"], live["claimable"]) == \
            (str(rows[5][1] * 10**18), "0", str(rows[5][1] * 10**18))
        assert live["contract"] == dist.address

    # Same root twice: refused, no transaction.
    before = state(node, dist)
    assert "already set" in publish(e1, dist.address, node, "--send", code=2)
    assert state(node, dist) == before

    # Second epoch: increments for the first 100 accounts plus 50 new ones (cumulative, D5).
    inc = write_claims_csv(base / "e2.csv", 150, seed=2, max_amount=10**6,
                           accounts=[a for a, _ in rows[:100]])
    e2 = tree_build(base / "e2.csv", base / "out" / "drop" / "2", "packed", chain_id=31337,
                    token=token.address, decimals=18, previous=e1, program="drop", epoch="2")
    m2 = tree_of(e2)

    with Serve(base / "out", extra=("--rpc", node.url, "--contract", f"drop={dist.address}")) as srv:
        claimer = node.accounts[1]
        first = [Web3.to_checksum_address(a) for a, _ in rows[:3]]
        for a in first:  # claim epoch 1 with served proofs
            c = srv.get(f"/v1/programs/drop/epochs/1/claims/{a}").json()
            mined(node, dist.functions.claim(a, int(c["amount"]), c["root"], c["proof"]), claimer)
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
            mined(node, dist.functions.claim(a, int(new["amount"]), new["root"], new["proof"]), claimer)
            assert token.functions.balanceOf(a).call() - bal == int(new["amount"]) - int(old["amount"])
            after = srv.get(f"/v1/programs/drop/claimable/{a}").json()
            assert after["claimable"] == "0" and after["claimed"] == new["amount"]
            # Nothing left: the account drops out of its eligible list, a re-claim reverts.
            assert all(e["program"] != "drop" for e in srv.get(f"/v1/accounts/{a}").json()["eligible"])
        newcomer = Web3.to_checksum_address(inc[120][0])
        c = srv.get(f"/v1/programs/drop/epochs/2/claims/{newcomer}").json()
        mined(node, dist.functions.claim(newcomer, int(c["amount"]), c["root"], c["proof"]), claimer)
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
        mined(node, target.functions.setMerkleRoot(b"\x11" * 32, 0), owner)
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
    mined(node, d.functions.setMerkleRoot(leaf, now + 100), node.accounts[0])  # one leaf: root = leaf
    with pytest.raises(Exception):
        d.functions.clawback().transact()  # not expired yet
    node.rpc("evm_increaseTime", [200])
    node.mine()
    with pytest.raises(Exception):
        d.functions.claim(account, 1000, leaf, []).transact({"from": account})
    before = token.functions.balanceOf(node.accounts[0]).call()
    mined(node, d.functions.clawback(), node.accounts[0])
    assert token.functions.balanceOf(node.accounts[0]).call() - before == 1000


def test_key_never_shown(chain, tmp_path):
    """Acceptance 3: every output, run report and error of publish is grepped for the key.
    Self-contained (xdist may run it on another worker than the tests above)."""
    _, node, arts, token, _ = chain
    dist = deploy(node.w3, arts["CumulativeMerkleDistributor"], token.address, 0, OWNER)
    write_claims_csv(tmp_path / "k.csv", 30, seed=5, max_amount=10**6)
    folder = tree_build(tmp_path / "k.csv", tmp_path / "out" / "k" / "1", "packed",
                        chain_id=31337, token=token.address, decimals=18)
    mint(node, token, dist.address, 10**30)
    texts = [publish(folder, dist.address, node),                       # dry run
             publish(folder, dist.address, node, "--send"),             # sent
             publish(folder, dist.address, node, "--send", code=2)]     # already set
    bad = run_cli("publish", folder, "--contract", dist.address, "--rpc", node.url, "--send",
                  env={"EPOCHDROP_PRIVATE_KEY": KEY[:-1]}, check=False)
    assert bad.returncode == 2 and "not a private key" in bad.stderr
    zero = run_cli("publish", folder, "--contract", dist.address, "--rpc", node.url, "--send",
                   env={"EPOCHDROP_PRIVATE_KEY": "0x" + "0" * 64}, check=False)
    assert zero.returncode == 2 and "not a valid" in zero.stderr
    # Keystore: wrong password refused; the right one signs (root already set -> exit 2).
    password = "pw-" + KEY[10:20]
    ks = tmp_path / "key.json"
    ks.write_text(json.dumps(Account.encrypt(KEY, password)))
    wrong = run_cli("publish", folder, "--contract", dist.address, "--rpc", node.url, "--send",
                    "--keystore", ks, env={"EPOCHDROP_KEYSTORE_PASSWORD": "wrong"}, check=False)
    assert wrong.returncode == 2 and "wrong password" in wrong.stderr
    right = run_cli("publish", folder, "--contract", dist.address, "--rpc", node.url, "--send",
                    "--keystore", ks, env={"EPOCHDROP_KEYSTORE_PASSWORD": password}, check=False)
    assert right.returncode == 2 and "already set" in right.stderr
    # A node that goes away mid-way: the failure message must not carry the key either.
    gone = run_cli("publish", folder, "--contract", dist.address, "--rpc", "http://127.0.0.1:9",
                   "--send", env={"EPOCHDROP_PRIVATE_KEY": KEY}, check=False)
    assert gone.returncode == 1 and "did not answer" in gone.stderr
    texts += [p.stdout + p.stderr for p in (bad, zero, wrong, right, gone)]
    reports = [p.read_text() for p in tmp_path.rglob(".epochdrop-runs/**/*.json")]
    published = [r for r in reports if '"command": "publish"' in r]
    # a run refused for bad input (exit 2) leaves no report (issue 20, "no new file"): the
    # dry run, the send and the node that went away (exit 1) are on record
    assert len(published) == 3 and sum('"sender": "' + OWNER + '"' in r for r in published) == 3
    assert sum('"status": "failed"' in r for r in published) == 1
    assert "sent   0x" in texts[1]
    secret = KEY[2:]
    for text in texts + reports + OUTPUTS:
        for form in (secret, secret[:32], secret[32:], password):
            assert form.lower() not in text.lower()


def test_shipped_bytecode_is_the_source():
    """`deploy` needs no compiler because the build is shipped; recompiling must give the
    same files byte for byte (scripts/build-distributor-contract.py)."""
    spec = importlib.util.spec_from_file_location(
        "build_distributor", REPO / "scripts/build-distributor-contract.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    for path, text in mod.build().items():
        assert path.read_text() == text, f"{path} is stale: run scripts/build-distributor-contract.py"


def test_deploy_plans_then_deploys(chain):
    _, node, arts, token, _ = chain
    before = (node.w3.eth.block_number, node.w3.eth.get_transaction_count(OWNER))
    dry = run_cli("deploy", "--token", token.address, "--rpc", node.url,
                  env={"EPOCHDROP_PRIVATE_KEY": KEY})
    assert "dry run: nothing sent" in dry.stdout and "RWD, 18 decimals" in dry.stdout
    assert f"owner={OWNER}" in dry.stdout
    assert (node.w3.eth.block_number, node.w3.eth.get_transaction_count(OWNER)) == before
    sent = run_cli("deploy", "--token", token.address, "--rpc", node.url, "--scheme", "oz",
                   "--send", env={"EPOCHDROP_PRIVATE_KEY": KEY})
    address = sent.stdout.strip().splitlines()[-1]
    assert Web3.is_checksum_address(address)
    dist = node.w3.eth.contract(address=address, abi=arts["CumulativeMerkleDistributor"]["abi"])
    assert (dist.functions.token().call(), dist.functions.leafFormat().call(),
            dist.functions.owner().call()) == (token.address, 1, OWNER)
    # Refusals: one line, exit 2, nothing sent.
    nowhere = "0x" + "12" * 20
    bad = run_cli("deploy", "--token", nowhere, "--rpc", node.url, "--send",
                  env={"EPOCHDROP_PRIVATE_KEY": KEY}, check=False)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "no contract there" in bad.stderr
    nokey = run_cli("deploy", "--token", token.address, "--rpc", node.url, "--send",
                    env={"EPOCHDROP_PRIVATE_KEY": ""}, check=False)
    assert nokey.returncode == 2 and "needs a key" in nokey.stderr
    assert KEY[2:] not in dry.stdout + sent.stdout + bad.stderr + nokey.stderr


def test_publish_without_token_section(chain, tmp_path):
    _, node, _, _, dist = chain
    write_claims_csv(tmp_path / "t.csv", 10, seed=9, max_amount=10**6)
    folder = tree_build(tmp_path / "t.csv", tmp_path / "out" / "t" / "1", "packed")
    proc = run_cli("publish", folder, "--contract", dist.address, "--rpc", node.url, check=False)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1
    for key in ("[token]", "address", "symbol", "decimals", "chain_id"):
        assert key in proc.stderr


def test_publish_through_a_2_of_3_safe(chain, tmp_path):
    """The DAO path: the Safe owns the distributor; publish writes the Transaction Builder
    batch, then executes it with two of three owner keys through execTransaction."""
    _, node, arts, token, _ = chain
    w3 = node.w3
    keys = ["0x" + secrets.token_hex(32) for _ in range(3)]
    owners = [Account.from_key(k).address for k in keys]
    for o in owners:
        node.rpc("anvil_setBalance", [o, hex(10**20)])
    safe = deploy_safe(w3, owners, 2)
    assert safe.functions.getThreshold().call() == 2
    address = run_cli("deploy", "--token", token.address, "--rpc", node.url, "--owner",
                      safe.address, "--send", env={"EPOCHDROP_PRIVATE_KEY": KEY}
                      ).stdout.strip().splitlines()[-1]
    dist = w3.eth.contract(address=address, abi=arts["CumulativeMerkleDistributor"]["abi"])
    assert dist.functions.owner().call() == safe.address
    rows = write_claims_csv(tmp_path / "s.csv", 40, seed=21, max_amount=10**6)
    folder = tree_build(tmp_path / "s.csv", tmp_path / "out" / "s" / "1", "packed",
                        chain_id=31337, token=token.address, decimals=18, program="s", epoch="1")
    man = tree_of(folder)
    mint(node, token, address, int(man["total"]))
    batch = tmp_path / "batch.json"

    def pub(*extra, env=None, code=0):
        proc = run_cli("publish", folder, "--contract", address, "--rpc", node.url, "--safe",
                       safe.address, "--batch", batch, *extra, env=env, check=False)
        assert proc.returncode == code, proc.stdout + proc.stderr
        return proc

    dry = pub()
    assert "through Safe" in dry.stdout and "dry run" in dry.stdout
    data = json.loads(batch.read_text())
    assert data["chainId"] == "31337" and data["meta"]["createdFromSafeAddress"] == safe.address
    (tx,) = data["transactions"]
    assert tx["to"] == address and tx["contractMethod"]["name"] == "setMerkleRoot"
    assert tx["contractInputsValues"] == {"newRoot": man["root"], "newExpiry": "0"}
    assert bytes(dist.functions.merkleRoot().call()) == b"\0" * 32
    again = batch.read_bytes()
    pub()
    assert batch.read_bytes() == again  # same plan, same bytes

    one = pub("--send", env={"EPOCHDROP_SAFE_OWNER_KEYS": keys[2]}, code=2)
    assert "needs 2 owner signatures" in one.stderr
    stranger = pub("--send", env={"EPOCHDROP_SAFE_OWNER_KEYS": f"{keys[0]},{KEY}"}, code=2)
    assert "not an owner" in stranger.stderr
    assert safe.functions.nonce().call() == 0

    sent = pub("--send", env={"EPOCHDROP_SAFE_OWNER_KEYS": f"{keys[2]},{keys[0]}"})
    assert "0x" + bytes(dist.functions.merkleRoot().call()).hex() == man["root"]
    assert safe.functions.nonce().call() == 1 and f"holds root {man['root']}" in sent.stdout
    for k in keys:
        assert k[2:] not in sent.stdout + sent.stderr + one.stderr + stranger.stderr
    # A claim against the Safe-set root pays.
    a = Web3.to_checksum_address(rows[0][0])
    with Serve(folder.parent.parent) as srv:
        c = srv.get(f"/v1/programs/s/epochs/1/claims/{a}").json()
    mined(node, dist.functions.claim(a, int(c["amount"]), c["root"], c["proof"]), node.accounts[1])
    assert token.functions.balanceOf(a).call() == int(c["amount"])


def test_batch_checksum_matches_the_tx_builder_rule():
    """The batch checksum, computed in node with npm keccak256 by the Transaction Builder's
    own rule (safe-react-apps apps/tx-builder/src/lib/checksum.ts: sorted keys listed, then
    values; meta.name null), equals the Python port's."""
    import subprocess

    from distributor.claims import safe as safe_tx

    abi = json.loads((REPO / "contracts_abi/CumulativeMerkleDistributor.json").read_text())
    data = safe_tx.batch(chain_id=10, safe="0x" + "ab" * 20, to="0x" + "cd" * 20,
                         contract_abi=abi, method="setMerkleRoot",
                         args=[bytes(range(32)), 1767225600], created_at_ms=1700000000000,
                         name="epochdrop publish 2024-01", description="root for “2024-01” ✓")
    script = """
const keccak256 = require("keccak256");
const rep = (_, v) => (v === undefined ? null : v);
function ser(j) {
  if (Array.isArray(j)) return `[${j.map(ser).join(",")}]`;
  if (typeof j === "object" && j !== null) {
    const keys = Object.keys(j).sort();
    let acc = `{${JSON.stringify(keys, rep)}`;
    for (const k of keys) acc += `${ser(j[k])},`;
    return `${acc}}`;
  }
  return `${JSON.stringify(j, rep)}`;
}
const b = JSON.parse(require("fs").readFileSync(0, "utf8"));
const {checksum, ...meta} = b.meta;
process.stdout.write("0x" + keccak256(ser({...b, meta: {...meta, name: null}})).toString("hex"));
"""
    got = subprocess.run(["node", "-e", script], input=json.dumps(data), capture_output=True,
                         text=True, check=True, cwd=REPO).stdout
    assert got == data["meta"]["checksum"]
    assert safe_tx.calls(data, "batch")[0][2].hex().startswith("3c4440cf")  # setMerkleRoot

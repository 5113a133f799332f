"""Issue 13's claim journeys (J2, J2b, J3), each through the real parts: the demo's output,
`export-static`, a plain static HTTP server on loopback, headless Chromium (Debian), anvil
with real contracts (our distributor from `epochdrop deploy`, a test ERC-20, a Safe from npm
@safe-global/safe-contracts), and the `epochdrop` CLI as a user runs it.

- J2  static claim page: export-static of the small demo's epochs; folder names are the
      labels; the page finds a claim and shows program, label, symbol, token-unit amount and
      proof; opened from file:// it says in one sentence how to open it instead.
- J2b claim from the page: an injected EIP-1193 provider forwards to anvil (its dev accounts
      are unlocked); the Claim button pays exactly the claimable amount, then 0 is claimable.
- J3  deploy → run (with [token], [distributor]) and tree build (token flags) → publish
      (dry run, --send) → claim with served proofs → cumulative next epoch pays the
      difference → the same root once more through a 2-of-3 Safe from the batch JSON.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import json
import re
import secrets
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from eth_account import Account
from web3 import Web3

from epochdrop.units import format_amount
from tests.support.cdp import Browser
from tests.support.claimsfx import Serve, run_cli, tree_build, write_claims_csv
from tests.support.evm import REPO, Anvil, compile_contracts, deploy
from tests.support.safefx import deploy_safe
from tests.support.workflow import GROUP, small_demo
from tests.test_claim_page import browse, field, proof_items

pytestmark = pytest.mark.xdist_group("journeys_claim")

KEY = "0x" + secrets.token_hex(32)
OWNER = Account.from_key(KEY).address
ENV = {"EPOCHDROP_PRIVATE_KEY": KEY}
REPR = ("{'", "None", "PosixPath(")


@contextlib.contextmanager
def static_http(folder: Path):
    """A plain static file server (the stdlib's) on a free loopback port."""
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *a: None
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def proofs_row(folder: Path, account: str) -> dict:
    t = pq.read_table(folder / "proofs.parquet").to_pylist()
    row = next(r for r in t if r["account"].lower() == account.lower())
    return {"account": row["account"], "amount": row["amount"],
            "proof": ["0x" + bytes(p).hex() for p in row["proof"]]}


def first_reward(folder: Path) -> tuple[str, int]:
    with open(folder / "rewards.csv") as f:
        row = next(csv.DictReader(f))
    return row["account"], int(row["amount"])


def cli_deploy(node, token: str, *extra: str) -> str:
    out = run_cli("deploy", "--token", token, "--rpc", node.url, *extra, "--send", env=ENV).stdout
    address = out.strip().splitlines()[-1]
    assert Web3.is_checksum_address(address), out
    return address


def mined(node, call, sender):
    receipt = node.w3.eth.wait_for_transaction_receipt(call.transact({"from": sender}))
    assert receipt["status"] == 1
    return receipt


@pytest.fixture(scope="module")
def demo():
    """The small demo (`epochdrop demo --small`'s code), shared with J1 and the workflow
    tests in the same process (tests/support/workflow.py)."""
    return small_demo()[0]


@pytest.mark.xdist_group(GROUP)  # run where the shared demo is built
def test_j2_static_claim_page(demo, tmp_path):
    epochs, site = demo / "epochs", tmp_path / "site"
    done = run_cli("export-static", epochs, "--out", site)
    assert "python3 -m http.server" in done.stdout
    labels = {}
    for manifest in sorted(epochs.glob("*/*/manifest.json")):
        m = json.loads(manifest.read_text())
        program, label = m["program"], m["epoch"]["label"]
        labels[(program, label)] = manifest.parent
        info = json.loads((site / program / label / "index.json").read_text())  # label = folder name
        assert (info["program"], info["epoch"]) == (program, label)
        assert (site / program / label / "proofs").is_dir() == (m["tree"] is not None)
    assert ("curve", "2024-01-11") in labels and ("dydx", "1") in labels
    assert json.loads((site / "curve" / "2024-01-11" / "index.json").read_text())["status"] == "no tree"
    for f in site.rglob("*"):  # no Python repr anywhere in the site
        if f.is_file():
            text = f.read_text()
            assert not any(r in text for r in REPR), (f, [r for r in REPR if r in text])

    with static_http(site) as url:
        for program, label in (("dhedge", "2024-01"), ("dydx", "1")):
            folder = labels[(program, label)]
            m = json.loads((folder / "manifest.json").read_text())
            account, paid = first_reward(folder)
            want = proofs_row(folder, account)
            amount = int(want["amount"])  # a cumulative tree (dydx) holds the all-time total
            assert amount == paid if not m["tree"]["cumulative"] else amount >= paid
            dom = browse(f"{url}/index.html?program={program}&epoch={label}&account={account}",
                         "--dump-dom")
            assert field(dom, "error") == ""
            assert (field(dom, "r-program"), field(dom, "r-epoch")) == (program, label)
            symbol, decimals = m["token"]["symbol"], m["token"]["decimals"]
            assert field(dom, "amount") == format_amount(amount, decimals, symbol)
            assert symbol in field(dom, "amount") and field(dom, "token").startswith(symbol)
            assert field(dom, "base") == str(amount)
            assert proof_items(dom) == want["proof"]
            assert not any(r in dom for r in REPR)
        png = tmp_path / "j2-claim-page.png"
        browse(f"{url}/index.html?program=dhedge&account={first_reward(labels[('dhedge', '2024-01')])[0]}",
               f"--screenshot={png}", "--window-size=1000,900")
        assert png.stat().st_size > 10_000

    # file://: one sentence telling how to open it, no half-filled result.
    dom = browse((site / "index.html").as_uri() + "?program=dhedge&account=0x" + "1" * 40,
                 "--dump-dom")
    hint = field(dom, "error")
    assert "file://" in hint and "python3 -m http.server" in hint and hint.count(". ") == 0
    assert field(dom, "r-account") == ""


INJECTED = """
// A minimal EIP-1193 wallet for the test: every request goes to anvil, whose dev accounts
// are unlocked, so eth_sendTransaction is signed by the node itself.
window.ethereum = {
  async request({method, params}) {
    if (method === "eth_requestAccounts" || method === "eth_accounts") return [%(sender)s];
    const r = await fetch(%(rpc)s, {method: "POST", headers: {"content-type": "application/json"},
      body: JSON.stringify({jsonrpc: "2.0", id: 1, method, params: params || []})});
    const body = await r.json();
    if (body.error) throw new Error(body.error.message);
    return body.result;
  },
};
"""


def test_j2b_claim_from_the_page(tmp_path):
    arts = compile_contracts([REPO / "contracts/test/TestToken.sol"])
    with Anvil() as node:
        node.rpc("anvil_setBalance", [OWNER, hex(10**20)])
        token = deploy(node.w3, arts["TestToken"], "Reward", "RWD", 18)
        dist = cli_deploy(node, token.address)
        claimer, sender = node.accounts[3], node.accounts[5]  # anyone may send; tokens go to claimer
        rows = write_claims_csv(tmp_path / "c.csv", 50, seed=7, accounts=[claimer],
                                max_amount=10**24)
        folder = tree_build(tmp_path / "c.csv", tmp_path / "out" / "drop" / "2024-05", "packed",
                            token=token.address, chain_id=31337, token_symbol="RWD",
                            token_decimals=18, program="drop", epoch="2024-05")
        total = int(json.loads((folder / "manifest.json").read_text())["tree"]["total"])
        mined(node, token.functions.mint(dist, total), node.accounts[0])
        run_cli("publish", folder, "--contract", dist, "--rpc", node.url, "--send", env=ENV)
        site = tmp_path / "site"
        run_cli("export-static", tmp_path / "out", "--out", site, "--contract", dist,
                "--rpc", node.url)
        amount = rows[0][1]
        with static_http(site) as url, Browser() as b:
            b.add_script(INJECTED % {"sender": json.dumps(sender), "rpc": json.dumps(node.url)})
            b.goto(f"{url}/index.html?program=drop&account={claimer}")
            b.wait_for("!document.getElementById('claim').disabled")
            assert b.text("r-epoch") == "2024-05"
            assert b.text("claimed") == format_amount(0, 18, "RWD")
            assert b.text("claimable") == format_amount(amount, 18, "RWD")
            assert b.evaluate("document.getElementById('claimable').title") == f"{amount} base units"
            before = token.functions.balanceOf(claimer).call()
            b.evaluate("document.getElementById('claim').click()")
            status = b.wait_for("(s => s.startsWith('claimed in') || s.startsWith('claim failed')"
                                " ? s : '')(document.getElementById('claim-status').textContent)")
            assert status.startswith("claimed in 0x"), status
            assert token.functions.balanceOf(claimer).call() - before == amount
            assert b.text("claimable") == format_amount(0, 18, "RWD")
            assert b.text("claimed") == format_amount(amount, 18, "RWD")
            assert b.evaluate("document.getElementById('claim').disabled") is True


def dhedge_config(path: Path, out: Path, token: str, distributor: str) -> Path:
    """The program's own config with [sources] on the sample tables, [token], [distributor]."""
    text = (REPO / "distributor/programs/dhedge/config.toml").read_text()
    params = text[text.index("[params]"):text.index("[tree]")]
    path.write_text(f'program = "dhedge"\n{params}\n[sources]\n'
                    f'data = "{REPO / "data/samples/dhedge"}"\nchain_id = 31337\n'
                    f'epoch = "2022-03"\noutput = "{out}"\n[tree]\nscheme = "oz"\n'
                    f'[token]\naddress = "{token}"\nsymbol = "RWD"\ndecimals = 18\n'
                    f'[distributor]\naddress = "{distributor}"\n')
    return path


def test_j3_deploy_publish_claim(tmp_path):
    arts = compile_contracts([REPO / "contracts/test/TestToken.sol"])
    dist_abi = json.loads((REPO / "contracts_abi/CumulativeMerkleDistributor.json").read_text())
    with Anvil() as node:
        w3 = node.w3
        node.rpc("anvil_setBalance", [OWNER, hex(10**20)])
        token = deploy(w3, arts["TestToken"], "Reward", "RWD", 18)
        minter = node.accounts[0]

        # deploy: a dry run first (nothing sent), then two distributors (oz for dhedge's
        # trees, packed for the cumulative tree-build epochs).
        n0 = w3.eth.block_number
        dry = run_cli("deploy", "--token", token.address, "--rpc", node.url, "--scheme", "oz",
                      env=ENV).stdout
        assert "dry run" in dry and w3.eth.block_number == n0
        oz = cli_deploy(node, token.address, "--scheme", "oz")
        packed = cli_deploy(node, token.address)
        oz_c = w3.eth.contract(address=oz, abi=dist_abi)
        packed_c = w3.eth.contract(address=packed, abi=dist_abi)

        # run: dhedge on a folder of tables, its config naming the token and the distributor.
        out = tmp_path / "out"
        cfg = dhedge_config(tmp_path / "dhedge.toml", out / "dhedge", token.address, oz)
        run_cli("run", cfg)
        run_folder = out / "dhedge" / "2022-03"
        man = json.loads((run_folder / "manifest.json").read_text())
        assert man["token"] == {"address": token.address, "symbol": "RWD", "decimals": 18,
                                "chain_id": 31337}
        assert man["distributor"]["address"] == oz
        total = int(man["tree"]["total"])
        mined(node, token.functions.mint(oz, total), minter)

        # publish: dry run shows the plan and sends nothing; --send sets the root (the
        # contract comes from the manifest's [distributor]).
        n0 = w3.eth.block_number
        plan = run_cli("publish", run_folder, "--rpc", node.url, env=ENV).stdout
        assert "dry run: nothing sent" in plan and f"setMerkleRoot({man['tree']['root']}" in plan
        assert "check  token decimals 18 = manifest" in plan and w3.eth.block_number == n0
        run_cli("publish", run_folder, "--rpc", node.url, "--send", env=ENV)
        assert "0x" + bytes(oz_c.functions.merkleRoot().call()).hex() == man["tree"]["root"]

        # tree build epochs with token flags, the second cumulative on the first.
        accounts = [a.lower() for a in node.accounts[6:9]]
        e1_rows = write_claims_csv(tmp_path / "e1.csv", 30, seed=31, accounts=accounts,
                                   max_amount=10**22)
        flags = dict(token=token.address, chain_id=31337, token_symbol="RWD", token_decimals=18,
                     program="drop")
        e1 = tree_build(tmp_path / "e1.csv", out / "drop" / "1", "packed", epoch="1", **flags)
        write_claims_csv(tmp_path / "e2.csv", 10, seed=32, accounts=accounts, max_amount=10**22)
        e2 = tree_build(tmp_path / "e2.csv", out / "drop" / "2", "packed", epoch="2",
                        previous=e1, **flags)
        t1 = int(json.loads((e1 / "manifest.json").read_text())["tree"]["total"])
        t2 = int(json.loads((e2 / "manifest.json").read_text())["tree"]["total"])
        mined(node, token.functions.mint(packed, t1), minter)
        run_cli("publish", e1, "--contract", packed, "--rpc", node.url, "--send", env=ENV)

        claimer = node.accounts[1]
        with Serve(out) as srv:
            # the run epoch: the served proof pays exactly the rewards.csv amount
            account, amount = first_reward(run_folder)
            c = srv.get(f"/v1/programs/dhedge/epochs/2022-03/claims/{account}").json()
            assert int(c["amount"]) == amount
            mined(node, oz_c.functions.claim(account, amount, c["root"], c["proof"]), claimer)
            assert token.functions.balanceOf(account).call() == amount

            # the tree-build epochs: epoch 1 pays its amount, epoch 2 only the difference
            a = Web3.to_checksum_address(accounts[0])
            c1 = srv.get(f"/v1/programs/drop/epochs/1/claims/{a}").json()
            assert int(c1["amount"]) == e1_rows[0][1]
            mined(node, packed_c.functions.claim(a, int(c1["amount"]), c1["root"], c1["proof"]),
                  claimer)
            assert token.functions.balanceOf(a).call() == int(c1["amount"])
            mined(node, token.functions.mint(packed, t2 - t1), minter)
            run_cli("publish", e2, "--contract", packed, "--rpc", node.url, "--send", env=ENV)
            c2 = srv.get(f"/v1/programs/drop/epochs/2/claims/{a}").json()
            before = token.functions.balanceOf(a).call()
            mined(node, packed_c.functions.claim(a, int(c2["amount"]), c2["root"], c2["proof"]),
                  claimer)
            assert token.functions.balanceOf(a).call() - before == int(c2["amount"]) - int(c1["amount"])

        # the same root once more, through a 2-of-3 Safe, from the Transaction Builder JSON
        keys = ["0x" + secrets.token_hex(32) for _ in range(3)]
        owners = [Account.from_key(k).address for k in keys]
        for o in owners:
            node.rpc("anvil_setBalance", [o, hex(10**20)])
        safe = deploy_safe(w3, owners, 2)
        by_safe = cli_deploy(node, token.address, "--scheme", "oz", "--owner", safe.address)
        mined(node, token.functions.mint(by_safe, total), minter)
        batch = tmp_path / "batch.json"
        args = ("publish", run_folder, "--contract", by_safe, "--rpc", node.url, "--safe",
                safe.address, "--batch", batch)
        run_cli(*args)
        data = json.loads(batch.read_text())
        assert data["transactions"][0]["contractInputsValues"]["newRoot"] == man["tree"]["root"]
        assert re.fullmatch(r"0x[0-9a-f]{64}", data["meta"]["checksum"])
        run_cli(*args, "--send", env={"EPOCHDROP_SAFE_OWNER_KEYS": ",".join(keys[1:])})
        by_safe_c = w3.eth.contract(address=by_safe, abi=dist_abi)
        assert "0x" + bytes(by_safe_c.functions.merkleRoot().call()).hex() == man["tree"]["root"]
        assert safe.functions.nonce().call() == 1

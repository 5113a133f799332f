"""The demo end to end (reduced size) and the four governance what-ifs on its data.

One reduced demo per worker (tests/support/workflow.py): embedded chain → listener → every
program → trees and reports → verify → what-ifs. These tests read what it wrote.
"""

from __future__ import annotations

import json
import struct
from decimal import Decimal

import pyarrow.parquet as pq
import pytest

from epochdrop.folder import read_manifest
from tests.support.workflow import GROUP, REPO, small_demo

pytestmark = pytest.mark.xdist_group(GROUP)

PROGRAMS = {"dhedge", "curve", "dydx", "jet", "jet_airdrop", "mirror", "holders"}


def test_demo_runs_every_program_and_verifies_every_epoch() -> None:
    root, rows = small_demo()
    assert {r["program"] for r in rows} == PROGRAMS
    for r in rows:
        assert r["verified"], r
        folder = root / "epochs" / r["program"] / r["epoch"]
        assert (folder / "manifest.json").is_file() and (folder / "report.html").is_file()
        m = read_manifest(folder)
        assert m.kind == "epoch" and m.label == r["epoch"]
        # the rewards file sums to what the manifest says was allocated, in integers
        t = pq.read_table(folder / "rewards.parquet")
        assert sum(int(a) for a in t.column("amount").to_pylist()) == int(m.scoring.allocated)
        if r["scheme"] in ("oz", "packed", "solana"):
            assert m.root.startswith("0x") and (folder / "proofs.parquet").is_file()
            assert (folder / "proofs").is_dir()
            if m.tree.native_file:   # packed (dYdX MD1) has no native format of its own
                assert (folder / m.tree.native_file).is_file()
        else:
            assert m.tree is None and m.tree_note
    paid = {r["program"]: r for r in rows}
    # the chain-indexed programs really got data through the listener
    assert paid["dhedge"]["accounts"] >= 5 and paid["curve"]["accounts"] == 3


def test_demo_chain_epochs_record_their_public_sources() -> None:
    """dHEDGE was indexed from the embedded chain: the manifest names the block range and
    contracts a third party needs to re-index it (no path, no time: D7)."""
    root, _ = small_demo()
    m = json.loads((root / "epochs" / "dhedge" / "2024-01" / "manifest.json").read_text())
    idx = m["index"]
    assert m["format"] == "epochdrop-manifest-v2" and m["epoch"]["label"] == "2024-01"
    assert idx["to_block"] > idx["from_block"] > 0
    assert len(idx["contracts"]["pools"]) == 3 and len(idx["contracts"]["lockup"]) == 1
    assert str(root) not in json.dumps(m)
    tables = {e["table"] for e in m["inputs"]}
    assert tables == {"dhedge_pool_values", "dhedge_eligible_pools", "dhedge_vdht"}


def test_dydx_second_epoch_is_cumulative_on_the_first() -> None:
    root, _ = small_demo()
    e0 = read_manifest(root / "epochs/dydx/0")
    e1 = read_manifest(root / "epochs/dydx/1")
    assert e1.tree.previous.root == e0.root and e1.tree.previous.label == "0"
    assert e0.tree.cumulative and e1.tree.cumulative
    prev = {r["account"]: int(r["amount"]) for r in
            pq.read_table(root / "epochs/dydx/0/proofs.parquet").to_pylist()}
    inc = {r["account"]: int(r["amount"]) for r in
           pq.read_table(root / "epochs/dydx/1/rewards.parquet").to_pylist()}
    now = {r["account"]: int(r["amount"]) for r in
           pq.read_table(root / "epochs/dydx/1/proofs.parquet").to_pylist()}
    assert now == {a: prev.get(a, 0) + inc.get(a, 0) for a in set(prev) | set(inc)}


def _png_ok(path) -> bool:
    data = path.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return False
    w, h = struct.unpack(">II", data[16:24])
    return w > 100 and h > 100


def _summary(name: str) -> dict:
    root, _ = small_demo()
    folder = root / "whatif" / name
    s = json.loads((folder / "summary.json").read_text())
    for p in s["plots"]:
        assert _png_ok(folder / p), p
    html = (folder / "whatif.html").read_text()
    assert html.count("<img ") == len(s["plots"]) and "data:image/png;base64," in html
    return s


def test_whatif_dhedge_paid_and_unminted_per_denominator() -> None:
    s = _summary("dhedge-denominator")
    labels = [o["label"] for o in s["options"]]
    assert labels == ["denominator=12", "denominator=9", "denominator=6"]
    assert any("unminted" in t for t in s["sections"])
    paid = [int(o["totals"]["allocated"]) for o in s["options"]]
    budget = {int(o["totals"]["budget"]) for o in s["options"]}
    # a smaller denominator raises every cap (vDHT / d): paid can only grow, never past budget
    assert paid[0] <= paid[1] <= paid[2] <= budget.pop()
    assert paid[0] < paid[2], "the demo's vDHT locks are meant to make the caps bite"


def test_whatif_mirror_yield_against_premium_per_cap() -> None:
    s = _summary("mirror-cap")
    assert [o["overrides"]["cap"] for o in s["options"]] == ["0.4", "0.8", "1.0"]
    assert any("yield vs premium" in t for t in s["sections"])
    assert "plots/mirror_yield_mirror_yield.png" in s["plots"]
    root, _ = small_demo()
    html = (root / "whatif" / "mirror-cap" / "whatif.html").read_text()
    assert "-20%" in html and "20%" in html    # the swept premium range is tabulated


def test_whatif_curve_per_pool_payouts_under_both_utilizations() -> None:
    s = _summary("curve-utilization")
    assert [o["label"] for o in s["options"]] == ["utilization=mean_daily",
                                                  "utilization=weekly_ratio"]
    assert "plots/accounts_per_pool.png" in s["plots"]
    root, _ = small_demo()
    t = pq.read_table(root / "whatif" / "curve-utilization" / "comparison.parquet").to_pylist()
    assert len(t) == 3  # the three pools
    a = [int(r["amount[utilization=mean_daily]"]) for r in t]
    b = [int(r["amount[utilization=weekly_ratio]"]) for r in t]
    assert a != b, "two definitions of U, same payouts: the option did not reach the SQL"


def test_whatif_dydx_shares_under_each_formula() -> None:
    s = _summary("dydx-formula")
    assert [o["overrides"]["formula"] for o in s["options"]] == ["launch", "stk", "dip11",
                                                                 "dip15", "dip19"]
    for o in s["options"]:
        assert o["params"]["formula"] == o["overrides"]["formula"]
    root, _ = small_demo()
    t = pq.read_table(root / "whatif" / "dydx-formula" / "comparison.parquet").to_pylist()
    shares = [[Decimal(str(r[f"share[formula={f}]"])) for r in t]
              for f in ("launch", "stk", "dip11", "dip15", "dip19")]
    assert len({tuple(x) for x in shares}) > 1, "every formula gave the same shares"


def test_demo_contracts_match_a_fresh_compile() -> None:
    """The demo ships compiled emitters (no Node for `make demo`); they must be exactly
    what contracts/test/*.sol compile to."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bdc", REPO / "scripts/build-demo-contracts.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    shipped = json.loads((REPO / "pipeline/demo/contracts.json").read_text())
    assert shipped == json.loads(json.dumps(mod.build())), \
        "run scripts/build-demo-contracts.py to refresh pipeline/demo/contracts.json"

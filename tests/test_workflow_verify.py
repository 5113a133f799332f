"""`epochdrop verify` on demo epochs: exit 0 untouched; non-zero naming what changed after one
input row, one parameter, or one output byte changes (acceptance 2; one test per case).

Every tamper happens on a copy (of the epoch folder or of its inputs) so the shared demo
stays untouched for the other tests.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.support.workflow import GROUP, cli, epoch_row

pytestmark = pytest.mark.xdist_group(GROUP)


def copy_epoch(row: dict, tmp: Path) -> Path:
    dst = tmp / "epochs" / row["program"] / row["epoch"]
    shutil.copytree(row["out"], dst)
    return dst


def test_verify_untouched_demo_epochs_exit_0() -> None:
    for program, epoch in (("dhedge", "2024-01"), ("jet_airdrop", "0"), ("dydx", "1")):
        row = epoch_row(program, epoch)
        r = cli("verify", row["out"], "--data", row["data"])
        assert r.returncode == 0, r.stdout + r.stderr
        assert "root: identical" in r.stdout and "OK: identical" in r.stdout


def test_verify_names_a_changed_input_row(tmp_path: Path) -> None:
    """One vote's weight changes in the airdrop's governance_votes: the table, the file and
    the accounts whose payouts moved are named, with their score components."""
    row = epoch_row("jet_airdrop")
    data = tmp_path / "data"
    shutil.copytree(row["data"], data)
    votes = pq.read_table(data / "governance_votes.parquet")
    rows = votes.to_pylist()
    onboarding = {p["proposal"] for p in pq.read_table(data / "governance_proposals.parquet")
                  .to_pylist() if p["category"] == "Asset Onboarding"}
    paid = set(pq.read_table(Path(row["out"]) / "rewards.parquet").column("account").to_pylist())
    # a vote that counts (D16): on an onboarding proposal, before the cutoff, above 1000 JET
    heavy = next(i for i, v in enumerate(rows) if v["voter"] in paid and v["proposal"] in
                 onboarding and v["time"].year < 2023 and v["weight"] > 1000)
    rows[heavy]["weight"] = rows[heavy]["weight"] * 8
    pq.write_table(pa.Table.from_pylist(rows, schema=votes.schema), data / "governance_votes.parquet")
    r = cli("verify", row["out"], "--data", data)
    assert r.returncode == 1, r.stdout + r.stderr
    out = r.stdout
    assert "root: DIFFERS" in out and "MISMATCH" in out
    assert "table governance_votes: rows differ" in out
    assert "file governance_votes.parquet: sha256" in out
    assert "governance_proposals" not in out          # only the changed table is named
    voter = rows[heavy]["voter"]
    assert f"  {voter}: amount" in out, out       # the account whose vote changed …
    assert "score" in out.split(f"  {voter}: amount", 1)[1].splitlines()[0]  # … and why


def test_verify_names_a_changed_parameter(tmp_path: Path) -> None:
    """The reviewer's agreed config says denominator 9; the published epoch used 12."""
    row = epoch_row("dhedge")
    agreed = tmp_path / "agreed.toml"
    src = Path(row["out"]).parents[2] / "configs" / "dhedge.toml"
    text = src.read_text()
    assert "denominator = 12" in text
    agreed.write_text(text.replace("denominator = 12", "denominator = 9"))
    r = cli("verify", row["out"], "--data", row["data"], "--config", agreed)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "parameter: denominator: 12 → 9" in r.stdout, r.stdout
    assert "accounts:" in r.stdout and "MISMATCH" in r.stdout


def test_verify_names_a_parameter_edited_in_the_manifest(tmp_path: Path) -> None:
    row = epoch_row("dhedge")
    folder = copy_epoch(row, tmp_path)
    m = json.loads((folder / "manifest.json").read_text())
    m["params"]["free_allowance"] = "250"
    (folder / "manifest.json").write_text(json.dumps(m, indent=2, sort_keys=True) + "\n")
    r = cli("verify", folder, "--data", row["data"])
    assert r.returncode == 1, r.stdout + r.stderr
    assert "parameter: free_allowance: 100 → 250" in r.stdout, r.stdout


def test_verify_names_a_changed_output_byte(tmp_path: Path) -> None:
    row = epoch_row("jet_airdrop")
    folder = copy_epoch(row, tmp_path)
    csv = folder / "rewards.csv"
    data = bytearray(csv.read_bytes())
    i = data.index(b",", data.index(b"\n") + 1) + 1   # first digit of the first amount
    data[i] = ord("9") if data[i] != ord("9") else ord("8")
    csv.write_bytes(bytes(data))
    r = cli("verify", folder, "--data", row["data"])
    assert r.returncode == 1, r.stdout + r.stderr
    assert "tampered output: rewards.csv: sha256" in r.stdout, r.stdout
    assert "root: identical" in r.stdout  # the rebuild agrees; the published file does not


def test_verify_without_a_manifest_is_a_user_error(tmp_path: Path) -> None:
    r = cli("verify", tmp_path)
    assert r.returncode == 2 and "no manifest here" in r.stderr


def test_verify_reindexes_from_the_rpc() -> None:
    """A third party without the operator's store: re-index the manifest's block range and
    contracts from the chain (here the embedded chain the demo left in this process) and
    rebuild; only the off-chain eligible-pool list comes from --data."""
    from pipeline.demo.main import SMALL
    from pipeline.demo.world import simulate
    from pipeline.verify import verify

    row = epoch_row("dhedge")
    # The process has one embedded chain, and another test on this worker (any in-process
    # `index --rpc embedded`) may have replaced the demo's. The demo's world is deterministic
    # (fixed genesis time, seeded activity: D9), so building it again gives the same chain.
    simulate(7, SMALL.investors, SMALL.days)
    diff, m, stages = verify(row["out"], rpc="embedded", data=row["data"], show=False)
    assert diff.ok, diff.lines()
    assert stages.seconds["index"] > 0 and m.index["datasets"][0] == "dhedge_deposits"

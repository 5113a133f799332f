"""program.toml declarations: what index planning, loading and `verify --rpc` read (issue 14).

The plans below are what the deleted `PLAN` table said by hand (minus `dhedge_withdrawals`,
which no program reads); the store views are exercised end to end by the demo (its dHEDGE and
Curve epochs read the listener's datasets through them) and by test_programs_holders.
"""

from __future__ import annotations

import shutil

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from distributor.inputs import load_inputs
from distributor.programs import HERE, PATH_ENV, load_program, program_names
from epochdrop.errors import InternalError, UserError
from pipeline.index_step import index_plan, offchain_tables


def test_every_program_declares_its_tables() -> None:
    assert program_names() == ["curve", "dhedge", "dydx", "holders", "jet", "jet_airdrop",
                               "mirror"]
    for name in program_names():
        spec = load_program(name)
        assert spec.tables, name
        assert all(t.source.kind in ("store", "orderbook", "import") for t in spec.tables)


def test_index_plan_comes_from_the_declarations() -> None:
    assert index_plan("dhedge") == [
        ("dhedge_deposits", "pools"), ("pool_token_transfers", "pools"), ("vdht_locks", "lockup"),
        ("pool_snapshots", "pools"), ("vdht_snapshots", "lockup")]
    assert index_plan("curve") == [("curve_swaps", "pools"), ("curve_liquidity", "pools")]
    assert index_plan("holders") == [("erc20_transfers", "token")]
    assert index_plan("mirror") == [] and index_plan("jet") == []
    assert offchain_tables("dhedge") == ["dhedge_eligible_pools"]
    assert "clob_markets" in offchain_tables("jet")


def test_a_view_shapes_a_listener_dataset(tmp_path) -> None:
    """vdht_snapshots (base units, a WITH view) → dhedge_vdht in DHT, exactly."""
    folder = tmp_path / "store" / "vdht_snapshots" / "chain=1"
    folder.mkdir(parents=True)
    pq.write_table(pa.table({"day": pa.array(["2024-01-01", "2024-01-01"]).cast(pa.date32()),
                             "investor": ["0xA", "0xB"], "contract": ["0xL", "0xL"],
                             "vdht": ["1500000000000000000", "7"]}), folder / "a.parquet")
    spec = next(t for t in load_program("dhedge").tables if t.name == "dhedge_vdht")
    con = duckdb.connect()
    load_inputs(con, (spec,), tmp_path / "store")
    got = con.execute("SELECT investor, CAST(vdht AS VARCHAR) FROM dhedge_vdht "
                      "ORDER BY investor").fetchall()
    assert got == [("0xA", "1.500000000000000000"), ("0xB", "0.000000000000000007")]


def test_broken_declarations_are_the_authors_bug(tmp_path, monkeypatch) -> None:
    root = tmp_path / "programs"
    shutil.copytree(HERE / "holders", root / "bad_role", ignore=shutil.ignore_patterns("__py*"))
    decl = root / "bad_role" / "program.toml"
    decl.write_text(decl.read_text().replace('name = "holders"', 'name = "bad_role"')
                    .replace('role = "token"', ""))
    shutil.copytree(HERE / "holders", root / "holders", ignore=shutil.ignore_patterns("__py*"))
    monkeypatch.setenv(PATH_ENV, str(root))
    with pytest.raises(UserError, match="defined twice"):
        program_names()
    shutil.rmtree(root / "holders")
    monkeypatch.setenv(PATH_ENV, str(root) + "/")    # a fresh listing
    with pytest.raises(InternalError, match="role"):
        load_program("bad_role")

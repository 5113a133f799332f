"""The program framework: discovery, configs, input loading, the `score` command, and
determinism (issue 6, acceptance 3–4) over the shipped samples of curve, dhedge and mirror."""

from __future__ import annotations

import csv
import dataclasses
import random
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from distributor.inputs import load_inputs
from distributor.programs import default_config_path, load_program, program_names
from distributor.programs.params import read_config, validate_params
from distributor.programs.spec import TableSpec
from distributor.runner import score_epoch
from epochdrop.errors import ConfigError, InputError, UserError
from tests.support.program_data import rewards

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
MINE = {"curve": "2023-01-05", "dhedge": "2022-03", "mirror": "2022-01-03"}
OUTPUTS = ("rewards.parquet", "rewards.csv", "scores.parquet", "manifest.json")


# ---- discovery and configs ---------------------------------------------------------------

def test_every_program_folder_is_discovered_and_complete():
    names = program_names()
    assert set(MINE) <= set(names)
    for name in names:
        folder = ROOT / "distributor" / "programs" / name
        spec = load_program(name)
        assert spec.name == name
        assert (folder / "README.md").is_file(), name
        assert read_config(default_config_path(name), name) is not None
        assert spec.tables, name


@pytest.mark.parametrize("name", sorted(MINE))
def test_default_config_is_the_models_defaults(name):
    spec = load_program(name)
    raw = read_config(default_config_path(name), name)
    assert validate_params(spec.params, raw, "config.toml") == spec.params()
    assert list(SAMPLES.joinpath(name).glob("*.sql")) == []
    assert list((ROOT / "distributor" / "programs" / name).glob("*.sql"))


def test_unknown_program():
    with pytest.raises(UserError, match="unknown program 'nope'; choose one of: .*curve"):
        load_program("nope")


@pytest.mark.parametrize("text, match", [
    ('program = "dhedge"\n[params]\n', "config is for program 'dhedge', not 'curve'"),
    ('[params]\nbudget = 1\n', 'missing `program = "curve"`'),
    ('program = "curve"\n[extras]\nx = 1\n', "unknown top-level key 'extras'"),
    ('program = "curve"\n[params\n', "not valid TOML"),
    ('program = "curve"\n[params]\nutilization = "median"\n', "params.utilization"),
    ('program = "curve"\n[params]\ndaily_budget = true\n', "params.daily_budget"),
])
def test_config_errors_name_the_problem(tmp_path, text, match):
    cfg = tmp_path / "c.toml"
    cfg.write_text(text)
    with pytest.raises(ConfigError, match=match):
        score_epoch("curve", SAMPLES / "curve", MINE["curve"], tmp_path / "out", config=cfg)
    assert not (tmp_path / "out").exists()


def test_amounts_in_token_units_convert_exactly(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('program = "curve"\n[params]\ndaily_budget = 0.1\npay_days = 1\n')  # TOML float
    m = score_epoch("curve", SAMPLES / "curve", MINE["curve"], tmp_path / "out", config=cfg)
    assert m.scoring.budget == str(10**17)


# ---- inputs ------------------------------------------------------------------------------

SPEC = (TableSpec("t", {"time": "time", "who": "str", "amount": "int", "price": "dec",
                        "day": "date", "n": "n"}, optional={"memo": "str"}),)
HEADER = ["time", "who", "amount", "price", "day", "n", "ignored"]
GOOD = ["2024-01-02T03:04:05Z", "0xA", "170141183460469231731687303715884105727",
        "0.000000000000000001", "2024-01-02", "7", "x"]


def _csv(folder: Path, rows, header=HEADER):
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "t.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def test_exact_types_from_csv(tmp_path):
    # Python's str(Decimal) writes exponents (0E-12, 1E-7): exact, so accepted
    _csv(tmp_path, [GOOD, GOOD[:3] + ["0E-12"] + GOOD[4:], GOOD[:3] + ["1.5E+2"] + GOOD[4:]])
    con = duckdb.connect()
    load_inputs(con, SPEC, tmp_path)
    assert [r[0] for r in con.execute("SELECT price FROM t ORDER BY price").fetchall()] == [
        Decimal("0"), Decimal("0.000000000000000001"), Decimal("150")]
    _csv(tmp_path, [GOOD])
    con = duckdb.connect()
    entries = load_inputs(con, SPEC, tmp_path)
    row = con.execute("SELECT amount, price, time, memo FROM t").fetchone()
    assert row[0] == 2**127 - 1 and row[1] == Decimal("0.000000000000000001")
    assert row[2].isoformat() == "2024-01-02T03:04:05" and row[3] is None
    assert entries[0]["rows"] == 1 and entries[0]["files"][0]["name"] == "t.csv"
    assert con.execute("DESCRIBE t").fetchall()[2][1] == "HUGEINT"


@pytest.mark.parametrize("col, value, match", [
    ("amount", "1.5", "'1.5' is not an integer"),
    ("amount", "1e18", "'1e18' is not an integer"),
    ("amount", str(2**127), "does not fit HUGEINT"),
    ("price", "0.0000000000000000001", "at most 18 fractional digits"),
    ("price", "1e-19", "at most 18 fractional digits"),
    ("price", "1.5.2", "exact decimal"),
    ("time", "yesterday", "'yesterday' is not a UTC timestamp"),
    ("day", "2024-02-30", "not a date"),
    ("who", "", "empty is not a non-empty value"),
    ("n", "", "empty is not an integer"),
])
def test_bad_value_names_file_row_and_field(tmp_path, col, value, match):
    bad = list(GOOD)
    bad[HEADER.index(col)] = value
    _csv(tmp_path, [GOOD, GOOD, bad])
    with pytest.raises(InputError, match=match) as e:
        load_inputs(duckdb.connect(), SPEC, tmp_path)
    assert str(e.value).startswith(f"t.csv, row 3, field '{col}': ")


def test_missing_table_and_missing_column(tmp_path):
    with pytest.raises(UserError, match="no input for table 't'"):
        load_inputs(duckdb.connect(), SPEC, tmp_path)
    _csv(tmp_path, [GOOD[:5]], HEADER[:5])
    with pytest.raises(InputError, match="t.csv, field 'n': missing required column"):
        load_inputs(duckdb.connect(), SPEC, tmp_path)


def test_a_folder_without_any_of_the_tables_is_refused_even_when_each_is_optional(tmp_path):
    """dYdX's tables are all optional (orders or published aggregates): pointing --data at a
    folder holding none of them used to load them empty and pay nobody, exit 0."""
    optional = tuple(dataclasses.replace(s, required=False) for s in SPEC)
    (tmp_path / "other.csv").write_text("x\n1\n")
    with pytest.raises(UserError, match="holds none of the program's input tables \\(t\\)"):
        load_inputs(duckdb.connect(), optional, tmp_path)
    _csv(tmp_path, [GOOD])
    assert load_inputs(duckdb.connect(), optional, tmp_path)[0]["rows"] == 1


def test_float_parquet_column_is_refused(tmp_path):
    pq.write_table(pa.table({"time": ["2024-01-02T00:00:00Z"], "who": ["a"], "amount": [1.0],
                             "price": ["1"], "day": ["2024-01-02"], "n": [1]}),
                   tmp_path / "t.parquet")
    with pytest.raises(InputError, match="DOUBLE column: exact integers required"):
        load_inputs(duckdb.connect(), SPEC, tmp_path)


def _read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _listener_shape(name: str, src: Path) -> dict[str, list[dict[str, str]]]:
    """The samples as the listeners would write them (D8): other names, other units."""
    tables = {f.stem: _read_csv(f) for f in sorted(src.glob("*.csv"))}
    if name == "curve":
        decimals = {(r["pool"], r["i"]): r["decimals"] for r in tables.pop("curve_coins")}
        tables["curve_swaps"] = [{"block_time": r["time"], "contract": r["pool"],
                                  "sold_id": r["sold_id"], "tokens_sold": r["tokens_sold"],
                                  "tx_hash": f"0x{k:064x}", "log_index": "0"}
                                 for k, r in enumerate(tables["curve_swaps"])]
        tables["curve_liquidity"] = [{**r, "decimals": decimals[(r["pool"], r["i"])]}
                                     for r in tables["curve_liquidity"]]
    if name == "dhedge":
        # balanceOf × tokenPrice: $2 per pool token; value_usd in the listener's own scale
        tables["pool_snapshots"] = [
            {"day": r["day"], "pool": r["pool"], "investor": r["investor"],
             "balance": str(int(Decimal(r["value_usd"]).scaleb(18)) // 2),
             "token_price": str(2 * 10**18),
             "value_usd": str(int(Decimal(r["value_usd"]).scaleb(18)))}
            for r in tables.pop("dhedge_pool_values")]
        tables["vdht_snapshots"] = [{"day": r["day"], "investor": r["investor"],
                                     "vdht": str(int(Decimal(r["vdht"]).scaleb(18)))}
                                    for r in tables.pop("dhedge_vdht")]
    return tables


def _to_store(name: str, src: Path, store: Path) -> None:
    """Hive-partitioned store, every column a string (uint256 as text, D9), two files each."""
    for dataset, rows in _listener_shape(name, src).items():
        cols = {k: pa.array([r[k] for r in rows], pa.string()) for k in rows[0]}
        cols["block_number"] = pa.array(range(len(rows)), pa.int64())  # extra column
        half = len(rows) // 2
        dest = store / dataset / "chain=1"
        dest.mkdir(parents=True)
        t = pa.table(cols)
        pq.write_table(t.slice(0, half), dest / "a.parquet")
        pq.write_table(t.slice(half), dest / "b.parquet")
        (dest / "_checkpoint.parquet").write_bytes(b"not data")   # state files are skipped


@pytest.mark.parametrize("name", sorted(MINE))
def test_store_and_folder_give_the_same_rewards(tmp_path, name):
    _to_store(name, SAMPLES / name, tmp_path / "store")
    a = score_epoch(name, SAMPLES / name, MINE[name], tmp_path / "a")
    b = score_epoch(name, tmp_path / "store", MINE[name], tmp_path / "b")
    assert rewards(tmp_path / "a") == rewards(tmp_path / "b") != {}
    # same rows → same content hash (the store's curve_swaps also carries tx_hash/log_index)
    ha = {e.table: e.content_sha256 for e in a.inputs if e.table != "curve_swaps"}
    hb = {e.table: e.content_sha256 for e in b.inputs if e.table != "curve_swaps"}
    assert ha == hb


# ---- determinism (acceptance 4) ----------------------------------------------------------

def _shuffled_copy(src: Path, dest: Path, seed: int) -> None:
    dest.mkdir(parents=True)
    for f in src.glob("*.csv"):
        lines = f.read_text().splitlines(keepends=True)
        body = lines[1:]
        random.Random(seed).shuffle(body)
        (dest / f.name).write_text(lines[0] + "".join(body))


@pytest.mark.parametrize("name", sorted(MINE))
def test_shuffled_rows_threads_and_reruns_are_byte_identical(tmp_path, name):
    _shuffled_copy(SAMPLES / name, tmp_path / "shuffled", seed=7)
    runs = [(SAMPLES / name, 1), (tmp_path / "shuffled", 4), (SAMPLES / name, 2)]
    for i, (data, threads) in enumerate(runs):
        score_epoch(name, data, MINE[name], tmp_path / f"out{i}", threads=threads)
    score_epoch(name, SAMPLES / name, MINE[name], tmp_path / "out0")   # rerun in place
    for f in OUTPUTS:
        blobs = {(tmp_path / f"out{i}" / f).read_bytes() for i in range(len(runs))}
        assert len(blobs) == 1, f"{name}: {f} differs"
    rw = pq.read_table(tmp_path / "out0" / "rewards.parquet")
    assert rw.schema.field("amount").type == pa.string()
    assert rw.schema.metadata[b"format"] == b"epochdrop-rewards-v1"
    assert rw.column("account").to_pylist() == sorted(rw.column("account").to_pylist())


# ---- the command -------------------------------------------------------------------------

def _cli(*args):
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], capture_output=True,
                          text=True, cwd=ROOT)


def test_score_command_writes_outputs_and_says_what_it_did(tmp_path):
    out = tmp_path / "curve"
    r = _cli("score", "curve", "--data", str(SAMPLES / "curve"), "--epoch", MINE["curve"],
             "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "curve epoch 2023-01-05" in r.stdout and "accounts paid" in r.stdout
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUTS)
    head = (out / "rewards.csv").read_text().splitlines()[0]
    assert head == "account,amount,share"


def test_score_dydx_on_a_folder_without_its_tables_is_one_line_exit_2(tmp_path):
    """The demo's user path: `--data` pointed at the demo store (holders, Curve, dHEDGE
    datasets) for a dYdX epoch, whose inputs are files elsewhere. Nothing is written."""
    data = tmp_path / "store"
    _shuffled_copy(SAMPLES / "curve", data, seed=1)
    r = _cli("score", "dydx", "--data", str(data), "--epoch", "0", "--out", str(tmp_path / "o"))
    assert r.returncode == 2, r.stdout
    assert r.stderr.startswith(f"error: --data {data}: holds none of the program's input "
                               "tables (dydx_orders, ") and len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_score_command_bad_input_is_one_line_exit_2_nothing_written(tmp_path):
    data = tmp_path / "data"
    _shuffled_copy(SAMPLES / "curve", data, seed=1)
    (data / "curve_coins.csv").write_text("pool,i,decimals\n0xA,zero,18\n")
    r = _cli("score", "curve", "--data", str(data), "--epoch", MINE["curve"],
             "--out", str(tmp_path / "out"))
    assert r.returncode == 2
    assert r.stderr.strip() == ("error: curve_coins.csv, row 1, field 'i': 'zero' is not an "
                                "integer")
    assert not (tmp_path / "out").exists()


def test_score_dry_prints_the_plan_and_writes_nothing(tmp_path):
    r = _cli("score", "dhedge", "--data", str(SAMPLES / "dhedge"), "--epoch", "2022-03",
             "--out", str(tmp_path / "out"), "--dry")
    assert r.returncode == 0, r.stderr
    assert "epoch 2022-03: [2022-03-01T00:00:00Z → 2022-04-01T00:00:00Z)" in r.stdout
    assert '"denominator": 12' in r.stdout and "input dhedge_vdht: day, investor, vdht" in r.stdout
    assert not (tmp_path / "out").exists() and not (tmp_path / ".epochdrop-runs").exists()


def test_tree_build_takes_the_rewards_file(tmp_path):
    score_epoch("dhedge", SAMPLES / "dhedge", "2022-03", tmp_path / "epoch")
    r = _cli("tree", "build", str(tmp_path / "epoch" / "rewards.parquet"), "--scheme", "oz",
             "--out", str(tmp_path / "tree"))
    assert r.returncode == 0, r.stderr
    total = sum(rewards(tmp_path / "epoch").values())
    assert f"6 claims, total {total}" in r.stdout


def test_sql_files_split_and_bind(tmp_path):
    from distributor.programs.sql import run_sql_file, statements
    from epochdrop.errors import InternalError

    sql = tmp_path / "x.sql"
    sql.write_text("-- two statements\nCREATE TABLE a AS SELECT $n AS v;  -- bound\n"
                   "CREATE TABLE b AS SELECT v + $m AS w FROM a;\n")
    assert len(statements(sql.read_text())) == 2
    con = duckdb.connect()
    run_sql_file(con, sql, {"n": 2, "m": 3, "unused": 9})
    assert con.execute("SELECT w FROM b").fetchall() == [(5,)]
    with pytest.raises(InternalError, match=r"no value for \$m"):
        run_sql_file(duckdb.connect(), sql, {"n": 2})

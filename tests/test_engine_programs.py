"""Every program pays the same on Spark as on DuckDB (issue 18, acceptance 1, demo store).

Each demo epoch (the small demo: embedded chain, every program) is scored twice: by DuckDB
(`compute`, the default engine) and by a real Spark `local[2]` (the session fixture
`spark_engine`, tests/conftest.py). Both write an epoch folder with the same writer;
rewards.parquet and scores.parquet must be byte-identical and the Merkle root the same.
Then the connection surface itself: Python values as DuckDB returns them, Arrow schemas,
materialised temp tables, DuckDB's error classes, and the one-line install hints.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tomllib
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from distributor.engines import EngineConfig, kind_of, open_engine
from distributor.engines.spark.connection import SparkConnection
from distributor.engines.spark.session import JAVA_HINT, PYSPARK_HINT, require
from distributor.engines.spark.translate import translate_file
from distributor.runner import compute, compute_on, prepare, write_epoch
from distributor.trees.build import BuildOptions, build_tree
from epochdrop.errors import UserError
from tests.support.workflow import small_demo

pytestmark = pytest.mark.xdist_group("spark")
REPO = Path(__file__).resolve().parents[1]

EPOCHS = [("dhedge", "2024-01"), ("curve", "2024-01-11"), ("holders", "2024-01"),
          ("dydx", "0"), ("dydx", "1"), ("jet", "0"), ("jet_airdrop", "0"),
          ("mirror", "2021-12-31")]


@pytest.fixture(scope="module")
def demo() -> Path:
    root, rows = small_demo()
    assert {(r["program"], r["epoch"]) for r in rows} == set(EPOCHS)
    return root


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def root_of(folder: Path, scheme: str) -> str:
    built, _ = build_tree(folder / "rewards.parquet", BuildOptions(scheme=scheme))
    return built.root.hex()


@pytest.mark.parametrize("program,label", EPOCHS, ids=[f"{p}-{e}" for p, e in EPOCHS])
def test_program_pays_byte_identical_rewards_on_spark(program, label, demo, spark_engine,
                                                     tmp_path) -> None:
    config = demo / "configs" / f"{program}.toml"
    cfg = tomllib.loads(config.read_text())
    sources = cfg["sources"]
    data = (config.parent / sources["data"]).resolve()
    chain = sources.get("chain_id")
    prep = prepare(program, label, config)
    out = {}
    computed = compute(prep, data, None, chain, False)      # DuckDB: the default engine
    out["duckdb"] = tmp_path / "duckdb"
    write_epoch(prep, computed, out["duckdb"], config)
    con = SparkConnection(spark_engine)
    try:
        computed = compute_on(con, prep, data, chain)   # inputs loaded on Spark too
    finally:
        con.close()
    out["spark"] = tmp_path / "spark"
    write_epoch(prep, computed, out["spark"], config)
    for name in ("rewards.parquet", "scores.parquet", "manifest.json"):
        assert sha(out["duckdb"] / name) == sha(out["spark"] / name), f"{name} differs"
    scheme = cfg["tree"]["scheme"]   # the tree the demo builds; "none": rewards only (D20)
    if scheme != "none":
        assert root_of(out["duckdb"], scheme) == root_of(out["spark"], scheme)
    assert con.statements, "the Spark SQL that ran is kept, in order (what --dry prints)"
    if program == "holders":   # the translation `--dry` prints is exactly what ran
        dry = translate_file(REPO / "distributor/programs/holders/score.sql")
        # after the input loading's statements, the score SQL ran exactly as translated
        assert len(dry) == 3 and dry[0] in con.statements
        at = con.statements.index(dry[0])
        assert con.statements[at:at + len(dry)] == dry


# -- the connection surface -----------------------------------------------------------

VALUES = """
SELECT CAST('170141183460469231731687303715884105' AS HUGEINT) AS huge,
       CAST('12.500000000000000001' AS DECIMAL(38, 18)) AS dec18,
       CAST(7 AS BIGINT) * 3 AS big,
       sum(x) AS summed,
       CAST('2024-01-31 23:59:59.123456' AS TIMESTAMP) AS ts,
       CAST('2024-02-29' AS DATE) AS day,
       NULL AS nothing, 1 < 2 AS yes, 'text' AS word
FROM (SELECT 1 AS x UNION ALL SELECT 2 AS x)
"""


def on_both(spark_engine, query: str) -> tuple[list, list]:
    """`query`'s rows as DuckDB returns them and as the Spark connection returns them."""
    want = duckdb.connect().execute(query).fetchall()
    con = SparkConnection(spark_engine)
    try:
        return want, con.execute(query).fetchall()
    finally:
        con.close()


def test_values_come_back_as_duckdb_returns_them(spark_engine) -> None:
    want, got = on_both(spark_engine, VALUES)
    assert got == want
    assert [type(v) for v in got[0]] == [type(v) for v in want[0]]
    assert got[0][0] == 170141183460469231731687303715884105
    assert isinstance(got[0][1], Decimal) and got[0][1].as_tuple().exponent == -18
    assert got[0][4] == datetime(2024, 1, 31, 23, 59, 59, 123456) and got[0][4].tzinfo is None
    assert got[0][5] == date(2024, 2, 29)


def test_parameters_bind_by_name_and_by_position(spark_engine) -> None:
    con = SparkConnection(spark_engine)
    try:
        con.execute("CREATE TEMP TABLE t AS SELECT 'A' AS a")
        named = con.execute("SELECT list_contains($l, 'b') AS has, $n + 1 AS n, "
                            "CAST($end AS TIMESTAMP) AS e",
                            {"l": ["a", "b"], "n": 41, "end": datetime(2024, 2, 1)}).fetchone()
        positional = con.execute("SELECT ? * 2, ?", [21, "x"]).fetchall()
        # an empty list binds too (holders' `exclude` is often empty)
        empty = con.execute("SELECT count(*) FROM t WHERE lower(a) NOT IN (SELECT lower(x) FROM "
                            "(SELECT unnest($l) AS x))", {"l": []}).fetchall()
    finally:
        con.close()
    assert named == (True, 42, datetime(2024, 2, 1))
    assert positional == [(42, "x")]
    assert empty == [(1,)]


def test_temp_tables_are_materialised_and_replaced(spark_engine) -> None:
    con = SparkConnection(spark_engine)
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE r AS SELECT rand() AS v FROM range(3) t(i)")
        first = con.execute("SELECT v FROM r ORDER BY v").fetchall()
        # a view would draw new random numbers on each read; a table keeps its rows
        assert con.execute("SELECT v FROM r ORDER BY v").fetchall() == first
        con.execute("CREATE OR REPLACE TEMP TABLE r AS SELECT 5 AS v")
        assert con.execute("SELECT v FROM r").fetchall() == [(5,)]
        assert con.statements[0].startswith("CACHE TABLE r AS SELECT")
    finally:
        con.close()
    assert "r" not in {t.name for t in spark_engine.catalog.listTables()}


def test_register_and_to_arrow_table_give_duckdbs_schema(spark_engine) -> None:
    table = pa.table({"a": pa.array(["x", None]), "n": pa.array([1, 2], pa.int64()),
                      "d": pa.array([Decimal("1.5"), Decimal("2")], pa.decimal128(38, 18)),
                      "t": pa.array([datetime(2024, 1, 1), None], pa.timestamp("us"))})
    d = duckdb.connect()
    d.register("src", table)
    q = "SELECT a, n, d, t, CAST(n AS HUGEINT) * 10 AS h FROM src ORDER BY n"
    want = d.sql(q).to_arrow_table()
    con = SparkConnection(spark_engine)
    try:
        con.register("src", table)
        got = con.sql(q).to_arrow_table()
    finally:
        con.close()
    assert got.to_pylist() == want.to_pylist()
    for g, w in zip(got.schema, want.schema):
        assert g.nullable and g.name == w.name
        if w.name != "h":   # HUGEINT is DECIMAL(38,0) on Spark, as the scores store it
            assert g.type == w.type, w.name


def test_floor_of_a_double_matches_duckdb_beyond_bigint(spark_engine) -> None:
    # Spark's own floor(double) is a BIGINT saturating at 2^63; the translation keeps DuckDB's
    q = ("SELECT CAST(floor(CAST(x AS DOUBLE) * 1.0e0) AS HUGEINT) AS f FROM (VALUES "
         "('1e20'), ('-2.5'), ('3'), ('2.9999999'), ('-0.0000001'), ('9.3e18')) AS v(x) "
         "ORDER BY f")
    want, got = on_both(spark_engine, q)
    assert got == want
    assert want[-1] == (10**20,) and want[0] == (-3,)


def test_an_overflow_is_duckdbs_out_of_range_error(spark_engine) -> None:
    con = SparkConnection(spark_engine)
    try:
        with pytest.raises(duckdb.OutOfRangeException):
            con.execute("SELECT CAST(9223372036854775807 AS BIGINT) + CAST(1 AS BIGINT)"
                        ).fetchall()
    finally:
        con.close()


def test_open_engine_reuses_the_session_and_names_the_kind(spark_engine) -> None:
    with open_engine(EngineConfig(kind="spark", master="local[2]")) as con:
        assert kind_of(con) == "spark" and con.session is spark_engine
        assert con.execute("SELECT 1 + 1").fetchall() == [(2,)]
    with open_engine(None, threads=1) as con:
        assert kind_of(con) == "duckdb"
        assert con.execute("SELECT current_setting('threads')").fetchone()[0] == 1


def test_missing_java_is_one_line_naming_the_debian_package(monkeypatch) -> None:
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(UserError) as err:
        require()
    assert str(err.value) == JAVA_HINT and "openjdk-17-jre-headless" in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_pyspark_is_one_line_saying_what_to_install() -> None:
    code = ("import sys; sys.modules['pyspark'] = None\n"
            "from distributor.engines.spark.session import require\n"
            "try:\n    require()\nexcept Exception as exc:\n    print(type(exc).__name__, exc)")
    out = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parents[1],
                         capture_output=True, text=True, timeout=60)
    assert out.stdout == f"UserError {PYSPARK_HINT}\n", out.stderr
    assert PYSPARK_HINT == "the spark engine needs pyspark: pip install 'epochdrop[spark]'"

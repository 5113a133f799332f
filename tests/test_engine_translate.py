"""DuckDB SQL → Spark SQL (distributor/engines/spark/translate.py), without a JVM.

Each named transform on a small statement, then every program SQL file: it translates, and
sqlglot parses the result back as Spark SQL. That the translated programs compute the same
payouts is tests/test_engine_programs.py (on a real Spark).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from distributor.engines.spark.translate import CACHE, Translator, translate, translate_file
from epochdrop.errors import InternalError

pytestmark = pytest.mark.xdist_group("spark")

REPO = Path(__file__).resolve().parents[1]
PROGRAM_SQL = sorted(p for p in (REPO / "distributor/programs").glob("*/*.sql"))


def spark_tree(text: str) -> exp.Expression:
    return sqlglot.parse_one(text, read="spark")


def bare(text: str) -> str:
    """The statement without its comments (the program SQL's comments ride along)."""
    return re.sub(r"/\*.*?\*/\s*", "", text, flags=re.DOTALL).strip()


def test_macro_calls_are_expanded_with_the_arguments_as_trees() -> None:
    t = Translator()
    assert t.translate("CREATE OR REPLACE TEMP MACRO sq(x) AS x * x") is None
    out = t.translate("SELECT sq(a + 1) AS s FROM t")
    # an argument stays one operand: (a + 1) * (a + 1), never a + 1 * a + 1
    assert "(a + 1) * (a + 1)" in out.replace("((", "(").replace("))", ")")
    assert "sq(" not in out.lower()
    value = sqlglot.parse_one(out.replace("FROM t", ""), read="spark")
    assert value is not None


def test_a_macro_may_call_an_earlier_macro_and_arity_is_checked() -> None:
    t = Translator(source="m.sql")
    t.translate("CREATE TEMP MACRO inc(x) AS x + 1")
    t.translate("CREATE TEMP MACRO twice(y) AS inc(inc(y))")
    out = t.translate("SELECT twice(c) FROM t")
    assert "inc(" not in out.lower() and out.count("+ 1") == 2
    with pytest.raises(InternalError, match=r"m\.sql: macro inc takes 1 arguments, called with 2"):
        t.translate("SELECT inc(a, b) FROM t")


def test_a_column_named_like_a_macro_parameter_but_qualified_is_kept() -> None:
    t = Translator()
    t.translate("CREATE TEMP MACRO f(x) AS x + o.x")
    out = t.translate("SELECT f(5) FROM o")
    assert "(5) + o.x" in out


def test_hugeint_becomes_decimal_38_0_and_hugeint_division_stays_decimal() -> None:
    out = translate("SELECT CAST(v AS HUGEINT) AS a, TRY_CAST(w AS INT128) // 10 AS b, "
                    "k // 4294967296 AS c FROM t")
    assert "INT128" not in out and "HUGEINT" not in out
    assert "CAST(v AS DECIMAL(38, 0))" in out
    assert "CAST(TRY_CAST(w AS DECIMAL(38, 0)) DIV 10 AS DECIMAL(38, 0))" in out
    assert "k DIV 4294967296 AS c" in out     # a BIGINT division stays BIGINT


def test_epoch_us_becomes_unix_micros() -> None:
    out = translate("SELECT epoch_us(valid_from) FROM o")
    assert out == "SELECT UNIX_MICROS(valid_from) FROM o"


def test_unnest_range_becomes_explode_sequence_to_b_minus_one() -> None:
    # sqlglot's own transform; kept under test because the order-book SQL relies on it
    out = translate("SELECT k, unnest(range(a.key, b.key)) AS key FROM t")
    assert "EXPLODE(" in out and "SEQUENCE(a.key, (b.key - 1))" in out
    assert "ARRAY()" in out      # an empty range explodes to no row, as DuckDB's


def test_range_as_a_table_becomes_an_exploded_sequence() -> None:
    out = translate("SELECT d + CAST(i AS INTEGER) FROM range(7) AS t(i)")
    assert "FROM (SELECT EXPLODE(SEQUENCE(0, 7 - 1)) AS i) AS t" in out


def test_dollar_parameters_become_named_markers() -> None:
    out = translate("SELECT * FROM t WHERE time < $end AND x = $start_us")
    assert ":end" in out and ":start_us" in out and "$" not in out


def test_create_temp_table_becomes_a_cached_table() -> None:
    out = translate("CREATE OR REPLACE TEMP TABLE x AS SELECT 1 AS a")
    assert out == f"{CACHE} x AS SELECT 1 AS a"
    assert isinstance(spark_tree(out), exp.Cache)
    # a plain CREATE TABLE (the sql-only programs' `scores`) is one too: a connection is
    # in memory on both engines, nothing is written to a warehouse
    assert translate("CREATE OR REPLACE TABLE scores AS SELECT 1 AS a").startswith(CACHE)
    view = translate("CREATE OR REPLACE TEMP VIEW v AS SELECT 1 AS a")
    assert view.startswith("CREATE OR REPLACE TEMPORARY VIEW v")


def test_unordered_row_number_becomes_a_unique_id() -> None:
    out = translate("SELECT *, row_number() OVER () AS row_id FROM t")
    assert "MONOTONICALLY_INCREASING_ID() + 1 AS row_id" in out
    ordered = translate("SELECT row_number() OVER (ORDER BY m) AS r FROM t")
    assert "ROW_NUMBER() OVER (ORDER BY m" in ordered


def test_untranslatable_constructs_name_the_file_and_the_construct() -> None:
    with pytest.raises(InternalError, match=r"x\.sql: unnest nested in an expression"):
        translate("SELECT lower(unnest($l)) FROM t", Translator(source="x.sql"))
    with pytest.raises(InternalError, match=r"y\.sql: md5_number\(\) has no Spark translation"):
        translate("SELECT md5_number(t) FROM o", Translator(source="y.sql"))
    with pytest.raises(InternalError, match=r"regexp_full_match\(\) has no Spark"):
        translate("SELECT regexp_full_match(a, '[0-9]+') FROM o")
    with pytest.raises(InternalError, match=r"z\.sql: sqlglot cannot parse"):
        translate("SELEC 1 FROM", Translator(source="z.sql"))


@pytest.mark.parametrize("path", PROGRAM_SQL, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_program_sql_file_translates_to_spark_sql(path: Path) -> None:
    t = Translator()
    statements = translate_file(path, t)
    assert statements or t.macros, f"{path.name}: nothing to run and no macro defined"
    for text in map(bare, statements):
        tree = spark_tree(text)
        assert tree is not None
        # nothing DuckDB-only is left in the text Spark runs
        for word in ("HUGEINT", "INT128", "EPOCH_US", "MACRO", "$"):
            assert word not in text.upper(), f"{path.name}: {word} left in {text[:120]}"


def test_dry_translation_lists_the_order_book_statements_in_order() -> None:
    text = [bare(s) for s in translate_file(REPO / "distributor/programs/dydx/lp_sampling.sql")]
    names = [s.split()[2] for s in text if s.startswith(CACHE)]
    assert names == ["dx_markets", "dx_makers", "dx_orders", "ob_cp", "dx_span", "dx_book",
                     "dx_live", "dx_lp"]
    assert any(s.startswith("CREATE OR REPLACE TEMPORARY VIEW ob_orders") for s in text)
    # the fixed-point macros (included) are expanded where the orders are scaled
    orders = next(s for s in text if s.startswith(f"{CACHE} dx_orders"))
    assert "scaled(" not in orders.lower() and "1000000000000000000" in orders


def test_translation_needs_no_pyspark() -> None:
    code = ("import sys; import distributor.engines.spark.translate as t; "
            "import distributor.engines as e; "
            "t.translate_file('distributor/programs/jet/order_sampling.sql'); "
            "assert e.kind_of(__import__('duckdb').connect()) == 'duckdb'; "
            "print('pyspark' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_local_masters_get_shuffle_partitions_for_their_cores() -> None:
    from distributor.engines.spark.session import spark_conf

    conf = spark_conf("local[2]", {"spark.sql.shuffle.partitions": "3", "x.y": "z"})
    assert conf["spark.sql.ansi.enabled"] == "true"
    assert conf["spark.sql.session.timeZone"] == "UTC"
    assert conf["spark.sql.decimalOperations.allowPrecisionLoss"] == "false"
    assert conf["spark.driver.bindAddress"] == "127.0.0.1"
    assert conf["spark.sql.shuffle.partitions"] == "3" and conf["x.y"] == "z"  # the user's last
    assert spark_conf("local[3]")["spark.sql.shuffle.partitions"] == "6"
    cluster = spark_conf("spark://10.0.0.1:7077")
    assert "spark.driver.host" not in cluster and "spark.sql.shuffle.partitions" not in cluster


def test_floor_of_a_double_stays_a_double() -> None:
    out = translate("SELECT CAST(floor(CAST(n AS DOUBLE) / CAST(d AS DOUBLE)) AS HUGEINT), "
                    "floor(est), floor(price) FROM t")
    assert "FLOOR(est)" in out and "FLOOR(price)" in out   # types unknown: Spark's own floor
    assert out.count("FLOOR(") == 2 and "% 1" in out and "IF(" in out

"""Inputs on Spark (issue 18): the same tables, hashes and errors as on DuckDB.

Every test loads the same files with distributor.inputs.load_inputs on DuckDB and on the
session's real Spark (`spark_engine`, local[2]) and compares: the manifest's
`content_sha256` per table (verify compares manifests written on either engine), the loaded
rows, and the one-line InputError a bad file gives (file, row, field). `--data` URLs: a
file:// URL on both, an hdfs:// URL reaching Spark's Hadoop client unchanged, an s3a:// URL
without the connector refused in one line naming it.
"""

from __future__ import annotations

import csv
import time
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from distributor import inputs
from distributor.engines.spark import files as spark_files
from distributor.engines.spark.connection import SparkConnection
from distributor.inputs import content_sha256, data_location, load_inputs, window_rows
from distributor.programs import load_program
from distributor.programs.spec import TableSpec
from epochdrop.errors import InputError, UserError

pytestmark = pytest.mark.xdist_group("spark")

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
KINDS = {"who": "str", "amount": "int", "price": "dec", "time": "time", "ok": "bool",
         "n": "n", "day": "date"}
ALL = (TableSpec("t", dict(KINDS), nullable=tuple(k for k in KINDS if k != "who")),)
LOOSE = (TableSpec("t", {}, optional=dict(KINDS)),)   # every cell may be empty


@pytest.fixture
def spark(spark_engine):
    return SparkConnection(spark_engine)


def both(spark, tables, data, chain=None):
    """(DuckDB entries, Spark entries, DuckDB connection) for the same inputs."""
    con = duckdb.connect()
    return load_inputs(con, tables, data, chain), load_inputs(spark, tables, data, chain), con


def error_on_both(spark, tables, data) -> str:
    """The one-line InputError on both engines: it must be the same text."""
    messages = []
    for con in (duckdb.connect(), spark):
        with pytest.raises(InputError) as e:
            load_inputs(con, tables, data)
        messages.append(str(e.value))
    assert messages[0] == messages[1]
    return messages[0]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


# ---- the content hash: DuckDB's row text, rebuilt in Spark ------------------------------

TRICKY = ["hello", "", " lead", "trail ", "a b", "null", "NULL", "Null", "nul", "x,y", "it's",
          "back\\slash", 'say "hi"', "(p)", "k=v", "a:b", "[l]", "{s}", "tab\tin", "\tlead",
          "nl\n", "é ü 中", "\u00a0nbsp", "0xAbC"]


def _tricky_table() -> pa.Table:
    n = len(TRICKY)
    return pa.table({
        "who": TRICKY,
        "amount": [None, "-99999999999999999999999999999999999999", "0", "12"] * (n // 4),
        "price": ["-0.5", None, "12345678901234567890.123456789012345678", "0"] * (n // 4),
        "time": ["2024-01-01 00:00:00", "2024-01-01T00:00:00.123Z", None,
                 "1969-12-31 23:59:59.5+00:00"] * (n // 4),
        "ok": ["true", "false", None, "true"] * (n // 4),
        "n": ["-9223372036854775808", "9223372036854775807", None, "0"] * (n // 4),
        "day": ["2024-02-29", None, "1999-12-31", "2024-01-01"] * (n // 4)})


def test_row_texts_and_content_hash_equal_duckdbs(spark, tmp_path):
    pq.write_table(_tricky_table(), tmp_path / "t.parquet")
    duck, sprk, con = both(spark, LOOSE, tmp_path)
    theirs = sorted(r[0] for r in con.execute("SELECT CAST(x AS VARCHAR) FROM t x").fetchall())
    frame = spark.session.table("t")
    ours = sorted(r[0] for r in frame.select(spark_files.row_text(frame)).collect())
    assert ours == theirs     # one by one: a difference names the row
    assert "{'who': 'it\\'s', " in "\n".join(theirs)   # the test covers quoting
    assert duck[0]["content_sha256"] == sprk[0]["content_sha256"]
    assert duck[0]["rows"] == sprk[0]["rows"] == len(TRICKY)


def test_content_hash_in_many_chunks_one_chunk_per_partition(spark, tmp_path, monkeypatch):
    """More chunks than shuffle partitions (10M rows on local[2] had 100 chunks over 4): the
    hash still equals DuckDB's, and each partition the driver fetches holds one chunk (the
    bench's 10M run ran the driver out of heap when a partition held 25)."""
    from pyspark.sql import functions as F

    rows = 2_000
    pq.write_table(pa.table({"who": [f"acct{i * 7919 % rows:05d}" for i in range(rows)],
                             "amount": [str(i * 10**20) for i in range(rows)]}),
                   tmp_path / "t.parquet")
    monkeypatch.setattr(spark_files, "CHUNK_ROWS", 50)        # 40 chunks
    assert int(spark.session.conf.get("spark.sql.shuffle.partitions")) < 40
    duck, sprk, _ = both(spark, (TableSpec("t", {"who": "str", "amount": "int"}),), tmp_path)
    assert duck[0]["content_sha256"] == sprk[0]["content_sha256"]
    chunks = spark_files.sorted_chunks(spark.session.table("t"), 40)
    per_partition = [r[1] for r in chunks.groupBy(F.spark_partition_id()).count().collect()]
    assert sum(per_partition) == 40 and max(per_partition) == 1


def test_content_hash_equal_on_nulls_negatives_big_integers_and_time_fractions(spark,
                                                                                 tmp_path):
    rows = [
        ["0xa", "99999999999999999999999999999999999999", "-0.000000000000000001",
         "2024-01-02T03:04:05Z", "true", "-7", "2024-01-02"],
        ["0xb", "-170141183460469231731", "-12.5", "2024-01-02 03:04:05.000001", "", "",
         ""],
        ["0xc", "", "", "2024-01-02 03:04:05.1+02:00", "false", "9223372036854775807",
         "1970-01-01"],
        ["0xd", "18446744073709551616", "1E-7", "", "", "0", ""],
    ]
    write_csv(tmp_path / "t.csv", list(KINDS), rows)
    duck, sprk, con = both(spark, ALL, tmp_path)
    assert duck[0]["content_sha256"] == sprk[0]["content_sha256"]
    # the same values, not only the same hash: Spark's table read back through Arrow
    got = {r["who"]: r for r in (r.asDict() for r in spark.session.table("t").collect())}
    assert got["0xa"]["amount"] == Decimal("99999999999999999999999999999999999999")
    assert got["0xb"]["price"] == Decimal("-12.5")
    # order and file cuts do not change it (D10), on Spark as on DuckDB
    write_csv(tmp_path / "t.csv", list(KINDS), rows[::-1])
    again = load_inputs(spark, ALL, tmp_path)
    assert again[0]["content_sha256"] == duck[0]["content_sha256"]
    # and a changed cell does
    rows[1][2] = "-12.50000000000000001"
    write_csv(tmp_path / "t.csv", list(KINDS), rows)
    assert load_inputs(spark, ALL, tmp_path)[0]["content_sha256"] != duck[0]["content_sha256"]


def test_typed_parquet_times_hash_equal(spark, tmp_path):
    # timestamps stored as parquet TIMESTAMP (UTC-adjusted and naive), with and without
    # fractions: read as timestamps on both engines, not as text
    spec = (TableSpec("t", {"who": "str", "time": "time", "at": "time"}),)
    naive = [datetime(2024, 1, 2, 3, 4, 5), datetime(2024, 1, 2, 3, 4, 5, 120000),
             datetime(1999, 12, 31, 23, 59, 59, 999999)]
    table = pa.table({"who": ["a", "b", "c"],
                      "time": pa.array([t.replace(tzinfo=timezone.utc) for t in naive],
                                       pa.timestamp("us", tz="UTC")),
                      "at": pa.array(naive, pa.timestamp("us"))})
    pq.write_table(table, tmp_path / "t.parquet")
    duck, sprk, _ = both(spark, spec, tmp_path)
    assert duck[0]["content_sha256"] == sprk[0]["content_sha256"]


def test_empty_and_missing_optional_tables_hash_equal(spark, tmp_path):
    spec = (TableSpec("t", {"who": "str"}),
            TableSpec("extra", {"who": "str", "amount": "int"}, required=False))
    write_csv(tmp_path / "t.csv", ["who"], [])
    duck, sprk, _ = both(spark, spec, tmp_path)
    assert [e["content_sha256"] for e in duck] == [e["content_sha256"] for e in sprk]
    assert [e["rows"] for e in sprk] == [0, 0]


@pytest.mark.parametrize("program", ["curve", "dhedge", "dydx", "jet", "mirror"])
def test_seed_samples_load_alike(spark, program):
    """The seeds' sample tables (CSV) give the same rows and hashes on both engines."""
    spec = load_program(program)
    duck, sprk, _ = both(spark, spec.tables, SAMPLES / program)
    assert [(e["table"], e["rows"], e["content_sha256"], e["files"]) for e in duck] == \
        [(e["table"], e["rows"], e["content_sha256"], e["files"]) for e in sprk]


def test_store_dataset_through_its_view_alike(spark, tmp_path):
    """A listener dataset under chain= partitions, shaped by the program's view (DuckDB SQL,
    translated on Spark), read from the chain named; the other chain's rows never count."""
    spec = load_program("holders")
    table = next(t for t in spec.tables if t.source.view)
    folder = tmp_path / table.dataset
    rows = []
    for i in range(40):
        rows.append({"block_time": f"2024-01-0{1 + i % 5} 00:00:{i % 60:02d}",
                     "contract": "0x" + "ab" * 20, "from_address": "0x" + f"{i:040x}",
                     "to_address": "0x" + f"{i + 1:040x}", "value": str(10**30 + i),
                     "block_number": str(100 + i), "log_index": str(i % 3),
                     "token_standard": "erc20" if i % 7 else "erc721"})
    for chain, part in (("10", rows[:25]), ("10", rows[25:]), ("1", rows[:3])):
        out = folder / f"chain={chain}"
        out.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(part), out / f"part-{len(list(out.iterdir()))}.parquet")
    duck, sprk, con = both(spark, (table,), tmp_path, chain=10)
    assert duck[0]["content_sha256"] == sprk[0]["content_sha256"]
    # the epoch-window check reads the loaded tables the same way (translated on Spark)
    start, end = datetime(2024, 1, 2), datetime(2024, 1, 4)
    assert window_rows(spark, (table,), start, end) == window_rows(con, (table,), start, end)
    assert window_rows(con, (table,), start, end)[0] > 0
    assert duck[0]["rows"] == sprk[0]["rows"] == sum(1 for i in range(40) if i % 7)
    assert duck[0]["files"] == sprk[0]["files"]
    with pytest.raises(UserError, match="holds chains 1, 10; name the one to read"):
        load_inputs(spark, (table,), tmp_path)


# ---- the same bad input, the same one line ----------------------------------------------

CHECKED = (TableSpec("t", {"time": "time", "who": "str", "amount": "int", "price": "dec",
                           "day": "date", "n": "n", "kind": "str"},
                     optional={"end": "time", "pool": "str"},
                     checks={"who": ("evm_address",), "amount": (">0",),
                             "kind": ("one_of:buy|sell",)},
                     intervals=(("time", "end"),), refs={"pool": "pools.pool"}),
           TableSpec("pools", {"pool": "str"}))
HEADER = ["time", "who", "amount", "price", "day", "n", "kind", "end", "pool"]
GOOD = ["2024-01-02T03:04:05Z", "0x" + "aB" * 20, "17014118346046923173168730371588410572",
        "0.000000000000000001", "2024-01-02", "7", "buy", "2024-01-03 00:00:00", "p1"]


@pytest.mark.parametrize("col, value, message", [
    ("amount", "1.5", "'1.5' is not an integer (base units)"),
    ("amount", "1e18", "'1e18' is not an integer (base units)"),
    ("amount", str(2**127), "does not fit HUGEINT"),
    ("amount", "0", "'0' must be > 0"),
    ("price", "0.0000000000000000001", "is not an exact decimal (at most 18 fractional"),
    ("price", "1e-19", "is not an exact decimal"),
    ("price", "1.5.2", "'1.5.2' is not an exact decimal"),
    ("price", "0.1 0.2", "'0.1 0.2' is not an exact decimal"),
    ("time", "yesterday", "'yesterday' is not a UTC timestamp"),
    ("time", "2024-13-01", "'2024-13-01' is not a UTC timestamp"),
    ("day", "2024-02-30", "'2024-02-30' is not a date (YYYY-MM-DD)"),
    ("who", "", "empty is not a non-empty value"),
    ("who", "0x" + "ab" * 20 + "ff", "is not an EVM address"),     # a prefix matches
    ("who", "zz0x" + "ab" * 20, "is not an EVM address"),          # a suffix matches
    ("n", "", "empty is not an integer"),
    ("kind", "buyer", "'buyer' must be buy or sell"),
    ("end", "2024-01-01 00:00:00", "is before time (an interval must not end"),
    ("pool", "p2", "'p2' is not a pool of pools"),
])
def test_bad_csv_value_same_line_on_both_engines(spark, tmp_path, col, value, message):
    bad = list(GOOD)
    bad[HEADER.index(col)] = value
    write_csv(tmp_path / "t.csv", HEADER, [GOOD, GOOD, bad])
    write_csv(tmp_path / "pools.csv", ["pool"], [["p1"]])
    line = error_on_both(spark, CHECKED, tmp_path)
    assert line.startswith(f"t.csv, row 3, field '{col}': ") and message in line, line


def test_bad_parquet_value_names_file_and_row_on_both(spark, tmp_path):
    """A store dataset cut in two files: the error names the second file (a space in its
    name: Spark's file URL is unescaped) and the row inside it."""
    folder = tmp_path / "t" / "chain=10"
    folder.mkdir(parents=True)
    good = dict(zip(HEADER, GOOD))
    pq.write_table(pa.Table.from_pylist([good] * 3), folder / "a.parquet")
    pq.write_table(pa.Table.from_pylist([good, {**good, "price": "-1.2e-17"},
                                         {**good, "price": "x"}]), folder / "b 2.parquet")
    write_csv(tmp_path / "pools.csv", ["pool"], [["p1"]])
    line = error_on_both(spark, CHECKED, tmp_path)
    assert line.startswith("b 2.parquet, row 3, field 'price': 'x' is not an exact"), line


def test_float_and_missing_columns_same_line(spark, tmp_path):
    row = dict(zip(HEADER, GOOD))
    pq.write_table(pa.Table.from_pylist([{**row, "amount": 1.0}]), tmp_path / "t.parquet")
    write_csv(tmp_path / "pools.csv", ["pool"], [["p1"]])
    assert "DOUBLE column: exact integers required" in error_on_both(spark, CHECKED, tmp_path)
    pq.write_table(pa.Table.from_pylist([{k: v for k, v in row.items() if k != "n"}]),
                   tmp_path / "t.parquet")
    line = error_on_both(spark, CHECKED, tmp_path)
    assert line.startswith("t.parquet, field 'n': missing required column"), line


# ---- --data: paths, file://, hdfs://, s3a:// ---------------------------------------------

def test_file_url_on_both_engines(spark, tmp_path):
    folder = tmp_path / "a folder"
    write_csv(folder / "t.csv", list(KINDS), [["0xa", "1", "2.5", "2024-01-01", "true", "3",
                                               "2024-01-01"]])
    url = "file://" + str(folder).replace(" ", "%20")
    assert data_location(url) == folder
    duck, sprk, _ = both(spark, ALL, url)
    assert duck == sprk and duck[0]["files"][0]["name"] == "t.csv"
    assert duck == load_inputs(duckdb.connect(), ALL, folder)


def test_cluster_url_on_duckdb_is_one_line(tmp_path):
    with pytest.raises(UserError, match=r"^--data hdfs://nn:8020/store: a hdfs:// URL needs "
                                        r"--engine spark"):
        load_inputs(duckdb.connect(), ALL, "hdfs://nn:8020/store")
    with pytest.raises(UserError, match="S3 is read through s3a://"):
        load_inputs(duckdb.connect(), ALL, "s3://bucket/store")


def test_hdfs_url_reaches_spark_unchanged(spark):
    """No namenode listens on 127.0.0.1:1: the error is Spark's Hadoop client's own (it
    tried that host and port), so the URL was handed to Spark as it is."""
    conf = spark.session.sparkContext._jsc.hadoopConfiguration()
    conf.set("ipc.client.connect.max.retries", "0")   # refused at once, not after 10 tries
    started = time.monotonic()
    with pytest.raises(UserError) as e:
        load_inputs(spark, ALL, "hdfs://127.0.0.1:1/epochdrop/store/")
    line = str(e.value)
    assert line.startswith("--data hdfs://127.0.0.1:1/epochdrop/store: Spark could not read")
    hadoop = line.split(": Spark could not read it: ", 1)[1]   # the Hadoop client's words
    assert ":1 failed on connection exception" in hadoop and "Connection refused" in hadoop
    assert "\n" not in line and time.monotonic() - started < 120


def test_s3a_url_without_connector_names_it(spark):
    with pytest.raises(UserError) as e:
        load_inputs(spark, ALL, "s3a://bucket/store")
    line = str(e.value)
    assert "org.apache.hadoop:hadoop-aws:" in line and "spark.jars.packages" in line
    assert "\n" not in line and "<" not in line   # the Hadoop version, read from the JVM


# ---- the cost of hashing on the driver (the figure in files.content_sha256) ------------

def test_content_hash_cost(spark, tmp_path):
    """Measures the driver-side hash on 200k rows (the docstring quotes it per million); the
    hash must still equal DuckDB's at this size (several partitions, a real range sort)."""
    n = 200_000
    pq.write_table(pa.table({
        "who": [f"0x{i:040x}" for i in range(n)],
        "amount": [str(i * 7919 % 1_000_003) for i in range(n)],
        "price": [f"{i % 1000}.{i % 97:02d}" for i in range(n)],
        "time": [f"2024-01-{1 + i % 28:02d} {i % 24:02d}:00:00" for i in range(n)]}),
        tmp_path / "t.parquet")
    spec = (TableSpec("t", {"who": "str", "amount": "int", "price": "dec", "time": "time"}),)
    con = duckdb.connect()
    duck = load_inputs(con, spec, tmp_path)
    load_inputs(spark, spec, tmp_path)
    started = time.monotonic()
    content_sha256(con, "t")
    duck_seconds = time.monotonic() - started
    started = time.monotonic()
    ours = spark_files.content_sha256(spark, "t")
    seconds = time.monotonic() - started
    print(f"\ncontent_sha256 of {n} rows: spark {seconds:.1f} s "
          f"({seconds * 1e6 / n:.1f} s per million rows), duckdb {duck_seconds:.2f} s")
    assert ours == duck[0]["content_sha256"]


def test_url_dataset_is_listed_and_read_by_spark(spark, tmp_path):
    """The URL branch (what an hdfs:// or s3a:// store goes through), on a folder Spark's
    Hadoop client can reach here: Spark lists `<url>/<dataset>`, picks the chain= partition,
    reads it with the partition column, and the table equals DuckDB's from the same files;
    the entry names the URL read instead of hashing files."""
    spec = load_program("holders")
    table = next(t for t in spec.tables if t.source.view)
    rows = [{"block_time": f"2024-01-02 00:00:{i:02d}", "contract": "0x" + "cd" * 20,
             "from_address": "0x" + f"{i:040x}", "to_address": "0x" + f"{i + 1:040x}",
             "value": str(i), "block_number": str(i), "log_index": "0",
             "token_standard": "erc20"} for i in range(12)]
    for chain, part in (("10", rows), ("1", rows[:2])):
        out = tmp_path / table.dataset / f"chain={chain}"
        out.mkdir(parents=True)
        pq.write_table(pa.Table.from_pylist(part), out / "part-0.parquet")
    url = f"file://{tmp_path}"
    found = inputs._find(spark, table, url, 10)
    assert (found.url, found.base) == (f"{url}/{table.dataset}/chain=10", f"{url}/{table.dataset}")
    assert found.files == [] and found.label == "chain=10/*.parquet"
    rows_read, _ = inputs._load_table(spark, inputs.SPARK, table, found)
    duck = load_inputs(duckdb.connect(), (table,), tmp_path, 10)
    assert rows_read == duck[0]["rows"] == 12
    assert spark_files.content_sha256(spark, table.name) == duck[0]["content_sha256"]
    with pytest.raises(UserError, match="holds chains 1, 10; none is chain 5"):
        inputs._find(spark, table, url, 5)
    assert inputs._find(spark, TableSpec("absent", {"a": "str"}), url, 10) is None

"""The engine-specific reads of distributor/inputs.py, on Spark.

inputs.py keeps one flow for both engines (find the sources, load, shape by the declared
view, validate each column, cast, check the table's rules and refs, hash the content); what
differs on Spark is only how files become a view and how a table's content is hashed:

- parquet files, or a dataset folder given as a URL (`hdfs://`, `s3a://`, handed to Spark as
  it is: Spark's Hadoop client lists the files), as a view with hive partitions, columns
  united by name, and `filename` / `file_row_number` (the same columns DuckDB's read_parquet
  gives) so an error names the file and row on both engines;
- a CSV file as a view of strings (DuckDB's `all_varchar`);
- a view's columns with DuckDB's type names, so the checks in inputs.py read one vocabulary;
- `content_sha256`: the same hex as DuckDB's for the same rows (verify compares manifests
  written on either engine).

pyspark is an optional extra: every function gets the connection (SparkConnection) whose
`.session` is the SparkSession, and imports pyspark inside (the DuckDB path never imports
this module's dependencies).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any
from urllib.parse import unquote

from epochdrop.errors import UserError

# Spark type (simpleString) → the DuckDB type name inputs.py compares against
_DUCKDB_NAMES = {
    "string": "VARCHAR", "bigint": "BIGINT", "int": "INTEGER", "smallint": "SMALLINT",
    "tinyint": "TINYINT", "double": "DOUBLE", "float": "FLOAT", "boolean": "BOOLEAN",
    "date": "DATE", "timestamp": "TIMESTAMP WITH TIME ZONE", "timestamp_ntz": "TIMESTAMP",
    "binary": "BLOB",
}
S3A_HINT = ("Spark has no s3a connector: add org.apache.hadoop:hadoop-aws:{hadoop} (the "
            "Hadoop version of this Spark) to spark.jars.packages in the config's [engine] "
            "conf, with the AWS SDK it depends on")


def _read_error(url: str, exc: Exception, session: Any) -> UserError:
    """One line for a URL Spark could not read: the connector to add for s3a, else the
    Hadoop client's own first line (it names the host and port it tried)."""
    java = getattr(exc, "java_exception", None)   # a py4j error: Java's own message
    text = str(java.toString()) if java is not None else str(exc)
    if url.startswith("s3a:") and ("S3AFileSystem" in text or '"s3a"' in text):
        return UserError(f"--data {url}: " + S3A_HINT.format(hadoop=hadoop_version(session)))
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), type(exc).__name__)
    return UserError(f"--data {url}: Spark could not read it: {first}")


def hadoop_version(session: Any) -> str:
    """The Hadoop client version inside this Spark (the hadoop-aws jar must match it)."""
    try:
        return str(session._jvm.org.apache.hadoop.util.VersionInfo.getVersion())
    except Exception:   # noqa: BLE001 — Spark Connect has no JVM on the client: say so
        return "<the cluster's Hadoop version>"


def _not_found(exc: Exception) -> bool:
    text = str(exc)
    return "PATH_NOT_FOUND" in text or "UNABLE_TO_INFER_SCHEMA" in text


def find_dataset(con: Any, url: str, candidates: list[tuple[str, str | None]],
                 chain: str | int | None, one_chain) -> tuple[str, str, str | None] | None:
    """(path to read, its dataset folder, view SQL) of the first candidate dataset under
    `url`, reading the `chain=<chain>` partition; None when no candidate exists.

    Spark lists the folder (its Hadoop client: any file system it has a connector for);
    `one_chain(chains, folder)` is inputs.py's rule for choosing the partition."""
    from pyspark.errors import AnalysisException   # optional extra (module docstring)

    session = con.session
    for dataset, view in candidates:
        folder = f"{url}/{dataset}"
        try:
            listed = session.read.parquet(folder).inputFiles()
        except AnalysisException as exc:
            if _not_found(exc):
                continue
            raise _read_error(url, exc, session) from None
        except Exception as exc:   # noqa: BLE001 — py4j errors from the Hadoop client
            raise _read_error(url, exc, session) from None
        chains = sorted({m.group(1) for f in listed
                         if (m := re.search(r"/chain=([^/]+)/", f[len(folder):] + "/"))})
        picked = one_chain(chains, folder)
        if picked is None:
            return folder, folder, view
        return f"{folder}/chain={picked}", folder, view
    return None


def read_parquet(con: Any, view: str, paths: list[str], base: str | None) -> None:
    """`view` over parquet files (or folders): hive partitions below `base`, columns united
    by name (a file without a column gives NULLs), `filename` and 0-based
    `file_row_number` as DuckDB's read_parquet gives them."""
    from pyspark.sql import functions as F   # optional extra (module docstring)

    reader = con.session.read.option("mergeSchema", "true")
    if base is not None:
        reader = reader.option("basePath", base)
    try:
        frame = reader.parquet(*paths)
    except Exception as exc:   # noqa: BLE001 — a URL the cluster cannot read: one line
        raise _read_error(base or paths[0], exc, con.session) from None
    frame = frame.select("*", F.col("_metadata.file_path").alias("filename"),
                         F.col("_metadata.row_index").alias("file_row_number"))
    frame.createOrReplaceTempView(view)


def read_csv(con: Any, view: str, path: str) -> None:
    """`view` over a CSV file with a header, every column a string (RFC 4180 quotes)."""
    frame = (con.session.read.option("header", "true").option("inferSchema", "false")
             .option("multiLine", "true").option("escape", '"').csv(path))
    frame.createOrReplaceTempView(view)


def file_name(path: str) -> str:
    """The file's name from Spark's `_metadata.file_path` (a URL: percent-escaped)."""
    return unquote(path.rstrip("/").rsplit("/", 1)[-1])


def columns(con: Any, view: str) -> dict[str, str]:
    """A view's columns → DuckDB type names (DECIMAL(p,s) as DuckDB spells it)."""
    out = {}
    for field in con.session.table(view).schema.fields:
        name = field.dataType.simpleString()
        if name.startswith("decimal("):
            out[field.name] = name.upper().replace(" ", "")
        else:
            out[field.name] = _DUCKDB_NAMES.get(name, name.upper())
    return out


def rows(con: Any, spark_sql: str) -> list[tuple]:
    """The rows of a (small) Spark SQL query, as tuples."""
    return [tuple(r) for r in con.session.sql(spark_sql).collect()]


def create_table(con: Any, name: str, spark_sql: str) -> int:
    """Materialise a query as the table `name` programs read; its row count."""
    con.create_table(name, con.session.sql(spark_sql))
    return int(con.session.table(name).count())


CHUNK_ROWS = 100_000   # rows per hashed chunk (one chunk's text in memory at a time)
# DuckDB writes a value inside a row's text quoted when it is empty, starts or ends with a
# C-locale space, is NULL in any case, or holds one of these (NestedToVarcharCast)
_SPECIAL = "[\"'(),:=\\[\\\\\\]{}]|\\A[\\t\\n\\x0B\\f\\r ]|[\\t\\n\\x0B\\f\\r ]\\z"


def _value_text(column: Any, spark_type: str) -> Any:
    """A column's value as DuckDB writes it inside `CAST(row AS VARCHAR)` (NULL → NULL).

    Only strings need the full rule; the other loaded types are decided by their type: a
    timestamp always holds ':' (always quoted, never escaped), numbers, booleans and dates
    never hold a character that quotes (years 1000–9999)."""
    from pyspark.sql import functions as F   # optional extra (module docstring)

    text = column.cast("string")
    if spark_type.startswith("timestamp"):
        text = F.concat(F.lit("'"), text, F.lit("'"))
    elif spark_type == "string":
        quoted = F.concat(F.lit("'"), F.regexp_replace(text, r"(['\\])", r"\\$1"),
                          F.lit("'"))
        needs = (F.length(text) == 0) | text.rlike(_SPECIAL) | (F.lower(text) == F.lit("null"))
        text = F.when(needs, quoted).otherwise(text)
    return F.coalesce(text, F.lit("NULL"))


def row_text(frame: Any) -> Any:
    """DuckDB's `CAST(row AS VARCHAR)` as a Spark expression: {'col': value, ...}.

    Exact for the loaded tables' column types (spec.DUCKDB_TYPES on Spark: STRING,
    DECIMAL(38,0) and DECIMAL(38,18) written with all their digits, TIMESTAMP in the UTC
    session with its fraction trimmed of zeros, DATE, BIGINT, BOOLEAN), years 1000–9999."""
    from pyspark.sql import functions as F   # optional extra (module docstring)

    parts: list[Any] = [F.lit("{")]
    for i, field in enumerate(frame.schema.fields):
        key = field.name.replace("\\", "\\\\").replace("'", "\\'")
        parts += [F.lit((", " if i else "") + f"'{key}': "),
                  _value_text(frame[field.name], field.dataType.simpleString())]
    parts.append(F.lit("}"))
    return F.concat(*parts)


def sorted_chunks(frame: Any, parts: int) -> Any:
    """The rows' texts in `parts` chunks (column `c`: sorted texts joined by newlines), chunk
    i holding smaller texts than chunk i+1, one chunk per partition in chunk order:
    toLocalIterator fetches a whole partition into the driver at once. (`orderBy("p")` would
    pack the chunks into spark.sql.shuffle.partitions partitions: at 10M rows on local[2],
    25 chunks, ~400 MB, in each, and the driver's 4g heap ran out. A numbered range
    repartition keeps `parts` partitions: AQE does not coalesce it.) The rows are hash
    repartitioned on their chunk number into `parts` partitions before the groupBy, so each
    aggregation task holds about one chunk: a plain groupBy gathers them into
    spark.sql.shuffle.partitions tasks, 2.5M rows each at 10M rows on the bench's cluster
    (4 partitions). That run failed in this step (a task failed 4 times; its executor logs
    went with the temp folder, so an executor out of its 1g heap is the likely cause, not a
    seen one); with the repartition the same run passed."""
    from pyspark.sql import functions as F   # optional extra (module docstring)

    texts = frame.select(row_text(frame).alias("t")).repartitionByRange(parts, "t")
    return (texts.select(F.spark_partition_id().alias("p"), "t")
            .repartition(parts, "p").groupBy("p")
            .agg(F.array_join(F.array_sort(F.collect_list("t")), "\n").alias("c"))
            .repartitionByRange(parts, "p").sortWithinPartitions("p"))


def content_sha256(con: Any, table: str) -> str:
    """sha256 of a loaded table's rows in sorted order, equal to DuckDB's for the same rows
    (inputs.content_sha256: the sorted `CAST(row AS VARCHAR)` texts joined by newlines).

    Spark builds the row texts, range-partitions them (partition i holds smaller texts than
    partition i+1) and sorts and joins each partition into one chunk, in SQL (no Python on
    the executors); the driver streams the chunks in partition order (toLocalIterator: one
    chunk of at most CHUNK_ROWS rows in memory at a time) into one sha256. That makes the
    hash O(rows) on the driver and in one sort: measured here (local[2] on 2 cores shared with
    other jobs) 200,000 rows of 4 columns in 9–13 s, ≈ 45–65 s per million rows (load
    average 8–12), where DuckDB hashed the same table in 1.0–1.8 s
    (tests/test_engine_inputs.py::test_content_hash_cost prints both). A tree of
    per-partition hashes would be parallel, but would no longer equal DuckDB's hash."""
    frame = con.session.table(table)
    chunks = sorted_chunks(frame, max(1, -(-frame.count() // CHUNK_ROWS)))
    digest = hashlib.sha256()
    first = True
    for row in chunks.toLocalIterator():
        if not first:
            digest.update(b"\n")
        digest.update(row["c"].encode("utf-8"))
        first = False
    return digest.hexdigest()

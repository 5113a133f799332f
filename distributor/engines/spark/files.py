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
    text = str(exc)
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


# DuckDB writes a value inside a row's text quoted when it is empty, starts or ends with a
# C-locale space, is NULL in any case, or holds one of these (NestedToVarcharCast)
_SPECIAL = "[\"'(),:=\\[\\\\\\]{}]|\\A[\\t\\n\\x0B\\f\\r ]|[\\t\\n\\x0B\\f\\r ]\\z"


def _value_text(column: Any) -> Any:
    """A column's value as DuckDB writes it inside `CAST(row AS VARCHAR)` (NULL → NULL)."""
    from pyspark.sql import functions as F   # optional extra (module docstring)

    text = column.cast("string")
    quoted = F.concat(F.lit("'"), F.regexp_replace(text, r"(['\\])", r"\\$1"), F.lit("'"))
    needs = (F.length(text) == 0) | text.rlike(_SPECIAL) | (F.lower(text) == F.lit("null"))
    return F.coalesce(F.when(needs, quoted).otherwise(text), F.lit("NULL"))


def row_text(frame: Any) -> Any:
    """DuckDB's `CAST(row AS VARCHAR)` as a Spark expression: {'col': value, ...}.

    Exact for the loaded tables' column types (spec.DUCKDB_TYPES on Spark: STRING,
    DECIMAL(38,0) and DECIMAL(38,18) written with all their digits, TIMESTAMP in the UTC
    session with its fraction trimmed of zeros, DATE, BIGINT, BOOLEAN), years 1000–9999."""
    from pyspark.sql import functions as F   # optional extra (module docstring)

    parts: list[Any] = [F.lit("{")]
    for i, name in enumerate(frame.columns):
        key = name.replace("\\", "\\\\").replace("'", "\\'")
        parts += [F.lit((", " if i else "") + f"'{key}': "), _value_text(frame[name])]
    parts.append(F.lit("}"))
    return F.concat(*parts)


def content_sha256(con: Any, table: str) -> str:
    """sha256 of a loaded table's rows in sorted order, equal to DuckDB's for the same rows
    (inputs.content_sha256: the sorted `CAST(row AS VARCHAR)` texts joined by newlines).

    The row texts are built and sorted by Spark (byte order, as DuckDB's VARCHAR sort); the
    hash itself is one stream on the driver (toLocalIterator: one partition at a time, so
    memory stays one partition), which makes it O(rows) on the driver: measured on this
    machine (2 shared cores, local[2]) about 10 s per million rows of a 4-column table
    (tests/test_engine_inputs.py::test_content_hash_cost). For billions of rows a tree of
    per-partition hashes would be faster, but would no longer equal DuckDB's hash."""
    frame = con.session.table(table)
    texts = frame.select(row_text(frame).alias("t")).orderBy("t")
    digest = hashlib.sha256()
    first = True
    for row in texts.toLocalIterator(prefetchPartitions=True):
        if not first:
            digest.update(b"\n")
        digest.update(row[0].encode("utf-8"))
        first = False
    return digest.hexdigest()

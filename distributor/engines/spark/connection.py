"""SparkConnection: the DuckDB connection methods programs use, run on a SparkSession.

A program's `score(con, params, epoch)` does not know its engine (docs/design.md §6): it calls
`con.execute(sql, params)`, `con.sql(q).to_arrow_table()` and `con.register(name, table)`.
Here each statement is translated (translate.py) and run by Spark, and results come back
as the Python values DuckDB returns for the same query, because programs compute on them:
DECIMAL(p, 0) (Spark's HUGEINT) → int, other decimals → Decimal of the same scale,
timestamps → naive UTC datetimes. Results are fetched through Arrow (Spark 4
`DataFrame.toArrow`), never `collect()`, which would convert timestamps in the Python
process's local time zone. pyspark is imported at module level: this module is loaded only
when the spark engine is chosen (distributor/engines/__init__.py).

`CREATE TEMP TABLE x AS q` (translated to `CACHE TABLE x AS q`) is materialised with
`localCheckpoint` and named as a temp view: later queries read the rows, not the plan that
made them (DuckDB's temp tables are materialised too; a lazily recomputed view would re-run
every step before it, and its plan would grow with each statement).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import duckdb
import pyarrow as pa
from pyspark.errors import ArithmeticException, NumberFormatException
from pyspark.sql import functions as F

from distributor.engines.spark.translate import CACHE, Translator
from epochdrop.errors import InternalError

_CACHE = re.compile(rf"^{CACHE}\s+(`[^`]+`|\w+)\s+AS\s+(.*)$", re.DOTALL | re.IGNORECASE)


@contextmanager
def duckdb_errors() -> Iterator[None]:
    """Spark's ANSI errors as the DuckDB exceptions programs already catch (an overflow of
    exact 64-bit scoring is an input error there): ArithmeticException → OutOfRangeException,
    NumberFormatException → ConversionException. The message is Spark's first line."""
    try:
        yield
    except ArithmeticException as exc:
        raise duckdb.OutOfRangeException(_first_line(exc)) from exc
    except NumberFormatException as exc:
        raise duckdb.ConversionException(_first_line(exc)) from exc


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _py(value: Any) -> Any:
    """One Arrow scalar's Python value as DuckDB returns it (module docstring)."""
    if isinstance(value, Decimal) and value.as_tuple().exponent == 0:
        return int(value)
    if hasattr(value, "tzinfo") and getattr(value, "tzinfo", None) is not None:
        return value.replace(tzinfo=None)   # Spark's TIMESTAMP is UTC (session time zone)
    return value


def rows_of(table: pa.Table) -> list[tuple]:
    """An Arrow table as DuckDB-style rows (tuples of Python values)."""
    cols = [[_py(v) for v in c.to_pylist()] for c in table.columns]
    return list(zip(*cols)) if cols else []


def duckdb_like(table: pa.Table) -> pa.Table:
    """The Arrow table DuckDB would hand back: every field nullable (DuckDB's are), decimals
    of scale 0 kept as DECIMAL (DuckDB's DECIMAL(38,0)), timestamps without a zone."""
    fields = []
    for f in table.schema:
        typ = f.type
        if pa.types.is_timestamp(typ) and typ.tz is not None:
            typ = pa.timestamp(typ.unit)
        if pa.types.is_large_string(typ):
            typ = pa.string()
        fields.append(pa.field(f.name, typ, nullable=True))
    schema = pa.schema(fields)
    if schema == table.schema:
        return table
    return table.cast(schema)


class Result:
    """What `execute` returns: the rows, fetched once (DuckDB's cursor methods)."""

    def __init__(self, table: pa.Table | None):
        self._rows = rows_of(table) if table is not None else []
        self._at = 0

    def fetchall(self) -> list[tuple]:
        rows, self._at = self._rows[self._at:], len(self._rows)
        return rows

    def fetchone(self) -> tuple | None:
        if self._at >= len(self._rows):
            return None
        self._at += 1
        return self._rows[self._at - 1]


class Relation:
    """What `sql(q)` returns: a lazy query with DuckDB's `to_arrow_table` / `fetchall`."""

    def __init__(self, frame: Any):
        self.frame = frame

    def to_arrow_table(self) -> pa.Table:
        with duckdb_errors():
            return duckdb_like(self.frame.toArrow())

    def arrow(self) -> pa.Table:
        return self.to_arrow_table()

    def fetchall(self) -> list[tuple]:
        with duckdb_errors():
            return rows_of(self.frame.toArrow())


class SparkConnection:
    """DuckDB's connection surface over one SparkSession (module docstring)."""

    kind = "spark"

    def __init__(self, session: Any):
        self.session = session
        self.translator = Translator(source="<query>")
        self.statements: list[str] = []   # the Spark SQL run, in order (`--dry` prints it)
        self._views: set[str] = set()
        self._frames: dict[str, Any] = {}   # name → checkpointed DataFrame (kept alive)

    # -- DuckDB's methods -------------------------------------------------------------
    def execute(self, sql: str, params: list | tuple | dict | None = None) -> Result:
        """Translate and run one statement; positional `?` take a list, `$name` a dict."""
        spark_sql = self.translator.translate(sql)
        if spark_sql is None:        # a macro definition: remembered by the translator
            return Result(None)
        return self._run(spark_sql, params, fetch=True)

    def sql(self, query: str, params: list | tuple | dict | None = None) -> Relation:
        spark_sql = self.translator.translate(query)
        if spark_sql is None or _CACHE.match(spark_sql):
            raise InternalError("con.sql() takes a query; run statements with execute()")
        self.statements.append(spark_sql)
        return Relation(self.session.sql(spark_sql, args=self._args(spark_sql, params)))

    def register(self, name: str, table: pa.Table) -> None:
        """An Arrow table as the temp view `name` (DuckDB's register)."""
        frame = self.session.createDataFrame(table)
        self.create_table(name, frame)

    def close(self) -> None:
        """Drop this connection's views and cached rows (the session stays: one per process)."""
        for name in sorted(self._views):
            self.session.catalog.dropTempView(name)
        self._views.clear()
        for frame in self._frames.values():
            frame.unpersist()
        self._frames.clear()

    # -- Spark-only ---------------------------------------------------------------------
    def execute_spark(self, sql: str, params: list | tuple | dict | None = None) -> Result:
        """Run Spark SQL as it is (no translation): for engine-specific reads (files.py)."""
        return self._run(sql, params, fetch=True)

    def create_table(self, name: str, frame: Any) -> None:
        """A DataFrame, materialised, as the temp view `name` (replacing one of that name)."""
        frame = frame.localCheckpoint(eager=True)
        old = self._frames.pop(name.lower(), None)
        frame.createOrReplaceTempView(name)
        if old is not None:
            old.unpersist()
        self._frames[name.lower()] = frame
        self._views.add(name)

    # -- internals ---------------------------------------------------------------------
    def _run(self, spark_sql: str, params: Any, fetch: bool) -> Result:
        self.statements.append(spark_sql)
        with duckdb_errors():
            return self._run_one(spark_sql, params, fetch)

    def _run_one(self, spark_sql: str, params: Any, fetch: bool) -> Result:
        m = _CACHE.match(spark_sql)
        if m:
            name, query = m.group(1).strip("`"), m.group(2)
            self.create_table(name, self.session.sql(query, args=self._args(query, params)))
            return Result(None)
        frame = self.session.sql(spark_sql, args=self._args(spark_sql, params))
        created = re.match(r"^CREATE\s+(?:OR\s+REPLACE\s+)?TEMPORARY\s+VIEW\s+(\S+)",
                           spark_sql, re.IGNORECASE)
        if created:
            self._views.add(created.group(1).strip("`"))
            return Result(None)
        return Result(frame.toArrow() if fetch else None)

    def _args(self, spark_sql: str, params: Any) -> Any:
        if params is None:
            return None
        if isinstance(params, dict):
            return {k: _literal(v) for k, v in params.items()}
        return [_literal(v) for v in params]


def _literal(value: Any) -> Any:
    """A bound value as Spark takes it: a Python list becomes an array Column (Spark's
    `args` take literals and Columns); the rest as is (ints, strings, dates, decimals)."""
    if isinstance(value, (list, tuple)):
        if not value:
            return F.array()   # Spark takes only literals and constructors: array<void>
        return F.array(*[F.lit(v) for v in value])
    return value


__all__ = ["Relation", "Result", "SparkConnection", "duckdb_like", "rows_of"]

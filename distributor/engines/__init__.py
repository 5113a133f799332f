"""Engines: where a program's SQL runs — DuckDB in process (the default) or Spark.

`open_engine` yields a connection with DuckDB's methods (docs/design.md §6): DuckDB's own
`duckdb.connect(":memory:")`, or a `SparkConnection` over the process's SparkSession. The
programs, the runner and the input loading use only that surface; `kind_of` tells the few
engine-specific reads (distributor/inputs.py, engines/spark/files.py) which one they hold,
without importing pyspark on the DuckDB path.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

import duckdb

from epochdrop.config import EngineConfig  # the [engine] section; re-exported here
from epochdrop.errors import InternalError


def kind_of(con: Any) -> Literal["duckdb", "spark"]:
    """"duckdb" or "spark" for a connection open_engine yielded."""
    if isinstance(con, duckdb.DuckDBPyConnection):
        return "duckdb"
    if getattr(con, "kind", None) == "spark":
        return "spark"
    raise InternalError(f"not an engine connection: {type(con).__name__}")


@contextmanager
def open_engine(cfg: EngineConfig | None = None, threads: int | None = None
                ) -> Iterator[Any]:
    """A connection on the configured engine, closed afterwards. On Spark the session is
    the process's (started on first use, kept for the next score); `threads` is DuckDB's."""
    cfg = cfg or EngineConfig()
    if cfg.kind == "duckdb":
        con = duckdb.connect(":memory:")
        try:
            if threads:
                con.execute(f"SET threads = {int(threads)}")
            yield con
        finally:
            con.close()
        return
    # the spark engine is an optional extra: imported only when chosen
    from distributor.engines.spark.connection import SparkConnection
    from distributor.engines.spark.session import get_session

    con = SparkConnection(get_session(cfg.master, dict(cfg.conf)))
    try:
        yield con
    finally:
        con.close()


__all__ = ["EngineConfig", "kind_of", "open_engine"]

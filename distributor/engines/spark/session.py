"""One SparkSession per process, configured so Spark computes what DuckDB computes.

Why one: a JVM takes seconds to start and holds hundreds of MB, so every score in a process
(and every test of a session, tests/conftest.py `spark_engine`) shares it; a different master
stops the old session first. `stop_session` ends the py4j gateway JVM too, so nothing
outlives the caller (the suite's orphan check).

The conf makes results exact and engine-independent (docs/design.md §6): ANSI mode (an
overflow is an error, never a silent NULL that would pay someone zero), UTC session time
zone (timestamps are naive UTC as in DuckDB), no decimal precision loss, loopback driver for
local masters, few shuffle partitions on a small machine, no UI. The config's `[engine]
conf` table is applied last and wins.
"""

from __future__ import annotations

import os
from typing import Any

from epochdrop.errors import UserError
from epochdrop.spark import JAVA_HINT, PYSPARK_HINT, is_local, require, stop_jvm

CONNECT_HINT = "a Spark Connect master (sc://) needs its client: pip install 'pyspark[connect]'"

_session: Any = None
_master: str | None = None


def is_connect(master: str) -> bool:
    """A Spark Connect URL (`sc://host:15002`): a remote session, no local JVM."""
    return master.startswith("sc://")


def local_cores(master: str) -> int:
    """The cores a local master runs on: local → 1, local[N] → N, local[*] → all."""
    inner = master[len("local["):-1] if master.startswith("local[") else "1"
    if inner.split(",")[0].strip() in ("*", ""):
        return os.cpu_count() or 1
    try:
        return max(1, int(inner.split(",")[0]))
    except ValueError:
        return os.cpu_count() or 1


def spark_conf(master: str, conf: dict[str, str] | None = None) -> dict[str, str]:
    """The conf a session starts with: exactness first, the user's table last."""
    out = {
        "spark.sql.ansi.enabled": "true",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.decimalOperations.allowPrecisionLoss": "false",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.adaptive.enabled": "true",
    }
    if is_local(master):
        cores = local_cores(master)
        out.update({
            "spark.driver.host": "127.0.0.1",
            "spark.driver.bindAddress": "127.0.0.1",
            "spark.sql.shuffle.partitions": str(2 * cores),
            "spark.default.parallelism": str(2 * cores),
            # the driver is the whole local cluster, and the content hash streams every
            # input row's text through it (engines/spark/files.py): Spark's 1g default
            # runs out of heap at 1M rows (measured)
            "spark.driver.memory": "4g",
        })
    out.update({str(k): str(v) for k, v in (conf or {}).items()})
    return out


def get_session(master: str = "local[*]", conf: dict[str, str] | None = None):
    """The process's SparkSession on `master` (started on first use, reused after)."""
    global _session, _master
    require(java=not is_connect(master))
    if _session is not None and _master == master:
        return _session
    if _session is not None:
        stop_session()
    # heavy optional dependency: imported only when the spark engine is chosen
    from pyspark.sql import SparkSession

    settings = spark_conf(master, conf)
    if is_connect(master):
        # Spark Connect: only SQL conf can be set from a client (the server owns the rest)
        try:
            builder = SparkSession.builder.remote(master)
        except ImportError as exc:
            raise UserError(f"{CONNECT_HINT} ({exc})") from None
        settings = {k: v for k, v in settings.items() if k.startswith("spark.sql.")}
    else:
        builder = SparkSession.builder.master(master).appName("epochdrop")
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        _session = builder.getOrCreate()
    except ImportError as exc:   # pyspark's Spark Connect client lacks grpc / pandas
        raise UserError(f"{CONNECT_HINT} ({exc})") from None
    if not is_connect(master):
        _session.sparkContext.setLogLevel("WARN")
    _master = master
    return _session


def stop_session() -> None:
    """Stop the session and end the py4j gateway's JVM process (waited for)."""
    global _session, _master
    if _session is None:
        return
    connect = _master is not None and is_connect(_master)
    session, _session, _master = _session, None, None
    stop_jvm(session, gateway_too=not connect)


__all__ = ["CONNECT_HINT", "JAVA_HINT", "PYSPARK_HINT", "get_session", "require", "spark_conf",
           "stop_session"]

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
import shutil
from typing import Any

from epochdrop.errors import UserError

PYSPARK_HINT = "the spark engine needs pyspark: pip install 'epochdrop[spark]'"
JAVA_HINT = ("the spark engine needs Java 17: install Debian's openjdk-17-jre-headless "
             "(apt-get install openjdk-17-jre-headless) or set JAVA_HOME")

_session: Any = None
_master: str | None = None


def require() -> None:
    """One UserError line saying what to install when pyspark or java is missing."""
    try:
        import pyspark  # noqa: F401  (optional extra: imported only to check it is there)
    except ImportError:
        raise UserError(PYSPARK_HINT) from None
    home = os.environ.get("JAVA_HOME")
    if not (home and os.access(os.path.join(home, "bin", "java"), os.X_OK)) \
            and shutil.which("java") is None:
        raise UserError(JAVA_HINT)


def is_local(master: str) -> bool:
    return master == "local" or master.startswith("local[")


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
        cores = os.cpu_count() or 1
        out.update({
            "spark.driver.host": "127.0.0.1",
            "spark.driver.bindAddress": "127.0.0.1",
            "spark.sql.shuffle.partitions": str(2 * cores),
            "spark.default.parallelism": str(2 * cores),
        })
    out.update({str(k): str(v) for k, v in (conf or {}).items()})
    return out


def get_session(master: str = "local[*]", conf: dict[str, str] | None = None):
    """The process's SparkSession on `master` (started on first use, reused after)."""
    global _session, _master
    require()
    if _session is not None and _master == master:
        return _session
    if _session is not None:
        stop_session()
    # heavy optional dependency: imported only when the spark engine is chosen
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master(master).appName("epochdrop")
    for key, value in spark_conf(master, conf).items():
        builder = builder.config(key, value)
    _session = builder.getOrCreate()
    _session.sparkContext.setLogLevel("WARN")
    _master = master
    return _session


def stop_session() -> None:
    """Stop the session and end the py4j gateway's JVM process (waited for)."""
    global _session, _master
    if _session is None:
        return
    # imported with the session (heavy optional dependency)
    from pyspark import SparkContext

    try:
        _session.stop()
    finally:
        _session, _master = None, None
        gateway = SparkContext._gateway
        if gateway is not None:
            proc = getattr(gateway, "proc", None)
            try:
                gateway.shutdown()
            finally:
                if proc is not None:
                    if proc.poll() is None:
                        proc.terminate()
                    try:
                        proc.wait(timeout=30)
                    except Exception:   # noqa: BLE001 — a JVM deaf to SIGTERM is killed
                        proc.kill()
                        proc.wait()
            SparkContext._gateway = None
            SparkContext._jvm = None


__all__ = ["JAVA_HINT", "PYSPARK_HINT", "get_session", "require", "spark_conf", "stop_session"]

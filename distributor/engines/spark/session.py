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
import subprocess
from typing import Any

from epochdrop.errors import UserError

PYSPARK_HINT = "the spark engine needs pyspark: pip install 'epochdrop[spark]'"
JAVA_HINT = ("the spark engine needs Java 17: install Debian's openjdk-17-jre-headless "
             "(apt-get install openjdk-17-jre-headless) or set JAVA_HOME")

CONNECT_HINT = "a Spark Connect master (sc://) needs its client: pip install 'pyspark[connect]'"

_session: Any = None
_master: str | None = None


def require(java: bool = True) -> None:
    """One UserError line saying what to install when pyspark or java is missing (a Spark
    Connect client, `java=False`, runs no JVM of its own)."""
    try:
        import pyspark  # noqa: F401  (optional extra: imported only to check it is there)
    except ImportError:
        raise UserError(PYSPARK_HINT) from None
    if not java:
        return
    home = os.environ.get("JAVA_HOME")
    if not (home and os.access(os.path.join(home, "bin", "java"), os.X_OK)) \
            and shutil.which("java") is None:
        raise UserError(JAVA_HINT)


def is_connect(master: str) -> bool:
    """A Spark Connect URL (`sc://host:15002`): a remote session, no local JVM."""
    return master.startswith("sc://")


def is_local(master: str) -> bool:
    return master == "local" or master.startswith("local[")


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
    # imported with the session (heavy optional dependency)
    from pyspark import SparkContext

    connect = _master is not None and is_connect(_master)
    try:
        _session.stop()
    finally:
        _session, _master = None, None
        gateway = None if connect else SparkContext._gateway
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
                    except subprocess.TimeoutExpired:   # a JVM deaf to SIGTERM is killed
                        proc.kill()
                        proc.wait()
            SparkContext._gateway = None
            SparkContext._jvm = None


__all__ = ["CONNECT_HINT", "JAVA_HINT", "PYSPARK_HINT", "get_session", "require", "spark_conf",
           "stop_session"]

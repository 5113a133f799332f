"""What every Spark user in epochdrop shares: the install check and a clean stop.

Two parts start a SparkSession — the scoring engine (distributor/engines/spark/session.py:
SQL conf for exact, DuckDB-equal results) and `index --engine spark` (indexer/
spark_session.py: tasks that run the listener). They differ in conf, not in what must hold
for both: a missing pyspark or Java is one line saying what to install (issue 18), and a
stopped session leaves no JVM behind (the py4j gateway process is ended and waited for;
the suite's orphan check, issue 20). Neither may import the other (docs/design.md §1), so
this lives in the shared base. pyspark is imported only inside the functions.
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


def require(java: bool = True) -> None:
    """One UserError line saying what to install when pyspark (or, with `java`, a Java
    runtime: JAVA_HOME/bin/java or `java` on PATH) is missing."""
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


def is_local(master: str) -> bool:
    """`local`, `local[N]`, `local[*]`: Spark in this process's JVM."""
    return master == "local" or master.startswith("local[")


def on_loopback(master: str) -> bool:
    """The driver should bind to 127.0.0.1: a local master or a cluster on this machine."""
    if is_local(master):
        return True
    host = master.split("://", 1)[-1].split(":", 1)[0]
    return host in ("127.0.0.1", "localhost")


def stop_jvm(session: Any, gateway_too: bool = True) -> None:
    """Stop `session` and (unless it is a Spark Connect client, which has none) end the
    py4j gateway's JVM process, waited for; a JVM deaf to SIGTERM is killed."""
    # imported with the session (heavy optional dependency)
    from pyspark import SparkContext

    try:
        session.stop()
    finally:
        gateway = SparkContext._gateway if gateway_too else None
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
                    except subprocess.TimeoutExpired:
                        proc.kill()
                        proc.wait()
            SparkContext._gateway = None
            SparkContext._jvm = None


__all__ = ["JAVA_HINT", "PYSPARK_HINT", "is_local", "on_loopback", "require", "stop_jvm"]

"""The SparkSession `index --engine spark` runs on: started, pointed at our code, stopped.

Small on purpose and kept in indexer/ because the indexer may not import distributor
(docs/design.md §1; distributor/engines/spark/session.py is the scoring engine's session).
It needs no SQL settings, only: the master, an app name, quiet logs, a loopback driver when
the master is on this machine, and the executors pointed at the indexer code the driver runs.

Why the executors' PYTHONPATH starts with the driver's code folder: an executor must run the
very listener code the driver runs, and its Python could otherwise import another copy (an
editable install of another checkout, an older install on a node). Not a zip shipped with
`addPyFile`: the datasets read their ABIs from `contracts_abi/` next to the packages, which
a zip import cannot open. So on a cluster the code is either at the same path on every node
(a shared checkout, as the store must be shared) or installed there with its dependencies:
`pip install 'epochdrop[spark]'` (docs/scale.md).

A session already running in this process (e.g. the scoring engine's) is reused and left
running; one started here is stopped with its JVM (the suite's orphan check, issue 20).
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from epochdrop.spark import JAVA_HINT, PYSPARK_HINT, on_loopback, require, stop_jvm

def python_exec() -> str:
    """The interpreter tasks run in: PYSPARK_PYTHON when the cluster names one, else this
    one (its packages: pyarrow, httpx, eth-abi ...)."""
    return os.environ.get("PYSPARK_PYTHON", sys.executable)


def conf_for(master: str) -> dict[str, str]:
    out = {"spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false",
           "spark.python.worker.reuse": "true",
           "spark.pyspark.python": python_exec()}
    if on_loopback(master):
        out.update({"spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1"})
    return out


def code_root() -> Path:
    """The folder holding the `indexer` package this process imported."""
    import indexer

    return Path(indexer.__file__).resolve().parents[1]


@contextmanager
def spark_context(master: str) -> Iterator:
    """The SparkContext to run chunk tasks on; stopped on exit if started here."""
    require()
    # heavy optional dependency: imported only when --engine spark is chosen
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    owned = SparkContext._active_spark_context is None
    builder = SparkSession.builder.master(master).appName("epochdrop-index")
    for k, v in conf_for(master).items():
        builder = builder.config(k, v)
    session = builder.getOrCreate()
    sc = session.sparkContext
    try:
        if owned:
            sc.setLogLevel("ERROR")
        # both read for every Python function Spark ships from now on (pyspark's rdd.py);
        # pyspark takes the interpreter from PYSPARK_PYTHON only, else "python3" (not ours)
        sc.pythonExec = python_exec()
        sc.environment["PYTHONPATH"] = os.pathsep.join(
            [str(code_root())] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])
        yield sc
    finally:
        if owned:
            stop(session)


def stop(session) -> None:
    """Stop the session and end its JVM (epochdrop/spark.py)."""
    stop_jvm(session)


__all__ = ["JAVA_HINT", "PYSPARK_HINT", "code_root", "conf_for", "require", "spark_context", "stop"]

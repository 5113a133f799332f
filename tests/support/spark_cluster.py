"""A real Spark standalone cluster on loopback for tests and benches (issue 18).

A master and N workers, each launched with pyspark's own `bin/spark-class` (the pip package
carries the scripts and jars, so nothing is installed by hand), stopped afterwards by process
id. Jobs are submitted by pointing a SparkSession at `cluster.master_url`
(`spark://127.0.0.1:PORT`). `executor_pids()` lists the executor JVMs the workers started,
so a test can kill one mid-run (acceptance: "one executor killed mid-run").

Why not `sbin/start-master.sh`: those scripts daemonise (the pid is in a file, the process is
no child of ours), and the suite's orphan check (tests/conftest.py) wants every process it
starts to be its descendant.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import descendants   # /proc walk, shared with the orphan check


def spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).resolve().parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, proc: subprocess.Popen, log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"spark process exited ({proc.returncode}): "
                               f"{log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"port {port} not open after {timeout:.0f} s: {log.read_text()[-2000:]}")


class Cluster:
    """A running master and workers (see `standalone_cluster`)."""

    def __init__(self, master_url: str, master: subprocess.Popen,
                 workers: list[subprocess.Popen], logs: Path):
        self.master_url, self.master, self.workers, self.logs = master_url, master, workers, logs

    def executor_pids(self) -> list[int]:
        """Executor JVMs (CoarseGrainedExecutorBackend) the workers have started, by pid."""
        pids = []
        for w in self.workers:
            pids += [pid for pid, cmd in descendants(w.pid).items()
                     if "CoarseGrainedExecutorBackend" in cmd]
        return sorted(pids)

    def wait_executors(self, n: int, timeout: float = 60.0) -> list[int]:
        """Block until `n` executors run (a session was submitted); their pids."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pids = self.executor_pids()
            if len(pids) >= n:
                return pids
            time.sleep(0.3)
        raise RuntimeError(f"{len(self.executor_pids())} of {n} executors after {timeout:.0f} s")

    def kill_executor(self, pid: int | None = None) -> int:
        """SIGKILL one executor JVM (the first when `pid` is None); its pid."""
        pid = pid if pid is not None else self.executor_pids()[0]
        os.kill(pid, signal.SIGKILL)
        return pid

    def stop(self) -> None:
        """Stop workers, then the master; each by its pid, with the executors they started."""
        for proc in [*self.workers, self.master]:
            kids = [p for p in self.executor_pids()] if proc in self.workers else []
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)
            for pid in kids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass


@contextmanager
def standalone_cluster(workdir: Path, workers: int = 2, cores: int = 1, memory: str = "1g"):
    """Start a master and `workers` workers on 127.0.0.1; yield a `Cluster`; stop them all.

    Executors run this interpreter (PYSPARK_PYTHON) so Python tasks see the same packages.
    """
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    home = spark_home()
    env = {**os.environ, "SPARK_HOME": str(home), "SPARK_LOCAL_IP": "127.0.0.1",
           "PYSPARK_PYTHON": sys.executable, "SPARK_WORKER_DIR": str(workdir / "work"),
           "SPARK_LOG_DIR": str(workdir / "logs")}
    spark_class = str(home / "bin" / "spark-class")
    port, ui = _free_port(), _free_port()
    log = workdir / "master.log"
    master = subprocess.Popen(
        [spark_class, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
         "--port", str(port), "--webui-port", str(ui)],
        env=env, stdout=open(log, "wb"), stderr=subprocess.STDOUT)
    procs: list[subprocess.Popen] = []
    cluster = Cluster(f"spark://127.0.0.1:{port}", master, procs, workdir)
    try:
        _wait_port(port, master, log)
        for i in range(workers):
            wlog = workdir / f"worker{i}.log"
            wport = _free_port()
            w = subprocess.Popen(
                [spark_class, "org.apache.spark.deploy.worker.Worker", cluster.master_url,
                 "--host", "127.0.0.1", "--port", str(wport), "--webui-port", str(_free_port()),
                 "--cores", str(cores), "--memory", memory,
                 "--work-dir", str(workdir / f"work{i}")],
                env=env, stdout=open(wlog, "wb"), stderr=subprocess.STDOUT)
            procs.append(w)
            _wait_port(wport, w, wlog)
        _wait_registered(log, workers)
        yield cluster
    finally:
        cluster.stop()


def _wait_registered(log: Path, workers: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.read_text(errors="replace").count("Registering worker") >= workers:
            return
        time.sleep(0.3)
    raise RuntimeError(f"workers did not register with the master: {log.read_text()[-2000:]}")

"""Kill `epochdrop index` with SIGKILL 5 times mid-run: 5 s later no decode worker of any run
is alive (issue 20, acceptance "no orphans"; the workers arm PR_SET_PDEATHSIG).

Before the fix, one run of the suite left 20 `epochdrop.cli index erc20_transfers` workers
behind, ~85 MB each. Here each run's worker pids are read from /proc while it indexes (its
children), the run is SIGKILLed, and every pid seen must be gone (or a zombie: exited, not
yet reaped by the test process, which is a subreaper — see tests/conftest.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.support.evm import REPO, Anvil, deploy
from tests.support.faultproxy import FaultProxy
from tests.support.indexer import artifacts

pytestmark = pytest.mark.xdist_group("evm_listener_crash")
KILLS = 5


def _children(pid: int) -> list[int]:
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2:].split()[1]) == pid:
                out.append(int(name))
    return out


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2:].split()[0] != "Z"


def test_sigkilled_index_leaves_no_worker(tmp_path):
    with Anvil() as node:
        spam = deploy(node.w3, artifacts()["TransferSpammer"])
        for i in range(40):
            spam.functions.spam(100, i * 10_000 + 1).transact()
            node.mine(20)
        node.mine(100)
        # a slow proxy keeps every run indexing for many seconds: kills land mid-run
        with FaultProxy(node.url, rate=0.0, max_range=8, delay=0.05) as proxy:
            seen: set[int] = set()
            for k in range(KILLS):
                proc = subprocess.Popen(
                    [sys.executable, "-m", "pipeline.cli", "index", "erc20_transfers",
                     "--contracts", spam.address, "--chunk-rows", "60", "--range", "8",
                     "--workers", "2", "--rpc", proxy.url, "--store", str(tmp_path / "st")],
                    cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                deadline = time.time() + 120
                workers: list[int] = []
                while time.time() < deadline and proc.poll() is None:
                    workers = [c for c in _children(proc.pid) if _alive(c)]
                    if len(workers) >= 2:
                        break
                    time.sleep(0.05)
                assert proc.poll() is None, proc.stderr.read().decode()
                assert len(workers) >= 2, "the run never started its decode workers"
                time.sleep(0.3 + 0.2 * k)          # into the indexing
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=30)
                proc.stderr.close()
                seen.update(workers)
            time.sleep(5)
            alive = [p for p in seen if _alive(p)]
            for p in alive:                       # do not leave them to the next test
                os.kill(p, signal.SIGKILL)
            assert alive == [], f"{len(alive)} of {len(seen)} decode workers outlived their index"
            assert len(seen) >= 2 * KILLS

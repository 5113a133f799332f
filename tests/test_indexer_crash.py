"""Acceptance 4: SIGKILL at random moments (≥ 10 times), restart, and the store equals an
uninterrupted run's: no duplicate, no gap, no partial file."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time

import pytest

from tests.support.evm import REPO, Anvil, deploy
from tests.support.faultproxy import FaultProxy
from tests.support.indexer import artifacts, rows_of, run_cli

pytestmark = pytest.mark.xdist_group("evm_listener_crash")


def _position(store, tok):
    from indexer import checkpoint as ckpt
    cp = ckpt.load(store, "erc20_transfers", 31337, ckpt.contract_set_tag([tok]))
    return -1 if cp is None else cp.position


def test_sigkill_at_random_moments_then_restart(tmp_path):
    rng = random.Random(42)
    with Anvil() as node:
        spam = deploy(node.w3, artifacts()["TransferSpammer"])
        for i in range(60):
            spam.functions.spam(rng.randrange(20, 200), i * 10_000 + 1).transact()
            node.mine(rng.randrange(10, 80))
        node.mine(200)
        args = ["index", "erc20_transfers", "--contracts", spam.address, "--chunk-rows", "60",
                "--range", "8"]
        clean, crashy = tmp_path / "clean", tmp_path / "crashy"
        assert run_cli(*args, "--rpc", node.url, "--store", str(clean)).returncode == 0
        expected = rows_of(clean, "erc20_transfers")
        assert len(expected) > 5000

        # The proxy's delay makes the whole run take ~10 s while ten kills cost ~5.5 s of it
        # on average, so the tenth kill still lands mid-run on an idle machine.
        with FaultProxy(node.url, rate=0.0, max_range=8, delay=0.03) as proxy:
            kills, progressed, last = 0, 0, -1
            while kills < 10:
                proc = subprocess.Popen([sys.executable, "-m", "pipeline.cli", *args, "--rpc",
                                         proxy.url, "--store", str(crashy)], cwd=REPO,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                # a random moment after the run started working (its run report appears
                # when the checks are done), so kills land in the indexing, not in imports
                deadline = time.time() + 30
                while (len(list(crashy.glob("_runs/incomplete_*.json"))) <= kills
                       and proc.poll() is None and time.time() < deadline):
                    time.sleep(0.01)
                if kills % 2:
                    # every other kill waits until this run has committed progress of its
                    # own first, so on a loaded machine (slow start-up) kills still land
                    # inside the indexing rather than all before its first checkpoint
                    while (_position(crashy, spam.address) <= last and proc.poll() is None
                           and time.time() < deadline):
                        time.sleep(0.01)
                time.sleep(rng.uniform(0.1, 1.0))
                if proc.poll() is not None:
                    break                      # finished before the kill: no more work to cut
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                kills += 1
                pos = _position(crashy, spam.address)
                progressed += pos > last
                last = pos
            assert kills >= 10 and progressed >= 3, (kills, progressed)
            done = run_cli(*args, "--rpc", proxy.url, "--store", str(crashy))
            assert done.returncode == 0, done.stderr
        got = rows_of(crashy, "erc20_transfers")
        assert len({(r["block_number"], r["log_index"]) for r in got}) == len(got)   # no duplicate
        assert got == expected                                                       # no gap
        assert not [p for p in crashy.rglob("*") if ".partial." in p.name or ".tmp-" in p.name]
        runs = list((crashy / "_runs").glob("incomplete_*.json"))
        assert len(runs) == kills          # each killed run left its evidence (STYLE 3)
        json.loads(runs[0].read_text())

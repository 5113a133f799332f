"""Faults and crashes leave the same store as a clean run (issue 5, acceptance 3).

The loopback server fails ≥ 20% of HTTP requests (429 with Retry-After, 500/502/503, stalls
longer than the client timeout, truncated JSON, connections cut mid-body); the listener retries
through indexer/retry.py and must end with the rows of a clean run. Then the CLI is SIGKILLed
at random moments at least ten times and restarted; the finished store must again hold exactly
the clean run's rows (DECISIONS D10: same rows; chunk boundaries may differ).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest

from indexer import checkpoint
from indexer.retry import RetryPolicy
from indexer.solana.listener import index_program
from indexer.solana.rpc import SolanaRpc
from indexer.store import Store
from tests.support.solana_ledger import JET, jet_scenario
from tests.support.solana_rpc import Faults, SolanaRpcServer

FAST = RetryPolicy(attempts=60, base_delay=0.002, max_delay=0.02, max_total=60)


def all_rows(store):
    out = {}
    for name in ("clob_order_events", "clob_markets"):
        t = Store(store).read(name)
        out[name] = [] if t is None else sorted(
            t.to_pylist(), key=lambda r: (r["signature"], r["event_index"]))
    return out


@pytest.fixture(scope="module")
def ledger():
    return jet_scenario(seed=21, n_steps=700)


def test_faults_on_a_quarter_of_calls_give_the_clean_store(ledger, tmp_path):
    lg, events, _ = ledger
    with SolanaRpcServer(lg) as srv:
        index_program(SolanaRpc(srv.url), JET, tmp_path / "clean", chunk_txs=100)
    faults = Faults(rate=0.25, seed=3, stall_s=0.4)
    with SolanaRpcServer(lg, faults) as srv:
        rpc = SolanaRpc(srv.url, timeout=0.15, policy=FAST, batch=10, concurrency=3)
        index_program(rpc, JET, tmp_path / "faulty", chunk_txs=40)
        share = sum(faults.counts.values()) / srv.requests
    assert share >= 0.20, faults.counts
    assert set(faults.counts) == set(faults.kinds), faults.counts      # every kind happened
    clean = all_rows(tmp_path / "clean")
    assert len(clean["clob_order_events"]) == len(events)
    assert all_rows(tmp_path / "faulty") == clean


def _wait_for_work(store, pid: int, limit: float = 20.0) -> bool:
    """True once process `pid` has started its run report (imports done, work begun)."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if list((store / "_runs").glob(f"incomplete_solana_index_*_{pid}.json")):
            return True
        time.sleep(0.01)
    return False


@pytest.mark.slow
def test_sigkill_and_restart_ten_times(ledger, tmp_path):
    lg, events, _ = ledger
    rng = random.Random(5)
    store = tmp_path / "killed"
    with SolanaRpcServer(lg, delay_s=0.02) as srv:
        index_program(SolanaRpc(srv.url), JET, tmp_path / "clean", chunk_txs=100)
        cmd = [sys.executable, "-m", "pipeline.cli", "solana", "index", "--rpc", srv.url,
               "--store", str(store), "--chunk-txs", "15", "--batch", "4", "--concurrency", "1"]
        kills, progress = 0, []
        for _ in range(40):
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            _wait_for_work(store, proc.pid)
            time.sleep(rng.random() * 0.8)             # somewhere in the work (or a write)
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
                kills += 1
                cp = checkpoint.load(store, "clob_order_events", "solana-local",
                                     checkpoint.contract_set_tag([JET]))
                progress.append(cp.position if cp else None)
            else:
                assert proc.returncode == 0, proc.stderr.read().decode()
            if kills >= 10 and len({p for p in progress if p is not None}) >= 5:
                break
        assert kills >= 10
        moved = [p for p in progress if p is not None]
        assert len(set(moved)) >= 5, progress          # killed at many different points
        assert moved == sorted(moved)
        final = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        assert final.returncode == 0, final.stderr
    assert all_rows(store) == all_rows(tmp_path / "clean")
    parts = list((store / "clob_order_events").rglob("*"))
    assert not [p for p in parts if ".partial." in p.name]


def test_governance_snapshot_under_faults_equals_clean(tmp_path):
    from indexer.solana.gov_listener import index_realm
    from tests.support.solana_ledger import GOV, governance_scenario

    lg, realm, _, votes = governance_scenario(seed=8, n_props=8, n_voters=20)
    with SolanaRpcServer(lg) as srv:
        index_realm(SolanaRpc(srv.url), GOV, realm, tmp_path / "clean")
    faults = Faults(rate=0.3, seed=4, stall_s=0.4)
    with SolanaRpcServer(lg, faults) as srv:
        index_realm(SolanaRpc(srv.url, timeout=0.15, policy=FAST), GOV, realm, tmp_path / "faulty")
    assert sum(faults.counts.values()) >= 3
    for name in ("governance_votes", "governance_proposals"):
        a = Store(tmp_path / "clean").read(name)
        b = Store(tmp_path / "faulty").read(name)
        assert a.num_rows > 0 and a.equals(b)
    assert Store(tmp_path / "clean").read("governance_votes").num_rows == len(votes)

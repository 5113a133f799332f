"""Acceptance 3: through a proxy injecting 429s, 502s, stalls, truncated bodies and range
errors on ≥ 20% of calls, the store is identical (D10: same rows) to a clean run."""

from __future__ import annotations

import pytest

from tests.support.faultproxy import FAULTS, FaultProxy
from tests.support.indexer import ListenerWorld, rows_of, run_cli

pytestmark = pytest.mark.xdist_group("evm_listener_faults")


def test_faulty_rpc_gives_the_clean_store(tmp_path):
    with ListenerWorld(seed=11, actions=120) as w:
        sets = {"erc20_transfers": [w.token_a.address, w.token_b.address],
                "dhedge_withdrawals": [p.address for p in w.pools],
                "curve_swaps": [w.curve.address, w.crypto.address]}
        clean, faulty = tmp_path / "clean", tmp_path / "faulty"
        for ds, cs in sets.items():
            assert run_cli("index", ds, "--rpc", w.node.url, "--store", str(clean),
                           "--contracts", ",".join(cs)).returncode == 0
        assert run_cli("index", "blocks", "--rpc", w.node.url, "--store", str(clean)).returncode == 0
        with FaultProxy(w.node.url, rate=0.3, seed=5, stall=1.5, max_range=150) as proxy:
            for k, (ds, cs) in enumerate(sets.items()):
                workers = ["--workers", "2"] if k % 2 == 0 else []   # both decode paths
                proc = run_cli("index", ds, "--rpc", proxy.url, "--store", str(faulty),
                               "--contracts", ",".join(cs), "--timeout", "1", "--retries", "12",
                               *workers)
                assert proc.returncode == 0, proc.stderr
            proc = run_cli("index", "blocks", "--rpc", proxy.url, "--store", str(faulty),
                           "--timeout", "1", "--retries", "12")
            assert proc.returncode == 0, proc.stderr
        assert proxy.fault_share >= 0.2, proxy.stats
        assert all(proxy.stats[f] > 0 for f in FAULTS), proxy.stats
        for ds in sets:
            assert rows_of(faulty, ds) == rows_of(clean, ds) and rows_of(clean, ds)
        assert rows_of(faulty, "blocks", ("block_number",)) == rows_of(clean, "blocks", ("block_number",))


def test_exhausted_retries_are_a_clear_failure(tmp_path):
    with ListenerWorld(seed=3, actions=5) as w:
        with FaultProxy(w.node.url, rate=1.0, seed=2, stall=0.3) as proxy:
            proc = run_cli("index", "erc20_transfers", "--rpc", proxy.url, "--store",
                           str(tmp_path / "s"), "--timeout", "0.2", "--retries", "3")
    assert proc.returncode == 1
    line = proc.stderr.strip().splitlines()[-1]
    assert line.startswith("error: ") and "gave up after 3 attempts" in line

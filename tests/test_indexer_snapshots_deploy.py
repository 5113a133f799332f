"""Snapshot days whose block predates a contract's deployment (a real anvil node).

Indexing from block 0 (the default) reaches days before a pool, lockup or Curve pool existed;
there eth_call answers "0x" (no code, nothing to run). The rule (indexer/evm/snapshots.py):
a contract with no code at a day's block held nothing that day: pool_snapshots and
curve_liquidity write no rows for it, vdht_snapshots writes vdht = 0 — what the same
contracts report when deployed and empty — and the run goes on to the days after.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from indexer.evm.multicall import install as install_multicall3
from tests.support.evm import Anvil, deploy
from tests.support.indexer import artifacts, rows_of, run_cli

pytestmark = pytest.mark.xdist_group("evm_snapshots_deploy")

DAY = 86_400


def _next_day(node) -> None:
    node.rpc("evm_increaseTime", [hex(DAY)])
    node.mine(3)


def _day_block(w3, day_ts: int) -> int:
    """First block at/after `day_ts`, by a plain scan."""
    n = 0
    while w3.eth.get_block(n).timestamp < day_ts:
        n += 1
    return n


@pytest.mark.parametrize("multicall", [False, True], ids=["plain-eth_call", "multicall3"])
def test_days_before_deployment_read_as_empty(tmp_path, multicall) -> None:
    """Both read paths (indexer/evm/multicall.py): plain batched eth_calls on a node without
    Multicall3, and aggregate3 where its code sits at the canonical address — with no-code
    targets and reverts inside one aggregate."""
    with Anvil("--timestamp", "1700000000") as node:
        w3, art = node.w3, artifacts()
        if multicall:
            install_multicall3(node.rpc)
        people = [w3.eth.accounts[i] for i in (3, 4, 5)]
        node.mine(5)
        _next_day(node)                                   # day 1: nothing deployed yet
        tok_a = deploy(w3, art["TestToken"], "A", "A", 18)
        tok_b = deploy(w3, art["TestToken"], "B", "B", 6)
        early = deploy(w3, art["MockPoolLogic"])
        curve = deploy(w3, art["MockCurvePool"], [tok_a.address, tok_b.address], [10**24, 10**12])
        early.functions.deposit(people[0], tok_a.address, 5, 5, 10**18).transact()
        _next_day(node)                                   # day 2: early pool and curve only
        late = deploy(w3, art["MockPoolLogic"])
        lockup = deploy(w3, art["MockVotingLockup"])
        crypto = deploy(w3, art["MockCryptoPool"], [tok_b.address, tok_a.address], [10**12, 10**24])
        late.functions.deposit(people[1], tok_a.address, 5, 5, 2 * 10**18).transact()
        lockup.functions.lock(people[2], 7 * 10**18, 2**40, 1, 3 * 10**18).transact()
        _next_day(node)                                   # day 3: everything
        node.mine(2)

        store = str(tmp_path / "store")
        pools = f"{early.address},{late.address}"
        for ds, cs in (("dhedge_deposits", pools), ("pool_token_transfers", pools),
                       ("vdht_locks", lockup.address)):
            r = run_cli("index", ds, "--rpc", node.url, "--store", store, "--contracts", cs)
            assert r.returncode == 0, r.stderr
        for ds, cs in (("pool_snapshots", pools), ("vdht_snapshots", lockup.address),
                       ("curve_liquidity", f"{curve.address},{crypto.address}")):
            r = run_cli("index", ds, "--rpc", node.url, "--store", store, "--contracts", cs)
            assert r.returncode == 0, r.stderr

        t0 = w3.eth.get_block(0).timestamp
        midnights = [-(-t0 // DAY) * DAY + k * DAY for k in range(3)]
        days = [datetime.fromtimestamp(d, timezone.utc).date() for d in midnights]
        blocks = [_day_block(w3, d) for d in midnights]

        ps = rows_of(tmp_path / "store", "pool_snapshots", key=("day", "pool"))
        assert sorted((r["day"], r["block_number"], r["pool"], r["investor"], r["balance"])
                      for r in ps) == sorted([
            (days[1], blocks[1], early.address, people[0], str(10**18)),
            (days[2], blocks[2], early.address, people[0], str(10**18)),
            (days[2], blocks[2], late.address, people[1], str(2 * 10**18))])

        vs = rows_of(tmp_path / "store", "vdht_snapshots", key=("day", "investor"))
        assert sorted((r["day"], r["investor"], r["vdht"]) for r in vs) == sorted([
            (days[1], people[0], "0"),                    # lockup not deployed: zero
            (days[2], people[0], "0"), (days[2], people[1], "0"),
            (days[2], people[2], str(3 * 10**18))])

        cl = rows_of(tmp_path / "store", "curve_liquidity", key=("day", "pool", "i"))
        assert {(r["day"], r["pool"]) for r in cl} == {
            (days[1], curve.address), (days[2], curve.address), (days[2], crypto.address)}
        assert all(r["decimals"] in (18, 6) and int(r["balance"]) > 0 for r in cl)

"""A real chain with the listener datasets' contracts and recorded activity (listener tests).

`ListenerWorld` starts anvil, deploys the emitters of contracts/test/ListenerEmitters.sol
(real event signatures) and generates seeded random activity over > 2,000 blocks and several
UTC days. For every event it records the row the listener must produce, built from what the
test sent (arguments) and the node's receipt (block, tx hash, log index) — never from the
listener's own decoding.
"""

from __future__ import annotations

import random
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from eth_utils import to_checksum_address

from indexer.evm.multicall import install as install_multicall3
from tests.support.evm import REPO, Anvil, compile_contracts, deploy

ZERO = "0x0000000000000000000000000000000000000000"
SOURCES = [REPO / "contracts/test/ListenerEmitters.sol", REPO / "contracts/test/TestToken.sol"]


def artifacts():
    return compile_contracts(SOURCES)


def run_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """`epochdrop ARGS` in a subprocess: exit code, stdout and stderr as a user sees them."""
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=timeout)


def rows_of(store: Path, dataset: str, key=("block_number", "log_index")) -> list[dict]:
    """The dataset's rows in the store (hive `chain` column dropped), sorted by key."""
    from indexer.store import Store
    t = Store(store).read(dataset)
    if t is None:
        return []
    rows = t.drop_columns(["chain"]).to_pylist()
    return sorted(rows, key=lambda r: tuple(r[k] for k in key))


class ListenerWorld:
    def __init__(self, seed: int = 7, actions: int = 260):
        self.seed, self.n_actions = seed, actions
        self.expected: dict[str, list[dict]] = {k: [] for k in (
            "erc20_transfers", "pool_token_transfers", "dhedge_deposits", "dhedge_withdrawals",
            "vdht_locks", "curve_swaps", "governor_votes")}

    def __enter__(self):
        self.node = Anvil("--timestamp", "1700000000").__enter__()
        self.w3 = self.node.w3
        install_multicall3(self.node.rpc)   # snapshots read through aggregate3, as on mainnet
        self.chain_id = self.w3.eth.chain_id
        art = artifacts()
        w3 = self.w3
        self.token_a = deploy(w3, art["TestToken"], "A", "A", 18)
        self.token_b = deploy(w3, art["TestToken"], "B", "B", 6)
        self.pools = [deploy(w3, art["MockPoolLogic"]) for _ in range(2)]
        self.lockup = deploy(w3, art["MockVotingLockup"])
        coins = [self.token_a.address, self.token_b.address]
        self.curve = deploy(w3, art["MockCurvePool"], coins, [10**24, 10**12])
        self.crypto = deploy(w3, art["MockCryptoPool"], coins[::-1], [10**12, 10**24])
        self.governor = deploy(w3, art["MockGovernor"])
        self.start_block = w3.eth.block_number + 1
        self._activity()
        self.end_block = w3.eth.block_number
        return self

    def __exit__(self, *exc):
        self.node.__exit__(*exc)

    # ---- activity ----------------------------------------------------------------------
    def _send(self, fn):
        h = fn.transact()
        rc = self.w3.eth.wait_for_transaction_receipt(h, timeout=30, poll_latency=0.01)
        assert rc.status == 1
        blk = self.w3.eth.get_block(rc.blockNumber)
        return rc, blk

    def _base(self, rc, blk, log):
        return dict(chain_id=self.chain_id, block_number=rc.blockNumber,
                    block_hash="0x" + rc.blockHash.hex().removeprefix("0x"),
                    block_time=datetime.fromtimestamp(blk.timestamp, timezone.utc),
                    tx_hash="0x" + rc.transactionHash.hex().removeprefix("0x"),
                    log_index=log.logIndex, contract=log.address)

    def _activity(self):
        rng = random.Random(self.seed)
        people = [to_checksum_address(rng.randbytes(20)) for _ in range(12)]
        big = lambda: rng.choice([rng.randrange(1, 10**6), rng.randrange(10**20, 10**30),
                                  2**256 - 1 - rng.randrange(10**6)])
        for step in range(self.n_actions):
            kind = rng.choice(["mint", "mint", "deposit", "withdraw", "move", "lock", "unlock",
                               "swap", "swap", "vote"])
            if kind == "mint":
                tok = rng.choice([self.token_a, self.token_b])
                to, amt = rng.choice(people), rng.randrange(1, 10**27)
                rc, blk = self._send(tok.functions.mint(to, amt))
                self.expected["erc20_transfers"].append(dict(
                    self._base(rc, blk, rc.logs[0]), token_standard="erc20", from_address=ZERO,
                    to_address=to, value=str(amt)))
            elif kind == "deposit":
                pool, inv = rng.choice(self.pools), rng.choice(people)
                amt, val, toks = rng.randrange(1, 10**25), rng.randrange(1, 10**25), rng.randrange(1, 10**24)
                if rng.random() < 0.3:
                    rc, _ = self._send(pool.functions.setTokenPrice(rng.randrange(5 * 10**17, 3 * 10**18)))
                price = pool.functions.tokenPrice().call()
                bal0 = pool.functions.balanceOf(inv).call()
                ts0 = pool.functions.totalSupply().call()
                rc, blk = self._send(pool.functions.deposit(inv, self.token_a.address, amt, val, toks))
                tr, dep = rc.logs
                self.expected["pool_token_transfers"].append(dict(
                    self._base(rc, blk, tr), from_address=ZERO, to_address=inv, value=str(toks)))
                self.expected["dhedge_deposits"].append(dict(
                    self._base(rc, blk, dep), fund_address=pool.address, investor=inv,
                    asset_deposited=self.token_a.address, amount_deposited=str(amt),
                    value_deposited=str(val), fund_tokens_received=str(toks),
                    total_investor_fund_tokens=str(bal0 + toks),
                    fund_value=str((ts0 + toks) * price // 10**18), total_supply=str(ts0 + toks),
                    time=blk.timestamp))
            elif kind == "withdraw":
                pool = rng.choice(self.pools)
                holders = [p for p in people if pool.functions.balanceOf(p).call() > 0]
                if not holders:
                    continue
                inv = rng.choice(holders)
                bal = pool.functions.balanceOf(inv).call()
                toks = rng.randrange(1, bal + 1)
                price = pool.functions.tokenPrice().call()
                ts0 = pool.functions.totalSupply().call()
                assets = [rng.choice([self.token_a.address, self.token_b.address])
                          for _ in range(rng.randrange(0, 4))]
                amounts = [big() for _ in assets]
                rc, blk = self._send(pool.functions.withdraw(inv, toks, assets, amounts))
                tr, wd = rc.logs
                self.expected["pool_token_transfers"].append(dict(
                    self._base(rc, blk, tr), from_address=inv, to_address=ZERO, value=str(toks)))
                import json
                self.expected["dhedge_withdrawals"].append(dict(
                    self._base(rc, blk, wd), fund_address=pool.address, investor=inv,
                    value_withdrawn=str(toks * price // 10**18), fund_tokens_withdrawn=str(toks),
                    total_investor_fund_tokens=str(bal - toks),
                    fund_value=str((ts0 - toks) * price // 10**18), total_supply=str(ts0 - toks),
                    withdrawn_assets=json.dumps(
                        [{"amount": str(a), "asset": s, "external_withdraw_processed": i % 2 == 1}
                         for i, (s, a) in enumerate(zip(assets, amounts))],
                        sort_keys=True, separators=(",", ":")),
                    time=blk.timestamp))
            elif kind == "move":
                pool = rng.choice(self.pools)
                holders = [p for p in people if pool.functions.balanceOf(p).call() > 0]
                if not holders:
                    continue
                a, b = rng.choice(holders), rng.choice(people)
                v = rng.randrange(0, pool.functions.balanceOf(a).call() + 1)
                rc, blk = self._send(pool.functions.move(a, b, v))
                self.expected["pool_token_transfers"].append(dict(
                    self._base(rc, blk, rc.logs[0]), from_address=a, to_address=b, value=str(v)))
            elif kind == "lock":
                who, v, until = rng.choice(people), big(), rng.randrange(1, 2**40)
                action, power = rng.randrange(3), rng.randrange(0, 10**27)
                rc, blk = self._send(self.lockup.functions.lock(who, v, until, action, power))
                self.expected["vdht_locks"].append(dict(
                    self._base(rc, blk, rc.logs[0]), kind="deposit", provider=who, value=str(v),
                    locktime=until, action=action, ts=blk.timestamp))
            elif kind == "unlock":
                who, v = rng.choice(people), big()
                rc, blk = self._send(self.lockup.functions.withdraw(who, v))
                self.expected["vdht_locks"].append(dict(
                    self._base(rc, blk, rc.logs[0]), kind="withdraw", provider=who, value=str(v),
                    locktime=None, action=None, ts=blk.timestamp))
            elif kind == "swap":
                crypto = rng.random() < 0.5
                pool = self.crypto if crypto else self.curve
                i = rng.randrange(2)
                dx, dy = rng.randrange(1, 10**9), rng.randrange(1, 10**9)
                under = rng.random() < 0.4
                buyer = rng.choice(people)
                rc, blk = self._send(pool.functions.exchange(buyer, i, 1 - i, dx, dy, under))
                self.expected["curve_swaps"].append(dict(
                    self._base(rc, blk, rc.logs[0]),
                    event="TokenExchangeUnderlying" if under else "TokenExchange",
                    id_type="uint256" if crypto else "int128", buyer=buyer, sold_id=i,
                    tokens_sold=str(dx), bought_id=1 - i, tokens_bought=str(dy)))
            elif kind == "vote":
                voter, pid, sup, wt = rng.choice(people), big(), rng.randrange(3), big()
                reason = rng.choice(["", "for the pools", "ünïcode ✓ reason " * rng.randrange(1, 4)])
                params = rng.choice([b"", rng.randbytes(rng.randrange(1, 70))])
                rc, blk = self._send(self.governor.functions.vote(voter, pid, sup, wt, reason, params))
                self.expected["governor_votes"].append(dict(
                    self._base(rc, blk, rc.logs[0]), voter=voter, proposal_id=str(pid), support=sup,
                    weight=str(wt), reason=reason, params=("0x" + params.hex()) if params else None))
            # spacing: ~2,000+ blocks overall, and a new UTC day every ~60 actions
            self.node.mine(rng.randrange(2, 16))
            if step % 60 == 59:
                self.node.rpc("evm_increaseTime", [hex(86_400 + rng.randrange(3600))])
                self.node.mine(1)

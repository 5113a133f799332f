"""The demo's chain: emitter contracts with the real event signatures, and a month of activity.

On the embedded chain (eth-tester on py-evm, in process, fixed genesis 2024-01-01 00:00 UTC,
D9) this deploys three dHEDGE PoolLogic-shaped pools, a vDHT lockup, two Curve stable pools
(int128 ids) and one crypto pool (uint256 ids), a Governor, two ERC-20 coins (18 and 6
decimals) and a held ERC-20 whose transfers feed `holders`, from `demo_contracts.json` (compiled from contracts/test/*.sol by
scripts/build-demo-contracts.py, so `make demo` needs no Node), then replays a seeded month:
deposits, withdrawals and pool-token transfers by a few dozen investors, daily token price
moves, vDHT locks of varied size (some investors end up capped, some not), Curve swaps of
different sizes per pool (so utilizations differ), and Governor votes. Each UTC day starts
with a block at 00:00 so the daily snapshots have their block. Same seed → same chain → same
block hashes and the same roots.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path

from eth_utils import keccak, to_checksum_address

ARTIFACTS = Path(__file__).with_name("contracts.json")
DAY = 86_400
GAS = 1_000_000


def account(seed: int, i: int) -> str:
    return to_checksum_address(keccak(f"epochdrop-demo:{seed}:{i}".encode())[:20])


@dataclass
class World:
    """Addresses of what was deployed, and the block range the activity spans."""

    chain_id: int = 0
    pools: list[str] = field(default_factory=list)
    lockup: str = ""
    curve_pools: list[str] = field(default_factory=list)
    governor: str = ""
    tokens: list[str] = field(default_factory=list)
    held_token: str = ""           # the ERC-20 whose holders the `holders` program pays
    exchange: str = ""             # a holder of it that `holders` excludes
    investors: list[str] = field(default_factory=list)
    first_block: int = 0
    last_block: int = 0
    days: int = 0
    transactions: int = 0


class Simulator:
    def __init__(self, chain, seed: int = 7):
        self.chain, self.w3, self.rng = chain, chain.w3, random.Random(seed)
        self.holders_rng = random.Random(f"holders:{seed}")
        self.seed = seed
        self.art = json.loads(ARTIFACTS.read_text())["contracts"]
        self.world = World()

    def _deploy(self, name: str, *args):
        f = self.w3.eth.contract(abi=self.art[name]["abi"], bytecode=self.art[name]["bytecode"])
        rc = self.w3.eth.wait_for_transaction_receipt(f.constructor(*args).transact({"gas": 6_000_000}))
        self.world.transactions += 1
        return self.w3.eth.contract(address=rc.contractAddress, abi=self.art[name]["abi"])

    def _tx(self, fn, sender: str | None = None) -> None:
        fn.transact({"gas": GAS, **({"from": sender} if sender else {})})
        self.world.transactions += 1

    def deploy(self) -> None:
        w = self.world
        w.chain_id = self.w3.eth.chain_id
        self.coins = [self._deploy("TestToken", "Demo USD", "dUSD", 18),
                      self._deploy("TestToken", "Demo USDC", "dUSDC", 6)]
        self.pools = [self._deploy("MockPoolLogic") for _ in range(3)]
        self.lockup = self._deploy("MockVotingLockup")
        c = [x.address for x in self.coins]
        self.curve = [self._deploy("MockCurvePool", c, [4_000_000 * 10**18, 4_000_000 * 10**6]),
                      self._deploy("MockCurvePool", c, [9_000_000 * 10**18, 9_000_000 * 10**6]),
                      self._deploy("MockCryptoPool", c[::-1], [2_000_000 * 10**6, 2_000_000 * 10**18])]
        self.governor = self._deploy("MockGovernor")
        w.tokens, w.pools = c, [p.address for p in self.pools]
        w.lockup, w.governor = self.lockup.address, self.governor.address
        w.curve_pools = [p.address for p in self.curve]
        # deployed last, so every other contract keeps its address (and every other root)
        self.held = self._deploy("TestToken", "Demo Holders Token", "dHLD", 18)
        w.held_token = self.held.address

    def run(self, investors: int = 36, days: int = 32, start: int = 1_704_067_200) -> World:
        """Deploy, then simulate `days` UTC days from `start` (2024-01-01)."""
        rng, w = self.rng, self.world
        self.deploy()
        w.first_block = self.w3.eth.block_number
        w.investors = [account(self.seed, i) for i in range(investors)]
        # The dHEDGE snapshots read every investor every day with eth_call (the slowest
        # thing the embedded chain does), so not every account invests there.
        self.dhedge_investors = w.investors[: investors * 2 // 3]
        holdings: dict[tuple[int, str], int] = {}
        usd = self.coins[0].address
        prices = self.prices = [10**18, 10**18, 10**18]
        for d in range(days):
            self.chain.advance_to(start + d * DAY)       # the day's first block, at 00:00 UTC
            if d == 0:   # opening deposits: two thirds invest in a pool, all trade and vote
                for k, inv in enumerate(self.dhedge_investors):
                    self._deposit(holdings, k % 3, inv, rng.choice([1, 5, 20, 80]) * 10**21, usd)
                for k, inv in enumerate(self.dhedge_investors[::-1][: len(self.dhedge_investors) * 3 // 4]):
                    power = rng.choice([0, 2_000, 15_000, 60_000, 250_000]) * 10**18
                    self._tx(self.lockup.functions.lock(inv, power, start + 400 * DAY, 0, power))
            for _ in range(2):
                self._investor_action(holdings, rng.choice(self.dhedge_investors), usd)
            p = d % 3
            prices[p] = prices[p] * rng.randint(985, 1025) // 1000
            self._tx(self.pools[p].functions.setTokenPrice(prices[p]))
            if d % 4 == 1:
                inv = rng.choice(self.dhedge_investors)
                power = rng.choice([5_000, 40_000]) * 10**18
                self._tx(self.lockup.functions.lock(inv, power, start + 400 * DAY, 1, power))
            for i, pool in enumerate(self.curve):
                for _ in range((d + i) % 2 + (i == 0) + (d % 7 in (2, 3))):
                    self._swap(pool, i, rng)
            self._holders_day(d)
            if d % 3 == 0:
                self._tx(self.governor.functions.vote(rng.choice(w.investors), 1 + d // 10,
                                                      rng.randint(0, 2), rng.randint(1, 9) * 10**21,
                                                      "", b""))
        self.chain.advance_to(start + days * DAY)
        w.last_block = self.w3.eth.block_number
        w.days = days
        return w

    def _holders_day(self, d: int) -> None:
        """The held token's day, from its own seeded generator (so the other programs' draws,
        and roots, do not move): mints to nine holders on day 0 (the first one plays an
        exchange, which `holders` excludes), then a few transfers a day between them. A plain
        OpenZeppelin ERC-20 moves tokens only for their holder, so the holders are the
        chain's unlocked test accounts (deterministic, like everything here)."""
        rng, w = self.holders_rng, self.world
        if d == 0:
            self.holders = list(self.w3.eth.accounts[1:10])
            w.exchange = self.holders[0]
            for k, h in enumerate(self.holders):
                self._tx(self.held.functions.mint(h, (k + 1) * 1_000 * 10**18))
            return
        for _ in range(rng.choice([1, 2, 3])):
            src, dst = rng.sample(self.holders, 2)
            amount = self.held.functions.balanceOf(src).call() * rng.choice([1, 2, 5]) // 10
            if amount:
                self._tx(self.held.functions.transfer(dst, amount), sender=src)

    def _deposit(self, holdings, p: int, inv: str, tokens: int, asset: str) -> None:
        value = tokens * self.prices[p] // 10**18
        self._tx(self.pools[p].functions.deposit(inv, asset, value, value, tokens))
        holdings[(p, inv)] = holdings.get((p, inv), 0) + tokens

    def _investor_action(self, holdings, inv: str, usd: str) -> None:
        rng = self.rng
        held = [(p, n) for (p, who), n in holdings.items() if who == inv and n > 0]
        roll = rng.random()
        if roll < 0.5 or not held:
            self._deposit(holdings, rng.randrange(3), inv, rng.choice([2, 10, 40]) * 10**21, usd)
        elif roll < 0.8:
            p, n = rng.choice(held)
            out = n // rng.choice([2, 4, 1])
            self._tx(self.pools[p].functions.withdraw(inv, out, [usd], [out]))
            holdings[(p, inv)] = n - out
        else:
            p, n = rng.choice(held)
            to = rng.choice(self.dhedge_investors)
            amt = n // 3
            self._tx(self.pools[p].functions.move(inv, to, amt))
            holdings[(p, inv)] = n - amt
            holdings[(p, to)] = holdings.get((p, to), 0) + amt

    def _swap(self, pool, i: int, rng) -> None:
        size = rng.choice([1, 3, 10]) * (i + 1) * 25_000
        sold = rng.randint(0, 1)
        dec_in, dec_out = ((18, 6) if sold == 0 else (6, 18)) if i < 2 else ((6, 18) if sold == 0 else (18, 6))
        buyer = rng.choice(self.world.investors)
        self._tx(pool.functions.exchange(buyer, sold, 1 - sold, size * 10**dec_in,
                                         size * 10**dec_out * 999 // 1000, rng.random() < 0.2))


def simulate(seed: int = 7, investors: int = 36, days: int = 32) -> World:
    """A fresh embedded chain with the demo's month on it (the process's `embedded` RPC)."""
    from indexer.evm.embedded import embedded_chain

    return Simulator(embedded_chain(fresh=True), seed).run(investors, days)

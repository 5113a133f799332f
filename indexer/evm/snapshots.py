"""Snapshot datasets: contract reads with eth_call at the first block of each UTC day.

The day's block is the first block at or after 00:00 UTC (programs.md §4, the
dhedge-v2-snapshot-utility convention), found by `BlockClock`. Who to read for comes from
event datasets already in the store (investors from `dhedge_deposits` and
`pool_token_transfers`, lockers from `vdht_locks`), so those must be indexed up to the
snapshot blocks first; the command says so otherwise. Commits, checkpoints and reorg
handling are the listener's (one chunk and one checkpoint step per day).

Days before a contract's deployment (indexing from block 0 reaches them; eth_call there
answers "0x": no code, nothing ran): a contract with no code at the day's block held nothing
that day, so its reads count as zero, as they would from the deployed, empty contract:
pool_snapshots writes no rows for it (zero balances are never written), vdht_snapshots
writes vdht = 0 for each account, curve_liquidity writes no rows (its coins are not known
yet; the Curve program reads a missing day as zero liquidity). Code is looked up with
eth_getCode at the day's block until first seen; days run forward, so from then on the
contract counts as deployed.
"""

from __future__ import annotations

from datetime import datetime, timezone

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import keccak

from epochdrop.errors import UserError
from indexer import checkpoint as ckpt
from indexer.datasets.base import Dataset
from indexer.evm.blocks import BlockClock
from indexer.evm.decode import checksum
from indexer.evm.listener import Listener
from indexer.retry import RpcError

DAY = 86_400


def calldata(sig: str, types: list[str] = (), args: list = ()) -> str:
    return "0x" + (keccak(text=sig)[:4] + abi_encode(list(types), list(args))).hex()


def _uint(hexdata: str) -> int:
    return abi_decode(["uint256"], bytes.fromhex(hexdata[2:]))[0]


def _call(to: str, data: str, block: int) -> tuple:
    return ("eth_call", [{"to": to, "data": data}, hex(block)])


def _seen(store, dataset, chain_id, block, contract_col, who_col, contracts) -> dict[str, set]:
    """Addresses in `who_col` per contract, from rows at or before `block`."""
    out: dict[str, set] = {c: set() for c in contracts}
    t = store.read(dataset, chain_id, columns=["block_number", "contract", who_col])
    if t is None:
        return out
    for bn, c, who in zip(*(t.column(n).to_pylist() for n in ("block_number", "contract", who_col))):
        if bn <= block and c in out and who != "0x0000000000000000000000000000000000000000":
            out[c].add(who)
    return out


def _coverage(store, dataset, chain_id) -> int:
    base = store.root / "_state" / "checkpoints" / dataset / f"chain={chain_id}"
    best = -1
    for p in base.glob("*.json") if base.exists() else []:
        best = max(best, ckpt.load(store.root, dataset, chain_id, p.stem if p.stem != "all" else "").position)
    return best


class _Reader:
    def __init__(self, client, store, ds, chain_id, contracts):
        self.client, self.store, self.ds, self.chain_id, self.contracts = client, store, ds, chain_id, contracts
        self.coins: dict[str, list] = {}
        self.deployed: set[str] = set()

    def live(self, b: int) -> list[str]:
        """The contracts with code at block `b` (see the module docstring: before deployment
        a contract reads as empty). Blocks only move forward, so a contract seen once stays."""
        todo = [c for c in self.contracts if c not in self.deployed]
        if todo:
            codes = self.client.batch([("eth_getCode", [c, hex(b)]) for c in todo])
            self.deployed |= {c for c, code in zip(todo, codes) if code not in (None, "", "0x", "0x0")}
        return [c for c in self.contracts if c in self.deployed]

    def needs(self) -> list[str]:
        return list(self.ds.reads)  # declared with the dataset (indexer/datasets/base.py)

    def rows(self, day, b) -> list[dict]:
        return getattr(self, self.ds.name)(day, b)

    def pool_snapshots(self, day, b):
        inv = _seen(self.store, "dhedge_deposits", self.chain_id, b, "contract", "investor", self.contracts)
        for c, s in _seen(self.store, "pool_token_transfers", self.chain_id, b, "contract",
                          "to_address", self.contracts).items():
            inv[c] |= s
        out = []
        for pool in self.live(b):  # not deployed yet: no balances, no rows
            who = sorted(inv[pool])
            res = self.client.batch([_call(pool, calldata("tokenPrice()"), b)] +
                                    [_call(pool, calldata("balanceOf(address)", ["address"], [w]), b)
                                     for w in who])
            price = _uint(res[0])
            for w, r in zip(who, res[1:]):
                bal = _uint(r)
                if bal:
                    out.append(dict(pool=pool, investor=w, balance=str(bal), token_price=str(price),
                                    value_usd=fixed_point(bal * price, 18)))
        return out

    def vdht_snapshots(self, day, b):
        who = _seen(self.store, "vdht_locks", self.chain_id, b, "contract", "provider", self.contracts)
        extra = set()
        for ds, col in (("dhedge_deposits", "investor"), ("pool_token_transfers", "to_address")):
            t = self.store.read(ds, self.chain_id, columns=["block_number", col])
            if t is not None:
                extra |= {a for bn, a in zip(t.column("block_number").to_pylist(), t.column(col).to_pylist())
                          if bn <= b and a != "0x0000000000000000000000000000000000000000"}
        out, live = [], self.live(b)
        for lock in self.contracts:
            accts = sorted(who[lock] | extra)
            if lock not in live:  # not deployed yet: nobody holds vDHT
                out += [dict(contract=lock, investor=a, vdht="0") for a in accts]
                continue
            res = self.client.batch([_call(lock, calldata("balanceOfAt(address,uint256)",
                                                          ["address", "uint256"], [a, b]), b) for a in accts])
            out += [dict(contract=lock, investor=a, vdht=str(_uint(r))) for a, r in zip(accts, res)]
        return out

    def _pool_coins(self, pool, b):
        if pool in self.coins:
            return self.coins[pool]
        coins, getter = [], None
        for g in ("uint256", "int128"):
            try:
                self.client.call("eth_call", [{"to": pool, "data": calldata(f"coins({g})", [g], [0])}, hex(b)])
                getter = g
                break
            except RpcError:
                continue
        if getter is None:
            raise UserError(f"--contracts {pool}: not a Curve pool (coins(0) reverts with both getters)")
        i = 0
        while True:
            try:
                r = self.client.call("eth_call", [{"to": pool, "data": calldata(f"coins({getter})", [getter], [i])}, hex(b)])
            except RpcError:
                break
            coin = checksum(abi_decode(["address"], bytes.fromhex(r[2:]))[0])
            dec = abi_decode(["uint8"], bytes.fromhex(self.client.call(
                "eth_call", [{"to": coin, "data": calldata("decimals()")}, hex(b)])[2:]))[0]
            coins.append((i, coin, dec))
            i += 1
        self.coins[pool] = (getter, coins)
        return self.coins[pool]

    def curve_liquidity(self, day, b):
        out = []
        for pool in self.live(b):  # not deployed yet: no coins, no rows
            getter, coins = self._pool_coins(pool, b)
            res = self.client.batch([_call(pool, calldata(f"balances({getter})", [getter], [i]), b)
                                     for i, _, _ in coins])
            out += [dict(pool=pool, i=i, coin=coin, decimals=dec, balance=str(_uint(r)), getter=getter)
                    for (i, coin, dec), r in zip(coins, res)]
        return out


def fixed_point(n: int, decimals: int) -> str:
    """n / 10**decimals as an exact decimal string, without trailing zeros (no Decimal
    context involved: Python's default 28 digits would round uint256 products)."""
    q, r = divmod(n, 10**decimals)
    if not r:
        return str(q)
    return f"{q}.{str(r).rjust(decimals, '0').rstrip('0')}"


def run_snapshots(client, store, ds: Dataset, chain_id: int, contracts: list[str], start: int,
                  end: int, confirmations: int) -> dict:
    lst = Listener(store, ds, chain_id, contracts, None, client)
    reader = _Reader(client, store, ds, chain_id, contracts)
    clock = BlockClock(client, chain_id, store.root)
    final = min(end, client.block_number() - confirmations)
    days: list[tuple[int, int]] = []
    if final >= start:
        ts = clock.header(start).timestamp
        day = -(-ts // DAY) * DAY
        while (b := clock.block_at(day, final)) is not None:
            if b >= start:
                days.append((day, b))
            day += DAY
    for need in reader.needs():
        cov = _coverage(store, need, chain_id)
        if days and cov < days[-1][1]:
            raise UserError(f"{ds.name} reads who to snapshot from {need}, indexed up to block "
                            f"{cov}: index {need} up to block {days[-1][1]} first")
    with store.locked():
        cp = lst._open_checkpoint(start)
        lst._rollback(cp, cp.position)
        lst._resolve_reorg(cp)
        by_block: dict[int, list[int]] = {}
        for day, b in days:       # a time jump can make two midnights share one block
            by_block.setdefault(b, []).append(day)
        for b, ds_days in sorted(by_block.items()):
            if b <= cp.position:
                continue
            h = clock.header(b)
            cols = {c.name: [] for c in ds.columns}
            n = 0
            for day in ds_days:
                for r in reader.rows(day, b):
                    r.update(chain_id=chain_id, day=datetime.fromtimestamp(day, timezone.utc).date(),
                             block_number=b, block_hash=h.hash, block_time=h.timestamp * 1_000_000)
                    for c in ds.columns:
                        cols[c.name].append(r[c.name])
                    n += 1
            lst._commit(cp, b, b, h.hash, cols, n)
        clock.save()
    o = lst.out
    return dict(rows=o.rows, chunks=o.chunks, last=cp.position, splits=0, reorgs=o.reorgs,
                seconds=0.0, days=len(days))

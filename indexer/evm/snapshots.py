"""Snapshot datasets: contract reads at the first block of each UTC day, batched.

The day's block is the first block at or after 00:00 UTC (programs.md §4, the
dhedge-v2-snapshot-utility convention), found by `BlockClock`. What to read is the dataset
module's declaration (`SNAPSHOT`, indexer/datasets/reads.py: whose balances, which calls,
how to convert); this module is the one loop that runs any of them:

- who to read for comes from event datasets already in the store (investors from
  `dhedge_deposits` and `pool_token_transfers`, lockers from `vdht_locks`), read ONCE per
  run and swept forward day by day (`HolderIndex`), so those must be indexed up to the
  snapshot blocks first; the command says so otherwise;
- the calls of many days and contracts go out together through `indexer.evm.multicall`
  (Multicall3 `aggregate3` inside batched JSON-RPC requests; plain batched `eth_call`s where
  Multicall3 has no code), GROUP_CALLS calls per round of requests;
- rows of the whole indexed range are written as ONE chunk (or one per FLUSH_ROWS rows), and
  the checkpoint remembers every day's (block, hash) and ends at the range's last block (every
  midnight up to it has been read), so the store holds one file per range, not per day, a
  re-run over a covered range has nothing to do, and a reorg or crash rolls back exactly as
  for event datasets (the listener's commit and rollback).

Days before a contract's deployment (indexing from block 0 reaches them; eth_call there
answers "0x": no code, nothing ran): a contract with no code at the day's block held nothing
that day, so its reads count as zero, as they would from the deployed, empty contract — the
declaration's `absent` rows (pool_snapshots and curve_liquidity: none; vdht_snapshots:
vdht = 0 for each account). Code is looked up with eth_getCode at the day's block until first
seen; days run forward, so from then on the contract counts as deployed.
"""

from __future__ import annotations

from datetime import datetime, timezone

from epochdrop.errors import UserError
from indexer import checkpoint as ckpt
from indexer.datasets.base import Dataset
from indexer.datasets.reads import ZERO_ADDRESS, At, Holders
from indexer.evm.blocks import BlockClock, headers
from indexer.evm.listener import FLUSH_ROWS, Listener
from indexer.evm.multicall import Reader

DAY = 86_400
GROUP_CALLS = 4_000      # calls gathered before one round of requests (bounds memory)


class HolderIndex:
    """Accounts seen per contract up to a block, for blocks visited in increasing order.

    Each declared `Holders` dataset is read from the store once (block_number, contract and
    the account column), sorted by block, and consumed as the days advance."""

    def __init__(self, store, chain_id: int, specs: tuple[Holders, ...], contracts: list[str]):
        self.contracts = set(contracts)
        self.rows: list[tuple[int, str | None, str]] = []
        for h in specs:
            cols = ["block_number", h.column] + (["contract"] if h.same_contract else [])
            t = store.read(h.dataset, chain_id, columns=cols)
            if t is None:
                continue
            who = t.column(h.column).to_pylist()
            cs = t.column("contract").to_pylist() if h.same_contract else [None] * len(who)
            self.rows += [(bn, c, w) for bn, c, w in zip(t.column("block_number").to_pylist(), cs, who)
                          if w != ZERO_ADDRESS and (c is None or c in self.contracts)]
        self.rows.sort(key=lambda r: r[0])
        self.i = 0
        self.own: dict[str, set] = {c: set() for c in contracts}
        self.anyone: set[str] = set()

    def upto(self, block: int, contract: str) -> list[str]:
        while self.i < len(self.rows) and self.rows[self.i][0] <= block:
            _, c, w = self.rows[self.i]
            (self.anyone if c is None else self.own[c]).add(w)
            self.i += 1
        return sorted(self.own[contract] | self.anyone)


class Liveness:
    """Which contracts have code at a block (see the module docstring)."""

    def __init__(self, client, contracts: list[str]):
        self.client, self.contracts, self.deployed = client, contracts, set()

    def at(self, b: int) -> set[str]:
        todo = [c for c in self.contracts if c not in self.deployed]
        if todo:
            codes = self.client.batch([("eth_getCode", [c, hex(b)]) for c in todo])
            self.deployed |= {c for c, code in zip(todo, codes) if code not in (None, "", "0x", "0x0")}
        return self.deployed


def _coverage(store, dataset, chain_id) -> int:
    base = store.root / "_state" / "checkpoints" / dataset / f"chain={chain_id}"
    best = -1
    for p in base.glob("*.json") if base.exists() else []:
        best = max(best, ckpt.load(store.root, dataset, chain_id, p.stem if p.stem != "all" else "").position)
    return best


def snapshot_days(client, clock: BlockClock, start: int, final: int) -> list[tuple[int, list[int]]]:
    """[(block, [UTC midnights it is the first block of])] for blocks in [start, final]; a
    time jump can make two midnights share one block."""
    by_block: dict[int, list[int]] = {}
    if final >= start:
        ts = clock.header(start).timestamp
        day = -(-ts // DAY) * DAY
        while (b := clock.block_at(day, final)) is not None:
            if b >= start:
                by_block.setdefault(b, []).append(day)
            day += DAY
    return sorted(by_block.items())


def run_snapshots(client, store, ds: Dataset, chain_id: int, contracts: list[str], start: int,
                  end: int, confirmations: int, *, multicall: bool = True,
                  flush_rows: int = FLUSH_ROWS, log: list | None = None) -> dict:
    """Index the snapshot dataset `ds` over blocks start..end; `multicall=False` sends plain
    eth_call batches only; `log` (a list) receives every (block, calls) read."""
    decl = ds.snapshot
    if decl is None:
        raise UserError(f"{ds.name} declares no snapshot reads")
    lst = Listener(store, ds, chain_id, contracts, None, client)
    clock = BlockClock(client, chain_id, store.root)
    final = min(end, client.block_number() - confirmations)
    days = snapshot_days(client, clock, start, final)
    for h in decl.holders:
        cov = _coverage(store, h.dataset, chain_id)
        if h.required and days and cov < days[-1][0]:
            raise UserError(f"{ds.name} reads who to snapshot from {h.dataset}, indexed up to block "
                            f"{cov}: index {h.dataset} up to block {days[-1][0]} first")
    contracts = sorted(contracts)
    reader = Reader(client, use_multicall=multicall, log=log)
    with store.locked():
        cp = lst._open_checkpoint(start)
        lst._rollback(cp, cp.position)
        lst._resolve_reorg(cp)
        todo = [(b, ds_days) for b, ds_days in days if b > cp.position]
        hdr = headers(client, [b for b, _ in todo if b not in clock._mem])
        hdr.update({b: clock._mem[b] for b, _ in todo if b in clock._mem})
        index = HolderIndex(store, chain_id, decl.holders, contracts)
        live = Liveness(client, contracts)
        memo: dict[str, dict] = {c: {} for c in contracts}
        cols, n, lo, ends = {c.name: [] for c in ds.columns}, 0, cp.position + 1, []
        group: list[tuple[int, list[int], list[At], list[dict]]] = []   # (block, days, reads, rows)
        pending = 0

        def flush_group():
            nonlocal n, cols, lo, ends, group, pending
            reqs = [(at.block, decl.calls(at)) for _, _, ats, _ in group for at in ats]
            answers = iter(reader.read(reqs))
            for b, ds_days, ats, rows in group:
                for at in ats:
                    rows += decl.rows(at, next(answers))
                h = hdr[b]
                for day in ds_days:
                    d = datetime.fromtimestamp(day, timezone.utc).date()
                    for r in rows:
                        r = dict(r, chain_id=chain_id, day=d, block_number=b, block_hash=h.hash,
                                 block_time=h.timestamp * 1_000_000)
                        for c in ds.columns:
                            cols[c.name].append(r[c.name])
                        n += 1
                ends.append((b, h.hash))
                if n >= flush_rows:
                    commit()
            group, pending = [], 0

        def commit():
            nonlocal n, cols, lo, ends
            hi, hi_hash = ends[-1]
            lst._commit(cp, lo, hi, hi_hash, cols, n, ends)
            cols, n, lo, ends = {c.name: [] for c in ds.columns}, 0, hi + 1, []

        for b, ds_days in todo:
            deployed = live.at(b)
            ats, rows = [], []
            for c in contracts:
                at = At(c, b, index.upto(b, c), memo[c])
                if c not in deployed:
                    rows += decl.absent(at)
                    continue
                if decl.discover is not None and not memo[c]:
                    decl.discover(at, lambda calls, b=b: reader.read([(b, calls)])[0])
                ats.append(at)
                pending += len(at.holders) + 1
            group.append((b, ds_days, ats, rows))
            if pending >= GROUP_CALLS:
                flush_group()
        flush_group()
        # Every midnight up to `final` has its block at or before `final`, so the range is
        # covered to `final`, not just to the last day's block: a re-run over it sends nothing.
        done = ends[-1][0] if ends else cp.position
        if final >= start and final > done:
            ends.append((final, clock.header(final).hash))
        if ends:
            commit()
        clock.save()
    o = lst.out
    return dict(rows=o.rows, chunks=o.chunks, last=cp.position, splits=0, reorgs=o.reorgs,
                seconds=0.0, days=len(days), calls=reader.stats["calls"])

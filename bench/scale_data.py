"""Seeded generators of program inputs with a million rows and more (issue 18: engines at scale).

Each writes a folder of `<table>.parquet` files exactly as the programs read them (the
"folder of tables" input every program accepts, distributor/inputs.py), so
`score_epoch(program, folder, epoch, ...)` scores it on DuckDB or on Spark unchanged:

- `dydx_inputs`    — dYdX order lifetimes (`dydx_orders`, 28 days, 30 markets; the bench's
                     dYdX-shaped order book, bench/orderbook_gen.py) and `dydx_maker_volume`.
- `jet_inputs`     — Jet order lifetimes (`jet_orders`, 30 days) and `jet_markets` (tenors).
- `holders_inputs` — ERC-20 Transfer rows (`erc20_transfers`: time, token, from/to, value,
                     block_number, log_index) over one calendar month, after an opening mint.

Why these and not the demo's generators: the demo rebuilds lifetimes from order events (the
path the listeners take), which costs minutes at 10M rows; these draw the lifetimes directly.
Money and values are exact by construction: every draw is an integer (numpy's
`Generator.integers`), written as decimal strings (prices, sizes, rates, uint256 values) —
the form the importer and the input loader require (a float column is refused). The same
seed and size give the same bytes on any machine. Accounts are real-shaped (EIP-55
addresses, base58 pubkeys), so the epoch's Merkle tree can be built from `rewards.parquet`.

    .venv/bin/python -m bench.scale_data dydx 1000000 /tmp/dydx-1m
"""

from __future__ import annotations

import argparse
import hashlib
from datetime import datetime, timedelta
from pathlib import Path

import base58
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from bench.orderbook_gen import MAKERS, _decimal_strings, exact_lifetimes
from epochdrop.addresses import eip55

DYDX_EPOCH = "20"      # dip19 with eligibility from epoch 19: the full scoring path
JET_EPOCH = "2"
HOLDERS_EPOCH = "2024-01"


def evm_account(kind: str, i: int) -> str:
    """A stable EIP-55 address per (kind, i): the last 20 bytes of sha256."""
    return "0x" + eip55(hashlib.sha256(f"epochdrop-scale:{kind}:{i}".encode()).hexdigest()[-40:])


def solana_account(i: int) -> str:
    """A stable base58 pubkey (32 bytes of sha256) per i."""
    return base58.b58encode(hashlib.sha256(f"epochdrop-scale:jet:{i}".encode()).digest()).decode()


TOKEN = evm_account("token", 0)


def _write(folder: Path, name: str, table: pa.Table) -> None:
    """`<folder>/<name>.parquet`, via a temp name so a killed run leaves no half file."""
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{name}.parquet.tmp"
    pq.write_table(table, tmp, compression="zstd", row_group_size=1 << 20)
    tmp.replace(folder / f"{name}.parquet")


def dydx_inputs(folder: Path, n: int, seed: int = 6, epoch: str = DYDX_EPOCH) -> int:
    """`dydx_orders` (≥ n lifetimes over epoch `epoch`'s 28 days) and `dydx_maker_volume`
    (epoch and the one before, per market and maker: dip19's volume share). Returns rows."""
    from distributor.programs.dydx.schedule import window

    makers = [evm_account("maker", k) for k in range(MAKERS)]
    ep = window(epoch)
    t = exact_lifetimes(n, ep.start, (ep.end - ep.start).days, seed, "dydx", makers)
    _write(Path(folder), "dydx_orders", t)
    rng = np.random.default_rng(seed + 1)
    markets = sorted(set(t.column("market").unique().to_pylist()))
    rows = [(e, m, a) for e in (int(epoch) - 1, int(epoch)) for m in markets for a in makers]
    cents = rng.integers(100, 10**9, size=len(rows))
    _write(Path(folder), "dydx_maker_volume", pa.table({
        "epoch": pa.array([r[0] for r in rows], pa.int64()),
        "market": [r[1] for r in rows], "maker": [r[2] for r in rows],
        "volume_usd": _decimal_strings(cents, 2)}))
    return t.num_rows


def jet_inputs(folder: Path, n: int, seed: int = 6, epoch: str = JET_EPOCH) -> int:
    """`jet_orders` (≥ n lifetimes over epoch `epoch`'s 30 days) and `jet_markets` (tenors of
    7, 14, 30 and 90 days in turn). Returns the order rows."""
    from distributor.programs.jet.program import JetParams, window

    owners = [solana_account(k) for k in range(MAKERS)]
    ep = window(epoch, JetParams())
    t = exact_lifetimes(n, ep.start, (ep.end - ep.start).days, seed, "jet", owners)
    _write(Path(folder), "jet_orders", t)
    markets = sorted(set(t.column("market").unique().to_pylist()))
    tenors = [86_400 * (7, 14, 30, 90)[i % 4] for i in range(len(markets))]
    _write(Path(folder), "jet_markets", pa.table({"market": markets,
                                                  "tenor_seconds": pa.array(tenors, pa.int64())}))
    return t.num_rows


def holders_inputs(folder: Path, n: int, seed: int = 6, month: str = HOLDERS_EPOCH,
                   holders: int | None = None) -> int:
    """`erc20_transfers` of one token: a mint from 0x0 to each holder the day before `month`
    starts, then `n − holders` transfers between holders at random whole seconds inside the
    month (block = second, log index = order within it). Balances never go negative, exactly:
    a mint is 10^24 base units and a transfer at most 10^24 / 4096, and the test below keeps
    any sender under 4096 transfers. Returns the rows (= n)."""
    rng = np.random.default_rng(seed)
    holders = holders or max(2, min(50_000, n // 20))
    accounts = np.array([evm_account("holder", k) for k in range(holders)], dtype=object)
    first = datetime.fromisoformat(f"{month}-01")
    nxt = (first + timedelta(days=32)).replace(day=1)
    span = int((nxt - first).total_seconds())
    moves = n - holders
    src = rng.integers(0, holders, size=moves)
    dst = (src + rng.integers(1, holders, size=moves)) % holders   # never to itself
    if moves and np.bincount(src, minlength=holders).max() >= 4096:
        raise ValueError("too many transfers per holder for the no-negative-balance bound")
    secs = np.sort(rng.integers(0, span, size=moves))
    mint_units = 10**24
    # value = k · 10^6 base units, k < 2.4·10^14: below 2.4·10^20 < 10^24 / 4096
    k = rng.integers(1, 240_000_000_000_000, size=moves)
    t0 = int((first - timedelta(days=1)).timestamp())
    times = np.concatenate([np.full(holders, t0, np.int64), int(first.timestamp()) + secs])
    block = times - t0 + 1
    log_index = np.concatenate([np.arange(holders), _rank_within(block[holders:])])
    zero = "0x" + "0" * 40
    value = pa.concat_arrays([
        pa.array([str(mint_units)] * holders, pa.string()),
        pc.binary_join_element_wise(pc.cast(pa.array(k), pa.string()),
                                            pa.array(["000000"] * moves), "")])
    table = pa.table({
        "time": pa.array(times * 1_000_000, pa.timestamp("us")),
        "token": pa.array([TOKEN] * (holders + moves), pa.string()),
        "from_address": pa.array(np.concatenate([np.full(holders, zero, object),
                                                 accounts[src]]), pa.string()),
        "to_address": pa.array(np.concatenate([accounts, accounts[dst]]), pa.string()),
        "value": value,
        "block_number": pa.array(block, pa.int64()),
        "log_index": pa.array(log_index, pa.int64()),
    })
    _write(Path(folder), "erc20_transfers", table)
    return table.num_rows


def _rank_within(sorted_keys: np.ndarray) -> np.ndarray:
    """0, 1, 2, … within each run of equal keys (the log index inside one block)."""
    if not sorted_keys.size:
        return np.zeros(0, np.int64)
    idx = np.arange(sorted_keys.size)
    starts = np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]
    return idx - np.maximum.accumulate(np.where(starts, idx, 0))


GENERATORS = {"dydx": (dydx_inputs, DYDX_EPOCH), "jet": (jet_inputs, JET_EPOCH),
              "holders": (holders_inputs, HOLDERS_EPOCH)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("program", choices=sorted(GENERATORS))
    ap.add_argument("rows", type=int)
    ap.add_argument("folder", type=Path)
    ap.add_argument("--seed", type=int, default=6)
    a = ap.parse_args()
    gen, epoch = GENERATORS[a.program]
    rows = gen(a.folder, a.rows, a.seed)
    print(f"{a.program}: {rows} rows in {a.folder} (score with --epoch {epoch})")


if __name__ == "__main__":
    main()

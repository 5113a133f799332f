"""The demo's off-chain inputs: generated order books (dYdX, Jet), governance votes, and the
dHEDGE eligible-pool list.

dYdX and Jet order books come from issue 5's seeded generators (maker-attributed order
events → lifetimes rebuilt by `indexer.orderbook.rebuild_lifetimes`, the same code the store
path uses), written as canonical tables (`<table>.parquet`) in one folder per program — the
"folder of tables" input every program accepts. The demo size is small (a fraction of the
bench's 100,000 events) so the whole demo stays within its three minutes. Eligible pools
are decided off-chain by dHEDGE, so they go through the validating importer into the store.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq


def _write(folder: Path, name: str, table: pa.Table) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{name}.parquet.tmp"
    pq.write_table(table, tmp, compression="zstd", write_statistics=False)
    tmp.replace(folder / f"{name}.parquet")


def dydx_inputs(folder: Path, seed: int, epochs: list[int], scale: float, makers: int) -> int:
    from indexer.generate import generate_dydx_maker_volume, generate_dydx_order_events
    from indexer.orderbook import rebuild_lifetimes

    orders, volumes = [], []
    for ep in epochs:
        ev = generate_dydx_order_events(seed, scale, ep, n_makers=makers)
        orders.append(rebuild_lifetimes(ev, "dydx"))
        volumes.append(generate_dydx_maker_volume(ev, ep, seed))
    o, v = pa.concat_tables(orders), pa.concat_tables(volumes)
    _write(folder, "dydx_orders", o)
    _write(folder, "dydx_maker_volume", v)
    # stkDYDX shares (formulas stk, dip11, dip15 weigh them): a seeded split over the makers.
    import random
    from decimal import Decimal

    makers = sorted(set(o.column("maker").to_pylist()))
    rng = random.Random(seed)
    weights = [rng.choice([0, 1, 2, 5, 20]) for _ in makers]
    total = sum(weights) or 1
    _write(folder, "dydx_stk", pa.table({
        "maker": makers,
        "stk_share": [format((Decimal(w_) / total).quantize(Decimal("1e-12")), "f")
                      for w_ in weights]}))
    return o.num_rows


def jet_inputs(folder: Path, seed: int, epoch: int, scale: float) -> int:
    from indexer.generate import generate_jet_markets, generate_jet_order_events
    from indexer.orderbook import rebuild_lifetimes

    mk = generate_jet_markets(seed)
    ev = generate_jet_order_events(seed, scale, epoch, mk)
    orders = rebuild_lifetimes(ev, "jet", mk)
    tenor = mk.column("tenor_seconds") if "tenor_seconds" in mk.column_names else mk.column("borrow_tenor")
    _write(folder, "jet_markets", pa.table({"market": mk.column("market"), "tenor_seconds": tenor}))
    _write(folder, "jet_orders", orders)
    return orders.num_rows


def airdrop_inputs(folder: Path, seed: int, scale: float) -> int:
    from indexer.generate import generate_governance

    g = generate_governance(seed, scale)
    for name in ("governance_votes", "governance_proposals"):
        _write(folder, name, g[name])
    return g["governance_votes"].num_rows


def eligible_pools(store: Path, scratch: Path, pools: list[str], first: date, days: int,
                   chain_id: int | None = None) -> int:
    """Every pool eligible every day, except the last one, which joins on day 10."""
    scratch.mkdir(parents=True, exist_ok=True)
    path = scratch / "dhedge_eligible_pools.csv"
    rows = 0
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["day", "pool"])
        for d in range(days):
            for k, pool in enumerate(pools):
                if k == len(pools) - 1 and d < 9:
                    continue
                w.writerow([(first + timedelta(days=d)).isoformat(), pool])
                rows += 1
    from indexer.importer import import_file

    # on the demo chain's id: chain-scoped loading (issue 20) reads one chain per epoch
    import_file("dhedge_eligible_pools", path, store, chain=None if chain_id is None else str(chain_id))
    return rows

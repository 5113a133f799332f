"""Jet-fixed-term-shaped order events and markets (programs.md §3; jet-lab/jet-v2
programs/fixed-term: OrderPlaced / OrderFilled / OrderRemoved / OrderCancelled).

The book is in tickets (base) at a fixed-point-32 limit price p = floor(2^32 · e^(−r·tenor/yr)):
lend orders ask a rate above the market's mid, borrow orders below (3% cross it). Owners are
margin-account owners, `authority` their margin account, order ids u128 order tags. Each event
sits in its own slot (slots increase with time), block times are whole seconds like Solana's.
"""

from __future__ import annotations

from datetime import datetime, timezone

import duckdb
import numpy as np
import pyarrow as pa
from solders.pubkey import Pubkey
from solders.signature import Signature

from indexer.generate.common import (decimals_sql, fill_steps, finish_events, order_life_cycles,
                                     rng_for, to_micros)

JET_START = datetime(2023, 7, 20, tzinfo=timezone.utc)   # DECISIONS D16
EPOCH_DAYS = 30
SLOT0 = 200_000_000
TENORS = [86_400, 7 * 86_400, 30 * 86_400, 90 * 86_400]
YEAR = 31_536_000
ORDERS_PER_SCALE = 40_000
JET_PROGRAM = "JBond79m9K6HqYwngCjiJHb311GTXggo46kGcT2GijUc"


def _pubkeys(rng: np.random.Generator, n: int) -> list[str]:
    raw = rng.integers(0, 256, size=(n, 32), dtype=np.uint8)
    return [str(Pubkey.from_bytes(r.tobytes())) for r in raw]


def generate_jet_markets(seed: int = 0, n_markets: int = 6) -> pa.Table:
    """`clob_markets` rows (MarketInitialized fields) for `n_markets` markets."""
    rng = rng_for(seed, "jet-markets")
    keys = _pubkeys(rng, 5 * n_markets + 1)
    airspace = keys[-1]
    tenor = [TENORS[i % len(TENORS)] for i in range(n_markets)]
    t = to_micros(JET_START) - 86_400_000_000
    return pa.table({
        "slot": pa.array([SLOT0 - 1000 + i for i in range(n_markets)], pa.int64()),
        "block_time": pa.array([t + i * 1_000_000 for i in range(n_markets)],
                               pa.timestamp("us", tz="UTC")),
        "signature": pa.array([str(Signature.from_bytes(rng.integers(0, 256, 64, np.uint8).tobytes()))
                               for _ in range(n_markets)]),
        "event_index": pa.array([0] * n_markets, pa.int32()),
        "program_id": pa.array([JET_PROGRAM] * n_markets),
        "market": pa.array(keys[0:n_markets]),
        "version": pa.array([0] * n_markets, pa.int64()),
        "airspace": pa.array([airspace] * n_markets),
        "underlying_token_mint": pa.array(keys[n_markets:2 * n_markets]),
        "underlying_oracle": pa.array(keys[2 * n_markets:3 * n_markets]),
        "ticket_oracle": pa.array(keys[3 * n_markets:4 * n_markets]),
        "borrow_tenor": pa.array(tenor, pa.int64()),
        "lend_tenor": pa.array(tenor, pa.int64()),
    })


def generate_jet_order_events(seed: int = 0, scale: float = 1.0, epoch: int = 0,
                              markets: pa.Table | None = None, n_owners: int = 60) -> pa.Table:
    """`clob_order_events` rows for one 30-day Jet epoch (chain `solana-local`)."""
    markets = markets if markets is not None else generate_jet_markets(seed)
    rng = rng_for(seed, f"jet-orders-{epoch}")
    t0 = to_micros(JET_START) + epoch * EPOCH_DAYS * 86_400_000_000
    span = EPOCH_DAYS * 86_400_000_000
    n = max(1, int(round(ORDERS_PER_SCALE * scale)))
    nm = markets.num_rows
    tenor = np.array(markets.column("borrow_tenor").to_pylist(), dtype=float)
    market = rng.integers(0, nm, n)
    opens = np.where(rng.random(nm) < 0.3, (rng.random(nm) * 0.5 * span).astype(np.int64), 0)
    opens[0] = 0
    t_rel = opens[market] + (rng.random(n) * (span - opens[market])).astype(np.int64)
    q = int(rng.random() * (span - 86_400e6))                 # one quiet day
    t_rel = np.where((t_rel >= q) & (t_rel < q + 86_400_000_000), t_rel + 86_400_000_000, t_rel)
    t_rel = np.minimum(t_rel, span - 10_000_000)
    t_place = t0 + t_rel
    days = span // 86_400_000_000 + 1
    mid = 0.08 * np.exp(np.cumsum(rng.normal(0, 0.03, (nm, days)), axis=1))
    mid_r = mid[market, t_rel // 86_400_000_000]
    side = rng.integers(0, 2, n)                               # 0 lend, 1 borrow
    one_sided = (market == nm - 1) & (t_rel < span // 4)      # a market with only lenders at first
    side = np.where(one_sided, 0, side)
    off = np.abs(rng.normal(0, 0.01, n)) + 0.0005
    cross = rng.random(n) < 0.03
    rate = mid_r + np.where(side == 0, 1.0, -1.0) * np.where(cross, -1.0, 1.0) * off
    rate = np.clip(rate, 0.0005, 2.0)
    price = np.floor(2.0 ** 32 * np.exp(-rate * tenor[market] / YEAR)).astype(np.int64)
    base = np.maximum(np.round(np.exp(rng.normal(np.log(5e9), 1.2, n))), 1).astype(np.int64)
    owner = rng.integers(0, n_owners, n)
    idx, kind, time, permille = order_life_cycles(rng, t_place, t0 + span - 1, 2 * 86_400e6,
                                                  0.6, 0.15)
    steps = fill_steps(base, idx, kind, permille)
    removed = (kind == 2) & (rng.random(idx.size) < 0.15)
    order = np.lexsort((np.arange(idx.size), time))            # global time order → slots
    idx, kind, time, steps, removed = (a[order] for a in (idx, kind, time, steps, removed))
    owners = np.array(_pubkeys(rng_for(seed, "jet-owners"), n_owners), dtype=object)
    accounts = np.array(_pubkeys(rng_for(seed, "jet-margin-accounts"), n_owners), dtype=object)
    tags = rng.integers(0, 2 ** 63, (n, 2), dtype=np.int64)
    tag = np.array([str((int(a) << 64) | int(b)) for a, b in tags], dtype=object)
    sigs = rng.integers(0, 256, (idx.size, 64), dtype=np.uint8)
    names = np.array(markets.column("market").to_pylist(), dtype=object)
    kinds = np.array(["placed", "filled", "cancelled"], dtype=object)
    kind_s = np.where(removed, "removed", kinds[kind])
    sides = np.array(["lend", "borrow"], dtype=object)
    raw = pa.table({
        "slot": pa.array(SLOT0 + np.arange(idx.size, dtype=np.int64)),
        "tx_index": pa.array(np.zeros(idx.size, dtype=np.int32)),
        "block_time": pa.array((time // 1_000_000) * 1_000_000, pa.timestamp("us", tz="UTC")),
        "signature": pa.array([str(Signature.from_bytes(s.tobytes())) for s in sigs]),
        "event_index": pa.array(np.zeros(idx.size, dtype=np.int32)),
        "program_id": pa.array([JET_PROGRAM] * idx.size),
        "instruction_index": pa.array(np.zeros(idx.size, dtype=np.int32)),
        "market": pa.array(names[market[idx]]),
        "event": pa.array(kind_s.astype(object)),
        "order_id": pa.array(tag[idx]),
        "maker": pa.array(owners[owner[idx]]),
        "authority": pa.array(accounts[owner[idx]]),
        "side": pa.array(np.where(kind == 0, sides[side[idx]], None)),
        "pt": pa.array(np.where(kind == 0, price[idx], 0)),
        "st": pa.array(steps),
        "has_price": pa.array(kind == 0), "has_size": pa.array(kind != 2),
    })
    con = duckdb.connect()
    out = decimals_sql(con, raw, {"price": "CASE WHEN has_price THEN pt END",
                                  "size": "CASE WHEN has_size THEN st END"})
    con.close()
    return finish_events(out)

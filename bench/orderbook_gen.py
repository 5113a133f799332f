"""Seeded, numpy-generated order lifetimes shaped like a dYdX v3 / Jet epoch (bench only).

The shape follows DESIGN "Targets": 30 markets, 50 makers, ~10 resting orders per maker
(500 "slots"); each slot holds one order at a time and replaces it when its lifetime ends
(exponential lifetimes, mean chosen so the epoch holds `n` lifetimes). Prices follow a
random walk per market and sit 0-0.6% from it, on the side that keeps the book uncrossed.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pyarrow as pa

MARKETS = 30
MAKERS = 50
SLOTS_PER_MAKER = 10


def _slots(rng: np.random.Generator, n: int, span_us: int):
    slots = MAKERS * SLOTS_PER_MAKER
    per_slot = max(1, n // slots)
    mean = span_us / per_slot
    slot = np.repeat(np.arange(slots), per_slot)
    durations = rng.exponential(mean, size=slot.size).astype(np.int64) + 1_000_000
    durations = durations.reshape(slots, per_slot)
    ends = np.cumsum(durations, axis=1)
    scale = span_us / ends[:, -1:]  # each slot fills the epoch exactly
    ends = (ends * scale).astype(np.int64)
    starts = np.concatenate([np.zeros((slots, 1), np.int64), ends[:, :-1]], axis=1)
    return slot, starts.ravel(), ends.ravel()


def lifetimes(n: int, start: datetime, days: int, seed: int, kind: str = "dydx") -> pa.Table:
    """About `n` lifetimes in the canonical `dydx_orders` (or `jet_orders`) shape."""
    rng = np.random.default_rng(seed)
    span_us = days * 86_400 * 1_000_000
    slot, t0, t1 = _slots(rng, n, span_us)
    maker = slot // SLOTS_PER_MAKER
    market = rng.integers(0, MARKETS, size=MAKERS * SLOTS_PER_MAKER)[slot]
    bid = (slot % 2) == 0
    base = 100.0 * (1 + np.arange(MARKETS))
    hours = (t0 // 3_600_000_000).astype(np.int64)
    walk = np.cumsum(rng.normal(0, 0.002, size=(MARKETS, days * 24 + 1)), axis=1)
    ref = base[market] * np.exp(walk[market, hours])
    away = rng.uniform(0.0002, 0.006, size=slot.size)
    price = np.round(np.where(bid, ref * (1 - away), ref * (1 + away)), 2)
    size = np.round(rng.uniform(20.0, 200.0, size=slot.size) * 100.0 / base[market], 4)
    base_us = int(start.timestamp()) * 1_000_000
    vf = pa.array(base_us + t0, pa.timestamp("us"))
    vt = pa.array(base_us + t1, pa.timestamp("us"))
    ids = pa.array(np.arange(slot.size).astype(str))
    if kind == "jet":
        rate = np.round(0.05 * (1 + walk[market, hours] * 5) * np.where(bid, 1 + away * 10, 1 - away * 10), 6)
        return pa.table({"market": pa.array(np.char.add("M", market.astype(str))),
                         "owner": pa.array(np.char.add("U", maker.astype(str))),
                         "order_id": ids,
                         "side": pa.array(np.where(bid, "borrow", "lend")),
                         "rate": pa.array(np.abs(rate)), "size": pa.array(size * 1000),
                         "valid_from": vf, "valid_to": vt})
    names = np.array(["BTC-USD", "ETH-USD"] + [f"M{i}-USD" for i in range(2, MARKETS)])
    return pa.table({"market": pa.array(names[market]),
                     "maker": pa.array(np.char.add("0xmaker", maker.astype(str))),
                     "order_id": ids, "side": pa.array(np.where(bid, "BUY", "SELL")),
                     "price": pa.array(price), "size": pa.array(size * 1000),
                     "valid_from": vf, "valid_to": vt})

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


# -- exact, integer-only variant (bench/scale_data.py, issue 18) ------------------------------
#
# Why a second generator: `lifetimes` above draws prices from floats (np.exp of a normal walk),
# which the scoring bench then prints as decimal strings. The engine comparison (DuckDB vs
# Spark) wants inputs whose every value is exact by construction and reproducible on any CPU
# (numpy's SIMD exp may differ by an ulp between machines): here every draw is an integer
# (`Generator.integers`), prices and sizes are integer ticks written as decimal strings, and
# the slots are cut at sorted integer instants, so the same seed gives the same bytes anywhere.

def _decimal_strings(ticks: np.ndarray, places: int) -> pa.Array:
    """Non-negative integer ticks → decimal strings with `places` fractional digits, exactly
    ("12345", 2 → "123.45"), in Arrow compute (10M rows in about a second)."""
    import pyarrow.compute as pc

    ticks = np.asarray(ticks, dtype=np.int64)
    if (ticks < 0).any():
        raise ValueError("negative ticks")
    unit = 10 ** places
    whole = pc.cast(pa.array(ticks // unit), pa.string())
    frac = pc.utf8_lpad(pc.cast(pa.array(ticks % unit), pa.string()), places, "0")
    return pc.binary_join_element_wise(whole, frac, ".")


def _exact_slots(rng: np.random.Generator, n: int, span_us: int, slots: int):
    """Each slot's `per_slot` consecutive lifetimes cut the whole epoch [0, span) at sorted
    random whole milliseconds: starts/ends in µs, integer, filling the span exactly."""
    per_slot = max(1, -(-n // slots))           # ceil: at least n lifetimes in all
    span_ms = span_us // 1000
    cuts = np.sort(rng.integers(1, span_ms, size=(slots, per_slot - 1)), axis=1) * 1000
    starts = np.concatenate([np.zeros((slots, 1), np.int64), cuts], axis=1)
    ends = np.concatenate([cuts, np.full((slots, 1), span_us, np.int64)], axis=1)
    slot = np.repeat(np.arange(slots), per_slot)
    return slot, starts.ravel(), ends.ravel()


def exact_lifetimes(n: int, start: datetime, days: int, seed: int, kind: str,
                    accounts: list[str]) -> pa.Table:
    """At least `n` lifetimes (⌈n / slots⌉ per slot) in the canonical `dydx_orders` or
    `jet_orders` shape, every number a decimal string from integer ticks: dYdX price to the
    cent, size to 4 places; Jet rate to 6 places, size to 4 places. `accounts` names the
    makers (EVM addresses for dYdX, base58 pubkeys for Jet): `len(accounts)` makers with
    SLOTS_PER_MAKER resting orders each. Books are uncrossed within an hour (bids below the
    hour's reference, asks above); the reference walks in whole basis points per hour."""
    rng = np.random.default_rng(seed)
    makers = len(accounts)
    slots = makers * SLOTS_PER_MAKER
    span_us = days * 86_400 * 1_000_000
    slot, t0, t1 = _exact_slots(rng, n, span_us, slots)
    maker = slot // SLOTS_PER_MAKER
    market = rng.integers(0, MARKETS, size=slots)[slot]
    bid = (slot % 2) == 0
    hours = days * 24 + 1
    steps = rng.integers(-20, 21, size=(MARKETS, hours))          # ±0.20% per hour, in bps
    ref_bps = np.maximum(np.cumsum(steps, axis=1) + 10_000, 1_000)  # reference / start, bps
    hour = t0 // 3_600_000_000
    ref = ref_bps[market, hour]
    away = rng.integers(2, 61, size=slot.size)                    # 0.02% … 0.60% off, bps
    size = rng.integers(20_000 * 10_000, 200_000 * 10_000, size=slot.size) // (1 + market)
    base_us = int(start.timestamp()) * 1_000_000
    vf = pa.array(base_us + t0, pa.timestamp("us"))
    vt = pa.array(base_us + t1, pa.timestamp("us"))
    ids = pa.array(np.arange(slot.size).astype(str))
    names = np.asarray(accounts, dtype=object)[maker]
    if kind == "jet":
        rate = 50_000 * ref // 10_000                              # 5% ± the walk, 1e-6 units
        rate = np.where(bid, rate * (10_000 + 10 * away), rate * (10_000 - 10 * away)) // 10_000
        return pa.table({"market": pa.array(np.char.add("M", market.astype(str))),
                         "owner": pa.array(names, pa.string()),
                         "order_id": ids,
                         "side": pa.array(np.where(bid, "borrow", "lend")),
                         "rate": _decimal_strings(rate, 6), "size": _decimal_strings(size, 4),
                         "valid_from": vf, "valid_to": vt})
    cents = 10_000 * (1 + market) * ref // 10_000                  # $100·(1+m) at the start
    price = np.where(bid, cents * (10_000 - away), cents * (10_000 + away)) // 10_000
    labels = np.array(["BTC-USD", "ETH-USD"] + [f"M{i}-USD" for i in range(2, MARKETS)])
    return pa.table({"market": pa.array(labels[market]),
                     "maker": pa.array(names, pa.string()),
                     "order_id": ids, "side": pa.array(np.where(bid, "BUY", "SELL")),
                     "price": _decimal_strings(price, 2), "size": _decimal_strings(size, 4),
                     "valid_from": vf, "valid_to": vt})

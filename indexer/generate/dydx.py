"""dYdX-v3-shaped order events and maker volumes (programs.md §1; DECISIONS D8, D15).

30 markets (BTC-USD and ETH-USD busiest), many makers with EIP-55 addresses, orders that are
placed, partly filled, cancelled or left open, and on purpose: quiet periods with no new
orders, markets that open mid-epoch, one-sided stretches (only bids or only asks) and a few
orders priced through the mid (crossed books).

The books are meant to score under the LP rules (MinDepth USD 5,000 BTC/ETH, 1,000 others;
MaxSpread 20 / 40 bps): makers place bid/ask pairs around a calm mid, and each maker has a
seeded profile (`_maker_profiles`, the same every epoch): most quote both sides inside
MaxSpread with depth 1.2-20x MinDepth, some quote wide (1.5-8x MaxSpread) or one side only,
a few only dust below MinDepth. Twelve large makers and a long tail spread the maker volume,
so several makers pass the previous epoch's volume threshold. Order lifetimes scale with the
market's order count (about a dozen resting orders per market, 1-48 hours); crossing orders
(1%) live minutes, deep orders (3%, 3-15% from the mid) live days and are often left open;
4% of all orders are dust.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import ROUND_DOWN, Decimal

import duckdb
import numpy as np
import pyarrow as pa
from eth_utils import to_checksum_address

from indexer.generate.common import (decimals_sql, fill_steps, finish_events, hex_ids,
                                     order_life_cycles, pow10_sql, rng_for, to_micros)

EPOCH0 = datetime(2021, 8, 3, 15, 0, tzinfo=timezone.utc)
EPOCH_DAYS = 28
# (market, mid price in USD, price decimals, size decimals, relative activity)
MARKETS = [
    ("BTC-USD", 45_000, 0, 4, 8.0), ("ETH-USD", 3_200, 1, 3, 7.0),
    ("SOL-USD", 150, 3, 1, 2.0), ("LINK-USD", 25, 3, 1, 1.5), ("AVAX-USD", 60, 2, 1, 1.5),
    ("MATIC-USD", 1.5, 4, 0, 1.2), ("DOGE-USD", 0.25, 4, 0, 1.2), ("UNI-USD", 20, 3, 1, 1.0),
    ("AAVE-USD", 250, 2, 2, 1.0), ("SUSHI-USD", 8, 3, 1, 0.8), ("ADA-USD", 1.8, 4, 0, 1.0),
    ("DOT-USD", 30, 3, 1, 1.0), ("ATOM-USD", 28, 3, 1, 0.8), ("LTC-USD", 170, 1, 2, 0.8),
    ("BCH-USD", 600, 1, 2, 0.7), ("XMR-USD", 250, 1, 2, 0.5), ("EOS-USD", 4.5, 3, 0, 0.5),
    ("COMP-USD", 400, 2, 2, 0.6), ("MKR-USD", 2_800, 0, 3, 0.6), ("SNX-USD", 10, 3, 1, 0.6),
    ("YFI-USD", 35_000, 0, 4, 0.5), ("CRV-USD", 3, 4, 0, 0.7), ("FIL-USD", 60, 2, 1, 0.6),
    ("ALGO-USD", 1.7, 4, 0, 0.5), ("ZEC-USD", 130, 2, 2, 0.4), ("ETC-USD", 45, 2, 1, 0.5),
    ("XLM-USD", 0.35, 5, 0, 0.4), ("TRX-USD", 0.1, 5, 0, 0.4), ("1INCH-USD", 3, 4, 0, 0.4),
    ("ENJ-USD", 2, 4, 0, 0.3),
]
ORDERS_PER_SCALE = 40_000      # ~2.5 events per order: scale 1 ≈ 100,000 events


def epoch_bounds(epoch: int) -> tuple[int, int]:
    start = EPOCH0 + timedelta(days=EPOCH_DAYS * epoch)
    return to_micros(start), to_micros(start + timedelta(days=EPOCH_DAYS))


def _makers(seed: int, n: int) -> list[str]:
    return [to_checksum_address("0x" + h) for h in hex_ids(rng_for(seed, "dydx-makers"), n, 20)]


# maker profiles: most quote both sides inside MaxSpread above MinDepth
QUOTING, WIDE, ONE_SIDED, DUST = 0, 1, 2, 3
TAIL_SHARES = (0.60, 0.16, 0.14, 0.10)     # profiles of the small makers


def _maker_profiles(seed: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(activity weight, profile, side of a one-sided maker) per maker, fixed by the seed.

    Activity is two-tier log-normal: twelve large makers (at most 60% of them) and a
    long tail of small ones, so maker volumes are spread and several makers pass the 5%
    previous-epoch volume threshold whatever `n`. The large makers are professional quoters;
    the tail mixes quoters with wide, one-sided and dust makers (TAIL_SHARES), so overall
    about 70% of makers quote both sides inside MaxSpread.
    """
    rng = rng_for(seed, "dydx-maker-profiles")
    big = np.zeros(n, dtype=bool)
    big[rng.permutation(n)[:max(1, min(round(0.6 * n), 12))]] = True
    weight = np.where(big, np.exp(rng.normal(np.log(12), 0.35, n)), np.exp(rng.normal(0, 0.8, n)))
    kind = np.where(big, QUOTING, rng.choice(4, n, p=TAIL_SHARES))
    return weight, kind, rng.integers(0, 2, n)


def generate_dydx_order_events(seed: int = 0, scale: float = 1.0, epoch: int = 0,
                               n_makers: int = 50) -> pa.Table:
    """`clob_order_events` rows for one 28-day dYdX epoch (chain `dydx-v3`)."""
    rng = rng_for(seed, f"dydx-orders-{epoch}")
    t0, t1 = epoch_bounds(epoch)
    span = t1 - t0
    n = max(1, int(round(ORDERS_PER_SCALE * scale)))
    nm = len(MARKETS)
    weight = np.array([m[4] for m in MARKETS])
    # orders come in pairs (a maker's bid and ask placed together in one market)
    pairs = (n + 1) // 2
    market = np.repeat(rng.choice(nm, pairs, p=weight / weight.sum()), 2)[:n]
    # markets 20% of the time open mid-epoch (never BTC/ETH)
    opens = np.where(rng.random(nm) < 0.2, (rng.random(nm) * 0.6 * span).astype(np.int64), 0)
    opens[:2] = 0
    # quiet periods: three windows of 2-8 hours with no new orders anywhere
    q_start = (rng.random(3) * (span - 8 * 3600e6)).astype(np.int64)
    q_len = rng.integers(2, 9, 3) * 3_600_000_000
    t_rel = opens[market] + (np.repeat(rng.random(pairs), 2)[:n]
                             * (span - opens[market])).astype(np.int64)
    for s, ln in zip(q_start, q_len):
        inside = (t_rel >= s) & (t_rel < s + ln)
        t_rel = np.where(inside, s + ln + (t_rel - s) % (span - s - ln), t_rel)
    t_place = t0 + (t_rel // 1000) * 1000                   # millisecond times, like dYdX
    # mids: a calm hourly random walk per market (a few bps an hour, so that resting quotes
    # stay near the mid for the hours they live)
    hours = span // 3_600_000_000 + 1
    walk = np.cumsum(rng.normal(0, 0.0003, (nm, hours)), axis=1)
    base = np.array([m[1] for m in MARKETS], dtype=float)
    mid = base[market] * np.exp(walk[market, (t_place - t0) // 3_600_000_000])
    # makers: a seeded profile per maker, the same in every epoch (see _maker_profiles)
    weight_k, kind_k, side_k = _maker_profiles(seed, n_makers)
    maker = np.repeat(rng.choice(n_makers, pairs, p=weight_k / weight_k.sum()), 2)[:n]
    mkind = kind_k[maker]
    # one-sided stretches: per market a 12-hour window where only one side quotes
    os_start = (rng.random(nm) * (span - 12 * 3600e6)).astype(np.int64)
    os_side = rng.integers(0, 2, nm)
    side = np.arange(n) % 2                                  # 0 BUY, 1 SELL
    side = np.where(mkind == ONE_SIDED, side_k[maker], side)
    in_os = (t_rel >= os_start[market]) & (t_rel < os_start[market] + 12 * 3_600_000_000)
    side = np.where(in_os, os_side[market], side)
    # prices: quoting makers inside MaxSpread (1-75% of it), wide makers 1.5-8x outside it;
    # 1% of orders cross the mid (short-lived: the book is crossed for minutes, not hours);
    # 3% are deep resting orders 3-15% away that are often left open past the epoch end
    be = market < 2
    max_spread = np.where(be, 0.0020, 0.0040)
    off = max_spread * rng.uniform(0.01, 0.75, n)
    off = np.where(mkind == WIDE, max_spread * rng.uniform(1.5, 8.0, n), off)
    u = rng.random(n)
    cross = u < 0.01
    deep = (u >= 0.01) & (u < 0.04)
    off = np.where(deep, rng.uniform(0.03, 0.15, n), off)
    sign = np.where(side == 0, -1.0, 1.0) * np.where(cross, -1.0, 1.0)
    pdec = np.array([m[2] for m in MARKETS])[market]
    price_ticks = np.maximum(np.round(mid * (1 + sign * off) * 10.0 ** pdec), 1).astype(np.int64)
    # sizes: USD 1.2-20x MinDepth of depth; dust makers and 4% of everyone's orders below
    # MinDepth (USD 10-900, under both the USD 1,000 and the USD 5,000 line)
    min_depth = np.where(be, 5_000.0, 1_000.0)
    usd = min_depth * np.exp(rng.uniform(np.log(1.2), np.log(20.0), n))
    dust = (mkind == DUST) | (rng.random(n) < 0.04)
    usd = np.where(dust, rng.random(n) * 890 + 10, usd)
    sdec = np.array([m[3] for m in MARKETS])[market]
    size_steps = np.maximum(np.round(usd / mid * 10.0 ** sdec), 1).astype(np.int64)
    # lifetimes: long enough that each market keeps about a dozen resting orders (fewer
    # orders, longer lives), 1-48 hours; crossing orders live minutes, deep ones days
    per_market = np.bincount(market, minlength=nm)
    life_m = np.clip(12 * span / np.maximum(per_market, 1), 3_600e6, 48 * 3_600e6)
    mean_life = np.where(cross, 300e6, np.where(deep, 10 * 24 * 3_600e6, life_m[market]))
    p_cancel = np.where(cross, 0.5, np.where(deep, 0.3, 0.85))
    p_fill = np.where(cross, 0.5, np.where(deep, 0.0, 0.15))
    idx, kind, time, permille = order_life_cycles(rng, t_place, t1 - 1000, mean_life,
                                                  p_cancel, p_fill)
    time = (time // 1000) * 1000
    steps = fill_steps(size_steps, idx, kind, permille)
    makers = np.array(_makers(seed, n_makers), dtype=object)
    names = np.array([m[0] for m in MARKETS], dtype=object)
    oid = np.array(hex_ids(rng, n, 16), dtype=object)
    kinds = np.array(["placed", "filled", "cancelled"], dtype=object)
    sides = np.array(["BUY", "SELL"], dtype=object)
    raw = pa.table({
        "block_time": pa.array(time, pa.timestamp("us", tz="UTC")),
        "signature": pa.array([f"{i:09d}-{j:09d}" for i, j in
                               zip(idx.tolist(), np.arange(idx.size).tolist())]),
        "event_index": pa.array(np.zeros(idx.size, dtype=np.int32)),
        "market": pa.array(names[market[idx]]),
        "event": pa.array(kinds[kind]),
        "order_id": pa.array(oid[idx]),
        "maker": pa.array(makers[maker[idx]]),
        "side": pa.array(np.where(kind == 0, sides[side[idx]], None)),
        "pt": pa.array(np.where(kind == 0, price_ticks[idx], 0)),
        "pd": pa.array(pdec[idx].astype(np.int8)),
        "st": pa.array(steps), "sd": pa.array(sdec[idx].astype(np.int8)),
        "has_price": pa.array(kind == 0), "has_size": pa.array(kind != 2),
    })
    con = duckdb.connect()
    out = decimals_sql(con, raw, {
        "price": f"CASE WHEN has_price THEN CAST(pt AS DECIMAL(38,0)) * {pow10_sql('pd')} END",
        "size": f"CASE WHEN has_size THEN CAST(st AS DECIMAL(38,0)) * {pow10_sql('sd')} END",
    })
    con.close()
    return finish_events(out)


def generate_dydx_maker_volume(events: pa.Table, epoch: int = 0, seed: int = 0) -> pa.Table:
    """`dydx_maker_volume` (epoch, market, maker, volume_usd) for `epoch` and `epoch − 1`.

    This epoch's volume is the makers' filled size × price from `events`; the previous epoch's
    is the same figure scaled by a seeded factor per maker (0.3-1.7), so eligibility varies.
    Epoch > 0 therefore always carries the `epoch − 1` rows the eligibility rule reads.
    """
    con = duckdb.connect()
    con.register("ev", events)
    cur = con.sql(f"""
        WITH p AS (SELECT market, order_id, any_value(price) AS price FROM ev
                   WHERE event = 'placed' GROUP BY ALL)
        SELECT CAST({epoch} AS BIGINT) AS epoch, e.market, e.maker,
               CAST(SUM(CAST(e.size AS DECIMAL(18, 9)) * CAST(p.price AS DECIMAL(18, 9)))
                    AS DECIMAL(38, 18)) AS volume_usd
        FROM ev e JOIN p USING (market, order_id) WHERE e.event = 'filled'
        GROUP BY ALL ORDER BY market, maker""").to_arrow_table()
    makers = sorted(set(cur.column("maker").to_pylist()))
    f = rng_for(seed, f"dydx-volume-{epoch}").integers(300, 1700, len(makers))
    con.close()
    fac = dict(zip(makers, f.tolist()))
    q = Decimal("1e-18")
    prev = pa.table({
        "epoch": pa.array([epoch - 1] * cur.num_rows, pa.int64()),
        "market": cur.column("market"), "maker": cur.column("maker"),
        "volume_usd": pa.array([(v * fac[m] / 1000).quantize(q, rounding=ROUND_DOWN) for v, m in
                                zip(cur.column("volume_usd").to_pylist(), cur.column("maker").to_pylist())],
                               cur.schema.field("volume_usd").type)})
    out = pa.concat_tables([prev.cast(cur.schema), cur]) if epoch > 0 else cur
    return out

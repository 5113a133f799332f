"""Per (market, LP) epoch aggregates: from the book (lp_sampling.sql) or `dydx_lp_epoch`.

The optional `dydx_lp_epoch` table (programs.md "Canonical input tables") carries the
aggregates directly; when it has rows, sampling is skipped and `dydx_markets.live_samples`
must say how many samples each market was live.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import floor
from pathlib import Path

import duckdb

from distributor.programs._orderbook.samples import minutes_in, sample_table, to_us
from distributor.programs._orderbook.scales import column_scale, scale_params
from distributor.programs.dydx.schedule import SAMPLES
from distributor.programs.sql import run_sql_file
from distributor.programs.spec import Epoch
from epochdrop.errors import InputError

SQL = Path(__file__).with_name("lp_sampling.sql")
MICRO = 10**6


@dataclass(frozen=True)
class LpAggregate:
    q_bid: Fraction | None      # Σ samples Q_BID (None when given as an aggregate)
    q_ask: Fraction | None
    q_epoch: Fraction           # Σ samples Q_MIN
    uptime_samples: int
    maker_volume: Fraction | None = None  # only from dydx_lp_epoch
    stk_share: Fraction | None = None


def check_orders(con) -> None:
    """Reject order rows the rules cannot read: a side other than BUY/SELL, a negative
    price or size, a lifetime that ends before it starts."""
    checks = (
        ("side", "side NOT IN ('BUY', 'SELL')", "must be BUY or SELL"),
        ("price", "price <= 0", "must be positive"),
        ("size", "size < 0", "must not be negative"),
        ("valid_to", "valid_to < valid_from", "is before valid_from"),
    )
    for field, where, why in checks:
        bad = con.execute(f"SELECT order_id, CAST({field} AS VARCHAR) FROM dydx_orders "
                          f"WHERE {where} ORDER BY order_id LIMIT 1").fetchall()
        if bad:
            raise InputError(f"order {bad[0][0]}: {field} {bad[0][1]!r} {why}",
                             file="dydx_orders", field=field)


def outage_windows(con, params) -> list[tuple[int, int]]:
    """[from_us, to_us) of every outage: the config's `outages` and the rows of dydx_outages."""
    out = [(to_us(o.start), to_us(o.end)) for o in params.outages]
    for lo, hi in con.execute("SELECT from_time, to_time FROM dydx_outages "
                              "ORDER BY ALL").fetchall():
        out.append((to_us(lo), to_us(hi)))
    for lo, hi in out:
        if hi <= lo:
            raise InputError("an outage must end after it starts", file="dydx_outages",
                             field="to_time")
    return sorted(out)


def from_orders(con, params, epoch: Epoch, outages: list[tuple[int, int]] = ()
                ) -> tuple[dict, dict[str, int], int]:
    """Run the interval-weighted sampling SQL; returns (aggregates, live samples, samples
    outside outages)."""
    check_orders(con)
    minutes = minutes_in(epoch.start, epoch.end)  # 40,320 for a real epoch
    samples = sample_table("dydx", epoch.index, minutes, params.sample_offset,
                           to_us(epoch.start), outages)
    valid = int(sum(samples.column("valid").to_pylist()))
    con.register("ob_samples", samples)
    a = column_scale(con, "dydx_orders", "price")
    b = column_scale(con, "dydx_orders", "size")
    k = a + b - 6   # term in 10^-6 USD: depth·S/D carries 10^(a+b)
    spreads = {g: Fraction(getattr(params.max_spread, g)) for g in ("btc_eth", "other")}
    depth = {g: floor(Fraction(getattr(params.min_depth_usd, g)) * 10 ** (a + b))
             for g in ("btc_eth", "other")}
    try:
        run_sql_file(con, SQL, {
            "start_us": to_us(epoch.start), "end_us": to_us(epoch.end), "valid_samples": valid,
            "btc_eth": list(params.btc_eth_markets),
            "min_depth_be": str(depth["btc_eth"]), "min_depth_other": str(depth["other"]),
            "ms_num_be": spreads["btc_eth"].numerator, "ms_den_be": spreads["btc_eth"].denominator,
            "ms_num_other": spreads["other"].numerator,
            "ms_den_other": spreads["other"].denominator,
            "term_num_mul": 10 ** max(-k, 0), "term_den_mul": 10 ** max(k, 0),
            **scale_params("price", a), **scale_params("size", b),
        })
    except (duckdb.OutOfRangeException, duckdb.ConversionException) as exc:
        raise InputError(f"prices with {a} decimals and sizes with {b} decimals do not fit "
                         f"exact 64-bit scoring ({exc})", file="dydx_orders",
                         field="price") from None
    rows = con.execute("SELECT market, maker, q_bid_u, q_ask_u, q_epoch_u, uptime_samples "
                       "FROM dx_lp ORDER BY market, maker").fetchall()
    aggs = {(m, k): LpAggregate(Fraction(int(b), MICRO), Fraction(int(a), MICRO),
                                Fraction(int(q), MICRO), int(u))
            for m, k, b, a, q, u in rows}
    live = dict(con.execute("SELECT market, live_samples FROM dx_live").fetchall())
    return aggs, {m: int(v) for m, v in live.items()}, valid


def from_lp_epoch(con) -> dict:
    rows = con.execute("SELECT market, maker, q_epoch, uptime_samples, maker_volume_usd, "
                       "stk_share FROM dydx_lp_epoch ORDER BY market, maker").fetchall()
    out = {}
    for m, k, q, u, mv, stk in rows:
        if (m, k) in out:
            raise InputError(f"market {m}, maker {k} appears twice", file="dydx_lp_epoch")
        if q is None or q < 0 or u is None or not 0 <= u <= SAMPLES:
            raise InputError(f"market {m}, maker {k}: q_epoch must be >= 0 and "
                             f"uptime_samples within 0..{SAMPLES}", file="dydx_lp_epoch")
        out[(m, k)] = LpAggregate(None, None, Fraction(q), int(u),
                                  Fraction(mv) if mv is not None else None,
                                  Fraction(stk) if stk is not None else None)
    return out


def has_rows(con, table: str) -> bool:
    return bool(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])


def aggregates(con, params, epoch: Epoch) -> tuple[dict, dict[str, int], str, int]:
    """(aggregates, live samples per market, path, samples outside outages) with
    `dydx_markets` overriding live."""
    outages = outage_windows(con, params)
    valid = SAMPLES
    given = {m: v for m, v in con.execute(
        "SELECT market, live_samples FROM dydx_markets").fetchall()}
    if has_rows(con, "dydx_lp_epoch"):
        aggs, live, path = from_lp_epoch(con), {}, "dydx_lp_epoch"
        missing = sorted({m for m, _ in aggs} - {m for m, v in given.items() if v is not None})
        if missing:
            raise InputError(f"market {missing[0]} has no live_samples; with dydx_lp_epoch "
                             "the pool split needs dydx_markets.live_samples",
                             file="dydx_markets", field="live_samples")
    else:
        aggs, live, valid = from_orders(con, params, epoch, outages)
        path = "orders"
    for m, v in given.items():
        if v is not None:
            if not 0 <= v <= SAMPLES:
                raise InputError(f"market {m}: live_samples {v} outside 0..{SAMPLES}",
                                 file="dydx_markets", field="live_samples")
            live[m] = int(v)
    return aggs, live, path, valid

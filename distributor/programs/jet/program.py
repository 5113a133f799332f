"""Jet Protocol fixed-term liquidity incentive (programs.md §3; README.md here).

Two pools per epoch, lenders and borrowers, 1,368,377 JET each (67,050,473 per side over
49 epochs of 43,200 minutes — the seed's "43,800" is a typo). q_score per user and side =
Σ markets (1 + sqrt(tenor_days)/30) · Σ samples Σ orders size · exp(−|rate − mid|/mid).
Users whose share of their side's total is not above 0.25% (the seed: "exceeding") are
removed before shares, compared exactly (D30).

Exact (issue 15): per order and sample the SQL computes size · exp(−|rate − mid|/mid) with
the 9-decimal fixed-point exp of `distributor/programs/exact.py`, exactly (no floor after
it); the tenor bias 1 + sqrt(tenor_days)/30 is floored to 18 decimals exactly (an integer
square root); q_score = Σ markets bias · Σ terms is an exact decimal, the stored score.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Literal

import pyarrow as pa
from pydantic import Field

import duckdb

from distributor.programs._orderbook.samples import minutes_in, sample_table, to_us
from distributor.programs._orderbook.scales import column_scale, scale_params
from distributor.programs.exact import ONE, SCALE, cached_exp_tables, dec_str, iroot
from distributor.programs.params import CommonParams, Dec, base_units
from distributor.programs.spec import Epoch, Pool, ProgramSpec, Rule, ScoreResult
from distributor.programs.sql import run_sql_file
from epochdrop.errors import ConfigError, InputError

SQL = Path(__file__).with_name("order_sampling.sql")
EPOCH_MINUTES = 43_200  # 30 days
SIDES = (("lend", "lender"), ("borrow", "borrower"))



class JetParams(CommonParams):
    decimals: int = Field(9, ge=0, le=30)
    start: datetime = datetime(2023, 7, 20)          # D16
    side_budget: Dec = Field(Decimal(1_368_377), ge=0)  # JET per side per epoch
    threshold: Dec = Field(Decimal("0.0025"), ge=0, lt=1)
    epochs: int = Field(49, ge=1)
    sample_offset: Literal["minute_start", "random"] = "minute_start"


def window(label: str, p: JetParams) -> Epoch:
    try:
        n = int(str(label).strip())
    except ValueError:
        raise ConfigError(f"--epoch {label!r}: jet epochs are numbers 0 … {p.epochs - 1} "
                          f"(30-day epochs from {p.start.isoformat()}Z)") from None
    if not 0 <= n < p.epochs:
        raise ConfigError(f"--epoch {n}: the Jet incentive ran {p.epochs} epochs "
                          f"(0 … {p.epochs - 1}); set params.epochs to score beyond")
    origin = p.start if p.start.tzinfo is None else \
        p.start.astimezone(timezone.utc).replace(tzinfo=None)
    start = origin + timedelta(minutes=EPOCH_MINUTES * n)
    return Epoch(str(n), start, start + timedelta(minutes=EPOCH_MINUTES), n)


def _check(con) -> dict[str, int]:
    bad = con.execute("SELECT order_id, side FROM jet_orders WHERE side NOT IN ('lend', "
                      "'borrow') ORDER BY order_id LIMIT 1").fetchall()
    if bad:
        raise InputError(f"order {bad[0][0]}: side {bad[0][1]!r} must be lend or borrow",
                         file="jet_orders", field="side")
    bad = con.execute("SELECT order_id FROM jet_orders WHERE rate < 0 OR size < 0 OR "
                      "valid_to < valid_from ORDER BY order_id LIMIT 1").fetchall()
    if bad:
        raise InputError(f"order {bad[0][0]}: negative rate or size, or valid_to before "
                         "valid_from", file="jet_orders")
    tenors: dict[str, int] = {}
    for m, s in con.execute("SELECT market, tenor_seconds FROM jet_markets").fetchall():
        if m in tenors or s is None or s <= 0:
            raise InputError(f"market {m}: one row per market, tenor_seconds > 0",
                             file="jet_markets", field="tenor_seconds")
        tenors[m] = int(s)
    return tenors


def tenor_bias(tenor_seconds: int) -> Fraction:
    """1 + sqrt(tenor_days)/30 (J-DAP), floored to 18 decimals exactly: isqrt of
    floor(tenor_seconds · 10^36 / 86,400) is floor(sqrt(tenor_days) · 10^18), and the
    floor of that ÷ 30 is floor(sqrt(tenor_days) · 10^18 / 30)."""
    root = iroot(tenor_seconds * 10 ** (2 * SCALE) // 86_400, 2)
    return Fraction(ONE + root // 30, ONE)


def score(con, p: JetParams, epoch: Epoch) -> ScoreResult:
    tenors = _check(con)
    minutes = minutes_in(epoch.start, epoch.end)  # 43,200 for a real epoch
    con.register("ob_samples", sample_table("jet", epoch.index, minutes, p.sample_offset,
                                            to_us(epoch.start)))
    for k, table in enumerate(cached_exp_tables()):
        con.register(f"jt_exp{k}", pa.table({"g": pa.array(range(len(table)), pa.int64()),
                                             "v": pa.array(table, pa.int64())}))
    size_scale = column_scale(con, "jet_orders", "size", "size > 0")
    rate_scale = column_scale(con, "jet_orders", "rate")
    try:
        run_sql_file(con, SQL, {"start_us": to_us(epoch.start), "end_us": to_us(epoch.end),
                                "valid_samples": minutes,
                                **scale_params("rate", rate_scale),
                                **scale_params("size", size_scale)})
    except (duckdb.OutOfRangeException, duckdb.ConversionException) as exc:
        raise InputError(f"rates with {rate_scale} decimals or sizes with {size_scale} "
                         f"decimals do not fit exact 64-bit scoring ({exc})",
                         file="jet_orders", field="size") from None
    rows = con.execute("SELECT market, owner, side, q_u, order_samples FROM jt_q "
                       "ORDER BY side, owner, market").fetchall()
    unknown = sorted({r[0] for r in rows} - set(tenors))
    if unknown:
        raise InputError(f"market {unknown[0]} has orders but no tenor", file="jet_markets")
    acc: dict[tuple[str, str], dict] = {}
    for market, owner, side, q_u, samples in rows:
        a = acc.setdefault((side, owner), {"q": Fraction(0), "raw": Fraction(0), "samples": 0,
                                           "markets": 0})
        raw = Fraction(int(q_u), 10 ** (size_scale + 9))
        a["q"] += raw * tenor_bias(tenors[market])  # exact: any order gives the same sum
        a["raw"] += raw
        a["samples"] += int(samples)
        a["markets"] += 1
    pool_of = dict(SIDES)
    keys = sorted(acc, key=lambda k: (pool_of[k[0]], k[1]))
    table = pa.table({
        "pool": pa.array([pool_of[s] for s, _ in keys], pa.string()),
        "account": pa.array([o for _, o in keys], pa.string()),
        "score": pa.array([dec_str(acc[k]["q"]) for k in keys], pa.string()),
        "q_unscaled": pa.array([dec_str(acc[k]["raw"]) for k in keys], pa.string()),
        "order_samples": pa.array([acc[k]["samples"] for k in keys], pa.int64()),
        "markets": pa.array([acc[k]["markets"] for k in keys], pa.int64()),
    })
    budget = base_units(p.side_budget, p.decimals, "side_budget")
    rule = Rule(rounding=p.rounding, threshold=str(p.threshold) if p.threshold else None)
    live = dict(con.execute("SELECT market, live_samples FROM jt_live ORDER BY market").fetchall())
    return ScoreResult(
        table=table, pools=[Pool(name, budget, rule) for _, name in SIDES],
        notes=[f"threshold: a user is paid only above {p.threshold} of the side's total "
               "q_score (strict, exact), applied before shares"],
        extra={"minutes": minutes, "sample_offset": p.sample_offset,
               "size_decimals": size_scale, "rate_decimals": rate_scale,
               "live_samples": {m: int(v) for m, v in live.items()},
               "tenor_bias": {m: dec_str(tenor_bias(s)) for m, s in sorted(tenors.items())}})


PROGRAM = ProgramSpec(
    name="jet", token="JET", params=JetParams, epoch=window, score=score,
    description="Jet fixed-term liquidity incentive (30-day epochs, lender/borrower pools)",
)

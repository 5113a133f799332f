"""Curve CIP#20 performance-weighted gauge: R_n = R · U_n / Σ U (gov.curve.fi CIP-20 seed).

Accounts are pools (gauges, DECISIONS D17); the epoch label is the measured week's first
day, a Thursday (weeks start Thursday 00:00 UTC). U_n is volume / liquidity over that week:
`mean_daily` = mean over the 7 days of (day's volume / liquidity at that day's 00:00 UTC
snapshot), or `weekly_ratio` = Σ volume / (7 · mean liquidity). A pool with no liquidity in
the week is excluded; all U = 0 → nothing allocated.

R is the seed's *daily* reward ("R = total daily reward"; D30): the budget is
`pay_days` · `daily_budget`, 7 · R for a whole week. U is an exact fraction of integer sums
(utilization.sql) floored to 18 decimals, the score that scores.parquet stores (issue 15).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from distributor.programs.exact import dec_str, floor_to
from distributor.programs.params import CommonParams, Dec, base_units
from distributor.programs.spec import (Epoch, Pool, ProgramSpec, Rule, ScoreResult,
                                       day_label)
from distributor.programs.sql import run_sql_file
from epochdrop.errors import ConfigError, InputError

HERE = Path(__file__).parent


RENAMED = ("`budget` is gone: write `daily_budget`, R per day as in the CIP-20 seed (the week "
           "pays 7 × R; DECISIONS D30)")


class CurveParams(CommonParams):
    daily_budget: Dec = Field(Decimal(76600), ge=0)  # R per day, CRV (seed: 76,600)
    pay_days: int = Field(7, ge=1, le=7)  # days of the week the gauge pays (partial week)
    utilization: Literal["mean_daily", "weekly_ratio"] = "mean_daily"
    pools: list[str] | None = None  # optional whitelist of pool addresses
    budget: Any = Field(None, exclude=True)  # the old weekly key: refused with a hint (D30)

    @field_validator("budget", mode="before")
    @classmethod
    def _renamed(cls, v: Any) -> None:
        raise PydanticCustomError("renamed", RENAMED)


def curve_epoch(label: str, params: CurveParams) -> Epoch:
    day = day_label(label, "curve epochs are the week's first day, YYYY-MM-DD (a Thursday)")
    if day.weekday() != 3:
        raise ConfigError(f"--epoch {label}: is a {day.strftime('%A')}; curve weeks start "
                          f"on Thursday 00:00 UTC")
    start = datetime(day.year, day.month, day.day)
    return Epoch(label=day.isoformat(), start=start, end=start + timedelta(days=7))


def curve_score(con, params: CurveParams, epoch: Epoch) -> ScoreResult:
    run_sql_file(con, HERE / "utilization.sql", {"start": epoch.start.date()})
    missing = con.execute(
        "SELECT pool, sold_id, by_underlying FROM curve_week_swaps_resolved "
        "WHERE decimals IS NULL ORDER BY 1, 2 LIMIT 1").fetchall()
    if missing:
        missing = missing[0]
        kind = "underlying coin" if missing[2] else "coin"
        raise InputError(f"no decimals for {kind} {missing[1]} of pool {missing[0]}",
                         file="curve_coins", field="decimals")
    fallback = con.execute(
        "SELECT count(*) FROM curve_week_swaps_resolved "
        "WHERE underlying_event AND NOT by_underlying").fetchall()[0][0]
    allowed = None if params.pools is None else {p.lower() for p in params.pools}
    weeks = {p: w for p, w in pool_weeks(con, epoch).items()
             if allowed is None or p.lower() in allowed}
    pools = sorted(weeks)
    stats = [utilization(weeks[p]) for p in pools]
    has = [s["has_liquidity"] for s in stats]
    u = [s[f"u_{params.utilization}"] for s in stats]
    text = lambda v: None if v is None else dec_str(v)  # noqa: E731
    table = pa.table({
        "pool": pa.array([""] * len(pools), pa.string()),
        "account": pa.array(pools, pa.string()),
        "score": pa.array([dec_str(x) if h else "0" for x, h in zip(u, has)], pa.string()),
        "eligible": pa.array(has, pa.bool_()),
        "u_mean_daily": pa.array([text(s["u_mean_daily"]) for s in stats], pa.string()),
        "u_weekly_ratio": pa.array([text(s["u_weekly_ratio"]) for s in stats], pa.string()),
        "volume_week": pa.array([dec_str(s["volume_week"]) for s in stats], pa.string()),
        "mean_liquidity": pa.array([dec_str(floor_to(s["mean_liquidity"])) for s in stats],
                                   pa.string()),
        "days_with_liquidity": pa.array([s["days_with_liquidity"] for s in stats], pa.int64()),
    })
    notes = []
    if fallback:
        notes.append(f"{fallback} TokenExchangeUnderlying swap(s) normalised with the pool's "
                     f"own coin decimals (curve_coins lists no underlying coins for them)")
    if allowed is not None:
        notes.append(f"whitelist: {len(allowed)} pools; others not scored")
    excluded = [p for p, h in zip(pools, has) if not h]
    if excluded:
        notes.append(f"zero liquidity → excluded: {', '.join(excluded)}")
    daily = base_units(params.daily_budget, params.decimals, "daily_budget")
    notes.append(f"budget = {params.pay_days} day(s) × daily_budget {params.daily_budget} CRV; "
                 "U floored to 18 decimals")
    return ScoreResult(table=table, pools=[Pool("", daily * params.pay_days,
                                                Rule(rounding=params.rounding))],
                       notes=notes, extra={"pay_days": params.pay_days})


def pool_weeks(con, epoch: Epoch) -> dict[str, dict[str, dict]]:
    """pool → {"volume": day → Fraction, "liquidity": day → Fraction} in token units, from
    the exact integer sums of utilization.sql (each coin's sum ÷ 10^decimals, exactly)."""
    out: dict[str, dict[str, dict]] = {}
    for table, col, key in (("curve_daily_volume", "sold", "volume"),
                            ("curve_daily_liquidity", "balance", "liquidity")):
        for pool, day, decimals, amount in con.execute(
                f"SELECT pool, day, decimals, {col} FROM {table} ORDER BY ALL").fetchall():
            w = out.setdefault(pool, {"volume": {}, "liquidity": {}})
            w[key][day] = w[key].get(day, Fraction(0)) + Fraction(int(amount), 10**int(decimals))
    start = epoch.start.date()
    days = [start + timedelta(days=d) for d in range(7)]
    for w in out.values():
        w["days"] = days
    return out


def utilization(week: dict) -> dict[str, Any]:
    """Both U definitions of one pool as exact fractions floored to 18 decimals; a day
    without a snapshot has zero liquidity (adds 0 to the mean, still divided by 7)."""
    vol = [week["volume"].get(d, Fraction(0)) for d in week["days"]]
    liq = [week["liquidity"].get(d, Fraction(0)) for d in week["days"]]
    total_l = sum(liq, Fraction(0))
    has = total_l > 0
    mean_daily = sum((v / l for v, l in zip(vol, liq) if l > 0), Fraction(0)) / 7
    return {
        "has_liquidity": has,
        "u_mean_daily": floor_to(mean_daily) if has else None,
        "u_weekly_ratio": floor_to(sum(vol, Fraction(0)) / total_l) if has else None,
        "volume_week": sum(vol, Fraction(0)),
        "mean_liquidity": total_l / 7,
        "days_with_liquidity": sum(1 for l in liq if l > 0),
    }


PROGRAM = ProgramSpec(
    name="curve",
    token="CRV",
    params=CurveParams,
    epoch=curve_epoch,
    score=curve_score,
    description="Curve CIP#20: weekly gauge rewards proportional to pool utilization",
)

"""Curve CIP#20 performance-weighted gauge: R_n = R · U_n / Σ U (gov.curve.fi CIP-20 seed).

Accounts are pools (gauges, DECISIONS D17); the epoch label is the measured week's first
day, a Thursday (weeks start Thursday 00:00 UTC). U_n is volume / liquidity over that week:
`mean_daily` = mean over the 7 days of (day's volume / liquidity at that day's 00:00 UTC
snapshot), or `weekly_ratio` = Σ volume / (7 · mean liquidity). A pool with no liquidity in
the week is excluded; all U = 0 → nothing allocated.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Literal

import pyarrow as pa
from pydantic import Field

from distributor.programs.params import CommonParams, Dec, base_units
from distributor.programs.spec import (Epoch, Pool, ProgramSpec, Rule, ScoreResult,
                                       day_label)
from distributor.programs.sql import run_sql_file
from epochdrop.errors import ConfigError, InputError

HERE = Path(__file__).parent


class CurveParams(CommonParams):
    budget: Dec = Field(Decimal(76600), ge=0)  # R for the week, CRV
    utilization: Literal["mean_daily", "weekly_ratio"] = "mean_daily"
    pools: list[str] | None = None  # optional whitelist of pool addresses


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
    rows = con.sql("SELECT * FROM curve_scores ORDER BY pool").to_arrow_table()
    allowed = None if params.pools is None else {p.lower() for p in params.pools}
    rows = rows.filter(pa.array([allowed is None or p.lower() in allowed
                                 for p in rows.column("pool").to_pylist()], pa.bool_()))
    u = rows.column(f"u_{params.utilization}").to_pylist()
    has = rows.column("has_liquidity").to_pylist()
    n = rows.num_rows
    table = pa.table({
        "pool": pa.array([""] * n, pa.string()),
        "account": rows.column("pool"),
        "score": pa.array([x if (h and x is not None) else 0.0 for x, h in zip(u, has)],
                          pa.float64()),
        "eligible": pa.array(has, pa.bool_()),
        "u_mean_daily": rows.column("u_mean_daily"),
        "u_weekly_ratio": rows.column("u_weekly_ratio"),
        "volume_week": rows.column("volume_week"),
        "mean_liquidity": rows.column("mean_liquidity"),
        "days_with_liquidity": rows.column("days_with_liquidity"),
    })
    notes = []
    if fallback:
        notes.append(f"{fallback} TokenExchangeUnderlying swap(s) normalised with the pool's "
                     f"own coin decimals (curve_coins lists no underlying coins for them)")
    if allowed is not None:
        notes.append(f"whitelist: {len(allowed)} pools; others not scored")
    excluded = [p for p, h in zip(rows.column("pool").to_pylist(), has) if not h]
    if excluded:
        notes.append(f"zero liquidity → excluded: {', '.join(excluded)}")
    budget = base_units(params.budget, params.decimals, "budget")
    return ScoreResult(table=table, pools=[Pool("", budget, Rule(rounding=params.rounding))],
                       notes=notes)


PROGRAM = ProgramSpec(
    name="curve",
    token="CRV",
    params=CurveParams,
    epoch=curve_epoch,
    score=curve_score,
    description="Curve CIP#20: weekly gauge rewards proportional to pool utilization",
)

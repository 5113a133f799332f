"""dHEDGE Performance Mining V2 (forum.dhedge.org "A proposal for Performance Mining V2";
dHEDGE docs on performance mining and staking).

Each day the pot (5,000 DHT) is split pro rata by the investor's value in that day's
eligible pools (balanceOf × tokenPrice at the first block of the day); the raw reward of a
period is the sum of the daily shares. The paid reward is capped:
paid = min(raw, max(free_allowance, vDHT / denominator)), denominator 12 (9 and 6 were
debated); the excess is not paid (dHEDGE docs) or, with `excess = "redistribute"`,
water-filled over the uncapped investors (DECISIONS D18).

Exact (issue 15): the period's pot is 5,000 × its calendar days. A day without any snapshot
row is an input error naming the day, unless `missing_day = "unpaid"`; the pot of such a day,
and of a day whose snapshot holds no eligible value, stays unallocated (the reserve pool
`(days without value)`, named in the notes). The score is the raw reward in base units,
Σ_d pot · v_i,d / Σ_j v_j,d as an exact fraction, floored to 18 decimals of a base unit.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Literal

import pyarrow as pa
from pydantic import Field

from distributor.programs.exact import dec_str, floor_to
from distributor.programs.params import CommonParams, Dec, base_units
from distributor.programs.spec import Epoch, Pool, ProgramSpec, Rule, ScoreResult
from distributor.programs.sql import run_sql_file
from epochdrop.errors import ConfigError, InputError
from epochdrop.units import format_amount

HERE = Path(__file__).parent
NO_VALUE = "(days without value)"
FOUR_WEEK_SHARE = Fraction(12, 13)  # a year: 12 months, 13 four-week periods (README)


class DhedgeParams(CommonParams):
    daily_pot: Dec = Field(Decimal(5000), ge=0)        # DHT per day
    free_allowance: Dec = Field(Decimal(100), ge=0)    # DHT paid regardless of vDHT
    denominator: Literal[12, 9, 6] = 12
    vdht_at: Literal["end", "start", "average"] = "end"
    period: Literal["month", "4weeks"] = "month"
    start: date | None = None                          # first day of 4-week epoch 0
    excess: Literal["unpaid", "redistribute"] = "unpaid"
    missing_day: Literal["error", "unpaid"] = "error"  # a calendar day without a snapshot


def dhedge_epoch(label: str, params: DhedgeParams) -> Epoch:
    if params.period == "month":
        try:
            if not re.fullmatch(r"\d{4}-\d{2}", label):
                raise ValueError(label)
            first = datetime.strptime(label, "%Y-%m")
        except ValueError:
            raise ConfigError(f"--epoch {label!r}: dhedge epochs are calendar months, "
                              f"YYYY-MM (or set params.period = \"4weeks\")") from None
        nxt = datetime(first.year + first.month // 12, first.month % 12 + 1, 1)
        return Epoch(label=label, start=first, end=nxt)
    if params.start is None:
        raise ConfigError("params.start: period = \"4weeks\" needs the first day of epoch 0")
    if not label.isdigit():
        raise ConfigError(f"--epoch {label!r}: with period = \"4weeks\" epochs are integers "
                          f"counted from params.start ({params.start})")
    n = int(label)
    s = datetime(params.start.year, params.start.month, params.start.day) + timedelta(28 * n)
    return Epoch(label=str(n), start=s, end=s + timedelta(days=28), index=n)


def cap_base_units(vdht: Decimal, days: int, params: DhedgeParams) -> int:
    """max(free_allowance, vDHT / denominator) in base units, floored; `vdht` summed over
    `days` daily rows when vdht_at = average (the mean is taken exactly here). A 4-week
    period gets 12/13 of the monthly cap (README, "4-week periods")."""
    vdht_units = Fraction(vdht) * 10 ** params.decimals
    free = base_units(params.free_allowance, params.decimals, "free_allowance")
    cap = Fraction(max(free, math.floor(vdht_units / (max(days, 1) * params.denominator))))
    if params.period == "4weeks":
        cap *= FOUR_WEEK_SHARE
    return math.floor(cap)


def calendar_days(epoch: Epoch) -> list[date]:
    first, last = epoch.start.date(), epoch.end.date()
    return [first + timedelta(days=k) for k in range((last - first).days)]


def raw_rewards(con, pot: int) -> dict[str, Fraction]:
    """investor → Σ_d pot · v_i,d / Σ_j v_j,d, exact (one fraction per day and investor)."""
    totals = {d: Fraction(t) for d, t in con.execute(
        "SELECT day, total FROM dhedge_day_totals").fetchall()}
    raw: dict[str, Fraction] = {}
    for day, inv, value in con.execute(
            "SELECT day, investor, value FROM dhedge_daily ORDER BY investor, day").fetchall():
        raw[inv] = raw.get(inv, Fraction(0)) + pot * Fraction(value) / totals[day]
    return raw


def dhedge_score(con, params: DhedgeParams, epoch: Epoch) -> ScoreResult:
    run_sql_file(con, HERE / "score.sql",
                 {"start": epoch.start.date(), "end": epoch.end.date()})
    pot = base_units(params.daily_pot, params.decimals, "daily_pot")
    calendar = calendar_days(epoch)
    snapshots = {r[0] for r in con.execute("SELECT day FROM dhedge_snapshot_days").fetchall()}
    missing = [d for d in calendar if d not in snapshots]
    if missing and params.missing_day == "error":
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise InputError(f"day {missing[0].isoformat()}{more} of period {epoch.label} has no "
                         f"snapshot: the pot is {params.daily_pot} DHT × the calendar days; give that day's "
                         "values, or set params.missing_day = \"unpaid\" to leave its pot "
                         "unallocated", file="dhedge_pool_values", field="day")
    paid_days = {r[0] for r in con.execute(
        "SELECT day FROM dhedge_day_totals WHERE total > 0").fetchall()}
    vdays = con.execute("SELECT count(*) FROM dhedge_vdht_days").fetchall()[0][0]
    rows = con.execute("SELECT investor, days_invested, value_usd_days, vdht_end, "
                       "vdht_start, vdht_sum FROM dhedge_scores ORDER BY investor").fetchall()
    raw = raw_rewards(con, pot)
    accounts, scores, invested, values, used, caps, raws = [], [], [], [], [], [], []
    for inv, n_days, value, v_end, v_start, v_sum in rows:
        if params.vdht_at == "average":
            vdht, n = Decimal(v_sum), vdays
            shown = Decimal(v_sum) / max(vdays, 1)
        else:
            vdht, n = Decimal(v_end if params.vdht_at == "end" else v_start), 1
            shown = vdht
        accounts.append(inv)
        scores.append(dec_str(floor_to(raw[inv])))
        invested.append(n_days)
        values.append(format(value, "f"))
        used.append(format(shown.normalize(), "f"))
        caps.append(str(cap_base_units(vdht, n, params)))
        raws.append(str(math.floor(raw[inv])))
    table = pa.table({
        "pool": pa.array([""] * len(accounts), pa.string()),
        "account": pa.array(accounts, pa.string()),
        "score": pa.array(scores, pa.string()),
        "cap": pa.array(caps, pa.string()),
        "days_invested": pa.array(invested, pa.int64()),
        "value_usd_days": pa.array(values, pa.string()),
        "raw_reward": pa.array(raws, pa.string()),
        "vdht": pa.array(used, pa.string()),
    })
    rule = Rule(rounding=params.rounding, excess=params.excess)
    unpaid_days = len(calendar) - len(paid_days)
    pools = [Pool("", pot * len(paid_days), rule)]
    notes = [f"pot = {params.daily_pot} DHT × {len(calendar)} calendar days; "
             f"vDHT at {params.vdht_at}, cap = max({params.free_allowance} DHT, "
             f"vDHT/{params.denominator})"
             + (" × 12/13 (4-week period)" if params.period == "4weeks" else "")
             + f", excess {params.excess}"]
    if unpaid_days:
        pools.append(Pool(NO_VALUE, pot * unpaid_days, rule, reserve=True))
        notes.append(f"{unpaid_days} day(s) without eligible value ({len(missing)} without a "
                     f"snapshot): their pot, {format_amount(pot * unpaid_days, params.decimals, 'DHT')}, "
                     f"is not allocated")
    return ScoreResult(table=table, pools=pools, notes=notes,
                       extra={"calendar_days": len(calendar), "days_paid": len(paid_days),
                              "days_without_snapshot": [d.isoformat() for d in missing],
                              "vdht_days": vdays})


PROGRAM = ProgramSpec(
    name="dhedge",
    token="DHT",
    params=DhedgeParams,
    epoch=dhedge_epoch,
    score=dhedge_score,
    description="dHEDGE Performance Mining V2: daily pot by invested value, capped by vDHT",
)

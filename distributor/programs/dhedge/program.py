"""dHEDGE Performance Mining V2 (forum.dhedge.org "A proposal for Performance Mining V2";
dHEDGE docs on performance mining and staking).

Each day the pot (5,000 DHT) is split pro rata by the investor's value in that day's
eligible pools (balanceOf × tokenPrice at the first block of the day); the raw reward of a
period is the sum of the daily shares. The paid reward is capped:
paid = min(raw, max(free_allowance, vDHT / denominator)), denominator 12 (9 and 6 were
debated); the excess is not paid (dHEDGE docs) or, with `excess = "redistribute"`,
water-filled over the uncapped investors (DECISIONS D18). Days without any eligible value
pay nothing (their pot stays unallocated).
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

from distributor.allocation import exact_score
from distributor.programs.params import CommonParams, Dec, base_units
from distributor.programs.spec import Epoch, Pool, ProgramSpec, Rule, ScoreResult
from distributor.programs.sql import run_sql_file
from epochdrop.errors import ConfigError

HERE = Path(__file__).parent


class DhedgeParams(CommonParams):
    daily_pot: Dec = Field(Decimal(5000), ge=0)        # DHT per day
    free_allowance: Dec = Field(Decimal(100), ge=0)    # DHT paid regardless of vDHT
    denominator: Literal[12, 9, 6] = 12
    vdht_at: Literal["end", "start", "average"] = "end"
    period: Literal["month", "4weeks"] = "month"
    start: date | None = None                          # first day of 4-week epoch 0
    excess: Literal["unpaid", "redistribute"] = "unpaid"


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
    `days` daily rows when vdht_at = average (the mean is taken exactly here)."""
    vdht_units = Fraction(vdht) * 10 ** params.decimals
    free = base_units(params.free_allowance, params.decimals, "free_allowance")
    return max(free, math.floor(vdht_units / (max(days, 1) * params.denominator)))


def dhedge_score(con, params: DhedgeParams, epoch: Epoch) -> ScoreResult:
    run_sql_file(con, HERE / "score.sql",
                 {"start": epoch.start.date(), "end": epoch.end.date()})
    days = con.execute("SELECT count(*) FROM dhedge_day_totals WHERE total > 0").fetchall()[0][0]
    vdays = con.execute("SELECT count(*) FROM dhedge_vdht_days").fetchall()[0][0]
    rows = con.execute("SELECT investor, score, days_invested, value_usd_days, vdht_end, "
                       "vdht_start, vdht_sum FROM dhedge_scores ORDER BY investor").fetchall()
    pot = base_units(params.daily_pot, params.decimals, "daily_pot")
    accounts, scores, invested, values, used, caps, raws = [], [], [], [], [], [], []
    total_score = sum(exact_score(r[1]) for r in rows)
    for inv, score, n_days, value, v_end, v_start, v_sum in rows:
        if params.vdht_at == "average":
            vdht, n = Decimal(v_sum), vdays
            shown = Decimal(v_sum) / max(vdays, 1)
        else:
            vdht, n = Decimal(v_end if params.vdht_at == "end" else v_start), 1
            shown = vdht
        accounts.append(inv)
        scores.append(score)
        invested.append(n_days)
        values.append(format(value, "f"))
        used.append(format(shown.normalize(), "f"))
        caps.append(str(cap_base_units(vdht, n, params)))
        raw = pot * days * exact_score(score) / total_score if total_score else 0
        raws.append(str(math.floor(raw)))
    table = pa.table({
        "pool": pa.array([""] * len(accounts), pa.string()),
        "account": pa.array(accounts, pa.string()),
        "score": pa.array(scores, pa.float64()),
        "cap": pa.array(caps, pa.string()),
        "days_invested": pa.array(invested, pa.int64()),
        "value_usd_days": pa.array(values, pa.string()),
        "raw_reward": pa.array(raws, pa.string()),
        "vdht": pa.array(used, pa.string()),
    })
    rule = Rule(rounding=params.rounding, excess=params.excess)
    notes = [f"{days} day(s) with eligible value pay the daily pot; "
             f"vDHT at {params.vdht_at}, cap = max({params.free_allowance} DHT, "
             f"vDHT/{params.denominator}), excess {params.excess}"]
    return ScoreResult(table=table, pools=[Pool("", pot * days, rule)], notes=notes,
                       extra={"days_paid": days, "vdht_days": vdays})


PROGRAM = ProgramSpec(
    name="dhedge",
    token="DHT",
    params=DhedgeParams,
    epoch=dhedge_epoch,
    score=dhedge_score,
    description="dHEDGE Performance Mining V2: daily pot by invested value, capped by vDHT",
)

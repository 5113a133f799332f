"""Mirror v2 short-farm vs long-farm split (SIMP-3; Mirror-Protocol/mirror-contracts).

The payout of a window is what the staking contract itself credits each staker in it:
the premium → weight function and every truncation are replayed bit-exactly
(`contract_math.py`), the reward index per staker and the pending carry-over of a side
without stake follow `replay.py`. One pool per (asset, side); its budget is the side's
funding in the window (its part of the deposits plus pending carried in, minus pending
carried out), so the contract's truncation shows as dust. Accounts are Terra bech32
stakers (DECISIONS D19).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
from pydantic import Field, field_validator

from distributor.programs.mirror.replay import Replay
from distributor.programs.params import CommonParams, Dec
from distributor.programs.spec import (Epoch, Pool, ProgramSpec, Rule, ScoreResult,
                                       day_label)
from distributor.programs.sql import run_sql_file
from epochdrop.errors import InputError

HERE = Path(__file__).parent
# cap → D: deployed (0.4, 5), PR #98 (0.8, 2.5), SIMP-3 as proposed (1.0, 2).
DIVISORS = {Decimal("0.4"): Decimal(5), Decimal("0.8"): Decimal("2.5"), Decimal("1"): Decimal(2)}


class MirrorParams(CommonParams):
    decimals: int = Field(6, ge=0, le=30)   # MIR
    epoch_days: int = Field(7, ge=1, le=366)
    cap: Dec = Decimal("0.4")
    adjust_interval_s: int = Field(0, ge=0)

    @field_validator("cap")
    @classmethod
    def _known_cap(cls, v: Decimal) -> Decimal:
        if v.normalize() not in DIVISORS:
            raise ValueError("must be 0.4 (deployed), 0.8 (PR #98) or 1.0 (SIMP-3)")
        return v


def mirror_epoch(label: str, params: MirrorParams) -> Epoch:
    day = day_label(label, "mirror epochs are the window's first day, YYYY-MM-DD")
    start = datetime(day.year, day.month, day.day)
    return Epoch(label=day.isoformat(), start=start,
                 end=start + timedelta(days=params.epoch_days))


def _atomics(d: Decimal) -> int:
    return int(d.scaleb(18))


def _dec(atomics: int) -> str:
    return str(Decimal(atomics).scaleb(-18).quantize(Decimal(1).scaleb(-18)))


def mirror_score(con, params: MirrorParams, epoch: Epoch) -> ScoreResult:
    bad = con.execute("SELECT side FROM mirror_stakes WHERE side NOT IN ('long', 'short') "
                      "ORDER BY side LIMIT 1").fetchall()
    if bad:
        bad = bad[0]
        raise InputError(f"{bad[0]!r} is not long or short", file="mirror_stakes", field="side")
    run_sql_file(con, HERE / "events.sql", {"end": epoch.end})
    cap = params.cap.normalize()
    rep = Replay(cap=_atomics(cap), divisor=_atomics(DIVISORS[cap]),
                 interval=params.adjust_interval_s)
    start_credits: dict | None = None
    skipped = 0
    for time, _seq, kind, asset, staker, side, a, b, c in con.execute(
            "SELECT * FROM mirror_events ORDER BY time, seq, kind, asset, staker, side, "
            "CAST(a AS HUGEINT), b, c").fetchall():   # a table keeps no order on every engine
        if start_credits is None and time >= epoch.start:
            start_credits = rep.open_window()
        if kind == 0:
            skipped += not rep.premium(time, asset, int(a), int(b), _atomics(Decimal(c)))
        elif kind == 1:
            rep.deposit(asset, int(a))
        else:
            rep.stake(time, staker, asset, side, int(a))
    if start_credits is None:
        start_credits = rep.open_window()
    end_credits = rep.close_window()
    rows = []
    for key in sorted(end_credits):
        asset, side, staker = key
        credit = end_credits[key] - start_credits.get(key, 0)
        s = rep.stakers[key]
        rows.append((f"{asset}/{side}", staker, credit, asset, side, s.bond,
                     _dec(rep.assets[asset].sides[side].index), _dec(s.index)))
    cols = list(zip(*rows)) if rows else [[]] * 8
    table = pa.table({
        "pool": pa.array(cols[0], pa.string()),
        "account": pa.array(cols[1], pa.string()),
        "score": pa.array(cols[2], pa.decimal128(38, 0)),
        "asset": pa.array(cols[3], pa.string()),
        "side": pa.array(cols[4], pa.string()),
        "bond_end": pa.array(cols[5], pa.decimal128(38, 0)),
        "pool_index_end": pa.array(cols[6], pa.string()),
        "staker_index_end": pa.array(cols[7], pa.string()),
    })
    budgets: dict[str, int] = {}
    for pool, credit in zip(cols[0], cols[2]):
        budgets[pool] = budgets.get(pool, 0) + credit
    pools, over = [], []
    for p in sorted(set(budgets) | set(rep.facts)):
        f = rep.facts.get(p, {"deposited": 0, "pending_in": 0, "pending_out": 0})
        funded = f["deposited"] + f["pending_in"] - f["pending_out"]
        if budgets.get(p, 0) > funded:
            over.append(f"{p} {budgets[p] - funded}")
        pools.append(Pool(p, max(funded, budgets.get(p, 0)), Rule(exact=True)))
    facts = {"pools": {k: {kk: str(vv) for kk, vv in v.items()}
                       for k, v in sorted(rep.facts.items())},
             "weights_end": {k: _dec(a.weight) for k, a in sorted(rep.assets.items())},
             "premium_updates_skipped": skipped,
             "cap": str(cap), "divisor": str(DIVISORS[cap])}
    notes = ["payouts are the staking contract's own credits (reward index per staker); a "
             "pool's budget is its funding in the window (deposits + pending in − pending "
             "out); the contract's truncation stays as dust"]
    if over:
        notes.append("the contract credits more than the funding (truncation at bond "
                     "changes); budget raised to the credits: " + ", ".join(over))
    parked = [k for k, v in sorted(rep.facts.items()) if v["pending_out"]]
    if parked:
        notes.append("pending carried over (side without stake): " + ", ".join(
            f"{k} {rep.facts[k]['pending_out']}" for k in parked))
    return ScoreResult(table=table, pools=pools, notes=notes, extra=facts)


PROGRAM = ProgramSpec(
    name="mirror",
    token="MIR",
    params=MirrorParams,
    epoch=mirror_epoch,
    score=mirror_score,
    description="Mirror v2 short/long farm split by premium (SIMP-3), contract-exact",
)

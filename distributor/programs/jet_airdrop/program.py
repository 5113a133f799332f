"""Jet governance airdrop (programs.md §3, DECISIONS D16; README.md here).

user_score = (Σ_v w_v^(1/3)) · n / N over the user's votes on the selected proposals
(Asset Onboarding, before 2023-04-30), w in JET; a vote counts only if w > min_weight
(strict), and a vote below it counts for neither term; n = the user's counted votes,
N = proposal_count (19). Relinquished vote records still count. One pool of 3,600,000 JET.

Exact (issue 15): each w^(1/3) is floored to 18 decimals exactly (an integer cube root of
w · 10^54), the roots are summed exactly, and the stored score is (Σ_v w_v^(1/3)) · n —
user_score × N: N is the same for every user, so leaving it out changes no share and keeps
the score a finite decimal. `user_score` (÷ N, floored to 18 decimals) is shown alongside.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from fractions import Fraction

import pyarrow as pa
from pydantic import Field

from distributor.programs.exact import dec_str, floor_root_product, floor_to
from distributor.programs.params import CommonParams, Dec, base_units
from distributor.programs.spec import Epoch, Pool, ProgramSpec, Rule, ScoreResult
from epochdrop.errors import ConfigError, InputError



class AirdropParams(CommonParams):
    decimals: int = Field(9, ge=0, le=30)
    budget: Dec = Field(Decimal(3_600_000), ge=0)      # JET
    min_weight: Dec = Field(Decimal(1000), ge=0)        # JET, strict
    proposal_count: int = Field(19, ge=1)               # N
    cutoff: datetime = datetime(2023, 4, 30)            # votes before this instant, UTC
    category: str = "Asset Onboarding"
    proposals: tuple[str, ...] | None = None            # explicit list instead of category


def window(label: str, p: AirdropParams) -> Epoch:
    if str(label).strip() != "0":
        raise ConfigError(f"--epoch {label!r}: the Jet airdrop has one epoch, 0")
    return Epoch("0", datetime(1970, 1, 1), p.cutoff.replace(tzinfo=None), 0)


def selected(con, p: AirdropParams) -> set[str]:
    """The proposals that count: `proposals` when given, else the category's."""
    if p.proposals is not None:
        return set(p.proposals)
    rows = con.execute("SELECT DISTINCT proposal FROM governance_proposals WHERE category = ?",
                       [p.category]).fetchall()
    if not rows and not con.execute("SELECT count(*) FROM governance_proposals").fetchall()[0][0]:
        raise InputError("no governance_proposals table: give it, or list params.proposals",
                         file="governance_proposals")
    return {r[0] for r in rows}


def score(con, p: AirdropParams, epoch: Epoch) -> ScoreResult:
    chosen = selected(con, p)
    dup = con.execute("SELECT voter, proposal FROM governance_votes GROUP BY voter, proposal "
                      "HAVING count(*) > 1 ORDER BY voter, proposal LIMIT 1").fetchall()
    if dup:
        raise InputError(f"voter {dup[0][0]} has two vote records on proposal {dup[0][1]}",
                         file="governance_votes")
    rows = con.execute("SELECT voter, proposal, weight FROM governance_votes WHERE time < ? "
                       "ORDER BY voter, proposal", [epoch.end]).fetchall()
    per: dict[str, dict] = {}
    below = 0
    for voter, proposal, weight in rows:
        if proposal not in chosen:
            continue
        if weight <= p.min_weight:  # exact Decimal comparison, strict threshold
            below += 1
            continue
        per.setdefault(voter, []).append(floor_root_product([(Fraction(weight), Fraction(1, 3))]))
    voters = sorted(per)
    roots = [sum(per[v], Fraction(0)) for v in voters]  # exact: any order, same sum
    counts = [len(per[v]) for v in voters]
    scores = [r * c for r, c in zip(roots, counts)]
    table = pa.table({
        "pool": pa.array([""] * len(voters), pa.string()),
        "account": pa.array(voters, pa.string()),
        "score": pa.array([dec_str(x) for x in scores], pa.string()),
        "user_score": pa.array([dec_str(floor_to(x / p.proposal_count)) for x in scores],
                               pa.string()),
        "weight_cbrt_sum": pa.array([dec_str(r) for r in roots], pa.string()),
        "votes_counted": pa.array(counts, pa.int64()),
    })
    budget = base_units(p.budget, p.decimals, "budget")
    return ScoreResult(
        table=table, pools=[Pool("", budget, Rule(rounding=p.rounding))],
        notes=[f"{below} vote records at or below {p.min_weight} JET counted for neither term"],
        extra={"proposals": sorted(chosen), "proposal_count": p.proposal_count,
               "votes_below_min_weight": below})


PROGRAM = ProgramSpec(
    name="jet_airdrop", token="JET", params=AirdropParams, epoch=window,
    score=score, description="Jet governance airdrop for Asset Onboarding voters",
)

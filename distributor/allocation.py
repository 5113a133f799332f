"""Exact integer payouts from scores (programs.md, "Allocation", shared by all programs).

amount_i = floor(budget · score_i / Σ score) computed with integers and Fractions, never
float·budget. Thresholds remove accounts before shares; caps leave the excess `unpaid` or
water-fill it (`redistribute`) over the uncapped accounts; leftover units are dust or go
out by largest remainder (ties: smaller account first). Invariants: Σ ≤ budget always;
= budget with largest remainder unless the excess of a cap is left unpaid or every score
is zero.

Scores are exact (issue 15, superseding DECISIONS D21's 12-digit rounding): ints,
Decimals, Fractions or decimal strings, as `scores.parquet` stores them. A float score is
refused: no float may decide a payout, since its last bits depend on the thread order,
the libm and the engine. A threshold is strict (D30: the seeds say "exceeding"), compared
as exact fractions: an account whose share is exactly the threshold is removed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Mapping

from distributor.programs.spec import Rule
from epochdrop.errors import InternalError

SIG_DIGITS = 12


def exact_score(v: object) -> Fraction:
    """A score as an exact Fraction: an int, Decimal, Fraction or decimal string."""
    if isinstance(v, bool) or v is None:
        raise InternalError(f"score {v!r} is not a number")
    if isinstance(v, float):
        raise InternalError(f"score {v!r} is a float; scores must be exact (an int, a "
                            "Decimal or a decimal string), see docs/design.md §5")
    if isinstance(v, str):
        try:
            d = Decimal(v)
        except ArithmeticError:
            raise InternalError(f"score {v!r} is not a decimal string") from None
        if not d.is_finite():
            raise InternalError(f"score {v!r} is not finite")
        f = Fraction(d)
    elif isinstance(v, (int, Decimal, Fraction)):
        if isinstance(v, Decimal) and not v.is_finite():
            raise InternalError(f"score {v!r} is not finite")
        f = Fraction(v)
    else:
        raise InternalError(f"score {v!r} has type {type(v).__name__}")
    if f < 0:
        raise InternalError(f"score {v!r} is negative")
    return f


def round_sig(v: float | None) -> float | None:
    """A display-only float (e.g. rewards' `share`) rounded to 12 significant digits, so the
    file's bytes do not depend on the last bits; never used to decide a payout."""
    if v is None or not math.isfinite(v):
        return v
    return float(format(v, f".{SIG_DIGITS}g"))


@dataclass
class PoolAllocation:
    """The outcome for one pool: payouts plus where every other unit went."""

    amounts: dict[str, int]
    budget: int
    dust: int = 0          # rounding leftover kept undistributed
    unpaid: int = 0        # excess above caps left unpaid (incl. its fractional part)
    unallocated: int = 0   # budget not allocated because no account had a score
    removed: dict[str, str] = field(default_factory=dict)  # account → reason
    capped: list[str] = field(default_factory=list)

    @property
    def allocated(self) -> int:
        return sum(self.amounts.values())


def allocate(budget: int, scores: Mapping[str, object], rule: Rule = Rule(), *,
             caps: Mapping[str, int | None] | None = None,
             eligible: Mapping[str, bool] | None = None) -> PoolAllocation:
    """Split `budget` (base units) over `scores` by `rule`; see the module docstring."""
    if not isinstance(budget, int) or budget < 0:
        raise InternalError(f"budget {budget!r} must be a non-negative int")
    caps = caps or {}
    exact = {a: exact_score(s) for a, s in scores.items()}
    res = PoolAllocation(amounts={}, budget=budget)
    for a in sorted(exact):
        if eligible is not None and not eligible.get(a, True):
            res.removed[a] = "ineligible"
    live = {a: s for a, s in exact.items() if a not in res.removed}
    if rule.exact:
        return _exact(res, live)
    if rule.threshold is not None:
        total = sum(live.values())
        cut = Fraction(Decimal(rule.threshold))
        for a in sorted(live):
            if total > 0 and live[a] / total <= cut:  # strict: paid only above the cut
                res.removed[a] = "below threshold"
        live = {a: s for a, s in live.items() if a not in res.removed}
    live = {a: s for a, s in live.items() if s > 0}
    if not live:
        res.unallocated = budget
        return res
    ideal = _ideal(budget, live, caps, rule.excess, res)
    floors = {a: x.numerator // x.denominator for a, x in ideal.items()}
    paid_exact = sum(ideal.values(), Fraction(0))
    if rule.rounding == "largest_remainder":
        target = paid_exact.numerator // paid_exact.denominator
        spare = target - sum(floors.values())
        order = sorted(ideal, key=lambda a: (-(ideal[a] - floors[a]), a))
        for a in order[:spare]:
            floors[a] += 1
    res.amounts = {a: n for a, n in sorted(floors.items()) if n > 0}
    res.unpaid = budget - _ceil(paid_exact) if res.capped else 0
    res.dust = budget - res.unpaid - res.allocated
    _check(res)
    return res


def _ideal(budget: int, live: dict[str, Fraction], caps: Mapping[str, int | None],
           excess: str, res: PoolAllocation) -> dict[str, Fraction]:
    """Exact (fractional) payouts before rounding, with caps applied.

    `unpaid`: one pass — pro-rata shares, each cut to its cap. `redistribute`: water-fill —
    fix every account whose share passes its cap at the cap, share what is left over the
    others in proportion to their scores, and repeat until nobody passes (a fixed account
    only ever raises the others' shares, so it never needs un-fixing)."""
    fixed: dict[str, Fraction] = {}
    active = dict(live)
    remaining = Fraction(budget)
    share: dict[str, Fraction] = {}
    while active:
        total = sum(active.values())
        share = {a: remaining * s / total for a, s in active.items()}
        over = [a for a in sorted(active) if caps.get(a) is not None and share[a] > caps[a]]
        if not over:
            break
        for a in over:
            fixed[a] = Fraction(caps[a])
            if excess == "redistribute":
                remaining -= fixed[a]
                del active[a]
        if excess == "unpaid":
            break
    res.capped = sorted(fixed)
    return {**{a: x for a, x in share.items() if a in active}, **fixed}


def _exact(res: PoolAllocation, live: dict[str, Fraction]) -> PoolAllocation:
    for a, s in live.items():
        if s.denominator != 1:
            raise InternalError(f"exact pool: score of {a} is not an integer ({s})")
    res.amounts = {a: int(s) for a, s in sorted(live.items()) if s > 0}
    if res.allocated > res.budget:
        raise InternalError(f"exact pool pays {res.allocated} > budget {res.budget}")
    res.dust = res.budget - res.allocated
    return res


def _ceil(x: Fraction) -> int:
    return -((-x.numerator) // x.denominator)


def _check(res: PoolAllocation) -> None:
    if res.allocated + res.dust + res.unpaid + res.unallocated != res.budget or res.dust < 0:
        raise InternalError(f"allocation does not add up: {res}")

"""The allocation engine (programs.md "Allocation"): hand-checked cases and properties."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distributor.allocation import allocate, exact_score
from distributor.programs.spec import Rule
from epochdrop.errors import InternalError

LR = Rule(rounding="largest_remainder")


def test_floor_shares_keep_dust():
    r = allocate(100, {"a": "1.0", "b": "1", "c": 1})
    assert r.amounts == {"a": 33, "b": 33, "c": 33}
    assert (r.dust, r.unpaid, r.unallocated) == (1, 0, 0)


def test_largest_remainder_ties_broken_by_account():
    r = allocate(100, {"c": 1, "b": 1, "a": 1}, LR)
    assert r.amounts == {"a": 34, "b": 33, "c": 33}
    assert r.dust == 0


def test_largest_remainder_prefers_larger_remainder():
    # 10 · (1, 2, 4)/7 = 1.43, 2.86, 5.71 → floors 1, 2, 5; two units left → b (.86), c (.71)
    r = allocate(10, {"a": 1, "b": 2, "c": 4}, LR)
    assert r.amounts == {"a": 1, "b": 3, "c": 6}


def test_exact_rational_not_float_times_budget():
    # 10^30 · 1/3 in floats would be off by far more than one unit
    r = allocate(10**30, {"a": 1, "b": 2})
    assert r.amounts == {"a": 333333333333333333333333333333, "b": 666666666666666666666666666666}


def test_scores_are_exact_and_floats_refused():
    # issue 15: decimal strings as scores.parquet stores them; a float decides nothing
    assert exact_score("0.3") == Fraction(3, 10)
    assert exact_score("12.000000000000000001") == Fraction(12 * 10**18 + 1, 10**18)
    with pytest.raises(InternalError, match="float"):
        exact_score(0.1 + 0.2)
    with pytest.raises(InternalError):
        exact_score("1e")


def test_threshold_removes_before_shares():
    # b has 0.1% < 1% → removed; a gets everything, not 99.9%
    r = allocate(1000, {"a": 999, "b": 1}, Rule(threshold="0.01"))
    assert r.amounts == {"a": 1000}
    assert r.removed == {"b": "below threshold"}


def test_threshold_is_strict_at_the_boundary():
    # D30: the seeds say "exceeding": exactly 1% is removed, a hair above it is paid
    r = allocate(1000, {"a": 99, "b": 1}, Rule(threshold="0.01"))
    assert r.amounts == {"a": 1000} and r.removed == {"b": "below threshold"}
    r = allocate(10**6, {"a": "99", "b": "1.000000000000000001"}, Rule(threshold="0.01"))
    assert r.amounts == {"a": 989999, "b": 10000}


def test_ineligible_removed_before_shares():
    r = allocate(90, {"a": 1, "b": 1, "c": 1}, eligible={"a": True, "b": False, "c": True})
    assert r.amounts == {"a": 45, "c": 45}
    assert r.removed == {"b": "ineligible"}


def test_cap_unpaid():
    # 100 · (5,1,1)/7 = 71.43, 14.29, 14.29; a capped at 40 → 31.43 unpaid
    r = allocate(100, {"a": 5, "b": 1, "c": 1}, caps={"a": 40})
    assert r.amounts == {"a": 40, "b": 14, "c": 14}
    assert r.capped == ["a"] and r.unpaid == 31 and r.dust == 1


def test_cap_redistribute_water_fills():
    # a capped at 40; 60 left over b, c in proportion 1:1
    r = allocate(100, {"a": 5, "b": 1, "c": 1}, Rule(excess="redistribute"), caps={"a": 40})
    assert r.amounts == {"a": 40, "b": 30, "c": 30}
    assert r.unpaid == 0 and r.dust == 0


def test_cap_redistribute_cascades():
    # a capped at 10 → 90 over b (2) and c (1) = 60 / 30; b capped at 50 → c gets 40
    r = allocate(100, {"a": 10, "b": 2, "c": 1}, Rule(excess="redistribute"),
                 caps={"a": 10, "b": 50})
    assert r.amounts == {"a": 10, "b": 50, "c": 40}


def test_cap_binds_for_everyone():
    r = allocate(100, {"a": 1, "b": 1, "c": 1}, Rule(excess="redistribute"),
                 caps={"a": 10, "b": 10, "c": 10})
    assert r.amounts == {"a": 10, "b": 10, "c": 10}
    assert r.unpaid == 70 and r.dust == 0


def test_all_scores_zero_allocates_nothing():
    r = allocate(100, {"a": "0.0", "b": 0})
    assert r.amounts == {} and r.unallocated == 100


def test_exact_pays_the_scores():
    r = allocate(1000, {"a": 400, "b": 599}, Rule(exact=True))
    assert r.amounts == {"a": 400, "b": 599} and r.dust == 1
    with pytest.raises(InternalError):
        allocate(10, {"a": 11}, Rule(exact=True))


def test_bad_scores_are_bugs():
    for bad in (-1, float("nan"), float("inf"), None, 1.5, "nan", "-2"):
        with pytest.raises(InternalError):
            allocate(10, {"a": bad})


# ---- properties -------------------------------------------------------------------------

accounts = st.lists(st.sampled_from([f"0x{i:02x}" for i in range(40)]), min_size=1,
                    max_size=25, unique=True)
score_values = st.one_of(st.integers(0, 10**24),
                         st.decimals(0, 10**12, allow_nan=False, allow_infinity=False,
                                     places=18).map(str))
budgets = st.integers(0, 10**30)


@st.composite
def score_maps(draw):
    names = draw(accounts)
    return {a: draw(score_values) for a in names}


def _ideal(budget, scores):
    ex = {a: exact_score(s) for a, s in scores.items()}
    total = sum(ex.values())
    if total == 0:
        return {}, total
    return {a: budget * s / total for a, s in ex.items()}, total


@settings(max_examples=150, deadline=None)
@given(budgets, score_maps())
def test_dust_is_exact_floor_and_never_exceeds_budget(budget, scores):
    r = allocate(budget, scores)
    assert r.allocated <= budget
    ideal, total = _ideal(budget, scores)
    if total == 0:
        assert r.amounts == {} and r.unallocated == budget
        return
    for a, x in ideal.items():
        assert r.amounts.get(a, 0) == x.numerator // x.denominator
    assert r.allocated + r.dust == budget


@settings(max_examples=150, deadline=None)
@given(budgets, score_maps())
def test_largest_remainder_pays_the_budget_exactly(budget, scores):
    r = allocate(budget, scores, LR)
    ideal, total = _ideal(budget, scores)
    if total == 0:
        assert r.allocated == 0
        return
    assert r.allocated == budget
    plus = []
    for a, x in ideal.items():
        f = x.numerator // x.denominator
        assert r.amounts.get(a, 0) in (f, f + 1)
        if r.amounts.get(a, 0) == f + 1:
            plus.append(a)
    rem = {a: x - (x.numerator // x.denominator) for a, x in ideal.items()}
    for a in plus:  # a bumped account has a larger remainder, or an equal one and a smaller name
        for b in ideal:
            if b not in plus:
                assert rem[a] > rem[b] or (rem[a] == rem[b] and a < b)


@settings(max_examples=100, deadline=None)
@given(budgets, score_maps(), st.data(), st.sampled_from(["unpaid", "redistribute"]),
       st.sampled_from(["dust", "largest_remainder"]))
def test_caps_are_respected_and_budget_kept(budget, scores, data, excess, rounding):
    caps = {a: data.draw(st.one_of(st.none(), st.integers(0, 10**29))) for a in scores}
    r = allocate(budget, scores, Rule(rounding=rounding, excess=excess), caps=caps)
    assert r.allocated + r.dust + r.unpaid + r.unallocated == budget
    assert r.allocated <= budget
    for a, n in r.amounts.items():
        if caps[a] is not None:
            assert n <= caps[a]
    if excess == "redistribute" and r.unallocated == 0:
        uncapped = [a for a, s in scores.items() if exact_score(s) > 0 and a not in r.capped]
        if uncapped:  # water-filling leaves nothing unpaid while someone is under the cap
            assert r.unpaid == 0
            if rounding == "largest_remainder":
                assert r.allocated == budget


@settings(max_examples=100, deadline=None)
@given(budgets, score_maps(), st.integers(1, 10**6))
def test_order_and_scale_do_not_matter(budget, scores, k):
    ints = {a: int(exact_score(s)) for a, s in scores.items()}
    a1 = allocate(budget, ints, LR)
    a2 = allocate(budget, dict(reversed(list(ints.items()))), LR)
    a3 = allocate(budget, {a: s * k for a, s in ints.items()}, LR)
    assert a1.amounts == a2.amounts == a3.amounts


@settings(max_examples=100, deadline=None)
@given(budgets, score_maps(), st.sampled_from(["0.001", "0.05", "0.25"]))
def test_threshold_removes_exactly_the_small_shares(budget, scores, t):
    r = allocate(budget, scores, Rule(threshold=t))
    ex = {a: exact_score(s) for a, s in scores.items()}
    total = sum(ex.values())
    for a, s in ex.items():
        small = total > 0 and s / total <= Fraction(t)   # strict: "exceeding" (D30)
        assert (r.removed.get(a) == "below threshold") == small

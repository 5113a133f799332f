"""dHEDGE Performance Mining V2 (programs.md §4): the vDHT cap, its denominators, excess
modes, when vDHT is read, periods, eligible pools — numbers worked by hand in comments."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from distributor.runner import score_epoch
from epochdrop.errors import ConfigError, InputError
from tests.support.program_data import rewards, scores, write_config, write_table

DHT = 10**18


def write_inputs(folder, values, vdht, eligible=None):
    """values: (day, pool, investor, usd); vdht: (day, investor, vdht); eligible defaults to
    every (day, pool) that has a value."""
    write_table(folder, "dhedge_pool_values", ["day", "pool", "investor", "value_usd"], values)
    if eligible is None:
        eligible = sorted({(d, p) for d, p, _, _ in values})
    write_table(folder, "dhedge_eligible_pools", ["day", "pool"], eligible)
    write_table(folder, "dhedge_vdht", ["day", "investor", "vdht"], vdht)


# One day (2022-03-01) of a 5,000 DHT pot; value 1,000 / 2,000 / 6,900 / 100 of 10,000 →
# raw 500 / 1,000 / 3,450 / 50 DHT. vDHT 1,200 / 24,000 / 6,000 / 0.
VALUES = [("2022-03-01", "0xpool", "0xAlice", "1000"), ("2022-03-01", "0xpool", "0xBob", "2000"),
          ("2022-03-01", "0xpool", "0xCarol", "6900"), ("2022-03-01", "0xpool", "0xDave", "100")]
VDHT = [("2022-03-31", "0xAlice", "1200"), ("2022-03-31", "0xBob", "24000"),
        ("2022-03-31", "0xCarol", "6000")]


@pytest.mark.parametrize("denominator, expected", [
    # paid = min(raw, max(100, vDHT/d))
    (12, {"0xAlice": 100 * DHT, "0xBob": 1000 * DHT, "0xCarol": 500 * DHT, "0xDave": 50 * DHT}),
    (9, {"0xAlice": 1200 * DHT // 9, "0xBob": 1000 * DHT, "0xCarol": 6000 * DHT // 9,
         "0xDave": 50 * DHT}),
    (6, {"0xAlice": 200 * DHT, "0xBob": 1000 * DHT, "0xCarol": 1000 * DHT, "0xDave": 50 * DHT}),
])
def test_cap_min_raw_max_100_vdht_over_denominator(tmp_path, denominator, expected):
    write_inputs(tmp_path / "in", VALUES, VDHT)
    cfg = write_config(tmp_path / "c.toml", "dhedge", denominator=denominator,
                       missing_day="unpaid")
    m = score_epoch("dhedge", tmp_path / "in", "2022-03", tmp_path / "out", config=cfg)
    assert rewards(tmp_path / "out") == expected
    t = m.scoring.model_dump()
    assert t["budget"] == str(31 * 5000 * DHT)      # the pot is 5,000 × the calendar days
    assert t["unallocated"] == str(30 * 5000 * DHT)  # 30 days without a snapshot
    assert int(t["allocated"]) + int(t["unpaid"]) + int(t["dust"]) == 5000 * DHT
    raw = {r["account"]: int(r["raw_reward"]) for r in scores(tmp_path / "out")}
    assert raw == {"0xAlice": 500 * DHT, "0xBob": 1000 * DHT, "0xCarol": 3450 * DHT,
                   "0xDave": 50 * DHT}


def test_redistribute_water_fills_until_the_cap_binds_for_everyone(tmp_path):
    # Alice (cap 100) and Carol (cap 500) are capped: 4,400 left for Bob (2,000 of value)
    # and Dave (100): Bob's 4,190.48 passes his cap 2,000; Dave would get 2,400 > cap 100.
    # Everyone capped: paid 100 + 2,000 + 500 + 100 = 2,700; 2,300 stays unpaid.
    write_inputs(tmp_path / "in", VALUES, VDHT)
    cfg = write_config(tmp_path / "c.toml", "dhedge", excess="redistribute",
                       missing_day="unpaid")
    m = score_epoch("dhedge", tmp_path / "in", "2022-03", tmp_path / "out", config=cfg)
    assert rewards(tmp_path / "out") == {"0xAlice": 100 * DHT, "0xBob": 2000 * DHT,
                                         "0xCarol": 500 * DHT, "0xDave": 100 * DHT}
    assert m.scoring.unpaid == str(2300 * DHT)
    assert m.scoring.pools[0].capped == ["0xAlice", "0xBob", "0xCarol", "0xDave"]


def test_redistribute_with_room_pays_the_whole_pot(tmp_path):
    # Bob's vDHT 120,000 → cap 10,000: Alice (100) and Carol (500) capped, 4,400 over Bob
    # (2,000) and Dave (100) → Dave 209.52 > cap 100 → Dave 100, Bob 4,300.
    vdht = VDHT[:1] + [("2022-03-31", "0xBob", "120000")] + VDHT[2:]
    write_inputs(tmp_path / "in", VALUES, vdht)
    cfg = write_config(tmp_path / "c.toml", "dhedge", excess="redistribute",
                       rounding="largest_remainder", missing_day="unpaid")
    m = score_epoch("dhedge", tmp_path / "in", "2022-03", tmp_path / "out", config=cfg)
    assert rewards(tmp_path / "out") == {"0xAlice": 100 * DHT, "0xBob": 4300 * DHT,
                                         "0xCarol": 500 * DHT, "0xDave": 100 * DHT}
    assert m.scoring.allocated == str(5000 * DHT)


@pytest.mark.parametrize("vdht_at, cap", [
    ("end", 100 * DHT),                # 3-31: 0 → free allowance
    ("start", 300 * DHT),              # 3-01: 3,600 / 12
    ("average", 6000 * DHT // 36),     # (3,600 + 2,400 + 0) / 3 days / 12 = 166.67
])
def test_when_vdht_is_read(tmp_path, vdht_at, cap):
    values = [("2022-03-01", "0xpool", "0xAlice", "1"), ("2022-03-01", "0xpool", "0xBob", "9")]
    vdht = [("2022-03-01", "0xAlice", "3600"), ("2022-03-15", "0xAlice", "2400"),
            ("2022-03-31", "0xAlice", "0"), ("2022-03-31", "0xBob", "1000000"),
            ("2022-03-01", "0xBob", "1000000"),
            ("2022-04-01", "0xAlice", "999999")]   # next month: ignored
    write_inputs(tmp_path / "in", values, vdht)
    cfg = write_config(tmp_path / "c.toml", "dhedge", vdht_at=vdht_at, missing_day="unpaid")
    score_epoch("dhedge", tmp_path / "in", "2022-03", tmp_path / "out", config=cfg)
    assert rewards(tmp_path / "out") == {"0xAlice": cap, "0xBob": 4500 * DHT}


def test_daily_pro_rata_over_eligible_pools(tmp_path):
    # day 1: Alice 1,000 and Bob 3,000 in pool A → 1,250 / 3,750; day 2: Bob's pool B is
    # not eligible → Alice takes the whole 5,000. Raw: Alice 6,250, Bob 3,750 (no cap binds).
    values = [("2022-03-01", "0xA", "0xAlice", "1000"), ("2022-03-01", "0xA", "0xBob", "3000"),
              ("2022-03-02", "0xA", "0xAlice", "1000"), ("2022-03-02", "0xB", "0xBob", "1000"),
              ("2022-02-28", "0xA", "0xBob", "1000000")]   # previous month: ignored
    eligible = [("2022-03-01", "0xA"), ("2022-03-02", "0xA"), ("2022-02-28", "0xA")]
    vdht = [("2022-03-31", "0xAlice", "1000000"), ("2022-03-31", "0xBob", "1000000")]
    write_inputs(tmp_path / "in", values, vdht, eligible)
    cfg = write_config(tmp_path / "c.toml", "dhedge", missing_day="unpaid")
    m = score_epoch("dhedge", tmp_path / "in", "2022-03", tmp_path / "out", config=cfg)
    assert rewards(tmp_path / "out") == {"0xAlice": 6250 * DHT, "0xBob": 3750 * DHT}
    assert m.scoring.facts["days_paid"] == 2


def test_four_week_periods(tmp_path):
    values = [("2022-03-02", "0xA", "0xEarly", "10"), ("2022-03-03", "0xA", "0xIn", "10"),
              ("2022-03-30", "0xA", "0xIn", "10"), ("2022-03-31", "0xA", "0xLate", "10")]
    write_inputs(tmp_path / "in", values, [])
    cfg = write_config(tmp_path / "c.toml", "dhedge", period="4weeks", start="2022-01-06",
                       free_allowance=1000000, missing_day="unpaid")
    m = score_epoch("dhedge", tmp_path / "in", "2", tmp_path / "out", config=cfg)
    # epoch 2 = [2022-01-06 + 56 days, + 28) = [2022-03-03, 2022-03-31)
    assert (m.epoch.start, m.epoch.end) == ("2022-03-03T00:00:00Z",
                                                        "2022-03-31T00:00:00Z")
    assert rewards(tmp_path / "out") == {"0xIn": 10000 * DHT}
    assert m.scoring.budget == str(28 * 5000 * DHT)
    # the cap of a 4-week period is 12/13 of the monthly one: 1,000,000 · 12/13 DHT
    row = scores(tmp_path / "out")[0]
    assert int(row["cap"]) == 1000000 * DHT * 12 // 13


def test_no_eligible_value_allocates_nothing(tmp_path):
    write_inputs(tmp_path / "in", VALUES, VDHT, eligible=[("2022-03-01", "0xother")])
    cfg = write_config(tmp_path / "c.toml", "dhedge", missing_day="unpaid")
    m = score_epoch("dhedge", tmp_path / "in", "2022-03", tmp_path / "out", config=cfg)
    assert rewards(tmp_path / "out") == {}
    assert m.scoring.allocated == "0"
    assert "all scores zero → nothing allocated" in m.scoring.notes


@pytest.mark.parametrize("params, epoch, match", [
    ({}, "2022-13", "YYYY-MM"),
    ({"period": "4weeks"}, "2", "params.start"),
    ({"period": "4weeks", "start": "2022-01-06"}, "2022-03", "integers"),
    ({"denominator": 10}, "2022-03", "params.denominator"),
    ({"daily_pot": "-5"}, "2022-03", "params.daily_pot"),
    ({"daily_pot": "0.0000000000000000001"}, "2022-03", "more than 18 decimals"),
    ({"colour": "blue"}, "2022-03", "params.colour: unknown key"),
])
def test_bad_config_is_one_clear_line(tmp_path, params, epoch, match):
    write_inputs(tmp_path / "in", VALUES, VDHT)
    cfg = write_config(tmp_path / "c.toml", "dhedge", **params)
    with pytest.raises(ConfigError, match=match):
        score_epoch("dhedge", tmp_path / "in", epoch, tmp_path / "out", config=cfg)
    assert not (tmp_path / "out").exists()


# ---- differential: SQL + engine against a plain per-day Python reading of the rule --------

INVESTORS = ["0xA", "0xB", "0xC", "0xD"]


def _raw(values, eligible):
    pot, raw = Fraction(5000), {}
    for day in sorted({d for d, _, _, _ in values}):
        day_vals = {}
        for d, pool, inv, usd in values:
            if d == day and (d, pool) in eligible and Fraction(usd) > 0:
                day_vals[inv] = day_vals.get(inv, 0) + Fraction(usd)
        total = sum(day_vals.values())
        for inv, v in day_vals.items():
            raw[inv] = raw.get(inv, 0) + pot * v / total
    return raw


def _cap(vdht, inv, denominator):
    last = max((d for d, _, _ in vdht), default=None)
    return max(Fraction(100), sum((Fraction(x) for d, i, x in vdht if d == last and i == inv),
                                  Fraction(0)) / denominator)


def _floor_units(x):
    return x.numerator * DHT // x.denominator


def _reference(values, eligible, vdht, denominator, excess):
    """Daily pot by exact value shares; cap max(100, vDHT_end/d); water-fill by a level λ."""
    pot = Fraction(5000)
    raw = {}
    for day in sorted({d for d, _, _, _ in values}):
        day_vals = {}
        for d, pool, inv, usd in values:
            if d == day and (d, pool) in eligible:
                day_vals[inv] = day_vals.get(inv, 0) + Fraction(usd)
        total = sum(day_vals.values())
        for inv, v in day_vals.items():
            if total > 0 and v > 0:
                raw[inv] = raw.get(inv, 0) + pot * v / total
    last = max((d for d, _, _ in vdht), default=None)
    cap = {inv: max(Fraction(100), sum((Fraction(x) for d, i, x in vdht
                                        if d == last and i == inv), Fraction(0)) / denominator)
           for inv in raw}
    if excess == "unpaid":
        return {inv: min(r, cap[inv]) for inv, r in raw.items()}
    budget = sum(raw.values())
    lo, hi = Fraction(0), Fraction(10**9)   # paid_i = min(cap_i, λ·raw_i), Σ = budget
    for _ in range(200):
        mid = (lo + hi) / 2
        if sum(min(cap[i], mid * r) for i, r in raw.items()) < budget:
            lo = mid
        else:
            hi = mid
    return {i: min(cap[i], hi * r) for i, r in raw.items()}


@st.composite
def months(draw):
    days = [date(2022, 3, 1) + timedelta(days=k) for k in range(draw(st.integers(1, 4)))]
    values, eligible = [], set()
    for d in days:
        for pool in ("0xP", "0xQ"):
            if draw(st.booleans()):
                eligible.add((d.isoformat(), pool))
            for inv in INVESTORS:
                if draw(st.integers(0, 2)):
                    usd = f"{draw(st.integers(0, 10**6))}.{draw(st.integers(0, 999999)):06d}"
                    values.append((d.isoformat(), pool, inv, usd))
    vdht = [("2022-03-31", inv, str(draw(st.integers(0, 60000))))
            for inv in INVESTORS if draw(st.booleans())]
    return values, sorted(eligible), vdht


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(months(), st.sampled_from([12, 9, 6]), st.sampled_from(["unpaid", "redistribute"]))
def test_matches_a_plain_reference(tmp_path_factory, month, denominator, excess):
    values, eligible, vdht = month
    folder = tmp_path_factory.mktemp("month")
    write_inputs(folder, values, vdht, eligible)
    cfg = write_config(folder / "c.toml", "dhedge", denominator=denominator, excess=excess,
                       missing_day="unpaid")
    m = score_epoch("dhedge", folder, "2022-03", folder / "out", config=cfg)
    want = _reference(values, set(eligible), vdht, denominator, excess)
    got = rewards(folder / "out")
    if excess == "unpaid":   # unit for unit: min(floor(raw), floor(cap)) in base units
        exact = {i: min(x.numerator * DHT // x.denominator, _floor_units(_cap(vdht, i, denominator)))
                 for i, x in _raw(values, set(eligible)).items()}
        assert got == {i: n for i, n in exact.items() if n > 0}
    for inv in set(want) | set(got):
        assert abs(Fraction(got.get(inv, 0), DHT) - want.get(inv, 0)) < Fraction(1, 10**6), inv
    assert int(m.scoring.allocated) <= int(m.scoring.budget)


# ---- issue 15: exact to the wei, the pot of the calendar days ----------------------------

def test_hand_worked_month_exact_to_the_wei(tmp_path):
    """February 2022: 28 calendar days, pot 28 × 5,000 = 140,000 DHT.
    Day 1: A 30, B 1, C 6, D 3 of 40 → A 3,750, B 125, C 750, D 375.
    Days 2–27: A, C, D 1 each → 5,000/3 each a day. Day 28: A 5, C 1, D 1 → A 25,000/7,
    C and D 5,000/7 each. A's raw (≈ 50,655) is capped at vDHT 60,000 / 12 = 5,000;
    B 125 (cap 150,000/12 = 12,500); C = 750 + 26·5,000/3 + 5,000/7 and D = 375 + the same,
    both non-terminating: paid floor(raw · 10^18) wei."""
    days = [date(2022, 2, 1) + timedelta(days=k) for k in range(28)]
    values = [(days[0].isoformat(), "0xP", inv, usd)
              for inv, usd in (("0xA", "30"), ("0xB", "1"), ("0xC", "6"), ("0xD", "3"))]
    for d in days[1:27]:
        values += [(d.isoformat(), "0xP", inv, "1") for inv in ("0xA", "0xC", "0xD")]
    values += [(days[27].isoformat(), "0xP", inv, usd)
               for inv, usd in (("0xA", "5"), ("0xC", "1"), ("0xD", "1"))]
    vdht = [("2022-02-28", "0xA", "60000"), ("2022-02-28", "0xB", "150000"),
            ("2022-02-28", "0xC", "100000000"), ("2022-02-28", "0xD", "100000000")]
    write_inputs(tmp_path / "in", values, vdht)
    m = score_epoch("dhedge", tmp_path / "in", "2022-02", tmp_path / "out")
    c = Fraction(750) + 26 * Fraction(5000, 3) + Fraction(5000, 7)
    d = Fraction(375) + 26 * Fraction(5000, 3) + Fraction(5000, 7)
    assert rewards(tmp_path / "out") == {
        "0xA": 5000 * DHT, "0xB": 125 * DHT,
        "0xC": c.numerator * DHT // c.denominator, "0xD": d.numerator * DHT // d.denominator}
    assert m.scoring.budget == str(140000 * DHT) and m.scoring.unallocated == "0"
    row = {r["account"]: r for r in scores(tmp_path / "out")}
    assert Fraction(row["0xC"]["score"]) == Fraction(int(c * DHT * 10**18), 10**18)


def test_a_day_without_a_snapshot_is_an_error_naming_it(tmp_path):
    days = [date(2022, 2, 1) + timedelta(days=k) for k in range(28) if k != 9]
    write_inputs(tmp_path / "in", [(d.isoformat(), "0xP", "0xA", "1") for d in days], [])
    with pytest.raises(InputError, match="day 2022-02-10 of period 2022-02 has no snapshot"):
        score_epoch("dhedge", tmp_path / "in", "2022-02", tmp_path / "out")
    assert not (tmp_path / "out").exists()
    cfg = write_config(tmp_path / "c.toml", "dhedge", missing_day="unpaid")
    m = score_epoch("dhedge", tmp_path / "in", "2022-02", tmp_path / "out", config=cfg)
    assert rewards(tmp_path / "out") == {"0xA": 100 * DHT}      # free allowance caps it
    assert m.scoring.unallocated == str(5000 * DHT)        # the missing day's pot
    assert any("1 without a snapshot" in n for n in m.scoring.notes)

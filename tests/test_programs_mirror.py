"""Mirror v2 short/long split (programs.md §2): the contract's own unit-test numbers, the
cap variants, the 400/600 split, pending carry-over and the reward index per staker."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from distributor.programs.mirror.contract_math import (NEGATIVE, ONE, POSITIVE, erf_plus_one,
                                                       premium_rate, short_reward_weight)
from distributor.runner import score_epoch
from epochdrop.errors import ConfigError, InputError
from tests.support.program_data import rewards, scores, write_config, write_table

PCT = ONE // 100
E6, E7, E10 = 10**6, 10**7, 10**10


def dec(num: int, den: int) -> int:
    """Decimal::from_ratio(num, den) in atomics."""
    return num * ONE // den


# mirror_short_reward/src/tests.rs short_reward_weight_test, word for word in numbers.
@pytest.mark.parametrize("premium_pct, weight", [
    (0, dec(2618, E6)), (1, dec(634168, E7)), (2, 20 * PCT), (4, dec(3908998, E7)),
    (8, 40 * PCT), (15, 40 * PCT)])
def test_contract_unit_test_weights(premium_pct, weight):
    assert short_reward_weight(premium_pct * PCT) == weight


# mirror_short_reward/src/tests.rs erf_plus_one_test.
def test_contract_unit_test_erf_plus_one():
    assert erf_plus_one(NEGATIVE, dec(21213203435, E10)) == 0
    assert erf_plus_one(NEGATIVE, dec(14142135623, E10)) == dec(13090, E6)
    assert erf_plus_one(POSITIVE, 0) == dec(1000000, E6)
    assert erf_plus_one(POSITIVE, dec(14142135623, E10)) == dec(1954499, E6)


def test_below_two_percent_is_the_contracts_curve_not_a_textbook_erf():
    # textbook (1 + erf((0 − 2)/√2))/5 = 0.0091; the contract's signed polynomial gives 0.002618
    textbook = (1 + math.erf(-2 / math.sqrt(2))) / 5
    assert abs(textbook - 0.0091) < 1e-4
    assert short_reward_weight(0) == dec(2618, E6)
    # and it is monotone over 0…7% in steps of 0.25%
    ws = [short_reward_weight(k * PCT // 4) for k in range(0, 29)]
    assert ws == sorted(ws)


# Hand-checked: the variants divide the same erf+1 values (0.013090, 0.317084, 1, 1.954499
# at p = 0, 1, 2, 4) by D and cap at 0.8 / 1.0 above 7%.
@pytest.mark.parametrize("cap, d, expected", [
    (80 * PCT, 5 * ONE // 2, [dec(5236, E6), dec(1268336, E7), 40 * PCT, dec(7817996, E7),
                              80 * PCT]),
    (ONE, 2 * ONE, [dec(6545, E6), dec(158542, E6), 50 * PCT, dec(9772495, E7), ONE]),
])
def test_cap_variants(cap, d, expected):
    assert [short_reward_weight(p * PCT, cap, d) for p in (0, 1, 2, 4, 8)] == expected


def test_premium_rate_follows_the_querier():
    assert premium_rate(1_160_000, E6, ONE) == (16 * PCT, False)  # 1.16 vs 1.00
    assert premium_rate(90, 100, ONE) == (0, False)     # pool below oracle
    assert premium_rate(90, 100, 0) == (0, True)        # no price feed
    assert premium_rate(5, 0, ONE) == (4 * ONE, False)  # empty asset side: price = uusd / 1


# ---- end to end through `score` ----------------------------------------------------------

ASSET = "terra1mtsla"


def write_inputs(folder, premiums=(), deposits=(), stakes=()):
    write_table(folder, "mirror_premium_updates",
                ["time", "asset", "pool_uusd", "pool_asset", "oracle_price"], premiums)
    write_table(folder, "mirror_reward_deposits", ["time", "asset", "amount"], deposits)
    write_table(folder, "mirror_stakes", ["time", "staker", "asset", "side", "delta"], stakes)


def test_deposit_split_at_16_percent_premium_is_400_600(tmp_path):
    write_inputs(tmp_path / "in",
                 premiums=[("2022-01-01T00:00:00Z", ASSET, 1_160_000, 1_000_000, "1.0")],
                 deposits=[("2022-01-03T00:00:00Z", ASSET, 1000)],
                 stakes=[("2021-12-20T00:00:00Z", "terra1long", ASSET, "long", 500),
                         ("2021-12-20T00:00:00Z", "terra1short", ASSET, "short", 100)])
    m = score_epoch("mirror", tmp_path / "in", "2022-01-01", tmp_path / "out")
    assert rewards(tmp_path / "out") == {"terra1long": 600, "terra1short": 400}
    facts = m.scoring.facts["pools"]
    assert facts[f"{ASSET}/short"]["deposited"] == "400"
    assert facts[f"{ASSET}/long"]["deposited"] == "600"
    assert m.scoring.facts["weights_end"][ASSET] == "0.400000000000000000"


def test_simp3_variant_sends_everything_short_above_7_percent(tmp_path):
    write_inputs(tmp_path / "in",
                 premiums=[("2022-01-01T00:00:00Z", ASSET, 116, 100, "1")],
                 deposits=[("2022-01-03T00:00:00Z", ASSET, 1000)],
                 stakes=[("2021-12-20T00:00:00Z", "terra1long", ASSET, "long", 500),
                         ("2021-12-20T00:00:00Z", "terra1short", ASSET, "short", 100)])
    cfg = write_config(tmp_path / "c.toml", "mirror", cap=1.0)
    score_epoch("mirror", tmp_path / "in", "2022-01-01", tmp_path / "out", config=cfg)
    assert rewards(tmp_path / "out") == {"terra1short": 1000}


def test_no_price_feed_and_no_premium(tmp_path):
    write_inputs(tmp_path / "in",
                 premiums=[("2022-01-01T00:00:00Z", "terra1a", 100, 100, "0"),     # no feed
                           ("2022-01-01T00:00:00Z", "terra1b", 99, 100, "1")],    # below
                 deposits=[("2022-01-02T00:00:00Z", "terra1a", 1_000_000),
                           ("2022-01-02T00:00:00Z", "terra1b", 1_000_000)],
                 stakes=[("2021-12-20T00:00:00Z", s, a, side, 1)
                         for a in ("terra1a", "terra1b") for s, side in
                         ((f"{a}-long", "long"), (f"{a}-short", "short"))])
    score_epoch("mirror", tmp_path / "in", "2022-01-01", tmp_path / "out")
    # weight 0 → all long; premium 0 → 1,000,000 × 0.002618 = 2,618 short
    assert rewards(tmp_path / "out") == {"terra1a-long": 1_000_000, "terra1b-long": 997_382,
                                         "terra1b-short": 2_618}


def test_zero_stake_side_parks_pending_and_adds_it_to_the_next_deposit(tmp_path):
    folder = tmp_path / "in"
    write_inputs(folder,
                 premiums=[("2021-12-25T00:00:00Z", ASSET, 116, 100, "1")],   # weight 0.4
                 deposits=[("2021-12-28T00:00:00Z", ASSET, 1000),   # before window: short
                           ("2022-01-03T00:00:00Z", ASSET, 1000),   #   400 parked, then
                           ("2022-01-05T00:00:00Z", ASSET, 1000)],  #   +400 parked again
                 stakes=[("2021-12-20T00:00:00Z", "terra1long", ASSET, "long", 10),
                         ("2022-01-04T00:00:00Z", "terra1short", ASSET, "short", 7)])
    m = score_epoch("mirror", folder, "2022-01-01", tmp_path / "out")
    short = m.scoring.facts["pools"][f"{ASSET}/short"]
    assert (short["pending_in"], short["deposited"], short["pending_out"]) == ("400", "800", "0")
    # the 1-05 deposit credits 400 + 800 pending = 1,200 to the one short staker (bond 7):
    # index = ⌊1200·10^18/7⌋ → ⌊7 · 171.428571428571428571⌋ = 1,199 (contract truncation)
    assert rewards(tmp_path / "out") == {"terra1long": 1200, "terra1short": 1199}
    pool = {p.pool: p.model_dump() for p in m.scoring.pools}[f"{ASSET}/short"]
    assert (pool["budget"], pool["allocated"], pool["dust"]) == ("1200", "1199", "1")
    # the window before: the short part waits, noted in the manifest
    m0 = score_epoch("mirror", folder, "2021-12-25", tmp_path / "out0")
    assert rewards(tmp_path / "out0") == {"terra1long": 600}
    assert any("pending carried over" in n and f"{ASSET}/short 400" in n for n in m0.scoring.notes)


def test_reward_index_per_staker_with_a_bond_change_mid_window(tmp_path):
    # weight 0 (no AdjustPremium yet): deposits go long. A 100, B 300 → 1000 splits 250/750;
    # then A bonds 200 more (A 300, B 300) → 600 splits 300/300. Totals 550 / 1,050.
    write_inputs(tmp_path / "in",
                 deposits=[("2022-01-02T00:00:00Z", ASSET, 1000),
                           ("2022-01-04T00:00:00Z", ASSET, 600)],
                 stakes=[("2021-12-20T00:00:00Z", "terra1a", ASSET, "long", 100),
                         ("2021-12-20T00:00:00Z", "terra1b", ASSET, "long", 300),
                         ("2022-01-03T00:00:00Z", "terra1a", ASSET, "long", 200)])
    score_epoch("mirror", tmp_path / "in", "2022-01-01", tmp_path / "out")
    assert rewards(tmp_path / "out") == {"terra1a": 550, "terra1b": 1050}
    rows = {r["account"]: r for r in scores(tmp_path / "out")}
    assert rows["terra1a"]["bond_end"] == 300
    assert rows["terra1a"]["pool_index_end"] == "3.500000000000000000"  # 2.5 + 1


def test_deposits_before_the_window_are_not_paid_again(tmp_path):
    write_inputs(tmp_path / "in",
                 deposits=[("2021-12-31T23:59:59Z", ASSET, 1000),
                           ("2022-01-01T00:00:00Z", ASSET, 30),
                           ("2022-01-08T00:00:00Z", ASSET, 5000)],   # after the 7-day window
                 stakes=[("2021-12-20T00:00:00Z", "terra1a", ASSET, "long", 1),
                         ("2021-12-20T00:00:00Z", "terra1b", ASSET, "long", 2)])
    score_epoch("mirror", tmp_path / "in", "2022-01-01", tmp_path / "out")
    assert rewards(tmp_path / "out") == {"terra1a": 10, "terra1b": 20}


def test_adjust_interval_skips_early_premium_updates(tmp_path):
    write_inputs(tmp_path / "in",
                 premiums=[("2022-01-01T00:00:00Z", ASSET, 116, 100, "1"),    # 0.4
                           ("2022-01-01T00:01:00Z", ASSET, 100, 100, "1")],   # 60 s later
                 deposits=[("2022-01-01T00:02:00Z", ASSET, 1000)],
                 stakes=[("2021-12-20T00:00:00Z", "terra1l", ASSET, "long", 1),
                         ("2021-12-20T00:00:00Z", "terra1s", ASSET, "short", 1)])
    cfg = write_config(tmp_path / "c.toml", "mirror", adjust_interval_s=3600)
    m = score_epoch("mirror", tmp_path / "in", "2022-01-01", tmp_path / "a", config=cfg)
    assert rewards(tmp_path / "a") == {"terra1l": 600, "terra1s": 400}
    assert m.scoring.facts["premium_updates_skipped"] == 1
    score_epoch("mirror", tmp_path / "in", "2022-01-01", tmp_path / "b")   # interval 0
    assert rewards(tmp_path / "b") == {"terra1l": 998, "terra1s": 2}      # weight 0.002618


def test_bad_inputs_and_config(tmp_path):
    write_inputs(tmp_path / "in", stakes=[("2022-01-01T00:00:00Z", "terra1a", ASSET, "long", 5),
                                          ("2022-01-02T00:00:00Z", "terra1a", ASSET, "long", -6)])
    with pytest.raises(InputError, match="unbonds 6"):
        score_epoch("mirror", tmp_path / "in", "2022-01-01", tmp_path / "out")
    write_inputs(tmp_path / "in2", stakes=[("2022-01-01T00:00:00Z", "t", ASSET, "sideways", 5)])
    with pytest.raises(InputError, match="sideways"):
        score_epoch("mirror", tmp_path / "in2", "2022-01-01", tmp_path / "out")
    cfg = write_config(tmp_path / "c.toml", "mirror", cap=0.5)
    with pytest.raises(ConfigError, match="params.cap"):
        score_epoch("mirror", tmp_path / "in", "2022-01-01", tmp_path / "out", config=cfg)
    assert not (tmp_path / "out").exists()


# ---- differential: contract credits against an exact pro-rata model ----------------------

@st.composite
def histories(draw):
    """Events at distinct seconds around the window [2022-01-03, +7 days)."""
    n = draw(st.integers(2, 14))
    secs = sorted(draw(st.lists(st.integers(-3 * 86400, 10 * 86400), min_size=n, max_size=n,
                                unique=True)))
    bonds: dict[tuple[str, str], int] = {}
    events = []
    for s in secs:
        kind = draw(st.sampled_from(["premium", "deposit", "stake", "stake"]))
        if kind == "premium":
            events.append((s, "premium", draw(st.integers(90, 120)), 100))
        elif kind == "deposit":
            events.append((s, "deposit", draw(st.integers(0, 10**9))))
        else:
            who = draw(st.sampled_from(["terra1a", "terra1b", "terra1c"]))
            side = draw(st.sampled_from(["long", "short"]))
            have = bonds.get((who, side), 0)
            delta = draw(st.integers(-have, 10**6))
            bonds[(who, side)] = have + delta
            events.append((s, "stake", who, side, delta))
    return events


def _exact_model(events, start, end):
    weight, total, pending, bond, acc = 0, {}, {}, {}, {}
    for e in events:
        if e[1] == "premium":
            weight = short_reward_weight(premium_rate(e[2], e[3], ONE)[0])
        elif e[1] == "deposit":
            short = e[2] * weight // ONE
            for side, part in (("long", e[2] - short), ("short", short)):
                if total.get(side, 0) == 0:
                    pending[side] = pending.get(side, 0) + part
                    continue
                amount, pending[side] = part + pending.get(side, 0), 0
                if start <= e[0] < end:
                    for (who, s), b in bond.items():
                        if s == side:
                            acc[who] = acc.get(who, 0) + Fraction(amount * b, total[side])
        else:
            _, _, who, side, delta = e
            bond[(who, side)] = bond.get((who, side), 0) + delta
            total[side] = total.get(side, 0) + delta
    return acc


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(histories())
def test_credits_follow_an_exact_pro_rata_model(tmp_path_factory, events):
    folder = tmp_path_factory.mktemp("mirror")

    def iso(s: int) -> str:
        return (datetime(2022, 1, 3) + timedelta(seconds=s)).isoformat() + "Z"

    write_inputs(folder,
                 premiums=[(iso(e[0]), ASSET, e[2], e[3], "1") for e in events
                           if e[1] == "premium"],
                 deposits=[(iso(e[0]), ASSET, e[2]) for e in events if e[1] == "deposit"],
                 stakes=[(iso(e[0]), e[2], ASSET, e[3], e[4]) for e in events
                         if e[1] == "stake"])
    m = score_epoch("mirror", folder, "2022-01-03", folder / "out",
                    allow_empty=True)  # generated histories may leave the window empty
    got: dict[str, int] = {}
    for r in scores(folder / "out"):
        got[r["account"]] = got.get(r["account"], 0) + int(r["amount"])
    want = _exact_model(events, 0, 7 * 86400)
    slack = 1 + sum(1 for e in events if e[1] != "premium" and 0 <= e[0] < 7 * 86400)
    for who in set(got) | set(want):
        assert abs(got.get(who, 0) - want.get(who, 0)) <= slack, who
    assert int(m.scoring.allocated) <= int(m.scoring.budget)

"""Curve CIP#20 (programs.md §5): the seed example to the cent, both U definitions, edges."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from distributor.runner import score_epoch
from epochdrop.errors import ConfigError, InputError
from tests.support.program_data import rewards, scores, write_config, write_table

WEEK = date(2020, 10, 1)  # a Thursday
CRV = 10**18


def _days():
    return [WEEK + timedelta(days=d) for d in range(7)]


def make_week(folder, pools, *, coins=None, extra_swaps=()):
    """pools: name → (daily liquidity list[7] in USD, daily volume list[7] in USD).

    Every pool holds two coins, 18 and 6 decimals, half of each amount in each coin, so
    the normalisation by decimals is exercised."""
    coin_rows, liq_rows, swap_rows = [], [], []
    for p in pools:
        coin_rows += [(p, 0, 18), (p, 1, 6)]
    for p, (liq, vol) in pools.items():
        for day, l, v in zip(_days(), liq, vol):
            if l is not None:
                liq_rows += [(day, p, 0, l * CRV // 2), (day, p, 1, l * 10**6 // 2)]
            if v:
                swap_rows += [(f"{day}T09:30:00Z", p, 0, v * CRV // 2),
                              (f"{day} 17:45:00", p, 1, v * 10**6 // 2)]
    write_table(folder, "curve_coins", ["pool", "i", "decimals"], coins or coin_rows)
    write_table(folder, "curve_liquidity", ["day", "pool", "i", "balance"], liq_rows)
    write_table(folder, "curve_swaps", ["time", "pool", "sold_id", "tokens_sold"],
                swap_rows + list(extra_swaps))


def crv_to_cent(n: int) -> Decimal:
    return (Decimal(n) / CRV).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@pytest.mark.parametrize("mode", ["mean_daily", "weekly_ratio"])
def test_seed_example_pays_seven_daily_rewards_split_by_the_seeds_fractions(tmp_path, mode):
    # CIP-20: R = 76,600 per day; U = 10%, 35%, 200% → k = R / 2.45, per day
    # 3,126.53… / 10,942.85… / 62,530.61… CRV; the week pays 7 × R, each pool floor(7·R·U/ΣU)
    make_week(tmp_path / "in", {"0xA": ([1000] * 7, [100] * 7), "0xB": ([1000] * 7, [350] * 7),
                                "0xC": ([1000] * 7, [2000] * 7)})
    cfg = write_config(tmp_path / "c.toml", "curve", daily_budget="76600", utilization=mode)
    m = score_epoch("curve", tmp_path / "in", "2020-10-01", tmp_path / "out", config=cfg)
    R = Fraction(76600)
    u = {"0xA": Fraction(10, 100), "0xB": Fraction(35, 100), "0xC": Fraction(200, 100)}
    per_day = {p: R * x / sum(u.values()) for p, x in u.items()}
    assert {p: crv_to_cent(int(v * CRV)) for p, v in per_day.items()} == {
        "0xA": Decimal("3126.53"), "0xB": Decimal("10942.86"), "0xC": Decimal("62530.61")}
    assert per_day["0xB"] == Fraction(76600, 7)            # 10,942.857142… exactly
    assert rewards(tmp_path / "out") == {p: int(7 * v * CRV) for p, v in per_day.items()}
    assert m.scoring.budget == str(7 * 76600 * CRV)
    assert int(m.scoring.allocated) + int(m.scoring.dust) == 7 * 76600 * CRV
    assert {r["account"]: r["score"] for r in scores(tmp_path / "out")} == {
        "0xA": "0.1", "0xB": "0.35", "0xC": "2"}
    assert m.params["utilization"] == mode


def test_a_partial_week_pays_its_days(tmp_path):
    make_week(tmp_path / "in", {"0xA": ([1000] * 7, [100] * 7), "0xB": ([1000] * 7, [300] * 7)})
    cfg = write_config(tmp_path / "c.toml", "curve", daily_budget="1000", pay_days=3)
    m = score_epoch("curve", tmp_path / "in", "2020-10-01", tmp_path / "out", config=cfg)
    assert m.scoring.budget == str(3000 * CRV)
    assert rewards(tmp_path / "out") == {"0xA": 750 * CRV, "0xB": 2250 * CRV}


def test_the_old_weekly_budget_key_is_refused_with_a_hint(tmp_path):
    make_week(tmp_path / "in", {"0xA": ([1000] * 7, [100] * 7)})
    cfg = write_config(tmp_path / "c.toml", "curve", budget="76600")
    with pytest.raises(ConfigError, match=r"params\.budget: .*daily_budget.*7 × R"):
        score_epoch("curve", tmp_path / "in", "2020-10-01", tmp_path / "out", config=cfg)
    assert not (tmp_path / "out").exists()


def test_the_two_u_definitions_differ_as_hand_computed(tmp_path):
    # A: liquidity 100 on day 1 then 1000; volume 100 on day 1 only.
    #    mean_daily = (100/100)/7 = 1/7;  weekly_ratio = 100 / (100 + 6·1000) = 1/61
    # B: liquidity 1000, volume 100 every day: both definitions give 1/10.
    # R = 1000: mean_daily → A = 1000·(1/7)/(1/7 + 1/10) = 10000/17, B = 7000/17
    #           weekly     → A = 1000·(1/61)/(1/61 + 1/10) = 10000/71, B = 61000/71
    make_week(tmp_path / "in", {"0xA": ([100] + [1000] * 6, [100] + [0] * 6),
                                "0xB": ([1000] * 7, [100] * 7)})
    expected = {"mean_daily": {"0xA": Decimal(10000) / 17, "0xB": Decimal(7000) / 17},
                "weekly_ratio": {"0xA": Decimal(10000) / 71, "0xB": Decimal(61000) / 71}}
    for mode, want in expected.items():
        cfg = write_config(tmp_path / f"{mode}.toml", "curve", daily_budget=1000,
                           pay_days=1, utilization=mode)
        score_epoch("curve", tmp_path / "in", "2020-10-01", tmp_path / mode, config=cfg)
        got = rewards(tmp_path / mode)
        for pool, crv in want.items():
            assert abs(Decimal(got[pool]) / CRV - crv) < Decimal("1e-9"), (mode, pool)
        u = {r["account"]: Fraction(r["score"]) for r in scores(tmp_path / mode)}
        assert got == {p: 1000 * CRV * u[p] // sum(u.values()) for p in u}   # exact floors
        assert sum(got.values()) <= 1000 * CRV


def test_pool_with_zero_volume_and_pool_without_liquidity(tmp_path):
    make_week(tmp_path / "in", {"0xA": ([1000] * 7, [100] * 7),
                                "0xIdle": ([1000] * 7, [0] * 7),
                                "0xDry": ([None] * 7, [50] * 7)})
    m = score_epoch("curve", tmp_path / "in", "2020-10-01", tmp_path / "out")
    assert rewards(tmp_path / "out") == {"0xA": 7 * 76600 * CRV}
    rows = {r["account"]: r for r in scores(tmp_path / "out")}
    assert rows["0xIdle"]["score"] == "0" and rows["0xIdle"]["amount"] == "0"
    assert rows["0xDry"]["eligible"] is False and rows["0xDry"]["removed"] == "ineligible"
    assert any("zero liquidity" in n and "0xDry" in n for n in m.scoring.notes)


def test_all_utilizations_zero_allocate_nothing(tmp_path):
    make_week(tmp_path / "in", {"0xA": ([1000] * 7, [0] * 7), "0xB": ([500] * 7, [0] * 7)})
    m = score_epoch("curve", tmp_path / "in", "2020-10-01", tmp_path / "out")
    assert rewards(tmp_path / "out") == {}
    assert m.scoring.notes[0] == "all scores zero → nothing allocated"
    assert m.scoring.unallocated == str(7 * 76600 * CRV) and m.scoring.allocated == "0"


def test_whitelist_and_swaps_outside_the_week(tmp_path):
    late = [(f"{WEEK + timedelta(days=7)}T00:00:00Z", "0xA", 0, 10**30)]  # next week
    make_week(tmp_path / "in", {"0xA": ([1000] * 7, [100] * 7), "0xB": ([1000] * 7, [900] * 7)},
              extra_swaps=late)
    cfg = write_config(tmp_path / "c.toml", "curve", daily_budget=10, pools=["0xa"])
    score_epoch("curve", tmp_path / "in", "2020-10-01", tmp_path / "out", config=cfg)
    assert rewards(tmp_path / "out") == {"0xA": 70 * CRV}
    assert [r["score"] for r in scores(tmp_path / "out")] == ["0.1"]


def test_an_event_repeated_in_the_store_counts_once_but_each_pool_counts_its_own(tmp_path):
    folder = tmp_path / "in"
    make_week(folder, {"0xMeta": ([1000] * 7, [0] * 7), "0xBase": ([1000] * 7, [0] * 7)})
    swaps = [("2020-10-02T00:00:00Z", "0xMeta", 0, 70 * CRV, "0xt1", 3),
             ("2020-10-02T00:00:00Z", "0xMeta", 0, 70 * CRV, "0xt1", 3),  # duplicate row
             ("2020-10-02T00:00:00Z", "0xBase", 0, 70 * CRV, "0xt1", 4)]   # base pool's own
    write_table(folder, "curve_swaps", ["time", "pool", "sold_id", "tokens_sold", "tx_hash",
                                        "log_index"], swaps)
    score_epoch("curve", folder, "2020-10-01", tmp_path / "out")
    u = {r["account"]: r["score"] for r in scores(tmp_path / "out")}
    assert u == {"0xBase": "0.01", "0xMeta": "0.01"}


def test_epoch_labels(tmp_path):
    make_week(tmp_path / "in", {"0xA": ([1000] * 7, [100] * 7)})
    with pytest.raises(ConfigError, match="Friday"):
        score_epoch("curve", tmp_path / "in", "2020-10-02", tmp_path / "out")
    with pytest.raises(ConfigError, match="YYYY-MM-DD"):
        score_epoch("curve", tmp_path / "in", "week-1", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_swap_of_a_coin_without_decimals_is_an_input_error(tmp_path):
    make_week(tmp_path / "in", {"0xA": ([1000] * 7, [100] * 7)},
              extra_swaps=[("2020-10-03T00:00:00Z", "0xA", 2, 5)])
    with pytest.raises(InputError, match="coin 2 of pool 0xA"):
        score_epoch("curve", tmp_path / "in", "2020-10-01", tmp_path / "out")


# ---- differential: the SQL against a plain per-day Python reading of the rule ------------

@st.composite
def weeks(draw):
    pools = {}
    for p in draw(st.lists(st.sampled_from(["0xA", "0xB", "0xC"]), min_size=1, unique=True)):
        decs = draw(st.lists(st.sampled_from([6, 18]), min_size=1, max_size=2))
        liq = {(d, i): draw(st.integers(0, 10**6)) * 10**dec
               for d in range(7) for i, dec in enumerate(decs) if draw(st.booleans())}
        swaps = [(draw(st.integers(-2, 8)), draw(st.integers(0, 86399)),
                  draw(st.integers(0, len(decs) - 1)), draw(st.integers(0, 10**7)))
                 for _ in range(draw(st.integers(0, 6)))]
        pools[p] = (decs, liq, swaps)
    return pools


def _floor18(x: Fraction) -> Fraction:
    return Fraction(x.numerator * 10**18 // x.denominator, 10**18)


def _reference_u(pools, mode):
    """U per pool as plain Fractions, floored to 18 decimals (the stated quantisation)."""
    out = {}
    for p, (decs, liq, swaps) in pools.items():
        vol = [Fraction(0)] * 7
        for d, _s, i, amount in swaps:
            if 0 <= d < 7:
                vol[d] += amount   # token units: the table holds amount · 10^decimals
        liqs = [sum((Fraction(b, 10**decs[i]) for (dd, i), b in liq.items() if dd == d),
                    Fraction(0)) for d in range(7)]
        if sum(liqs) == 0:
            out[p] = None
        elif mode == "mean_daily":
            out[p] = _floor18(sum((v / l for v, l in zip(vol, liqs) if l > 0), Fraction(0)) / 7)
        else:
            out[p] = _floor18(sum(vol) / sum(liqs))
    return out


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(weeks(), st.sampled_from(["mean_daily", "weekly_ratio"]))
def test_sql_matches_a_plain_reference(tmp_path_factory, pools, mode):
    folder = tmp_path_factory.mktemp("week")
    coins, liq_rows, swap_rows = [], [], []
    for p, (decs, liq, swaps) in pools.items():
        coins += [(p, i, dec) for i, dec in enumerate(decs)]
        liq_rows += [(WEEK + timedelta(days=d), p, i, b) for (d, i), b in liq.items()]
        for d, s, i, amount in swaps:
            t = datetime(2020, 10, 1) + timedelta(days=d, seconds=s)
            swap_rows.append((t.isoformat() + "Z", p, i, amount * 10**decs[i]))
    write_table(folder, "curve_coins", ["pool", "i", "decimals"], coins)
    write_table(folder, "curve_liquidity", ["day", "pool", "i", "balance"], liq_rows)
    write_table(folder, "curve_swaps", ["time", "pool", "sold_id", "tokens_sold"], swap_rows)
    cfg = write_config(folder / "c.toml", "curve", daily_budget=1000, pay_days=1,
                       utilization=mode)
    score_epoch("curve", folder, "2020-10-01", folder / "out", config=cfg)
    want = _reference_u(pools, mode)
    got = {r["account"]: r for r in scores(folder / "out")}
    for p, u in want.items():
        if p not in got:   # a pool with neither swaps in the week nor liquidity rows
            assert not any(0 <= s[0] < 7 for s in pools[p][2]) and not pools[p][1]
            continue
        if u is None:
            assert got[p]["eligible"] is False
        else:
            assert Fraction(got[p]["score"]) == u   # exact, floored to 18 decimals
    paid = rewards(folder / "out")
    assert sum(paid.values()) <= 1000 * CRV
    live = {p: u for p, u in want.items() if u}
    assert paid == {p: 1000 * CRV * u // sum(live.values()) for p, u in live.items()
                    if 1000 * CRV * u // sum(live.values()) > 0}     # unit for unit


def test_underlying_swaps_use_the_underlying_coins_decimals(tmp_path):
    # a lending-style pool: its own coins are 8-decimal wrappers, the underlying coins 18 / 6;
    # one TokenExchangeUnderlying of 70 DAI-units per day → U = 70 / 700 = 0.1 both ways
    folder = tmp_path / "in"
    write_table(folder, "curve_coins", ["pool", "i", "decimals", "underlying"],
                [("0xL", 0, 8, "false"), ("0xL", 1, 8, "false"),
                 ("0xL", 0, 18, "true"), ("0xL", 1, 6, "true")])
    write_table(folder, "curve_liquidity", ["day", "pool", "i", "balance"],
                [(d, "0xL", i, 350 * 10**8) for d in _days() for i in (0, 1)])
    write_table(folder, "curve_swaps", ["time", "pool", "sold_id", "tokens_sold", "event"],
                [(f"{d}T01:00:00Z", "0xL", 1, 70 * 10**6, "TokenExchangeUnderlying")
                 for d in _days()])
    score_epoch("curve", folder, "2020-10-01", tmp_path / "out")
    assert [r["score"] for r in scores(tmp_path / "out")] == ["0.1"]
    # without underlying rows the pool's own decimals are used, and the manifest says so
    write_table(folder, "curve_coins", ["pool", "i", "decimals"], [("0xL", 0, 8), ("0xL", 1, 8)])
    m = score_epoch("curve", folder, "2020-10-01", tmp_path / "out2")
    assert any("7 TokenExchangeUnderlying" in n for n in m.scoring.notes)

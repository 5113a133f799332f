"""dYdX v3 LP rewards: the docs' order example, every formula version, the schedule."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal, localcontext
from fractions import Fraction

import pytest

from distributor.programs.dydx import formula as F
from distributor.programs.dydx.params import DydxParams
from distributor.programs.dydx.program import PROGRAM
from distributor.programs.dydx.schedule import SAMPLES, schedule, window
from distributor.programs.spec import Epoch
from epochdrop.errors import ConfigError
from tests.support.orderbook_data import iso, loaded, write_csv

A, B = "0x00000000000000000000000000000000000000aa", "0x00000000000000000000000000000000000000bb"
ORDER_COLS = ["market", "maker", "order_id", "side", "price", "size", "valid_from", "valid_to"]


def params(**kw) -> DydxParams:
    base = {**schedule("0"), "sample_offset": "minute_start"}
    return DydxParams.model_validate({**base, **kw})


def score(tmp_path, orders, p, epoch=None, volume=None, stk=None):
    write_csv(tmp_path, "dydx_orders", ORDER_COLS, orders)
    if volume is not None:
        write_csv(tmp_path, "dydx_maker_volume", ["epoch", "market", "maker", "volume_usd"], volume)
    if stk is not None:
        write_csv(tmp_path, "dydx_stk", ["maker", "stk_share"], stk)
    return PROGRAM.score(loaded("dydx", tmp_path), p, epoch or window("0"))


def docs_book(t0, t1):
    """governance-documentation rewards/liquidity-provider-rewards.md, the Q_BID / Q_ASK rows:
    LP A's bids 1 @ 29,900, 5 @ 29,850, 10 @ 29,500 and asks 0.1 @ 30,100, 5 @ 30,150,
    10 @ 30,175 in BTC-USD; LP B quotes 29,990 / 30,010 so that the mid is 30,000."""
    rows = [(A, "BUY", "29900", "1"), (A, "BUY", "29850", "5"), (A, "BUY", "29500", "10"),
            (A, "SELL", "30100", "0.1"), (A, "SELL", "30150", "5"), (A, "SELL", "30175", "10"),
            (B, "BUY", "29990", "1"), (B, "SELL", "30010", "1")]
    return [["BTC-USD", m, f"o{i}", s, p, z, iso(t0), iso(t1)] for i, (m, s, p, z) in enumerate(rows)]


@pytest.mark.parametrize("mode", ["minute_start", "random"])
def test_docs_order_example_one_sample(tmp_path, mode):
    """MinDepth $5,000; the docs' MaxSpread is "$200 vs mid" = 200/30,000 (their "6.7 bps" is
    66.7 bps): the 10 @ 29,500 bid ($500 away) and the $3,010 ask are excluded.
    Q_BID = 1·29,900/(100/30,000) + 5·29,850/(150/30,000) = 8,970,000 + 29,850,000;
    Q_ASK = 5·30,150/(150/30,000) + 10·30,175/(175/30,000) = 30,150,000 + 51,728,571.43."""
    start = window("0").start
    t0 = start + timedelta(minutes=7)  # orders rest one minute: exactly one sample
    p = params(sample_offset=mode, max_spread={"btc_eth": "0.0066666667", "other": "0.004"},
               min_depth_usd={"btc_eth": 5000, "other": 1000})
    res = score(tmp_path, docs_book(t0, t0 + timedelta(minutes=1)), p)
    rows = {r["account"]: r for r in res.table.to_pylist()}
    a = rows[A]
    # exact: each term floored to 10^-6 USD (51,728,571.428571…)
    assert Fraction(a["q_bid"]) == 38_820_000
    assert Fraction(a["q_ask"]) == 30_150_000 + Fraction(51_728_571_428_571, 10**6)
    assert Fraction(a["q_epoch"]) == 38_820_000  # Q_MIN
    assert a["uptime_samples"] == 1
    assert res.extra["live_samples"] == {"BTC-USD": 1}


def test_docs_order_example_whole_epoch(tmp_path):
    """Resting the whole epoch: 40,320 samples of the same book; uptime 100%."""
    ep = window("0")
    p = params(max_spread={"btc_eth": "0.0066666667", "other": "0.004"})
    res = score(tmp_path, docs_book(ep.start, None), p)
    a = next(r for r in res.table.to_pylist() if r["account"] == A)
    assert a["uptime_samples"] == SAMPLES == 40_320 and a["uptime"] == 1.0
    assert Fraction(a["q_epoch"]) == 38_820_000 * SAMPLES
    # launch: Q · U^5 with U as a sample count: exactly Q_EPOCH · 40,320^5
    assert Fraction(a["score"]) == 38_820_000 * SAMPLES * SAMPLES**5


# Hand-checked Q_FINAL with Q_EPOCH = 10^6, uptime 1/2, stkDYDX share 1/4, maker volume 10^4:
# 10^6^0.35 = 10^2.1 = 125.892541179; 10^6^0.15 = 10^0.9 = 7.94328234724; 0.5^5 = 0.03125;
# 0.25^0.5 = 0.5; 0.25^0.2 = 0.757858283256; 0.25^0.05 = 0.933032991537;
# 10^4^0.45 = 10^1.8 = 63.0957344480; ^0.8 = 10^3.2 = 1584.89319246; ^0.6 = 10^2.4 = 251.188643151;
# ^0.85 = 10^3.4 = 2511.88643151; ^0.65 = 10^2.6 = 398.107170553.
HAND = [
    ("launch", True, 31_250.0),                                     # 10^6 · 0.03125
    ("stk", False, 15_625.0),                                       # · 0.5
    ("dip11", True, 125.892541179 * 0.03125 * 0.757858283256 * 63.0957344480),   # 188.1212…
    ("dip15", True, 7.94328234724 * 0.03125 * 0.933032991537 * 1584.89319246),   # 367.07…
    ("dip15", False, 125.892541179 * 0.03125 * 0.933032991537 * 251.188643151),  # 922.0…
    ("dip19", True, 7.94328234724 * 0.03125 * 2511.88643151),                    # 623.5…
    ("dip19", False, 125.892541179 * 0.03125 * 398.107170553),                   # 1566.2…
]


HALF = SAMPLES // 2  # uptime 1/2 as a sample count
QF = (Fraction(10**6), HALF, Fraction(1, 4), Fraction(10**4))


@pytest.mark.parametrize("version,btc_eth,want", HAND)
def test_formula_versions_hand_checked(version, btc_eth, want):
    got = F.q_final(version, btc_eth, *QF)        # Q_FINAL · 40,320^5, exact
    assert float(got / SAMPLES**5) == pytest.approx(want, rel=1e-10)


def test_real_powers_are_exact_floors_of_integer_roots():
    # dip19 BTC/ETH: Q^0.15 · MV^0.85 = (10^6)^0.15 · (10^4)^0.85 = 10^0.9 · 10^3.4 = 10^4.3;
    # floor(10^4.3 · 10^18) from Decimal at 60 digits, independently of the integer root
    with localcontext() as ctx:
        ctx.prec = 60
        want = int((Decimal(10) ** Decimal("4.3")).scaleb(18).to_integral_value(ROUND_FLOOR))
    assert F.q_final("dip19", True, *QF) == HALF**5 * Fraction(want, 10**18)
    assert F.q_final("launch", True, *QF) == 10**6 * HALF**5     # rational: no rounding


def test_dip11_same_for_all_markets_and_dip19_ignores_stk():
    q, u, _, mv = QF
    assert F.q_final("dip11", True, *QF) == F.q_final("dip11", False, *QF)
    assert F.q_final("dip19", True, q, u, Fraction(0), mv) == F.q_final("dip19", True, q, u, 1, mv)
    assert F.q_final("stk", True, q, u, Fraction(0), mv) == 0  # no stkDYDX → nothing
    assert F.q_final("dip11", False, q, u, Fraction(1, 4), Fraction(0)) == 0  # no volume


@pytest.mark.parametrize("version", F.VERSIONS)
def test_formula_selectable_in_config(tmp_path, version):
    """Each version picked by `formula`; the score column is Q_FINAL of the components."""
    ep = window("0")
    t1 = ep.start + timedelta(days=14)
    orders = [["SOL-USD", A, "a1", "BUY", "99.7", "20", iso(ep.start), iso(t1)],
              ["SOL-USD", A, "a2", "SELL", "100.3", "20", iso(ep.start), None],
              ["SOL-USD", B, "b1", "BUY", "99.8", "30", iso(ep.start), None],
              ["SOL-USD", B, "b2", "SELL", "100.1", "12", iso(ep.start), None]]
    vol = [[0, "SOL-USD", A, "5000"], [0, "SOL-USD", B, "20000"]]
    res = score(tmp_path, orders, params(formula=version), volume=vol,
                stk=[[A, "0.25"], [B, "0.75"]])
    rows = {r["account"]: r for r in res.table.to_pylist()}
    assert rows[A]["uptime_samples"] == 14 * 1440
    assert rows[B]["uptime_samples"] == SAMPLES
    for k, mv, stk in ((A, 5000, Fraction(1, 4)), (B, 20000, Fraction(3, 4))):
        r = rows[k]
        assert Fraction(r["score"]) == F.q_final(version, False, Fraction(r["q_epoch"]),
                                                 r["uptime_samples"], stk, Fraction(mv))
    ratio = Fraction(rows[A]["score"]) / Fraction(rows[B]["score"])
    others = [v for v in F.VERSIONS if v != version]
    assert all(abs(ratio - _ratio(rows, v)) > 1e-6 * ratio for v in others
               if F.EXPONENTS[v][False] != F.EXPONENTS[version][False])


def _ratio(rows, v):
    a, b = rows[A], rows[B]
    return (F.q_final(v, False, Fraction(a["q_epoch"]), a["uptime_samples"], Fraction(1, 4),
                      Fraction(5000))
            / F.q_final(v, False, Fraction(b["q_epoch"]), b["uptime_samples"], Fraction(3, 4),
                        Fraction(20000)))


@pytest.mark.parametrize("n,formula,emission,share,threshold", [
    (0, "launch", 1_150_685, "0.20", "0"), (1, "launch", 1_150_685, "0.20", "0.05"),
    (3, "launch", 1_150_685, "0.20", "0.01"), (5, "launch", 1_150_685, "0.20", "0.01"),
    (6, "stk", 1_150_685, "0.20", "0.01"), (7, "stk", 1_150_685, "0.20", "0.0025"),
    (10, "dip11", 1_150_685, "0.20", "0.0025"), (14, "dip11", 1_150_685, "0.20", "0.0025"),
    (15, "dip15", 1_150_685, "0.10", "0.0025"), (18, "dip19", 1_150_685, "0.10", "0.0025"),
    (25, "dip19", 1_150_685, "0.10", "0.0025"), (26, "dip19", 575_343, "0.10", "0.0025"),
    (29, "dip19", 575_343, "0.10", "0.0025"), (30, "dip19", 383_562, "0.10", "0.0025"),
    (31, "dip19", 191_781, "0.10", "0.0025"), (32, "dip19", 0, "0.10", "0.0025"),
])
def test_schedule_by_epoch(n, formula, emission, share, threshold):
    s = schedule(str(n))
    assert (s["formula"], s["emission"], s["btc_eth_share"], s["eligibility_threshold"]) == \
        (formula, Decimal(emission), Decimal(share), Decimal(threshold))


def test_epoch_windows_are_28_days_from_launch():
    assert window("0") == Epoch("0", datetime(2021, 8, 3, 15), datetime(2021, 8, 31, 15), 0)
    assert window("3").start == datetime(2021, 10, 26, 15)
    for bad in ("-1", "x", "1.5"):
        with pytest.raises(ConfigError):
            window(bad)


def test_epoch_number_alone_fixes_the_schedule_and_config_overrides_it(tmp_path):
    from distributor.runner import prepare

    p = prepare("dydx", "16").params  # the shipped config.toml: no schedule keys in it
    assert (p.formula, p.emission, p.btc_eth_share, p.eligibility_threshold) == \
        ("dip15", Decimal(1_150_685), Decimal("0.10"), Decimal("0.0025"))
    cfg = tmp_path / "c.toml"
    cfg.write_text('program = "dydx"\n[params]\nformula = "launch"\nemission = "12.5"\n')
    q = prepare("dydx", "16", cfg).params
    assert (q.formula, q.emission, q.btc_eth_share) == ("launch", Decimal("12.5"), Decimal("0.10"))

"""Jet liquidity incentive: epochs, per-side budget, hand-checked scores, edge cases."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pyarrow.parquet as pq
import pytest

from distributor.programs.jet.program import PROGRAM, JetParams, tenor_bias, window
from distributor.programs.spec import Epoch
from distributor.runner import prepare, score_epoch
from epochdrop.errors import ConfigError, InputError
from tests.support.orderbook_data import iso, loaded, write_csv

COLS = ["market", "owner", "order_id", "side", "rate", "size", "valid_from", "valid_to"]
P = JetParams()
E0 = window("0", P)


def test_epochs_are_43200_minutes_from_d16_start():
    assert E0 == Epoch("0", datetime(2023, 7, 20), datetime(2023, 8, 19), 0)
    assert E0.end - E0.start == timedelta(minutes=43_200)
    assert window("48", P).start == datetime(2023, 7, 20) + timedelta(minutes=48 * 43_200)
    for bad in ("49", "-1", "one"):
        with pytest.raises(ConfigError):
            window(bad, P)


def test_default_budget_is_1368377_jet_per_side():
    prep = prepare("jet", "3")
    assert prep.params.side_budget == Decimal(1_368_377) and prep.params.decimals == 9
    assert 49 * 1_368_377 == 67_050_473  # programs.md: 67,050,473 per side over 49 epochs
    assert prep.epoch.start == datetime(2023, 7, 20) + timedelta(days=90)


def score(tmp_path, orders, tenors=None, **kw):
    write_csv(tmp_path, "jet_orders", COLS, orders)
    write_csv(tmp_path, "jet_markets", ["market", "tenor_seconds"],
              [[m, s] for m, s in (tenors or {"M": 30 * 86_400}).items()])
    p = JetParams.model_validate(kw)
    res = PROGRAM.score(loaded("jet", tmp_path), p, E0)
    return {(r["pool"], r["account"]): r for r in res.table.to_pylist()}, res


def order(owner, side, rate, size, t0=None, t1=None, market="M", i=[0]):
    i[0] += 1
    return [market, owner, f"j{i[0]}", side, rate, size, iso(t0 or E0.start), iso(t1)]


def test_two_sided_hand_checked(tmp_path):
    """lend 0.10 and borrow 0.06 → mid 0.08; a lend order of 1,000 at 0.10 scores
    1000·e^(−0.25) = 778.800783071 per sample; the 30-day tenor bias is 1 + √30/30 =
    1.18257418584; one hour resting = 60 samples."""
    hour = E0.start + timedelta(hours=1)
    rows, _ = score(tmp_path, [order("L", "lend", "0.10", "1000", t1=hour),
                               order("B", "borrow", "0.06", "500", t1=hour)])
    assert float(tenor_bias(30 * 86_400)) == pytest.approx(1.18257418584, rel=1e-11)
    assert tenor_bias(30 * 86_400) == Fraction(1182574185835055371, 10**18)  # floor, 18 places
    # exp(−0.25) by the stated method: rounded to 9 decimals, 0.778800783 (exact below)
    assert Fraction(rows[("lender", "L")]["q_unscaled"]) == 60 * 1000 * Fraction("0.778800783")
    assert Fraction(rows[("lender", "L")]["score"]) == \
        60 * 1000 * Fraction("0.778800783") * tenor_bias(30 * 86_400)
    assert float(rows[("lender", "L")]["score"]) == pytest.approx(
        60 * 778.800783071 * 1.18257418584, rel=1e-9)
    assert Fraction(rows[("borrower", "B")]["q_unscaled"]) == 60 * 500 * Fraction("0.778800783")
    assert rows[("lender", "L")]["order_samples"] == 60


def test_one_sided_mid_rule(tmp_path):
    """Only lenders: mid = best lend / 2 = 0.04; 100 at 0.08 → 100·e^(−1) = 36.7879441171,
    200 at 0.12 → 200·e^(−2) = 27.0670566473. Only borrowers: mid = best borrow · 2 = 0.10;
    100 at 0.05 → 100·e^(−0.5) = 60.6530659713."""
    t1 = E0.start + timedelta(minutes=10)
    rows, res = score(tmp_path, [order("L", "lend", "0.08", "100", t1=t1, market="X"),
                                 order("L", "lend", "0.12", "200", t1=t1, market="X"),
                                 order("B", "borrow", "0.05", "100", t1=t1, market="Y")],
                      tenors={"X": 86_400, "Y": 86_400})
    # e^-1, e^-2, e^-0.5 rounded to 9 decimals (the stated exp tables)
    assert Fraction(rows[("lender", "L")]["q_unscaled"]) == 10 * (
        100 * Fraction("0.367879441") + 200 * Fraction("0.135335283"))
    assert Fraction(rows[("borrower", "B")]["q_unscaled"]) == 10 * 100 * Fraction("0.60653066")
    assert res.extra["live_samples"] == {"X": 10, "Y": 10}


def test_tenor_bias_favours_longer_markets(tmp_path):
    t1 = E0.start + timedelta(minutes=5)
    rows, _ = score(tmp_path, [order("U", "lend", "0.10", "10", t1=t1, market="d1"),
                               order("U", "borrow", "0.10", "10", t1=t1, market="d1"),
                               order("V", "lend", "0.10", "10", t1=t1, market="d100"),
                               order("V", "borrow", "0.10", "10", t1=t1, market="d100")],
                    tenors={"d1": 86_400, "d100": 100 * 86_400})
    ratio = Fraction(rows[("lender", "V")]["score"]) / Fraction(rows[("lender", "U")]["score"])
    assert float(ratio) == pytest.approx((1 + 10 / 30) / (1 + 1 / 30), rel=1e-12)


def test_threshold_per_side_before_shares(tmp_path):
    """T quotes 0.2% of the lender side (removed there) but 50% of the borrower side."""
    orders = [order("A", "lend", "0.10", "998"), order("T", "lend", "0.10", "2"),
              order("T", "borrow", "0.05", "10"), order("A", "borrow", "0.05", "10")]
    data = tmp_path / "d"
    write_csv(data, "jet_orders", COLS, orders)
    write_csv(data, "jet_markets", ["market", "tenor_seconds"], [["M", 604_800]])
    m = score_epoch("jet", data, "0", tmp_path / "out")
    s = {(r["pool"], r["account"]): r for r in pq.read_table(tmp_path / "out/scores.parquet").to_pylist()}
    assert s[("lender", "T")]["removed"] == "below threshold"
    assert s[("lender", "A")]["amount"] == str(1_368_377 * 10**9)  # A alone: the whole pool
    assert s[("borrower", "T")]["amount"] == str(1_368_377 * 10**9 // 2)
    assert m.scoring.budget == str(2 * 1_368_377 * 10**9)


def test_no_liquidity_nothing_allocated(tmp_path):
    data = tmp_path / "d"
    write_csv(data, "jet_orders", COLS, [])
    write_csv(data, "jet_markets", ["market", "tenor_seconds"], [["M", 604_800]])
    m = score_epoch("jet", data, "0", tmp_path / "out")
    assert m.scoring.notes[0] == "all scores zero → nothing allocated"
    assert pq.read_table(tmp_path / "out/rewards.parquet").num_rows == 0


def test_market_opening_mid_epoch_scores_only_while_live(tmp_path):
    late = E0.start + timedelta(days=15)
    rows, res = score(tmp_path, [order("U", "lend", "0.10", "10", t0=late),
                                 order("U", "borrow", "0.08", "10", t0=late)])
    assert res.extra["live_samples"] == {"M": 21_600}
    assert rows[("lender", "U")]["order_samples"] == 21_600


def test_bad_inputs(tmp_path):
    with pytest.raises(InputError, match="lend or borrow"):
        score(tmp_path / "a", [order("U", "ask", "0.1", "1")])
    with pytest.raises(InputError, match="no tenor"):
        score(tmp_path / "b", [order("U", "lend", "0.1", "1", market="Z")])
    with pytest.raises(ConfigError, match="threshold"):
        prepare("jet", "0", overrides={"threshold": 2})


def test_determinism_shuffle_threads_rerun(tmp_path):
    import csv
    import random
    import shutil

    src = "data/samples/jet"
    shutil.copytree(src, tmp_path / "shuf")
    f = tmp_path / "shuf/jet_orders.csv"
    rows = list(csv.reader(open(f, newline="")))
    body = rows[1:]
    random.Random(3).shuffle(body)
    with open(f, "w", newline="") as fh:
        csv.writer(fh).writerows([rows[0]] + body)
    outs = []
    for i, (data, threads) in enumerate(((src, 1), (src, 2), (tmp_path / "shuf", 2))):
        score_epoch("jet", data, "1", tmp_path / f"o{i}", threads=threads)
        outs.append((tmp_path / f"o{i}/rewards.parquet").read_bytes())
    assert outs[0] == outs[1] == outs[2]
    assert (tmp_path / "o0/manifest.json").read_bytes() == (tmp_path / "o1/manifest.json").read_bytes()
    assert pq.read_table(tmp_path / "o0/rewards.parquet").num_rows >= 4


def test_exactly_a_quarter_percent_is_excluded_and_one_unit_above_is_paid(tmp_path):
    """One market, every order at rate 0.1 on both sides: mid = 0.1, x = 0, exp(−x) = 1
    exactly, so a lender's score is size × samples × the tenor bias. A holds 1,000 of the
    lender side's 400,000 = exactly 0.25%: not "exceeding" it, so removed (D30). With one
    more term unit (10^-9 of size) A is above the line and paid."""
    for name, a_size, paid in (("at", "1000", False), ("above", "1000.000000001", True)):
        data = tmp_path / name
        write_csv(data, "jet_orders", COLS, [order("A", "lend", "0.1", a_size),
                                             order("Z", "lend", "0.1", "399000"),
                                             order("Bor", "borrow", "0.1", "5")])
        write_csv(data, "jet_markets", ["market", "tenor_seconds"], [["M", 604_800]])
        score_epoch("jet", data, "0", tmp_path / f"out-{name}")
        s = {(r["pool"], r["account"]): r
             for r in pq.read_table(tmp_path / f"out-{name}/scores.parquet").to_pylist()}
        a, z = Fraction(s[("lender", "A")]["score"]), Fraction(s[("lender", "Z")]["score"])
        if paid:
            assert a / (a + z) > Fraction(1, 400)
            budget = 1_368_377 * 10**9
            assert int(s[("lender", "A")]["amount"]) == budget * a // (a + z) > 0
            # from first principles: samples and the tenor bias cancel out of the shares
            assert int(s[("lender", "A")]["amount"]) == \
                budget * 1000_000000001 // 400000_000000001
            assert s[("lender", "A")]["removed"] is None
        else:
            assert a / (a + z) == Fraction(1, 400)
            assert s[("lender", "A")]["removed"] == "below threshold"
            assert s[("lender", "A")]["amount"] == "0"
            assert s[("lender", "Z")]["amount"] == str(1_368_377 * 10**9)

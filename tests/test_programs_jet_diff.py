"""Differential tests: the interval-weighted SQL of Jet against the per-sample reference.

Small generated epochs (two hours), lend and borrow orders with edges on sample instants,
one-sided and empty books. Scores and payouts (after the per-side 0.25% threshold) equal
the reference's exact ones unit for unit (issue 15).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from fractions import Fraction

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from distributor.allocation import allocate
from distributor.programs._orderbook.samples import offsets_us, to_us
from distributor.programs.jet.program import PROGRAM, JetParams
from distributor.programs.spec import Epoch, Rule
from distributor.runner import allocate_pools
from tests.support import orderbook_reference as ref
from tests.support.orderbook_data import dec, iso, loaded, write_csv

START = datetime(2023, 8, 19)  # epoch 1
MINUTES = 120
TENORS = {"m7": 7 * 86_400, "m30": 30 * 86_400, "m1": 86_400}
OWNERS = ["u1", "u2", "u3", "u4"]


@st.composite
def epochs(draw):
    mode = draw(st.sampled_from(["random", "minute_start"]))
    offsets = [int(x) for x in offsets_us("jet", 1, MINUTES, mode)]
    markets = list(TENORS)[:draw(st.integers(1, 3))]
    orders = []
    s0 = to_us(START)
    for _ in range(draw(st.integers(1, 10))):
        m = draw(st.integers(-3, MINUTES + 3))
        off = offsets[m] if 0 <= m < MINUTES else 0
        vf = s0 + m * 60_000_000 + draw(st.sampled_from([0, off, off + 1, off - 1, 17_000_000]))
        vt = None if draw(st.integers(0, 5)) == 0 else vf + draw(
            st.sampled_from([60_000_000, 1, 25_000_000])) * draw(st.integers(1, 120))
        side = draw(st.sampled_from(["lend", "borrow"]))
        rate = draw(st.integers(0, 64)) / 512  # dyadic: exact as decimal text and as float
        orders.append(ref.Order(draw(st.sampled_from(markets)), draw(st.sampled_from(OWNERS)),
                                side, rate, draw(st.integers(0, 400)) / 8, vf, vt))
    threshold = draw(st.sampled_from(["0", "0.0025", "0.2"]))
    rounding = draw(st.sampled_from(["dust", "largest_remainder"]))
    return mode, offsets, orders, threshold, rounding


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=epochs())
def test_sql_matches_per_sample_reference(tmp_path_factory, case):
    mode, offsets, orders, threshold, rounding = case
    folder = tmp_path_factory.mktemp("jet")
    write_csv(folder, "jet_orders", ["market", "owner", "order_id", "side", "rate", "size",
                                     "valid_from", "valid_to"],
              [[o.market, o.account, f"j{i}", o.side, dec(o.price), dec(o.size),
                iso(o.valid_from), iso(o.valid_to)] for i, o in enumerate(orders)])
    write_csv(folder, "jet_markets", ["market", "tenor_seconds"], [[m, s] for m, s in TENORS.items()])
    p = JetParams.model_validate({"threshold": threshold, "rounding": rounding,
                                  "sample_offset": mode, "side_budget": "1000"})
    con = loaded("jet", folder)
    result = PROGRAM.score(con, p, Epoch("1", START, START + timedelta(minutes=MINUTES), 1))
    scores, sums, live = ref.jet(orders, to_us(START), offsets, TENORS)
    assert result.extra["live_samples"] == live
    pool_of = {"lend": "lender", "borrow": "borrower"}
    want = {(pool_of[s], o): q for (s, o), q in scores.items()}
    got = {(r["pool"], r["account"]): Fraction(r["score"]) for r in result.table.to_pylist()}
    assert set(got) == set(want)
    order_samples: dict = {}
    for (_, owner, side), (_, n) in sums.items():
        order_samples[(pool_of[side], owner)] = order_samples.get((pool_of[side], owner), 0) + n
    assert {(r["pool"], r["account"]): r["order_samples"]
            for r in result.table.to_pylist()} == order_samples
    assert got == want
    event(f"positive scores: {min(3, sum(1 for q in want.values() if q > 0))}")
    rule = Rule(rounding=rounding, threshold=threshold if threshold != "0" else None)
    budget = 1000 * 10**9
    for pool in ("lender", "borrower"):
        mine = {o: q for (pl, o), q in want.items() if pl == pool}
        assert allocate_pools(result)[pool].amounts == allocate(budget, mine, rule).amounts

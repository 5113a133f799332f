"""Differential tests: the interval-weighted SQL of dYdX against the per-sample reference.

Many small generated epochs (two hours of samples, a few markets, makers and orders with
edges on sample instants and minute boundaries). Scores and payouts must agree exactly,
unit for unit (issue 15; tests/support/orderbook_reference.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from fractions import Fraction

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from distributor.allocation import allocate
from distributor.programs._orderbook.samples import offsets_us, to_us
from distributor.programs.dydx.params import DydxParams
from distributor.programs.dydx.program import PROGRAM
from distributor.programs.spec import Epoch, Rule
from distributor.runner import allocate_pools
from tests.support import orderbook_reference as ref
from tests.support.orderbook_data import dec, iso, loaded, write_csv

START = datetime(2021, 8, 31, 15)  # epoch 1
MINUTES = 120
MARKETS = ["BTC-USD", "SOL-USD", "ETH-USD"]
MAKERS = ["0x000000000000000000000000000000000000000a", "0x000000000000000000000000000000000000000b",
          "0x000000000000000000000000000000000000000c", "0x000000000000000000000000000000000000000d"]
MIN_DEPTH = {"BTC-USD": 400.0, "ETH-USD": 400.0, "SOL-USD": 150.0}
MAX_SPREAD = {"BTC-USD": 0.015, "ETH-USD": 0.015, "SOL-USD": 0.02}


@st.composite
def times(draw, offsets: list[int]):
    """µs instants that often sit exactly on a sample instant or a minute boundary."""
    s0 = to_us(START)
    m = draw(st.integers(-5, MINUTES + 5))
    kind = draw(st.sampled_from(["minute", "sample", "sample+1", "sample-1", "any"]))
    off = offsets[m] if 0 <= m < MINUTES else 0
    return s0 + m * 60_000_000 + {"minute": 0, "sample": off, "sample+1": off + 1,
                                  "sample-1": off - 1,
                                  "any": draw(st.integers(0, 59_999_999))}[kind]


@st.composite
def epochs(draw):
    mode = draw(st.sampled_from(["random", "minute_start"]))
    offsets = [int(x) for x in offsets_us("dydx", 1, MINUTES, mode)]
    markets = MARKETS[:draw(st.integers(1, 3))]
    makers = MAKERS[:draw(st.integers(1, 4))]
    orders = []
    for i in range(draw(st.integers(1, 8))):
        market, maker = draw(st.sampled_from(markets)), draw(st.sampled_from(makers))
        vf = draw(times(offsets))
        vt = None if draw(st.integers(0, 5)) == 0 else vf + draw(
            st.sampled_from([60_000_000, 1, 30_000_000])) * draw(st.integers(1, 120))
        quote = draw(st.booleans())  # a two-sided quote: bid and ask over the same life
        for side in (["BUY", "SELL"] if quote else [draw(st.sampled_from(["BUY", "SELL"]))]):
            ticks = draw(st.integers(0, 5)) if draw(st.integers(0, 4)) else draw(st.integers(-4, 40))
            price = 100 - ticks / 4 if side == "BUY" else 100 + ticks / 4
            orders.append(ref.Order(market, maker, side, price, draw(st.integers(2, 80)) / 4,
                                    vf, vt))
    volume = {(e, m, k): draw(st.integers(0, 1000)) for e in (0, 1) for m in markets
              for k in makers}
    stk = {k: draw(st.integers(0, 100)) for k in makers}  # percent
    formula = draw(st.sampled_from(["launch", "stk", "dip11", "dip15", "dip19"]))
    threshold = draw(st.sampled_from(["0", "0.05", "0.25"]))
    rounding = draw(st.sampled_from(["dust", "largest_remainder"]))
    return mode, offsets, orders, volume, stk, formula, threshold, rounding


def write(folder, orders, volume, stk):
    write_csv(folder, "dydx_orders", ["market", "maker", "order_id", "side", "price", "size",
                                      "valid_from", "valid_to"],
              [[o.market, o.account, f"o{i}", o.side, dec(o.price), dec(o.size),
                iso(o.valid_from), iso(o.valid_to)] for i, o in enumerate(orders)])
    write_csv(folder, "dydx_maker_volume", ["epoch", "market", "maker", "volume_usd"],
              [[e, m, k, v] for (e, m, k), v in volume.items()])
    write_csv(folder, "dydx_stk", ["maker", "stk_share"], [[k, f"{pct / 100:.2f}"] for k, pct in stk.items()])


def reference(p: DydxParams, offsets, orders, volume, stk):
    aggs, live = ref.dydx(orders, to_us(START), offsets,
                          {m: MIN_DEPTH[m] for m in MARKETS}, {m: MAX_SPREAD[m] for m in MARKETS})
    prev: dict[str, int] = {}
    for (e, _, k), v in volume.items():
        if e == 0:
            prev[k] = prev.get(k, 0) + v
    need = Fraction(p.eligibility_threshold) * sum(prev.values())
    total = int(p.emission) * 10**18
    budgets = {m: total * int(p.btc_eth_share * 100) // 100 for m in ("BTC-USD", "ETH-USD")}
    others = {m: n for m, n in live.items() if m not in budgets}
    budgets.update(allocate(total - sum(budgets.values()), others,
                            Rule(rounding=p.rounding)).amounts)
    scores: dict[str, dict] = {}
    elig: dict[str, dict] = {}
    for (m, k), (qb, qa, q, up) in aggs.items():
        be = m in ("BTC-USD", "ETH-USD")
        scores.setdefault(m, {})[k] = ref.dydx_q_final(
            p.formula, be, Fraction(q, 10**6), up, Fraction(stk[k], 100),
            Fraction(volume.get((1, m, k), 0)))
        elig.setdefault(m, {})[k] = p.eligibility_threshold == 0 or prev.get(k, 0) >= need
    pay = {m: allocate(budgets.get(m, 0), s, Rule(rounding=p.rounding), eligible=elig[m]).amounts
           for m, s in scores.items()}
    return aggs, live, scores, pay


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=epochs())
def test_sql_matches_per_sample_reference(tmp_path_factory, case):
    mode, offsets, orders, volume, stk, formula, threshold, rounding = case
    folder = tmp_path_factory.mktemp("dydx")
    write(folder, orders, volume, stk)
    p = DydxParams.model_validate({
        "formula": formula, "emission": 1000, "btc_eth_share": "0.2", "rounding": rounding,
        "eligibility_threshold": threshold, "sample_offset": mode,
        "min_depth_usd": {"btc_eth": 400, "other": 150},
        "max_spread": {"btc_eth": "0.015", "other": "0.02"}})
    epoch = Epoch("1", START, START + timedelta(minutes=MINUTES), 1)
    con = loaded("dydx", folder)
    result = PROGRAM.score(con, p, epoch)
    aggs, live, scores, pay = reference(p, offsets, orders, volume, stk)
    assert result.extra["live_samples"] == live
    rows = {(r["pool"], r["account"]): r for r in result.table.to_pylist()}
    assert set(rows) == set(aggs)
    for key, (qb, qa, q, up) in aggs.items():
        r = rows[key]
        assert r["uptime_samples"] == up
        for got, want in ((r["q_bid"], Fraction(qb, 10**6)), (r["q_ask"], Fraction(qa, 10**6)),
                          (r["q_epoch"], Fraction(q, 10**6)),
                          (r["score"], scores[key[0]][key[1]])):
            assert Fraction(got) == want, (key, got, want)
    event(f"positive scores: {min(3, sum(1 for s in scores.values() for v in s.values() if v > 0))}")
    got_pay = {m: a.amounts for m, a in allocate_pools(result).items() if m in pay}
    assert got_pay == pay

"""Order lifetimes (vectorised, DuckDB) against the step-by-step replay (issue 5, acceptance 4)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pyarrow as pa
import pytest
from hypothesis import given, settings, strategies as st

from indexer.generate import (generate_dydx_order_events, generate_jet_markets,
                              generate_jet_order_events)
from indexer.orderbook import EVENT_SCHEMA, rebuild_lifetimes
from tests.support.orderbook_replay import replay_lifetimes

T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)


def _events(rows: list[dict]) -> pa.Table:
    full = []
    for i, r in enumerate(rows):
        full.append({"slot": r.get("slot"), "tx_index": r.get("txi"), "block_time": T0 + timedelta(seconds=r["t"]),
                     "signature": r.get("sig", f"s{i:04d}"), "event_index": r.get("ix", 0),
                     "market": r.get("market", "BTC-USD"), "event": r["event"],
                     "order_id": r["oid"], "maker": r.get("maker", "0xA"),
                     "side": r.get("side"), "price": r.get("price"), "size": r.get("size")})
    return pa.Table.from_pylist(full, schema=EVENT_SCHEMA)


def _t(s):
    return T0 + timedelta(seconds=s)


def test_placed_partly_filled_then_cancelled():
    ev = _events([
        {"t": 10, "event": "placed", "oid": "a", "side": "BUY", "price": Decimal("100.5"),
         "size": Decimal("3")},
        {"t": 20, "event": "filled", "oid": "a", "size": Decimal("1.25")},
        {"t": 30, "event": "cancelled", "oid": "a"},
        {"t": 15, "event": "placed", "oid": "b", "side": "SELL", "price": Decimal("101"),
         "size": Decimal("2")},
        {"t": 25, "event": "filled", "oid": "b", "size": Decimal("2")},
        {"t": 40, "event": "placed", "oid": "c", "side": "SELL", "price": Decimal("102"),
         "size": Decimal("1")},
        {"t": 5, "event": "filled", "oid": "d", "size": Decimal("1")},   # never placed: ignored
    ])
    got = rebuild_lifetimes(ev).to_pylist()
    assert [(r["order_id"], r["size"], r["valid_from"], r["valid_to"]) for r in got] == [
        ("a", Decimal("3"), _t(10), _t(20)),
        ("a", Decimal("1.75"), _t(20), _t(30)),
        ("b", Decimal("2"), _t(15), _t(25)),
        ("c", Decimal("1"), _t(40), None),
    ]
    assert got[0]["side"] == "BUY" and got[0]["price"] == Decimal("100.5")


def test_same_time_events_leave_no_zero_length_interval():
    ev = _events([
        {"t": 10, "event": "placed", "oid": "a", "side": "BUY", "price": Decimal(1),
         "size": Decimal(5)},
        {"t": 10, "event": "filled", "oid": "a", "size": Decimal(2)},
        {"t": 12, "event": "removed", "oid": "a"},
        {"t": 13, "event": "filled", "oid": "a", "size": Decimal(1)},
    ])
    got = rebuild_lifetimes(ev).to_pylist()
    assert [(r["size"], r["valid_from"], r["valid_to"]) for r in got] == [
        (Decimal(3), _t(10), _t(12))]


_kinds = st.sampled_from(["placed", "placed", "filled", "filled", "removed", "cancelled"])
_event = st.fixed_dictionaries({
    "t": st.integers(0, 12), "event": _kinds, "oid": st.sampled_from("abcd"),
    "market": st.sampled_from(["BTC-USD", "ETH-USD"]),
    "slot": st.one_of(st.none(), st.integers(0, 3)), "ix": st.integers(0, 2),
    "txi": st.one_of(st.none(), st.integers(0, 2)),
    "side": st.sampled_from(["BUY", "SELL"]), "maker": st.sampled_from(["0xA", "0xB"]),
    "price": st.decimals(1, 1000, places=2),
    "size": st.decimals(0, 10, places=3),
})


@settings(max_examples=150, deadline=None)
@given(st.lists(_event, max_size=25))
def test_property_lifetimes_equal_replay(rows):
    ev = _events(rows)
    assert rebuild_lifetimes(ev).equals(replay_lifetimes(ev))


@pytest.mark.slow
@pytest.mark.parametrize("venue", ["dydx", "jet"])
def test_large_seeded_case_equals_replay(venue):
    if venue == "dydx":
        ev = generate_dydx_order_events(seed=7, scale=1.0)
    else:
        ev = generate_jet_order_events(seed=7, scale=1.0)
    assert ev.num_rows >= 100_000
    fast = rebuild_lifetimes(ev)
    slow = replay_lifetimes(ev)
    assert fast.num_rows > 50_000
    assert fast.equals(slow)


def test_jet_view_rates_and_underlying_sizes():
    markets = generate_jet_markets(seed=3)
    ev = generate_jet_order_events(seed=3, scale=0.02, markets=markets)
    jet = rebuild_lifetimes(ev, "jet", markets)
    base = rebuild_lifetimes(ev)
    assert jet.num_rows == base.num_rows
    tenor = dict(zip(markets.column("market").to_pylist(),
                     markets.column("borrow_tenor").to_pylist()))
    import math
    for j, b in zip(jet.to_pylist()[:200], base.to_pylist()[:200]):
        assert j["owner"] == b["maker"] and j["base_size"] == b["size"]
        assert j["size"] == (int(b["size"]) * int(b["price"])) >> 32
        r = -math.log(int(b["price"]) / 2 ** 32) * 31_536_000 / tenor[b["market"]]
        assert abs(float(j["rate"]) - r) < 1e-9

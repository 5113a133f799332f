"""The Solana listener end to end against the loopback JSON-RPC server (issue 5, acceptance 1).

tests/support/solana_rpc.py is a loopback server, not a validator (none installs from the
registries): it serves real solders transactions whose logs carry real Anchor event bytes and
real spl-governance account data. Every decoded row must equal what the test encoded.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from pipeline.cli import main
from epochdrop.fsio import hash_tree
from indexer.datasets import get as get_dataset
from indexer.orderbook import rebuild_lifetimes
from tests.support.orderbook_replay import replay_lifetimes
from indexer.solana.gov_listener import index_realm
from indexer.solana.listener import index_program
from indexer.solana.rpc import SolanaRpc
from indexer.store import Store
from tests.support.solana_ledger import GOV, JET, governance_scenario, jet_scenario
from tests.support.solana_rpc import SolanaRpcServer


@pytest.fixture(scope="module")
def jet():
    lg, events, markets = jet_scenario(seed=11, n_steps=400)
    with SolanaRpcServer(lg) as srv:
        yield srv, events, markets


def rows(store, name, *, drop=("chain",)):
    t = Store(store).read(name)
    if t is None:
        return []
    ds = get_dataset(name)
    return sorted(({c: r[c] for c in ds.column_names} for r in t.to_pylist()),
                  key=lambda r: (r["signature"], r["event_index"]))


def expected(name, rs):
    ds = get_dataset(name)
    return sorted(({c: r.get(c) for c in ds.column_names} for r in rs),
                  key=lambda r: (r["signature"], r["event_index"]))


def test_decoded_rows_equal_encoded(jet, tmp_path):
    srv, events, markets = jet
    res = index_program(SolanaRpc(srv.url), JET, tmp_path, chunk_txs=64)
    assert res["events"] == len(events) > 300
    assert rows(tmp_path, "clob_order_events") == expected("clob_order_events", events)
    assert rows(tmp_path, "clob_markets") == expected("clob_markets", markets)
    kinds = {r["event"] for r in events}
    assert kinds == {"placed", "filled", "removed", "cancelled"}


def test_resume_from_checkpoint_and_idempotent_rerun(jet, tmp_path):
    srv, events, _ = jet
    clean = tmp_path / "clean"
    index_program(SolanaRpc(srv.url), JET, clean, chunk_txs=1000)
    parts = tmp_path / "parts"
    mid = sorted({r["slot"] for r in events})[len(events) // 3]
    first = index_program(SolanaRpc(srv.url), JET, parts, to_slot=mid, chunk_txs=50)
    assert first["checkpoint_slot"] <= mid
    index_program(SolanaRpc(srv.url), JET, parts, chunk_txs=50)
    assert rows(parts, "clob_order_events") == rows(clean, "clob_order_events")
    twin = tmp_path / "twin"                      # same range, same chunking → same bytes
    index_program(SolanaRpc(srv.url), JET, twin, chunk_txs=1000)
    strip = lambda h: {k: v for k, v in h.items() if not k.startswith("_runs")}   # noqa: E731
    assert strip(hash_tree(twin)) == strip(hash_tree(clean))
    before = hash_tree(parts)
    again = index_program(SolanaRpc(srv.url), JET, parts, chunk_txs=50)
    assert again["transactions"] == 0
    assert hash_tree(parts) == before


def test_lifetimes_from_indexed_jet_events(jet, tmp_path):
    srv, events, _ = jet
    index_program(SolanaRpc(srv.url), JET, tmp_path)
    ev = Store(tmp_path).read("clob_order_events")
    lt = rebuild_lifetimes(ev, "dydx")
    assert lt.num_rows > 50 and lt.equals(replay_lifetimes(ev))
    # orders the scenario ended (even in the slot they were placed in) are closed in the book
    ended = {(r["market"], r["order_id"]) for r in events if r["event"] in ("cancelled", "removed")}
    still_open = {(r["market"], r["order_id"]) for r in lt.to_pylist() if r["valid_to"] is None}
    assert ended and not (ended & still_open)
    same_slot = {(r["market"], r["order_id"], r["slot"]) for r in events if r["event"] == "placed"}
    assert any((r["market"], r["order_id"], r["slot"]) in same_slot for r in events
               if r["event"] != "placed")      # the scenario has same-slot follow-ups
    jet_rows = rebuild_lifetimes(ev, "jet", Store(tmp_path).read("clob_markets"))
    assert jet_rows.num_rows == lt.num_rows
    assert set(jet_rows.column("side").to_pylist()) == {"lend", "borrow"}


def test_cli_index_against_local_endpoint(jet, tmp_path, capsys):
    srv, events, _ = jet
    with pytest.raises(SystemExit) as exc:
        main(["solana", "index", "--rpc", srv.url, "--store", str(tmp_path), "--batch", "7"])
    out = capsys.readouterr().out
    assert exc.value.code == 0
    assert f"{len(events)} order events" in out
    assert len(list((tmp_path / "_runs").glob("solana_index_*.json"))) == 1


def test_governance_snapshot_rows_equal_encoded(tmp_path):
    lg, realm, props, votes = governance_scenario(seed=5, n_props=6, n_voters=15)
    with SolanaRpcServer(lg) as srv:
        res = index_realm(SolanaRpc(srv.url), GOV, realm, tmp_path)
        assert res == {"slot": lg.slot, "proposals": len(props), "votes": len(votes)}
        got_p = Store(tmp_path).read("governance_proposals").to_pylist()
        got_v = Store(tmp_path).read("governance_votes").to_pylist()
        assert sorted(({k: r[k] for k in props[0]} for r in got_p), key=lambda r: r["proposal"]) \
            == sorted(props, key=lambda r: r["proposal"])
        want = sorted(votes, key=lambda r: r["vote_record"])
        got = sorted(got_v, key=lambda r: r["vote_record"])
        assert [r["vote_record"] for r in got] == [r["vote_record"] for r in want]
        for g, w in zip(got, want):
            assert {k: g[k] for k in ("voter", "proposal", "voter_weight", "vote",
                                      "is_relinquished", "time")} == \
                {k: w[k] for k in ("voter", "proposal", "voter_weight", "vote",
                                   "is_relinquished", "time")}
            assert Decimal(g["weight"]) * 10 ** 9 == w["raw"]
            assert g["slot"] == lg.slot and g["program_id"] == GOV
        before = {k: v for k, v in hash_tree(tmp_path).items()}
        index_realm(SolanaRpc(srv.url), GOV, realm, tmp_path)       # same snapshot again
        assert hash_tree(tmp_path) == before

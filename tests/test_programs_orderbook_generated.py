"""Issue 5's seeded lifetimes (`epochdrop generate`) score end to end with dydx and jet:
the canonical tables the generator writes are the ones the programs read (DECISIONS D8)."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from distributor.runner import score_epoch

build = pytest.importorskip("indexer.generate.cli").build


@pytest.mark.parametrize("program,epoch,tables", [
    ("dydx", 3, ("dydx_orders", "dydx_maker_volume")),
    ("jet", 1, ("jet_markets", "jet_orders")),
])
def test_generated_lifetimes_score(tmp_path, program, epoch, tables):
    store = tmp_path / "store"
    for name in tables:
        dataset, chain, table = build(name, 1, 0.2, epoch)
        (store / dataset / f"chain={chain}").mkdir(parents=True)
        pq.write_table(table, store / dataset / f"chain={chain}" / "part.parquet")
    m = score_epoch(program, store, str(epoch), tmp_path / "out")
    scores = pq.read_table(tmp_path / "out/scores.parquet")
    paid = pq.read_table(tmp_path / "out/rewards.parquet")
    assert scores.num_rows > 0
    assert paid.num_rows == len({a for a, s in zip(scores.column("account").to_pylist(),
                                                   scores.column("amount").to_pylist())
                                 if int(s) > 0})
    assert sum(int(a) for a in paid.column("amount").to_pylist()) == int(m.scoring.allocated)
    assert int(m.scoring.allocated) <= int(m.scoring.budget)

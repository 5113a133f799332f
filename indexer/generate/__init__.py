"""Seeded, deterministic sample data: order events, markets, maker volumes, governance votes.

The demo, the tests and the benches call these; `epochdrop generate DATASET` writes them.
Same (seed, scale, epoch) → byte-identical tables.
"""

from indexer.generate.dydx import generate_dydx_maker_volume, generate_dydx_order_events
from indexer.generate.governance import generate_governance
from indexer.generate.jet import generate_jet_markets, generate_jet_order_events

__all__ = ["generate_dydx_order_events", "generate_dydx_maker_volume",
           "generate_jet_order_events", "generate_jet_markets", "generate_governance"]

"""Jet fixed-term markets from MarketInitialized events (jet-lab/jet-v2
programs/fixed-term/src/control/events.rs); `jet_markets` maps borrow_tenor → tenor_seconds."""

from indexer.datasets._offchain import SOLANA_COLUMNS, SOLANA_KEY
from indexer.datasets.base import Column, Dataset, T

DATASET = Dataset(
    name="clob_markets",
    kind="solana",
    doc="Order-book markets (Jet MarketInitialized).",
    columns=SOLANA_COLUMNS + (
        Column("market", T.PUBKEY),
        Column("version", T.INT),
        Column("airspace", T.PUBKEY),
        Column("underlying_token_mint", T.PUBKEY),
        Column("underlying_oracle", T.PUBKEY),
        Column("ticket_oracle", T.PUBKEY),
        Column("borrow_tenor", T.INT, doc="seconds"),
        Column("lend_tenor", T.INT, doc="seconds"),
    ),
    key=SOLANA_KEY,
    position="slot",
    extra={"chain": "solana-local", "positive": ("borrow_tenor", "lend_tenor")},
)

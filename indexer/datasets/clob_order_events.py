"""Maker-attributed order events of a central limit order book (DECISIONS D8).

From Solana for Jet fixed-term (OrderPlaced / OrderFilled / OrderRemoved / OrderCancelled
decoded from `Program data:` logs; jet-lab/jet-v2 programs/fixed-term), imported for dYdX v3.
For off-chain venues `signature` is the venue's message id and slot / program_id are empty.
The book (order lifetimes) is rebuilt from these by indexer/orderbook.
"""

from indexer.datasets.base import Column, Dataset, T

DATASET = Dataset(
    name="clob_order_events",
    kind="solana",
    doc="Order placements, fills, removals and cancels, attributed to the maker.",
    columns=(
        Column("slot", T.INT, nullable=True),
        Column("tx_index", T.INT, nullable=True,
               doc="position of the transaction in its slot, as getSignaturesForAddress lists it"),
        Column("block_time", T.TIMESTAMP),
        Column("signature", T.STRING, doc="tx signature, or the venue's event id"),
        Column("event_index", T.INT),
        Column("program_id", T.PUBKEY, nullable=True),
        Column("instruction_index", T.INT, nullable=True, doc="top-level instruction"),
        Column("market", T.STRING),
        Column("event", T.STRING, doc="placed | filled | removed | cancelled"),
        Column("order_id", T.STRING, doc="Jet order tag (u128) or dYdX order id"),
        Column("maker", T.STRING, doc="margin-account owner (Jet) or maker address (dYdX)"),
        Column("authority", T.STRING, nullable=True, doc="Jet margin account"),
        Column("side", T.STRING, nullable=True, doc="BUY/SELL (dYdX), lend/borrow (Jet)"),
        Column("price", T.DECIMAL, nullable=True, doc="limit price (Jet: fixed-point-32)"),
        Column("size", T.DECIMAL, nullable=True, doc="placed resting size or filled size"),
    ),
    key=("signature", "event_index"),
    position="slot",
    extra={"chain": "dydx-v3",
           "enums": {"event": ("placed", "filled", "removed", "cancelled"),
                     "side": ("BUY", "SELL", "lend", "borrow")},
           "nonneg": ("size",), "positive": ("price",),
           "order_events": True},
)

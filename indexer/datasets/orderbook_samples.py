"""Per-minute book snapshots of named makers' orders from a feed (DECISIONS D13 message schema:
JSON lines {time, market, maker, order_id, side, price, size})."""

from indexer.datasets.base import Column, Dataset, T

DATASET = Dataset(
    name="orderbook_samples",
    kind="offchain",
    doc="One row per (minute, market, maker, order) resting at the minute's sample instant.",
    columns=(Column("minute", T.TIMESTAMP), Column("market", T.STRING), Column("maker", T.STRING),
             Column("order_id", T.STRING), Column("side", T.STRING), Column("price", T.DECIMAL),
             Column("size", T.DECIMAL)),
    key=("minute", "market", "order_id"),
    position=None,
    extra={"chain": "dydx-v3", "enums": {"side": ("BUY", "SELL", "lend", "borrow")},
           "positive": ("price", "size")},
)

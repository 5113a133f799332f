"""dYdX order lifetimes when imported directly (DECISIONS D8: otherwise rebuilt from
clob_order_events by indexer.orderbook.rebuild_lifetimes). Intervals are [valid_from, valid_to)."""

from indexer.datasets.base import Column, Dataset, T

DATASET = Dataset(
    name="dydx_orders",
    kind="offchain",
    doc="Resting dYdX orders: one row per interval with a constant size.",
    columns=(Column("market", T.STRING), Column("maker", T.ADDRESS), Column("order_id", T.STRING),
             Column("side", T.STRING), Column("price", T.DECIMAL), Column("size", T.DECIMAL),
             Column("valid_from", T.TIMESTAMP), Column("valid_to", T.TIMESTAMP, nullable=True)),
    key=("market", "order_id", "valid_from"),
    position=None,
    extra={"chain": "dydx-v3", "enums": {"side": ("BUY", "SELL")},
           "positive": ("price", "size"), "interval": ("valid_from", "valid_to")},
)

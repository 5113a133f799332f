"""Column layouts of `clob_order_events` and of the order lifetimes rebuilt from them.

One event table serves both venues (DESIGN "The store", DECISIONS D8): Jet fixed-term events
decoded from Solana logs and dYdX v3 order events imported from files. Amounts are exact
decimals (DECIMAL(38, 18)); times are UTC microsecond timestamps (D9).

Event kinds (`event`):
  placed     an order starts resting with `size` (Jet: OrderPlaced's total_base_qty_posted)
  filled     `size` of the resting order was taken (Jet: OrderFilled.base_filled)
  removed    the order left the book (Jet: OrderRemoved, e.g. matured or self-trade)
  cancelled  the maker cancelled it (Jet: OrderCancelled)
Only `placed` rows need `side` and `price`; the other kinds refer to the order by `order_id`
within `market`. Events are ordered by (block_time, slot, tx_index, signature, event_index):
`tx_index` is the transaction's position within its slot as the node lists them (Solana);
for off-chain venues `signature` is the venue's message id and slot / tx_index are null.
"""

from __future__ import annotations

import pyarrow as pa

DEC = pa.decimal128(38, 18)
TS = pa.timestamp("us", tz="UTC")
EVENT_KINDS = ("placed", "filled", "removed", "cancelled")
SIDES = {"dydx": ("BUY", "SELL"), "jet": ("lend", "borrow")}

EVENT_SCHEMA = pa.schema([
    ("slot", pa.int64()),
    ("tx_index", pa.int32()),
    ("block_time", TS),
    ("signature", pa.string()),
    ("event_index", pa.int32()),
    ("program_id", pa.string()),
    ("instruction_index", pa.int32()),
    ("market", pa.string()),
    ("event", pa.string()),
    ("order_id", pa.string()),
    ("maker", pa.string()),
    ("authority", pa.string()),
    ("side", pa.string()),
    ("price", DEC),
    ("size", DEC),
])

LIFETIME_SCHEMA = pa.schema([
    ("market", pa.string()),
    ("maker", pa.string()),
    ("order_id", pa.string()),
    ("side", pa.string()),
    ("price", DEC),
    ("size", DEC),
    ("valid_from", TS),
    ("valid_to", TS),
])

JET_SCHEMA = pa.schema([
    ("market", pa.string()),
    ("owner", pa.string()),
    ("order_id", pa.string()),
    ("side", pa.string()),
    ("rate", DEC),
    ("size", DEC),
    ("valid_from", TS),
    ("valid_to", TS),
    ("limit_price", DEC),
    ("base_size", DEC),
])


def conform(table: pa.Table, schema: pa.Schema = EVENT_SCHEMA) -> pa.Table:
    """Select and cast `table` to `schema`, filling absent nullable columns with nulls."""
    cols = []
    for field in schema:
        if field.name in table.column_names:
            cols.append(table.column(field.name).cast(field.type))
        else:
            cols.append(pa.nulls(table.num_rows, field.type))
    return pa.Table.from_arrays(cols, schema=schema)

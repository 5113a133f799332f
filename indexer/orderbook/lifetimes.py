"""Order lifetimes from order events, vectorised in DuckDB (no per-event Python).

A lifetime row says: from `valid_from` (inclusive) to `valid_to` (exclusive, null = still
open) this order rested in the book with `size` left — the shape of programs.md's
`dydx_orders` / `jet_orders` and the table the per-minute scoring queries (DESIGN "Scoring").

Rules (the same ones tests/support/orderbook_replay.py applies one event at a time; tests
check they agree):
- events of one order are taken in (block_time, slot, tx_index, signature, event_index) order
  (nulls first);
- the first `placed` starts the order (side, price and maker come from it); events before it
  and later `placed` rows of the same order id are ignored;
- `filled` lowers the remaining size; at ≤ 0 the order is gone;
- `removed` / `cancelled` end it whatever is left;
- every event of a live order starts a new interval; zero-length intervals are dropped.
Jet's book is in tickets (base) at a fixed-point-32 limit price; `venue="jet"` turns it into
programs.md's jet_orders: size = remaining underlying = floor(base · price / 2^32) and
rate = −ln(price / 2^32) · 31,536,000 / tenor_seconds (DECISIONS programs.md, Jet).
"""

from __future__ import annotations

from typing import Literal

import duckdb
import pyarrow as pa

from indexer.orderbook.schema import EVENT_SCHEMA, JET_SCHEMA, LIFETIME_SCHEMA, conform

_CORE = """
WITH e AS (
  SELECT market, order_id, event, maker, side, price, size, block_time,
         row_number() OVER (PARTITION BY market, order_id
                            ORDER BY block_time, slot NULLS FIRST, tx_index NULLS FIRST,
                                     signature, event_index) AS k
  FROM ev
),
p AS (
  SELECT market, order_id, k AS pk, maker AS p_maker, side AS p_side, price AS p_price,
         size AS p_size
  FROM e WHERE event = 'placed'
  QUALIFY row_number() OVER (PARTITION BY market, order_id ORDER BY k) = 1
),
s AS (
  SELECT e.market, e.order_id, p_maker, p_side, p_price, e.block_time,
         SUM(CASE WHEN e.k = p.pk THEN p_size
                  WHEN e.event = 'filled' THEN -e.size
                  ELSE CAST(0 AS DECIMAL(38, 18)) END)
           OVER w AS remaining,
         BOOL_OR(e.event IN ('removed', 'cancelled')) OVER w AS closed,
         LEAD(e.block_time) OVER (PARTITION BY e.market, e.order_id ORDER BY e.k) AS next_time
  FROM e JOIN p ON e.market = p.market AND e.order_id = p.order_id AND e.k >= p.pk
  WINDOW w AS (PARTITION BY e.market, e.order_id ORDER BY e.k
               ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
)
SELECT market, p_maker AS maker, order_id, p_side AS side, p_price AS price,
       CAST(remaining AS DECIMAL(38, 18)) AS size,
       block_time AS valid_from, next_time AS valid_to
FROM s
WHERE remaining > 0 AND NOT closed AND (next_time IS NULL OR next_time > block_time)
"""

_JET = """
SELECT l.market, l.maker AS owner, l.order_id, l.side,
       CAST(round(-ln(CAST(l.price AS DOUBLE) / 4294967296.0) * 31536000.0
                  / CAST(m.tenor_seconds AS DOUBLE), 12) AS DECIMAL(38, 18)) AS rate,
       CAST((CAST(l.size AS HUGEINT) * CAST(l.price AS HUGEINT)) // 4294967296
            AS DECIMAL(38, 18)) AS size,
       l.valid_from, l.valid_to, l.price AS limit_price, l.size AS base_size
FROM lt l JOIN mk m ON l.market = m.market
ORDER BY l.market, l.order_id, l.valid_from
"""


def rebuild_lifetimes(events: pa.Table, venue: Literal["dydx", "jet"] = "dydx",
                      markets: pa.Table | None = None, *, threads: int | None = None) -> pa.Table:
    """Order lifetimes from a `clob_order_events`-shaped table.

    `venue="dydx"` (or any generic book) returns LIFETIME_SCHEMA (= dydx_orders). With
    `venue="jet"` and `markets` (columns `market` and `tenor_seconds`, or clob_markets'
    `borrow_tenor`) it returns jet_orders: market, owner, order_id, side, rate, size,
    valid_from, valid_to (+ limit_price, base_size). Rows are sorted by market, order id, time.
    """
    if venue not in ("dydx", "jet"):
        raise ValueError(f"venue must be 'dydx' or 'jet', not {venue!r}")
    ev = conform(events, EVENT_SCHEMA)
    con = duckdb.connect()
    try:
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        con.register("ev", ev)
        lt = con.sql(_CORE + " ORDER BY market, order_id, valid_from").to_arrow_table()
        lt = lt.cast(LIFETIME_SCHEMA)
        if venue == "dydx" or markets is None:
            return lt
        mk = markets
        if "tenor_seconds" not in mk.column_names:
            if "borrow_tenor" not in mk.column_names:
                raise ValueError("markets needs a 'tenor_seconds' (or 'borrow_tenor') column")
            mk = mk.append_column("tenor_seconds", mk.column("borrow_tenor"))
        con.register("lt", lt)
        con.register("mk", mk.select(["market", "tenor_seconds"]))
        out = con.sql(_JET).to_arrow_table()
        return out.cast(JET_SCHEMA)
    finally:
        con.close()

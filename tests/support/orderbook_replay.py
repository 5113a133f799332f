"""A step-by-step book replay: the reference the vectorised lifetimes are tested against.

It walks every event in global time order, keeps the live book in a dict, and writes an
interval each time an order's remaining size changes. Deliberately plain Python (slow, easy to
read): it is the specification of `lifetimes.py`, used by the property tests, not at scale.
"""

from __future__ import annotations

from decimal import Decimal

import pyarrow as pa

from indexer.orderbook.schema import EVENT_SCHEMA, LIFETIME_SCHEMA, conform


def _order_key(ev: dict) -> tuple:
    slot, txi = ev["slot"], ev["tx_index"]
    return (ev["block_time"], slot is not None, slot or 0, txi is not None, txi or 0,
            ev["signature"], ev["event_index"])


def replay_lifetimes(events: pa.Table) -> pa.Table:
    rows = conform(events, EVENT_SCHEMA).to_pylist()
    rows.sort(key=_order_key)
    book: dict[tuple, dict] = {}        # live and finished orders, by (market, order_id)
    out: list[dict] = []

    def close(o: dict, at) -> None:
        if o["since"] is not None and o["remaining"] > 0 and at > o["since"]:
            out.append({"market": o["market"], "maker": o["maker"], "order_id": o["order_id"],
                        "side": o["side"], "price": o["price"], "size": o["remaining"],
                        "valid_from": o["since"], "valid_to": at})

    for ev in rows:
        key = (ev["market"], ev["order_id"])
        o = book.get(key)
        t = ev["block_time"]
        if o is None:
            if ev["event"] != "placed":
                continue                    # nothing known about the order yet
            book[key] = {"market": ev["market"], "order_id": ev["order_id"],
                         "maker": ev["maker"], "side": ev["side"], "price": ev["price"],
                         "remaining": ev["size"], "since": t, "done": False}
            continue
        if o["done"]:
            continue
        close(o, t)
        if ev["event"] == "filled":
            o["remaining"] = o["remaining"] - ev["size"]
        elif ev["event"] in ("removed", "cancelled"):
            o["remaining"] = Decimal(0)
        if o["remaining"] <= 0:
            o["done"] = True
        o["since"] = t
    for o in book.values():
        if not o["done"] and o["remaining"] > 0:
            out.append({"market": o["market"], "maker": o["maker"], "order_id": o["order_id"],
                        "side": o["side"], "price": o["price"], "size": o["remaining"],
                        "valid_from": o["since"], "valid_to": None})
    out.sort(key=lambda r: (r["market"], r["order_id"], r["valid_from"]))
    return pa.Table.from_pylist(out, schema=LIFETIME_SCHEMA)

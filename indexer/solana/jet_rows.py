"""getTransaction (json encoding) → `clob_order_events` / `clob_markets` rows (transform step).

Attribution (issue 5): each event belongs to the top-level instruction it was logged under
(anchor_events.events_in_logs). Jet orders are placed through the margin program's
adapter_invoke, whose first account is the margin account's owner and signs the transaction:
that signer is the maker (`maker`) and the event's `authority` the margin account. Fills and
cancels name only the margin account, so their maker comes from the owner seen when that
margin account placed an order (`owners`, carried across runs through the store); failing
that, the margin account itself.
"""

from __future__ import annotations

from datetime import datetime, timezone

SIDE = {"MarginLend": "lend", "Lend": "lend", "MarginBorrow": "borrow",
        "MarginSellTickets": "borrow", "SellTickets": "borrow"}


def _signer_of(tx: dict, ix_index: int) -> str | None:
    msg = tx["transaction"]["message"]
    keys = msg["accountKeys"]
    nsig = msg["header"]["numRequiredSignatures"]
    ixs = msg["instructions"]
    if not 0 <= ix_index < len(ixs) or not ixs[ix_index]["accounts"]:
        return None
    first = ixs[ix_index]["accounts"][0]
    return keys[first] if first < nsig else None


def rows_from_tx(tx: dict, decoder, program_id: str, owners: dict[str, str],
                 tx_index: int | None = None) -> tuple[list[dict], list[dict]]:
    """(order event rows, market rows) of one successful transaction."""
    from indexer.solana.anchor_events import events_in_logs

    meta = tx.get("meta") or {}
    if meta.get("err") is not None:
        return [], []
    sig = tx["transaction"]["signatures"][0]
    base = {"slot": tx["slot"], "block_time": datetime.fromtimestamp(tx["blockTime"], timezone.utc),
            "signature": sig, "program_id": program_id}
    events, markets = [], []
    for i, le in enumerate(events_in_logs(meta.get("logMessages") or [])):
        if le.program_id != program_id:
            continue
        dec = decoder.decode(le.data)
        if dec is None:
            continue
        name, f = dec
        row = dict(base, event_index=i)
        if name == "MarketInitialized":
            markets.append(dict(row, market=f["address"], version=f["version"],
                                airspace=f["airspace"], underlying_token_mint=f["underlyingTokenMint"],
                                underlying_oracle=f["underlyingOracle"],
                                ticket_oracle=f["ticketOracle"], borrow_tenor=f["borrowTenor"],
                                lend_tenor=f["lendTenor"]))
            continue
        row["instruction_index"] = le.instruction_index
        row["tx_index"] = tx_index
        row["market"] = f["market"]
        if name == "OrderPlaced":
            owner = _signer_of(tx, le.instruction_index) or f["authority"]
            owners[f["authority"]] = owner
            posted = f["orderSummary"]["postedOrderId"] is not None
            row.update(event="placed", order_id=str(f["orderTag"]), maker=owner,
                       authority=f["authority"], side=SIDE[f["orderType"]["kind"]],
                       price=str(f["limitPrice"]),
                       size=str(f["orderSummary"]["totalBaseQtyPosted"] if posted else 0))
        elif name == "OrderFilled":
            auth = f["makerAuthority"]
            row.update(event="filled", order_id=str(f["makerOrderTag"]),
                       maker=owners.get(auth, auth), authority=auth, side=None, price=None,
                       size=str(f["baseFilled"]))
        elif name == "OrderRemoved":
            auth = f["authority"]
            row.update(event="removed", order_id=str(f["orderTag"]), maker=owners.get(auth, auth),
                       authority=auth, side=None, price=None, size=str(f["baseRemoved"]))
        else:                                     # OrderCancelled
            auth = f["authority"]
            row.update(event="cancelled", order_id=str(f["orderTag"]),
                       maker=owners.get(auth, auth), authority=auth, side=None, price=None,
                       size=None)
        events.append(row)
    return events, markets

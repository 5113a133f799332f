"""The Solana listener for Jet fixed-term events: extract (RPC) → transform (jet_rows) → load.

1. Under the store lock, roll back anything above the checkpoint (a crash after a chunk was
   written but before its checkpoint leaves rows the checkpoint does not cover).
2. Page getSignaturesForAddress(program) backwards (`before`, limit 1000) until the
   checkpoint's slot/signature (`until`); drop failed transactions.
3. Oldest first, in chunks of whole slots (≤ `chunk_txs` transactions): getTransaction in
   bounded concurrent JSON-RPC batches, decode, write one store chunk per dataset covering
   [first slot, last slot], then save the checkpoint (slot, newest signature).
Re-running after a crash or on a finished range gives the same rows (D10: same rows, chunk
boundaries may differ).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from indexer import checkpoint
from indexer.datasets import get as get_dataset
from indexer.solana.anchor_events import EventDecoder
from indexer.solana.jet_rows import rows_from_tx
from indexer.solana.rpc import SolanaRpc
from indexer.store import Store

EVENTS, MARKETS = "clob_order_events", "clob_markets"


def _table(name: str, rows: list[dict]):
    ds = get_dataset(name)
    return ds.table({c: [r.get(c) for r in rows] for c in ds.column_names})


def _known_owners(st: Store, chain: str, tag: str) -> dict[str, str]:
    t = st.read(EVENTS, chain, columns=["event", "authority", "maker", "slot", "event_index"],
                tag=tag)
    owners: dict[str, str] = {}
    if t is None:
        return owners
    rows = sorted(zip(t["slot"].to_pylist(), t["event_index"].to_pylist(), t["event"].to_pylist(),
                      t["authority"].to_pylist(), t["maker"].to_pylist()))
    for _, _, ev, auth, maker in rows:
        if ev == "placed" and auth:
            owners[auth] = maker
    return owners


def collect_signatures(rpc: SolanaRpc, program_id: str, after_slot: int, until: str | None,
                       to_slot: int | None) -> list[dict]:
    """Successful signatures with after_slot < slot ≤ to_slot, oldest first."""
    out, before = [], None
    while True:
        page = rpc.signatures_for_address(program_id, before=before, until=until, limit=1000)
        done = not page or len(page) < 1000
        for s in page:
            if s["slot"] <= after_slot:
                done = True
                break
            if to_slot is None or s["slot"] <= to_slot:
                out.append(s)
        if done:
            break
        before = page[-1]["signature"]
    out.reverse()
    number_in_slot(out)                 # failed transactions keep their place in the slot
    return [s for s in out if s.get("err") is None]


def number_in_slot(page_oldest_first: list[dict]) -> None:
    """Set `tx_index`: the position of each transaction within its slot (0 = first)."""
    prev, n = None, 0
    for s in page_oldest_first:
        n = n + 1 if s["slot"] == prev else 0
        prev = s["slot"]
        s["tx_index"] = n


def slot_chunks(sigs: list[dict], chunk_txs: int) -> list[list[dict]]:
    chunks, cur = [], []
    for i, s in enumerate(sigs):
        cur.append(s)
        nxt = sigs[i + 1]["slot"] if i + 1 < len(sigs) else None
        if len(cur) >= chunk_txs and nxt != s["slot"]:
            chunks.append(cur)
            cur = []
    if cur:
        chunks.append(cur)
    return chunks


def index_program(rpc: SolanaRpc, program_id: str, store: str | Path, *,
                  chain: str = "solana-local", to_slot: int | None = None, chunk_txs: int = 500,
                  on_plan: Callable[[dict], None] | None = None,
                  on_chunk: Callable[[dict], None] | None = None) -> dict[str, Any]:
    tag = checkpoint.contract_set_tag([program_id])
    decoder = EventDecoder()
    summary = {"transactions": 0, "events": 0, "markets": 0, "chunks": 0}
    with Store(store).locked() as st:
        cp = checkpoint.load(store, EVENTS, chain, tag)
        after = cp.position if cp else -1
        for ds in (EVENTS, MARKETS):
            st.rollback(ds, chain, after=after, position="slot", tag=tag)
        owners = _known_owners(st, chain, tag)
        sigs = collect_signatures(rpc, program_id, after, cp.hash if cp else None, to_slot)
        if on_plan:
            on_plan({"transactions": len(sigs), "after_slot": after,
                     "first_slot": sigs[0]["slot"] if sigs else None,
                     "last_slot": sigs[-1]["slot"] if sigs else None})
        for chunk in slot_chunks(sigs, chunk_txs):
            txs = rpc.transactions([s["signature"] for s in chunk])
            ev_rows, mk_rows = [], []
            for s, tx in zip(chunk, txs):
                if tx is None:
                    raise RuntimeError(f"getTransaction returned null for {s['signature']}")
                e, m = rows_from_tx(tx, decoder, program_id, owners, s["tx_index"])
                ev_rows += e
                mk_rows += m
            lo, hi = chunk[0]["slot"], chunk[-1]["slot"]
            st.write_chunk(EVENTS, chain, lo, hi, _table(EVENTS, ev_rows), tag=tag)
            if mk_rows:
                st.write_chunk(MARKETS, chain, lo, hi, _table(MARKETS, mk_rows), tag=tag)
            cp = cp or checkpoint.Checkpoint(EVENTS, chain, tag, position=-1, hash=None,
                                             start=lo, contracts=[program_id])
            cp.remember(hi, chunk[-1]["signature"])
            checkpoint.save(store, cp)
            summary["transactions"] += len(chunk)
            summary["events"] += len(ev_rows)
            summary["markets"] += len(mk_rows)
            summary["chunks"] += 1
            if on_chunk:
                on_chunk({"slots": [lo, hi], "transactions": len(chunk), "events": len(ev_rows)})
    summary["checkpoint_slot"] = cp.position if cp else None
    return summary

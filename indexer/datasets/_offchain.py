"""Columns shared by the Solana and off-chain datasets (DESIGN "The store": Solana rows carry
slot, block_time, signature, event_index, program_id).

`extra` keys the importer reads (issue 5): `chain` (default partition, DECISIONS D9),
`enums` (allowed values per column), `nonneg` (columns that must be ≥ 0), `positive`
(must be > 0), `interval` ((from, to) columns: to must not be before from).
"""

from indexer.datasets.base import Column, T

SOLANA_COLUMNS = (
    Column("slot", T.INT),
    Column("block_time", T.TIMESTAMP),
    Column("signature", T.STRING, doc="base58 transaction signature"),
    Column("event_index", T.INT, doc="position of the event (or account) in its transaction"),
    Column("program_id", T.PUBKEY),
)
SOLANA_KEY = ("signature", "event_index")

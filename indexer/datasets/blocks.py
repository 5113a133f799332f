"""Block headers: number, hash, parent hash, timestamp.

Used for block_time, for reorg checks and for block-at-time lookups (daily snapshot blocks).
"""

from indexer.datasets.base import Column, Dataset, T

DATASET = Dataset(
    name="blocks",
    kind="blocks",
    doc="EVM block headers.",
    columns=(
        Column("chain_id", T.INT),
        Column("block_number", T.INT),
        Column("block_hash", T.HEX),
        Column("parent_hash", T.HEX),
        Column("block_time", T.TIMESTAMP),
    ),
    key=("block_number",),
)

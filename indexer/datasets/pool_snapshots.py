"""Daily dHEDGE invested value: PoolLogic.balanceOf(investor) × tokenPrice() at a block.

dhedge-v2-snapshot-utility's method (programs.md §4): at the first block at/after 00:00 UTC
of each day, for every pool and every investor seen so far in `dhedge_deposits` or
`pool_token_transfers` (to_address) up to that block, read both with eth_call. value_usd =
balance × price / 10**18 as an exact decimal string (both are 18-dp fixed point).
"""

from indexer.datasets.base import EVM_SNAPSHOT_COLUMNS, Column, Dataset, T

DATASET = Dataset(
    name="pool_snapshots",
    kind="snapshot",
    doc="Per day, pool and investor: pool-token balance, token price and their USD value.",
    columns=EVM_SNAPSHOT_COLUMNS + (
        Column("pool", T.ADDRESS),
        Column("investor", T.ADDRESS),
        Column("balance", T.UINT256),
        Column("token_price", T.UINT256, doc="USD per pool token, 18 decimals"),
        Column("value_usd", T.DECIMAL, doc="balance × token_price / 1e18 (exact)"),
    ),
    key=("day", "pool", "investor"),
    reads=("dhedge_deposits", "pool_token_transfers"),  # who invested: read before each day
)

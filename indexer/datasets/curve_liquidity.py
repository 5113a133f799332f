"""Daily Curve pool balances: balances(i) for each coin, and the coin's decimals.

Old Vyper pools expose `balances(int128)` and `coins(int128)`, newer ones `balances(uint256)`
and `coins(uint256)` (curvefi/curve-contract): the uint256 getter is tried first and the
int128 one on revert; which one answered is recorded in `getter`. Coins are enumerated from
i = 0 until `coins(i)` reverts. `decimals` comes from each coin's ERC-20 `decimals()`.
"""

from indexer.datasets.base import EVM_SNAPSHOT_COLUMNS, Column, Dataset, T

DATASET = Dataset(
    name="curve_liquidity",
    kind="snapshot",
    doc="Per day, pool and coin index: the pool's balance of that coin (base units).",
    columns=EVM_SNAPSHOT_COLUMNS + (
        Column("pool", T.ADDRESS),
        Column("i", T.INT),
        Column("coin", T.ADDRESS),
        Column("decimals", T.INT),
        Column("balance", T.UINT256),
        Column("getter", T.STRING, doc="'uint256' or 'int128': which balances() answered"),
    ),
    key=("day", "pool", "i"),
)

"""dHEDGE V2 PoolLogic `Deposit` events (nothing indexed; dhedge/V2-Public contracts/PoolLogic.sol).

Performance Mining V2 discovers investors from these and from pool-token transfers
(programs.md §4); amounts stay exact decimal strings.
"""

from indexer.datasets.base import EVM_LOG_COLUMNS, EVM_LOG_KEY, Column, Dataset, EventSpec, T, abi_entry

DATASET = Dataset(
    name="dhedge_deposits",
    kind="events",
    doc="dHEDGE PoolLogic Deposit events, one row per deposit.",
    columns=EVM_LOG_COLUMNS + (
        Column("fund_address", T.ADDRESS),
        Column("investor", T.ADDRESS),
        Column("asset_deposited", T.ADDRESS),
        Column("amount_deposited", T.UINT256),
        Column("value_deposited", T.UINT256, doc="USD, 18 decimals"),
        Column("fund_tokens_received", T.UINT256),
        Column("total_investor_fund_tokens", T.UINT256),
        Column("fund_value", T.UINT256),
        Column("total_supply", T.UINT256),
        Column("time", T.INT, doc="the event's own `time` field (unix seconds)"),
    ),
    key=EVM_LOG_KEY,
    events=(EventSpec(abi_entry("dhedge_pool_logic.json", "Deposit")),),
)

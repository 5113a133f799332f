"""dHEDGE V2 PoolLogic `Withdrawal` events, whose `withdrawnAssets` is a tuple array.

Source: dhedge/V2-Public contracts/PoolLogic.sol, `struct WithdrawnAsset {address asset;
uint256 amount; bool externalWithdrawProcessed;}`. The array is kept as canonical JSON
(`[{"asset", "amount" (decimal string), "external_withdraw_processed"}]`) so no value is lost
and plain Parquet readers can still unnest it (DuckDB `json_extract`).
"""

from indexer.datasets.base import EVM_LOG_COLUMNS, EVM_LOG_KEY, Column, Dataset, EventSpec, T, abi_entry

DATASET = Dataset(
    name="dhedge_withdrawals",
    kind="events",
    doc="dHEDGE PoolLogic Withdrawal events with the withdrawn assets as JSON.",
    columns=EVM_LOG_COLUMNS + (
        Column("fund_address", T.ADDRESS),
        Column("investor", T.ADDRESS),
        Column("value_withdrawn", T.UINT256),
        Column("fund_tokens_withdrawn", T.UINT256),
        Column("total_investor_fund_tokens", T.UINT256),
        Column("fund_value", T.UINT256),
        Column("total_supply", T.UINT256),
        Column("withdrawn_assets", T.JSON,
               doc='[{"asset", "amount", "external_withdraw_processed"}, ...]'),
        Column("time", T.INT),
    ),
    key=EVM_LOG_KEY,
    events=(EventSpec(abi_entry("dhedge_pool_logic.json", "Withdrawal")),),
)

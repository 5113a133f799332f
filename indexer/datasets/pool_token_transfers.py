"""ERC-20 `Transfer` events of dHEDGE pool tokens (the pools are the contracts).

Pool tokens are transferable, so Deposit/Withdrawal alone are not balances (programs.md §4):
these rows complete the set of investors to snapshot.
"""

from indexer.datasets.base import EVM_LOG_COLUMNS, EVM_LOG_KEY, Column, Dataset, EventSpec, T, abi_entry

DATASET = Dataset(
    name="pool_token_transfers",
    kind="events",
    doc="Transfers of dHEDGE pool tokens (ERC-20 Transfer emitted by the pools).",
    columns=EVM_LOG_COLUMNS + (
        Column("from_address", T.ADDRESS),
        Column("to_address", T.ADDRESS),
        Column("value", T.UINT256),
    ),
    key=EVM_LOG_KEY,
    events=(EventSpec(abi_entry("dhedge_pool_logic.json", "Transfer"),
                      rename={"from": "from_address", "to": "to_address"}),),
)

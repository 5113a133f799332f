"""Daily vDHT: IncentivisedVotingLockup.balanceOfAt(account, block) at the day's block.

Accounts are every provider seen in `vdht_locks` up to that block, plus (when indexed) every
dHEDGE investor, so investors without a lock get an explicit 0 (programs.md §4, the cap
needs vDHT per investor).
"""

from indexer.datasets.base import EVM_SNAPSHOT_COLUMNS, Column, Dataset, T

DATASET = Dataset(
    name="vdht_snapshots",
    kind="snapshot",
    doc="Per day and account: vDHT from balanceOfAt at the day's block.",
    columns=EVM_SNAPSHOT_COLUMNS + (
        Column("contract", T.ADDRESS, doc="the lockup contract"),
        Column("investor", T.ADDRESS),
        Column("vdht", T.UINT256),
    ),
    key=("day", "contract", "investor"),
    reads=("vdht_locks",),  # who locked: read before each day
)

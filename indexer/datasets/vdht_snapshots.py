"""Daily vDHT: IncentivisedVotingLockup.balanceOfAt(account, block) at the day's block.

Accounts are every provider seen in `vdht_locks` up to that block, plus (when indexed) every
dHEDGE investor, so investors without a lock get an explicit 0 (programs.md §4, the cap
needs vDHT per investor). A lockup without code at the day's block: every account 0.
"""

from indexer.datasets.base import EVM_SNAPSHOT_COLUMNS, Column, Dataset, T
from indexer.datasets.reads import Holders, SnapshotReads, calldata, uint


def _calls(at):
    return [(at.contract, calldata("balanceOfAt(address,uint256)", ["address", "uint256"],
                                   [h, at.block])) for h in at.holders]


def _rows(at, answers):
    return [dict(contract=at.contract, investor=h,
                 vdht=str(uint(a, f"{at.contract}.balanceOfAt({h}) at block {at.block}")))
            for h, a in zip(at.holders, answers)]


SNAPSHOT = SnapshotReads(
    holders=(Holders("vdht_locks", "provider"),
             Holders("dhedge_deposits", "investor", same_contract=False, required=False),
             Holders("pool_token_transfers", "to_address", same_contract=False, required=False)),
    calls=_calls, rows=_rows,
    absent=lambda at: [dict(contract=at.contract, investor=h, vdht="0") for h in at.holders])

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
    reads=tuple(h.dataset for h in SNAPSHOT.holders if h.required),  # indexed first: whom to read
    snapshot=SNAPSHOT,
)

"""DHT lockup (IncentivisedVotingLockup, a Curve VotingEscrow port) Deposit/Withdraw events.

Signatures from mStable's IncentivisedVotingLockup.sol, which dHEDGE deployed:
`Deposit(address indexed provider, uint256 value, uint256 locktime, LockAction indexed
action, uint256 ts)` (LockAction is an enum, ABI uint8: 0 CREATE_LOCK, 1
INCREASE_LOCK_AMOUNT, 2 INCREASE_LOCK_TIME) and `Withdraw(address indexed provider, uint256
value, uint256 ts)`. Withdraw rows have no locktime/action (null).
"""

from indexer.datasets.base import EVM_LOG_COLUMNS, EVM_LOG_KEY, Column, Dataset, EventSpec, T, abi_entry

DATASET = Dataset(
    name="vdht_locks",
    kind="events",
    doc="DHT lockup Deposit (create/increase) and Withdraw events.",
    columns=EVM_LOG_COLUMNS + (
        Column("kind", T.STRING, doc="'deposit' or 'withdraw'"),
        Column("provider", T.ADDRESS),
        Column("value", T.UINT256),
        Column("locktime", T.INT, nullable=True, doc="unlock time (unix s), deposits only"),
        Column("action", T.INT, nullable=True, doc="LockAction enum, deposits only"),
        Column("ts", T.INT),
    ),
    key=EVM_LOG_KEY,
    events=(
        EventSpec(abi_entry("incentivised_voting_lockup.json", "Deposit"),
                  constants={"kind": "deposit"}),
        EventSpec(abi_entry("incentivised_voting_lockup.json", "Withdraw"),
                  constants={"kind": "withdraw", "locktime": None, "action": None}),
    ),
)

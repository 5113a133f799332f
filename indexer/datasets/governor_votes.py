"""OpenZeppelin Governor `VoteCast` / `VoteCastWithParams` (contracts/governance/IGovernor.sol).

Named `governor_votes` (DECISIONS D8): `governance_votes` is the Solana spl-governance table.
"""

from indexer.datasets.base import EVM_LOG_COLUMNS, EVM_LOG_KEY, Column, Dataset, EventSpec, T, abi_entry

DATASET = Dataset(
    name="governor_votes",
    kind="events",
    doc="EVM Governor votes (VoteCast and VoteCastWithParams).",
    columns=EVM_LOG_COLUMNS + (
        Column("voter", T.ADDRESS),
        Column("proposal_id", T.UINT256),
        Column("support", T.INT, doc="0 against, 1 for, 2 abstain"),
        Column("weight", T.UINT256),
        Column("reason", T.STRING),
        Column("params", T.HEX, nullable=True, doc="VoteCastWithParams only"),
    ),
    key=EVM_LOG_KEY,
    events=(
        EventSpec(abi_entry("governor.json", "VoteCast"), constants={"params": None}),
        EventSpec(abi_entry("governor.json", "VoteCastWithParams")),
    ),
)

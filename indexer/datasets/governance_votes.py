"""spl-governance vote records (VoteRecordV2, solana-labs/solana-program-library
governance/program/src/state/vote_record.rs) read with getProgramAccounts at a slot (D13).

`weight` = voter_weight / 10^9 (JET has 9 decimals); `time` is the proposal's voting start
(vote records hold no time; D13), `slot` the slot the RPC reported for the read.
"""

from indexer.datasets._offchain import SOLANA_COLUMNS, SOLANA_KEY
from indexer.datasets.base import Column, Dataset, T

DATASET = Dataset(
    name="governance_votes",
    kind="solana",
    doc="Votes of a realm: voter, proposal, weight, relinquished flag.",
    columns=SOLANA_COLUMNS + (
        Column("vote_record", T.PUBKEY),
        Column("voter", T.PUBKEY, doc="governing token owner"),
        Column("proposal", T.PUBKEY),
        Column("voter_weight", T.UINT256, doc="base units"),
        Column("weight", T.DECIMAL, doc="JET"),
        Column("vote", T.STRING, doc="approve | deny | abstain | veto"),
        Column("is_relinquished", T.BOOL),
        Column("time", T.TIMESTAMP, nullable=True),
    ),
    key=SOLANA_KEY,
    position="slot",
    extra={"chain": "solana-local", "nonneg": ("weight",),
           "enums": {"vote": ("approve", "deny", "abstain", "veto")}},
)

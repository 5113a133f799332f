"""spl-governance proposals (ProposalV2, solana-labs/solana-program-library
governance/program/src/state/proposal.rs) read with getProgramAccounts at a slot.
`category` is not on chain: it is parsed from the name prefix ("Asset Onboarding: …") or given
by an import."""

from indexer.datasets._offchain import SOLANA_COLUMNS, SOLANA_KEY
from indexer.datasets.base import Column, Dataset, T

DATASET = Dataset(
    name="governance_proposals",
    kind="solana",
    doc="Proposals of a realm: name, state and voting times.",
    columns=SOLANA_COLUMNS + (
        Column("proposal", T.PUBKEY),
        Column("governance", T.PUBKEY),
        Column("name", T.STRING),
        Column("category", T.STRING, nullable=True),
        Column("state", T.STRING),
        Column("draft_at", T.TIMESTAMP),
        Column("voting_at", T.TIMESTAMP, nullable=True),
        Column("voting_completed_at", T.TIMESTAMP, nullable=True),
        Column("time", T.TIMESTAMP, nullable=True, doc="= voting_at"),
    ),
    key=SOLANA_KEY,
    position="slot",
    extra={"chain": "solana-local", "interval": ("voting_at", "voting_completed_at")},
)

"""spl-governance accounts: VoteRecordV2 and ProposalV2 (Borsh, no Anchor discriminator).

Layouts from solana-labs/solana-program-library governance/program/src/state/vote_record.rs
(VoteRecordV2: account_type, proposal, governing_token_owner, is_relinquished, voter_weight,
vote, reserved_v2) and proposal.rs (ProposalV2), written down in
contracts_abi/spl_governance_accounts.json. The first byte is GovernanceAccountType (enums.rs):
VoteRecordV2 = 12, ProposalV2 = 14, GovernanceV2 = 18 — the memcmp filters select on it, and on
the pubkey right after it (GovernanceV2.realm, ProposalV2.governance, VoteRecordV2.proposal).
"""

from __future__ import annotations

import json
from pathlib import Path

import base58

from indexer.solana.borsh import BorshError, Codec

IDL_PATH = Path(__file__).resolve().parents[2] / "contracts_abi" / "spl_governance_accounts.json"
VOTE_RECORD_V2, PROPOSAL_V2, GOVERNANCE_V2 = 12, 14, 18
VOTE_NAMES = {"Approve": "approve", "Deny": "deny", "Abstain": "abstain", "Veto": "veto"}

_codec = Codec(json.loads(IDL_PATH.read_text()))


def type_filter(account_type: int, parent: str | None = None) -> list[dict]:
    """getProgramAccounts filters: first byte = account type (+ the pubkey at offset 1)."""
    f = [{"memcmp": {"offset": 0, "bytes": base58.b58encode(bytes([account_type])).decode()}}]
    if parent is not None:
        f.append({"memcmp": {"offset": 1, "bytes": parent}})
    return f


def decode_vote_record(data: bytes) -> dict:
    if not data or data[0] != VOTE_RECORD_V2:
        raise BorshError(f"not a VoteRecordV2 (account type {data[:1].hex() or 'empty'})")
    value, _ = _codec.decode({"defined": "VoteRecordV2"}, data)
    return value


def decode_proposal(data: bytes) -> dict:
    if not data or data[0] != PROPOSAL_V2:
        raise BorshError(f"not a ProposalV2 (account type {data[:1].hex() or 'empty'})")
    value, _ = _codec.decode({"defined": "ProposalV2"}, data)
    return value


def encode(type_name: str, value: dict) -> bytes:
    """Borsh bytes of a governance account (used by the loopback test server)."""
    return _codec.encode({"defined": type_name}, value)


def category_of(name: str) -> str | None:
    """Jet proposals name their category before a colon ("Asset Onboarding: list X")."""
    return name.split(":", 1)[0].strip() if ":" in name else None

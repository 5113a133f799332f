"""spl-governance votes and proposals of one realm, read as accounts at a slot (DECISIONS D13).

realm → its GovernanceV2 accounts → their ProposalV2 accounts → the proposals' VoteRecordV2
accounts, each by getProgramAccounts with memcmp filters on (account type, parent pubkey).
The result is a snapshot: written as one chunk per dataset covering the slots read, replacing
the previous snapshot of the same (program, realm) only after the new one is on disk.
Vote records hold no time: a vote's `time` is its proposal's voting start. For an account
snapshot `signature` holds the account address and `event_index` is 0.
"""

from __future__ import annotations

import base64
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from indexer import checkpoint
from indexer.datasets import get as get_dataset
from indexer.solana import governance as g
from indexer.solana.rpc import SolanaRpc
from indexer.store import Store

VOTES, PROPOSALS = "governance_votes", "governance_proposals"


def _ts(v: int | None):
    return None if v is None else datetime.fromtimestamp(v, timezone.utc)


def _data(acc: dict) -> bytes:
    return base64.b64decode(acc["account"]["data"][0])


def _weight(raw: int, decimals: int) -> str:
    d = Decimal(raw).scaleb(-decimals)
    s = format(d, "f")
    return s.rstrip("0").rstrip(".") if "." in s else s


def read_realm(rpc: SolanaRpc, program: str, realm: str, decimals: int = 9
               ) -> tuple[list[dict], list[dict], tuple[int, int]]:
    """(proposal rows, vote rows, (first slot, last slot) of the reads)."""
    slots = []
    slot, govs = rpc.program_accounts(program, g.type_filter(g.GOVERNANCE_V2, realm))
    slots.append(slot)
    times: dict[int, Any] = {}

    def block_time(s: int):
        if s not in times:
            times[s] = _ts(rpc.block_time(s))
        return times[s]

    proposals, votes = [], []
    for gov in sorted(govs, key=lambda a: a["pubkey"]):
        slot, accs = rpc.program_accounts(program, g.type_filter(g.PROPOSAL_V2, gov["pubkey"]))
        slots.append(slot)
        for acc in sorted(accs, key=lambda a: a["pubkey"]):
            p = g.decode_proposal(_data(acc))
            proposals.append({
                "slot": slot, "block_time": block_time(slot), "signature": acc["pubkey"],
                "event_index": 0, "program_id": program, "proposal": acc["pubkey"],
                "governance": p["governance"], "name": p["name"],
                "category": g.category_of(p["name"]), "state": p["state"]["kind"],
                "draft_at": _ts(p["draftAt"]), "voting_at": _ts(p["votingAt"]),
                "voting_completed_at": _ts(p["votingCompletedAt"]), "time": _ts(p["votingAt"])})
    voting_at = {p["proposal"]: p["voting_at"] for p in proposals}
    for prop in sorted(voting_at):
        slot, accs = rpc.program_accounts(program, g.type_filter(g.VOTE_RECORD_V2, prop))
        slots.append(slot)
        for acc in sorted(accs, key=lambda a: a["pubkey"]):
            v = g.decode_vote_record(_data(acc))
            votes.append({
                "slot": slot, "block_time": block_time(slot), "signature": acc["pubkey"],
                "event_index": 0, "program_id": program, "vote_record": acc["pubkey"],
                "voter": v["governingTokenOwner"], "proposal": v["proposal"],
                "voter_weight": str(v["voterWeight"]), "weight": _weight(v["voterWeight"], decimals),
                "vote": g.VOTE_NAMES[v["vote"]["kind"]], "is_relinquished": v["isRelinquished"],
                "time": voting_at.get(v["proposal"])})
    return proposals, votes, (min(slots), max(slots))


def index_realm(rpc: SolanaRpc, program: str, realm: str, store: str | Path, *,
                chain: str = "solana-local", decimals: int = 9) -> dict[str, Any]:
    proposals, votes, (lo, hi) = read_realm(rpc, program, realm, decimals)
    tag = checkpoint.contract_set_tag([program, realm])
    with Store(store).locked() as st:
        for name, rows in ((PROPOSALS, proposals), (VOTES, votes)):
            ds = get_dataset(name)
            old = st.chunks(name, chain, tag)
            new = st.write_chunk(name, chain, lo, hi,
                                 ds.table({c: [r.get(c) for r in rows] for c in ds.column_names}),
                                 tag=tag)
            for ch in old:
                if ch.path != new:
                    st.delete_chunk(ch)
    return {"slot": hi, "proposals": len(proposals), "votes": len(votes)}

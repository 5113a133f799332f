"""spl-governance-shaped votes and proposals for a realm (programs.md §3, Jet airdrop).

Proposals carry a category (19 "Asset Onboarding" ones, as in programs.md's
total_proposal_count, plus others); votes carry the VoteRecordV2 fields (governing token owner,
voter_weight in base units with JET's 9 decimals, relinquished flag) and `weight` in JET.
Some weights sit at or below the 1,000 JET threshold on purpose; some records are relinquished.
"""

from __future__ import annotations

from datetime import datetime, timezone

import duckdb
import numpy as np
import pyarrow as pa

from indexer.generate.common import rng_for, to_micros
from indexer.generate.jet import _pubkeys

CATEGORIES = ["Asset Onboarding"] * 19 + ["Parameter Change"] * 6 + ["Treasury"] * 5
T0 = datetime(2022, 9, 1, tzinfo=timezone.utc)
CUTOFF = datetime(2023, 4, 30, tzinfo=timezone.utc)
GOVERNANCE_PROGRAM = "GovER5Lthms3bLBqWub97yVrMmEogzX7xNjdXpPPCVZw"
STATES = {"Succeeded": 3, "Completed": 5, "Defeated": 7}


def generate_governance(seed: int = 0, scale: float = 1.0) -> dict[str, pa.Table]:
    """{'governance_proposals': …, 'governance_votes': …} for one realm."""
    rng = rng_for(seed, "governance")
    n_prop = len(CATEGORIES) + 4                  # 4 more after the cutoff
    n_voters = max(5, int(400 * scale))
    props = _pubkeys(rng, n_prop)
    governance = _pubkeys(rng, 1)[0]
    voters = _pubkeys(rng_for(seed, "governance-voters"), n_voters)
    span = to_micros(CUTOFF) - to_micros(T0)
    start = np.sort((rng.random(n_prop) * span).astype(np.int64)) + to_micros(T0)
    start[-4:] = to_micros(CUTOFF) + np.arange(1, 5) * 86_400_000_000 * 3
    start = (start // 1_000_000) * 1_000_000
    state_names = list(STATES)
    state = [state_names[i] for i in rng.integers(0, 3, n_prop)]
    cats = CATEGORIES + ["Asset Onboarding"] * 4
    snap_slot, snap_time = 250_000_000, to_micros(CUTOFF) + 30 * 86_400_000_000
    chain_cols = lambda n, sigs: {                                       # noqa: E731
        "slot": pa.array([snap_slot] * n, pa.int64()),
        "block_time": pa.array([snap_time] * n, pa.timestamp("us", tz="UTC")),
        "signature": pa.array(sigs), "event_index": pa.array([0] * n, pa.int64()),
        "program_id": pa.array([GOVERNANCE_PROGRAM] * n)}
    proposals = pa.table({
        **chain_cols(n_prop, props),
        "proposal": props,
        "governance": [governance] * n_prop,
        "name": [f"{c}: proposal {i + 1}" for i, c in enumerate(cats)],
        "category": cats,
        "state": state,
        "draft_at": pa.array(start - 86_400_000_000, pa.timestamp("us", tz="UTC")),
        "voting_at": pa.array(start, pa.timestamp("us", tz="UTC")),
        "voting_completed_at": pa.array(start + 3 * 86_400_000_000, pa.timestamp("us", tz="UTC")),
        "time": pa.array(start, pa.timestamp("us", tz="UTC")),
    })
    # each voter votes on a random subset; weights log-normal around 5,000 JET
    p_vote = rng.uniform(0.05, 0.9, n_voters)
    mask = rng.random((n_voters, n_prop)) < p_vote[:, None]
    vi, pi = np.nonzero(mask)
    w = np.exp(rng.normal(np.log(5_000), 1.5, vi.size))
    w = np.where(rng.random(vi.size) < 0.03, 1000.0, w)     # exactly at the threshold
    raw = np.maximum(np.round(w * 1e3).astype(np.int64), 1) * 1_000_000  # base units, 9 dp
    t = start[pi] + (rng.random(vi.size) * 3 * 86_400e6).astype(np.int64)
    records = _pubkeys(rng_for(seed, "governance-records"), vi.size)
    votes = pa.table({
        **chain_cols(vi.size, records),
        "vote_record": pa.array(records),
        "voter": pa.array(np.array(voters, dtype=object)[vi]),
        "proposal": pa.array(np.array(props, dtype=object)[pi]),
        "voter_weight": pa.array(raw, pa.int64()),
        "vote": pa.array(np.where(rng.random(vi.size) < 0.8, "approve", "deny").astype(object)),
        "is_relinquished": pa.array(rng.random(vi.size) < 0.1),
        "time": pa.array((t // 1_000_000) * 1_000_000, pa.timestamp("us", tz="UTC")),
    })
    con = duckdb.connect()
    con.register("v", votes)
    votes = con.sql("""SELECT slot, block_time, signature, event_index, program_id, vote_record,
                              voter, proposal,
                              CAST(CAST(voter_weight AS DECIMAL(38, 0)) * CAST('1e-9' AS DECIMAL(38, 18))
                                   AS DECIMAL(38, 18)) AS weight,
                              time, voter_weight, vote, is_relinquished
                       FROM v ORDER BY proposal, voter""").to_arrow_table()
    con.close()
    return {"governance_proposals": proposals.sort_by("proposal"), "governance_votes": votes}

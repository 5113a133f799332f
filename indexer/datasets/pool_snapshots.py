"""Daily dHEDGE invested value: PoolLogic.balanceOf(investor) × tokenPrice() at a block.

dhedge-v2-snapshot-utility's method (programs.md §4): at the first block at/after 00:00 UTC
of each day, for every pool and every investor seen so far in `dhedge_deposits` or
`pool_token_transfers` (to_address) up to that block, read both with eth_call. value_usd =
balance × price / 10**18 as an exact decimal string (both are 18-dp fixed point). Zero
balances are not written; a pool without code at the day's block writes no row.
"""

from indexer.datasets.base import EVM_SNAPSHOT_COLUMNS, Column, Dataset, T
from indexer.datasets.reads import Holders, SnapshotReads, calldata, fixed_point, uint

PRICE = calldata("tokenPrice()")


def _calls(at):
    return [(at.contract, PRICE)] + [(at.contract, calldata("balanceOf(address)", ["address"], [h]))
                                     for h in at.holders]


def _rows(at, answers):
    price = uint(answers[0], f"{at.contract}.tokenPrice() at block {at.block}")
    out = []
    for h, a in zip(at.holders, answers[1:]):
        bal = uint(a, f"{at.contract}.balanceOf({h}) at block {at.block}")
        if bal:
            out.append(dict(pool=at.contract, investor=h, balance=str(bal), token_price=str(price),
                            value_usd=fixed_point(bal * price, 18)))
    return out


SNAPSHOT = SnapshotReads(
    holders=(Holders("dhedge_deposits", "investor"), Holders("pool_token_transfers", "to_address")),
    calls=_calls, rows=_rows)

DATASET = Dataset(
    name="pool_snapshots",
    kind="snapshot",
    doc="Per day, pool and investor: pool-token balance, token price and their USD value.",
    columns=EVM_SNAPSHOT_COLUMNS + (
        Column("pool", T.ADDRESS),
        Column("investor", T.ADDRESS),
        Column("balance", T.UINT256),
        Column("token_price", T.UINT256, doc="USD per pool token, 18 decimals"),
        Column("value_usd", T.DECIMAL, doc="balance × token_price / 1e18 (exact)"),
    ),
    key=("day", "pool", "investor"),
    reads=tuple(h.dataset for h in SNAPSHOT.holders if h.required),  # indexed first: whom to read
    snapshot=SNAPSHOT,
)

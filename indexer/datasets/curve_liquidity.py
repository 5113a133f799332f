"""Daily Curve pool balances: balances(i) for each coin, and the coin's decimals.

Old Vyper pools expose `balances(int128)` and `coins(int128)`, newer ones `balances(uint256)`
and `coins(uint256)` (curvefi/curve-contract): the uint256 getter is used when `coins(0)`
answers with it, else the int128 one; which one answered is recorded in `getter`. Coins are
`coins(0..)` up to the first that reverts (at most MAX_COINS = 8, Curve's largest pool
size: stableswap-ng's N_COINS_MAX). `decimals` comes from each coin's ERC-20 `decimals()`.
Coins and decimals are read once per pool, at the first day the pool has code (a pool
without code that day writes no rows: its coins are not known yet).
"""

from epochdrop.errors import UserError
from indexer.datasets.base import EVM_SNAPSHOT_COLUMNS, Column, Dataset, T
from indexer.datasets.reads import SnapshotReads, calldata, decoded, uint
from indexer.evm.decode import checksum

GETTERS = ("uint256", "int128")
MAX_COINS = 8


def _discover(at, read):
    answers = read([(at.contract, calldata(f"coins({g})", [g], [i]))
                    for g in GETTERS for i in range(MAX_COINS)])
    for k, g in enumerate(GETTERS):
        got = answers[k * MAX_COINS:(k + 1) * MAX_COINS]
        if got[0][0] and got[0][1]:
            break
    else:
        raise UserError(f"--contracts {at.contract}: not a Curve pool (coins(0) reverts with "
                        "both getters)")
    coins = []
    for ok, data in got:
        if not (ok and data):
            break
        coins.append(checksum(decoded((ok, data), ["address"], "coins")[0]))
    decs = read([(c, calldata("decimals()")) for c in coins])
    at.memo.update(getter=g, coins=[(i, c, decoded(d, ["uint8"], f"{c}.decimals()")[0])
                                    for i, (c, d) in enumerate(zip(coins, decs))])


def _calls(at):
    g = at.memo["getter"]
    return [(at.contract, calldata(f"balances({g})", [g], [i])) for i, _, _ in at.memo["coins"]]


def _rows(at, answers):
    return [dict(pool=at.contract, i=i, coin=coin, decimals=dec, getter=at.memo["getter"],
                 balance=str(uint(a, f"{at.contract}.balances({i}) at block {at.block}")))
            for (i, coin, dec), a in zip(at.memo["coins"], answers)]


SNAPSHOT = SnapshotReads(calls=_calls, rows=_rows, discover=_discover)

DATASET = Dataset(
    name="curve_liquidity",
    kind="snapshot",
    doc="Per day, pool and coin index: the pool's balance of that coin (base units).",
    columns=EVM_SNAPSHOT_COLUMNS + (
        Column("pool", T.ADDRESS),
        Column("i", T.INT),
        Column("coin", T.ADDRESS),
        Column("decimals", T.INT),
        Column("balance", T.UINT256),
        Column("getter", T.STRING, doc="'uint256' or 'int128': which balances() answered"),
    ),
    key=("day", "pool", "i"),
    snapshot=SNAPSHOT,
)

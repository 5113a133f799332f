"""Curve pool swaps: TokenExchange and TokenExchangeUnderlying, int128 and uint256 id variants.

Stable pools (curvefi/curve-contract, Vyper) emit `TokenExchange(address indexed buyer, int128
sold_id, uint256 tokens_sold, int128 bought_id, uint256 tokens_bought)`; crypto pools use
uint256 ids, which changes topic0. All four signatures are decoded. Logs are fetched with the
pools as the address filter, so each pool counts its own events only — a metapool swap that
also makes the base pool emit is counted once per pool that emitted it (programs.md §5).
"""

from indexer.datasets.base import EVM_LOG_COLUMNS, EVM_LOG_KEY, Column, Dataset, EventSpec, T, abi_entry

_EVENTS = tuple(
    EventSpec(abi_entry(file, name), constants={"event": name, "id_type": id_type})
    for file, id_type in (("curve_pool.json", "int128"), ("curve_pool_uint256.json", "uint256"))
    for name in ("TokenExchange", "TokenExchangeUnderlying")
)

DATASET = Dataset(
    name="curve_swaps",
    kind="events",
    doc="Curve TokenExchange / TokenExchangeUnderlying events (int128 and uint256 ids).",
    columns=EVM_LOG_COLUMNS + (
        Column("event", T.STRING, doc="'TokenExchange' or 'TokenExchangeUnderlying'"),
        Column("id_type", T.STRING, doc="'int128' (stable pools) or 'uint256' (crypto pools)"),
        Column("buyer", T.ADDRESS),
        Column("sold_id", T.INT),
        Column("tokens_sold", T.UINT256),
        Column("bought_id", T.INT),
        Column("tokens_bought", T.UINT256),
    ),
    key=EVM_LOG_KEY,
    events=_EVENTS,
)

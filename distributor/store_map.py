"""Where each canonical table comes from in a store (DECISIONS D8), and how it is shaped.

A canonical table is read from a store dataset of the same name when there is one (e.g. an
imported `dhedge_vdht`), else from the listener dataset D8 names, shaped by a small view:
`renames` fill canonical columns the dataset calls otherwise (only when the canonical name
is absent), `sql` reshapes rows (`{src}` = the dataset's rows, with `filename` and
`file_row_number` kept where a bad value must be located).
"""

from __future__ import annotations

from dataclasses import dataclass, field


def _base_units_to_tokens(col: str, decimals: int = 18) -> str:
    """An exact decimal string of a uint256 decimal string: '1500…0' (18 zeros) → '1.5…'."""
    v = f"trim(CAST({col} AS VARCHAR))"
    return (f"CASE WHEN length({v}) > {decimals} THEN left({v}, length({v}) - {decimals}) "
            f"|| '.' || right({v}, {decimals}) ELSE '0.' || lpad({v}, {decimals}, '0') END")


def _usd_value(balance: str, price: str) -> str:
    """⌊balance · price / 10^18⌋ as HUGEINT = the USD value (balance and tokenPrice both
    18-dp) in 10^-18 USD, exact: each factor is split at 10^18 so no product overflows."""
    e = "CAST(1000000000000000000 AS HUGEINT)"
    b, p = f"TRY_CAST({balance} AS HUGEINT)", f"TRY_CAST({price} AS HUGEINT)"
    return (f"(({b} // {e}) * ({p} // {e}) * {e} + ({b} // {e}) * ({p} % {e}) "
            f"+ ({b} % {e}) * ({p} // {e}) + (({b} % {e}) * ({p} % {e})) // {e})")


@dataclass(frozen=True)
class Source:
    dataset: str
    renames: dict[str, str] = field(default_factory=dict)
    sql: str | None = None


STORE_SOURCES: dict[str, tuple[Source, ...]] = {
    # the listener's curve_swaps: block_time and the emitting pool contract
    "curve_swaps": (Source("curve_swaps", {"time": "block_time", "pool": "contract"}),),
    # coins' decimals are columns of the listener's curve_liquidity snapshots
    "curve_coins": (Source("curve_coins"),
                    Source("curve_liquidity",
                           sql="SELECT DISTINCT pool, i, decimals FROM {src}")),
    # pool_snapshots: value = balanceOf × tokenPrice (both 18-dp), recomputed exactly in USD
    # (truncated at 10^-18 USD) rather than trusting the scale of its value_usd column
    "dhedge_pool_values": (Source("dhedge_pool_values"),
                           Source("pool_snapshots",
                                  sql="SELECT day, pool, investor, "
                                      + _base_units_to_tokens(
                                          "CAST(" + _usd_value("balance", "token_price")
                                          + " AS VARCHAR)")
                                      + " AS value_usd, filename, file_row_number "
                                        "FROM {src}")),
    # vdht_snapshots holds balanceOfAt in base units (18 decimals); the table is in DHT
    "dhedge_vdht": (Source("dhedge_vdht"),
                    Source("vdht_snapshots",
                           sql="SELECT day, investor, " + _base_units_to_tokens("vdht")
                               + " AS vdht, filename, file_row_number FROM {src}")),
    "jet_markets": (Source("jet_markets"),
                    Source("clob_markets", {"tenor_seconds": "borrow_tenor"})),
    "dydx_orders": (Source("dydx_orders"),),
    "jet_orders": (Source("jet_orders"),),
}


def sources_for(table: str) -> tuple[Source, ...]:
    return STORE_SOURCES.get(table, (Source(table),))

"""The rules a canonical table's validator may declare, as SQL predicates over its raw cells.

Why SQL: tables are loaded by DuckDB (distributor/inputs.py) and may hold millions of rows;
one `SELECT … WHERE NOT ok LIMIT 1` per rule finds the first bad row without a Python loop,
and inputs.py then names its file, row and field (issue 20: "errors name the file, row and
field that are wrong"). The rules are declared per table next to the table (`TableSpec.checks`
in each program's declaration), the column kinds (types, exact decimals) are checked before.

Address forms follow the chains' own encodings: EVM 0x + 40 hex (EIP-55 case is checked by
the importer, which sees the file once per row), Solana base58 of 32 bytes (32–44
characters of the Bitcoin alphabet), Terra bech32 `terra1` + 38 characters.
"""

from __future__ import annotations

_B58 = "[1-9A-HJ-NP-Za-km-z]"
_PATTERNS = {
    "evm_address": "0x[0-9a-fA-F]{40}",
    "solana_pubkey": f"{_B58}{{32,44}}",
    "terra_address": "terra1[02-9ac-hj-np-z]{38}",
}
WHAT = {
    ">=0": "must be ≥ 0",
    ">0": "must be > 0",
    "evm_address": "is not an EVM address (0x and 40 hex digits)",
    "solana_pubkey": "is not a Solana address (base58 of 32 bytes)",
    "terra_address": "is not a Terra address (terra1…, 44 characters)",
}


def bad_sql(rule: str, cell: str, sql_type: str) -> str:
    """A predicate true when the (non-null) raw `cell` breaks `rule`; `sql_type` is the
    column's canonical DuckDB type, used to compare numbers exactly."""
    if rule in (">=0", ">0"):
        op = ">=" if rule == ">=0" else ">"
        return (f"{cell} IS NOT NULL AND NOT (TRY_CAST(trim(CAST({cell} AS VARCHAR)) AS "
                f"{sql_type}) {op} 0)")
    if rule in _PATTERNS:
        return (f"{cell} IS NOT NULL AND NOT regexp_full_match(CAST({cell} AS VARCHAR), "
                f"'{_PATTERNS[rule]}')")
    if rule.startswith("one_of:"):
        allowed = ", ".join("'" + v.replace("'", "''") + "'" for v in rule[7:].split("|"))
        return f"{cell} IS NOT NULL AND CAST({cell} AS VARCHAR) NOT IN ({allowed})"
    raise ValueError(f"unknown table rule {rule!r}")


def what(rule: str) -> str:
    if rule.startswith("one_of:"):
        vals = rule[7:].split("|")
        return "must be " + (" or ".join(vals) if len(vals) == 2 else "one of " + ", ".join(vals))
    return WHAT[rule]

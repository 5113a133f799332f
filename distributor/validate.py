"""The rules a canonical table's validator may declare, as SQL predicates over its raw cells.

Why SQL: tables are loaded by DuckDB or Spark (distributor/inputs.py) and may hold millions of rows;
one `SELECT … WHERE NOT ok LIMIT 1` per rule finds the first bad row without a Python loop,
and inputs.py then names its file, row and field (issue 20: "errors name the file, row and
field that are wrong"). The rules are declared per table next to the table (`TableSpec.checks`
in each program's declaration), the column kinds (types, exact decimals) are checked before.

Address forms follow the chains' own encodings: EVM 0x + 40 hex (EIP-55 case is checked by
the importer, which sees the file once per row), Solana base58 of 32 bytes (32–44
characters of the Bitcoin alphabet), Terra bech32 `terra1` + 38 characters.

The predicates are written once, through `Sql`: the handful of spellings in which DuckDB and
Spark SQL differ (identifier quotes, string literals, the text type, TRY_CAST's target types,
a full regular-expression match), so the same bad cell is found by the same rule on both
engines (issue 18). The DuckDB spellings are exactly the ones used before Spark existed.
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

# DuckDB's canonical types (spec.DUCKDB_TYPES, plus the parse target of times) in Spark: the
# loaded tables hold exact DECIMAL(38, s) (HUGEINT's 2^127 is beyond Spark: 10^38 - 1 is the
# largest integer there) and Spark's TIMESTAMP, read in the UTC session (session.py).
SPARK_TYPES = {
    "VARCHAR": "STRING", "HUGEINT": "DECIMAL(38,0)", "DECIMAL(38,18)": "DECIMAL(38,18)",
    "TIMESTAMP": "TIMESTAMP", "TIMESTAMPTZ": "TIMESTAMP", "DATE": "DATE", "BIGINT": "BIGINT",
    "BOOLEAN": "BOOLEAN", "INTEGER": "INT",
}
# RE2's (DuckDB's) \s, spelled out: Java's (Spark's) \s also matches the vertical tab
_RE2_SPACE = "[\\t\\n\\f\\r ]"


class Sql:
    """The SQL spellings the loader's checks need, in DuckDB's or Spark's dialect.

    Why not translate DuckDB's text with sqlglot: these few are exactly where the engines
    differ in meaning, not just in spelling (Spark's RLIKE matches anywhere in the string,
    so a pattern must be anchored; Spark string literals take backslash escapes)."""

    def __init__(self, spark: bool = False):
        self.spark = spark

    def q(self, name: str) -> str:
        if self.spark:
            return "`" + name.replace("`", "``") + "`"
        return '"' + name.replace('"', '""') + '"'

    def lit(self, text: str) -> str:
        if self.spark:
            return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
        return "'" + text.replace("'", "''") + "'"

    def type(self, duckdb_type: str) -> str:
        return SPARK_TYPES[duckdb_type] if self.spark else duckdb_type

    def text(self, cell: str) -> str:
        return f"CAST({cell} AS {'STRING' if self.spark else 'VARCHAR'})"

    def try_cast(self, cell: str, duckdb_type: str) -> str:
        return f"TRY_CAST({cell} AS {self.type(duckdb_type)})"

    def full_match(self, text: str, pattern: str) -> str:
        """`text` matches all of `pattern` (RE2 syntax, as DuckDB's regexp_full_match)."""
        if self.spark:
            java = "\\A(?:" + pattern.replace("\\s", _RE2_SPACE) + ")\\z"
            return f"({text} RLIKE {self.lit(java)})"
        return f"regexp_full_match({text}, '{pattern}')"


DUCKDB = Sql(spark=False)
SPARK = Sql(spark=True)


def bad_sql(rule: str, cell: str, sql_type: str, sql: Sql = DUCKDB) -> str:
    """A predicate true when the (non-null) raw `cell` breaks `rule`; `sql_type` is the
    column's canonical DuckDB type, used to compare numbers exactly."""
    if rule in (">=0", ">0"):
        op = ">=" if rule == ">=0" else ">"
        return (f"{cell} IS NOT NULL AND NOT ({sql.try_cast(f'trim({sql.text(cell)})', sql_type)}"
                f" {op} 0)")
    if rule in _PATTERNS:
        return (f"{cell} IS NOT NULL AND NOT "
                f"{sql.full_match(sql.text(cell), _PATTERNS[rule])}")
    if rule.startswith("one_of:"):
        allowed = ", ".join(sql.lit(v) for v in rule[7:].split("|"))
        return f"{cell} IS NOT NULL AND {sql.text(cell)} NOT IN ({allowed})"
    raise ValueError(f"unknown table rule {rule!r}")


def what(rule: str) -> str:
    if rule.startswith("one_of:"):
        vals = rule[7:].split("|")
        return "must be " + (" or ".join(vals) if len(vals) == 2 else "one of " + ", ".join(vals))
    return WHAT[rule]

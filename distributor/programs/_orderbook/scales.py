"""The decimal scale at which the order-book SQL reads a DECIMAL(38, 18) column exactly.

See fixed_point.sql: the per-row arithmetic is 64-bit integer arithmetic on values scaled
by 10^s, s = the most decimals any value of the column uses. The scale changes no result
that does not depend on it by definition (sizes: the term quantum is 10^-s of a size unit,
stated in the programs' READMEs).
"""

from __future__ import annotations

from pathlib import Path

from distributor.programs.sql import run_sql_file

FIXED_POINT = Path(__file__).with_name("fixed_point.sql")


def column_scale(con, table: str, column: str, where: str = "TRUE") -> int:
    """Decimals used by `table.column` (0 … 18); defines the fixed-point macros first."""
    run_sql_file(con, FIXED_POINT)
    row = con.execute(f"SELECT coalesce(max(decimals18(frac18(v))), 0) FROM (SELECT DISTINCT "
                      f"{column} AS v FROM {table} WHERE {column} >= 0 AND ({where}))"
                      ).fetchone()   # distinct first: prices and sizes repeat a lot
    return int(row[0])


def scale_params(name: str, scale: int) -> dict[str, int]:
    """`{name}_mul` = 10^s and `{name}_div` = 10^(18 − s) for the SQL's scaled() macro."""
    return {f"{name}_mul": 10**scale, f"{name}_div": 10 ** (18 - scale)}

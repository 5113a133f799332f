"""Run a program's `.sql` file with bound parameters.

A file holds one or more statements separated by `;` at a line end. Parameters are
DuckDB named parameters (`$name`); each statement is given only the names it uses, so a
value is always bound, never formatted into the text (DESIGN "Scoring": keep the SQL
portable and the Python out of the per-row path).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import duckdb

from epochdrop.errors import InternalError

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_INCLUDE = re.compile(r"^--[ \t]*include[ \t]+(\S+)[ \t]*$", re.MULTILINE)
_SPLIT = re.compile(r";[ \t]*(?:--[^\n]*)?\n")


def statements(text: str) -> list[str]:
    """Split a SQL file into statements (on `;` at the end of a line)."""
    parts = _SPLIT.split(text + "\n")
    out = []
    for p in parts:
        body = "\n".join(line for line in p.splitlines() if not line.strip().startswith("--"))
        if body.strip().rstrip(";").strip():
            out.append(p.strip().rstrip(";"))
    return out


def run_sql_file(con: duckdb.DuckDBPyConnection, path: str | Path,
                 params: dict[str, Any] | None = None) -> None:
    """Execute every statement of `path`, binding the `$name` parameters each one uses."""
    params = params or {}
    text = read_sql(Path(path))
    for stmt in statements(text):
        names = sorted(set(_PARAM.findall(_strip_comments(stmt))))
        missing = [n for n in names if n not in params]
        if missing:
            raise InternalError(f"{Path(path).name}: no value for ${missing[0]}")
        con.execute(stmt, {n: params[n] for n in names} if names else None)


def read_sql(path: Path) -> str:
    """A SQL file's text with each `-- include RELATIVE.sql` line replaced by that file.

    Lets the order-book programs share one change-point query (distributor/programs/
    _orderbook/change_points.sql) while each program's SQL still reads top to bottom.
    """
    return _INCLUDE.sub(lambda m: read_sql((path.parent / m.group(1)).resolve()),
                        path.read_text())


def _strip_comments(stmt: str) -> str:
    return "\n".join(line.split("--", 1)[0] for line in stmt.splitlines())

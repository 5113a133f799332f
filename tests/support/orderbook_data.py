"""Helpers for the order-book program tests (dydx, jet, jet_airdrop): canonical tables as
CSV, loaded into DuckDB the way `epochdrop score` loads them."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import duckdb

from distributor.inputs import load_inputs
from distributor.programs import load_program
from tests.support.program_data import write_table

US = 1_000_000


def iso(t: datetime | int | None) -> str:
    """A naive-UTC datetime or µs timestamp as an ISO string ('' for None = still open)."""
    if t is None:
        return ""
    if isinstance(t, int):
        t = datetime.fromtimestamp(t // US, timezone.utc).replace(tzinfo=None,
                                                                  microsecond=t % US)
    return t.isoformat() + "Z"


def write_csv(folder: Path, table: str, header: list[str], rows: list[list]) -> Path:
    return write_table(folder, table, header, rows)


def loaded(program: str, folder: Path, threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with `program`'s canonical tables loaded from `folder`."""
    con = duckdb.connect(":memory:")
    if threads:
        con.execute(f"SET threads = {threads}")
    load_inputs(con, load_program(program).tables, folder)
    return con


def dec(x: float) -> str:
    """A float that is an exact short decimal (test data uses dyadic values) as text."""
    return format(Decimal(float(x)), "f")

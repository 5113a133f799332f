"""Load a program's canonical input tables (programs.md, last section) into DuckDB.

Each table comes from the data folder as `<table>.parquet` or `<table>.csv`, or from a store
dataset (`<store>/<dataset>/chain=<id>/*.parquet`, hive-partitioned): a dataset named like the
table (e.g. an imported one), else the dataset the program's `program.toml` declares as the
table's source, shaped by its declared view (`*.view.sql`: the dataset's rows are
`source_rows`; DECISIONS D8). Every table is materialised with exactly the
declared columns and types; extra columns are ignored. Money stays exact: `int` and `dec`
columns are read as text and must match a plain decimal grammar (no exponent, no more
fractional digits than the type holds) before the cast, so nothing is rounded and a float
column is refused (the importer's rule). The first bad value is reported as one line naming
file, row and field (exit 2).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import duckdb

from distributor.programs.spec import DUCKDB_TYPES, TableSpec
from epochdrop.errors import InputError, UserError
from epochdrop.fsio import sha256_file

_GRAMMAR = {  # full-match patterns for exact numbers given as text
    "int": r"\s*[-+]?[0-9]+\s*",
    "n": r"\s*[-+]?[0-9]+\s*",
    # plain or scientific (Python's str(Decimal) writes 0E-12); exactness checked apart
    "dec": r"\s*[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?\s*",
}
DEC_PLACES = 18


def _dec_places_sql(v: str) -> str:
    """Fractional digits a decimal string needs once its exponent is applied (SQL)."""
    return (f"length(regexp_extract({v}, '\\.([0-9]*)', 1)) - coalesce(TRY_CAST(nullif("
            f"regexp_extract({v}, '[eE]([-+]?[0-9]+)', 1), '') AS INTEGER), 0)")


def _dec_places(v: str) -> int:
    frac = re.search(r"\.([0-9]*)", v)
    exp = re.search(r"[eE]([-+]?[0-9]+)", v)
    return len(frac.group(1) if frac else "") - (int(exp.group(1)) if exp else 0)
_FLOAT_TYPES = ("FLOAT", "DOUBLE", "REAL")


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def candidates(spec: TableSpec) -> list[tuple[str, str | None]]:
    """The store datasets that may hold `spec`'s rows, in order, each with its view: one
    named like the table (already in its shape), then the declared source dataset."""
    out: list[tuple[str, str | None]] = []
    if spec.dataset != spec.name:
        out.append((spec.name, None))
    out.append((spec.dataset, spec.source.view))
    return out


def find_sources(spec: TableSpec, data: Path) -> tuple[str, list[Path], str | None] | None:
    """(kind, files, view SQL) for `spec` in `data`, or None when absent; kind is 'csv' or
    'parquet' for a `<table>.<ext>` file, 'store' for a dataset (D8)."""
    data = Path(data)
    for ext in ("parquet", "csv"):
        f = data / f"{spec.name}.{ext}"
        if f.is_file():
            return ext, [f], None
    for dataset, view in candidates(spec):
        folder = data / dataset
        if folder.is_dir():
            files = sorted(p for p in folder.rglob("*.parquet")
                           if not any(part.startswith((".", "_")) for part in
                                      p.relative_to(folder).parts))
            if files:
                return "store", files, view
    return None


def load_inputs(con: duckdb.DuckDBPyConnection, tables: tuple[TableSpec, ...],
                data: str | Path) -> list[dict[str, Any]]:
    """Create one typed table per spec in `con`; return one entry per table: rows, the
    order-independent `content_sha256`, and the files read with their sha256."""
    data = Path(data)
    if not data.is_dir():
        raise UserError(f"--data {data}: not a folder (give a store or a folder of "
                        f"<table>.csv / <table>.parquet files)")
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    entries = []
    for spec in tables:
        found = find_sources(spec, data)
        if found is None:
            if spec.required:
                raise UserError(f"{data}: no input for table {spec.name!r} (expected "
                                f"{spec.name}.csv or {spec.name}.parquet, or a store dataset "
                                f"{' / '.join(d for d, _ in candidates(spec))})")
            _create_empty(con, spec)
            entries.append({"table": spec.name, "rows": 0,
                            "content_sha256": content_sha256(con, spec.name), "files": []})
            continue
        kind, files, view = found
        rows = _load_table(con, spec, kind, files, view)
        entries.append({"table": spec.name, "rows": rows,
                        "content_sha256": content_sha256(con, spec.name),
                        "files": [{"name": f.relative_to(data).as_posix(),
                                   "sha256": sha256_file(f)} for f in files]})
    return entries


def content_sha256(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """sha256 of a loaded table's typed rows in sorted order: the same rows give the same
    hash however they are ordered or cut into files (DECISIONS D10)."""
    return con.execute(
        f"SELECT sha256(coalesce(string_agg(CAST(x AS VARCHAR), chr(10) "
        f"ORDER BY CAST(x AS VARCHAR)), '')) FROM {_q(table)} x").fetchall()[0][0]


def _create_empty(con: duckdb.DuckDBPyConnection, spec: TableSpec) -> None:
    cols = {**spec.columns, **spec.optional}
    body = ", ".join(f"{_q(c)} {DUCKDB_TYPES[k]}" for c, k in cols.items())
    con.execute(f"CREATE OR REPLACE TABLE {_q(spec.name)} ({body})")


def _load_table(con, spec: TableSpec, kind: str, files: list[Path], view: str | None) -> int:
    src = f"_src_{spec.name}"
    paths = [str(f) for f in files]
    if kind == "csv":
        con.execute(f"CREATE OR REPLACE TEMP VIEW {_q(src)} AS SELECT * FROM "
                    f"read_csv({_sql_list(paths)}, header = true, all_varchar = true)")
    else:
        con.execute(f"CREATE OR REPLACE TEMP VIEW {_q(src)} AS SELECT * FROM "
                    f"read_parquet({_sql_list(paths)}, hive_partitioning = true, "
                    f"union_by_name = true, filename = true, file_row_number = true)")
    have = {r[0]: r[1] for r in con.execute(f"DESCRIBE SELECT * FROM {_q(src)}").fetchall()}
    if view is not None:
        src, have = _shape(con, spec, src, view)
    where = files[0].name if len(files) == 1 else f"{files[0].parent.name}/*.parquet"
    shown = ", ".join(sorted(c for c in have if c not in ("filename", "file_row_number")))
    for col in spec.columns:
        if col not in have:
            raise InputError(f"missing required column of table {spec.name!r} (has: {shown})",
                             file=where, field=col)
    select = []
    for col, k in {**spec.columns, **spec.optional}.items():
        if col not in have:
            select.append(f"CAST(NULL AS {DUCKDB_TYPES[k]}) AS {_q(col)}")
            continue
        located = "filename" in have and "file_row_number" in have
        _validate_column(con, spec, src, col, k, have[col], kind, files, located)
        select.append(f"{_cast(col, k, have[col])} AS {_q(col)}")
    con.execute(f"CREATE OR REPLACE TABLE {_q(spec.name)} AS SELECT {', '.join(select)} "
                f"FROM {_q(src)}")
    return con.execute(f"SELECT count(*) FROM {_q(spec.name)}").fetchall()[0][0]


_WITH = re.compile(r"^\s*WITH\s", re.IGNORECASE)


def _shape(con, spec: TableSpec, src: str, view: str) -> tuple[str, dict[str, str]]:
    """The declared view over the dataset's rows (named `source_rows` in the view's SQL, a
    CTE here) giving a listener dataset the canonical table's shape (D8)."""
    shaped = f"_shaped_{spec.name}"
    body = "\n".join(line for line in view.strip().rstrip(";").splitlines()
                     if not line.lstrip().startswith("--"))
    rows = f"source_rows AS (SELECT * FROM {_q(src)})"
    body = (_WITH.sub(f"WITH {rows}, ", body, count=1) if _WITH.match(body)
            else f"WITH {rows} {body}")
    con.execute(f"CREATE OR REPLACE TEMP VIEW {_q(shaped)} AS {body}")
    return shaped, {r[0]: r[1] for r in
                    con.execute(f"DESCRIBE SELECT * FROM {_q(shaped)}").fetchall()}


def _sql_list(paths: list[str]) -> str:
    return "[" + ", ".join("'" + p.replace("'", "''") + "'" for p in paths) + "]"


def _cast(col: str, k: str, src_type: str) -> str:
    c = _q(col)
    if k == "time":
        return f"CAST(CAST({c} AS TIMESTAMPTZ) AS TIMESTAMP)" if src_type != "TIMESTAMP" \
            else c
    if k in _GRAMMAR:
        return f"CAST(trim(CAST({c} AS VARCHAR)) AS {DUCKDB_TYPES[k]})"
    return f"CAST({c} AS {DUCKDB_TYPES[k]})"


def _validate_column(con, spec, src, col, k, src_type, kind, files, located) -> None:
    c = _q(col)
    if k in _GRAMMAR and src_type.upper().startswith(_FLOAT_TYPES):
        raise InputError(f"{src_type} column: exact {'integers' if k != 'dec' else 'decimals'}"
                         f" required (write decimal strings)", file=_name(files), field=col)
    if k in _GRAMMAR:
        v = f"CAST({c} AS VARCHAR)"
        places = f" OR {_dec_places_sql(v)} > {DEC_PLACES}" if k == "dec" else ""
        bad = (f"{c} IS NOT NULL AND (NOT regexp_full_match({v}, '{_GRAMMAR[k]}'){places} "
               f"OR TRY_CAST(trim({v}) AS {DUCKDB_TYPES[k]}) IS NULL)")
    elif k == "time" and src_type != "TIMESTAMP":
        bad = f"{c} IS NOT NULL AND TRY_CAST({c} AS TIMESTAMPTZ) IS NULL"
    elif k == "str":
        bad = f"{c} IS NULL OR CAST({c} AS VARCHAR) = ''" if col in spec.columns else "false"
    else:
        bad = f"{c} IS NOT NULL AND TRY_CAST({c} AS {DUCKDB_TYPES[k]}) IS NULL"
    nullable = set(spec.nullable)
    if col in spec.columns and k != "str" and col not in nullable:
        bad = f"({bad}) OR {c} IS NULL"
    extra = ", filename, file_row_number" if kind != "csv" and located else ""
    order = " ORDER BY filename, file_row_number" if extra else ""
    hits = con.execute(f"SELECT CAST({c} AS VARCHAR){extra} FROM {_q(src)} WHERE {bad}"
                       f"{order} LIMIT 1").fetchall()
    if not hits:
        return
    hit = hits[0]
    value = hit[0]
    if kind == "csv":
        row = _csv_row(files[0], col, value)
        file = files[0].name
    elif extra:
        file, row = Path(hit[1]).name, hit[2] + 1
    else:
        file, row = f"{files[0].parent.name}/*.parquet", None
    what = {"int": "an integer (base units)", "n": "an integer", "dec": "an exact decimal "
            "(at most 18 fractional digits)", "time": "a UTC timestamp",
            "date": "a date (YYYY-MM-DD)", "str": "a non-empty value",
            "bool": "true or false"}[k]
    shown = "empty" if value in (None, "") else repr(value)
    if (k in _GRAMMAR and value and re.fullmatch(_GRAMMAR[k], value)
            and (k != "dec" or _dec_places(value) <= DEC_PLACES)):
        raise InputError(f"{shown} does not fit {DUCKDB_TYPES[k]} (|x| < 2^127 for integers, "
                         f"< 10^20 for decimals)", file=file, row=row, field=col)
    raise InputError(f"{shown} is not {what}", file=file, row=row, field=col)


def _name(files: list[Path]) -> str:
    return files[0].name


def _csv_row(path: Path, col: str, value: str | None) -> int | None:
    """1-based data row of the first cell in `col` equal to `value` (error path only)."""
    with open(path, newline="") as f:
        for i, rec in enumerate(csv.DictReader(f), start=1):
            cell = rec.get(col)
            if (cell or None) == (value or None) or cell == value:
                return i
    return None

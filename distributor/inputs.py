"""Load a program's canonical input tables (programs.md, last section) into DuckDB.

Each table comes from the data folder as `<table>.parquet` or `<table>.csv`, or from a store
dataset (`<store>/<dataset>/chain=<id>/*.parquet`, hive-partitioned): a dataset named like the
table (e.g. an imported one), else the dataset the program's `program.toml` declares as the
table's source, shaped by its declared view (`*.view.sql`: the dataset's rows are
`source_rows`; DECISIONS D8). Every table is materialised with exactly the
declared columns and types; extra columns are ignored. Money stays exact: `int` and `dec`
columns are read as text and must match a plain decimal grammar (no exponent, no more
fractional digits than the type holds) before the cast, so nothing is rounded and a float
column is refused (the importer's rule). Then the table's own validator runs (its
`TableSpec.checks` and `intervals`: signs, address forms, enums, intervals; rules in
distributor/validate.py). The first bad value is reported as one line naming file, row and
field (exit 2).

Store reads are chain-scoped (issue 20): a dataset is read from one `chain=<id>` partition,
the one the caller names (config `[sources] chain_id`, `score --chain`); a store holding
several chains and no chain named is refused rather than mixing their rows into one score.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import duckdb

from distributor.programs.spec import DUCKDB_TYPES, TableSpec
from distributor.validate import bad_sql, what as rule_what
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


def find_sources(spec: TableSpec, data: Path, chain: str | int | None = None
                 ) -> tuple[str, list[Path], str | None] | None:
    """(kind, files, view SQL) for `spec` in `data`, or None when absent; kind is 'csv' or
    'parquet' for a `<table>.<ext>` file, 'store' for a dataset (D8) read from its
    `chain=<chain>` partition (any one partition when `chain` is None and there is one)."""
    data = Path(data)
    if spec.source.kind != "store" or spec.source.chain != "evm":
        chain = None   # an imported / order-book / Solana table is not on the run's EVM chain
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
            files = _one_chain(files, folder, chain)
            if files:
                return "store", files, view
    return None


def _one_chain(files: list[Path], folder: Path, chain: str | int | None) -> list[Path]:
    """The files of one `chain=` partition of a dataset folder; two chains and none named is
    a UserError (their rows must never meet in one score)."""
    def part(f: Path) -> str | None:
        top = f.relative_to(folder).parts[0]
        return top.split("=", 1)[1] if top.startswith("chain=") else None

    chains = sorted({c for c in map(part, files) if c is not None})
    if chain is not None and str(chain) in chains:
        return [f for f in files if part(f) == str(chain)]
    if len(chains) > 1:
        named = f"none is chain {chain}" if chain is not None else "name the one to read"
        raise UserError(f"{folder}: the store holds chains {', '.join(chains)}; {named} "
                        "([sources] chain_id in the config, or --chain)")
    # one partition: the only chain, or an off-chain table filed under its venue's own
    # partition (dhedge_eligible_pools under chain=10 while the pools are indexed elsewhere)
    return files


def load_inputs(con: duckdb.DuckDBPyConnection, tables: tuple[TableSpec, ...],
                data: str | Path, chain: str | int | None = None) -> list[dict[str, Any]]:
    """Create one typed table per spec in `con`; return one entry per table: rows, the
    order-independent `content_sha256`, and the files read with their sha256."""
    data = Path(data)
    if not data.is_dir():
        raise UserError(f"--data {data}: not a folder (give a store or a folder of "
                        f"<table>.csv / <table>.parquet files)")
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    entries = []
    loaded: dict[str, tuple] = {}
    for spec in tables:
        found = find_sources(spec, data, chain)
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
        loaded[spec.name] = (spec, kind, files)
        entries.append({"table": spec.name, "rows": rows,
                        "content_sha256": content_sha256(con, spec.name),
                        "files": [{"name": f.relative_to(data).as_posix(),
                                   "sha256": sha256_file(f)} for f in files]})
    for spec, kind, files in loaded.values():
        _check_refs(con, spec, kind, files)
    return entries


def _check_refs(con, spec: TableSpec, kind: str, files: list[Path]) -> None:
    """Each `spec.refs` column's values must be among the referenced table's (loaded)."""
    src = f"_shaped_{spec.name}"
    if not con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = ?",
                       [src]).fetchall()[0][0]:
        src = f"_src_{spec.name}"
    have = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {_q(src)}").fetchall()}
    for col, target in spec.refs.items():
        table, tcol = target.split(".", 1)
        if col not in have:
            continue
        c = _q(col)
        bad = (f"{c} IS NOT NULL AND lower(CAST({c} AS VARCHAR)) NOT IN (SELECT "
               f"lower(CAST({_q(tcol)} AS VARCHAR)) FROM {_q(table)} WHERE {_q(tcol)} IS NOT NULL)")
        found = _first_bad(con, src, col, bad, kind, files,
                           "filename" in have and "file_row_number" in have)
        if found is not None:
            value, file, row = found
            raise InputError(f"{value!r} is not a {tcol} of {table} (no {table} row names it; "
                             "a mistyped or truncated value?)", file=file, row=row, field=col)


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
    _check_rules(con, spec, src, have, kind, files)
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
    found = _first_bad(con, src, col, bad, kind, files, located)
    if found is None:
        return
    value, file, row = found
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


def _first_bad(con, src: str, col: str, bad: str, kind: str, files: list[Path],
               located: bool) -> tuple[Any, str, int | None] | None:
    """(value, file, 1-based data row) of the first row where `bad` holds, or None."""
    c = _q(col)
    extra = ", filename, file_row_number" if kind != "csv" and located else ""
    order = " ORDER BY filename, file_row_number" if extra else ""
    hits = con.execute(f"SELECT CAST({c} AS VARCHAR){extra} FROM {_q(src)} WHERE {bad}"
                       f"{order} LIMIT 1").fetchall()
    if not hits:
        return None
    hit = hits[0]
    if kind == "csv":
        return hit[0], files[0].name, _csv_row(files[0], col, hit[0])
    if extra:
        return hit[0], Path(hit[1]).name, hit[2] + 1
    return hit[0], f"{files[0].parent.name}/*.parquet", None


def _check_rules(con, spec: TableSpec, src: str, have: dict[str, str], kind: str,
                 files: list[Path]) -> None:
    """The table's declared validator (issue 20): each column rule, then each interval."""
    located = "filename" in have and "file_row_number" in have
    kinds = {**spec.columns, **spec.optional}
    for col, rules in spec.checks.items():
        if col not in have:
            continue
        for rule in rules:
            found = _first_bad(con, src, col, bad_sql(rule, _q(col), DUCKDB_TYPES[kinds[col]]),
                               kind, files, located)
            if found is not None:
                value, file, row = found
                raise InputError(f"{value!r} {rule_what(rule)}", file=file, row=row, field=col)
    for lo, hi in spec.intervals:
        if lo not in have or hi not in have:
            continue
        a, b = (f"TRY_CAST({_q(x)} AS TIMESTAMPTZ)" for x in (lo, hi))
        found = _first_bad(con, src, hi, f"{b} < {a}", kind, files, located)
        if found is not None:
            value, file, row = found
            raise InputError(f"{value!r} is before {lo} (an interval must not end before it "
                             "starts)", file=file, row=row, field=hi)


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


def window_rows(con: duckdb.DuckDBPyConnection, tables: tuple[TableSpec, ...], start, end
                ) -> tuple[int, int, Any, Any]:
    """(rows in [start, end), rows with a time, first time, last time) over the loaded
    tables that carry a time or date column (intervals count when they overlap the window).

    Why: an epoch whose window holds no input row scores nobody and would be written as an
    epoch with 0 accounts, exit 0 (issue 20, "nothing silent"); the caller refuses it unless
    an empty epoch is intended."""
    s, e = (f"TIMESTAMP '{t.isoformat(sep=' ')}'" for t in (start, end))
    inside = total = 0
    first = last = None
    for spec in tables:
        kinds = {**spec.columns, **spec.optional}
        times = [c for c, k in kinds.items() if k in ("time", "date")]
        if not times:
            continue
        ends = {hi for _, hi in spec.intervals}
        conds = []
        for lo, hi in spec.intervals:
            conds.append(f"(CAST({_q(lo)} AS TIMESTAMP) < {e} AND ({_q(hi)} IS NULL OR "
                         f"CAST({_q(hi)} AS TIMESTAMP) > {s}))")
        conds += [f"(CAST({_q(c)} AS TIMESTAMP) >= {s} AND CAST({_q(c)} AS TIMESTAMP) < {e})"
                  for c in times if c not in ends and all(c != lo for lo, _ in spec.intervals)]
        lo_hi = ", ".join(f"min(CAST({_q(c)} AS TIMESTAMP)), max(CAST({_q(c)} AS TIMESTAMP))"
                          for c in times)
        row = con.execute(f"SELECT count(*) FILTER (WHERE {' OR '.join(conds)}), count(*), "
                          f"{lo_hi} FROM {_q(spec.name)}").fetchall()[0]
        inside += row[0]
        total += row[1]
        for t in row[2:]:
            if t is not None:
                first = t if first is None or t < first else first
                last = t if last is None or t > last else last
    return inside, total, first, last


def check_window(con: duckdb.DuckDBPyConnection, tables: tuple[TableSpec, ...], epoch: Any,
                 allow_empty: bool = False) -> bool:
    """True when the epoch's window holds input rows; False when it is empty and
    `allow_empty` says that is intended; otherwise one UserError line (exit 2) saying where
    the data lies, so an `--epoch` outside the data is not written as a silent empty epoch."""
    inside, total, first, last = window_rows(con, tables, epoch.start, epoch.end)
    if inside or not total:
        return True          # rows in the window, or no timed rows to judge by
    if allow_empty:
        return False
    span = f"{first:%Y-%m-%d %H:%M} → {last:%Y-%m-%d %H:%M} UTC"
    raise UserError(f"--epoch {epoch.label}: no input row in its window "
                    f"[{epoch.start:%Y-%m-%d %H:%M} → {epoch.end:%Y-%m-%d %H:%M}) UTC; the "
                    f"data covers {span} (pass --allow-empty if an empty epoch is intended)")

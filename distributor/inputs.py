"""Load a program's canonical input tables (programs.md, last section) into the engine.

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

One flow, two engines (issue 18, docs/design.md §6): the connection is DuckDB's or a
SparkConnection (`distributor.engines.kind_of`). The checks are the same predicates spelled
in each engine's SQL (validate.Sql); only reading files into a view, listing a view's
columns and the content hash differ, and on Spark they live in
distributor/engines/spark/files.py. The same bad input gives the same one-line error, and
the same rows the same `content_sha256`, on both. `--data` is a folder (a path or a
`file://` URL) or, on Spark only, an `hdfs://` / `s3a://` URL handed to Spark as it is (the
entries then carry the dataset's URL instead of per-file hashes).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import duckdb

from distributor.engines import kind_of
from distributor.engines.spark import files as spark_files
from distributor.programs.spec import DUCKDB_TYPES, TableSpec
from distributor.validate import DUCKDB, SPARK, Sql, bad_sql, what as rule_what
from epochdrop.errors import InputError, UserError
from epochdrop.fsio import sha256_file

_GRAMMAR = {  # full-match patterns for exact numbers given as text
    "int": r"\s*[-+]?[0-9]+\s*",
    "n": r"\s*[-+]?[0-9]+\s*",
    # plain or scientific (Python's str(Decimal) writes 0E-12); exactness checked apart
    "dec": r"\s*[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?\s*",
}
DEC_PLACES = 18
URL_SCHEMES = ("hdfs", "s3a")   # handed to Spark as they are
# strings Spark's timestamp cast reads as "now": never an input time (DuckDB refuses them)
_SPARK_RELATIVE_TIMES = ("now", "today", "yesterday", "tomorrow")
_FRACTION, _EXPONENT = r"\.([0-9]*)", "[eE]([-+]?[0-9]+)"


def _dec_places_sql(v: str, sql: Sql = DUCKDB) -> str:
    """Fractional digits a decimal string needs once its exponent is applied (SQL)."""
    frac = f"regexp_extract({v}, {sql.lit(_FRACTION)}, 1)"
    exp = f"nullif(regexp_extract({v}, {sql.lit(_EXPONENT)}, 1), '')"
    return f"length({frac}) - coalesce({sql.try_cast(exp, 'INTEGER')}, 0)"


def _dec_places(v: str) -> int:
    frac = re.search(r"\.([0-9]*)", v)
    exp = re.search(r"[eE]([-+]?[0-9]+)", v)
    return len(frac.group(1) if frac else "") - (int(exp.group(1)) if exp else 0)
_FLOAT_TYPES = ("FLOAT", "DOUBLE", "REAL")


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def data_location(data: str | Path) -> Path | str:
    """`--data` as a local folder (a path or a `file://` URL) or, kept exactly as given, an
    `hdfs://` or `s3a://` URL for Spark to read; any other URL is one UserError line."""
    text = str(data)
    if "://" not in text:
        return Path(text)
    url = urlparse(text)
    if url.scheme == "file":
        return Path(unquote(url.path))
    if url.scheme in URL_SCHEMES:
        return text.rstrip("/")
    s3 = "; S3 is read through s3a://" if url.scheme in ("s3", "s3n") else ""
    raise UserError(f"--data {text}: unsupported URL scheme {url.scheme!r} (give a path, or a "
                    f"file://, hdfs:// or s3a:// URL{s3})")


def candidates(spec: TableSpec) -> list[tuple[str, str | None]]:
    """The store datasets that may hold `spec`'s rows, in order, each with its view: one
    named like the table (already in its shape), then the declared source dataset."""
    out: list[tuple[str, str | None]] = []
    if spec.dataset != spec.name:
        out.append((spec.name, None))
    out.append((spec.dataset, spec.source.view))
    return out


def _run_chain(spec: TableSpec, chain: str | int | None) -> str | int | None:
    if spec.source.kind != "store" or spec.source.chain != "evm":
        return None   # an imported / order-book / Solana table is not on the run's EVM chain
    return chain


def find_sources(spec: TableSpec, data: Path, chain: str | int | None = None
                 ) -> tuple[str, list[Path], str | None] | None:
    """(kind, files, view SQL) for `spec` in `data`, or None when absent; kind is 'csv' or
    'parquet' for a `<table>.<ext>` file, 'store' for a dataset (D8) read from its
    `chain=<chain>` partition (any one partition when `chain` is None and there is one)."""
    data = Path(data)
    chain = _run_chain(spec, chain)
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


def _pick_chain(chains: list[str], folder: Path | str, chain: str | int | None) -> str | None:
    """The `chain=` partition to read among `chains` (sorted), None for all of them; two
    chains and none named is a UserError (their rows must never meet in one score)."""
    if chain is not None and str(chain) in chains:
        return str(chain)
    if len(chains) > 1:
        named = f"none is chain {chain}" if chain is not None else "name the one to read"
        raise UserError(f"{folder}: the store holds chains {', '.join(chains)}; {named} "
                        "([sources] chain_id in the config, or --chain)")
    # one partition: the only chain, or an off-chain table filed under its venue's own
    # partition (dhedge_eligible_pools under chain=10 while the pools are indexed elsewhere)
    return None


def _one_chain(files: list[Path], folder: Path, chain: str | int | None) -> list[Path]:
    """The files of one `chain=` partition of a dataset folder (rule: _pick_chain)."""
    def part(f: Path) -> str | None:
        top = f.relative_to(folder).parts[0]
        return top.split("=", 1)[1] if top.startswith("chain=") else None

    chains = sorted({c for c in map(part, files) if c is not None})
    picked = _pick_chain(chains, folder, chain)
    return files if picked is None else [f for f in files if part(f) == picked]


class _Source:
    """Where one table's rows are read from: local files (hashed for the run report) or,
    on Spark, a dataset URL (Spark lists its files), with the label errors name."""

    def __init__(self, kind: str, files: list[Path], view: str | None,
                 url: str | None = None, base: str | None = None):
        self.kind, self.files, self.view, self.url, self.base = kind, files, view, url, base
        # `folder`: a row the checks cannot locate (a view without filename) is named by
        # its folder; `label`: the one file, or the folder, a missing column is blamed on
        if url is not None:
            self.folder = self.label = f"{url.rsplit('/', 1)[-1]}/*.parquet"
        else:
            self.folder = f"{files[0].parent.name}/*.parquet"
            self.label = files[0].name if len(files) == 1 else self.folder


def _find(con, spec: TableSpec, data: Path | str, chain) -> _Source | None:
    if isinstance(data, Path):
        found = find_sources(spec, data, chain)
        return None if found is None else _Source(*found)
    found = spark_files.find_dataset(
        con, data, candidates(spec), _run_chain(spec, chain),
        lambda chains, folder: _pick_chain(chains, folder, _run_chain(spec, chain)))
    if found is None:
        return None
    url, base, view = found
    return _Source("store", [], view, url=url, base=base)


def load_inputs(con: Any, tables: tuple[TableSpec, ...], data: str | Path,
                chain: str | int | None = None) -> list[dict[str, Any]]:
    """Create one typed table per spec in `con` (DuckDB or Spark); return one entry per
    table: rows, the order-independent `content_sha256`, and the files read with their
    sha256 (a URL read by Spark: the dataset's `url`, no per-file hashes)."""
    sql = SPARK if kind_of(con) == "spark" else DUCKDB
    where = data_location(data)
    if isinstance(where, str):
        if not sql.spark:
            raise UserError(f"--data {where}: a {where.split(':', 1)[0]}:// URL needs --engine "
                            "spark (DuckDB reads a local path or a file:// URL)")
    elif not where.is_dir():
        raise UserError(f"--data {where}: not a folder (give a store or a folder of "
                        f"<table>.csv / <table>.parquet files)")
    if not sql.spark:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET enable_progress_bar = false")
    entries = []
    loaded: dict[str, tuple] = {}
    for spec in tables:
        found = _find(con, spec, where, chain)
        if found is None:
            if spec.required:
                raise UserError(f"{where}: no input for table {spec.name!r} (expected "
                                f"{spec.name}.csv or {spec.name}.parquet, or a store dataset "
                                f"{' / '.join(d for d, _ in candidates(spec))})")
            _create_empty(con, sql, spec)
            entries.append({"table": spec.name, "rows": 0,
                            "content_sha256": content_sha256(con, spec.name), "files": []})
            continue
        rows, checked = _load_table(con, sql, spec, found)
        loaded[spec.name] = (spec, found, checked)
        entry = {"table": spec.name, "rows": rows,
                 "content_sha256": content_sha256(con, spec.name),
                 "files": [{"name": f.relative_to(where).as_posix(),
                            "sha256": sha256_file(f)} for f in found.files]}
        if found.url is not None:
            entry["url"] = found.url
        entries.append(entry)
    if tables and not loaded:
        # every table optional (dYdX reads orders or published aggregates) and none there:
        # a wrong --data, not an empty epoch (it would pay nobody and exit 0)
        raise UserError(f"--data {where}: holds none of the program's input tables "
                        f"({', '.join(s.name for s in tables)}) as <table>.csv / <table>.parquet "
                        "or a store dataset")
    for spec, found, checked in loaded.values():
        _check_refs(con, sql, spec, found, checked)
    return entries


def _columns(con, sql: Sql, view: str) -> dict[str, str]:
    """A view's columns → DuckDB type names."""
    if sql.spark:
        return spark_files.columns(con, view)
    return {r[0]: r[1] for r in con.execute(f"DESCRIBE SELECT * FROM {_q(view)}").fetchall()}


def _rows(con, sql: Sql, query: str) -> list[tuple]:
    return spark_files.rows(con, query) if sql.spark else con.execute(query).fetchall()


def _check_refs(con, sql: Sql, spec: TableSpec, found: _Source, src: str) -> None:
    """Each `spec.refs` column's values must be among the referenced table's (loaded)."""
    have = set(_columns(con, sql, src))
    for col, target in spec.refs.items():
        table, tcol = target.split(".", 1)
        if col not in have:
            continue
        c = sql.q(col)
        bad = (f"{c} IS NOT NULL AND lower({sql.text(c)}) NOT IN (SELECT "
               f"lower({sql.text(sql.q(tcol))}) FROM {sql.q(table)} WHERE {sql.q(tcol)} "
               f"IS NOT NULL)")
        hit = _first_bad(con, sql, src, col, bad, found,
                         "filename" in have and "file_row_number" in have)
        if hit is not None:
            value, file, row = hit
            raise InputError(f"{value!r} is not a {tcol} of {table} (no {table} row names it; "
                             "a mistyped or truncated value?)", file=file, row=row, field=col)


def content_sha256(con: Any, table: str) -> str:
    """sha256 of a loaded table's typed rows in sorted order: the same rows give the same
    hash however they are ordered or cut into files (DECISIONS D10), and on either engine
    (Spark: spark/files.py builds DuckDB's row text)."""
    if kind_of(con) == "spark":
        return spark_files.content_sha256(con, table)
    return con.execute(
        f"SELECT sha256(coalesce(string_agg(CAST(x AS VARCHAR), chr(10) "
        f"ORDER BY CAST(x AS VARCHAR)), '')) FROM {_q(table)} x").fetchall()[0][0]


def _create_empty(con, sql: Sql, spec: TableSpec) -> None:
    cols = {**spec.columns, **spec.optional}
    if sql.spark:
        body = ", ".join(f"CAST(NULL AS {sql.type(DUCKDB_TYPES[k])}) AS {sql.q(c)}"
                         for c, k in cols.items())
        spark_files.create_table(con, spec.name, f"SELECT {body} WHERE false")
        return
    body = ", ".join(f"{_q(c)} {DUCKDB_TYPES[k]}" for c, k in cols.items())
    con.execute(f"CREATE OR REPLACE TABLE {_q(spec.name)} ({body})")


def _read(con, sql: Sql, src: str, found: _Source) -> None:
    """The raw rows as the view `src`: CSV as strings, parquet with hive partitions,
    columns united by name, and each row's file and row number."""
    paths = [str(f) for f in found.files]
    if sql.spark:
        if found.kind == "csv":
            spark_files.read_csv(con, src, paths[0])
        elif found.url is not None:
            spark_files.read_parquet(con, src, [found.url], found.base)
        else:
            base = str(found.files[0].parent) if found.kind == "parquet" else None
            if found.kind == "store":
                base = _dataset_folder(found.files)
            spark_files.read_parquet(con, src, paths, base)
        return
    if found.kind == "csv":
        con.execute(f"CREATE OR REPLACE TEMP VIEW {_q(src)} AS SELECT * FROM "
                    f"read_csv({_sql_list(paths)}, header = true, all_varchar = true)")
    else:
        con.execute(f"CREATE OR REPLACE TEMP VIEW {_q(src)} AS SELECT * FROM "
                    f"read_parquet({_sql_list(paths)}, hive_partitioning = true, "
                    f"union_by_name = true, filename = true, file_row_number = true)")


def _dataset_folder(files: list[Path]) -> str:
    """The dataset folder above a store's files: the parent of their `key=value` folders
    (Spark's basePath, so the partitions become columns as in DuckDB)."""
    folder = files[0].parent
    while "=" in folder.name:
        folder = folder.parent
    return str(folder)


def _load_table(con, sql: Sql, spec: TableSpec, found: _Source) -> tuple[int, str]:
    """Read, shape, validate, cast and materialise one table: (rows, the checked view)."""
    src = f"_src_{spec.name}"
    _read(con, sql, src, found)
    have = _columns(con, sql, src)
    if found.view is not None:
        src, have = _shape(con, sql, spec, src, found.view)
    shown = ", ".join(sorted(c for c in have if c not in ("filename", "file_row_number")))
    for col in spec.columns:
        if col not in have:
            raise InputError(f"missing required column of table {spec.name!r} (has: {shown})",
                             file=found.label, field=col)
    select = []
    for col, k in {**spec.columns, **spec.optional}.items():
        if col not in have:
            select.append(f"CAST(NULL AS {sql.type(DUCKDB_TYPES[k])}) AS {sql.q(col)}")
            continue
        located = "filename" in have and "file_row_number" in have
        _validate_column(con, sql, spec, src, col, k, have[col], found, located)
        select.append(f"{_cast(sql, col, k, have[col])} AS {sql.q(col)}")
    _check_rules(con, sql, spec, src, have, found)
    if sql.spark:
        rows = spark_files.create_table(con, spec.name,
                                        f"SELECT {', '.join(select)} FROM {sql.q(src)}")
        return rows, src
    con.execute(f"CREATE OR REPLACE TABLE {_q(spec.name)} AS SELECT {', '.join(select)} "
                f"FROM {_q(src)}")
    return con.execute(f"SELECT count(*) FROM {_q(spec.name)}").fetchall()[0][0], src


_WITH = re.compile(r"^\s*WITH\s", re.IGNORECASE)


def _shape(con, sql: Sql, spec: TableSpec, src: str, view: str
           ) -> tuple[str, dict[str, str]]:
    """The declared view over the dataset's rows (named `source_rows` in the view's SQL, a
    CTE here) giving a listener dataset the canonical table's shape (D8). The view is
    DuckDB SQL: on Spark the connection translates it like a program's SQL."""
    shaped = f"_shaped_{spec.name}"
    body = "\n".join(line for line in view.strip().rstrip(";").splitlines()
                     if not line.lstrip().startswith("--"))
    rows = f"source_rows AS (SELECT * FROM {_q(src)})"
    body = (_WITH.sub(f"WITH {rows}, ", body, count=1) if _WITH.match(body)
            else f"WITH {rows} {body}")
    con.execute(f"CREATE OR REPLACE TEMP VIEW {_q(shaped)} AS {body}")
    return shaped, _columns(con, sql, shaped)


def _sql_list(paths: list[str]) -> str:
    return "[" + ", ".join("'" + p.replace("'", "''") + "'" for p in paths) + "]"


def _cast(sql: Sql, col: str, k: str, src_type: str) -> str:
    c = sql.q(col)
    if k == "time":
        if sql.spark:   # the UTC session: text with an offset is converted, else read as UTC
            return f"CAST({c} AS TIMESTAMP)"
        return f"CAST(CAST({c} AS TIMESTAMPTZ) AS TIMESTAMP)" if src_type != "TIMESTAMP" \
            else c
    if k in _GRAMMAR:
        return f"CAST(trim({sql.text(c)}) AS {sql.type(DUCKDB_TYPES[k])})"
    return f"CAST({c} AS {sql.type(DUCKDB_TYPES[k])})"


def _validate_column(con, sql: Sql, spec, src, col, k, src_type, found: _Source,
                     located) -> None:
    c = sql.q(col)
    if k in _GRAMMAR and src_type.upper().startswith(_FLOAT_TYPES):
        raise InputError(f"{src_type} column: exact {'integers' if k != 'dec' else 'decimals'}"
                         f" required (write decimal strings)", file=found.label if found.url
                         else _name(found.files), field=col)
    if k in _GRAMMAR:
        v = sql.text(c)
        places = f" OR {_dec_places_sql(v, sql)} > {DEC_PLACES}" if k == "dec" else ""
        bad = (f"{c} IS NOT NULL AND (NOT {sql.full_match(v, _GRAMMAR[k])}{places} "
               f"OR {sql.try_cast(f'trim({v})', DUCKDB_TYPES[k])} IS NULL)")
    elif k == "time" and src_type != "TIMESTAMP":
        bad = f"{c} IS NOT NULL AND {sql.try_cast(c, 'TIMESTAMPTZ')} IS NULL"
        if sql.spark:
            relative = ", ".join(sql.lit(w) for w in _SPARK_RELATIVE_TIMES)
            bad = f"({bad}) OR lower(trim({sql.text(c)})) IN ({relative})"
    elif k == "str":
        bad = (f"{c} IS NULL OR {sql.text(c)} = ''" if col in spec.columns else "false")
    else:
        bad = f"{c} IS NOT NULL AND {sql.try_cast(c, DUCKDB_TYPES[k])} IS NULL"
    nullable = set(spec.nullable)
    if col in spec.columns and k != "str" and col not in nullable:
        bad = f"({bad}) OR {c} IS NULL"
    hit = _first_bad(con, sql, src, col, bad, found, located)
    if hit is None:
        return
    value, file, row = hit
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


def _first_bad(con, sql: Sql, src: str, col: str, bad: str, found: _Source,
               located: bool) -> tuple[Any, str, int | None] | None:
    """(value, file, 1-based data row) of the first row where `bad` holds, or None."""
    c = sql.q(col)
    extra = ", filename, file_row_number" if found.kind != "csv" and located else ""
    order = " ORDER BY filename, file_row_number" if extra else ""
    hits = _rows(con, sql, f"SELECT {sql.text(c)}{extra} FROM {sql.q(src)} WHERE {bad}"
                           f"{order} LIMIT 1")
    if not hits:
        return None
    hit = hits[0]
    if found.kind == "csv":
        return hit[0], found.files[0].name, _csv_row(found.files[0], col, hit[0])
    if extra:
        name = spark_files.file_name(hit[1]) if sql.spark else Path(hit[1]).name
        return hit[0], name, hit[2] + 1
    return hit[0], found.folder, None


def _check_rules(con, sql: Sql, spec: TableSpec, src: str, have: dict[str, str],
                 found: _Source) -> None:
    """The table's declared validator (issue 20): each column rule, then each interval."""
    located = "filename" in have and "file_row_number" in have
    kinds = {**spec.columns, **spec.optional}
    for col, rules in spec.checks.items():
        if col not in have:
            continue
        for rule in rules:
            hit = _first_bad(con, sql, src, col,
                             bad_sql(rule, sql.q(col), DUCKDB_TYPES[kinds[col]], sql),
                             found, located)
            if hit is not None:
                value, file, row = hit
                raise InputError(f"{value!r} {rule_what(rule)}", file=file, row=row, field=col)
    for lo, hi in spec.intervals:
        if lo not in have or hi not in have:
            continue
        a, b = (sql.try_cast(sql.q(x), "TIMESTAMPTZ") for x in (lo, hi))
        hit = _first_bad(con, sql, src, hi, f"{b} < {a}", found, located)
        if hit is not None:
            value, file, row = hit
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

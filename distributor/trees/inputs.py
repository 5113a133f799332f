"""Read a claims file (CSV, Parquet or JSON) into Arrow text columns, before any validation.

Every cell is kept as the text the user wrote (DECISIONS D3) so that amounts are parsed
exactly by one grammar in `amounts.py`: no float ever touches a value. JSON is either an
array of records or an `{account: amount}` map; JSON numbers are read as their literal
text (`parse_float=str`), so `1e18` or `0.1` are judged by the grammar, not rounded.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa

from epochdrop.errors import InputError, UserError

COLUMNS = ("account", "amount", "index", "locked_amount")


def read_table(path: str | Path, columns: tuple[str, ...] = COLUMNS,
               required: tuple[str, ...] = ("account", "amount"),
               missing=None) -> dict[str, pa.Array]:
    """Return {column: Arrow string array of the cells' text (null where absent)} for the
    `columns` present in `path` (a declared leaf, `spec.py`, names its own; lists in JSON
    or Parquet become JSON text, read back by `abivalues`). `missing(name)` words the
    error for an absent required column. Arrow, not lists: a million-row column is then
    checked and decoded in bulk by the parsers, never made into a million objects first."""
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise UserError(f"{path}: cannot read the input file (no such file, or not a file)")
    suffix = path.suffix.lower()
    try:
        if suffix == ".json":
            cols = _read_json(path, columns)
        elif suffix in (".parquet", ".pq"):
            cols = _read_parquet(path, columns)
        elif suffix in (".csv", ".txt", ""):
            cols = _read_csv(path, columns)
        else:
            raise UserError(f"{path}: unknown input format {suffix!r}; use .csv, .parquet or .json")
    except (OSError, pa.ArrowException, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read the input file ({_one_line(exc)})") from None
    for need in required:
        if need not in cols:
            if missing is not None:
                raise missing(need)
            raise InputError(f"missing column {need!r} (columns: account, amount, "
                             "optional index, locked_amount)", file=name, field=need)
    n = len(next(iter(cols.values()))) if cols else 1
    if n == 0:
        raise InputError("no claims in the input (empty file)", file=name)
    return {name: col if isinstance(col, pa.Array) else pa.array(col, pa.string())
            for name, col in cols.items()}


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200]


def _read_csv(path: Path, columns: tuple[str, ...]) -> dict[str, pa.Array]:
    import pyarrow.csv as pcsv

    raw = path.read_bytes()
    if not raw.strip():
        raise InputError("no claims in the input (empty file)", file=path.name)
    header = raw.split(b"\n", 1)[0].decode("utf-8-sig").strip().split(",")
    names = [h.strip() for h in header]
    read = pcsv.ReadOptions(use_threads=True, block_size=1 << 24)
    conv = pcsv.ConvertOptions(column_types={h: pa.string() for h in header},
                               strings_can_be_null=False, quoted_strings_can_be_null=False)
    parse = pcsv.ParseOptions(newlines_in_values=False)
    table = pcsv.read_csv(pa.BufferReader(raw), read_options=read, parse_options=parse,
                          convert_options=conv)
    out = {}
    for raw_name, name in zip(table.column_names, names):
        if name in columns:
            out[name] = table.column(raw_name).combine_chunks()
    return out


def _read_parquet(path: Path, columns: tuple[str, ...]) -> dict[str, list[str | None]]:
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    out = {}
    for name in table.column_names:
        if name not in columns:
            continue
        col = table.column(name)
        t = col.type
        if pa.types.is_list(t) or pa.types.is_large_list(t):
            out[name] = [None if v is None else json.dumps(_plain(v)) for v in col.to_pylist()]
            continue
        if pa.types.is_floating(t):
            raise InputError(f"column type {t} is a float; store amounts as integers or "
                             "decimal strings", file=path.name, field=name)
        if pa.types.is_integer(t) or pa.types.is_decimal(t):
            out[name] = [None if v is None else str(v) for v in col.to_pylist()]
        elif pa.types.is_binary(t) or pa.types.is_fixed_size_binary(t):
            out[name] = [None if v is None else "0x" + v.hex() for v in col.to_pylist()]
        else:
            out[name] = col.cast(pa.string()).combine_chunks()
    return out


def _plain(v):
    """A Parquet list value as JSON-ready: bytes as 0x hex, numbers as decimal text."""
    if isinstance(v, list):
        return [_plain(x) for x in v]
    if isinstance(v, (bytes, bytearray)):
        return "0x" + bytes(v).hex()
    return v if isinstance(v, (str, bool)) or v is None else str(v)


def _read_json(path: Path, columns: tuple[str, ...]) -> dict[str, list[str | None]]:
    try:
        data = json.loads(path.read_bytes(), parse_float=str, parse_int=str)
    except ValueError as exc:
        raise InputError(f"not valid JSON ({_one_line(exc)})", file=path.name) from None
    if isinstance(data, dict):
        if not data:
            raise InputError("no claims in the input (empty map)", file=path.name)
        return {"account": list(data.keys()), "amount": [_cell(v) for v in data.values()]}
    if not isinstance(data, list):
        raise InputError("expected an array of records or an {account: amount} map",
                         file=path.name)
    cols: dict[str, list[str | None]] = {}
    for row, rec in enumerate(data, start=1):
        if not isinstance(rec, dict):
            raise InputError("expected an object with account and amount", file=path.name,
                             row=row)
        for key in columns:
            col = cols.get(key)
            if col is None:
                if key not in rec:
                    continue
                # made once per column (a `setdefault` default was built on every row:
                # quadratic, 70 s for 100,000 records)
                col = cols[key] = [None] * (row - 1)
            col.append(_cell(rec.get(key)))
    if not data:
        raise InputError("no claims in the input (empty array)", file=path.name)
    return cols


def _cell(v) -> str | None:
    if v is None:
        return None
    if isinstance(v, (str, int)) and not isinstance(v, bool):
        return str(v)
    return json.dumps(v)

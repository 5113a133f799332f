"""The validating importer: CSV or Parquet → one declared dataset in the store.

For data that is off-chain or on a halted chain (dYdX, Mirror on Terra Classic, dHEDGE's
eligible pools …) and for any listener dataset. Everything is checked against the dataset's
declaration (indexer/datasets) *before* the store is opened, so a bad file leaves the store
untouched (DESIGN "Reliability"):
  required columns present; each value of its declared type (exact decimals — a float or an
  exponent is refused —, EIP-55 addresses, base58 pubkeys, UTC times); declared enums and
  signs; intervals that do not end before they start; order events that do not come before
  their order's placement; no duplicate keys. Rows are then sorted by the key (DECISIONS D12:
  unsorted files are fine) and written as one chunk through the shared Store.
Errors are InputError: "FILE, row N, field 'x': what is wrong" (rows count data rows from 1).
"""

from __future__ import annotations

import csv
import hashlib
import re
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pyarrow.types as pat

from epochdrop.addresses import checksum
from epochdrop.errors import InputError
from indexer.datasets import get as get_dataset
from indexer.datasets.base import Dataset, T, coerce
from indexer.store import Store

_FLOATISH = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+$|^[-+]?(nan|inf|infinity)$", re.I)
_INT_TYPES = (T.INT, T.UINT256, T.INT256)


def read_table(path: Path) -> pa.Table:
    """Parquet by magic bytes, else CSV with every column read as text (no float guessing)."""
    shown = str(path)
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}", file=shown) from None
    if head == b"":
        raise InputError("the file is empty", file=shown)
    try:
        if head == b"PAR1":
            return pq.read_table(path)
        with path.open("r", encoding="utf-8", newline="") as f:
            names = next(csv.reader(f), [])
        return pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(
            column_types={n: pa.string() for n in names}, strings_can_be_null=True,
            null_values=[""], quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, OSError, UnicodeDecodeError, csv.Error) as exc:
        msg = str(exc).splitlines()[0][:200]
        raise InputError(f"cannot read the file as CSV or Parquet: {msg}", file=shown) from None


def _parse_text(t: T, v: str) -> Any:
    """A CSV cell (text) → the Python value `coerce` takes; ValueError says why not."""
    v = v.strip()
    if t in _INT_TYPES or t is T.DECIMAL:
        if _FLOATISH.match(v):
            raise ValueError(f"a float ({v}) where an exact "
                             f"{'decimal' if t is T.DECIMAL else 'integer'} is required")
        if t in _INT_TYPES and "." in v:
            raise ValueError(f"not an integer: {v!r}")
        return v
    if t is T.TIMESTAMP:
        if re.fullmatch(r"-?\d+", v):
            return int(v)
        try:
            dt = datetime.fromisoformat(v.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"not a time (ISO 8601 or unix seconds): {v!r}") from None
        return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)
    if t is T.BOOL:
        low = v.lower()
        if low in ("true", "1"):
            return True
        if low in ("false", "0"):
            return False
        raise ValueError(f"not a boolean: {v!r}")
    if t is T.DATE:
        try:
            return date.fromisoformat(v)
        except ValueError:
            raise ValueError(f"not a date (YYYY-MM-DD): {v!r}") from None
    return v


def _column_values(t: T, arr: pa.ChunkedArray, file: str, name: str) -> list:
    typ = arr.type
    if pat.is_floating(typ) and t in (*_INT_TYPES, T.DECIMAL):
        row = next((i for i, x in enumerate(arr.to_pylist()) if x is not None), 0)
        raise InputError(f"a float column ({typ}) where an exact "
                         f"{'decimal' if t is T.DECIMAL else 'integer'} is required; "
                         "write decimal strings or DECIMAL", file=file, row=row + 1, field=name)
    if pat.is_timestamp(typ) and typ.tz is None:
        arr = arr.cast(pa.timestamp(typ.unit, tz="UTC"))
    fast = _fast_path(t, arr)
    if fast is not None:
        return fast
    values = arr.to_pylist()
    out = []
    text = pat.is_string(typ) or pat.is_large_string(typ)
    cache: dict = {}
    for i, v in enumerate(values):
        if v is None:
            out.append(None)
            continue
        if v in cache:                      # addresses, pubkeys, markets repeat a lot
            out.append(cache[v])
            continue
        raw = v
        try:
            if text:
                v = _parse_text(t, v)
            elif isinstance(v, Decimal) and t in _INT_TYPES:
                if v != v.to_integral_value():
                    raise ValueError(f"not an integer: {v}")
                v = int(v)
            if t is T.ADDRESS:
                v = checksum(v, file=file, row=i + 1, field=name)
            cache[raw] = coerce(t, v)
            out.append(cache[raw])
        except ValueError as exc:
            raise InputError(str(exc), file=file, row=i + 1, field=name) from None
    return out


def _fast_path(t: T, arr: pa.ChunkedArray) -> list | None:
    """Typed Parquet columns that need no per-value check (the type already guarantees it)."""
    typ = arr.type
    if t is T.STRING and (pat.is_string(typ) or pat.is_large_string(typ)):
        return arr.to_pylist()
    if t is T.INT and pat.is_integer(typ) and not pat.is_uint64(typ):
        return arr.to_pylist()
    if t is T.DECIMAL and pat.is_decimal(typ):
        return [None if v is None else (v.rstrip("0").rstrip(".") if "." in v else v)
                for v in arr.cast(pa.string()).to_pylist()]
    if t is T.TIMESTAMP and pat.is_timestamp(typ):
        return arr.cast(pa.timestamp("us", tz="UTC")).to_pylist()
    if t is T.BOOL and pat.is_boolean(typ):
        return arr.to_pylist()
    return None


def validate(ds: Dataset, table: pa.Table, file: str) -> dict[str, list]:
    """Declared columns as lists of stored values, sorted by key; InputError on the first fault."""
    if table.num_rows == 0:
        raise InputError("the file has a header but no rows", file=file)
    cols: dict[str, list] = {}
    for c in ds.columns:
        if c.name not in table.column_names:
            if not c.nullable:
                raise InputError(f"missing required column (columns: {', '.join(table.column_names)})",
                                 file=file, field=c.name)
            cols[c.name] = [None] * table.num_rows
            continue
        vals = _column_values(c.type, table.column(c.name), file, c.name)
        if not c.nullable:
            for i, v in enumerate(vals):
                if v is None:
                    raise InputError("empty value in a required column", file=file, row=i + 1,
                                     field=c.name)
        cols[c.name] = vals
    _check_rows(ds, cols, file)
    order = sorted(range(table.num_rows), key=lambda i: tuple(_sortable(cols[k][i]) for k in ds.key))
    for a, b in zip(order, order[1:]):
        if all(cols[k][a] == cols[k][b] for k in ds.key):
            first, second = sorted((a, b))
            key = ", ".join(f"{k}={cols[k][a]}" for k in ds.key)
            raise InputError(f"duplicate key ({key}) — same as row {first + 1}", file=file,
                             row=second + 1, field=ds.key[-1])
    return {k: [v[i] for i in order] for k, v in cols.items()}


def _sortable(v):
    return (v is not None, v if v is not None else 0)


def _check_rows(ds: Dataset, cols: dict[str, list], file: str) -> None:
    ex = ds.extra
    for name, allowed in ex.get("enums", {}).items():
        for i, v in enumerate(cols.get(name, [])):
            if v is not None and v not in allowed:
                raise InputError(f"{v!r} is not one of {', '.join(allowed)}", file=file,
                                 row=i + 1, field=name)
    for name in ex.get("nonneg", ()) + ex.get("positive", ()):
        strict = name in ex.get("positive", ())
        for i, v in enumerate(cols.get(name, [])):
            if v is not None and (Decimal(v) <= 0 if strict else Decimal(v) < 0):
                raise InputError(f"must be {'> 0' if strict else '≥ 0'}, got {v}", file=file,
                                 row=i + 1, field=name)
    if "interval" in ex:
        lo, hi = ex["interval"]
        for i, (a, b) in enumerate(zip(cols[lo], cols[hi])):
            if a is not None and b is not None and b < a:
                raise InputError(f"time goes backwards: {hi} {b.isoformat()} is before "
                                 f"{lo} {a.isoformat()}", file=file, row=i + 1, field=hi)
    if ex.get("order_events"):
        _check_order_events(cols, file)


def _check_order_events(cols: dict[str, list], file: str) -> None:
    placed: dict[tuple, tuple[int, datetime]] = {}
    for i, (m, o, e, t) in enumerate(zip(cols["market"], cols["order_id"], cols["event"],
                                         cols["block_time"])):
        if e == "placed":
            if cols["side"][i] is None or cols["price"][i] is None or cols["size"][i] is None:
                field = next(f for f in ("side", "price", "size") if cols[f][i] is None)
                raise InputError("a placed event needs side, price and size", file=file,
                                 row=i + 1, field=field)
            if (m, o) in placed:
                raise InputError(f"order {o} in {m} is placed twice (first in row "
                                 f"{placed[(m, o)][0] + 1})", file=file, row=i + 1, field="order_id")
            placed[(m, o)] = (i, t)
    for i, (m, o, e, t) in enumerate(zip(cols["market"], cols["order_id"], cols["event"],
                                         cols["block_time"])):
        p = placed.get((m, o))
        if e != "placed" and p is not None and t < p[1]:
            raise InputError(f"time goes backwards: {e} at {t.isoformat()} is before the order "
                             f"was placed at {p[1].isoformat()} (row {p[0] + 1})", file=file,
                             row=i + 1, field="block_time")
        if e == "filled" and (cols["size"][i] is None or Decimal(cols["size"][i]) <= 0):
            raise InputError("a fill needs a size > 0", file=file, row=i + 1, field="size")


def prepare(dataset: str, file: str | Path) -> tuple[Dataset, pa.Table, dict, str]:
    """Read and validate; returns (dataset, table to write, columns, file sha256). No writes."""
    ds = get_dataset(dataset)
    path = Path(file)
    cols = validate(ds, read_table(path), str(path))
    return ds, ds.table(cols), cols, hashlib.sha256(path.read_bytes()).hexdigest()


def import_file(dataset: str, file: str | Path, store: str | Path, chain: str | None = None,
                prepared: tuple | None = None) -> dict[str, Any]:
    """Validate `file` against `dataset` and write it to `store` as one chunk; returns a summary.

    The chunk is tagged with the file's hash, so importing the same file again rewrites the
    same chunk (idempotent) and another file of the same dataset is kept beside it.
    """
    ds, out, cols, digest = prepared or prepare(dataset, file)
    chain = str(chain or ds.extra.get("chain") or "offchain")
    pos = [v for v in cols.get(ds.position, []) if v is not None] if ds.position else []
    start, end = (min(pos), max(pos)) if pos and all(isinstance(v, int) for v in pos) else (0, 0)
    with Store(store).locked() as st:
        written = st.write_chunk(ds.name, chain, max(start, 0), max(end, 0), out,
                                 tag=f"import-{digest[:12]}")
    return {"dataset": ds.name, "chain": chain, "rows": out.num_rows, "file_sha256": digest,
            "chunk": str(written)}

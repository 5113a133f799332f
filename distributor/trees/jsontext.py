"""JSON text of many claims at once, assembled column-wise by Arrow compute (C++).

Shards, tree.json's `values` and claims.json hold one small JSON object per claim. Made
with one f-string per claim, a million claims cost seconds of interpreter time in each
writer (and, in a forked writer, copy-on-write faults on every object it touches); here
each piece of the object is a column (accounts, amounts, proof text) and
`pc.binary_join_element_wise` glues the columns together row by row, so Python only ever
handles whole columns. `data()` then hands the rows back as one buffer, ready to write.

Every column is Arrow `large_binary` (the join needs one type throughout; 64-bit offsets
so a column may pass 2 GB).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

TEXT = pa.large_binary()
_NOTHING = pa.scalar(b"", TEXT)


def join(*pieces: pa.Array | str) -> pa.Array:
    """Row-wise concatenation of text columns and constant `str`s (all columns the same
    length): join('"', keys, '":') is `"<key>":` for every row."""
    args = [pa.scalar(p.encode(), TEXT) if isinstance(p, str) else p for p in pieces]
    return pc.binary_join_element_wise(*args, _NOTHING)


def data(rows: pa.Array) -> memoryview:
    """The bytes of every row back to back (no separators), without copying."""
    if len(rows) == 0:
        return memoryview(b"")
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int64, count=len(rows) + 1,
                            offset=8 * rows.offset)
    return memoryview(rows.buffers()[2])[int(offsets[0]):int(offsets[-1])]


def strings(values: list[str]) -> pa.Array:
    """Python strings -> a text column. ASCII text (addresses, decimals) is joined once
    and cut at the running lengths, several times faster than converting each str object."""
    joined = "".join(values)
    if not joined.isascii():
        return pa.array(values, pa.large_string()).view(TEXT)
    offsets = np.zeros(len(values) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, values), np.int64, len(values)), out=offsets[1:])
    return pa.Array.from_buffers(TEXT, len(values), [None, pa.py_buffer(offsets),
                                                     pa.py_buffer(joined.encode())])


def decimal(values: list[int]) -> pa.Array:
    """Python ints (any size: amounts reach 2^256) -> their decimal text."""
    return strings(list(map(str, values)))


def unsigned(values: np.ndarray) -> pa.Array:
    """Non-negative integers below 2^64 -> their decimal text (in C++)."""
    return pc.cast(integers(values, pa.uint64()), pa.large_string()).view(TEXT)


def integers(values: np.ndarray, type: pa.DataType) -> pa.Array:
    """A numpy integer array as an Arrow array of `type`, sharing its memory (cast to
    `type`'s width first if it differs)."""
    values = np.ascontiguousarray(values, dtype=type.to_pandas_dtype())
    return pa.Array.from_buffers(type, len(values), [None, pa.py_buffer(values)])


def fixed_width(rows: np.ndarray) -> pa.Array:
    """(M, W) uint8 ASCII rows -> M texts of W bytes, sharing the array's memory."""
    m, w = rows.shape
    offsets = np.arange(0, (m + 1) * w, w, dtype=np.int64)
    return pa.Array.from_buffers(TEXT, m, [None, pa.py_buffer(offsets),
                                           pa.py_buffer(np.ascontiguousarray(rows))])


def fixed_rows(col: pa.Array, width: int) -> np.ndarray | None:
    """A text column (string or binary, either offset width) whose every row is `width`
    bytes -> its data as an (N, width) uint8 view; None if any row has another length."""
    col = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    n = len(col)
    if n == 0:
        return np.zeros((0, width), dtype=np.uint8)
    if col.null_count:
        return None
    if width == 0:
        return np.zeros((n, 0), dtype=np.uint8) if pc.all(pc.equal(pc.binary_length(col), 0)).as_py() else None
    wide = pa.types.is_large_string(col.type) or pa.types.is_large_binary(col.type)
    offsets = np.frombuffer(col.buffers()[1], dtype=np.int64 if wide else np.int32,
                            count=n + 1, offset=(8 if wide else 4) * col.offset)
    if int(offsets[-1]) - int(offsets[0]) != width * n or np.any(np.diff(offsets) != width):
        return None
    data = np.frombuffer(col.buffers()[2], dtype=np.uint8)
    return data[int(offsets[0]):int(offsets[-1])].reshape(n, width)


def spans(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> pa.Array:
    """Row j = buf[starts[j]:ends[j]] for back-to-back spans (starts[j+1] == ends[j]),
    sharing `buf`'s memory."""
    offsets = np.concatenate([starts[:1], ends]).astype(np.int64) if len(ends) \
        else np.zeros(1, np.int64)
    return pa.Array.from_buffers(TEXT, len(ends), [None, pa.py_buffer(offsets),
                                                   pa.py_buffer(buf)])


def byte_lists(rows: np.ndarray, indent: int) -> pa.Array:
    """(M, W>0) uint8 -> each row as `json.dumps(list(row), indent=2)` prints it at
    nesting `indent` (serde's `[u8; 32]` in pretty JSON): `[`, one number per line, `]`."""
    inner = pa.array([f"\n{' ' * (indent + 2)}{b}".encode() for b in range(256)], TEXT)
    pieces: list = ["["]
    for j in range(rows.shape[1]):
        pieces += [inner.take(rows[:, j]), ","]
    pieces[-1] = f"\n{' ' * indent}]"
    return join(*pieces)


def lists(offsets: np.ndarray, items: pa.Array, separator: str) -> pa.Array:
    """Row i = items[offsets[i]:offsets[i+1]] joined by `separator`."""
    nested = pa.ListArray.from_arrays(integers(offsets, pa.int32()), items)
    return pc.binary_join(nested, pa.scalar(separator.encode(), TEXT))

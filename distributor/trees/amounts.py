"""The amount grammar (DECISIONS D3): exact integers from text, never through a float.

Accepted: decimal digits (`1234`) or `0x` hex (`0x4d2`, always base units); a fraction
(`1.25`) only with `--decimals N`, and then with at most N fraction digits; no sign,
exponent, spaces, thousands separators or empty cells. With `--decimals N` a decimal
value is in token units and is scaled by 10**N exactly with integer arithmetic
(FACTS.md: Python's `Decimal` would round uint256 values at its default 28 digits).
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from distributor.trees import jsontext
from distributor.trees.hashing import u256_be
from epochdrop.errors import InputError

UINT256_MAX = 2**256 - 1
UINT64_MAX = 2**64 - 1

_DEC = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_HEXNUM = re.compile(r"0x[0-9a-fA-F]+")


def parse_amount(text: str | None, *, decimals: int | None, limit: int, file: str,
                 row: int, field: str = "amount") -> int:
    """One cell -> int, or InputError naming file, row and field with the fix."""
    def bad(msg: str) -> InputError:
        return InputError(msg, file=file, row=row, field=field)

    if text is None or text == "":
        raise bad("empty amount")
    if _HEXNUM.fullmatch(text):
        value = int(text, 16)
    elif _DEC.fullmatch(text):
        whole, _, frac = text.partition(".")
        if frac and decimals is None:
            raise bad(f"{text!r} has a fraction; amounts are integers in base units "
                      "unless --decimals is given")
        scale = decimals or 0
        if len(frac) > scale:
            raise bad(f"{text!r} has {len(frac)} decimal places, more than --decimals {scale}")
        value = int(whole + frac.ljust(scale, "0"))
    elif text.lstrip().startswith("-"):
        raise bad(f"{text!r} is negative; amounts must be >= 0")
    else:
        raise bad(f"{text!r} is not an amount (digits, optionally one '.', or 0x hex; "
                  "no sign, exponent or spaces)")
    if value > limit:
        raise bad(f"{text!r} is above the maximum {limit} ({'2^64-1' if limit == UINT64_MAX else '2^256-1'})")
    return value


def parse_amounts(cells: pa.Array, *, decimals: int | None, limit: int, file: str,
                  field: str = "amount") -> pa.Array:
    """A whole column (Arrow strings) -> its amounts as canonical decimal text (a
    `jsontext` column: no leading zeros, base units).

    Canonical digit strings within the limit (the common case) are checked in two
    vectorised passes and kept as they are, so a million amounts never become Python
    ints unless a scheme needs them; anything else (hex, `--decimals`, leading zeros,
    errors) goes through `parse_amount`, the authority on what is accepted."""
    if not decimals and len(cells) and _all_canonical(cells, limit):
        return pc.cast(cells, pa.large_string()).view(jsontext.TEXT)
    texts = cells.to_pylist()
    return jsontext.decimal([parse_amount(c, decimals=decimals, limit=limit, file=file,
                                          row=i + 1, field=field) for i, c in enumerate(texts)])


def _all_canonical(cells: pa.Array, limit: int) -> bool:
    """Every cell is digits without a leading zero and at most `limit` (equal-length digit
    strings compare as numbers)."""
    ok = pc.fill_null(pc.match_substring_regex(cells, r"^(0|[1-9][0-9]*)$"), False)
    if not pc.all(ok).as_py():
        return False
    top = str(limit)
    length = pc.binary_length(cells)
    if pc.max(length).as_py() < len(top):
        return True
    over = pc.or_(pc.greater(length, len(top)),
                  pc.and_(pc.equal(length, len(top)), pc.greater(cells, pa.scalar(top, cells.type))))
    return not pc.any(over).as_py()


def decimal_words(text: pa.Array) -> np.ndarray:
    """Canonical decimal text (each value < 2^256) -> (N, 32) big-endian uint8 rows, the
    abi encoding of uint256, without a Python int per value.

    Arrow parses decimal text into decimal256 (a 32-byte little-endian integer per row)
    in C++; its precision stops at 76 digits, so a column holding a larger value (up to
    2^256-1 has 78) goes through Python ints instead."""
    n = len(text)
    if n == 0:
        return np.zeros((0, 32), dtype=np.uint8)
    if pc.max(pc.binary_length(text)).as_py() > 76:
        return u256_be([int(v) for v in text.to_pylist()])
    parsed = pc.cast(text.view(pa.large_string()), pa.decimal256(76, 0))
    little = np.frombuffer(parsed.buffers()[1], dtype=np.uint8, count=32 * n,
                           offset=32 * parsed.offset).reshape(n, 32)
    return np.ascontiguousarray(little[:, ::-1])


def words_total(words: np.ndarray) -> int:
    """The exact sum of (N, 32) big-endian uint256 rows: column sums of 32-bit limbs in
    uint64 (a chunk of rows at a time, so no sum can overflow), carried in Python."""
    total = 0
    for a in range(0, len(words), _CHUNK):
        sums = words[a:a + _CHUNK].view(">u4").astype(np.uint64).sum(axis=0).tolist()
        total += sum(v << (32 * (7 - j)) for j, v in enumerate(sums))
    return total


_CHUNK = 1 << 16


def parse_indices(cells: pa.Array, *, file: str) -> list[int]:
    """The optional `index` column: non-negative decimal integers up to 2^64-1.

    proofs.parquet stores the index as uint64, and an index numbers a claim (a bit in
    the distributor's claimed-bitmap), so a larger one is a mistake in the file rather
    than a claim to encode."""
    return [parse_amount(c, decimals=None, limit=UINT64_MAX, file=file, row=i + 1,
                         field="index") for i, c in enumerate(cells.to_pylist())]

"""The amount grammar (DECISIONS D3): exact integers from text, never through a float.

Accepted: decimal digits (`1234`) or `0x` hex (`0x4d2`, always base units); a fraction
(`1.25`) only with `--decimals N`, and then with at most N fraction digits; no sign,
exponent, spaces, thousands separators or empty cells. With `--decimals N` a decimal
value is in token units and is scaled by 10**N exactly with integer arithmetic
(FACTS.md: Python's `Decimal` would round uint256 values at its default 28 digits).
"""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

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
                  field: str = "amount") -> list[int]:
    """A whole column (Arrow strings). Plain digit strings (the common case) are checked in
    one vectorised regex pass and converted with `int`; anything else goes through
    `parse_amount`, which is the authority on what is accepted."""
    plain = pc.fill_null(pc.match_substring_regex(cells, r"^[0-9]{1,78}$"), False)
    texts = cells.to_pylist()
    if pc.all(plain).as_py():
        scale = 10 ** (decimals or 0)
        values = [int(c) * scale for c in texts] if scale != 1 else list(map(int, texts))
        if max(values) <= limit:
            return values
    return [parse_amount(c, decimals=decimals, limit=limit, file=file, row=i + 1, field=field)
            for i, c in enumerate(texts)]


def parse_indices(cells: pa.Array, *, file: str) -> list[int]:
    """The optional `index` column: non-negative decimal integers up to 2^64-1.

    proofs.parquet stores the index as uint64, and an index numbers a claim (a bit in
    the distributor's claimed-bitmap), so a larger one is a mistake in the file rather
    than a claim to encode."""
    return [parse_amount(c, decimals=None, limit=UINT64_MAX, file=file, row=i + 1,
                         field="index") for i, c in enumerate(cells.to_pylist())]

"""Token amounts as people read them: base-unit integers shown in token units.

Programs, files and APIs keep amounts as integers in base units (money is integers); every
place a *person* reads an amount (CLI tables, reports, the claim page's server-side text)
goes through `format_amount`, so "26,843.58 DHT" looks the same everywhere. The claim page
does the same in JavaScript (distributor/claims/page/index.html, `formatUnits`), and a test
holds the two to each other.

Rounding for display only: truncated toward zero at `places` (never rounds a payout up),
trailing zeros dropped. The exact value is the base-unit integer, which callers show in a
tooltip or a secondary column.
"""

from __future__ import annotations

from decimal import Decimal


def to_units(amount: int, decimals: int) -> Decimal:
    """Exact token units of a base-unit integer."""
    return Decimal(int(amount)).scaleb(-int(decimals)) if decimals else Decimal(int(amount))


def format_amount(amount: int, decimals: int | None, symbol: str | None = None,
                  places: int | None = 2) -> str:
    """`26843581647097803874783, 18, "DHT"` → `"26,843.58 DHT"`.

    `decimals=None` means the token's decimals are not known: the amount is shown in base
    units with separators and the word "base units", never passed off as token units.
    `places=None` shows every digit (exact)."""
    amount = int(amount)
    if decimals is None:
        return f"{amount:,} base units"
    sign = "-" if amount < 0 else ""
    whole, frac = divmod(abs(amount), 10 ** int(decimals)) if decimals else (abs(amount), 0)
    digits = str(frac).rjust(int(decimals), "0") if decimals else ""
    if places is not None:
        digits = digits[:places]
    digits = digits.rstrip("0")
    if places is not None and not digits and frac and whole == 0:
        # a dust amount below the shown precision is not zero: say so
        text = f"<0.{'0' * (places - 1)}1" if places else "<1"
        return f"{sign}{text}" + (f" {symbol}" if symbol else "")
    text = f"{sign}{whole:,}" + (f".{digits}" if digits else "")
    return text + (f" {symbol}" if symbol else "")

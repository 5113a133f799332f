"""Exact arithmetic shared by the programs: integer roots, fixed-point exp tables, decimal text.

Issue 15 (docs/design.md §5): a payout must come out the same on every machine, in every
engine and in an auditor's own program. So no step that decides a payout uses a float or the
platform's libm. Rational steps are exact (integers, DECIMAL, Fraction). The three
transcendental steps of the seeds are defined as exact floors, or as integer operations on
tables whose entries are exact roundings, so any implementation with big integers gets the
same digits:

- real powers x^(p/q) (dYdX's 0.35, 0.15, … exponents; Jet's tenor sqrt; the airdrop's cube
  root): `floor_root_product` = floor(10^places · Π x_i^(p_i/q)), computed as the integer
  q-th root of floor(10^(places·q) · Π x_i^p_i). floor(root(floor(y))) = floor(root(y)), so
  the result is the exact floor of the real value, not an approximation of it.
- exp(−x) per order and sample (Jet), which must run in SQL, in 64-bit integers (DuckDB's
  128-bit division is ~20× slower than a float exp, so HUGEINT is kept out of the per-row
  path): `EXP_METHOD` below — x floored to 10^-9 and split into its integer part i, its next
  three decimals g and the rest r < 10^-3; exp(−i) and exp(−g/10^3) from two tables,
  exp(−r) from the series 1 − r + r²/2 − r³/6 (the next term is below 5·10^-14), all in
  9-digit fixed point, flooring after each product. Table entries are exp(−v) rounded half-even to 9 decimals
  (Decimal.exp is correctly rounded; each entry is checked to sit well clear of a rounding
  tie, so any correct computation gives the same table).
"""

from __future__ import annotations

from decimal import Decimal, localcontext
from fractions import Fraction
from typing import Iterable

SCALE = 18                      # decimals of the fixed-point roots below
ONE = 10**SCALE
EXP_DECIMALS = 9                # exp(−x) is a 9-decimal fixed-point integer (fits int64 products)
EXP_ONE = 10**EXP_DECIMALS
EXP_INT_MAX = 21                # exp(−22) < 0.5 · 10^-9: integer parts above 21 give 0

EXP_METHOD = (
    "exp(−x) in 9-decimal fixed point: X = floor(x·10^9); i = min(X div 10^9, 22); "
    "g = (X div 10^6) mod 1000; R = X mod 10^6; S = 10^9 − R + (R·R) div (2·10^9) − "
    "(R·R·R) div (6·10^18); E = (((T0[i] · T1[g]) div 10^9) · S) div 10^9, where "
    "T0[i] = exp(−i) (T0[22] = 0) and T1[g] = exp(−g/10^3), rounded half-even to 9 decimals "
    "and stored × 10^9")


def iroot(n: int, k: int) -> int:
    """floor(n^(1/k)) for an integer n ≥ 0 (Newton's method on integers)."""
    if n < 0 or k < 1:
        raise ValueError("iroot needs n >= 0 and k >= 1")
    if n < 2 or k == 1:
        return n
    x = 1 << -(-n.bit_length() // k)          # 2^ceil(bits/k) ≥ the root
    while True:
        y = ((k - 1) * x + n // x ** (k - 1)) // k
        if y >= x:
            break
        x = y
    while x ** k > n:                         # guard: Newton from above ends at the floor
        x -= 1
    while (x + 1) ** k <= n:
        x += 1
    return x


def floor_root_product(factors: Iterable[tuple[Fraction, Fraction]],
                       places: int = SCALE) -> Fraction:
    """floor(10^places · Π x^e) / 10^places, exactly, for rationals x ≥ 0 and e ≥ 0.

    All exponents are brought to one denominator q; then Π x^(p/q) = (Π x^p)^(1/q) and the
    floor is the integer q-th root of floor(10^(places·q) · Π x^p)."""
    factors = [(Fraction(x), Fraction(e)) for x, e in factors]
    q = 1
    for _, e in factors:
        if e < 0:
            raise ValueError("negative exponent")
        q = q * e.denominator // _gcd(q, e.denominator)
    num, den = 1, 1
    for x, e in factors:
        if x < 0:
            raise ValueError("negative base")
        p = int(e * q)
        num *= x.numerator ** p
        den *= x.denominator ** p
    return Fraction(iroot(num * 10 ** (places * q) // den, q), 10**places)


def _gcd(a: int, b: int) -> int:
    while b:
        a, b = b, a % b
    return a


def floor_to(x: Fraction, places: int = SCALE) -> Fraction:
    """x floored to `places` decimals (exact)."""
    n = x.numerator * 10**places // x.denominator
    return Fraction(n, 10**places)


def dec_str(x: Fraction | Decimal | int) -> str:
    """An exact decimal's text without exponent or trailing zeros ("12.5", "0", "3").

    Only for values with a finite decimal expansion (denominator 2^a·5^b); anything else is
    a programming error, since rounding here would hide it."""
    f = Fraction(x)
    d = f.denominator
    twos = fives = 0
    while d % 2 == 0:
        d //= 2
        twos += 1
    while d % 5 == 0:
        d //= 5
        fives += 1
    if d != 1:
        raise ValueError(f"{f} has no finite decimal expansion")
    places = max(twos, fives)
    n = f.numerator * 10**places // f.denominator
    sign = "-" if n < 0 else ""
    digits = str(abs(n)).rjust(places + 1, "0")
    whole, frac = digits[:len(digits) - places], digits[len(digits) - places:].rstrip("0")
    return sign + whole + ("." + frac if frac else "")


def exp_tables() -> list[list[int]]:
    """[T0 (0..22), T1 (0..999)] of EXP_METHOD, as integers × 10^9."""
    t0 = _table([Decimal(i) for i in range(EXP_INT_MAX + 1)]) + [0]
    return [t0, _table([Decimal(g).scaleb(-3) for g in range(1000)])]


_TABLES: list[list[int]] | None = None


def cached_exp_tables() -> list[list[int]]:
    global _TABLES
    if _TABLES is None:
        _TABLES = exp_tables()
    return _TABLES


def _table(args: list[Decimal]) -> list[int]:
    out = []
    with localcontext() as ctx:
        ctx.prec = 30
        for v in args:
            e = (-v).exp(ctx)                               # correctly rounded, 30 digits
            scaled = e.scaleb(EXP_DECIMALS)
            n = int(scaled.to_integral_value(rounding="ROUND_HALF_EVEN"))
            # 30 correct digits leave a tie possible only within 10^-20: refuse it
            if abs(scaled - n) > Decimal("0.5") - Decimal("1e-15"):
                raise ArithmeticError(f"exp(-{v}) lies on a rounding tie")
            out.append(n)
    return out


def exp_neg_fixed(x: Fraction) -> int:
    """EXP_METHOD in Python (one value): exp(−x) × 10^9 as the SQL computes it."""
    t0, t1 = cached_exp_tables()
    big = x.numerator * 10**9 // x.denominator
    r = big % 10**6
    series = EXP_ONE - r + r * r // (2 * EXP_ONE) - r * r * r // (6 * EXP_ONE**2)
    e = t0[min(big // 10**9, EXP_INT_MAX + 1)] * t1[big // 10**6 % 1000] // EXP_ONE
    return e * series // EXP_ONE

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
- exp(−x) per order and sample (Jet), which must run in SQL: `EXP_METHOD` below —
  x floored to 10^-9, split into its integer part and three 3-digit groups, and the
  matching entries of four tables multiplied in 18-digit fixed point, flooring after each
  product. Table entries are exp(−v) rounded half-even to 18 decimals (Decimal.exp is
  correctly rounded; each entry is checked to sit well clear of a rounding tie, so any
  correct computation gives the same table).
"""

from __future__ import annotations

from decimal import Decimal, localcontext
from fractions import Fraction
from typing import Iterable

SCALE = 18                      # decimals of every fixed-point value below
ONE = 10**SCALE
EXP_ARG_DECIMALS = 9            # x is floored to 10^-9 before exp(−x)
EXP_MAX_INT = 41                # exp(−42) < 10^-18 / 2: larger integer parts give 0

EXP_METHOD = (
    "exp(−x) in 18-decimal fixed point: X = floor(x·10^9); i = X div 10^9 (0 when i > 41); "
    "E = T0[i]; then for g1 = (X div 10^6) mod 1000, g2 = (X div 10^3) mod 1000, "
    "g3 = X mod 1000: E = (E · Tk[gk]) div 10^18 in turn, where T0[i] = exp(−i), "
    "T1[g] = exp(−g/10^3), T2[g] = exp(−g/10^6), T3[g] = exp(−g/10^9), each rounded "
    "half-even to 18 decimals and stored as an integer (× 10^18)")


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
    """[T0 (0..41), T1, T2, T3 (0..999)] of EXP_METHOD, as integers × 10^18."""
    return [_table([Decimal(i) for i in range(EXP_MAX_INT + 1)])] + [
        _table([Decimal(g).scaleb(-3 * k) for g in range(1000)]) for k in (1, 2, 3)]


_TABLES: list[list[int]] | None = None


def cached_exp_tables() -> list[list[int]]:
    global _TABLES
    if _TABLES is None:
        _TABLES = exp_tables()
    return _TABLES


def _table(args: list[Decimal]) -> list[int]:
    out = []
    with localcontext() as ctx:
        ctx.prec = 60
        for v in args:
            e = (-v).exp(ctx)                               # correctly rounded, 60 digits
            scaled = e.scaleb(SCALE)
            n = int(scaled.to_integral_value(rounding="ROUND_HALF_EVEN"))
            # 60 correct digits put a tie only where |scaled − (k + ½)| < 10^-40: refuse it
            if abs(scaled - n) > Decimal("0.5") - Decimal("1e-30"):
                raise ArithmeticError(f"exp(-{v}) lies on a rounding tie")
            out.append(n)
    return out


def exp_neg_fixed(x: Fraction) -> int:
    """EXP_METHOD in Python (one value): exp(−x) × 10^18 as the SQL computes it."""
    t0, t1, t2, t3 = cached_exp_tables()
    big = x.numerator * 10**EXP_ARG_DECIMALS // x.denominator
    i = big // 10**EXP_ARG_DECIMALS
    if i > EXP_MAX_INT:
        return 0
    e = t0[i]
    for table, g in ((t1, big // 10**6 % 1000), (t2, big // 10**3 % 1000), (t3, big % 1000)):
        e = e * table[g] // ONE
    return e

"""Mirror v2's short-reward weight, in the contract's own fixed-point arithmetic.

Replicates, bit for bit, `mirror_short_reward/src/{contract,math}.rs` and the premium of
`mirror_staking/src/querier.rs` (Mirror-Protocol/mirror-contracts). cosmwasm `Decimal` is an
integer count of 10^-18 ("atomics"); the contract's helpers first truncate each operand to
9 decimals (`DECIMAL_FRACTIONAL * a` = ⌊a·10^9⌋), so every product, quotient and difference
below is truncated exactly as on chain. The polynomial is evaluated with signed magnitudes
the way `sum_and_multiply_x` does it: for p < 2 (negative x) that is not erf(x) + 1 of a
textbook, and the contract returns 0 once 1/num^16 exceeds 2 — both kept as is.
"""

from __future__ import annotations

ONE = 10**18          # Decimal::one() in atomics
E9 = 10**9            # DECIMAL_FRACTIONAL in math.rs
SQRT_TWO = 14142135624 * ONE // 10**10   # Decimal::from_ratio(14142135624, 1e10)
A = [k * ONE // 10**10 for k in (705230784, 422820123, 92705272, 1520143, 2765672, 430638)]
POSITIVE, NEGATIVE = 1, -1


class ContractPanic(ArithmeticError):
    """The contract would fail here (division by zero, negative subtraction)."""


def from_ratio(n: int, d: int) -> int:
    """Decimal::from_ratio(n, d) → atomics, floored."""
    if d == 0:
        raise ContractPanic("Decimal::from_ratio denominator is zero")
    return n * ONE // d


def trunc9(a: int) -> int:
    """`DECIMAL_FRACTIONAL * a` (Uint128 × Decimal): ⌊a·10^9⌋ as an integer."""
    return a * E9 // ONE


def mul_uint(u: int, d: int) -> int:
    """Uint128 × Decimal → Uint128, floored (multiply_ratio(d, 10^18))."""
    return u * d // ONE


def dmul(a: int, b: int) -> int:
    """math.rs decimal_multiplication: from_ratio(⌊a·1e9⌋ × b, 1e9)."""
    return from_ratio(mul_uint(trunc9(a), b), E9)


def ddiv(a: int, b: int) -> int:
    """math.rs decimal_division: from_ratio(⌊a·1e9⌋, ⌊b·1e9⌋)."""
    return from_ratio(trunc9(a), trunc9(b))


def dsub(a: int, b: int) -> int:
    """math.rs decimal_subtraction (checked: a negative result is a contract error)."""
    diff = trunc9(a) - trunc9(b)
    if diff < 0:
        raise ContractPanic("decimal_subtraction underflow")
    return from_ratio(diff, E9)


def reverse(d: int) -> int:
    """math.rs reverse_decimal: from_ratio(1e9, ⌊d·1e9⌋)."""
    return from_ratio(E9, trunc9(d))


def _sum_and_multiply_x(s1: int, s2: int, sx: int, n1: int, n2: int, x: int) -> tuple[int, int]:
    if s1 == s2:
        return (POSITIVE if s1 == sx else NEGATIVE), dmul(n1 + n2, x)
    if n1 > n2:
        return (POSITIVE if s1 == sx else NEGATIVE), dmul(dsub(n1, n2), x)
    return (POSITIVE if s2 == sx else NEGATIVE), dmul(dsub(n2, n1), x)


def erf_plus_one(sign_x: int, x: int) -> int:
    """math.rs erf_plus_one: 2 − 1/(1 + a1·x + … + a6·x^6)^16, truncated to 6 decimals."""
    sign, num = sign_x, dmul(A[5], x)
    for a in (A[4], A[3], A[2], A[1], A[0]):
        sign, num = _sum_and_multiply_x(sign, POSITIVE, sign_x, num, a, x)
    if sign == POSITIVE:
        num = num + ONE
    elif num > ONE:
        num = dsub(num, ONE)
    else:
        num = dsub(ONE, num)
    n2 = dmul(num, num)
    n4 = dmul(n2, n2)
    n8 = dmul(n4, n4)
    n16 = dmul(n8, n8)
    if trunc9(n16) == 0:
        raise ContractPanic("reverse_decimal of zero")
    rev = reverse(n16)
    if rev > 2 * ONE:
        return 0
    e = dsub(2 * ONE, rev)
    return from_ratio(mul_uint(e, 10**6), 10**6)   # keep 6 decimals


def short_reward_weight(premium: int, cap: int = 40 * ONE // 100,
                        divisor: int = 5 * ONE) -> int:
    """contract.rs query_short_reward_weight(premium_rate) in atomics.

    Above 7% premium the weight is `cap`; else (erf(x)+1)/D with p = 100·premium and
    x = |p − 2|/√2. Deployed: cap 0.4, D 5; PR #98: cap 0.8, D 2.5; SIMP-3: cap 1.0, D 2.
    """
    if premium > 7 * ONE // 100:
        return cap
    two = 2 * ONE
    p = dmul(premium, 100 * ONE)
    if p > two:
        sign, x = POSITIVE, ddiv(dsub(p, two), SQRT_TWO)
    else:
        sign, x = NEGATIVE, ddiv(dsub(two, p), SQRT_TWO)
    return ddiv(erf_plus_one(sign, x), divisor)


def premium_rate(pool_uusd: int, pool_asset: int, oracle_price: int) -> tuple[int, bool]:
    """querier.rs compute_premium_rate → (premium atomics, no_price_feed)."""
    if pool_asset == 0:
        price = from_ratio(pool_uusd, 1)
    else:
        price = from_ratio(pool_uusd, pool_asset)
    if oracle_price == 0:
        return 0, True
    if price > oracle_price:
        return ddiv(dsub(price, oracle_price), oracle_price), False
    return 0, False


def split_deposit(amount: int, weight: int) -> tuple[int, int]:
    """rewards.rs deposit_reward: short = amount × weight (floored), long = the rest."""
    short = mul_uint(amount, weight)
    return short, amount - short

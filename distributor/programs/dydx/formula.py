"""Q_FINAL by formula version (programs.md §1 table; governance-documentation
rewards/liquidity-provider-rewards.md and DIP-11/15/19).

Inputs are per (market, LP) epoch aggregates: Q_EPOCH = Σ Q_MIN over samples (an exact
decimal, 10^-6 USD), uptime in samples, the LP's stkDYDX share and its maker volume in the
market this epoch. Exponents apply after summation.

Exact (issue 15): uptime enters as the sample count u, not u / 40,320 — the constant
40,320^-5 is common to every LP of a pool and divides out of every share — so U^5 is the
integer u^5. Every other exponent is a rational p/20 (0.35 = 7/20, 0.15 = 3/20, 0.05 = 1/20,
0.5 = 10/20 …), so the real-power part Q^a · stk^b · MV^c is computed as the exact floor, to
18 decimals, of the 20th root of Q^(20a) · stk^(20b) · MV^(20c) (an integer root: no libm,
no precision setting). score = u^5 × that floor, an exact decimal.
"""

from __future__ import annotations

from fractions import Fraction

from distributor.programs.exact import floor_root_product

VERSIONS = ("launch", "stk", "dip11", "dip15", "dip19")

F = Fraction
# version -> (is_btc_eth -> (q, uptime, stk, maker volume) exponents); None = term absent
EXPONENTS: dict[str, dict[bool, tuple[Fraction, int, Fraction | None, Fraction | None]]] = {
    "launch": {True: (F(1), 5, None, None), False: (F(1), 5, None, None)},
    "stk": {True: (F(1), 5, F("0.5"), None), False: (F(1), 5, F("0.5"), None)},
    "dip11": {True: (F("0.35"), 5, F("0.2"), F("0.45")),
              False: (F("0.35"), 5, F("0.2"), F("0.45"))},
    "dip15": {True: (F("0.15"), 5, F("0.05"), F("0.8")),
              False: (F("0.35"), 5, F("0.05"), F("0.6"))},
    "dip19": {True: (F("0.15"), 5, None, F("0.85")), False: (F("0.35"), 5, None, F("0.65"))},
}


def uses_stk(version: str) -> bool:
    return any(e[2] is not None for e in EXPONENTS[version].values())


def uses_volume(version: str) -> bool:
    return any(e[3] is not None for e in EXPONENTS[version].values())


def q_final(version: str, btc_eth: bool, q_epoch: Fraction, uptime_samples: int,
            stk_share: Fraction, maker_volume: Fraction) -> Fraction:
    """Q_FINAL · 40,320^5 for one LP in one market, exactly as the module docstring says;
    a zero factor gives 0."""
    eq, eu, es, ev = EXPONENTS[version][btc_eth]
    factors = [(Fraction(q_epoch), eq)]
    if es is not None:
        factors.append((Fraction(stk_share), es))
    if ev is not None:
        factors.append((Fraction(maker_volume), ev))
    return uptime_samples ** eu * floor_root_product(factors)

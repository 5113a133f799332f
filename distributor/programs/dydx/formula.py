"""Q_FINAL by formula version (programs.md §1 table; governance-documentation
rewards/liquidity-provider-rewards.md and DIP-11/15/19).

Inputs are per (market, LP) epoch aggregates: Q_EPOCH = Σ Q_MIN over samples, uptime as a
fraction of the epoch's 40,320 samples (dividing by a constant changes no share), the LP's
stkDYDX share and its maker volume in the market this epoch. Exponents apply after
summation. Plain floats in a fixed operation order, so every run gives the same bits.
"""

from __future__ import annotations

VERSIONS = ("launch", "stk", "dip11", "dip15", "dip19")

# version -> (is_btc_eth -> (q, uptime, stk, maker volume) exponents); None = term absent
EXPONENTS: dict[str, dict[bool, tuple[float, float, float | None, float | None]]] = {
    "launch": {True: (1.0, 5.0, None, None), False: (1.0, 5.0, None, None)},
    "stk": {True: (1.0, 5.0, 0.5, None), False: (1.0, 5.0, 0.5, None)},
    "dip11": {True: (0.35, 5.0, 0.2, 0.45), False: (0.35, 5.0, 0.2, 0.45)},
    "dip15": {True: (0.15, 5.0, 0.05, 0.8), False: (0.35, 5.0, 0.05, 0.6)},
    "dip19": {True: (0.15, 5.0, None, 0.85), False: (0.35, 5.0, None, 0.65)},
}


def uses_stk(version: str) -> bool:
    return any(e[2] is not None for e in EXPONENTS[version].values())


def uses_volume(version: str) -> bool:
    return any(e[3] is not None for e in EXPONENTS[version].values())


def q_final(version: str, btc_eth: bool, q_epoch: float, uptime: float,
            stk_share: float, maker_volume: float) -> float:
    """Q_FINAL for one LP in one market; a zero factor gives 0 (0**x = 0 for x > 0)."""
    eq, eu, es, ev = EXPONENTS[version][btc_eth]
    value = q_epoch ** eq if eq != 1.0 else q_epoch
    value *= uptime ** eu
    if es is not None:
        value *= stk_share ** es
    if ev is not None:
        value *= maker_volume ** ev
    return value

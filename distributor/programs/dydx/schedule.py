"""dYdX v3 LP rewards: what the epoch number fixes (programs.md §1, DECISIONS D15).

Sources: dydxfoundation/governance-documentation rewards/liquidity-provider-rewards.md
(28-day epochs, 1,150,685 DYDX per epoch, BTC-USD/ETH-USD 20% each, thresholds);
dydxfoundation/dip DIP-11 (May 2022 formula with maker volume), DIP-15 (split formula for
BTC/ETH, 10% pools from epoch 15), DIP-19 (stkDYDX weight moved to maker volume), DIP-24
(emission halved to 575,343 from epoch 26), DIP-29 (383,562 in epoch 30, 191,781 in 31,
nothing from 32).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from distributor.programs.spec import Epoch
from epochdrop.errors import ConfigError

GENESIS = datetime(2021, 8, 3, 15, 0, 0)  # epoch 0 start, UTC
EPOCH_DAYS = 28
SAMPLES = EPOCH_DAYS * 24 * 60  # 40,320 one-minute samples


def epoch_number(label: str) -> int:
    try:
        n = int(str(label).strip())
    except ValueError:
        raise ConfigError(f"--epoch {label!r}: dydx epochs are numbers 0, 1, 2, … "
                          "(28-day epochs from 2021-08-03 15:00 UTC)") from None
    if n < 0:
        raise ConfigError(f"--epoch {label!r}: dydx epochs start at 0")
    return n


def window(label: str) -> Epoch:
    n = epoch_number(label)
    start = GENESIS + timedelta(days=EPOCH_DAYS * n)
    return Epoch(label=str(n), start=start, end=start + timedelta(days=EPOCH_DAYS), index=n)


def formula(n: int) -> str:
    """D15: launch 0–5, stk 6–9, dip11 10–14, dip15 15–17, dip19 from 18."""
    for last, name in ((5, "launch"), (9, "stk"), (14, "dip11"), (17, "dip15")):
        if n <= last:
            return name
    return "dip19"


def emission(n: int) -> Decimal:
    """DYDX per epoch: docs 0–25, DIP-24 26–29, DIP-29 30, 31, then 0."""
    if n <= 25:
        return Decimal(1_150_685)
    if n <= 29:
        return Decimal(575_343)
    return {30: Decimal(383_562), 31: Decimal(191_781)}.get(n, Decimal(0))


def btc_eth_share(n: int) -> Decimal:
    """Pool share of BTC-USD and of ETH-USD each: 20%, 10% from epoch 15 (DIP-15)."""
    return Decimal("0.20") if n < 15 else Decimal("0.10")


def eligibility_threshold(n: int) -> Decimal:
    """Share of the previous epoch's maker volume an LP needs (D15): everyone in epoch 0,
    5% in 1–2, 1% in 3–6, 0.25% from 7."""
    if n == 0:
        return Decimal(0)
    if n <= 2:
        return Decimal("0.05")
    if n <= 6:
        return Decimal("0.01")
    return Decimal("0.0025")


def schedule(label: str) -> dict:
    n = epoch_number(label)
    return {"formula": formula(n), "emission": emission(n),
            "btc_eth_share": btc_eth_share(n), "eligibility_threshold": eligibility_threshold(n)}

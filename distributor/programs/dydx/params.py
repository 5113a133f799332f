"""dYdX config keys (programs.md "Program interface"; DECISIONS D14, D15).

`formula`, `emission`, `btc_eth_share` and `eligibility_threshold` come from the epoch
schedule (`schedule.py`) unless the config sets them. Per-group values are tables:
`[params.min_depth_usd] btc_eth = 5000, other = 1000`; spreads are fractions (0.002).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from distributor.programs.params import CommonParams, Dec


class Groups(BaseModel):
    """One value for BTC-USD/ETH-USD, one for every other market."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    btc_eth: Dec = Field(ge=0)
    other: Dec = Field(ge=0)


class Spreads(Groups):
    """MaxSpread per group, a fraction of mid: 0 < spread <= 1."""

    btc_eth: Dec = Field(gt=0, le=1)
    other: Dec = Field(gt=0, le=1)


class Outage(BaseModel):
    """A protocol outage [start, end) (UTC): its samples count for nobody, not even as
    samples (the docs: uptime excludes protocol outages)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: datetime
    end: datetime


class DydxParams(CommonParams):
    decimals: int = Field(18, ge=0, le=30)
    formula: Literal["launch", "stk", "dip11", "dip15", "dip19"]
    emission: Dec = Field(ge=0)
    btc_eth_share: Dec = Field(ge=0, le=Decimal("0.5"))
    eligibility_threshold: Dec = Field(ge=0, le=1)
    min_depth_usd: Groups = Groups(btc_eth=Decimal(5000), other=Decimal(1000))
    max_spread: Spreads = Spreads(btc_eth=Decimal("0.002"), other=Decimal("0.004"))
    btc_eth_markets: tuple[str, ...] = ("BTC-USD", "ETH-USD")
    sample_offset: Literal["random", "minute_start"] = "random"
    # the docs exclude restricted (e.g. US) accounts; also read from the table dydx_excluded
    excluded_accounts: tuple[str, ...] = ()
    outages: tuple[Outage, ...] = ()  # also read from the table dydx_outages

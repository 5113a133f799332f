"""Replay Mirror v2 staking: premium updates, reward deposits and stake changes, in order.

State and arithmetic follow `mirror_staking/src/{rewards,staking}.rs`: AdjustPremium stores
the weight (skipped when sooner than `adjust_interval_s` after the last stored update);
DepositReward splits each amount with the stored weight, parks a side's part as pending
while that side has no stake and adds pending to the side's next deposit; the side's reward
index grows by part / total bonded (`Decimal::from_ratio`); a staker's credit is
bond × index − bond × own index (each floored), settled at every change of their bond.
A staker's reward for a window is their credit at the window's end minus at its start, as
`query_reward_info` would report it; nothing else is mutated at the window boundaries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from distributor.programs.mirror.contract_math import (from_ratio, mul_uint, premium_rate,
                                                       short_reward_weight, split_deposit)
from epochdrop.errors import InputError

SIDES = ("long", "short")


@dataclass
class Side:
    total: int = 0     # total_bond_amount / total_short_amount
    index: int = 0     # reward_index / short_reward_index (atomics)
    pending: int = 0   # pending_reward / short_pending_reward (parked, no stakers)


@dataclass
class Staker:
    bond: int = 0
    index: int = 0
    pending: int = 0   # credited, not yet withdrawn

    def credit(self, side: Side) -> int:
        """before_share_change without mutating: what query_reward_info reports."""
        return self.pending + mul_uint(self.bond, side.index) - mul_uint(self.bond, self.index)

    def settle(self, side: Side) -> None:
        self.pending = self.credit(side)
        self.index = side.index


@dataclass
class Asset:
    weight: int = 0            # short_reward_weight, 0 until the first AdjustPremium
    premium: int = 0
    updated: int | None = None  # premium_updated_time, unix seconds
    sides: dict[str, Side] = field(default_factory=lambda: {s: Side() for s in SIDES})


@dataclass
class Replay:
    cap: int
    divisor: int
    interval: int = 0
    assets: dict[str, Asset] = field(default_factory=dict)
    stakers: dict[tuple[str, str, str], Staker] = field(default_factory=dict)
    facts: dict[str, dict] = field(default_factory=dict)  # per "asset/side", window only
    in_window: bool = False

    def asset(self, name: str) -> Asset:
        return self.assets.setdefault(name, Asset())

    def _fact(self, asset: str, side: str) -> dict:
        return self.facts.setdefault(f"{asset}/{side}", {"deposited": 0, "pending_in": 0,
                                                         "pending_out": 0})

    def premium(self, time: datetime, asset: str, uusd: int, amount: int, oracle: int) -> bool:
        a = self.asset(asset)
        now = int(time.replace(tzinfo=timezone.utc).timestamp())
        if a.updated is not None and now < a.updated + self.interval:
            return False  # "cannot adjust premium before premium_min_update_interval passed"
        a.premium, no_feed = premium_rate(uusd, amount, oracle)
        a.weight = 0 if no_feed else short_reward_weight(a.premium, self.cap, self.divisor)
        a.updated = now
        return True

    def deposit(self, asset: str, amount: int) -> None:
        a = self.asset(asset)
        short, normal = split_deposit(amount, a.weight)
        for name, part in (("long", normal), ("short", short)):
            side = a.sides[name]
            if self.in_window:
                self._fact(asset, name)["deposited"] += part
            if side.total == 0:
                side.pending += part
            else:
                side.index += from_ratio(part + side.pending, side.total)
                side.pending = 0

    def stake(self, time: datetime, staker: str, asset: str, side_name: str, delta: int) -> None:
        side = self.asset(asset).sides[side_name]
        s = self.stakers.setdefault((asset, side_name, staker), Staker())
        if s.bond + delta < 0:
            raise InputError(f"{staker} unbonds {-delta} from {asset} {side_name} at "
                             f"{time.isoformat()}Z but has {s.bond} bonded",
                             file="mirror_stakes", field="delta")
        s.settle(side)
        side.total += delta
        s.bond += delta

    def open_window(self) -> dict[tuple[str, str, str], int]:
        self.in_window = True
        for name, a in self.assets.items():
            for side_name, side in a.sides.items():
                self._fact(name, side_name)["pending_in"] = side.pending
        return self.credits()

    def close_window(self) -> dict[tuple[str, str, str], int]:
        for name, a in self.assets.items():
            for side_name, side in a.sides.items():
                self._fact(name, side_name)["pending_out"] = side.pending
        return self.credits()

    def credits(self) -> dict[tuple[str, str, str], int]:
        return {k: s.credit(self.assets[k[0]].sides[k[1]]) for k, s in self.stakers.items()}

"""The dataset registry: every dataset any listener or the importer writes, one line each.

Add a dataset by writing `indexer/datasets/<name>.py` with a `DATASET = Dataset(...)`
(see base.py) and adding its module name below.
"""

from __future__ import annotations

import importlib

from epochdrop.errors import UserError
from indexer.datasets.base import Dataset

_MODULES = [
    "blocks",
    "dhedge_deposits",
    "dhedge_withdrawals",
    "pool_token_transfers",
    "erc20_transfers",
    "vdht_locks",
    "curve_swaps",
    "governor_votes",
    "pool_snapshots",
    "vdht_snapshots",
    "curve_liquidity",
    # off-chain / Solana datasets (issue 5) below
    "clob_order_events", "clob_markets", "governance_votes", "governance_proposals",
    "orderbook_samples", "dydx_maker_volume", "dydx_orders", "mirror_premium_updates",
    "mirror_reward_deposits", "mirror_stakes", "dhedge_eligible_pools",
]

_REGISTRY: dict[str, Dataset] | None = None


def registry() -> dict[str, Dataset]:
    global _REGISTRY
    if _REGISTRY is None:
        reg = {}
        for mod in _MODULES:
            ds = importlib.import_module(f"indexer.datasets.{mod}").DATASET
            assert ds.name == mod, f"dataset module {mod} declares {ds.name}"
            reg[ds.name] = ds
        _REGISTRY = reg
    return _REGISTRY


def get(name: str) -> Dataset:
    """The declaration of `name`; an unknown name is a UserError listing the known ones."""
    reg = registry()
    if name not in reg:
        raise UserError(f"unknown dataset {name!r}; known datasets: {', '.join(sorted(reg))}")
    return reg[name]

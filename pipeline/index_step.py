"""The index stage of `run` (and `verify --rpc`): bring the store up to the chain head for the
datasets a program reads, through the real listener (indexer/evm).

Which datasets, from which contracts (`[sources] contracts`, DESIGN "The store"):
- dhedge: pools → dhedge_deposits, dhedge_withdrawals, pool_token_transfers, pool_snapshots;
  lockup → vdht_locks, vdht_snapshots. (dhedge_eligible_pools is decided off-chain: import it.)
- curve: pools → curve_swaps, curve_liquidity.
Event datasets are indexed before the snapshots that read who to snapshot from them.

The program tables that are not one listener dataset (dHEDGE values in USD and vDHT in DHT
from the raw uint256 snapshots, Curve's coin decimals) are views the loader builds over the
store (distributor/store_map.py, DECISIONS D8), so a store indexed here, by `epochdrop index`
or by a reviewer's `verify --rpc` reads the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from epochdrop.errors import ConfigError, UserError

PLAN = {
    "dhedge": [("dhedge_deposits", "pools"), ("dhedge_withdrawals", "pools"),
               ("pool_token_transfers", "pools"), ("vdht_locks", "lockup"),
               ("pool_snapshots", "pools"), ("vdht_snapshots", "lockup")],
    "curve": [("curve_swaps", "pools"), ("curve_liquidity", "pools")],
}

def _addresses(contracts: dict[str, Any], role: str, program: str) -> list[str]:
    v = contracts.get(role)
    if v is None:
        raise ConfigError(f"[sources] contracts.{role}: needed to index {program} "
                          f"(give the {role} address{'es' if role == 'pools' else ''})")
    return sorted([v] if isinstance(v, str) else list(v))


def index_store(program: str, rpc: str, store: Path, contracts: dict[str, Any],
                from_block: int = 0, to_block: int | None = None,
                confirmations: int | None = None, chain: int | None = None) -> dict[str, Any]:
    """Index every dataset `program` needs into `store`; return the public facts of the run."""
    from indexer.api import (checksum_contracts, connect, covered, default_confirmations,
                             index_dataset, preflight)

    if program not in PLAN:
        raise ConfigError(f"[sources] rpc: {program} has no EVM sources (its inputs are "
                          f"imported datasets); remove rpc from [sources]")
    plan = [(d, checksum_contracts(_addresses(contracts, role, program)))
            for d, role in PLAN[program]]
    # A fixed range the store's checkpoints already cover (on the expected chain, if one is
    # given): nothing to send, not even the head — a rerun indexes nothing (issue 19).
    ids = ({covered(store, d, addrs, from_block, to_block) for d, addrs in plan}
           if to_block is not None else {None})
    if len(ids) == 1 and None not in ids and (chain is None or chain in ids):
        chain_id, end = ids.pop(), to_block
        conf = confirmations if confirmations is not None else default_confirmations(chain_id)
    else:
        client = connect(rpc)
        chain_id = preflight(client, store, sorted({a for _, addrs in plan for a in addrs}),
                             expected_chain=chain, flag="[sources] rpc",
                             contracts_flag="[sources] contracts")
        head = client.block_number()
        end = head if to_block is None else min(to_block, head)
        if from_block > end:   # issue 20: a range that indexes nothing is not a success
            raise UserError(f"[sources] from_block {from_block} is after the last block to "
                            f"index ({end}; head {head}): nothing to index")
        conf = confirmations if confirmations is not None else default_confirmations(chain_id)
        for dataset, addrs in plan:
            index_dataset(client, Path(store), dataset, chain_id, addrs, from_block, end, conf)
    return {"chain_id": chain_id, "from_block": from_block, "to_block": end,
            "confirmations": conf,
            "contracts": {k: sorted([v] if isinstance(v, str) else v) for k, v in
                          sorted(contracts.items())},
            "datasets": [d for d, _ in PLAN[program]]}


def reachable(rpc: str) -> bool:
    """`embedded` is reachable only inside the process that built the chain (the demo): a
    fresh one has nothing but genesis, and indexing it would read as a reorg of the whole
    store. Then the store is used as it was indexed. Any other RPC is always tried."""
    if rpc != "embedded":
        return True
    from indexer.api import embedded_chain_live

    return embedded_chain_live()


def recorded(out: Path) -> dict[str, Any]:
    """The index facts of an existing epoch folder (kept when a re-run does not index)."""
    import json

    try:
        return json.loads((Path(out) / "manifest.json").read_text()).get("index") or {}
    except (OSError, ValueError):
        return {}


def index_sources(job) -> dict[str, Any]:
    """`run`'s index stage: the config's [sources] into the job's store."""
    s = job.cfg.sources
    return index_store(job.program, s.rpc, job.data, dict(s.contracts), s.from_block,
                       s.to_block, s.confirmations, chain=s.chain_id)


def reindex(manifest: dict[str, Any], rpc: str, store: Path,
            offchain: Path | None = None) -> Path:
    """`verify --rpc`: a fresh store with the manifest's block range re-read from `rpc`.
    Off-chain tables (e.g. dhedge_eligible_pools) are copied from `offchain` when given."""
    import shutil

    idx = manifest.get("index") or {}
    if not idx:
        raise ConfigError("this epoch was not indexed from an RPC (no `index` in its "
                          "manifest): verify it with --data STORE")
    (store / "_state").mkdir(parents=True, exist_ok=True)   # a store of ours (D28)
    if offchain is not None:
        for p in sorted(Path(offchain).iterdir()):
            if p.is_dir() and not p.name.startswith(("_", ".")) and p.name not in idx["datasets"]:
                shutil.copytree(p, store / p.name)
    index_store(manifest["program"], rpc, store, idx["contracts"], idx["from_block"],
                idx["to_block"], idx.get("confirmations"))
    return store

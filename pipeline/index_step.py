"""The index stage of `run` (and `verify --rpc`): bring the store up to the chain head for the
datasets a program reads, through the real listener (indexer/evm).

What to index comes from the program's declaration (`program.toml`, docs/design.md §4): every
table whose source is an EVM `store` dataset, from the `[sources] contracts.<role>` addresses,
plus the datasets a snapshot dataset reads to know whom to snapshot (`Dataset.reads`). Event
datasets are indexed before the snapshots that read them. Off-chain tables (`import`,
`orderbook`, Solana) are not indexed here; `verify --rpc` copies them from `--data`.

The program tables that are not one listener dataset are views the loader builds over the
store (the program's `*.view.sql`, distributor/inputs.py), so a store indexed here, by
`epochdrop index` or by a reviewer's `verify --rpc` reads the same way.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from distributor.programs import load_program
from epochdrop.errors import ConfigError, UserError
from epochdrop.folder import read_manifest
from indexer.api import (checksum_contracts, connect, covered, dataset, default_confirmations,
                         embedded_chain_live, index_dataset, preflight)


def index_plan(program: str) -> list[tuple[str, str]]:
    """(dataset, contract role) pairs to index for `program`, events before snapshots."""
    plan: list[tuple[str, str]] = []
    for spec in load_program(program).tables:
        src = spec.source
        if src.kind != "store" or src.chain != "evm":
            continue
        for name in (*dataset(spec.dataset).reads, spec.dataset):
            if (name, src.role) not in plan:
                plan.append((name, src.role))
    return sorted(plan, key=lambda p: dataset(p[0]).kind == "snapshot")  # stable


def offchain_tables(program: str) -> list[str]:
    """Names (files or store folders) of the tables `run` does not index: what `verify --rpc`
    takes from --data."""
    names: list[str] = []
    for spec in load_program(program).tables:
        if spec.source.kind != "store" or spec.source.chain != "evm":
            names += [spec.name] + ([spec.dataset] if spec.dataset != spec.name else [])
    return names


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
    roles = index_plan(program)
    if not roles:
        raise ConfigError(f"[sources] rpc: {program} has no EVM sources (its inputs are "
                          f"imported datasets); remove rpc from [sources]")
    plan = [(d, checksum_contracts(_addresses(contracts, role, program))) for d, role in roles]
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
        for name, addrs in plan:
            index_dataset(client, Path(store), name, chain_id, addrs, from_block, end, conf)
    return {"chain_id": chain_id, "from_block": from_block, "to_block": end,
            "confirmations": conf,
            "contracts": {k: sorted([v] if isinstance(v, str) else v) for k, v in
                          sorted(contracts.items())},
            "datasets": [d for d, _ in plan]}


def reachable(rpc: str) -> bool:
    """`embedded` is reachable only inside the process that built the chain (the demo): a
    fresh one has nothing but genesis, and indexing it would read as a reorg of the whole
    store. Then the store is used as it was indexed. Any other RPC is always tried."""
    if rpc != "embedded":
        return True
    return embedded_chain_live()


def recorded(out: Path) -> dict[str, Any]:
    """The index facts of an existing epoch folder (kept when a re-run does not index)."""
    try:
        return read_manifest(out).index or {}
    except UserError:   # no folder yet, or not ours: nothing recorded
        return {}


def index_sources(job) -> dict[str, Any]:
    """`run`'s index stage: the config's [sources] into the job's store."""
    s = job.cfg.sources
    return index_store(job.program, s.rpc, job.data, dict(s.contracts), s.from_block,
                       s.to_block, s.confirmations, chain=s.chain_id)


def reindex(manifest: dict[str, Any], rpc: str, store: Path,
            offchain: Path | None = None) -> Path:
    """`verify --rpc`: a fresh store with the manifest's block range re-read from `rpc`.
    The declared off-chain tables (e.g. dhedge_eligible_pools) are copied from `offchain`
    when given (as store folders or `<table>.csv|.parquet` files)."""
    idx = manifest.get("index") or {}
    if not idx:
        raise ConfigError("this epoch was not indexed from an RPC (no `index` in its "
                          "manifest): verify it with --data STORE")
    (store / "_state").mkdir(parents=True, exist_ok=True)   # a store of ours (D28)
    if offchain is not None:
        for name in offchain_tables(manifest["program"]):
            for p in (Path(offchain) / name, *(Path(offchain) / f"{name}.{ext}"
                                               for ext in ("parquet", "csv"))):
                if p.is_dir():
                    shutil.copytree(p, store / p.name)
                elif p.is_file():
                    shutil.copy2(p, store / p.name)
    index_store(manifest["program"], rpc, store, idx["contracts"], idx["from_block"],
                idx["to_block"], idx.get("confirmations"))
    return store

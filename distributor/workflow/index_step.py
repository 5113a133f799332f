"""The index stage of `run` (and `verify --rpc`): bring the store up to the chain head for the
datasets a program reads, through the real listener (indexer/evm), then derive the program
tables that are not one listener dataset.

Which datasets, from which contracts (`[sources] contracts`, DESIGN "The store"):
- dhedge: pools → dhedge_deposits, dhedge_withdrawals, pool_token_transfers, pool_snapshots;
  lockup → vdht_locks, vdht_snapshots. (dhedge_eligible_pools is decided off-chain: import it.)
- curve: pools → curve_swaps, curve_liquidity.
Event datasets are indexed before the snapshots that read who to snapshot from them.

Derived tables (written as `<store>/<table>.parquet`, which the loader prefers to a dataset):
snapshots store raw uint256 base units (balanceOf × tokenPrice / 1e18, balanceOfAt), while the
programs read token / USD units (programs.md: value_usd, vdht are `dec`); and `curve_coins` is
the distinct (pool, i, decimals) of curve_liquidity. The conversion is exact (÷ 10^18 in
Decimal) and done here, once, in SQL over the store.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal, localcontext
from pathlib import Path
from typing import Any

from epochdrop.errors import ConfigError

PLAN = {
    "dhedge": [("dhedge_deposits", "pools"), ("dhedge_withdrawals", "pools"),
               ("pool_token_transfers", "pools"), ("vdht_locks", "lockup"),
               ("pool_snapshots", "pools"), ("vdht_snapshots", "lockup")],
    "curve": [("curve_swaps", "pools"), ("curve_liquidity", "pools")],
}

# table → (source dataset, columns kept, column scaled by 10^-18 or None)
DERIVED = {
    "dhedge": {"dhedge_pool_values": ("pool_snapshots", ("day", "pool", "investor"), "value_usd"),
               "dhedge_vdht": ("vdht_snapshots", ("day", "investor"), "vdht")},
    "curve": {"curve_coins": ("curve_liquidity", ("pool", "i", "decimals"), None)},
}


def _addresses(contracts: dict[str, Any], role: str, program: str) -> list[str]:
    v = contracts.get(role)
    if v is None:
        raise ConfigError(f"[sources] contracts.{role}: needed to index {program} "
                          f"(give the {role} address{'es' if role == 'pools' else ''})")
    return sorted([v] if isinstance(v, str) else list(v))


def index_store(program: str, rpc: str, store: Path, contracts: dict[str, Any],
                from_block: int = 0, to_block: int | None = None,
                confirmations: int | None = None) -> dict[str, Any]:
    """Index every dataset `program` needs into `store`; return the public facts of the run."""
    from indexer.cli import LOCAL_CHAINS, _contracts, _run
    from indexer.datasets import get
    from indexer.evm.rpc import connect

    if program not in PLAN:
        raise ConfigError(f"[sources] rpc: {program} has no EVM sources (its inputs are "
                          f"imported datasets); remove rpc from [sources]")
    client = connect(rpc)
    chain_id = client.chain_id()
    head = client.block_number()
    end = head if to_block is None else min(to_block, head)
    conf = confirmations if confirmations is not None else (0 if chain_id in LOCAL_CHAINS else 64)
    done = {}
    for dataset, role in PLAN[program]:
        addrs = _contracts(_addresses(contracts, role, program))
        out = _run(client, Path(store), get(dataset), chain_id, addrs, from_block, end, conf)
        done[dataset] = {"rows": out.get("rows"), "last": out.get("last")}
    derive(program, Path(store))
    return {"chain_id": chain_id, "from_block": from_block, "to_block": end,
            "confirmations": conf,
            "contracts": {k: sorted([v] if isinstance(v, str) else v) for k, v in
                          sorted(contracts.items())},
            "datasets": [d for d, _ in PLAN[program]]}


def _shift18(text: str | None) -> str | None:
    """Base units (decimal string, maybe with a fraction) → units, exact to 18 decimals
    (the canonical `dec` type; anything finer than 10^-18 of a unit is truncated)."""
    if text is None:
        return None
    with localcontext() as ctx:
        ctx.prec = 120
        v = (Decimal(text).scaleb(-18)).quantize(Decimal(1).scaleb(-18), rounding=ROUND_DOWN)
    return format(v, "f")


def derive(program: str, store: Path) -> list[str]:
    """Write the derived program tables of `program` from the store's datasets."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from epochdrop.fsio import TMP_PREFIX
    from indexer.store import Store

    written = []
    st = Store(store)
    for table, (dataset, keep, scaled) in DERIVED.get(program, {}).items():
        src = st.read(dataset)
        if src is None:
            continue
        cols = {c: src.column(c).to_pylist() for c in keep}
        if scaled:
            cols[scaled] = [_shift18(v) for v in src.column(scaled).to_pylist()]
        rows = sorted(set(zip(*cols.values()))) if not scaled else sorted(
            zip(*cols.values()), key=lambda r: tuple(str(x) for x in r))
        names = list(cols)
        out = pa.table({n: [r[i] for r in rows] for i, n in enumerate(names)})
        tmp = store / f"{TMP_PREFIX}{table}.parquet.partial"
        pq.write_table(out, tmp, compression="zstd", write_statistics=False)
        tmp.replace(store / f"{table}.parquet")
        written.append(table)
    return written


def reachable(rpc: str) -> bool:
    """`embedded` is reachable only inside the process that built the chain (the demo): a
    fresh one has nothing but genesis, and indexing it would read as a reorg of the whole
    store. Then the store is used as it was indexed. Any other RPC is always tried."""
    if rpc != "embedded":
        return True
    from indexer.evm import embedded

    return embedded._CHAIN is not None and embedded._CHAIN.w3.eth.block_number > 0


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
                       s.to_block, s.confirmations)


def reindex(manifest: dict[str, Any], rpc: str, store: Path,
            offchain: Path | None = None) -> Path:
    """`verify --rpc`: a fresh store with the manifest's block range re-read from `rpc`.
    Off-chain tables (e.g. dhedge_eligible_pools) are copied from `offchain` when given."""
    import shutil

    idx = manifest.get("index") or {}
    if not idx:
        raise ConfigError("this epoch was not indexed from an RPC (no `index` in its "
                          "manifest): verify it with --data STORE")
    store.mkdir(parents=True, exist_ok=True)
    if offchain is not None:
        for p in sorted(Path(offchain).iterdir()):
            if p.is_dir() and not p.name.startswith(("_", ".")) and p.name not in idx["datasets"]:
                shutil.copytree(p, store / p.name)
    index_store(manifest["program"], rpc, store, idx["contracts"], idx["from_block"],
                idx["to_block"], idx.get("confirmations"))
    return store

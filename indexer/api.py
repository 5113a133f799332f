"""The indexer's public API: what other parts of epochdrop (the `run` workflow's index stage,
`verify --rpc`, the benches) use to index a store, without reaching into `indexer.cli`.

`epochdrop index` is argument checks around these same functions, so a store indexed through
them is the one `epochdrop index` would write (DESIGN "The store"). Heavy imports (web3 helpers,
pyarrow, httpx) happen inside the functions: importing this module costs nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from epochdrop.addresses import checksum_all
from epochdrop.errors import UserError

# Chain ids of local development nodes: anvil/hardhat (31337), ganache (1337), the embedded
# eth-tester chain (0x776562337079, "web3py").
LOCAL_CHAINS = frozenset({31337, 1337, 0x776562337079})


# `index --engine`: the listener's worker processes ("process"; "duckdb", the scoring
# engines' default name, means the same so a config's [engine] kind can be passed as is), or
# chunks as Spark tasks.
ENGINES = ("process", "duckdb", "spark")


def default_confirmations(chain_id: int) -> int:
    """Blocks behind the head that count as final when none are given (DECISIONS D10):
    0 on local chains, 64 elsewhere."""
    return 0 if chain_id in LOCAL_CHAINS else 64


def checksum_contracts(addresses: Iterable[str]) -> list[str]:
    """Contract addresses (each item may be comma-separated) → sorted, de-duplicated EIP-55
    addresses. A malformed address is a UserError naming it (epochdrop/addresses.py)."""
    return checksum_all(addresses, field="--contracts")


def dataset(name: str):
    """The declaration (indexer/datasets/) of dataset `name`; UserError when unknown."""
    from indexer.datasets import get  # lazy: importing the API costs nothing (docstring)

    return get(name)


def preflight(client, store: str | Path, addresses: Iterable[str], *, new_chain: bool = False,
              expected_chain: int | None = None, flag: str = "--rpc",
              contracts_flag: str = "--contracts") -> int:
    """The checks every path that indexes runs before the store is touched (issue 20: `index`,
    `index-config`, `run`, `verify --rpc`): the RPC's chain is the one expected and the one
    the store holds (unless `new_chain`), and every contract address holds code there.
    Returns the chain id."""
    from indexer import checkpoint as ckpt

    chain_id = client.chain_id()
    if expected_chain is not None and chain_id != expected_chain:
        raise UserError(f"{flag}: the RPC serves chain {chain_id}, not chain {expected_chain} "
                        "as the config says ([sources] chain_id)")
    known = ckpt.chain_ids(store)
    if known and chain_id not in known and not new_chain:
        raise UserError(f"{flag}: the RPC serves chain {chain_id} but store {store} holds chain "
                        f"{', '.join(map(str, sorted(known)))}: fix {flag}, or pass --new-chain "
                        "to add this chain to the store")
    addrs = list(addresses)
    codes = client.batch([("eth_getCode", [a, "latest"]) for a in addrs]) if addrs else []
    for a, code in zip(addrs, codes):
        if code in (None, "0x", "0x0", ""):
            raise UserError(f"{contracts_flag} {a}: no contract code at this address on chain "
                            f"{chain_id} (is it an EOA, or on another chain?)")
    return chain_id


def connect(rpc: str, **kwargs: Any):
    """An RPC client for an http(s) URL or `embedded` (indexer.evm.rpc.connect; same keywords)."""
    from indexer.evm.rpc import connect as _connect

    return _connect(rpc, **kwargs)


def covered(store: Path | str, dataset: str, contracts: list[str], start: int,
            end: int) -> int | None:
    """The chain id when `dataset` for exactly these contracts is already indexed over
    `start`..`end` in `store` (so indexing it again sends no RPC call), else None."""
    from indexer import checkpoint as ckpt

    cp = ckpt.covering(store, dataset, ckpt.contract_set_tag(contracts), start, end)
    return None if cp is None else cp.chain_id


def rpc_calls() -> int:
    """JSON-RPC calls this process has sent so far (every client; a batch counts its items)."""
    from indexer.evm.rpc import rpc_calls as _calls

    return _calls()


def embedded_chain_live() -> bool:
    """Whether this process holds an embedded chain with blocks beyond genesis (the demo builds
    one; a fresh process has none, and `--rpc embedded` there would start an empty chain)."""
    from indexer.evm.embedded import current_chain

    chain = current_chain()
    return chain is not None and chain.w3.eth.block_number > 0


def index_dataset(client, store: Path | str, dataset, chain_id: int, contracts: list[str],
                  start: int, end: int, confirmations: int, *, chunk_rows: int = 25_000,
                  range_blocks: int = 2000, workers: int = 2, engine: str = "process",
                  spark_master: str = "local[*]") -> dict[str, Any]:
    """Index blocks `start`..`end` (inclusive) of one EVM dataset (a name or a Dataset) into
    `store`, resuming from its checkpoint. `contracts` must already be checksummed
    (checksum_contracts). Returns the listener's counts: rows, chunks, last, retries, splits,
    reorgs, seconds, unmatched (logs no event matched), worker_peak_mb.

    `engine="spark"` runs chunks of `range_blocks` blocks as Spark tasks on `spark_master`
    (indexer/spark_index.py; the same rows), and adds spark_task_failures, spark_cores."""
    from dataclasses import asdict

    from indexer.datasets import get
    from indexer.evm.listener import Listener
    from indexer.evm.parallel import ProcessLogSource
    from indexer.evm.rpc import HttpTransport
    from indexer.evm.sources import HeaderSource, LogSource
    from indexer.retry import AdaptiveStep
    from indexer.store import Store

    ds = get(dataset) if isinstance(dataset, str) else dataset
    if engine not in ENGINES:
        raise UserError(f"--engine {engine}: give one of {', '.join(ENGINES)}")
    if engine == "spark":
        from indexer.spark_index import index_on_spark   # loads pyspark: only when chosen
        return index_on_spark(client, store, ds, chain_id, contracts, start, end, confirmations,
                              master=spark_master, range_blocks=range_blocks)
    st = Store(Path(store))
    if ds.kind == "snapshot":
        from indexer.evm.snapshots import run_snapshots
        out = run_snapshots(client, st, ds, chain_id, contracts, start, end, confirmations)
        return dict(out, retries=client.retries, unmatched={})
    if ds.kind == "blocks":
        source = HeaderSource(client, ds, chain_id)
        step = AdaptiveStep(min(range_blocks, 200), 1, 1000, 10_000)
    elif workers > 0 and isinstance(client.transport, HttpTransport) and threading.active_count() == 1:
        # worker processes are forked: only from a process without threads (fork copies
        # no other thread, and a lock one of them held would stay locked in the child)
        source = ProcessLogSource(client, ds, chain_id, contracts, workers)
        step = AdaptiveStep(range_blocks)
    else:
        source, step = LogSource(client, ds, chain_id, contracts), AdaptiveStep(range_blocks)
    try:
        res = Listener(st, ds, chain_id, contracts, source, client, step=step,
                       flush_rows=chunk_rows).run(start, end, confirmations)
    finally:
        if hasattr(source, "close"):
            source.close()
    return dict(asdict(res), retries=client.retries, unmatched=dict(source.unmatched),
                worker_peak_mb=getattr(source, "worker_peak_mb", None))


__all__ = ["ENGINES", "LOCAL_CHAINS", "checksum_contracts", "connect", "covered", "dataset", "default_confirmations",
           "rpc_calls",
           "embedded_chain_live", "index_dataset"]

"""`epochdrop index` and `epochdrop decode`: argument checks at the edge, then the listener.

Every check that can fail on bad input runs before the store is touched (acceptance 8):
unknown dataset, --from after --to, malformed or code-less --contracts, an unreachable RPC,
and an RPC whose chain is not the one the store holds. Each is one line and a non-zero exit
(2 for input, 1 for an RPC that cannot be reached; DECISIONS D22).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

import typer

from epochdrop.errors import InputError, UserError
from rich.console import Console
from epochdrop.runreport import RunReport, runs_dir_for_store
from epochdrop.fsio import check_store
from indexer.api import ENGINES, checksum_contracts, default_confirmations, index_dataset, preflight

console = Console(stderr=True, soft_wrap=True, highlight=False)


def register(app: typer.Typer) -> None:
    app.command("index", help="Index a dataset from an EVM RPC (or `embedded`) into the store.")(index)
    app.command("decode", help="Decode raw eth_getLogs JSON into a dataset's rows (no RPC).")(decode)


def _block_arg(name: str, v: str) -> int | None:
    if v == "latest":
        return None
    if not re.fullmatch(r"[0-9]+", v):
        raise UserError(f"{name} {v!r}: give a block number or 'latest'")
    return int(v)


def index(
    dataset: str = typer.Argument(..., help="Dataset name (see docs/indexer.md)."),
    rpc: str = typer.Option(..., "--rpc", help="JSON-RPC URL, or `embedded`."),
    from_block: str = typer.Option("0", "--from", help="First block (inclusive)."),
    to_block: str = typer.Option("latest", "--to", help="Last block (inclusive) or `latest`."),
    store: Path = typer.Option(Path("data/store"), "--store", help="Store folder."),
    contracts: list[str] = typer.Option([], "--contracts", help="Contract addresses (comma-separated or repeated)."),
    confirmations: Optional[int] = typer.Option(None, "--confirmations", min=0,
                                                help="Blocks behind head counted final (default 64 on public chains, 0 local)."),
    new_chain: bool = typer.Option(False, "--new-chain", help="Allow a chain this store does not hold yet."),
    timeout: float = typer.Option(30.0, "--timeout", help="Seconds per RPC request."),
    retries: int = typer.Option(8, "--retries", min=1, help="Attempts per RPC request."),
    chunk_rows: int = typer.Option(25_000, "--chunk-rows", min=1, help="Rows per Parquet chunk (memory bound)."),
    range_blocks: int = typer.Option(2000, "--range", min=1, help="Initial blocks per eth_getLogs (adapts)."),
    workers: int = typer.Option(2, "--workers", min=0, help="Fetch+decode worker processes (0: in-process; see docs)."),
    engine: str = typer.Option("process", "--engine",
                               help="process (worker processes, the default) or spark (chunks of --range blocks as Spark tasks)."),
    spark_master: str = typer.Option("local[*]", "--spark-master",
                                     help="With --engine spark: local[N] or spark://host:port."),
    dry: bool = typer.Option(False, "--dry", help="Print the plan and stop."),
) -> None:
    from indexer.datasets import get
    from indexer.evm.rpc import connect
    from indexer.retry import RetryPolicy

    ds = get(dataset)
    start, end = _block_arg("--from", from_block), _block_arg("--to", to_block)
    if start is None:
        raise UserError("--from latest: give a block number")
    if end is not None and start > end:
        raise UserError(f"--from {start} is after --to {end}")
    addrs = checksum_contracts(contracts)
    if ds.kind == "snapshot" and not addrs:
        raise UserError(f"{ds.name} reads contracts: give them with --contracts")
    if ds.kind not in ("events", "blocks", "snapshot"):
        raise UserError(f"{ds.name} is not an EVM dataset (import it with `epochdrop import`)")

    if engine not in ENGINES:
        raise UserError(f"--engine {engine}: give one of {', '.join(ENGINES)}")
    check_store(store)
    client = connect(rpc, timeout=timeout, policy=RetryPolicy(attempts=retries))
    client.chain_id(policy=RetryPolicy(attempts=min(retries, 3), max_total=5))  # reachable?
    chain_id = preflight(client, store, addrs, new_chain=new_chain)
    head = client.block_number()
    if end is None:
        end = head
    if start > end:
        raise UserError(f"--from {start} is after --to {to_block} (block {end})")
    if confirmations is None:
        confirmations = default_confirmations(chain_id)
    on_spark = engine == "spark"
    if on_spark:
        from indexer.spark_index import precheck   # the spark path only: nothing to load otherwise
        precheck(ds, client)
    console.print(f"plan: {ds.name} ({ds.kind}) on chain {chain_id} via {client.url}, blocks "
                  f"{start}–{end} (head {head}, {confirmations} confirmations), "
                  f"{len(addrs) or 'all'} contract(s) → {store}/{ds.name}/chain={chain_id}/"
                  + (f", on Spark {spark_master} in chunks of {range_blocks} blocks" if on_spark else ""),
                  markup=False, highlight=False)
    if dry:
        return
    # load the indexing code before the run report opens: the report then marks the start
    # of the work itself (the crash test kills runs at random moments after it)
    import indexer.evm.listener, indexer.evm.parallel, indexer.evm.sources  # noqa: E401, F401
    args = dict(dataset=ds.name, rpc=rpc, start=start, end=end, store=str(store),
                contracts=addrs, confirmations=confirmations, chain_id=chain_id)
    if on_spark:
        args.update(engine="spark", spark_master=spark_master)
    with RunReport(runs_dir_for_store(store), "index", args) as report:
        out = index_dataset(client, store, ds, chain_id, addrs, start, end, confirmations,
                            chunk_rows=chunk_rows, range_blocks=range_blocks, workers=workers,
                            engine=engine, spark_master=spark_master)
        report.done(out)
    console.print(f"done: {ds.name} chain {chain_id}: {out['rows']:,} new rows in {out['chunks']} "
                  f"chunk(s), final block {out['last']}, {out['retries']} retries, "
                  f"{out['splits']} range splits, {out['reorgs']} reorg(s), {out['seconds']:.1f} s"
                  + (f", on Spark ({out['spark_cores']} cores, {out['spark_task_failures']} "
                     "failed task attempt(s) re-run)" if on_spark else ""),
                  markup=False, highlight=False)
    if out["unmatched"]:
        console.print(f"note: {sum(out['unmatched'].values())} log(s) matched no {ds.name} event: "
                      f"{out['unmatched']}", markup=False, highlight=False)


def decode(
    dataset: str = typer.Argument(..., help="Event dataset name."),
    logs_file: Path = typer.Argument(..., help="JSON array of eth_getLogs results."),
    out: Path = typer.Option(..., "--out", help="Output file: .parquet, .csv or .json."),
    chain_id: int = typer.Option(1, "--chain-id", help="chain_id column value."),
) -> None:
    from indexer.evm.decode_file import decode_file
    n_logs, n_rows, unmatched = decode_file(dataset, logs_file, out, chain_id)
    console.print(f"decoded {n_logs} log(s) → {n_rows} {dataset} row(s) in {out}",
                  markup=False, highlight=False)
    if unmatched:
        console.print(f"not matched: {sum(unmatched.values())} log(s): "
                      + ", ".join(f"{k}: {v}" for k, v in sorted(unmatched.items())),
                      markup=False, highlight=False)


_ = InputError

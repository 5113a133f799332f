"""`epochdrop generate DATASET --seed N --scale S (--out FILE | --store DIR)`."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import typer

from epochdrop.errors import UserError

DATASETS = ("dydx_order_events", "dydx_maker_volume", "dydx_orders", "jet_order_events",
            "jet_markets", "jet_orders", "governance_votes", "governance_proposals")


def build(dataset: str, seed: int, scale: float, epoch: int) -> tuple[str, str, pa.Table]:
    """(store dataset, chain, table) for a generator name."""
    from indexer.generate import (generate_dydx_maker_volume, generate_dydx_order_events,
                                  generate_governance, generate_jet_markets,
                                  generate_jet_order_events)
    from indexer.orderbook import rebuild_lifetimes

    if dataset.startswith("dydx"):
        ev = generate_dydx_order_events(seed, scale, epoch)
        if dataset == "dydx_order_events":
            return "clob_order_events", "dydx-v3", ev
        if dataset == "dydx_orders":
            return "dydx_orders", "dydx-v3", rebuild_lifetimes(ev, "dydx")
        return "dydx_maker_volume", "dydx-v3", generate_dydx_maker_volume(ev, epoch, seed)
    if dataset.startswith("jet"):
        mk = generate_jet_markets(seed)
        if dataset == "jet_markets":
            return "clob_markets", "solana-local", mk
        ev = generate_jet_order_events(seed, scale, epoch, mk)
        if dataset == "jet_order_events":
            return "clob_order_events", "solana-local", ev
        return "jet_orders", "solana-local", rebuild_lifetimes(ev, "jet", mk)
    gov = generate_governance(seed, scale)
    return dataset, "solana-local", gov[dataset]


def generate_cmd(
    dataset: str = typer.Argument(..., help=f"One of: {', '.join(DATASETS)}."),
    seed: int = typer.Option(0, "--seed"),
    scale: float = typer.Option(1.0, "--scale", help="1.0 ≈ 100,000 order events."),
    epoch: int = typer.Option(0, "--epoch"),
    out: Path = typer.Option(None, "--out", help="Write one Parquet (or .csv) file."),
    store: Path = typer.Option(None, "--store", help="Or write into a store (via the importer)."),
) -> None:
    """Seeded, deterministic sample data (same seed and scale → same bytes)."""
    if dataset not in DATASETS:
        raise UserError(f"unknown generator {dataset!r}; choose one of {', '.join(DATASETS)}")
    if (out is None) == (store is None):
        raise UserError("give exactly one of --out FILE or --store DIR")
    if scale <= 0:
        raise UserError("--scale must be > 0")
    name, chain, table = build(dataset, seed, scale, epoch)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".{out.name}.tmp")
        if out.suffix == ".csv":
            import pyarrow.csv as pcsv
            pcsv.write_csv(table, tmp)
        else:
            pq.write_table(table, tmp, compression="zstd")
        tmp.replace(out)
        typer.echo(f"wrote {table.num_rows} rows of {dataset} to {out}")
        return
    from indexer.datasets import registry
    from indexer.store import Store
    if name not in registry():
        raise UserError(f"{dataset} is not a store dataset; use --out")
    ds = registry()[name]
    conv = ds.table({c: _stored(table, c, ds) for c in ds.column_names})
    from epochdrop.runreport import RunReport, runs_dir_for_store
    with RunReport(runs_dir_for_store(store), "generate",
                   {"dataset": dataset, "seed": seed, "scale": scale, "epoch": epoch}) as rep, \
            Store(store).locked() as st:
        p = st.write_chunk(name, chain, 0, 0, conv, tag=f"generated-s{seed}-e{epoch}")
        rep.done({"dataset": name, "chain": chain, "rows": conv.num_rows})
    typer.echo(f"wrote {table.num_rows} rows of {dataset} to {p}")


def _stored(table: pa.Table, col: str, ds) -> list:
    """Column values as the declaration stores them (decimals as strings, …)."""
    from indexer.datasets.base import coerce
    t = ds.column(col).type
    if col not in table.column_names:
        return [None] * table.num_rows
    arr = table.column(col)
    if pa.types.is_decimal(arr.type):
        return [None if v is None else _plain(v) for v in arr.to_pylist()]
    return [coerce(t, v) if v is not None else None for v in arr.to_pylist()]


def _plain(v) -> str:
    s = format(v, "f")
    return s.rstrip("0").rstrip(".") if "." in s else s

"""`epochdrop import DATASET FILE --store DIR` and `epochdrop generate DATASET …` commands."""

from __future__ import annotations

from pathlib import Path

import typer

from epochdrop.fsio import sha256_file
from epochdrop.runreport import RunReport, runs_dir_for_store


def import_cmd(
    dataset: str = typer.Argument(..., help="A declared dataset, e.g. dydx_maker_volume."),
    file: Path = typer.Argument(..., help="CSV (with a header) or Parquet file."),
    store: Path = typer.Option(Path("data/store"), "--store", help="The Parquet store."),
    chain: str = typer.Option(None, "--chain", help="Partition (default: the dataset's, D9)."),
) -> None:
    """Validate FILE against DATASET's declaration and write it to the store (nothing on error)."""
    from epochdrop.fsio import check_store
    from indexer.importer import import_file, prepare

    check_store(store)                       # D28: never write into a folder that is not a store
    prepared = prepare(dataset, file)        # validate first: a bad file leaves no trace
    with RunReport(runs_dir_for_store(store), "import",
                   {"dataset": dataset, "file": str(file), "chain": chain}) as rep:
        rep.input(file.name, sha256_file(file))
        res = import_file(dataset, file, store, chain, prepared=prepared)
        rep.done(res)
    typer.echo(f"imported {res['rows']} rows into {res['dataset']} (chain={res['chain']}): "
               f"{res['chunk']}")


def register(app: typer.Typer) -> None:
    from indexer.generate.cli import generate_cmd

    app.command("import")(import_cmd)
    app.command("generate")(generate_cmd)
    from indexer.solana.cli import solana_app
    app.add_typer(solana_app, name="solana")
    from indexer.orderbook.sampler_cli import sample_app
    app.add_typer(sample_app, name="sample")

"""`epochdrop tree build | proof | check` (issue 3)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Optional

import typer

from epochdrop.errors import FailureError
from epochdrop.fsio import check_out
from epochdrop.progress import progress
from epochdrop.runreport import RunReport, runs_dir_for_output

tree_app = typer.Typer(help="Merkle trees, proofs and claim files (oz, uniswap, packed, solana, "
                            "merkl, or any declared leaf and tree: --spec).",
                       no_args_is_help=True)


@tree_app.command("build")
def build_cmd(
    input: Path = typer.Argument(..., help="Claims: CSV, Parquet or JSON with account,amount[,index][,locked_amount]."),
    scheme: Optional[str] = typer.Option(None, "--scheme", help="oz | uniswap | packed | solana | merkl (a preset spec)"),
    spec: Optional[Path] = typer.Option(None, "--spec", help="A declared leaf and tree (TOML, docs/trees.md) instead of --scheme."),
    out: Path = typer.Option(..., "--out", help="Output folder (replaced atomically)."),
    leaf: Optional[str] = typer.Option(None, "--leaf", help="oz leaf types, default address,uint256; e.g. uint256,address,uint256 (index first)."),
    decimals: Optional[int] = typer.Option(None, "--decimals", help="Amounts are in token units; scale by 10^N exactly."),
    previous: Optional[Path] = typer.Option(None, "--previous", help="Previous epoch's output folder: cumulative mode."),
    merge_duplicates: bool = typer.Option(False, "--merge-duplicates", help="Sum repeated accounts instead of failing."),
    token: Optional[str] = typer.Option(None, "--token", help="Token address (recorded in the manifest)."),
    chain_id: Optional[int] = typer.Option(None, "--chain-id", help="Chain id of the token (recorded in the manifest)."),
    token_symbol: Optional[str] = typer.Option(None, "--token-symbol", help="Token symbol, e.g. DHT (recorded; shown on the claim page)."),
    token_decimals: Optional[int] = typer.Option(None, "--token-decimals", help="Token decimals (recorded; default: --decimals). Amounts stay in base units."),
    program: Optional[str] = typer.Option(None, "--program"),
    epoch: Optional[str] = typer.Option(None, "--epoch"),
    expiry: Optional[str] = typer.Option(None, "--expiry", help="Claim deadline (recorded in the manifest)."),
) -> None:
    """Build a Merkle root, every proof and the claim files for INPUT."""
    from distributor.trees.build import BuildOptions, build_tree, write_outputs

    if token is not None:
        from epochdrop.config import TokenConfig, validate_section

        token = validate_section(TokenConfig, {"address": token}, "--token", "token").address
    opts = BuildOptions(scheme or "", leaf, decimals, previous, merge_duplicates, token=token,
                        chain_id=chain_id, token_symbol=token_symbol,
                        token_decimals=token_decimals, program=program, epoch=epoch,
                        expiry=expiry, spec=spec)
    t0 = time.monotonic()
    with progress(transient=True) as bar:
        task = bar.add_task("tree build", total=3)
        phase = lambda what: bar.update(task, description=what, advance=0 if what.startswith("reading") else 1)  # noqa: E731
        check_out(out)   # D28: refuse a folder that is not ours before any work
        built, prev = build_tree(input, opts, phase)  # validates everything before any file is made
        with RunReport(runs_dir_for_output(out), "tree build",
                       {"input": str(input), "out": str(out), **vars(opts)}) as report:
            phase("writing proofs.parquet, native file, shards")
            manifest = write_outputs(built, out, input, opts, prev)
            bar.update(task, advance=1)
        report.input(input.name, manifest.inputs[0].sha256)
        report.done({"root": manifest.root, "count": manifest.tree.count})
    tree = manifest.tree
    total = "no amount column" if tree.total is None else f"total {tree.total}"
    typer.echo(f"{tree.scheme} root {tree.root}: {tree.count} claims, "
               f"{total} -> {out} ({time.monotonic() - t0:.2f} s)")


@tree_app.command("proof")
def proof_cmd(
    folder: Path = typer.Argument(..., help="An output folder of `tree build`."),
    account: str = typer.Argument(..., help="The claimant (any case for EVM addresses)."),
) -> None:
    """Print the JSON a claim front-end needs for ACCOUNT."""
    from distributor.trees.outputs import claim_json

    typer.echo(json.dumps(claim_json(folder, account), indent=2))


@tree_app.command("check")
def check_cmd(folder: Path = typer.Argument(..., help="An output folder of `tree build`.")) -> None:
    """Re-read every output file, recompute the root, verify every proof; exit 0 only if all hold."""
    from distributor.trees.check import check_folder

    with RunReport(runs_dir_for_output(folder), "tree check", {"folder": str(folder)}) as report:
        problems, man = check_folder(folder)
        for p in problems:
            report.failed(p)
        if not problems:
            report.done({"root": man.root, "count": man.tree.count})
    if problems:
        for p in problems:
            typer.echo(f"FAIL {p}", err=True)
        raise FailureError(f"{folder}: {len(problems)} problem(s); the folder does not hold")
    typer.echo(f"ok {man.scheme} root {man.root}: {man.tree.count} claims, every proof "
               "verifies, every file matches the manifest")

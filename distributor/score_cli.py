"""`epochdrop score PROGRAM --data STORE_OR_FOLDER --epoch N --out DIR [--config FILE]`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from epochdrop.runreport import RunReport, runs_dir_for_output


def score(
    program: str = typer.Argument(..., help="Program name (a folder in distributor/programs)."),
    data: Path = typer.Option(..., "--data", help="Store, or folder of <table>.csv/.parquet."),
    epoch: str = typer.Option(..., "--epoch", help="Epoch label (see the program's README)."),
    out: Path = typer.Option(..., "--out", help="Output folder (replaced atomically)."),
    config: Optional[Path] = typer.Option(None, "--config", help="Program config TOML "
                                          "(default: the program's documented defaults)."),
    threads: Optional[int] = typer.Option(None, "--threads", min=1,
                                          help="DuckDB threads (results do not depend on it)."),
    dry: bool = typer.Option(False, "--dry", help="Print the plan (window, params, inputs) "
                                                  "and stop; nothing is read or written."),
    chain: Optional[str] = typer.Option(None, "--chain", help="Read the store's chain=<id> "
                                        "partition (needed when the store holds several)."),
    allow_empty: bool = typer.Option(False, "--allow-empty", help="Write the epoch even when "
                                     "its window holds no input row (manifest: \"empty\": true)."),
) -> None:
    """Score one epoch of a program and write scores, rewards and a manifest."""
    from distributor.runner import prepare, score_epoch
    from epochdrop.fsio import check_out

    check_out(out)   # D28: refuse a folder that is not ours before any work
    if dry:
        _plan(prepare(program, epoch, config), data, out)
        return

    args = {"program": program, "data": str(data), "epoch": epoch, "out": str(out),
            "config": None if config is None else str(config), "threads": threads,
            "chain": chain, "allow_empty": allow_empty}
    with RunReport(runs_dir_for_output(out), "score", args) as report:
        m = score_epoch(program, data, epoch, out, config=config, threads=threads,
                        report=report, chain=chain, allow_empty=allow_empty)
        report.done({"accounts": m.scoring.accounts, "allocated": m.scoring.allocated})
    t = m.scoring
    from distributor.report.token import token_of

    fmt = token_of(m.to_json()).fmt   # people read token units (epochdrop/units.py); files keep base units
    typer.echo(f"{program} epoch {m.epoch.label} "
               f"[{m.epoch.start} → {m.epoch.end}): "
               f"{t.accounts} accounts paid {fmt(t.allocated)} of {fmt(t.budget)} "
               f"(dust {fmt(t.dust)}, unpaid {fmt(t.unpaid)}, "
               f"unallocated {fmt(t.unallocated)}) → {out}")
    for note in t.notes:
        typer.echo(f"note: {note}")


def _plan(prep, data: Path, out: Path) -> None:
    """What a run would do (STYLE 4: print the plan before the work)."""
    import json

    from distributor.programs.params import params_json

    ep = prep.epoch.to_json()
    typer.echo(f"program {prep.spec.name} ({prep.spec.token}), epoch {ep['label']}: "
               f"[{ep['start']} → {ep['end']})")
    typer.echo(f"config {prep.config['name']}; params "
               f"{json.dumps(params_json(prep.params), sort_keys=True)}")
    for t in prep.spec.tables:
        cols = ", ".join(t.columns)
        typer.echo(f"input {t.name}{'' if t.required else ' (optional)'}: {cols} ← {data}")
    typer.echo(f"output {out}/: scores.parquet, rewards.parquet, rewards.csv, manifest.json")


def register(app: typer.Typer) -> None:
    app.command("score")(score)

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
) -> None:
    """Score one epoch of a program and write scores, rewards and a manifest."""
    from distributor.runner import score_epoch

    args = {"program": program, "data": str(data), "epoch": epoch, "out": str(out),
            "config": None if config is None else str(config), "threads": threads}
    with RunReport(runs_dir_for_output(out), "score", args) as report:
        m = score_epoch(program, data, epoch, out, config=config, threads=threads,
                        report=report)
        report.done({"accounts": m["accounts"], "total_amount": m["total_amount"]})
    t = m["totals"]
    typer.echo(f"{program} epoch {m['epoch']['label']} "
               f"[{m['epoch']['start']} → {m['epoch']['end']}): "
               f"{m['accounts']} accounts paid {t['allocated']} of {t['budget']} base units "
               f"{m['token']} (dust {t['dust']}, unpaid {t['unpaid']}, "
               f"unallocated {t['unallocated']}) → {out}")
    for note in m["notes"]:
        typer.echo(f"note: {note}")


def register(app: typer.Typer) -> None:
    app.command("score")(score)

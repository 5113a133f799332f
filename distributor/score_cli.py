"""`epochdrop score PROGRAM --data STORE_OR_FOLDER --epoch N --out DIR [--config FILE]
[--engine duckdb|spark]`.

Also the engine flags every scoring command shares (`score` here; `run`, `verify`, `whatif`
in pipeline/commands.py): `--engine` over the config's `[engine] kind`, `--spark-master`
over its `master` (epochdrop/config.py `engine_from`), and, for Spark, the check that pyspark
and Java are installed, made before anything is written (one line saying what to install).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from epochdrop.config import EngineConfig, engine_from
from epochdrop.runreport import RunReport, runs_dir_for_output

ENGINE_HELP = ("Engine that computes the scores: duckdb (default) or spark (docs/scale.md); "
               "wins over the config's [engine] kind. The outputs are the same bytes on both.")
MASTER_HELP = ("Spark master for --engine spark: local[*], local[N], spark://HOST:PORT or "
               "sc://HOST:PORT (wins over [engine] master; default local[*]).")


def engine_for(kind: str | None, master: str | None, cfg: EngineConfig | None) -> EngineConfig:
    """The engine a command runs on (flags over `[engine]`, else DuckDB). For Spark,
    `require()` runs now, so a missing pyspark or java is one line and exit 2 before any
    output folder or run report exists."""
    engine = engine_from(kind, master, cfg)
    if engine.kind == "spark":
        from distributor.engines.spark.session import require  # only Spark needs pyspark

        require()
    return engine


def score(
    program: str = typer.Argument(..., help="Program name (a folder in distributor/programs)."),
    data: str = typer.Option(..., "--data", help="Store, or folder of <table>.csv/.parquet "
                             "(a path or file:// URL; hdfs:// and s3a:// with --engine spark)."),
    epoch: str = typer.Option(..., "--epoch", help="Epoch label (see the program's README)."),
    out: Path = typer.Option(..., "--out", help="Output folder (replaced atomically)."),
    config: Optional[Path] = typer.Option(None, "--config", help="Program config TOML "
                                          "(default: the program's documented defaults)."),
    threads: Optional[int] = typer.Option(None, "--threads", min=1,
                                          help="DuckDB threads (results do not depend on it)."),
    dry: bool = typer.Option(False, "--dry", help="Print the plan (window, params, inputs; "
                                                  "with --engine spark the Spark SQL that "
                                                  "would run) and stop; nothing is read or "
                                                  "written."),
    chain: Optional[str] = typer.Option(None, "--chain", help="Read the store's chain=<id> "
                                        "partition (needed when the store holds several)."),
    allow_empty: bool = typer.Option(False, "--allow-empty", help="Write the epoch even when "
                                     "its window holds no input row (manifest: \"empty\": true)."),
    engine: Optional[str] = typer.Option(None, "--engine", help=ENGINE_HELP),
    spark_master: Optional[str] = typer.Option(None, "--spark-master", help=MASTER_HELP),
) -> None:
    """Score one epoch of a program and write scores, rewards and a manifest."""
    from distributor.programs import default_config_path
    from distributor.runner import prepare, score_epoch
    from epochdrop.config import load_config
    from epochdrop.fsio import check_out

    check_out(out)   # D28: refuse a folder that is not ours before any work
    cfg = load_config(config if config is not None else default_config_path(program), program)
    if dry:
        # The plan needs no engine: the translation is pure text (sqlglot), no JVM.
        _plan(prepare(program, epoch, config), data, out,
              engine_from(engine, spark_master, cfg.engine))
        return
    eng = engine_for(engine, spark_master, cfg.engine)

    args = {"program": program, "data": data, "epoch": epoch, "out": str(out),
            "config": None if config is None else str(config), "threads": threads,
            "chain": chain, "allow_empty": allow_empty, "engine": engine,
            "spark_master": spark_master}
    with RunReport(runs_dir_for_output(out), "score", args, engine=eng) as report:
        m = score_epoch(program, data, epoch, out, config=config, threads=threads,
                        report=report, chain=chain, allow_empty=allow_empty, engine=eng)
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


def _plan(prep, data: str, out: Path, engine: EngineConfig) -> None:
    """What a run would do (STYLE 4: print the plan before the work). On Spark that
    includes the Spark SQL each of the program's SQL files becomes, so the translation that
    would run can be read (and diffed) before it runs."""
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
    if engine.kind == "spark":
        typer.echo(f"engine spark, master {engine.master}")
        for name, stmts in spark_sql(prep.spec.name):
            typer.echo(f"-- {name}: Spark SQL ({len(stmts)} statement"
                       f"{'' if len(stmts) == 1 else 's'})")
            for s in stmts:
                typer.echo(f"{s};")
    else:
        typer.echo("engine duckdb")


def spark_sql(program: str) -> list[tuple[str, list[str]]]:
    """(file name, Spark SQL statements) for each `.sql` file of the program's folder, in
    name order, as distributor/engines/spark/translate.py turns them (includes inlined)."""
    from distributor.engines.spark.translate import translate_file
    from distributor.programs import program_dir

    folder = program_dir(program)
    return [(f.name, translate_file(f)) for f in sorted(folder.glob("*.sql"))]


def register(app: typer.Typer) -> None:
    app.command("score")(score)

"""The operator's commands: `run`, `verify`, `whatif`, `demo` (issue 7).

Each prints its plan's outcome as a small table on stdout (progress goes to stderr) and
leaves a run report beside its output (cryo's habit, STYLE 3). Errors become one line and
exit 2 (user) or 1 (failure) at the CLI edge (pipeline/cli.py).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator, List, Optional

import typer
from rich.console import Console

from distributor.score_cli import ENGINE_HELP, MASTER_HELP, engine_for
from pipeline.stages import kv_table, out
from epochdrop.errors import UserError
from epochdrop.fsio import check_out, check_store
from epochdrop.runreport import RunReport, runs_dir_for_output

err = Console(stderr=True, soft_wrap=True, highlight=False)


@contextlib.contextmanager
def nothing_left_on_user_error(out: Path) -> Iterator[None]:
    """A user error (exit 2) leaves nothing behind, not even the run report or the empty
    folders made for it: the input was wrong, nothing was done (issue 7, acceptance 6)."""
    made = [p for p in (out, *out.parents) if not p.exists()]
    runs = runs_dir_for_output(out)
    before = set(runs.glob("*")) if runs.exists() else set()
    try:
        yield
    except UserError:
        if runs.exists():
            for f in set(runs.glob("*")) - before:
                f.unlink(missing_ok=True)
            for d in (runs, runs.parent):
                with contextlib.suppress(OSError):
                    d.rmdir()
        for p in made:  # deepest first; only folders this command created, only if empty
            with contextlib.suppress(OSError):
                p.rmdir()
        raise


def _amount(m: dict, key: str = "allocated") -> str:
    """A manifest total in token units (`26,843.58 DHT`), as every table people read shows
    it (epochdrop/units.py); the manifest keeps the base units."""
    from distributor.report.token import token_of

    totals = m.get("totals") or m.get("scoring") or {}
    return token_of(m).fmt(totals.get(key, m.get("total_amount", "0")))


def _root(m: dict) -> str | None:
    t = m.get("tree")
    return (t if isinstance(t, dict) else m).get("root")


def _scheme(m: dict) -> str:
    t = m.get("tree")
    return str((t if isinstance(t, dict) else m).get("scheme") or "none")


def run(
    config: Path = typer.Argument(..., help="Program config TOML (program, [params], [sources], [tree])."),
    epoch: Optional[str] = typer.Option(None, "--epoch", help="Epoch label (default: [sources] epoch)."),
    data: Optional[str] = typer.Option(None, "--data", help="Store or folder of tables, a path or file:// URL (default: [sources] data, else data/store)."),
    out_dir: Optional[Path] = typer.Option(None, "--out", help="Output folder (default: [sources] output / <epoch>)."),
    force: bool = typer.Option(False, "--force", help="Rebuild even when the folder is up to date."),
    allow_empty: bool = typer.Option(False, "--allow-empty", help="Write the epoch even when its window holds no input row (the manifest says \"empty\": true)."),
    engine: Optional[str] = typer.Option(None, "--engine", help=ENGINE_HELP),
    spark_master: Optional[str] = typer.Option(None, "--spark-master", help=MASTER_HELP),
) -> None:
    """Run one program epoch end to end: index, score, allocate, tree, report."""
    from pipeline.run import plan, run_epoch

    from pipeline.run import check_inputs_present

    # Config, params, epoch, engine and missing tables fail here: exit 2, nothing written.
    job = plan(config, epoch, data=data, out=out_dir)
    job.engine = eng = engine_for(engine, spark_master, job.cfg.engine)
    check_out(job.out)   # D28: refuse a folder that is not ours before any work
    check_inputs_present(job)
    args = {"config": str(config), "epoch": epoch, "data": data, "out": out_dir, "force": force,
            "engine": engine, "spark_master": spark_master}
    with nothing_left_on_user_error(job.out), \
            RunReport(runs_dir_for_output(job.out), "run", args, engine=eng) as report:
        o = run_epoch(config, epoch, data=data, out=out_dir, force=force,
                      allow_empty=allow_empty, engine=eng)
        m = o.manifest.to_json()  # the v2 sections as plain JSON (epochdrop/folder)
        report.done({"out": str(o.job.out), "root": _root(m), "fresh": o.fresh})
    from distributor.report.html import window_text

    program = m["program"]["name"] if isinstance(m["program"], dict) else m["program"]
    rows = [("program", str(program)), ("epoch", m["epoch"]["label"]),
            ("window", window_text(m["epoch"])),
            ("accounts", str(m.get("accounts", (m.get("scoring") or {}).get("accounts")))),
            ("paid", f"{_amount(m)} of {_amount(m, 'budget')}"),
            ("unpaid / dust", f"{_amount(m, 'unpaid')} / {_amount(m, 'dust')}"),
            ("scheme", _scheme(m)),
            ("root", str(_root(m) or f"— ({m.get('tree_note') or 'no tree'})")),
            ("output", str(o.job.out)), ("stages", o.stages.timing())]
    out.print(kv_table("up to date: nothing to do" if not o.fresh else "epoch written", rows))


def verify(
    folder: Path = typer.Argument(..., help="An epoch output folder (with manifest.json)."),
    data: Optional[str] = typer.Option(None, "--data", help="Store or folder of tables to rebuild from, a path or file:// URL (default: data/store); with --rpc, where off-chain tables come from."),
    rpc: Optional[str] = typer.Option(None, "--rpc", help="Re-index the manifest's chain sources from this RPC into a scratch store."),
    config: Optional[Path] = typer.Option(None, "--config", help="The agreed config: rebuild with its params and name any that differ."),
    contract: Optional[str] = typer.Option(None, "--contract", help="CumulativeMerkleDistributor address: compare its root (read at --rpc) with the folder's and the rebuild's."),
    engine: Optional[str] = typer.Option(None, "--engine", help="Engine of the rebuild: duckdb (default) or spark; a folder made on either engine verifies on the other (wins over --config's [engine])."),
    spark_master: Optional[str] = typer.Option(None, "--spark-master", help=MASTER_HELP),
) -> None:
    """Rebuild an epoch from public inputs and compare root, totals, accounts, inputs, files."""
    from epochdrop.config import load_config
    from pipeline.verify import verify as do_verify, verify_deployed

    if rpc is not None and rpc != "embedded":
        from epochdrop.urls import check_url
        check_url(rpc, "--rpc")
    args = {"folder": str(folder), "data": data, "rpc": rpc, "config": config,
            "contract": contract, "engine": engine, "spark_master": spark_master}
    if contract is not None and rpc is None:
        raise UserError("--contract needs --rpc: the URL of the chain the distributor is on")
    eng = engine_for(engine, spark_master,
                     load_config(config).engine if config is not None else None)
    with RunReport(runs_dir_for_output(folder), "verify", args, engine=eng) as report:
        if contract is not None:
            diff, m, stages = verify_deployed(folder, contract=contract, rpc=rpc, data=data,
                                              config=config, engine=eng)
        else:
            diff, m, stages = do_verify(folder, data=data, rpc=rpc, config=config, engine=eng)
        (report.done if diff.ok else report.failed)({"lines": diff.lines()})
    for line in diff.lines():
        out.print(line, markup=False)
    verdict = "OK: identical" if diff.ok else "MISMATCH"
    timing = f" ({stages.timing()})" if stages is not None else ""
    out.print(f"{verdict} — {m.program or 'tree'} epoch {m.label}{timing}", markup=False)
    if not diff.ok:
        raise typer.Exit(1)


def whatif(
    program: str = typer.Argument(..., help="Program name."),
    config: Path = typer.Option(..., "--config", help="The program config the options start from."),
    vary: List[str] = typer.Option(..., "--vary", help="NAME=V1,V2,… (repeatable; options are all combinations)."),
    out_dir: Path = typer.Option(..., "--out", help="Output folder for the comparison (replaced atomically)."),
    epoch: Optional[str] = typer.Option(None, "--epoch", help="Epoch label (default: [sources] epoch)."),
    data: Optional[str] = typer.Option(None, "--data", help="Store or folder of tables: a path or file:// URL, or with --engine spark an hdfs:// or s3a:// URL (default: [sources] data)."),
    engine: Optional[str] = typer.Option(None, "--engine", help=ENGINE_HELP),
    spark_master: Optional[str] = typer.Option(None, "--spark-master", help=MASTER_HELP),
) -> None:
    """Run the epoch under each option and compare who gets what (table + plots)."""
    from pipeline.config import load_run_config
    from pipeline.whatif import whatif as do_whatif

    check_out(out_dir)   # D28: refuse a folder that is not ours before any work
    eng = engine_for(engine, spark_master, load_run_config(config).engine)

    args = {"program": program, "config": str(config), "vary": vary, "out": out_dir,
            "epoch": epoch, "data": data, "engine": engine, "spark_master": spark_master}
    with nothing_left_on_user_error(out_dir), \
            RunReport(runs_dir_for_output(out_dir), "whatif", args, engine=eng) as report:
        s = do_whatif(program, config, vary, out_dir, epoch=epoch, data=data, engine=eng)
        report.done({"options": [o["label"] for o in s["options"]]})
    from distributor.report.token import token_of

    tok = token_of({"program": program, "params": s["options"][0].get("params") or {}}
                   if s["options"] else {"program": program})
    rows = [(o["label"], f"paid {tok.fmt(o['totals']['allocated'])} of "
                         f"{tok.fmt(o['totals']['budget'])} to {o['accounts_paid']} accounts")
            for o in s["options"]]
    rows += [("sections", "; ".join(s["sections"])), ("output", f"{out_dir}/whatif.html")]
    out.print(kv_table(f"whatif {program} epoch {s['epoch']}", rows))


def demo(
    out_dir: Path = typer.Option(Path("data/out/demo"), "--out", help="Where the demo writes (git-ignored by default)."),
    small: bool = typer.Option(False, "--small", help="A smaller world (tests)."),
    no_whatif: bool = typer.Option(False, "--no-whatif", help="Skip the four what-if comparisons."),
) -> None:
    """Embedded chain → listener → all programs → trees, reports → verify → what-ifs."""
    from pipeline.demo.main import SMALL, Size, demo as do_demo

    with RunReport(runs_dir_for_output(out_dir), "demo", {"out": out_dir, "small": small}) as report:
        rows = do_demo(out_dir, SMALL if small else Size(), whatifs=not no_whatif)
        report.done([{k: str(v) for k, v in r.items()} for r in rows])
    if not all(r.get("verified") for r in rows):
        raise typer.Exit(1)


def index_config(
    config: Path = typer.Argument(..., help="Program config TOML with [sources] rpc and contracts."),
    store: Optional[Path] = typer.Option(None, "--store", help="Store (default: [sources] data, else data/store)."),
) -> None:
    """The same plan `epochdrop run` uses: the store tables the program.toml declares
    (pipeline/index_step.py: index_plan)."""
    from pipeline.config import load_run_config
    from pipeline.index_step import index_store

    cfg = load_run_config(config)
    s = cfg.sources
    if not s.rpc:
        raise UserError(f"{config}: [sources] rpc is not set: nothing to index from")
    st = store or cfg.resolve(s.data) or Path("data/store")
    check_store(st)
    done = index_store(cfg.program, s.rpc, st, dict(s.contracts), s.from_block, s.to_block,
                       s.confirmations, chain=s.chain_id)
    err.print(f"indexed {', '.join(done['datasets'])} for {cfg.program} on chain "
              f"{done['chain_id']}, blocks {done['from_block']}–{done['to_block']} → {st}",
              markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    app.command("index-config", help="Index every dataset a program config's [sources] names.")(index_config)
    app.command("run")(run)
    app.command("verify")(verify)
    app.command("whatif")(whatif)
    app.command("demo")(demo)

"""`epochdrop run CONFIG --epoch N`: one program epoch, end to end, into its output folder.

index (when `[sources] rpc` is set) → load inputs → score → allocate → tree → report →
manifest. Why it is shaped this way:
- Everything that can be wrong with the config, the epoch label or the inputs is found
  before anything is written (`plan` + loading), so a bad config exits 2 with nothing on
  disk (issue 7, acceptance 6).
- The folder is built in a sibling temp folder and swapped in (`atomic_dir`): a SIGKILL at
  any point leaves the previous output, never half of a new one (DESIGN "Reliability").
- A re-run compares what would go in (input file hashes, params, tree options, previous
  epoch's root, tool version) with the existing manifest and, when nothing changed and the
  folder is intact, does no work.
The manifest has no absolute path and no time (D7); report.html is the one exempt file.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from distributor import runner
from distributor.engines import open_engine
from distributor.inputs import data_location, find_sources
from distributor.outputs import scoring_sections, write_outputs
from distributor.programs.params import params_json
from pipeline import epochs, tree_step
from pipeline.config import RunConfig, load_run_config
from pipeline.stages import Stages
from epochdrop import __version__
from epochdrop.config import EngineConfig, manifest_distributor, manifest_token
from epochdrop.errors import ConfigError, UserError
from epochdrop.fsio import atomic_dir, recover_dir, sha256_file
from epochdrop.folder import (MANIFEST, Distributor, Manifest, Token, read_manifest,
                              write_manifest)

DEFAULT_STORE = Path("data/store")  # D22


@dataclass
class Job:
    """One (program, epoch) resolved and validated; nothing read or written yet."""

    prep: runner.Prepared
    data: Path | str        # a local folder; str: an hdfs:// / s3a:// URL (whatif on Spark)
    out: Path
    scheme: str
    cumulative: bool
    expiry_days: int | None
    cfg: RunConfig | None = None
    index: dict[str, Any] = field(default_factory=dict)  # public source facts for verify
    token: Token | None = None              # what is paid ([token], program defaults)
    distributor: Distributor | None = None  # where the root is published ([distributor])
    allow_empty: bool = False  # an epoch with no input row in its window is intended
    # Where scores are computed (--engine over [engine]); the outputs are the same bytes on
    # both engines, so it is in neither the fingerprint nor the manifest (design §6).
    engine: EngineConfig = field(default_factory=EngineConfig)

    @property
    def program(self) -> str:
        return self.prep.spec.name

    @property
    def label(self) -> str:
        return self.prep.epoch.label

    @property
    def chain(self) -> int | None:
        """The one chain whose store rows this job reads (issue 20): the indexed chain, else
        `[sources] chain_id`; None reads a store holding one chain (two are refused)."""
        c = (self.index or {}).get("chain_id")
        return c if c is not None else (self.cfg.sources.chain_id if self.cfg else None)


def plan(config: str | Path, epoch: str | None = None, *, data: str | Path | None = None,
         out: str | Path | None = None, overrides: dict[str, Any] | None = None,
         engine: EngineConfig | None = None) -> Job:
    """Validate config, params and epoch label (ConfigError = exit 2; nothing written).
    `engine` (resolved from the command's flags) replaces the config's `[engine]`."""
    cfg = load_run_config(config)
    label = epoch if epoch is not None else cfg.sources.epoch
    if label is None:
        raise ConfigError(f"{cfg.path}: no epoch: pass --epoch or set [sources] epoch")
    prep = runner.prepare(cfg.program, str(label), cfg.path, overrides)
    data_dir = data_folder(resolve_data(cfg, data), "run")
    out_dir = Path(out) if out is not None else cfg.output_root() / prep.epoch.label
    token, dist = publish_sections(cfg, prep)
    return Job(prep=prep, data=data_dir, out=out_dir, scheme=cfg.scheme,
               cumulative=cfg.cumulative, expiry_days=cfg.expiry_days, cfg=cfg,
               token=token, distributor=dist,
               engine=engine or cfg.engine or EngineConfig())


def resolve_data(cfg: RunConfig | None, data: str | Path | None) -> Path | str:
    """`--data`, else `[sources] data` (relative to the config file), else data/store: a
    local folder (a path or a file:// URL), or an hdfs:// / s3a:// URL kept as given
    (distributor/inputs.py `data_location`; any other URL is one UserError line)."""
    if data is None and cfg is not None and cfg.sources.data is not None:
        data = cfg.sources.data if "://" in cfg.sources.data else cfg.resolve(cfg.sources.data)
    return DEFAULT_STORE if data is None else data_location(data)


def data_folder(where: Path | str, command: str) -> Path:
    """The local folder `run` and `verify` read. A dataset URL is refused in one line: they
    record each input file's sha256 in the manifest (and a re-run compares them), which needs
    the files on this machine; `score --engine spark` and `whatif --engine spark` read one."""
    if isinstance(where, str):
        raise UserError(f"--data {where}: `{command}` reads a local store (it records each "
                        f"input file's sha256 in the manifest); copy the dataset here, or "
                        f"score it where it is with `epochdrop score … --engine spark "
                        f"--data {where}`")
    return where


def publish_sections(cfg: RunConfig, prep: runner.Prepared
                     ) -> tuple[Token, Distributor | None]:
    """The manifest's `token` and `distributor` from `[token]` / `[distributor]`, with the
    program's token symbol and `[params] decimals` as defaults (docs/design.md §3)."""
    return (manifest_token(cfg, prep.spec.token, getattr(prep.params, "decimals", None)),
            manifest_distributor(cfg))


def check_inputs_present(job: Job) -> None:
    """Every required table has a source (no hashing: a quick check before writing)."""
    if job.cfg is not None and job.cfg.sources.rpc:
        return  # the index stage creates the store's tables
    if isinstance(job.data, str):   # a dataset URL: Spark lists it when loading
        if job.engine.kind != "spark":
            raise UserError(f"--data {job.data}: a {job.data.split(':', 1)[0]}:// URL needs "
                            "--engine spark (DuckDB reads a local path or a file:// URL)")
        return
    if not job.data.is_dir():
        raise UserError(f"data {job.data}: not a folder (give a store or a folder of "
                        f"<table>.csv / <table>.parquet files)")
    for spec in job.prep.spec.tables:
        if spec.required and find_sources(spec, job.data, job.chain) is None:
            raise UserError(f"{job.data}: no input for table {spec.name!r} (expected "
                            f"{spec.name}.csv or {spec.name}.parquet, or a store dataset)")


def input_files(job: Job) -> list[dict[str, Any]]:
    """The input files each table would read now, hashed (the up-to-date check's view)."""
    if not job.data.is_dir():
        raise UserError(f"data {job.data}: not a folder (give a store or a folder of "
                        f"<table>.csv / <table>.parquet files)")
    entries = []
    for spec in job.prep.spec.tables:
        found = find_sources(spec, job.data, job.chain)
        files = found[1] if found else []
        if not files and spec.required:
            raise UserError(f"{job.data}: no input for table {spec.name!r} (expected "
                            f"{spec.name}.csv or {spec.name}.parquet, or a store dataset)")
        entries.append({"table": spec.name, "files": [
            {"name": f.relative_to(job.data).as_posix(), "sha256": sha256_file(f)}
            for f in files]})
    return entries


def fingerprint(job: Job, files: list[dict[str, Any]], previous: Path | None) -> dict[str, Any]:
    """What decides the output bytes; stored in the manifest and compared on a re-run."""
    prev_root = read_manifest(previous).root if previous else None
    return {"tool_version": __version__, "params": params_json(job.prep.params),
            "inputs": [{"table": e["table"], "files": e["files"]} for e in files],
            "tree": tree_options(job), "previous": {
                "epoch": epochs.label_of(previous) if previous else None, "root": prev_root}}


@functools.lru_cache(maxsize=1)
def code_sha256() -> str:
    """sha256 of the code that decides output bytes (every .py/.sql/.toml of the three
    packages): a re-run after a code change rebuilds even when the version string did not
    move, so "up to date" never means "built by older code". Kept in a sidecar beside the
    folder (`built_by`), not in the manifest, so manifests stay equal across checkouts."""
    import hashlib

    import distributor
    import indexer

    h = hashlib.sha256()
    for pkg in (distributor, indexer, __import__("epochdrop")):
        base = Path(list(pkg.__path__)[0])
        for f in sorted(p for ext in ("py", "sql", "toml") for p in base.rglob(f"*.{ext}")):
            if "__pycache__" not in f.parts:
                h.update(f"{pkg.__name__}/{f.relative_to(base).as_posix()}\0".encode())
                h.update(f.read_bytes())
    return h.hexdigest()


def tree_options(job: Job) -> dict[str, Any]:
    return {"scheme": job.scheme, "cumulative": job.cumulative, "expiry_days": job.expiry_days}


def built_by_path(out: Path) -> Path:
    from epochdrop.runreport import runs_dir_for_output

    return runs_dir_for_output(out) / "built_by.json"


def record_built_by(out: Path) -> None:
    """After the swap: which code built the folder whose manifest has this hash."""
    from epochdrop.fsio import atomic_write_json

    atomic_write_json(built_by_path(out), {"code": code_sha256(),
                                           "manifest_sha256": sha256_file(out / MANIFEST)})


def up_to_date(job: Job, fp: dict[str, Any]) -> bool:
    """True when the folder exists, is intact, was built from exactly `fp`, and by this code
    (a missing or stale sidecar just means: rebuild)."""
    import json

    from pipeline.compare import integrity

    recover_dir(job.out)
    if not (job.out / MANIFEST).is_file():
        return False
    try:
        m = read_manifest(job.out)
        built = json.loads(built_by_path(job.out).read_text())
    except (UserError, OSError, ValueError):
        return False
    return (m.fingerprint == fp and m.token == job.token and m.distributor == job.distributor
            and not integrity(job.out, m.to_json())
            and built.get("code") == code_sha256()
            and built.get("manifest_sha256") == sha256_file(job.out / MANIFEST))


@dataclass
class Computed:
    """Scores and payouts in memory: everything up to the first byte written."""

    result: Any
    allocs: dict[str, Any]
    fields: dict[str, Any]


def compute(job: Job, stages: Stages) -> Computed:
    """Load, score, allocate on the job's engine (DuckDB in this process, or Spark), each step
    timed as a stage. Input errors surface here, before any output exists."""
    with open_engine(job.engine, None) as con:
        result, allocs, inputs, empty = runner.compute_on(
            con, job.prep, job.data, job.chain, job.allow_empty, stage=stages.stage)
    fields = runner.manifest_fields(job.prep, result, allocs, inputs)
    if empty:
        fields["empty"] = True   # intended (--allow-empty): the manifest says so
    return Computed(result, allocs, fields)


def write(job: Job, dest: Path, c: Computed, stages: Stages, previous: Path | None,
          fp: dict[str, Any]) -> Manifest:
    """Write every output file of the epoch into the empty folder `dest`; return manifest."""
    with stages.stage("write"):
        write_outputs(dest, c.result, c.allocs, c.fields)
    with stages.stage("tree"):
        tree, note = tree_step.build(dest, job.scheme, cumulative=job.cumulative,
                                     previous=previous, expiry_days=job.expiry_days,
                                     epoch_end=job.prep.epoch.end, token=job.token)
    sections = scoring_sections(c.fields, result_accounts(dest), job.token)
    manifest = Manifest(kind="epoch", **sections, tree=tree, tree_note=note,
                        distributor=job.distributor, fingerprint=fp, index=job.index or None)
    with stages.stage("report"):
        from pipeline.report_step import write_report

        write_report(dest, manifest.to_json(), previous)
    return write_manifest(dest, manifest)


def result_accounts(dest: Path) -> int:
    import pyarrow.parquet as pq

    return pq.read_metadata(dest / "rewards.parquet").num_rows


@dataclass
class Outcome:
    job: Job
    manifest: Manifest
    fresh: bool                 # False: the folder was already up to date
    stages: Stages


def run_epoch(config: str | Path, epoch: str | None = None, *, data: str | Path | None = None,
              out: str | Path | None = None, force: bool = False, show: bool = True,
              stages: Stages | None = None, allow_empty: bool = False,
              engine: EngineConfig | None = None) -> Outcome:
    """The whole `epochdrop run`; raises UserError/ConfigError before writing anything.
    `engine` replaces the config's `[engine]` (None: the config's, else DuckDB)."""
    stages = stages or Stages(show=show)
    with stages:
        with stages.stage("plan"):
            job = plan(config, epoch, data=data, out=out, engine=engine)
            job.allow_empty = allow_empty
        from pipeline import index_step

        if job.cfg is not None and job.cfg.sources.rpc and index_step.reachable(job.cfg.sources.rpc):
            with stages.stage("index"):
                job.index = index_step.index_sources(job)
        else:
            stages.skip("index")
            job.index = index_step.recorded(job.out)
        with stages.stage("hash inputs"):
            files = input_files(job)
            previous = epochs.previous_folder(job.out, job.program, job.prep.epoch)
            fp = fingerprint(job, files, previous)
        if not force and up_to_date(job, fp):
            for s in ("load", "score", "allocate", "write", "tree", "report"):
                stages.skip(s)
            return Outcome(job, read_manifest(job.out), False, stages)
        computed = compute(job, stages)
        with atomic_dir(job.out) as tmp:
            manifest = write(job, tmp, computed, stages, previous, fp)
        record_built_by(job.out)
    return Outcome(job, manifest, True, stages)

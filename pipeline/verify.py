"""`epochdrop verify DIR [--data STORE | --rpc URL] [--config FILE]`: reproduce a published
epoch and say whether it matches.

This is what a third party runs to check an operator (DESIGN "Distribution"). It needs only
the folder and public data: program, epoch, parameters and the tree options come from the
manifest; the inputs come from a store (`--data`), or are re-indexed from an RPC (`--rpc`,
with the block range and contracts the manifest records). With `--config`, the parameters
are taken from that file instead — the agreed config — and any parameter the manifest
states differently is named. The rebuild happens in a private temp folder; nothing next to
DIR is touched. Exit 0 only when the root is identical and every published file is intact.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from distributor import runner
from distributor.programs import load_program
from distributor.programs.params import validate_params
from pipeline import epochs
from pipeline.compare import Diff, compare
from pipeline.run import (DEFAULT_STORE, Job, compute, fingerprint, input_files,
                                      write)
from pipeline.stages import Stages
from epochdrop.errors import UserError
from epochdrop.manifest import read_manifest


def job_from_manifest(folder: Path, m: dict[str, Any], data: Path,
                      config: Path | None = None) -> Job:
    """The Job that produced `m`, rebuilt from the manifest (or from `config`'s params)."""
    program = m.get("program")
    ep = m.get("epoch")
    if not program or not isinstance(ep, dict) or "label" not in ep:
        raise UserError(f"{folder}/manifest.json: not an epoch manifest (no program/epoch); "
                        f"`tree verify` checks a bare tree folder")
    if config is not None:
        prep = runner.prepare(program, ep["label"], config)
    else:
        spec = load_program(program)
        params = validate_params(spec.params, dict(m.get("params") or {}), "manifest.json")
        prep = runner.Prepared(spec, params, spec.epoch(ep["label"], params),
                               dict(m.get("config") or {}))
    tree = (m.get("fingerprint") or {}).get("tree") or {}
    return Job(prep=prep, data=data, out=folder, scheme=tree.get("scheme", m.get("scheme", "none")),
               cumulative=bool(tree.get("cumulative")), expiry_days=tree.get("expiry_days"),
               index=dict(m.get("index") or {}))


def previous_for(folder: Path, m: dict[str, Any], job: Job) -> Path | None:
    """The previous epoch a cumulative root was built on: found beside DIR, checked by root."""
    prev = (m.get("fingerprint") or {}).get("previous") or {}
    found = epochs.previous_folder(folder, job.program, job.prep.epoch)
    if job.cumulative:
        if not prev.get("root"):
            return None
        if found is None or read_manifest(found).get("root") != prev["root"]:
            raise UserError(f"{folder}: cumulative epoch built on previous epoch "
                            f"{prev.get('epoch')} (root {prev['root']}); put that output "
                            f"folder beside it to verify")
    return found


def verify(folder: str | Path, *, data: str | Path | None = None, rpc: str | None = None,
           config: str | Path | None = None, show: bool = True) -> tuple[Diff, dict, Stages]:
    """Rebuild and compare; returns (diff, published manifest, stage timings)."""
    folder = Path(folder)
    m = read_manifest(folder)
    stages = Stages("verify", show=show)
    with stages, tempfile.TemporaryDirectory(prefix="epochdrop-verify-") as scratch:
        scratch = Path(scratch)
        if rpc is not None:
            from pipeline import index_step

            with stages.stage("index"):
                data_dir = index_step.reindex(m, rpc, scratch / "store",
                                              offchain=Path(data) if data is not None else None)
        else:
            data_dir = Path(data) if data is not None else DEFAULT_STORE
        job = job_from_manifest(folder, m, data_dir, Path(config) if config else None)
        job.out = folder
        job.allow_empty = bool(m.get("empty"))   # rebuilt as it was: an intended empty epoch
        previous = previous_for(folder, m, job)
        with stages.stage("hash inputs"):
            fp = fingerprint(job, input_files(job), previous)
        computed = compute(job, stages)
        rebuilt = scratch / "rebuilt"
        rebuilt.mkdir()
        rebuilt_manifest = write(job, rebuilt, computed, stages, previous, fp)
        with stages.stage("compare"):
            diff = compare(folder, m, rebuilt, rebuilt_manifest)
    return diff, m, stages

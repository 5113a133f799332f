"""Score one epoch of one program: config → inputs → score → allocate → output folder.

`score_epoch` is the function `epochdrop score` calls, and `epochdrop run` / `verify` /
`whatif` (issue 7) call it too. The folder is written with `atomic_dir`: after any error
(bad config, bad input) nothing is written. Every output byte depends only on the inputs,
the program and its params (DECISIONS D7, D21): score tables are sorted, floats rounded to
12 significant digits, and payouts are exact integers.
"""

from __future__ import annotations

import contextlib
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, ContextManager

from distributor.allocation import PoolAllocation, allocate
from distributor.engines import EngineConfig, open_engine
from distributor.inputs import check_window, load_inputs
from distributor.outputs import write_outputs
from distributor.programs import default_config_path, load_program
from distributor.programs.params import params_json, read_config, validate_params
from distributor.programs.spec import Epoch, ProgramSpec, ScoreResult
from epochdrop.config import load_config, manifest_token
from epochdrop.errors import InternalError
from epochdrop.fsio import atomic_dir, sha256_file

ZERO_NOTE = "all scores zero → nothing allocated"


@dataclass
class Prepared:
    """A program with its validated params and epoch window, before any data is read."""

    spec: ProgramSpec
    params: Any
    epoch: Epoch
    config: dict[str, str]


def prepare(program: str, epoch: str, config: str | Path | None = None,
            overrides: dict[str, Any] | None = None) -> Prepared:
    """Resolve program, config and epoch; `overrides` replace `[params]` keys (what-if)."""
    spec = load_program(program)
    path = Path(config) if config is not None else default_config_path(program)
    raw = read_config(path, program)
    values = {**spec.schedule(str(epoch)), **raw, **(overrides or {})}
    params = validate_params(spec.params, values, path.name)
    ep = spec.epoch(str(epoch), params)
    return Prepared(spec, params, ep, {"name": path.name, "sha256": sha256_file(path)})


def compute(prep: Prepared, data: str | Path, threads: int | None = None,
            chain: str | int | None = None, allow_empty: bool = False,
            engine: EngineConfig | None = None
            ) -> tuple[ScoreResult, dict[str, PoolAllocation], list[dict[str, Any]], bool]:
    """Load inputs, score and allocate, in memory (no files written). The last item says the
    epoch's window held no input row (allowed only with `allow_empty`; else UserError).
    `engine` says where the SQL runs (default DuckDB; docs/design.md §6): the program gets
    the same connection methods on either engine."""
    with open_engine(engine, threads) as con:
        return compute_on(con, prep, data, chain, allow_empty)


def compute_on(con: Any, prep: Prepared, data: str | Path, chain: str | int | None = None,
               allow_empty: bool = False, stage: Callable[[str], ContextManager] | None = None
               ) -> tuple[ScoreResult, dict[str, PoolAllocation], list[dict[str, Any]], bool]:
    """`compute` on a connection already open (either engine): load, score, allocate.

    `stage(name)` times each step (`run` passes its stage timers: load, score, allocate);
    without it the steps are not timed."""
    stage = stage or (lambda _name: contextlib.nullcontext())
    with stage("load"):
        # Each entry carries the table's order-independent content_sha256 (D10).
        inputs = load_inputs(con, prep.spec.tables, data, chain)
        empty = not check_window(con, prep.spec.tables, prep.epoch, allow_empty)
    with stage("score"):
        result = prep.spec.score(con, prep.params, prep.epoch)
    with stage("allocate"):
        allocs = allocate_pools(result)
    return result, allocs, inputs, empty


def allocate_pools(result: ScoreResult) -> dict[str, PoolAllocation]:
    """Run the allocation engine once per pool over the score table's rows."""
    cols = set(result.table.column_names)
    for need in ("pool", "account", "score"):
        if need not in cols:
            raise InternalError(f"score table lacks column {need!r}")
    pools = {p.name: p for p in result.pools}
    rows: dict[str, dict[str, Any]] = defaultdict(dict)
    caps: dict[str, dict[str, int | None]] = defaultdict(dict)
    elig: dict[str, dict[str, bool]] = defaultdict(dict)
    for r in result.table.to_pylist():
        pool, acct = r["pool"], r["account"]
        if pool not in pools:
            raise InternalError(f"score row in undeclared pool {pool!r}")
        if acct in rows[pool]:
            raise InternalError(f"account {acct} twice in pool {pool!r}")
        rows[pool][acct] = r["score"]
        if r.get("cap") is not None:
            caps[pool][acct] = int(r["cap"])
        if r.get("eligible") is not None:
            elig[pool][acct] = bool(r["eligible"])
    return {name: allocate(p.budget, rows.get(name, {}), p.rule, caps=caps.get(name),
                           eligible=elig.get(name) if "eligible" in cols else None)
            for name, p in sorted(pools.items())}


def manifest_fields(prep: Prepared, result: ScoreResult, allocs: dict[str, PoolAllocation],
                    inputs: list[dict[str, Any]]) -> dict[str, Any]:
    pools = []
    for name, a in allocs.items():
        rule = next(p.rule for p in result.pools if p.name == name)
        pools.append({"pool": name, "budget": str(a.budget), "allocated": str(a.allocated),
                      "dust": str(a.dust), "unpaid": str(a.unpaid),
                      "unallocated": str(a.unallocated), "accounts_paid": len(a.amounts),
                      "removed": dict(sorted(a.removed.items())), "capped": a.capped,
                      "rule": {"rounding": rule.rounding, "threshold": rule.threshold,
                               "excess": rule.excess, "exact": rule.exact}})
    total = {k: str(sum(getattr(a, k) for a in allocs.values()))
             for k in ("budget", "allocated", "dust", "unpaid", "unallocated")}
    notes = list(result.notes)
    if allocs and all(a.unallocated == a.budget and not a.removed for a in allocs.values()):
        notes.insert(0, ZERO_NOTE)
    else:
        notes += unallocated_notes(result, allocs)
    return {
        "program": prep.spec.name,
        "token": prep.spec.token,
        "epoch": prep.epoch.to_json(),
        "config": prep.config,
        "params": params_json(prep.params),
        "inputs": inputs,
        "pools": pools,
        "totals": total,
        "amount_encoding": "decimal string, base units",
        "notes": notes,
        "facts": result.extra,
    }


def unallocated_notes(result: ScoreResult, allocs: dict[str, PoolAllocation]) -> list[str]:
    """One note per pool whose budget went to nobody (`unallocated`: no account with a positive
    score was left), saying why: no account scored in it, every account was removed, or the
    scores left were all zero. Reserve pools (spec.Pool) are skipped: nobody can score there
    and the program's own notes explain their budget."""
    rows = Counter(result.table.column("pool").to_pylist())
    reserve = {p.name for p in result.pools if p.reserve}
    out = []
    for name, a in allocs.items():
        if not a.unallocated or name in reserve:
            continue
        removed = ", ".join(f"{n} {why}" for why, n in sorted(Counter(a.removed.values()).items()))
        if not rows[name]:
            why = "no account scored"
        elif len(a.removed) == rows[name]:
            why = f"every account was removed ({removed})"
        else:
            why = f"{removed} removed, the others scored zero" if removed else "all scores zero"
        out.append(f"pool {name or '(all)'}: {why} → {a.unallocated} base units not allocated")
    return out


def score_epoch(program: str, data: str | Path, epoch: str, out: str | Path,
                config: str | Path | None = None, threads: int | None = None,
                overrides: dict[str, Any] | None = None, report: Any = None,
                chain: str | int | None = None, allow_empty: bool = False,
                engine: EngineConfig | None = None) -> dict[str, Any]:
    """The whole `epochdrop score`: returns the manifest written to `out/manifest.json`.

    The manifest names each input table by its rows' content hash (order-independent), so
    shuffled rows or a store cut into other files give the same bytes (acceptance 4, D10);
    the sha256 of each file read goes to the run report (`report.input`) instead.
    """
    prep = prepare(program, epoch, config, overrides)
    computed = compute(prep, data, threads, chain, allow_empty, engine)
    return write_epoch(prep, computed, out, config, report)


def write_epoch(prep: Prepared, computed: tuple, out: str | Path,
                config: str | Path | None = None, report: Any = None) -> dict[str, Any]:
    """`compute`'s result as the epoch folder `out` (atomic); returns the manifest."""
    result, allocs, inputs, empty = computed
    if report is not None:
        for e in inputs:
            for f in e["files"]:
                report.input(f["name"], f["sha256"])
            if e.get("url"):   # an hdfs:// / s3a:// dataset: Spark listed its files
                report.input(e["url"], "listed by Spark (no local file hashes)")
    inputs = [{"table": e["table"], "rows": e["rows"], "content_sha256": e["content_sha256"]}
              for e in inputs]
    fields = manifest_fields(prep, result, allocs, inputs)
    if empty:
        fields["empty"] = True   # intended (--allow-empty): the manifest says so (issue 20)
    # `[token]` of the same file (the one config reader) reaches the manifest
    cfg = load_config(Path(config) if config is not None else
                      default_config_path(prep.spec.name))
    token = manifest_token(cfg, prep.spec.token, getattr(prep.params, "decimals", None))
    with atomic_dir(out) as tmp:
        manifest = write_outputs(tmp, result, allocs, fields, token)
    return manifest


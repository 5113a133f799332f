"""`epochdrop whatif PROGRAM --config FILE --vary NAME=V1,V2,… --out DIR`: who gets what under
each option, side by side, before a vote.

Each option is the config with some `[params]` keys replaced; it goes through the same
runner as `run` (same validation, same allocation), in memory. Every option is validated
before any is computed, so a bad value exits 2 with nothing written. The output folder
(written whole, `atomic_dir`) holds `comparison.csv`/`.parquet` (one row per account, an
amount and share column per option), `summary.json`, `plots/*.png` and `whatif.html`.
On top of the generic comparison, `whatif_extras` draws what each governance thread asked
for (dHEDGE paid vs unminted per denominator, Mirror yields against premium per cap).
"""

from __future__ import annotations

import itertools
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from distributor import runner
from distributor.programs import load_program
from pipeline.config import load_run_config
from pipeline.run import Job, check_inputs_present, compute, resolve_data
from pipeline.stages import Stages
from epochdrop.config import EngineConfig
from epochdrop.errors import ConfigError
from epochdrop.fsio import atomic_dir


@dataclass
class Option:
    label: str
    overrides: dict[str, Any]
    job: Job | None = None
    amounts: dict[str, int] = field(default_factory=dict)
    fields: dict[str, Any] = field(default_factory=dict)
    scores: pa.Table | None = None


def parse_vary(spec: str, keys: set[str]) -> tuple[str, list[Any]]:
    """`NAME=V1,V2` → (NAME, values); values read as TOML scalars, else kept as text."""
    name, sep, rest = spec.partition("=")
    name = name.strip()
    if not sep or not name or not rest.strip():
        raise ConfigError(f"--vary {spec!r}: write NAME=V1,V2,…")
    if name not in keys:
        raise ConfigError(f"--vary {name}: not a parameter of this program "
                          f"(parameters: {', '.join(sorted(keys))})")
    values = []
    for text in rest.split(","):
        text = text.strip()
        try:
            values.append(tomllib.loads(f"v = {text}")["v"])
        except tomllib.TOMLDecodeError:
            values.append(text)
    return name, values


def _prepare_option(program: str, label: str, config: Path, overrides: dict[str, Any]):
    """runner.prepare, with a bad varied value blamed on its `--vary` flag rather than on
    the config file it never came from (issue 20)."""
    try:
        return runner.prepare(program, label, config, overrides)
    except ConfigError as exc:
        for name, value in overrides.items():
            marker = f"params.{name}: "
            text = str(exc)
            if marker in text:
                raise ConfigError(f"--vary {name}={value}: {text.split(marker, 1)[1]}") from None
        raise


def options_for(varies: list[str], keys: set[str]) -> list[Option]:
    parsed = [parse_vary(v, keys) for v in varies]
    if not parsed:
        raise ConfigError("whatif: give at least one --vary NAME=V1,V2")
    names = [n for n, _ in parsed]
    if len(set(names)) != len(names):
        raise ConfigError("whatif: each parameter may be varied once")
    opts = []
    for combo in itertools.product(*(vals for _, vals in parsed)):
        over = dict(zip(names, combo))
        opts.append(Option(", ".join(f"{k}={v}" for k, v in over.items()), over))
    return opts


def whatif(program: str, config: str | Path, varies: list[str], out: str | Path, *,
           epoch: str | None = None, data: str | Path | None = None,
           show: bool = True, engine: EngineConfig | None = None) -> dict[str, Any]:
    """Compute every option, then write the comparison folder; returns summary.json.
    Each option is computed on `engine` (None: the config's `[engine]`, else DuckDB)."""
    from pipeline import whatif_extras, whatif_write

    cfg = load_run_config(config)
    if cfg.program != program:
        raise ConfigError(f"{config}: config is for program {cfg.program!r}, not {program!r}")
    label = epoch if epoch is not None else cfg.sources.epoch
    if label is None:
        raise ConfigError(f"{config}: no epoch: pass --epoch or set [sources] epoch")
    spec = load_program(program)
    opts = options_for(varies, set(spec.params.model_fields))
    data_dir = resolve_data(cfg, data)   # a local folder, or on Spark a dataset URL
    for o in opts:  # validate all first: nothing is computed or written on a bad value
        prep = _prepare_option(program, str(label), cfg.path, o.overrides)
        o.job = Job(prep=prep, data=data_dir, out=Path(out), scheme="none", cumulative=False,
                    expiry_days=None, cfg=cfg, engine=engine or cfg.engine or EngineConfig())
    check_inputs_present(opts[0].job)
    stages = Stages("whatif", show=show)
    with stages:
        for o in opts:
            c = compute(o.job, stages)
            o.fields = c.fields
            o.amounts = {}
            for a in c.allocs.values():
                for acct, n in a.amounts.items():
                    o.amounts[acct] = o.amounts.get(acct, 0) + n
            from distributor.outputs import scores_table

            o.scores = scores_table(c.result, c.allocs)
        with stages.stage("plots"):
            extras = whatif_extras.extras(program, opts)
        with atomic_dir(out) as tmp:
            summary = whatif_write.write(tmp, program, str(label), opts, extras)
    return summary

"""What `run` takes from a program config beyond `[params]`: `[sources]`, `[tree]`,
`[token]`, `[distributor]`, `[engine]`, with each program's defaults (D20) filled in.

The file is read by the one config reader, `epochdrop/config.py` (its docstring shows every
section); this module adds what only the pipeline knows: which programs exist, their
default scheme / cumulative / expiry, and where outputs go. Relative paths are relative to
the config file, so a config travels with its data.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from epochdrop.config import (DistributorConfig, EngineConfig, Sources, TokenConfig,  # noqa: F401
                              TreeOptions, load_config)
from epochdrop.errors import ConfigError

# D20: the default scheme per program; dYdX's MD1 pays cumulative amounts.
DEFAULT_SCHEME = {"dydx": "packed", "dhedge": "oz", "curve": "none", "jet": "solana",
                  "jet_airdrop": "solana", "mirror": "none"}
DEFAULT_CUMULATIVE = {"dydx": True}
DEFAULT_EXPIRY_DAYS = {"jet": 90, "jet_airdrop": 90}
DEFAULT_OUTPUT = Path("data/out")


class RunConfig(BaseModel):
    """What `run` needs beyond the program's params, with the defaults filled in."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    path: Path
    program: str
    raw: dict[str, Any]
    sources: Sources
    tree: TreeOptions
    token: TokenConfig | None = None
    distributor: DistributorConfig | None = None
    engine: EngineConfig | None = None    # [engine]; a command's --engine wins over it

    @property
    def chain_id(self) -> int | None:
        """The token's chain: `[token] chain_id`, else `[sources] chain_id`."""
        if self.token is not None and self.token.chain_id is not None:
            return self.token.chain_id
        return self.sources.chain_id

    @property
    def scheme(self) -> str:
        return self.tree.scheme or DEFAULT_SCHEME.get(self.program, "oz")

    @property
    def cumulative(self) -> bool:
        if self.tree.cumulative is not None:
            return self.tree.cumulative
        return DEFAULT_CUMULATIVE.get(self.program, False)

    @property
    def expiry_days(self) -> int | None:
        if self.tree.expiry_days is not None:
            return self.tree.expiry_days or None
        return DEFAULT_EXPIRY_DAYS.get(self.program)

    def resolve(self, value: str | None) -> Path | None:
        if value is None:
            return None
        p = Path(value).expanduser()
        return p if p.is_absolute() else Path(os.path.normpath(self.path.parent / p))

    def output_root(self) -> Path:
        return self.resolve(self.sources.output) or (DEFAULT_OUTPUT / self.program)


def load_run_config(path: str | Path) -> RunConfig:
    """Read the TOML (epochdrop/config.py) and check the program exists (params come later)."""
    cfg = load_config(path)
    from distributor.programs import program_names

    if cfg.program not in program_names():
        raise ConfigError(f"{cfg.path}: unknown program {cfg.program!r}; choose one of: "
                          f"{', '.join(program_names())}")
    return RunConfig(path=cfg.path, program=cfg.program, raw=cfg.raw, sources=cfg.sources,
                     tree=cfg.tree, token=cfg.token, distributor=cfg.distributor,
                     engine=cfg.engine)

"""The parts of a program config that only `run` reads: `[sources]` and `[tree]` (D14).

`[params]` belongs to the program (validated by its pydantic model in the runner); this
module validates the rest with the same strictness: unknown keys are errors naming the
allowed ones, so a typo (`sheme`) cannot silently fall back to a default.

    program = "dhedge"
    [params]  ...                      # programs.md keys
    [sources]
    data = "../store"                  # a store or a folder of <table>.csv|.parquet
    rpc = "http://127.0.0.1:8545"      # optional: index before scoring ("embedded" too)
    chain_id = 1
    contracts = { pools = ["0x…"], lockup = "0x…" }
    from_block = 0
    output = "../out/dhedge"           # epochs go to <output>/<epoch>/
    epoch = "2024-01"                  # default for --epoch
    [tree]
    scheme = "oz"                      # default per program (D20)
    cumulative = false
    expiry_days = 90

Relative paths are relative to the config file, so a config travels with its data.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from distributor.programs.params import validate_params
from epochdrop.errors import ConfigError

# D20: the default scheme per program; dYdX's MD1 pays cumulative amounts.
DEFAULT_SCHEME = {"dydx": "packed", "dhedge": "oz", "curve": "none", "jet": "solana",
                  "jet_airdrop": "solana", "mirror": "none"}
DEFAULT_CUMULATIVE = {"dydx": True}
DEFAULT_EXPIRY_DAYS = {"jet": 90, "jet_airdrop": 90}
DEFAULT_OUTPUT = Path("data/out")


class Sources(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    data: str | None = None
    rpc: str | None = None
    chain_id: int | None = Field(None, ge=1)
    contracts: dict[str, str | list[str]] = Field(default_factory=dict)
    from_block: int = Field(0, ge=0)
    to_block: int | None = Field(None, ge=0)
    confirmations: int | None = Field(None, ge=0)
    output: str | None = None
    epoch: str | int | None = None


class TreeOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    scheme: Literal["oz", "uniswap", "packed", "solana", "none"] | None = None
    cumulative: bool | None = None
    expiry_days: int | None = Field(None, ge=0, le=3650)
    leaf: str | None = None


class RunConfig(BaseModel):
    """What `run` needs beyond the program's params, with the defaults filled in."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    path: Path
    program: str
    raw: dict[str, Any]
    sources: Sources
    tree: TreeOptions

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
    """Read the TOML and validate `program`, `[sources]`, `[tree]` (params come later)."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    program = raw.get("program")
    if not isinstance(program, str) or not program:
        raise ConfigError(f"{path}: missing `program = \"<name>\"` at the top")
    from distributor.programs import program_names

    if program not in program_names():
        raise ConfigError(f"{path}: unknown program {program!r}; choose one of: "
                          f"{', '.join(program_names())}")
    sources = _model(Sources, raw.get("sources", {}), path, "sources")
    tree = _model(TreeOptions, raw.get("tree", {}), path, "tree")
    return RunConfig(path=path, program=program, raw=raw, sources=sources, tree=tree)


def _model(model: type[BaseModel], values: Any, path: Path, section: str) -> Any:
    if not isinstance(values, dict):
        raise ConfigError(f"{path}: [{section}] must be a table")
    return validate_params(model, values, str(path), section)

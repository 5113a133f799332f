"""The reward programs, one folder each; discovered by listing the folders.

A folder `distributor/programs/<name>/` holding `program.py` (which defines `PROGRAM`, a
`ProgramSpec`), its `.sql` files, a default `config.toml` and a `README.md` is a program.
Adding a sixth program means adding a folder; nothing here changes. See README.md here.
"""

from __future__ import annotations

import importlib
from functools import lru_cache
from pathlib import Path

from distributor.programs.spec import ProgramSpec
from epochdrop.errors import InternalError, UserError

HERE = Path(__file__).parent


def program_names() -> list[str]:
    """Names of every program folder, sorted."""
    return sorted(p.parent.name for p in HERE.glob("*/program.py")
                  if not p.parent.name.startswith(("_", ".")))


def program_dir(name: str) -> Path:
    return HERE / name


@lru_cache(maxsize=None)
def load_program(name: str) -> ProgramSpec:
    """Import `distributor.programs.<name>.program` and return its `PROGRAM`."""
    names = program_names()
    if name not in names:
        raise UserError(f"unknown program {name!r}; choose one of: {', '.join(names)}")
    module = importlib.import_module(f"distributor.programs.{name}.program")
    spec = getattr(module, "PROGRAM", None)
    if not isinstance(spec, ProgramSpec) or spec.name != name:
        raise InternalError(f"distributor/programs/{name}/program.py must define "
                            f"PROGRAM = ProgramSpec(name={name!r}, ...)")
    return spec


def default_config_path(name: str) -> Path:
    return program_dir(name) / "config.toml"

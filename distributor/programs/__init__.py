"""The reward programs, one folder each; discovered by listing the folders.

A folder holding a `program.toml` (its declaration: tables and their sources; see
declaration.py), its `.sql` files, a default `config.toml` and a `README.md` is a program;
`program.py` is there only when some rule is not SQL. Folders are looked up under
`distributor/programs/` and then under every root of `EPOCHDROP_PROGRAMS_PATH` (`:`-separated),
so a team can keep its programs outside this repository. Adding a program means adding a
folder; nothing here changes (docs/writing-a-program.md).
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import os
from functools import lru_cache
from pathlib import Path

from distributor.programs.declaration import DECLARATION, read_declaration, table_specs
from distributor.programs.spec import ProgramSpec
from distributor.programs.sqlprogram import sql_program
from epochdrop.errors import InternalError, UserError

HERE = Path(__file__).parent
PATH_ENV = "EPOCHDROP_PROGRAMS_PATH"


def program_roots() -> tuple[Path, ...]:
    """The built-in programs folder, then each root of EPOCHDROP_PROGRAMS_PATH."""
    extra = [Path(p) for p in os.environ.get(PATH_ENV, "").split(os.pathsep) if p]
    return (HERE, *extra)


@lru_cache(maxsize=None)
def _folders(roots: tuple[Path, ...]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for root in roots:
        for decl in sorted(root.glob(f"*/{DECLARATION}")):
            name = decl.parent.name
            if name.startswith(("_", ".")):
                continue
            if name in found:
                raise UserError(f"program {name!r} is defined twice: {found[name]} and "
                                f"{decl.parent} (rename one folder)")
            found[name] = decl.parent
    return found


def program_names() -> list[str]:
    """Names of every program folder, sorted."""
    return sorted(_folders(program_roots()))


def program_dir(name: str) -> Path:
    folders = _folders(program_roots())
    if name not in folders:
        raise UserError(f"unknown program {name!r}; choose one of: {', '.join(sorted(folders))}")
    return folders[name]


def load_program(name: str) -> ProgramSpec:
    """The program `name`: its declaration's tables joined to its rules (program.py's
    `PROGRAM`, or the SQL-only runtime when the folder has no program.py)."""
    return _load(program_dir(name))


@lru_cache(maxsize=None)
def _load(folder: Path) -> ProgramSpec:
    name = folder.name
    decl = read_declaration(folder)
    if (folder / "program.py").is_file():
        spec = getattr(_module(folder), "PROGRAM", None)
        if not isinstance(spec, ProgramSpec) or spec.name != name:
            raise InternalError(f"{folder}/program.py must define "
                                f"PROGRAM = ProgramSpec(name={name!r}, ...)")
        if spec.tables:
            raise InternalError(f"{folder}: tables are declared in {DECLARATION}, "
                                f"not in program.py")
        if decl.program.token and spec.token and decl.program.token != spec.token:
            raise InternalError(f"{folder}: token {spec.token!r} in program.py but "
                                f"{decl.program.token!r} in {DECLARATION}")
    else:
        spec = sql_program(folder, decl)
    return dataclasses.replace(spec, tables=table_specs(folder, decl),
                               token=spec.token or decl.program.token,
                               description=spec.description or decl.program.description)


def _module(folder: Path):
    """program.py of a built-in folder as a package module (so it may import its siblings);
    of an extra root, loaded from its file."""
    if folder.parent == HERE:
        return importlib.import_module(f"distributor.programs.{folder.name}.program")
    spec = importlib.util.spec_from_file_location(f"epochdrop_program_{folder.name}",
                                                  folder / "program.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def default_config_path(name: str) -> Path:
    return program_dir(name) / "config.toml"

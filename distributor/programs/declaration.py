"""A program folder's `program.toml`: what the program reads and where each table comes from.

Why a declaration file: before it, a chain-fed program was spread over its folder, an index
plan in the orchestration and a table of store views in the distributor (issue 14). Now the
folder says it once and every stage reads the same words — index planning
(pipeline/index_step.py), loading (distributor/inputs.py), `verify --rpc` and the report —
so adding a folder adds a program (docs/design.md §4, docs/writing-a-program.md). The shape
follows dlt's declared resources (STYLE 9): data, validated by pydantic, no code.

```toml
[program]
name = "holders"                    # = the folder name
token = "HLD"                       # the reward token's symbol (reports, manifest)
description = "one line"

[tables.erc20_transfers]            # one per table the SQL reads, in loading order
source = "store"                    # store | orderbook | import
dataset = "erc20_transfers"         # the store dataset (default: the table's name)
role = "token"                      # store only: the [sources] contracts key to index
chain = "evm"                       # store only: evm (indexed by `run`) | solana
view = "erc20_transfers.view.sql"   # optional: dataset rows (`source_rows`) → this table
required = true                     # false: a missing table is loaded empty
nullable = []                       # required columns whose cells may be empty
checks = { value = [">=0"] }        # the validator (distributor/validate.py rules) per column
intervals = [["valid_from", "valid_to"]]   # (from, to) pairs that must not end before start
refs = { pool = "curve_coins.pool" }       # values that must appear in another table
[tables.erc20_transfers.columns]    # required columns: name = kind (spec.DUCKDB_TYPES)
[tables.erc20_transfers.optional]   # optional columns (NULL when absent)
```

A program whose rules are all SQL also declares `[score]` and `[params]` here and has no
`program.py` (distributor/programs/sqlprogram.py); the others keep their rules in
`program.py` and only their tables here.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from distributor.programs.spec import DUCKDB_TYPES, ColumnKind, TableSource, TableSpec
from distributor.validate import bad_sql
from epochdrop.errors import InternalError

DECLARATION = "program.toml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProgramHead(_Strict):
    name: str
    token: str = ""
    description: str = ""


class TableDecl(_Strict):
    source: Literal["store", "orderbook", "import"]
    dataset: str | None = None
    role: str | None = None
    chain: Literal["evm", "solana"] = "evm"
    view: str | None = None
    required: bool = True
    nullable: tuple[str, ...] = ()
    columns: dict[str, ColumnKind]
    optional: dict[str, ColumnKind] = Field(default_factory=dict)
    checks: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    intervals: tuple[tuple[str, str], ...] = ()
    refs: dict[str, str] = Field(default_factory=dict)
    doc: str = ""

    @field_validator("role")
    @classmethod
    def _role_name(cls, v: str | None) -> str | None:
        if v is not None and not v.isidentifier():
            raise ValueError(f"{v!r} is not a [sources] contracts key")
        return v


class ParamDecl(_Strict):
    """One parameter of a SQL-only program (sqlprogram.py says how each type binds)."""

    type: Literal["amount", "integer", "fraction", "address", "addresses", "text"]
    default: Any = None
    ge: int | None = None        # integer: the least value allowed
    decimals: str = "decimals"   # amount: the integer param giving its token's decimals
    doc: str = ""


class ScoreDecl(_Strict):
    """A SQL-only program's scoring: `sql` creates the table `scores(account, score, …)`."""

    epochs: Literal["calendar-month"]
    sql: str
    budget: str                 # the amount param that is the epoch's budget
    cap: str | None = None      # an optional amount param: per-account payout cap


class Declaration(_Strict):
    program: ProgramHead
    tables: dict[str, TableDecl]
    score: ScoreDecl | None = None
    params: dict[str, ParamDecl] = Field(default_factory=dict)


def read_declaration(folder: Path) -> Declaration:
    """Parse and check `folder/program.toml`; a broken declaration is the author's bug, so it
    is an InternalError naming the file and key (a user's config never reaches here)."""
    path = Path(folder) / DECLARATION
    try:
        raw = tomllib.loads(path.read_text())
        decl = Declaration.model_validate(raw)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InternalError(f"{path}: {exc}") from None
    except ValidationError as exc:
        e = exc.errors()[0]
        key = ".".join(str(p) for p in e["loc"])
        raise InternalError(f"{path}: {key}: {e['msg']}") from None
    if decl.program.name != path.parent.name:
        raise InternalError(f"{path}: program.name {decl.program.name!r} is not the folder's "
                            f"name {path.parent.name!r}")
    for name, t in decl.tables.items():
        if t.source == "store" and t.chain == "evm" and not t.role:
            raise InternalError(f"{path}: tables.{name}: a store table names its contract "
                                f"role (role = \"pools\", \"token\", …)")
        if t.view and not (path.parent / t.view).is_file():
            raise InternalError(f"{path}: tables.{name}.view: no file {t.view}")
        unknown = [c for c in t.nullable if c not in t.columns]
        if unknown:
            raise InternalError(f"{path}: tables.{name}.nullable: {unknown[0]!r} is not "
                                f"a required column")
        cols = {**t.columns, **t.optional}
        named = [*t.checks, *(c for pair in t.intervals for c in pair), *t.refs]
        stray = [c for c in named if c not in cols]
        if stray:
            raise InternalError(f"{path}: tables.{name}: the validator names {stray[0]!r}, "
                                f"which is not a column")
        for rules in t.checks.values():
            for rule in rules:
                try:
                    bad_sql(rule, "x", "VARCHAR")
                except ValueError as exc:
                    raise InternalError(f"{path}: tables.{name}.checks: {exc}") from None
    return decl


def table_specs(folder: Path, decl: Declaration) -> tuple[TableSpec, ...]:
    """The declared tables as the loader's TableSpecs, views read from their files."""
    return tuple(
        TableSpec(name, dict(t.columns), dict(t.optional), t.required, tuple(t.nullable),
                  checks={c: tuple(r) for c, r in t.checks.items()},
                  intervals=tuple(tuple(p) for p in t.intervals), refs=dict(t.refs),
                  source=TableSource(t.source, t.dataset, t.role, t.chain,
                                     (Path(folder) / t.view).read_text() if t.view else None))
        for name, t in decl.tables.items())


assert set(DUCKDB_TYPES) == set(ColumnKind.__args__)  # one list of kinds

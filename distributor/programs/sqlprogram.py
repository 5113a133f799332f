"""A program whose rules are all SQL: declared in `program.toml`, no `program.py`.

The common reward programs (pay holders of a token by time-weighted balance, LPs by
time-weighted liquidity, swappers by volume: Merkl's campaign types) are one query over one
or two tables and a pro-rata split of a budget. For those a folder needs no Python: the
declaration's `[params]` become the pydantic params model, `[score]` names the epoch
schedule, the SQL file and which params are the budget and the per-account cap, and this
module supplies the rest of a `ProgramSpec`. See docs/writing-a-program.md (it walks through
`holders`, the first such program).

Params reach the SQL as bound `$name` values (never formatted into the text): `amount` in
base units as a decimal string (cast it: `CAST($budget AS HUGEINT)`; uint256-sized amounts do
not fit BIGINT), `integer` as an int, `fraction` as a decimal string, `address` as an EIP-55
string ('' when unset), `addresses` as a VARCHAR list of EIP-55 strings, `text` as is. `$start`
and `$end` are the epoch's half-open UTC window (TIMESTAMP). The SQL creates the table
`scores` with `account`, an exact `score` (integer or DECIMAL, never DOUBLE: the payout is
`floor(budget · score / Σscore)` on exact numbers, docs/design.md §5) and any component
columns, which are written to scores.parquet as they are.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import pyarrow as pa
from pydantic import AfterValidator, Field, create_model

from distributor.programs.declaration import Declaration, ParamDecl
from distributor.programs.params import CommonParams, Dec, base_units
from distributor.programs.spec import Epoch, Pool, ProgramSpec, Rule, ScoreResult
from distributor.programs.sql import run_sql_file
from epochdrop.addresses import checksum
from epochdrop.errors import ConfigError, InternalError, UserError


def _address(v: str) -> str:
    if v == "":
        return v
    try:
        return checksum(v)
    except UserError as exc:
        raise ValueError(str(exc)) from None


def _addresses(v: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted({_address(x) for x in v}))


_TYPES: dict[str, Any] = {
    "amount": Dec,
    "integer": int,
    "fraction": Annotated[Dec, Field(ge=0, le=1)],
    "address": Annotated[str, AfterValidator(_address)],
    "addresses": Annotated[tuple[str, ...], AfterValidator(_addresses)],
    "text": str,
}


def params_model(name: str, params: dict[str, ParamDecl]) -> type[CommonParams]:
    """The declared params as a pydantic model over CommonParams (decimals, rounding):
    unknown keys are errors, amounts are exact decimals in token units (D14)."""
    fields: dict[str, Any] = {}
    for key, p in params.items():
        typ = _TYPES[p.type]
        default = p.default
        if default is None:
            typ = typ | None
        elif p.type == "addresses":
            default = tuple(default)
        bounds = {"ge": p.ge} if p.ge is not None else {}
        if p.type == "amount":
            bounds = {"ge": 0}
        fields[key] = (typ, Field(default, description=p.doc, **bounds))
    return create_model(f"{name.title().replace('_', '')}Params", __base__=CommonParams,
                        **fields)


def calendar_month(label: str, name: str) -> Epoch:
    """`YYYY-MM` → [first day of the month, first day of the next) in UTC."""
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", label):
        raise ConfigError(f"--epoch {label!r}: {name} epochs are calendar months, YYYY-MM")
    first = datetime.strptime(label, "%Y-%m")
    nxt = datetime(first.year + first.month // 12, first.month % 12 + 1, 1)
    return Epoch(label=label, start=first, end=nxt)


EPOCHS = {"calendar-month": calendar_month}


def sql_bindings(params: Any, decl: Declaration, epoch: Epoch) -> dict[str, Any]:
    """Every declared param as the SQL sees it (module docstring), plus the window."""
    out: dict[str, Any] = {"start": epoch.start, "end": epoch.end}
    for key, p in decl.params.items():
        v = getattr(params, key)
        if v is None:
            out[key] = None
        elif p.type == "amount":
            out[key] = str(base_units(v, getattr(params, p.decimals), key))
        elif p.type == "fraction":
            out[key] = format(v, "f")
        elif p.type == "addresses":
            out[key] = list(v)
        else:
            out[key] = v
    return out


def sql_program(folder: Path, decl: Declaration) -> ProgramSpec:
    """The ProgramSpec of a folder without program.py (tables are added by load_program)."""
    name, s = decl.program.name, decl.score
    if s is None:
        raise InternalError(f"{folder}: no program.py, so program.toml needs a [score] table")
    for key in (s.budget, s.cap):
        if key is not None and (key not in decl.params or decl.params[key].type != "amount"
                                or decl.params[key].decimals != "decimals"):
            raise InternalError(f"{folder}/program.toml: score names {key!r}, which must be "
                                f"an amount of the reward token in [params]")
    for key, p in decl.params.items():
        if p.type == "amount" and p.decimals != "decimals" and (
                p.decimals not in decl.params or decl.params[p.decimals].type != "integer"):
            raise InternalError(f"{folder}/program.toml: params.{key}.decimals names "
                                f"{p.decimals!r}, which must be an integer param")
    sql = folder / s.sql
    if not sql.is_file():
        raise InternalError(f"{folder}/program.toml: score.sql: no file {s.sql}")

    def score(con, params, epoch: Epoch) -> ScoreResult:
        run_sql_file(con, sql, sql_bindings(params, decl, epoch))
        table = con.sql("SELECT * FROM scores ORDER BY account").to_arrow_table()
        for need in ("account", "score"):
            if need not in table.column_names:
                raise InternalError(f"{sql.name}: the table scores lacks column {need!r}")
        if pa.types.is_floating(table.schema.field("score").type):
            raise InternalError(f"{sql.name}: scores.score is {table.schema.field('score').type}; "
                                f"scores are exact (integer or DECIMAL)")
        table = table.add_column(0, "pool", pa.array([""] * table.num_rows, pa.string()))
        cap = getattr(params, s.cap) if s.cap else None
        if cap is not None:
            units = str(base_units(cap, params.decimals, s.cap))
            table = table.append_column("cap", pa.array([units] * table.num_rows, pa.string()))
        budget = base_units(getattr(params, s.budget), params.decimals, s.budget)
        return ScoreResult(table, [Pool("", budget, Rule(rounding=params.rounding))])

    return ProgramSpec(name=name, token=decl.program.token, params=params_model(name, decl.params),
                       epoch=lambda label, params: EPOCHS[s.epochs](label, name), score=score,
                       description=decl.program.description)


__all__ = ["EPOCHS", "calendar_month", "params_model", "sql_bindings", "sql_program"]

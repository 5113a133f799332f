"""What a reward program declares, and what its `score` hands back to the runner.

A program is a folder (`distributor/programs/<name>/`) whose `program.py` builds one
`ProgramSpec` named `PROGRAM`: plain data plus three plain functions. The runner owns
execution (load config → inputs → score → allocate → write); the program owns only its
rules. Modelled on dlt's "declared, not coded" resources (STYLE 9). The contract is
written down in `distributor/programs/README.md`; keep the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Callable, Literal

import pyarrow as pa
from pydantic import BaseModel

from epochdrop.errors import ConfigError

# Column kinds of the canonical tables (programs.md, last section) and their DuckDB types.
#   str  – text (accounts, markets, ids)        int  – integer in base units (HUGEINT)
#   dec  – exact decimal (DECIMAL(38,18))        time – UTC timestamp (TIMESTAMP)
#   date – calendar day (DATE)                   n    – small integer count/index (BIGINT)
#   bool – true/false (BOOLEAN)
ColumnKind = Literal["str", "int", "dec", "time", "date", "n", "bool"]
DUCKDB_TYPES: dict[str, str] = {
    "str": "VARCHAR", "int": "HUGEINT", "dec": "DECIMAL(38,18)",
    "time": "TIMESTAMP", "date": "DATE", "n": "BIGINT", "bool": "BOOLEAN",
}


@dataclass(frozen=True)
class TableSource:
    """Where a table's rows come from, as the program's `program.toml` declares it
    (docs/design.md §4, docs/writing-a-program.md).

    kind    – `store`: a listener dataset indexed from the chain by `run` / `verify --rpc`
              (from the `[sources] contracts.<role>` addresses); `orderbook`: the lifetimes an
              order-book feed (or `generate`) writes; `import`: files or imported datasets.
    dataset – the store dataset read (the table's own name when not given).
    role    – `store` only: the `[sources] contracts` key naming the contracts to index.
    chain   – `store` only: `evm` (indexed by `run` through the EVM listener) or `solana`
              (written by `epochdrop solana index` / `solana governance`).
    view    – SQL (text of the program's `*.view.sql`) turning the dataset's rows, named
              `source_rows`, into the table; None when the dataset already has its shape.
    """

    kind: Literal["store", "orderbook", "import"] = "import"
    dataset: str | None = None
    role: str | None = None
    chain: Literal["evm", "solana"] = "evm"
    view: str | None = None


@dataclass(frozen=True)
class TableSpec:
    """A canonical input table: required columns (error when absent or empty, unless listed
    in `nullable`) and optional ones (NULL when absent). Extra input columns are ignored.
    Built from `program.toml` by distributor/programs/declaration.py."""

    name: str
    columns: dict[str, ColumnKind]
    optional: dict[str, ColumnKind] = field(default_factory=dict)
    required: bool = True  # False: the whole table may be missing (an empty table is made)
    nullable: tuple[str, ...] = ()  # required columns whose cells may be empty (NULL)
    # The table's validator (issue 20), beyond the column kinds: per column a tuple of rules
    # from `distributor/validate.py` RULES (">=0", ">0", "evm_address", "solana_pubkey",
    # "terra_address", "one_of:A|B"), and (from, to) column pairs that must not end before
    # they start. Checked wherever the table comes from (store, CSV/Parquet folder).
    checks: dict[str, tuple[str, ...]] = field(default_factory=dict)
    intervals: tuple[tuple[str, str], ...] = ()
    # column → "table.column" whose values it must be among (case-insensitive), e.g. every
    # swapped pool has coins: a truncated address is then blamed on the row that holds it
    refs: dict[str, str] = field(default_factory=dict)
    source: TableSource = field(default_factory=TableSource)

    @property
    def dataset(self) -> str:
        """The store dataset the declared source reads."""
        return self.source.dataset or self.name


@dataclass(frozen=True)
class Epoch:
    """An epoch label resolved to its half-open UTC window [start, end)."""

    label: str
    start: datetime  # naive, UTC
    end: datetime    # naive, UTC, exclusive
    index: int | None = None  # the epoch number where the schedule counts epochs

    def to_json(self) -> dict[str, Any]:
        return {"label": self.label, "start": self.start.isoformat() + "Z",
                "end": self.end.isoformat() + "Z", "index": self.index}


def day_label(label: str, expected: str) -> date:
    """An epoch label that names a day (`YYYY-MM-DD`); `expected` completes the error."""
    try:
        return date.fromisoformat(label)
    except ValueError:
        raise ConfigError(f"--epoch {label!r}: {expected}") from None


@dataclass(frozen=True)
class Rule:
    """How one pool's budget becomes integer payouts (programs.md, "Allocation").

    rounding  – `dust`: floor each share, keep the leftover units undistributed;
                `largest_remainder`: hand leftover units out by largest fractional part,
                ties broken by account (ascending).
    threshold – accounts whose share of the pool's score is not above this fraction (share
                ≤ threshold, compared exactly: the seeds say "exceeding", D30) are removed
                before shares are computed (None = no threshold).
    excess    – with per-account caps: `unpaid` leaves the excess undistributed,
                `redistribute` water-fills it over the uncapped accounts.
    exact     – the score *is* the payout in base units (e.g. Mirror's reward index replays
                the contract's own arithmetic); the engine checks Σ ≤ budget.
    """

    rounding: Literal["dust", "largest_remainder"] = "dust"
    threshold: str | None = None  # a decimal string, e.g. "0.0025"
    excess: Literal["unpaid", "redistribute"] = "unpaid"
    exact: bool = False


@dataclass(frozen=True)
class Pool:
    """A separately allocated budget (base units): one per market, side, or the whole program.

    `reserve`: a pool no account can score in by design (dYdX's `(unassigned)` remainder of the
    emission). Its budget stays unallocated, the program's own notes say why, and the runner
    adds no "nobody was paid from this pool" note for it.
    """

    name: str
    budget: int
    rule: Rule
    reserve: bool = False


@dataclass
class ScoreResult:
    """What `score` returns.

    table – one row per (pool, account) with columns `pool` (str), `account` (str), `score`
            (exact: a decimal string, DECIMAL or integer — never a float, issue 15), optionally `eligible` (bool: False removes
            the row before shares) and `cap` (decimal string or int, base units; NULL = no
            cap), plus every component that explains the score (any names, any types).
    pools – every pool named in `table.pool`, with its budget and rule; pools with no rows
            are allowed (their budget stays undistributed, stated in the manifest).
    notes – sentences for the manifest (e.g. pending Mirror rewards carried over).
    """

    table: pa.Table
    pools: list[Pool]
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # JSON-able facts for the manifest


@dataclass(frozen=True)
class ProgramSpec:
    """The declaration each `program.py` makes as `PROGRAM = ProgramSpec(...)`.

    name      – the public program name (= its folder name).
    token     – the reward token's symbol; `decimals` in params converts token units.
    params    – pydantic model (extra="forbid") with the documented defaults.
    tables    – the canonical tables `score` reads, with their columns and sources: filled
                from the folder's `program.toml` by `load_program` (a program.py leaves it
                empty; tests may build specs with tables directly).
    schedule  – label → params fixed by the epoch (dYdX formula, emission …); the config
                overrides them. Raise ConfigError for labels the schedule does not allow.
    epoch     – (label, params) → Epoch window. Raise ConfigError on a bad label.
    score     – (con, params, epoch) → ScoreResult, reading the tables loaded in `con`.
    """

    name: str
    token: str
    params: type[BaseModel]
    epoch: Callable[[str, Any], Epoch]
    score: Callable[[Any, Any, Epoch], ScoreResult]
    tables: tuple[TableSpec, ...] = ()
    schedule: Callable[[str], dict[str, Any]] = lambda label: {}
    description: str = ""

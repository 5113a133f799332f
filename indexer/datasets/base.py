"""Dataset declarations: the one place a dataset's name, columns, key and source are said.

Why declarations: the listener, the Parquet schema, the importer's validation (issue 5) and
the docs all come from the same object, so they cannot drift (DESIGN "The store", STYLE 1 —
cryo declares each dataset once in `crates/freeze/src/datasets/*.rs`).

How to declare one (a module per dataset in `indexer/datasets/`, one line in the registry):

    DATASET = Dataset(
        name="erc20_transfers",
        kind="events",                      # events | snapshot | blocks | offchain | solana
        columns=EVM_LOG_COLUMNS + (
            Column("from_address", T.ADDRESS),
            Column("value", T.UINT256),
            Column("memo", T.STRING, nullable=True, doc="why it exists"),
        ),
        key=("block_number", "log_index"),  # unique per chain; rows are sorted by it
        position="block_number",            # the column chunk ranges and rollbacks use
        events=(EventSpec(abi=...),),       # EVM events only
        doc="One line for the docs.",
    )

A snapshot dataset (kind="snapshot") also names, in `reads`, the event datasets of the same
contracts whose rows say whom to read, e.g. `reads=("vdht_locks",)`; they are indexed first:

    DATASET = Dataset(..., kind="snapshot", reads=("vdht_locks",), ...)

Column types and how they are stored in Parquet (DECISIONS D9; DuckDB has no 256-bit
integer, so big integers are exact decimal strings):

| type        | Arrow type               | Python value accepted by `coerce`            |
|-------------|--------------------------|----------------------------------------------|
| address     | string (EIP-55)          | 0x + 40 hex, EIP-55-checked (epochdrop/addresses) |
| uint256     | string (decimal digits)  | int or digit string, 0 ≤ v < 2**256          |
| int256      | string (signed decimal)  | int or string, −2**255 ≤ v < 2**255          |
| int         | int64                    | int (or digit string)                         |
| decimal     | string (exact decimal)   | Decimal/int/str like "-12.5" (no exponent)    |
| string      | string                   | str                                          |
| hex         | string (0x lowercase)    | hashes and raw bytes                          |
| timestamp   | timestamp[us, UTC]       | datetime (aware), or int seconds since epoch  |
| date        | date32                   | date or "YYYY-MM-DD"                          |
| bool        | bool                     | bool                                          |
| json        | string (canonical JSON)  | any JSON-able value (e.g. tuple arrays)       |
| pubkey      | string (base58)          | base58 text of exactly 32 bytes (Solana)      |
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from enum import Enum
from typing import Any, Callable

import pyarrow as pa
from epochdrop.addresses import checksum


class T(str, Enum):
    """Column types (see the module docstring for the storage of each)."""

    ADDRESS = "address"
    UINT256 = "uint256"
    INT256 = "int256"
    INT = "int"
    DECIMAL = "decimal"
    STRING = "string"
    HEX = "hex"
    TIMESTAMP = "timestamp"
    DATE = "date"
    BOOL = "bool"
    JSON = "json"
    PUBKEY = "pubkey"


ARROW_TYPES: dict[T, pa.DataType] = {
    T.ADDRESS: pa.string(), T.UINT256: pa.string(), T.INT256: pa.string(), T.INT: pa.int64(),
    T.DECIMAL: pa.string(), T.STRING: pa.string(), T.HEX: pa.string(),
    T.TIMESTAMP: pa.timestamp("us", tz="UTC"), T.DATE: pa.date32(), T.BOOL: pa.bool_(),
    T.JSON: pa.string(), T.PUBKEY: pa.string(),
}

_DIGITS = re.compile(r"^[0-9]+$")
_SIGNED = re.compile(r"^-?[0-9]+$")
_DECIMAL = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")
_HEX = re.compile(r"^0x[0-9a-fA-F]*$")


def coerce(t: T, value: Any) -> Any:
    """Turn a raw value into the Python value stored for type `t`; ValueError says why not.

    Used by the importer to validate rows and by tests; never converts through float.
    """
    if value is None:
        return None
    if t is T.ADDRESS:
        return checksum(value)  # AddressError is a ValueError
    if t in (T.UINT256, T.INT256, T.INT):
        if isinstance(value, bool) or isinstance(value, float):
            raise ValueError(f"not an integer: {value!r}")
        if isinstance(value, str):
            if not _SIGNED.match(value):
                raise ValueError(f"not an integer: {value!r}")
            value = int(value)
        if not isinstance(value, int):
            raise ValueError(f"not an integer: {value!r}")
        lo, hi = {T.UINT256: (0, 2**256), T.INT256: (-(2**255), 2**255),
                  T.INT: (-(2**63), 2**63)}[t]
        if not lo <= value < hi:
            raise ValueError(f"out of range for {t.value}: {value}")
        return value if t is T.INT else str(value)
    if t is T.DECIMAL:
        if isinstance(value, float) or isinstance(value, bool):
            raise ValueError(f"floats are not exact decimals: {value!r}")
        text = format(value, "f") if isinstance(value, Decimal) else str(value)
        if not _DECIMAL.match(text):
            raise ValueError(f"not an exact decimal: {value!r}")
        return text
    if t is T.STRING:
        if not isinstance(value, str):
            raise ValueError(f"not a string: {value!r}")
        return value
    if t is T.HEX:
        if not isinstance(value, str) or not _HEX.match(value):
            raise ValueError(f"not 0x hex: {value!r}")
        return value.lower()
    if t is T.TIMESTAMP:
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise ValueError(f"timestamp without a time zone: {value!r}")
            return value.astimezone(timezone.utc)
        if isinstance(value, int) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, timezone.utc)
        raise ValueError(f"not a timestamp: {value!r}")
    if t is T.DATE:
        if isinstance(value, datetime):
            raise ValueError(f"a date, not a datetime, is expected: {value!r}")
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            return date.fromisoformat(value)
        raise ValueError(f"not a date: {value!r}")
    if t is T.BOOL:
        if not isinstance(value, bool):
            raise ValueError(f"not a bool: {value!r}")
        return value
    if t is T.PUBKEY:
        if not isinstance(value, str) or not _is_pubkey(value):
            raise ValueError(f"not a base58 Solana pubkey (32 bytes): {value!r}")
        return value
    if t is T.JSON:
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    raise ValueError(f"unknown type {t!r}")


def _is_pubkey(text: str) -> bool:
    import base58

    try:
        return len(base58.b58decode(text)) == 32 and 32 <= len(text) <= 44
    except ValueError:
        return False


@dataclass(frozen=True)
class Column:
    name: str
    type: T
    nullable: bool = False
    doc: str = ""


@dataclass(frozen=True)
class EventSpec:
    """One EVM event a dataset decodes.

    `abi` is the event's ABI entry (from `contracts_abi/`). Decoded arguments become columns
    by snake_case name unless `rename` maps them; `constants` adds fixed columns (e.g. which
    event variant). `topics` pins the topic count when two events share a topic0 (ERC-20 vs
    ERC-721 Transfer: same signature, different `indexed`); by default it is 1 + #indexed.
    """

    abi: dict
    rename: dict[str, str] = field(default_factory=dict)
    constants: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.abi["name"]


@dataclass(frozen=True)
class Dataset:
    name: str
    kind: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    doc: str
    position: str | None = "block_number"
    events: tuple[EventSpec, ...] = ()
    # Snapshot datasets: the event datasets (of the same contracts) whose rows name the
    # accounts to read. Index planning (pipeline/index_step.py) indexes them first, and the
    # snapshot listener refuses to run ahead of them (indexer/evm/snapshots.py).
    reads: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    snapshot: Any = None      # snapshot datasets: their reads (indexer/datasets/reads.py)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def arrow_schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, ARROW_TYPES[c.type], nullable=c.nullable)
                          for c in self.columns],
                         metadata={b"epochdrop.dataset": self.name.encode(),
                                   b"epochdrop.format": b"epochdrop-dataset-v1"})

    def table(self, rows: dict[str, list], *, sort: bool = False) -> pa.Table:
        """Columns (lists of stored Python values) → an Arrow table with this schema;
        `sort=True` orders the rows by `key` (Arrow's sort, stable)."""
        schema = self.arrow_schema()
        t = pa.Table.from_arrays([pa.array(rows[f.name], type=f.type) for f in schema],
                                 schema=schema)
        return t.sort_by([(k, "ascending") for k in self.key]) if sort else t


# Every EVM log row starts with these (DESIGN "The store").
EVM_LOG_COLUMNS: tuple[Column, ...] = (
    Column("chain_id", T.INT),
    Column("block_number", T.INT),
    Column("block_hash", T.HEX),
    Column("block_time", T.TIMESTAMP, nullable=True,
           doc="always set by the listener; null only in `decode` output of logs without blockTimestamp"),
    Column("tx_hash", T.HEX),
    Column("log_index", T.INT),
    Column("contract", T.ADDRESS),
)
EVM_LOG_KEY = ("block_number", "log_index")

# Snapshot rows (eth_call at a block) start with these.
EVM_SNAPSHOT_COLUMNS: tuple[Column, ...] = (
    Column("chain_id", T.INT),
    Column("day", T.DATE, doc="UTC day whose 00:00 the block is the first at or after"),
    Column("block_number", T.INT),
    Column("block_hash", T.HEX),
    Column("block_time", T.TIMESTAMP),
)

Transform = Callable[[dict], dict]


ABI_DIR = __import__("pathlib").Path(__file__).resolve().parents[2] / "contracts_abi"


def abi_entry(file: str, name: str, kind: str = "event") -> dict:
    """The ABI entry `name` from `contracts_abi/<file>` (the ABIs the product reads)."""
    for e in json.loads((ABI_DIR / file).read_text()):
        if e.get("type") == kind and e.get("name") == name:
            return e
    raise KeyError(f"{kind} {name} not in contracts_abi/{file}")

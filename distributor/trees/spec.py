"""A declared leaf and tree (issue 16): what a distributor contract checks, as data.

The four built-in schemes (oz, uniswap, packed, solana) each fix one leaf and one tree.
Distributors that teams actually run use others — Merkl's abi.encode(user, token, amount),
Threshold's three packed fields, Morpho's unsorted leaves, Badger's arrays, ENS's sharded
tree — so a spec names the leaf's ABI fields, their encoding and hash, and the tree's
leaf order, odd-node rule, dedupe and sharding (docs/trees.md has each as a spec).

A spec is read from TOML (`tree build --spec SPEC.toml`) or is a named preset
(`--scheme merkl`), validated here once, and recorded whole in the manifest (`to_dict`),
so `tree check` and `verify` rebuild a folder from the folder alone. Every refusal is one
line naming the key (`[tree] shards: …`).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from epochdrop.errors import UserError

ENCODINGS = ("abi", "packed")
HASHES = ("keccak", "double-keccak")
LEAF_ORDERS = ("sorted", "input")
ODD = ("promote", "duplicate")
LAYOUTS = ("levels", "heap")
RESERVED = ("proof", "leaf")  # proofs.parquet column names a leaf field cannot take

_INT = re.compile(r"(u?)int(\d*)")
_BYTES = re.compile(r"bytes(\d+)")


@dataclass(frozen=True)
class AbiType:
    """One ABI type of the grammar the issue names: address, uint<N>, int<N>, bytes<N>,
    bool, string, and dynamic arrays of the static ones (`address[]`, `uint256[]`)."""
    base: str            # address | uint | int | bytes | bool | string
    bits: int = 0        # uint/int bits, bytes<N> byte count
    array: bool = False

    @property
    def name(self) -> str:
        b = {"uint": f"uint{self.bits}", "int": f"int{self.bits}",
             "bytes": f"bytes{self.bits}"}.get(self.base, self.base)
        return b + ("[]" if self.array else "")

    @property
    def dynamic(self) -> bool:
        return self.array or self.base == "string"


def parse_type(text: str) -> AbiType | None:
    """ABI type text -> AbiType, or None when it is not in the grammar."""
    if not isinstance(text, str):
        return None
    t = text.strip()
    array = t.endswith("[]")
    if array:
        t = t[:-2]
    if t in ("address", "bool", "string"):
        if array and t == "string":
            return None  # string[]: not in the grammar (no distributor uses it)
        return AbiType(t, 0, array)
    m = _INT.fullmatch(t)
    if m:
        bits = int(m.group(2) or 256)
        if bits % 8 or not 8 <= bits <= 256 or (m.group(2) or "").startswith("0"):
            return None
        return AbiType("uint" if m.group(1) else "int", bits, array)
    m = _BYTES.fullmatch(t)
    if m and 1 <= int(m.group(1)) <= 32 and not m.group(1).startswith("0"):
        return AbiType("bytes", int(m.group(1)), array)
    return None


@dataclass(frozen=True)
class Field:
    name: str   # the input column (matched exactly)
    type: AbiType


@dataclass(frozen=True)
class TreeSpec:
    fields: tuple[Field, ...]
    encoding: str = "abi"
    hash: str = "keccak"
    leaves: str = "sorted"
    odd: str = "promote"
    layout: str = "levels"
    dedupe: bool = False
    shards: int = 0
    shard_by: str | None = None
    account: str = "account"
    amount: str | None = "amount"
    sum_by: tuple[str, ...] = ()
    keep_zero: bool = True
    preset: str | None = None  # the preset's name when it came from `--scheme NAME`

    @property
    def name(self) -> str:
        """The manifest's `scheme`: the preset's name, or "spec"."""
        return self.preset or "spec"

    @property
    def types(self) -> list[str]:
        return [f.type.name for f in self.fields]

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    def to_dict(self) -> dict:
        """The spec as its TOML tables (what the manifest records, and `parse_spec` reads back)."""
        return {
            "leaf": {"fields": [[f.name, f.type.name] for f in self.fields],
                     "encoding": self.encoding, "hash": self.hash},
            "tree": {"leaves": self.leaves, "odd": self.odd, "layout": self.layout,
                     "dedupe": self.dedupe, "shards": self.shards, "shard_by": self.shard_by},
            "claims": {"account": self.account, "amount": self.amount,
                       "sum_by": list(self.sum_by), "keep_zero": self.keep_zero},
        }


# Named presets are the spec files in presets/ (docs/trees.md shows each): `--scheme merkl`
# and the other distributors' leaves. oz, uniswap and packed are there as specs too, for
# the docs and tests, but `--scheme oz|uniswap|packed` keeps their own fast builders.
PRESET_DIR = Path(__file__).resolve().parent / "presets"
BUILT_IN = ("oz", "uniswap", "packed", "solana")
PRESETS: tuple[str, ...] = tuple(sorted(p.stem for p in PRESET_DIR.glob("*.toml")
                                        if p.stem not in BUILT_IN))


def preset(name: str) -> TreeSpec:
    """A named preset (`--scheme NAME`)."""
    return parse_spec(_toml(PRESET_DIR / f"{name}.toml", f"preset {name}"), f"preset {name}",
                      preset=name)


def spec_file(name: str) -> Path:
    """presets/NAME.toml, also for the built-in schemes written as specs."""
    return PRESET_DIR / f"{name}.toml"


def load_spec(path: str | Path) -> TreeSpec:
    return parse_spec(_toml(Path(path), f"--spec {path}"), str(path))


def _toml(path: Path, what: str) -> dict:
    try:
        return tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise UserError(f"{what}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{what}: cannot read it ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{what}: not valid TOML ({' '.join(str(exc).split())})") from None


def parse_spec(data: dict, source: str, *, preset: str | None = None) -> TreeSpec:
    """Validate the TOML tables; any problem is one UserError naming `[table] key`."""
    def bad(key: str, msg: str) -> UserError:
        return UserError(f"{source}: {key}: {msg}")

    def table(name: str) -> dict:
        t = data.get(name, {})
        if not isinstance(t, dict):
            raise bad(f"[{name}]", "must be a table")
        return t

    for k in data:
        if k not in ("leaf", "tree", "claims"):
            raise bad(f"[{k}]", "unknown table; a spec has [leaf], [tree] and [claims]")
    leaf, tree, claims = table("leaf"), table("tree"), table("claims")
    allowed = {"leaf": ("fields", "encoding", "hash"),
               "tree": ("leaves", "odd", "layout", "dedupe", "shards", "shard_by"),
               "claims": ("account", "amount", "sum_by", "keep_zero")}
    for name, t in (("leaf", leaf), ("tree", tree), ("claims", claims)):
        for k in t:
            if k not in allowed[name]:
                raise bad(f"[{name}] {k}", f"unknown key; [{name}] has {', '.join(allowed[name])}")

    def choice(t: dict, name: str, key: str, options: tuple, default: str) -> str:
        v = t.get(key, default)
        if v not in options:
            raise bad(f"[{name}] {key}", f"{v!r} is not one of {', '.join(map(repr, options))}")
        return v

    def flag(t: dict, name: str, key: str, default: bool) -> bool:
        v = t.get(key, default)
        if not isinstance(v, bool):
            raise bad(f"[{name}] {key}", f"{v!r} is not true or false")
        return v

    def column(t: dict, name: str, key: str, default):
        v = t.get(key, default)
        if v is not None and (not isinstance(v, str) or not v):
            raise bad(f"[{name}] {key}", f"{v!r} is not a column name")
        return v

    raw = leaf.get("fields")
    if not isinstance(raw, list) or not raw:
        raise bad("[leaf] fields", "give a list of [column, ABI type] pairs, e.g. "
                  '[["account", "address"], ["amount", "uint256"]]')
    fields: list[Field] = []
    for item in raw:
        pair = isinstance(item, list) and len(item) == 2
        if not (pair and all(isinstance(x, str) for x in item)):
            raise bad("[leaf] fields", f"{item!r} is not a [column, ABI type] pair")
        t = parse_type(item[1])
        if t is None:
            raise bad("[leaf] fields", f"unknown type {item[1]!r} for {item[0]!r} (address, "
                      "uint<N>, int<N>, bytes<N>, bool, string, or an array of the static ones)")
        if item[0] in RESERVED:
            raise bad("[leaf] fields", f"{item[0]!r} is reserved for proofs.parquet; rename "
                      "the column")
        if any(f.name == item[0] for f in fields):
            raise bad("[leaf] fields", f"column {item[0]!r} appears twice")
        fields.append(Field(item[0], t))
    names = {f.name: f.type for f in fields}

    spec_account = column(claims, "claims", "account", "account")
    if spec_account not in names:
        raise bad("[claims] account", f"{spec_account!r} is not a leaf field "
                  f"({', '.join(names)})")
    if names[spec_account].dynamic:
        raise bad("[claims] account", f"{spec_account!r} is {names[spec_account].name}; a "
                  "claimant is one static value")
    amount = column(claims, "claims", "amount", "amount" if "amount" in names else None)
    if amount is not None and (amount not in names or names[amount].base != "uint"
                               or names[amount].array):
        raise bad("[claims] amount", f"{amount!r} is not a uint leaf field")
    sum_by = claims.get("sum_by", [])
    if not isinstance(sum_by, list) or not all(isinstance(s, str) for s in sum_by):
        raise bad("[claims] sum_by", "give a list of column names")
    for s in sum_by:
        if s not in names:
            raise bad("[claims] sum_by", f"{s!r} is not a leaf field")
    if sum_by:
        if amount is None:
            raise bad("[claims] sum_by", "summing needs [claims] amount")
        if amount in sum_by:
            raise bad("[claims] sum_by", f"{amount!r} is the amount being summed")
        rest = [n for n in names if n not in sum_by and n != amount]
        if rest:
            raise bad("[claims] sum_by", f"{rest[0]!r} is neither summed nor in sum_by; "
                      "rows with one key could disagree on it")
    keep_zero = flag(claims, "claims", "keep_zero", True)
    if not keep_zero and amount is None:
        raise bad("[claims] keep_zero", "dropping zero amounts needs [claims] amount")

    for special, role in (("account", spec_account), ("amount", amount)):
        if special in names and role != special:
            raise bad(f"[claims] {special}", f"the leaf has a field {special!r}, so it must "
                      f"be the claim's {special} (proofs.parquet keeps one {special!r} column)")
    if "index" in names and (names["index"].base != "uint" or names["index"].array):
        raise bad("[leaf] fields", "a field named 'index' is the claim's index: make it uint")

    shards = tree.get("shards", 0)
    if not isinstance(shards, int) or isinstance(shards, bool) or not 0 <= shards <= 4:
        raise bad("[tree] shards", f"{shards!r}: give 0 (no shards) or 1 to 4 hex digits")
    shard_by = column(tree, "tree", "shard_by", None)
    if shards and shard_by is None:
        raise bad("[tree] shards", "shards without shard_by: name the column whose leading "
                  "hex digits pick the shard (ENS EP2: shard_by = \"account\")")
    if shard_by is not None:
        if shard_by not in names:
            raise bad("[tree] shard_by", f"{shard_by!r} is not a leaf field")
        if names[shard_by].base not in ("address", "bytes") or names[shard_by].array:
            raise bad("[tree] shard_by", f"{shard_by!r} is {names[shard_by].name}; shards "
                      "take the hex digits of an address or bytes<N> field")
        if not shards:
            raise bad("[tree] shard_by", "given without shards (the number of hex digits)")
    layout = choice(tree, "tree", "layout", LAYOUTS, "levels")
    leaves = choice(tree, "tree", "leaves", LEAF_ORDERS, "sorted")
    if layout == "heap" and (leaves != "sorted" or shards or "odd" in tree):
        raise bad("[tree] layout", "the OpenZeppelin heap layout has sorted leaves, no odd "
                  "rule and no shards")
    return TreeSpec(
        fields=tuple(fields),
        encoding=choice(leaf, "leaf", "encoding", ENCODINGS, "abi"),
        hash=choice(leaf, "leaf", "hash", HASHES, "keccak"),
        leaves=leaves,
        odd=choice(tree, "tree", "odd", ODD, "promote"),
        layout=layout,
        dedupe=flag(tree, "tree", "dedupe", False),
        shards=shards, shard_by=shard_by,
        account=spec_account, amount=amount, sum_by=tuple(sum_by), keep_zero=keep_zero,
        preset=preset)

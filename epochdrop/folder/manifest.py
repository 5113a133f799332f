"""The epoch folder's manifest: one typed model (pydantic) for every folder kind.

Why one model: three writers (`tree build`, `score`, `run`) used to write three shapes under
one name (`epoch` a string here, an object there; `token` an address here, a symbol there),
and every reader guessed. Now each writer fills the sections it owns (docs/design.md §2) and
every reader gets the same typed object from `read_manifest`, whatever wrote it.

Byte-stable on purpose (DECISIONS D7): no wall-clock time, no absolute path; inputs are named
relative to where they were given plus their sha256, outputs by relative path. The JSON
Schema of this model is generated (`epochdrop.folder.schema`) and shipped as
docs/manifest.schema.json.

Older folders (format `epochdrop-manifest-v1`, the three flat shapes) are converted on read
(`from_v1`), or refused with one line saying how to rebuild them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from epochdrop import __version__
from epochdrop.errors import UserError
from epochdrop.fsio import atomic_write_json, hash_tree

MANIFEST = "manifest.json"
FORMAT = "epochdrop-manifest-v2"
FORMAT_V1 = "epochdrop-manifest-v1"

# Files inside an output folder that are not covered by byte identity (D7): hashed, but
# never compared with a rebuild by `verify`.
NON_DETERMINISTIC = {"report.html"}

Kind = Literal["tree", "scores", "epoch"]
Scheme = Literal["oz", "uniswap", "packed", "solana"]
Sha256 = str  # 64 lowercase hex digits (the schema says so through `pattern`)
SHA256 = Field(pattern=r"^[0-9a-f]{64}$")
DECIMAL = r"^[0-9]+$"  # amounts: decimal strings of base units (uint256 exceeds JSON numbers)


class Section(BaseModel):
    """Every section refuses unknown keys, so a typo in a writer fails a test, not a user."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class EpochSection(Section):
    """D27: `label` is always a string and names every path, URL and message."""

    label: str = Field(min_length=1)
    """The epoch's name in every path, URL and message ("2024-01", "26")."""
    index: int | None = None
    start: str | None = None
    """ISO-8601 UTC, inclusive"""
    end: str | None = None
    """ISO-8601 UTC, exclusive"""


class FileHash(Section):
    name: str
    sha256: Sha256 = SHA256


class InputEntry(Section):
    """One input: a program table (`table`, its `rows`, the order-independent
    `content_sha256` of its rows, D10, and the files read) or a single file (`name`,
    `sha256`: `tree build`'s claims file)."""

    table: str | None = None
    rows: int | None = Field(None, ge=0)
    content_sha256: Sha256 | None = Field(None, pattern=r"^[0-9a-f]{64}$")
    files: list[FileHash] | None = None
    name: str | None = None
    sha256: Sha256 | None = Field(None, pattern=r"^[0-9a-f]{64}$")


class AllocationRule(Section):
    rounding: str
    threshold: Any = None
    excess: Any = None
    exact: Any = None


class PoolTotals(Section):
    pool: str
    budget: str = Field(pattern=DECIMAL)
    allocated: str = Field(pattern=DECIMAL)
    dust: str = Field(pattern=DECIMAL)
    unpaid: str = Field(pattern=DECIMAL)
    unallocated: str = Field(pattern=DECIMAL)
    accounts_paid: int = Field(ge=0)
    removed: dict[str, str] = Field(default_factory=dict)
    capped: list[str] = Field(default_factory=list)
    rule: AllocationRule


class Scoring(Section):
    """What scoring and allocation decided (amounts: decimal strings of base units)."""

    accounts: int = Field(ge=0)
    """accounts paid (rows of rewards.parquet)"""
    budget: str = Field(pattern=DECIMAL)
    allocated: str = Field(pattern=DECIMAL)
    dust: str = Field(pattern=DECIMAL)
    unpaid: str = Field(pattern=DECIMAL)
    unallocated: str = Field(pattern=DECIMAL)
    pools: list[PoolTotals] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    facts: dict[str, Any] = Field(default_factory=dict)
    empty: bool = False
    """Nothing was paid and that was intended (`--allow-empty`, issue 20)."""


class PreviousTree(Section):
    """The epoch a cumulative tree was built on (D5): enough to find and check it."""

    label: str | None = None
    root: str
    total: str = Field(pattern=DECIMAL)
    count: int = Field(ge=0)
    manifest_sha256: Sha256 = SHA256


class Tree(Section):
    scheme: str
    """oz, uniswap, packed, solana, or a spec'd tree's name (`tree build --spec`, presets)."""
    spec: dict[str, Any] | None = None
    """the whole tree spec (issue 16), when one was given"""
    leaf: list[str]
    """leaf types, e.g. ["address", "uint256"] (D4)"""
    root: str = Field(pattern=r"^0x[0-9a-f]{64}$")
    """The Merkle root a distributor is set to."""
    count: int = Field(ge=0)
    total: str | None = Field(pattern=DECIMAL)
    """Sum of the claims' amounts, base units (decimal string); null for a spec'd tree
    whose leaves have no amount."""
    cumulative: bool = False
    """Amounts are all-time totals (a CumulativeMerkleDistributor pays the difference)."""
    previous: PreviousTree | None = None
    expiry: str | None = None
    decimals: int | None = None
    """`tree build --decimals`: input amounts were scaled"""
    merge_duplicates: bool = False
    shard_digits: int = Field(ge=0)
    native_file: str | None = None
    order: str

    @property
    def previous_root(self) -> str | None:
        return self.previous.root if self.previous else None


class Token(Section):
    """The token paid: `[token]` of a run config, or `tree build --token …` flags."""

    address: str | None = None
    """Token contract (EIP-55) or mint (base58)."""
    symbol: str | None = None
    decimals: int | None = Field(None, ge=0, le=77)
    chain_id: int | None = Field(None, ge=1)


class Distributor(Section):
    """Where the root is (to be) published: a CumulativeMerkleDistributor."""

    address: str
    chain_id: int | None = Field(None, ge=1)


class Manifest(Section):
    """`manifest.json` of every output folder (docs/design.md §2)."""

    format: Literal["epochdrop-manifest-v2"] = FORMAT
    kind: Kind
    """tree (tree build), scores (score) or epoch (run: scores, tree, report)."""
    tool_version: str = __version__
    program: str | None = None
    # Null only in a `tree build` folder made without --epoch: the folder's name is then
    # the label (filled in by `read_manifest`), so the bytes do not depend on where it was
    # built.
    epoch: EpochSection | None = None
    config: FileHash | None = None
    """the program config read (name, sha256)"""
    params: dict[str, Any] | None = None
    inputs: list[InputEntry] = Field(default_factory=list)
    scoring: Scoring | None = None
    tree: Tree | None = None
    tree_note: str | None = None
    """why an epoch folder has no tree (scheme none, nobody paid)"""
    token: Token | None = None
    distributor: Distributor | None = None
    fingerprint: dict[str, Any] | None = None
    """what decided the bytes (run's up-to-date check)"""
    index: dict[str, Any] | None = None
    """public chain facts of the sources (verify --rpc)"""
    outputs: dict[str, Sha256] = Field(default_factory=dict)
    """Every file of the folder but this one: relative path → sha256."""

    # -- what readers ask most ------------------------------------------------------------
    @property
    def label(self) -> str:
        return self.epoch.label if self.epoch is not None else ""

    @property
    def root(self) -> str | None:
        return self.tree.root if self.tree else None

    @property
    def scheme(self) -> str | None:
        return self.tree.scheme if self.tree else None

    @property
    def chain_id(self) -> int | None:
        """The chain the root is paid on: the distributor's, else the token's."""
        if self.distributor and self.distributor.chain_id is not None:
            return self.distributor.chain_id
        return self.token.chain_id if self.token else None

    @property
    def decimals(self) -> int | None:
        return self.token.decimals if self.token else None

    def claim_context(self) -> dict[str, Any]:
        """The fields around every claim (D6): `tree proof`, `serve` and the shards' heads
        carry the same ones. `token` is the token's address (null when not recorded)."""
        return {"scheme": self.scheme, "root": self.root, "chain_id": self.chain_id,
                "token": self.token.address if self.token else None,
                "program": self.program, "epoch": self.label}

    def shard_head(self) -> dict[str, Any]:
        """The context at the head of every proofs/ shard and proofs/index.json (as
        `tree build` writes it: the token's address and chain id, or null)."""
        return {"scheme": self.scheme, "root": self.root,
                "chain_id": self.token.chain_id if self.token else None,
                "token": self.token.address if self.token else None}

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def write_manifest(folder: str | Path, manifest: Manifest,
                   outputs: dict[str, str] | None = None) -> Manifest:
    """Write `folder/manifest.json` with the output hashes filled in; return what was written.

    `outputs` ({relative path: sha256}) may be given by a writer that hashed its files as it
    wrote them (saves re-reading gigabytes); it must then name every file in the folder."""
    folder = Path(folder)
    hashes = (dict(sorted(outputs.items())) if outputs is not None
              else hash_tree(folder, exclude={MANIFEST}))
    manifest = manifest.model_copy(update={"outputs": hashes, "tool_version": __version__})
    Manifest.model_validate(manifest.to_json())  # what is written must read back
    atomic_write_json(folder / MANIFEST, manifest.to_json())
    return manifest


def read_manifest(folder: str | Path) -> Manifest:
    """The manifest of an output folder; v1 folders are converted, anything else refused
    with one line (UserError, exit 2)."""
    path = Path(folder) / MANIFEST
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise UserError(f"{path}: no manifest here; is this an epochdrop output folder?") from None
    except (OSError, ValueError) as exc:
        raise UserError(f"{path}: unreadable manifest ({exc})") from None
    return parse_manifest(data, path)


def parse_manifest(data: Any, path: Path) -> Manifest:
    fmt = data.get("format") if isinstance(data, dict) else None
    try:
        folder_name = Path(path).resolve().parent.name
        if fmt == FORMAT:
            m = Manifest.model_validate(data)
            if m.epoch is None:
                m = m.model_copy(update={"epoch": EpochSection(label=folder_name)})
            return m
        if fmt == FORMAT_V1:
            return from_v1(data, folder_name)
    except (ValidationError, KeyError, TypeError, ValueError) as exc:
        first = (exc.errors()[0] if isinstance(exc, ValidationError) else None)
        where = ".".join(str(p) for p in first["loc"]) + f": {first['msg']}" if first else \
            f"{type(exc).__name__} {exc}"
        raise UserError(f"{path}: not a valid {fmt} manifest ({where}); rebuild the folder "
                        "with `epochdrop run` or `epochdrop tree build`") from None
    raise UserError(f"{path}: format {fmt if fmt is not None else '(none)'} is not "
                    f"{FORMAT}; rebuild the folder with `epochdrop run` or `epochdrop tree "
                    "build`")


# -- v1 (the three flat shapes of version 0.1) --------------------------------------------

def from_v1(m: dict[str, Any], folder_name: str) -> Manifest:
    """Convert a v1 manifest: `tree build`'s (flat tree fields, `epoch` a string, `token`
    an address), `score`'s (`epoch` an object, `token` a symbol) or `run`'s (both)."""
    ep = m.get("epoch")
    if isinstance(ep, dict):
        epoch = EpochSection(label=str(ep["label"]), index=ep.get("index"),
                             start=ep.get("start"), end=ep.get("end"))
    else:
        epoch = EpochSection(label=str(ep) if ep is not None else folder_name)
    scored = "totals" in m
    tree = None
    if m.get("root"):
        prev = m.get("cumulative") if isinstance(m.get("cumulative"), dict) else None
        tree = Tree(scheme=m["scheme"], leaf=list(m.get("leaf_encoding") or []), root=m["root"],
                    count=int(m["count"]), total=str(m["total"]),
                    cumulative=bool(prev) or m.get("per_epoch_or_cumulative") == "cumulative",
                    previous=PreviousTree(**prev) if prev else None, expiry=m.get("expiry"),
                    decimals=None if scored else m.get("decimals"),
                    merge_duplicates=bool(m.get("merge_duplicates")),
                    shard_digits=int(m.get("shard_digits") or 0),
                    native_file=m.get("native_file"), order=str(m.get("order") or ""))
    if scored:
        decimals = (m.get("params") or {}).get("decimals")
        token = Token(symbol=m.get("token"), decimals=decimals, chain_id=m.get("chain_id"))
        totals = m["totals"]
        scoring = Scoring(accounts=int(m.get("accounts") or 0),
                          **{k: str(totals[k]) for k in ("budget", "allocated", "dust", "unpaid",
                                                         "unallocated")},
                          pools=m.get("pools") or [], notes=m.get("notes") or [],
                          facts=m.get("facts") or {}, empty=bool(m.get("empty")))
        kind = "epoch" if "report.html" in (m.get("outputs") or {}) else "scores"
    else:
        token = (Token(address=m.get("token"), chain_id=m.get("chain_id"),
                       decimals=m.get("decimals"))
                 if m.get("token") or m.get("chain_id") else None)
        scoring, kind = None, "tree"
    return Manifest(kind=kind, tool_version=str(m.get("tool_version") or ""),
                    program=m.get("program"), epoch=epoch,
                    config=m.get("config") or None, params=m.get("params"),
                    inputs=m.get("inputs") or [], scoring=scoring, tree=tree,
                    tree_note=m.get("tree_note"), token=token, fingerprint=m.get("fingerprint"),
                    index=m.get("index"), outputs=m.get("outputs") or {})

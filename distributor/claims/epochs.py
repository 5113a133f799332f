"""Output folders -> programs and epochs, each with its open claims index.

`serve` and `export-static` take folders as given on the command line: an output folder
(holding `manifest.json` and `proofs.parquet`) or any folder above some (searched a few
levels down). Program and epoch names come from the manifest (`program`, `epoch`, written
by `run`); a bare `tree build` folder has neither, so its parent folder names the program
and its own name the epoch. Epoch data is immutable (D24), so every answer about it can be
cached for a long time; the live part (what was claimed) is read from the contract elsewhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from distributor.claims.render import claim_head
from distributor.claims.index import PROOFS, ClaimIndex, ensure_index
from epochdrop.errors import UserError
from epochdrop.manifest import MANIFEST, read_manifest

EPOCH_FORMAT = "epochdrop-epoch-v1"
MAX_DEPTH = 3


@dataclass
class Epoch:
    program: str
    epoch: str
    folder: Path
    manifest: dict
    index: ClaimIndex | None = None
    cumulative: bool = False  # program-wide: set when any epoch was built with --previous
    claim_head: bytes = b""   # the context part of every claim body (render.claim_head)
    kind_: str = "address"    # `kind`, computed once (the hot path reads it per request)

    @property
    def scheme(self) -> str:
        return str(self.manifest.get("scheme", ""))

    @property
    def kind(self) -> str:
        """How accounts are spelled: `address`, `solana` or `uint` (D4: the oz scheme's
        account is the second-to-last leaf type; the other schemes fix it). Mirrors the
        schemes' `account_kind` without importing the tree builders into server workers."""
        if self.scheme == "solana":
            return "solana"
        spec = self.manifest.get("spec")
        if spec:  # a spec'd tree (issue 16): the type of its claimant field
            t = dict(map(tuple, spec["leaf"]["fields"])).get(spec["claims"]["account"])
            return "address" if t == "address" else "uint"
        types = self.manifest.get("leaf_encoding") or ["address", "uint256"]
        if self.scheme == "oz" and len(types) >= 2 and types[-2] != "address":
            return "uint"
        return "address"

    def info(self) -> dict:
        """The epoch's public facts (API `/epochs/{epoch}` and static `index.json`)."""
        m = self.manifest
        return {
            "format": EPOCH_FORMAT,
            "program": self.program,
            "epoch": self.epoch,
            "scheme": self.scheme,
            "root": m.get("root"),
            "cumulative": self.cumulative,
            "previous_root": (m.get("cumulative") or {}).get("root"),
            "token": m.get("token"),
            "chain_id": m.get("chain_id"),
            "decimals": m.get("decimals"),
            "total": None if m.get("total") is None else str(m["total"]),
            "claims": m.get("count"),
            "expiry": m.get("expiry"),
            "leaf_encoding": m.get("leaf_encoding"),
            "shard_digits": m.get("shard_digits"),
        }


def find_folders(roots: list[Path]) -> list[Path]:
    """Every output folder at or below the given paths (hidden folders skipped)."""
    found: list[Path] = []

    def walk(p: Path, depth: int) -> None:
        if (p / MANIFEST).is_file() and (p / PROOFS).is_file():
            found.append(p)
            return
        if depth >= MAX_DEPTH:
            return
        for child in sorted(p.iterdir()):
            if child.is_dir() and not child.name.startswith((".", "_")):
                walk(child, depth + 1)

    for root in roots:
        root = Path(root)
        if not root.is_dir():
            raise UserError(f"{root}: not a folder; give output folders (with manifest.json "
                            "and proofs.parquet) or folders that contain them")
        before = len(found)
        walk(root, 0)
        if len(found) == before:
            raise UserError(f"{root}: no output folder (manifest.json + proofs.parquet) here or "
                            f"up to {MAX_DEPTH} levels below")
    return found


def _sort_key(label: str):
    return (0, int(label), "") if re.fullmatch(r"\d+", label) else (1, 0, label)


@dataclass
class Catalog:
    """All served epochs, by program then epoch label (numeric labels sort as numbers)."""
    programs: dict[str, dict[str, Epoch]] = field(default_factory=dict)

    def epochs(self, program: str) -> list[Epoch]:
        eps = self.programs.get(program, {})
        return [eps[k] for k in sorted(eps, key=_sort_key)]

    def latest(self, program: str) -> Epoch | None:
        eps = self.epochs(program)
        return eps[-1] if eps else None

    def all(self) -> list[Epoch]:
        return [e for p in sorted(self.programs) for e in self.epochs(p)]


def load_catalog(roots: list[Path], *, open_index: bool = True, ensure: bool = True,
                 index_dir: Path | None = None) -> Catalog:
    """Find the epochs; build any missing claims index (unless `ensure` is False); open them
    unless `open_index` is False (the parent of server workers only makes sure they exist)."""
    cat = Catalog()
    for folder in find_folders(roots):
        folder = folder.resolve()
        m = read_manifest(folder)
        program = str(m.get("program") or folder.parent.name)
        label = str(m.get("epoch") if m.get("epoch") is not None else folder.name)
        ep = Epoch(program, label, folder, m)
        ep.claim_head = claim_head(m)
        ep.kind_ = ep.kind
        if label in cat.programs.get(program, {}):
            other = cat.programs[program][label].folder
            raise UserError(f"program {program!r} epoch {label!r} is both {other} and {folder}; "
                            "serve one of them")
        if ensure or open_index:
            sha = (m.get("outputs") or {}).get(PROOFS)
            path = ensure_index(folder, ep.kind_, sha, index_dir)
            if open_index:
                ep.index = ClaimIndex(path)
        cat.programs.setdefault(program, {})[label] = ep
    for eps in cat.programs.values():
        cumulative = any(e.manifest.get("cumulative") for e in eps.values())
        for e in eps.values():
            e.cumulative = cumulative
    return cat

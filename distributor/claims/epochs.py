"""Output folders -> programs and epochs, each with its open claims index.

`serve` and `export-static` take folders as given on the command line: an output folder
(any folder with a manifest: `run`'s epoch, `tree build`'s tree, `score`'s scores) or any
folder above some (searched a few levels down). Program and epoch label come from the
manifest (epochdrop/folder; the label is always a string, D27); a bare `tree build` folder
names no program, so its parent folder does. An epoch without a tree (scheme `none`, or
nobody paid) is listed as "no tree" rather than dropped, and has no claims. Epoch data is
immutable (D24), so every answer about it can be cached for a long time; the live part
(what was claimed) is read from the contract elsewhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from distributor.claims.render import claim_head
from distributor.claims.index import PROOFS, ClaimIndex, ensure_index
from epochdrop.errors import UserError
from epochdrop.folder import MANIFEST, Manifest, read_manifest

EPOCH_FORMAT = "epochdrop-epoch-v2"
NO_TREE = "no tree"
MAX_DEPTH = 3


@dataclass
class Epoch:
    program: str
    epoch: str               # the label (D27)
    folder: Path
    manifest: Manifest
    index: ClaimIndex | None = None
    cumulative: bool = False  # program-wide: set when any epoch's tree is cumulative
    claim_head: bytes = b""   # the context part of every claim body (render.claim_head)
    kind_: str = "address"    # `kind`, computed once (the hot path reads it per request)

    @property
    def has_tree(self) -> bool:
        return self.manifest.tree is not None

    @property
    def scheme(self) -> str | None:
        return self.manifest.scheme

    @property
    def kind(self) -> str:
        """How accounts are spelled: `address`, `solana` or `uint` (D4: the oz scheme's
        account is the second-to-last leaf type; the other schemes fix it). Mirrors the
        schemes' `account_kind` without importing the tree builders into server workers."""
        if self.scheme == "solana":
            return "solana"
        tree = self.manifest.tree
        spec = tree.spec if tree is not None else None
        if spec:  # a spec'd tree (issue 16): the type of its claimant field
            t = dict(map(tuple, spec["leaf"]["fields"])).get(spec["claims"]["account"])
            return "address" if t == "address" else "uint"
        types = tree.leaf if tree is not None and tree.leaf else ["address", "uint256"]
        if self.scheme == "oz" and len(types) >= 2 and types[-2] != "address":
            return "uint"
        return "address"

    def info(self) -> dict:
        """The epoch's public facts (API `/epochs/{epoch}` and static `index.json`).

        Amounts are decimal strings of base units; `token` says how to show them
        (`decimals`, `symbol`). `status` is "ok" or "no tree" (then root, scheme and
        count are null and `note` says why)."""
        m = self.manifest
        tree = m.tree
        return {
            "format": EPOCH_FORMAT,
            "program": self.program,
            "epoch": self.epoch,
            "index": m.epoch.index,
            "start": m.epoch.start,
            "end": m.epoch.end,
            "kind": m.kind,
            "status": "ok" if tree is not None else NO_TREE,
            "note": m.tree_note if tree is None else None,
            "scheme": m.scheme,
            "leaf_encoding": tree.leaf if tree else None,
            "root": m.root,
            "total": tree.total if tree else None,
            "count": tree.count if tree else None,
            "cumulative": self.cumulative,
            "previous_root": tree.previous_root if tree else None,
            "expiry": tree.expiry if tree else None,
            "shard_digits": tree.shard_digits if tree else None,
            "chain_id": m.chain_id,
            "token": m.token.model_dump(mode="json") if m.token else None,
            "distributor": m.distributor.model_dump(mode="json") if m.distributor else None,
        }


def find_folders(roots: list[Path]) -> list[Path]:
    """Every output folder at or below the given paths (hidden folders skipped)."""
    found: list[Path] = []

    def walk(p: Path, depth: int) -> None:
        if (p / MANIFEST).is_file():
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
            raise UserError(f"{root}: not a folder; give output folders (with manifest.json) "
                            "or folders that contain them")
        before = len(found)
        walk(root, 0)
        if len(found) == before:
            raise UserError(f"{root}: no output folder (with manifest.json) here or up to "
                            f"{MAX_DEPTH} levels below")
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

    def listing(self) -> dict:
        """The programs listing: `GET /v1/programs` (api.py) and `programs.json` of a static
        site (static.py) are these same bytes, so a claim page reads either."""
        out = [{"program": p, "cumulative": any(e.cumulative for e in self.epochs(p)),
                "epochs": [e.epoch for e in self.epochs(p)],
                "no_tree": [e.epoch for e in self.epochs(p) if not e.has_tree],
                "latest": self.epochs(p)[-1].epoch} for p in sorted(self.programs)]
        return {"format": "epochdrop-programs-v1", "programs": out}


def load_catalog(roots: list[Path], *, open_index: bool = True, ensure: bool = True,
                 index_dir: Path | None = None) -> Catalog:
    """Find the epochs; build any missing claims index (unless `ensure` is False); open them
    unless `open_index` is False (the parent of server workers only makes sure they exist)."""
    cat = Catalog()
    for folder in find_folders(roots):
        folder = folder.resolve()
        m = read_manifest(folder)
        program = m.program or folder.parent.name
        label = m.epoch.label
        ep = Epoch(program, label, folder, m)
        ep.kind_ = ep.kind
        if label in cat.programs.get(program, {}):
            other = cat.programs[program][label].folder
            raise UserError(f"program {program!r} epoch {label!r} is both {other} and {folder}; "
                            "serve one of them")
        if ep.has_tree:
            ep.claim_head = claim_head(m)
            if ensure or open_index:
                path = ensure_index(folder, ep.kind_, m.outputs.get(PROOFS), index_dir)
                if open_index:
                    ep.index = ClaimIndex(path)
        cat.programs.setdefault(program, {})[label] = ep
    for eps in cat.programs.values():
        cumulative = any(e.manifest.tree is not None and e.manifest.tree.cumulative
                         for e in eps.values())
        for e in eps.values():
            e.cumulative = cumulative
    return cat

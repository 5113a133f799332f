"""Checkpoints: how far a (dataset, chain, contract set) has been indexed, and with which hashes.

A checkpoint is the commit point of the listener: rows are written first, then the
checkpoint; at start-up everything above the checkpoint is rolled back, so a crash between
the two leaves no duplicate and no gap (DESIGN "The store", acceptance 4).

`recent` keeps (position, hash) pairs of the last committed positions (newest last). A
mismatch between a stored hash and the node's is a reorg: the newest pair that still matches
is a safe common ancestor (a block hash commits to all its ancestors), and everything above
it is rolled back and re-indexed. Solana uses the same file with slots and blockhashes.

Stored at `<store>/_state/checkpoints/<dataset>/chain=<chain>/<tag>.json` (names starting
with `_` are not datasets; D10), written atomically.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable

import orjson

from epochdrop.fsio import atomic_write_json

RECENT_MAX = 256


def contract_set_tag(contracts: Iterable[str]) -> str:
    """A short stable name for a set of contracts ('' for "no filter")."""
    items = sorted({c.lower() for c in contracts})
    if not items:
        return ""
    return hashlib.sha256(",".join(items).encode()).hexdigest()[:12]


@dataclass
class Checkpoint:
    dataset: str
    chain: str
    tag: str
    position: int                       # last committed block/slot (inclusive)
    hash: str | None                    # its block hash / blockhash
    start: int                          # first position the indexed range began at
    contracts: list[str] = field(default_factory=list)
    recent: list[list] = field(default_factory=list)   # [[position, hash], ...] newest last
    chain_id: int | None = None
    format: str = "epochdrop-checkpoint-v1"

    def remember(self, position: int, hash_: str | None) -> None:
        self.position, self.hash = position, hash_
        if hash_ is not None:
            if self.recent and self.recent[-1][0] >= position:
                self.recent = [r for r in self.recent if r[0] < position]
            self.recent.append([position, hash_])
            del self.recent[:-RECENT_MAX]


def path_for(store_root: str | Path, dataset: str, chain: int | str, tag: str) -> Path:
    return (Path(store_root) / "_state" / "checkpoints" / dataset / f"chain={chain}"
            / f"{tag or 'all'}.json")


def load(store_root: str | Path, dataset: str, chain: int | str, tag: str) -> Checkpoint | None:
    p = path_for(store_root, dataset, chain, tag)
    if not p.exists():
        return None
    data = orjson.loads(p.read_bytes())
    return Checkpoint(**data)


def save(store_root: str | Path, cp: Checkpoint) -> None:
    atomic_write_json(path_for(store_root, cp.dataset, cp.chain, cp.tag), asdict(cp))


def delete(store_root: str | Path, dataset: str, chain: int | str, tag: str) -> None:
    path_for(store_root, dataset, chain, tag).unlink(missing_ok=True)


def covering(store_root: str | Path, dataset: str, tag: str, start: int,
             end: int) -> Checkpoint | None:
    """A checkpoint of (dataset, contract set `tag`), on any chain, that already covers blocks
    `start`..`end`: a re-run over that range has nothing to fetch, not even the head (the
    blocks were final, below head − confirmations, when they were committed)."""
    base = Path(store_root) / "_state" / "checkpoints" / dataset
    for p in sorted(base.glob(f"chain=*/{tag or 'all'}.json")) if base.exists() else []:
        cp = Checkpoint(**orjson.loads(p.read_bytes()))
        if cp.start <= start and cp.position >= end:
            return cp
    return None


def chain_ids(store_root: str | Path) -> set[int]:
    """Every EVM chain id any checkpoint of this store was written for."""
    out = set()
    base = Path(store_root) / "_state" / "checkpoints"
    for p in base.glob("*/chain=*/*.json") if base.exists() else []:
        cid = orjson.loads(p.read_bytes()).get("chain_id")
        if cid is not None:
            out.add(cid)
    return out

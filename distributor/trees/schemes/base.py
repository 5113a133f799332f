"""What every tree scheme provides, so one conformance suite tests them all (STYLE 10).

A scheme decides four things: how the account column is read, the canonical claim order
and indices (D1, D2), the leaf bytes, and the tree shape; plus its native file. Everything
else (proofs.parquet, shards, manifest, check) is shared.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import IO

import numpy as np

from distributor.trees.claims import AccountKind, Claims
from distributor.trees.hashing import pair_rows
from epochdrop.errors import UserError


@dataclass
class Built:
    """A finished tree: claims in output order, root, and every claim's proof."""
    scheme: str
    leaf_types: list[str]
    claims: Claims                 # output order; `indices` always set
    leaves: np.ndarray             # (N, 32) leaf hash of claim i (as the proof starts from)
    root: bytes
    proof_nodes: np.ndarray        # (K, 32)
    proof_offsets: np.ndarray      # (N+1,)
    extra: dict = field(default_factory=dict)

    def proof(self, i: int) -> list[bytes]:
        a, b = self.proof_offsets[i], self.proof_offsets[i + 1]
        return [bytes(r) for r in self.proof_nodes[a:b]]

    @property
    def amount_text(self) -> list[str]:
        """Decimal strings of the amounts, made once and shared by every writer."""
        if "amount_text" not in self.extra:
            self.extra["amount_text"] = list(map(str, self.claims.amounts))
        return self.extra["amount_text"]

    @property
    def total(self) -> int:
        locked = self.claims.locked or []
        return sum(self.claims.amounts) + sum(locked)


class Scheme(ABC):
    name: str
    native_file: str | None = None
    default_leaf: str = ""

    def leaf_types(self, leaf: str | None) -> list[str]:
        if leaf not in (None, "", self.default_leaf):
            raise UserError(f"--leaf only applies to the oz scheme; {self.name} leaves are "
                            f"fixed ({self.default_leaf})")
        return self.default_leaf.split(",")

    @abstractmethod
    def account_kind(self, leaf_types: list[str]) -> AccountKind: ...

    @abstractmethod
    def amount_limit(self, leaf_types: list[str]) -> int: ...

    allow_locked = False

    @abstractmethod
    def build(self, claims: Claims, leaf_types: list[str]) -> Built:
        """Order the claims canonically, hash leaves, build the tree and all proofs."""

    @staticmethod
    def pair_hash(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Sorted-pair keccak (OpenZeppelin MerkleProof `_hashPair`); Jito overrides."""
        return pair_rows(a, b)

    def write_native(self, built: Built, fh: IO[bytes], proofs_json) -> None:
        """Stream the scheme's native file; `proofs_json(idx)` yields JSON proof arrays."""

    def read_native(self, path) -> dict:
        """-> {"root": bytes, "claims": {account: (index, amount, [proof bytes])}}."""
        raise NotImplementedError

    def verify_leaves(self, built: Built) -> np.ndarray:
        """Fold every proof from its leaf; True where the result equals the root."""
        off = built.proof_offsets
        lengths = np.diff(off)
        ok = np.zeros(len(lengths), dtype=bool)
        root = np.frombuffer(built.root, dtype=np.uint8)
        for length in np.unique(lengths).tolist():
            sel = np.flatnonzero(lengths == length)
            h = np.take(built.leaves, sel, axis=0)
            for j in range(length):
                h = self.pair_hash(h, np.take(built.proof_nodes, off[sel] + j, axis=0))
            ok[sel] = (h == root).all(axis=1)
        return ok


def with_indices(claims: Claims) -> Claims:
    if claims.indices is not None:
        return claims
    from dataclasses import replace
    return replace(claims, indices=list(range(len(claims))))


def u256_words(values: list[int]) -> np.ndarray:
    from distributor.trees.hashing import u256_be
    return u256_be(values)


def address_words(keys: np.ndarray) -> np.ndarray:
    """abi.encode(address): 12 zero bytes then the 20 address bytes."""
    out = np.zeros((keys.shape[0], 32), dtype=np.uint8)
    out[:, 32 - keys.shape[1]:] = keys
    return out

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
import pyarrow as pa

from distributor.trees import jsontext
from distributor.trees.claims import AccountKind, Claims
from distributor.trees.hashing import order_by_prefix, pair_rows
from epochdrop.errors import UserError


@dataclass
class Built:
    """A finished tree: claims in output order, root, and every claim's proof.

    Proofs are kept as row numbers into `node_table` (every node a proof can name: the
    OZ heap, or the levels stacked), claim i's proof being
    `node_table[proof_index[proof_offsets[i]:proof_offsets[i + 1]]]`. A million claims'
    proofs are ~20 million 32-byte nodes but only ~2 million distinct ones, so writers
    format each node once and gather, and 640 MB of copies are made only on demand."""
    scheme: str
    leaf_types: list[str]
    claims: Claims                 # output order; `indices` always set
    leaves: np.ndarray             # (N, 32) leaf hash of claim i (as the proof starts from)
    root: bytes
    node_table: np.ndarray         # (T, 32)
    proof_index: np.ndarray        # (K,) rows of node_table
    proof_offsets: np.ndarray      # (N+1,)
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_nodes(cls, scheme: str, leaf_types: list[str], claims: Claims, leaves: np.ndarray,
                   root: bytes, nodes: np.ndarray, offsets: np.ndarray) -> "Built":
        """From proofs already laid out flat (as proofs.parquet stores them)."""
        return cls(scheme, leaf_types, claims, leaves, root, nodes,
                   np.arange(len(nodes), dtype=np.int64), offsets)

    def proof(self, i: int) -> list[bytes]:
        a, b = self.proof_offsets[i], self.proof_offsets[i + 1]
        return [bytes(self.node_table[r]) for r in self.proof_index[a:b].tolist()]

    @property
    def proof_nodes(self) -> np.ndarray:
        """(K, 32) every proof's nodes back to back (made on first use)."""
        if "proof_nodes" not in self.extra:
            rows = np.take(np.ascontiguousarray(self.node_table).view("V32").ravel(), self.proof_index)
            self.extra["proof_nodes"] = rows.view(np.uint8).reshape(-1, 32)
        return self.extra["proof_nodes"]

    @property
    def node_cells(self) -> np.ndarray:
        """(T, CELL) `"0x…",` JSON text of every node, made once for all writers."""
        if "node_cells" not in self.extra:
            from distributor.trees.hexfmt import node_cells
            self.extra["node_cells"] = node_cells(self.node_table)
        return self.extra["node_cells"]

    @property
    def text(self) -> "ClaimText":
        """The claims' fields as JSON-ready text columns, made once and shared by every
        writer (and, made before the fork, by both writing processes)."""
        if "text" not in self.extra:
            c = self.claims
            self.extra["text"] = ClaimText(
                account=c.account_text, amount=c.amount_text,
                index=jsontext.unsigned(np.array(c.indices, dtype=np.uint64)),  # < 2^64 (parse_indices)
                locked=c.locked_text)
        return self.extra["text"]

    @property
    def total(self) -> int:
        return self.claims.total


@dataclass(frozen=True)
class ClaimText:
    """Each claim's account, amount, index (and locked amount) as text columns
    (`distributor.trees.jsontext`), in claim order."""
    account: object
    amount: object
    index: object
    locked: object | None

    def take(self, idx: np.ndarray) -> "ClaimText":
        pick = lambda col: None if col is None else col.take(idx)  # noqa: E731
        return ClaimText(pick(self.account), pick(self.amount), pick(self.index), pick(self.locked))


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

    def write_native(self, built: Built, fh: IO[bytes], proofs) -> None:
        """Stream the scheme's native file; `proofs.array(idx)` (`outputs.ProofText`) gives
        the claims' JSON proof arrays as a text column."""

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
                rows = np.take(built.proof_index, off[sel] + j)
                h = self.pair_hash(h, np.take(built.node_table, rows, axis=0))
            ok[sel] = (h == root).all(axis=1)
        return ok


_RANK = np.zeros(256, dtype=np.uint64)  # hex characters in ASCII order: 0-9 < A-F < a-f
for _i, _c in enumerate(b"0123456789ABCDEFabcdef"):
    _RANK[_c] = _i


def account_order(accounts: pa.Array) -> np.ndarray:
    """Stable permutation sorting EIP-55 addresses (a `jsontext` column) as text (the D1
    order).

    Every address is 42 bytes, so the column's data is an (M, 42) byte array; the first
    12 hex characters, each ranked in ASCII order (22 symbols, 5 bits), make one integer
    key, and only where two addresses share it does numpy's string sort decide."""
    chars = jsontext.fixed_rows(accounts, 42)
    if chars is None:
        return np.argsort(np.array(accounts.to_pylist(), dtype=object), kind="stable")
    full = lambda: np.argsort(chars.view("S42").ravel(), kind="stable")  # noqa: E731
    key = np.zeros(len(chars), dtype=np.uint64)
    for j in range(2, 14):
        key = (key << np.uint64(5)) | np.take(_RANK, chars[:, j])
    return order_by_prefix(key, full)


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

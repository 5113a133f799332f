"""The two tree shapes in use, built level by level over numpy arrays, and their proofs.

- Heap (OpenZeppelin merkle-tree `core.ts` `makeMerkleTree`): an array of 2n-1 nodes,
  leaves stored from the end (`tree[len-1-i] = leaves[i]`), node i = hash(2i+1, 2i+2).
  Nodes of one heap depth (indices 2^k-1 .. 2^(k+1)-2) only depend on the next depth,
  so each depth is one vectorised pass.
- Levels (Uniswap merkle-distributor `merkle-tree.ts`, Jito `merkle_tree.rs`): level
  i+1 pairs neighbours of level i; an odd last node is promoted unchanged (Uniswap,
  Balancer) or paired with itself (Jito, D2).

Proofs come back as row numbers into a node table (the heap itself, or the levels
stacked) plus `(N+1,)` offsets, claim i's proof being table[index[offsets[i]:offsets[i+1]]]
— the layout of an Arrow list column, with each distinct node stored once.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

PairHash = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (M,32),(M,32) -> (M,32)


def heap_tree(leaves: np.ndarray, pair_hash: PairHash) -> np.ndarray:
    """OZ layout: `leaves` in tree order (already sorted) -> (2n-1, 32) node array."""
    n = leaves.shape[0]
    tree = np.empty((2 * n - 1, 32), dtype=np.uint8)
    tree[n - 1:] = leaves[::-1]
    internal = n - 1
    depth = internal.bit_length()
    for k in range(depth, -1, -1):
        lo, hi = (1 << k) - 1, min((1 << (k + 1)) - 1, internal)
        if lo >= hi:
            continue
        kids = tree[2 * lo + 1:2 * hi + 1]
        tree[lo:hi] = pair_hash(kids[0::2], kids[1::2])
    return tree


def heap_proofs(tree: np.ndarray, tree_index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sibling path of every leaf (`core.ts` getProof): sibling, then parent, up to the root.
    -> (rows of `tree`, offsets)."""
    def steps():
        # 1-based heap numbering (u = i + 1): the sibling is u ^ 1 and the parent u >> 1,
        # the root u = 1; two integer ops a step instead of parity tests and divisions.
        u = np.asarray(tree_index, dtype=np.int64) + 1
        while True:
            active = u > 1
            if not active.any():
                return
            yield active, (u ^ 1) - 1
            u >>= 1
    # A node's heap depth is its proof length: bit_length(i + 1) - 1, which frexp's
    # exponent gives exactly (integers below 2^53 are exact in float64).
    lengths = np.frexp(np.asarray(tree_index, dtype=np.float64) + 1)[1].astype(np.int64) - 1
    return _gather(steps, len(tree_index), len(tree), lengths)


def level_tree(leaves: np.ndarray, pair_hash: PairHash, *, odd: str) -> list[np.ndarray]:
    """Levels bottom-up; `odd` is "promote" (Uniswap) or "duplicate" (Jito)."""
    levels = [leaves]
    while levels[-1].shape[0] > 1:
        cur = levels[-1]
        m = cur.shape[0]
        even = m - (m % 2)
        nxt = pair_hash(cur[0:even:2], cur[1:even:2])
        if m % 2:
            last = cur[m - 1:m]
            tail = last if odd == "promote" else pair_hash(last, last)
            nxt = np.concatenate([nxt, tail])
        levels.append(nxt)
    return levels


def level_proofs(levels: list[np.ndarray], position: np.ndarray, *, odd: str
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Uniswap `getProof` skips a missing sibling; Jito's `find_path` uses the node itself.
    -> (node table = the levels stacked, rows of it, offsets)."""
    base = np.cumsum([0] + [len(level) for level in levels])

    def steps():
        pos = np.asarray(position, dtype=np.int64).copy()
        for k, level in enumerate(levels[:-1]):
            m = level.shape[0]
            sib = pos ^ 1
            if odd == "promote":
                active = sib < m
                sib = np.where(active, sib, 0)
            else:
                active = np.ones(len(pos), dtype=bool)
                sib = np.where(sib < m, sib, pos)
            yield active, sib + base[k]
            pos = pos >> 1
    table = np.concatenate(levels) if levels else np.zeros((0, 32), dtype=np.uint8)
    return (table, *_gather(steps, len(position), len(table)))


def _gather(steps, n: int, table_rows: int, lengths: np.ndarray | None = None
            ) -> tuple[np.ndarray, np.ndarray]:
    """Place each step's sibling row at its claim's next free slot of one flat array.

    Without the proof `lengths`, `steps()` is walked twice (lengths first, then rows)
    rather than keeping ~9 MB of index arrays per level alive."""
    if lengths is None:
        lengths = np.zeros(n, dtype=np.int64)
        for active, _ in steps():
            lengths += active
    depth = int(lengths.max()) if n else 0
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    flat = np.empty(int(offsets[-1]), dtype=np.int32 if table_rows < 2**31 else np.int64)
    if depth and lengths.min() == depth:  # every path full length: an (N, D) grid
        grid = flat.reshape(n, depth)
        for j, (_, sib) in enumerate(steps()):
            grid[:, j] = sib
        return flat, offsets
    slot = offsets[:-1].copy()
    for active, sib in steps():
        if active.all():  # most steps: every path still climbing
            flat[slot] = sib
            slot += 1
            continue
        rows = np.flatnonzero(active)
        flat[slot[rows]] = sib[rows]
        slot[rows] += 1
    return flat, offsets

"""Packed leaves without index: keccak256(abi.encodePacked(address, uint256)), the shape
of dYdX's MD1 rewards trees and Balancer's bal-mining-scripts weekly roots (`_roots.json`).

Same tree as Uniswap's merkle-tree.ts (hash-sorted leaves, sorted pairs, odd node
promoted). Claims are in D1 order (EIP-55 text order); `index` is that position and is
informational only (it is not in the leaf). No native file: proofs.parquet and the
`proofs/` shards are what a claim front-end reads.
"""

from __future__ import annotations

import numpy as np

from distributor.trees.claims import AccountKind, Claims
from distributor.trees.hashing import keccak_rows, sort_rows
from distributor.trees.layouts import level_proofs, level_tree
from distributor.trees.schemes.base import Built, Scheme, account_order, with_indices
from dataclasses import replace


class Packed(Scheme):
    name = "packed"
    native_file = None
    default_leaf = "address,uint256"

    def account_kind(self, types):
        return AccountKind("address")

    def amount_limit(self, types):
        return 2**256 - 1

    def build(self, claims: Claims, types):
        order = account_order(claims.account_text)
        claims = with_indices(replace(claims.take(order), indices=None))
        leaves = keccak_rows(np.concatenate([claims.keys, claims.amount_words], axis=1))
        by_hash = sort_rows(leaves)
        levels = level_tree(np.take(leaves, by_hash, axis=0), self.pair_hash, odd="promote")
        position = np.empty(len(claims), dtype=np.int64)
        position[by_hash] = np.arange(len(claims))
        table, index, offsets = level_proofs(levels, position, odd="promote")
        return Built(self.name, types, claims, leaves, bytes(levels[-1][0]), table, index, offsets)

"""OpenZeppelin StandardMerkleTree (`@openzeppelin/merkle-tree` 1.0.8, `standard.ts`).

leaf = keccak256(keccak256(abi.encode(types, values))) — the double hash that
`MerkleProof.verify` users are told to use; leaves sorted by hash (`sortLeaves: true`),
heap layout, sorted-pair nodes. `--leaf` maps positionally onto (index, account, amount)
or (account, amount) (D4). The dump is `standard-v1` with decimal-string values in D1
order, so the `tree` array equals OpenZeppelin's byte for byte.
"""

from __future__ import annotations

import json
import re

import numpy as np

from distributor.trees import jsontext
from distributor.trees.claims import AccountKind, Claims
from distributor.trees.hashing import keccak_rows, sort_rows
from distributor.trees.layouts import heap_proofs, heap_tree
from distributor.trees.schemes.base import (Built, Scheme, account_order, address_words,
                                            u256_words, with_indices)
from epochdrop.errors import UserError

_UINT = re.compile(r"uint(8|16|24|32|40|48|56|64|72|80|88|96|104|112|120|128|136|144|152|160"
                   r"|168|176|184|192|200|208|216|224|232|240|248|256)?")


def _bits(t: str) -> int | None:
    m = _UINT.fullmatch(t)
    return None if m is None else int(m.group(1) or 256)


class OZ(Scheme):
    name = "oz"
    native_file = "tree.json"
    default_leaf = "address,uint256"

    def leaf_types(self, leaf: str | None) -> list[str]:
        types = [t.strip() for t in (leaf or self.default_leaf).split(",")]
        types = ["uint256" if t == "uint" else t for t in types]
        if len(types) not in (2, 3):
            raise UserError(f"--leaf {leaf!r}: give 2 types (account, amount) or 3 types "
                            "(index, account, amount), e.g. address,uint256")
        if len(types) == 3 and _bits(types[0]) is None:
            raise UserError(f"--leaf {leaf!r}: the index (first of 3 types) must be uintN")
        if types[-2] != "address" and _bits(types[-2]) is None:
            raise UserError(f"--leaf {leaf!r}: the account type must be address or uintN")
        if _bits(types[-1]) is None:
            raise UserError(f"--leaf {leaf!r}: the amount (last type) must be uintN")
        return types

    def account_kind(self, types):
        return AccountKind("address") if types[-2] == "address" else AccountKind("uint", _bits(types[-2]))

    def amount_limit(self, types):
        return 2 ** _bits(types[-1]) - 1

    def encode(self, claims: Claims, types: list[str]) -> np.ndarray:
        """abi.encode of static types = one 32-byte word per value."""
        words = []
        if len(types) == 3:
            limit = 2 ** _bits(types[0]) - 1
            if max(claims.indices) > limit:
                raise UserError(f"an index is above the maximum of {types[0]}")
            words.append(u256_words(claims.indices))
        words.append(address_words(claims.keys) if types[-2] == "address" else claims.keys)
        words.append(claims.amount_words)
        return np.concatenate(words, axis=1)

    def order(self, claims: Claims, types: list[str]) -> Claims:
        if claims.indices is not None:
            order = np.argsort(np.array(claims.indices, dtype=object), kind="stable")
        elif types[-2] == "address":
            order = account_order(claims.account_text)
        else:
            order = np.argsort(claims.keys.view("S32").ravel(), kind="stable")
        return with_indices(claims.take(order))

    def build(self, claims, types):
        claims = self.order(claims, types)
        n = len(claims)
        leaves = keccak_rows(keccak_rows(self.encode(claims, types)))
        by_hash = sort_rows(leaves)
        tree = heap_tree(np.take(leaves, by_hash, axis=0), self.pair_hash)
        tree_index = np.empty(n, dtype=np.int64)
        tree_index[by_hash] = 2 * n - 2 - np.arange(n)
        index, offsets = heap_proofs(tree, tree_index)
        return Built(self.name, types, claims, leaves, bytes(tree[0]), tree, index, offsets,
                     {"tree_index": tree_index})

    def write_native(self, built, fh, proofs):
        head = {"format": "standard-v1", "leafEncoding": built.leaf_types}
        fh.write(json.dumps(head, separators=(",", ":"))[:-1].encode())
        fh.write(b',"tree":[')
        cells = memoryview(built.node_cells.reshape(-1))  # the heap in order: OZ's `tree`
        fh.write(cells[:-1])
        fh.write(b'],"values":[')
        t = built.text
        tree_index = jsontext.unsigned(built.extra["tree_index"])
        three = len(built.leaf_types) == 3
        step = 1 << 16  # in chunks: a million values are ~100 MB of text
        for s0 in range(0, len(built.claims), step):
            s1 = min(len(built.claims), s0 + step)
            index = (t.index[s0:s1], '","') if three else ()
            rows = jsontext.join(',{"value":["', *index, t.account[s0:s1], '","', t.amount[s0:s1],
                                 '"],"treeIndex":', tree_index[s0:s1], "}")
            fh.write(jsontext.data(rows)[0 if s0 else 1:])  # the first value has no `,`
        fh.write(b"]}\n")

    def read_native(self, path):
        data = json.loads(open(path, "rb").read())
        if data.get("format") != "standard-v1":
            raise UserError(f"{path}: not a standard-v1 dump")
        tree = data["tree"]
        return {"root": bytes.fromhex(tree[0][2:]), "leafEncoding": data["leafEncoding"],
                "values": data["values"], "tree": tree}

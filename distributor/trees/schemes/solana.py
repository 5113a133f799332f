"""Jito merkle-distributor (`jito-foundation/distributor` merkle-tree crate).

leaf data = sha256(claimant || amount_unlocked u64 LE || amount_locked u64 LE)
(tree_node.rs `TreeNode::hash`); tree leaf = sha256(0x00 || data), node =
sha256(0x01 || min || max) (merkle_tree.rs, sorted hashes); an odd last node is paired
with itself. The root depends on leaf order, so claims stay in input order (D2).
`merkle_tree.json` uses Jupiter's node shape `{claimant, amount, locked_amount, proof}`
with byte arrays as JSON number arrays (serde's `[u8; 32]`); Jito's older
`total_unlocked_*`/`total_locked_*` nodes are read too (D6).
"""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from distributor.trees import jsontext
from distributor.trees.claims import AccountKind, Claims
from distributor.trees.hashing import sha256_rows, u64_le
from distributor.trees.layouts import level_proofs, level_tree
from distributor.trees.schemes.base import Built, Scheme, with_indices
from epochdrop.errors import UserError

U64 = 2**64 - 1


def _prefixed(prefix: int, rows: np.ndarray) -> np.ndarray:
    out = np.empty((rows.shape[0], rows.shape[1] + 1), dtype=np.uint8)
    out[:, 0] = prefix
    out[:, 1:] = rows
    return out


class Solana(Scheme):
    name = "solana"
    native_file = "merkle_tree.json"
    default_leaf = "pubkey,u64,u64"
    allow_locked = True

    def account_kind(self, types):
        return AccountKind("solana")

    def amount_limit(self, types):
        return U64

    @staticmethod
    def pair_hash(a, b):
        swap = a.view("S32").ravel() > b.view("S32").ravel()
        lo = np.where(swap[:, None], b, a)
        hi = np.where(swap[:, None], a, b)
        rows = np.empty((a.shape[0], 65), dtype=np.uint8)
        rows[:, 0] = 1
        rows[:, 1:33] = lo
        rows[:, 33:] = hi
        return sha256_rows(rows)

    def build(self, claims: Claims, types):
        claims = with_indices(claims)
        locked = claims.locked or [0] * len(claims)
        if claims.locked_text is None:
            from dataclasses import replace
            claims = replace(claims, locked_text=jsontext.decimal(locked))
        for i, (a, lk) in enumerate(zip(claims.amounts, locked)):
            if a + lk > U64:
                raise UserError(f"claim {i + 1} ({claims.accounts[i]}): amount + locked_amount "
                                "is above 2^64-1")
        if sum(claims.amounts) + sum(locked) > U64:
            raise UserError("the total of all claims is above 2^64-1 (Jito's max_total_claim is u64)")
        data = sha256_rows(np.concatenate([claims.keys, u64_le(claims.amounts), u64_le(locked)], axis=1))
        leaves = sha256_rows(_prefixed(0, data))
        levels = level_tree(leaves, self.pair_hash, odd="duplicate")
        table, index, offsets = level_proofs(levels, np.arange(len(claims)), odd="duplicate")
        return Built(self.name, types, claims, leaves, bytes(levels[-1][0]), table, index, offsets)

    def write_native(self, built, fh, proofs):
        """`json.dumps(tree, indent=2)` of the whole tree, streamed: ~9 KB of text per
        claim (one line per byte), so it is made 8k claims at a time, each node's text
        built column-wise (`jsontext`), never as Python lists of numbers."""
        c = built.claims
        head = json.dumps({"merkle_root": list(built.root), "max_num_nodes": len(c),
                           "max_total_claim": built.total}, indent=2)
        fh.write(head[:-2].encode() + b',\n  "tree_nodes": [\n')
        t, off = built.text, built.proof_offsets
        step = 1 << 13
        for a in range(0, len(c), step):
            b = min(len(c), a + step)
            rows = np.take(built.node_table, built.proof_index[off[a]:off[b]], axis=0)
            nodes = jsontext.join(" " * 8, jsontext.byte_lists(rows, 8))
            path = jsontext.lists(off[a:b + 1] - off[a], nodes, ",\n")
            path = pc.if_else(pc.equal(pc.binary_length(path), 0), pa.scalar(b"[]", jsontext.TEXT),
                              jsontext.join("[\n", path, "\n      ]"))
            text = jsontext.join(
                ',\n    {\n      "claimant": ', jsontext.byte_lists(c.keys[a:b], 6),
                ',\n      "amount": ', t.amount[a:b], ',\n      "locked_amount": ', t.locked[a:b],
                ',\n      "proof": ', path, "\n    }")
            fh.write(jsontext.data(text)[0 if a else 2:])  # the first node has no `,\n`
        fh.write(b"\n  ]\n}\n")

    def read_native(self, path):
        data = json.loads(open(path, "rb").read())
        nodes = []
        for n in data["tree_nodes"]:
            if "amount" in n:
                unlocked, locked = n["amount"], n.get("locked_amount", 0)
            else:
                unlocked = sum(n[f"total_unlocked_{k}"] for k in ("staker", "searcher", "validator"))
                locked = sum(n[f"total_locked_{k}"] for k in ("staker", "searcher", "validator"))
            nodes.append((bytes(n["claimant"]), unlocked, locked, [bytes(p) for p in n["proof"] or []]))
        return {"root": bytes(data["merkle_root"]), "nodes": nodes,
                "max_total_claim": data["max_total_claim"]}

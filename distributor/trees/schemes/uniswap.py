"""Uniswap merkle-distributor (`Uniswap/merkle-distributor` src/parse-balance-map.ts,
src/balance-tree.ts, src/merkle-tree.ts; contracts/MerkleDistributor.sol).

leaf = keccak256(abi.encodePacked(uint256 index, address account, uint256 amount)).
Indices: without an `index` column, accounts are sorted as EIP-55 strings (JavaScript's
default `sort()`, i.e. code-unit order) and numbered from 0 — parse-balance-map.ts's rule.
Tree: leaves sorted by hash, neighbours paired with sorted-pair keccak, an odd last node
promoted unchanged; a proof skips the missing sibling. Native file `claims.json`:
`{merkleRoot, tokenTotal, claims: {account: {index, amount, proof}}}` with amounts as
ethers `BigNumber.toHexString()` (even number of hex digits).
"""

from __future__ import annotations

import json

import numpy as np

from distributor.trees import jsontext
from distributor.trees.claims import AccountKind, Claims
from distributor.trees.hashing import keccak_rows, sort_rows
from distributor.trees.layouts import level_proofs, level_tree
from distributor.trees.schemes.base import Built, Scheme, account_order, u256_words, with_indices
from epochdrop.errors import UserError


def ethers_hex(v: int) -> str:
    h = format(v, "x")
    return "0x" + ("0" + h if len(h) % 2 else h)


class Uniswap(Scheme):
    name = "uniswap"
    native_file = "claims.json"
    default_leaf = "uint256,address,uint256"
    packed_widths = (32, 20, 32)

    def account_kind(self, types):
        return AccountKind("address")

    def amount_limit(self, types):
        return 2**256 - 1

    def order(self, claims: Claims) -> Claims:
        if claims.indices is not None:
            order = np.argsort(np.array(claims.indices, dtype=object), kind="stable")
        else:
            order = account_order(claims.account_text)
        return with_indices(claims.take(order))

    def encode(self, claims: Claims) -> np.ndarray:
        return np.concatenate([u256_words(claims.indices), claims.keys,
                               claims.amount_words], axis=1)

    def build(self, claims, types):
        claims = self.order(claims)
        leaves = keccak_rows(self.encode(claims))
        by_hash = sort_rows(leaves)
        levels = level_tree(np.take(leaves, by_hash, axis=0), self.pair_hash, odd="promote")
        position = np.empty(len(claims), dtype=np.int64)
        position[by_hash] = np.arange(len(claims))
        table, index, offsets = level_proofs(levels, position, odd="promote")
        return Built(self.name, types, claims, leaves, bytes(levels[-1][0]), table, index, offsets)

    def write_native(self, built, fh, proofs):
        c = built.claims
        head = {"merkleRoot": "0x" + built.root.hex(), "tokenTotal": ethers_hex(built.total)}
        fh.write(json.dumps(head, separators=(",", ":"))[:-1].encode() + b',"claims":{')
        accounts, indices = built.text.account, built.text.index
        amounts = jsontext.strings([ethers_hex(a) for a in c.amounts])
        step = 1 << 15
        for a in range(0, len(c), step):
            b = min(len(c), a + step)
            rows = jsontext.join(',"', accounts[a:b], '":{"index":', indices[a:b], ',"amount":"',
                                 amounts[a:b], '","proof":[', proofs.array(np.arange(a, b)), "}")
            fh.write(jsontext.data(rows)[0 if a else 1:])  # the first claim has no `,`
        fh.write(b"}}\n")

    def read_native(self, path):
        data = json.loads(open(path, "rb").read())
        if isinstance(data, list) and len(data) == 1:
            data = data[0]
        claims = data.get("claims", data.get("recipients"))
        if not isinstance(claims, dict) or "merkleRoot" not in data:
            raise UserError(f"{path}: not a Uniswap claims file")
        return {"root": bytes.fromhex(data["merkleRoot"][2:]),
                "tokenTotal": int(data["tokenTotal"], 16),
                "claims": {a: (v["index"], int(v["amount"], 16),
                               [bytes.fromhex(p[2:]) for p in v["proof"]])
                           for a, v in claims.items()}}

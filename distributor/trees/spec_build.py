"""Build a tree from a declared leaf and tree (`spec.py`): rows -> claims -> leaves ->
tree -> every proof, as a `Built` the shared writers (proofs.parquet, shards, manifest)
and `tree check` take.

Steps, in the order the issue states them:
1. read the leaf's columns (exact names; `address` stands for `account` in presets);
2. `sum_by`: rows with one key are summed on the amount (Merkl: per (user, token));
3. `keep_zero = false` drops claims whose amount is 0 (Merkl); true keeps them (Pendle);
4. leaves: abi.encode / abi.encodePacked, keccak once or twice (`abivalues.py`);
5. `dedupe` drops repeated leaves (Badger), keeping the first;
6. the tree: leaves sorted by their bytes or kept in input order (Morpho); sorted-pair
   hashing (OpenZeppelin MerkleProof); an odd node promoted (Uniswap's merkle-tree.ts,
   merkletreejs) or paired with itself; or OpenZeppelin's heap layout;
7. `shards = d`: one sub-tree per value of the first d hex digits of `shard_by`, then a
   tree over the sub-roots; a claim's proof is its sub-tree proof then the sub-root's
   (ENS EP2, `ShardedMerkleTree` in ensdomains/governance-contracts src/merkle.js).

Output order (proofs.parquet rows): the tree's leaf order for sorted leaves (by leaf
bytes, so independent of input row order, D1), input order otherwise (as D2 for Solana).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import orjson
import pyarrow as pa

from distributor.trees import jsontext
from distributor.trees.abivalues import json_column, key_bytes, leaf_hashes, parse_column
from distributor.trees.claims import Claims
from distributor.trees.hashing import pair_rows, sort_rows
from distributor.trees.inputs import read_table
from distributor.trees.layouts import heap_proofs, heap_tree, level_proofs, level_tree
from distributor.trees.schemes.base import Built
from distributor.trees.spec import TreeSpec
from epochdrop.errors import InputError, UserError

ALIASES = {"account": "address"}  # presets: real files name the claimant either way


@dataclass
class SpecBuilt(Built):
    """A `Built` whose claims carry the whole leaf (`extra`: spec, columns, leaf JSON)."""

    @property
    def total(self) -> int | None:
        return self.extra["total"]


def read_rows(path: Path, spec: TreeSpec) -> dict[str, list[str | None]]:
    """The leaf's columns of the input file, as cell text."""
    path = Path(path)
    names = tuple(f.name for f in spec.fields)
    wanted = names + tuple(ALIASES[n] for n in names if spec.preset and n in ALIASES)

    def missing(name: str) -> UserError:
        return InputError(f"missing column {name!r}, a [leaf] fields column of the spec "
                          f"({', '.join(names)})", file=path.name, field=name)

    if path.suffix.lower() in (".csv", ".txt", ""):
        for f in spec.fields:
            if f.type.array:
                raise UserError(f"{path.name}: [leaf] fields: {f.name!r} is {f.type.name}; "
                                "arrays cannot come from CSV, give JSON or Parquet input")
    raw = read_table(path, wanted, (), missing)
    for n in names:
        if n not in raw and spec.preset and ALIASES.get(n) in raw:
            raw[n] = raw.pop(ALIASES[n])
        if n not in raw:
            raise missing(n)
    return {n: raw[n].to_pylist() if isinstance(raw[n], pa.Array) else raw[n] for n in names}


def build_spec(cells: dict[str, list[str | None]], spec: TreeSpec, *, file: str,
               decimals: int | None = None) -> SpecBuilt:
    """Cell text per leaf column -> the finished tree (claims in output order)."""
    types = {f.name: f.type for f in spec.fields}
    cols = {n: parse_column(cells[n], types[n], file=file, field=n,
                            decimals=decimals if n == spec.amount else None)
            for n in types}
    rows = np.arange(len(cols[spec.account]))  # input row (0-based) of each claim
    if spec.sum_by:
        cols, rows = _summed(cols, rows, spec, types, file)
    if not spec.keep_zero:
        keep = np.array([a != 0 for a in cols[spec.amount]], dtype=bool)
        cols, rows = _take(cols, np.flatnonzero(keep)), rows[keep]
    if len(rows) == 0:
        raise InputError("no claims left (every amount is 0 and [claims] keep_zero is false)",
                         file=file)
    leaves = leaf_hashes(spec, cols)
    if spec.dedupe:
        flat = np.ascontiguousarray(leaves).view("S32").ravel()
        _, first = np.unique(flat, return_index=True)
        first.sort()
        cols, rows, leaves = _take(cols, first), rows[first], leaves[first]
    _unique_claimants(cols, rows, spec, types, file)
    order = sort_rows(leaves) if spec.leaves == "sorted" else np.arange(len(leaves))
    cols, rows, leaves = _take(cols, order), rows[order], leaves[order]
    root, table, index, offsets = _tree(spec, leaves, cols)
    return _built(spec, cols, types, leaves, root, table, index, offsets, file)


def _take(cols: dict[str, list], idx) -> dict[str, list]:
    idx = np.asarray(idx).tolist()
    return {n: [c[i] for i in idx] for n, c in cols.items()}


def _freeze(v):
    return tuple(v) if isinstance(v, list) else v


def _summed(cols, rows, spec: TreeSpec, types, file):
    """Rows with the same `sum_by` key become one, amounts summed; the first row of each
    key keeps its place."""
    keys = list(zip(*(map(_freeze, cols[k]) for k in spec.sum_by)))
    first: dict[tuple, int] = {}
    sums: list[int] = []
    for k, a in zip(keys, cols[spec.amount]):
        g = first.setdefault(k, len(first))
        if g == len(sums):
            sums.append(0)
        sums[g] += a
    limit = 2**types[spec.amount].bits - 1
    idx = _first_rows(keys)  # groups in first-seen order, as `first` numbers them
    out = _take(cols, idx)
    for g, total in enumerate(sums):
        if total > limit:
            raise InputError(f"the sum {total} for this {'/'.join(spec.sum_by)} is above the "
                             f"maximum of {types[spec.amount].name}", file=file,
                             row=int(rows[idx[g]]) + 1, field=spec.amount)
    out[spec.amount] = sums
    return out, rows[np.array(idx, dtype=np.int64)]


def _first_rows(keys: list) -> list[int]:
    seen: set = set()
    out = []
    for i, k in enumerate(keys):
        if k not in seen:
            seen.add(k)
            out.append(i)
    return out


def _unique_claimants(cols, rows, spec: TreeSpec, types, file) -> None:
    """Without `sum_by`, a claimant appears once (D3: a repeated account is a mistake in the
    file, not two claims); with it, the `sum_by` key is unique by construction."""
    if spec.sum_by:
        return
    seen: dict = {}
    for i, v in enumerate(cols[spec.account]):
        if v in seen:
            text = json_column([v], types[spec.account])[0]
            raise InputError(f"{spec.account} {text} appears twice (first on row "
                             f"{int(rows[seen[v]]) + 1}); sum the rows with [claims] sum_by or "
                             "drop identical ones with [tree] dedupe", file=file,
                             row=int(rows[i]) + 1, field=spec.account)
        seen[v] = i


def _tree(spec: TreeSpec, leaves: np.ndarray, cols) -> tuple:
    """-> (root, node table, proof rows into it, offsets), leaves in output order."""
    n = len(leaves)
    if spec.layout == "heap":
        by_hash = sort_rows(leaves)
        tree = heap_tree(np.take(leaves, by_hash, axis=0), pair_rows)
        tree_index = np.empty(n, dtype=np.int64)
        tree_index[by_hash] = 2 * n - 2 - np.arange(n)
        index, offsets = heap_proofs(tree, tree_index)
        return bytes(tree[0]), tree, index, offsets
    if not spec.shards:
        levels = level_tree(leaves, pair_rows, odd=spec.odd)
        table, index, offsets = level_proofs(levels, np.arange(n), odd=spec.odd)
        return bytes(levels[-1][0]), table, index, offsets
    # Sharded (ENS EP2): sub-trees by the shard prefix, a top tree over their roots.
    t = spec.field(spec.shard_by).type
    prefix = [key_bytes(v, t).hex()[:spec.shards] for v in cols[spec.shard_by]]
    groups: dict[str, list[int]] = {}
    for i, p in enumerate(prefix):
        groups.setdefault(p, []).append(i)
    names = sorted(groups)
    sub_proofs: list[list[bytes]] = [[] for _ in range(n)]
    roots = []
    for name in names:
        members = np.array(groups[name])
        levels = level_tree(leaves[members], pair_rows, odd=spec.odd)
        table, index, offsets = level_proofs(levels, np.arange(len(members)), odd=spec.odd)
        for j, i in enumerate(members.tolist()):
            sub_proofs[i] = [bytes(table[r]) for r in index[offsets[j]:offsets[j + 1]]]
        roots.append(levels[-1][0])
    tops = np.stack(roots)
    top_order = sort_rows(tops) if spec.leaves == "sorted" else np.arange(len(tops))
    top_levels = level_tree(tops[top_order], pair_rows, odd=spec.odd)
    position = np.empty(len(tops), dtype=np.int64)
    position[top_order] = np.arange(len(tops))
    ttable, tindex, toff = level_proofs(top_levels, position, odd=spec.odd)
    top_proof = {name: [bytes(ttable[r]) for r in tindex[toff[g]:toff[g + 1]]]
                 for g, name in enumerate(names)}
    proofs = [sub_proofs[i] + top_proof[prefix[i]] for i in range(n)]
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum([len(p) for p in proofs], out=offsets[1:])
    flat = b"".join(b"".join(p) for p in proofs)
    nodes = np.frombuffer(flat, np.uint8).reshape(-1, 32) if flat else np.zeros((0, 32), np.uint8)
    return bytes(top_levels[-1][0]), nodes, np.arange(len(nodes), dtype=np.int64), offsets


def _built(spec: TreeSpec, cols, types, leaves, root, table, index, offsets, file) -> SpecBuilt:
    n = len(leaves)
    text = {f.name: json_column(cols[f.name], f.type) for f in spec.fields}
    acc_t = types[spec.account]
    keys = np.frombuffer(b"".join(key_bytes(v, acc_t) for v in cols[spec.account]),
                         np.uint8).reshape(n, -1)
    amounts = cols[spec.amount] if spec.amount else None
    if "index" in types:
        indices = cols["index"]
        if types["index"].base != "uint" or max(indices) >= 2**64:
            raise InputError("the leaf's 'index' is the claim's index: give uint values below "
                             "2^64", file=file, field="index")
    else:
        indices = list(range(n))
    amount_text = (jsontext.decimal(amounts) if amounts is not None
                   else jsontext.strings([""] * n))  # no amount column (Badger): empty
    claims = Claims(jsontext.strings(text[spec.account]), keys, amount_text, indices)
    names = [f.name for f in spec.fields]
    leaf_json = [orjson.dumps(dict(zip(names, row))).decode()
                 for row in zip(*(text[k] for k in names))]
    columns = {}
    for f in spec.fields:
        if f.name in ("account", "amount", "index"):
            continue  # proofs.parquet has these columns already (same values)
        columns[f.name] = (pa.array(text[f.name], pa.list_(pa.string())) if f.type.array
                           else pa.array([v if isinstance(v, str) else json.dumps(v)
                                          for v in text[f.name]], pa.string()))
    multi = len(set(map(bytes, keys))) != n
    return SpecBuilt(spec.name, spec.types, claims, leaves, root, table, index, offsets,
                     {"spec": spec, "columns": columns, "leaf_json": leaf_json, "multi": multi,
                      "total": sum(amounts) if amounts is not None else None})

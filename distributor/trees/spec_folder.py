"""A spec'd tree's folder read back: `tree proof` and `tree check` (issue 16).

The manifest records the whole spec (`spec.TreeSpec.to_dict`), and proofs.parquet holds
every leaf field as a column, so the tree is rebuilt from the folder alone: the leaf
columns go through the same builder as the input did (`spec_build.build_spec`; summing,
zero-dropping and dedupe are idempotent on its output), and the root, every claim, every
proof and every shard must come out as stored. Small by design: spec'd trees have no
native file and none of the million-claim streaming of `check.py`.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from distributor.trees import outputs
from distributor.trees.check import _flat_proofs, _manifest_problems
from distributor.trees.hashing import pair_rows
from distributor.trees.regenerate import _Compare
from distributor.trees.spec import parse_spec
from distributor.trees.spec_build import SpecBuilt, build_spec
from epochdrop.addresses import checksum
from epochdrop.errors import UserError
from epochdrop.fsio import hash_tree
from epochdrop.folder import MANIFEST, Manifest


def folder_spec(folder: Path, man: Manifest):
    name = man.scheme
    return parse_spec(man.tree.spec, f"{Path(folder) / MANIFEST} spec",
                      preset=name if name not in (None, "spec") else None)


def rebuild(folder: Path, man: Manifest, table: pa.Table | None = None) -> tuple[SpecBuilt, pa.Table]:
    """proofs.parquet's leaf columns -> the tree they make (and the table read)."""
    spec = folder_spec(folder, man)
    t = table if table is not None else pq.read_table(Path(folder) / outputs.PROOFS)
    cells = {}
    for f in spec.fields:
        values = t.column(f.name).to_pylist()
        cells[f.name] = [json.dumps(v) if isinstance(v, list) else (None if v is None else str(v))
                         for v in values]
    return build_spec(cells, spec, file=outputs.PROOFS), t


def head(man: Manifest) -> dict:
    return man.shard_head()


def check_spec_folder(folder: Path, man: Manifest) -> list[str]:
    folder = Path(folder)
    problems = _manifest_problems(hash_tree(folder, exclude={MANIFEST}), man)
    built, t = rebuild(folder, man)
    root = "0x" + built.root.hex()
    if root != man.root:
        problems.append(f"root recomputed from proofs.parquet is {root}, manifest says "
                        f"{man.root}")
    same = (t.column("account").to_pylist() == built.claims.accounts
            and t.column("amount").to_pylist() == built.claims.amount_text.view(
                pa.large_string()).to_pylist()
            and t.column("index").to_pylist() == list(built.claims.indices)
            and t.column("leaf").to_pylist() == built.extra["leaf_json"])
    if not same:
        problems.append("proofs.parquet claims are not in the spec's order or differ from a "
                        "rebuild")
    nodes, offsets = _flat_proofs(t.column("proof").combine_chunks())
    if same:
        ok = _folds(built.leaves, nodes, offsets, bytes.fromhex(man.root[2:]))
        problems += [f"proof of {built.claims.accounts[i]} does not verify against the root"
                     for i in np.flatnonzero(~ok)[:5].tolist()]
        if not (np.array_equal(offsets, built.proof_offsets)
                and np.array_equal(nodes, built.proof_nodes)):
            problems.append("proofs.parquet differs from a rebuild of its own claims")
    total = None if built.total is None else str(built.total)
    if total != man.tree.total or len(built.claims) != man.tree.count:
        problems.append("total or count differs from the manifest")
    cmp = _Compare(folder)
    plan = outputs.ShardPlan(built, folder, head(man))
    plan.write(cmp)
    plan.write_index(cmp)
    expected = {f"{outputs.SHARDS}/{name}.json" for name, _ in plan.groups}
    present = {p.relative_to(folder).as_posix() for p in (folder / outputs.SHARDS).glob("*.json")}
    problems += [f"{d}: differs from what proofs.parquet implies" for d in cmp.differ]
    problems += [f"{d}: not a shard of this tree" for d in
                 sorted(present - expected - {f"{outputs.SHARDS}/index.json"})]
    return problems


def _folds(leaves: np.ndarray, nodes: np.ndarray, offsets: np.ndarray, root: bytes) -> np.ndarray:
    """Fold every stored proof from its leaf with OpenZeppelin's sorted-pair hash, claims
    of one proof length together; True where it reaches the root."""
    lengths = np.diff(offsets)
    ok = np.zeros(len(lengths), dtype=bool)
    want = np.frombuffer(root, np.uint8)
    for length in np.unique(lengths).tolist():
        sel = np.flatnonzero(lengths == length)
        h = leaves[sel]
        for j in range(length):
            h = pair_rows(h, nodes[offsets[sel] + j])
        ok[sel] = (h == want).all(axis=1)
    return ok


def spec_claim_json(folder: Path, man: Manifest, account: str) -> dict:
    """`tree proof` for a spec'd tree: the claim (or, where an account holds several, as
    Merkl's one per token, every claim) in the shape the shards hold, read from
    proofs.parquet's rows (no rebuild: `tree check` is the command that rebuilds)."""
    spec = folder_spec(folder, man)
    t = pq.read_table(Path(folder) / outputs.PROOFS,
                      columns=["account", "amount", "index", "leaf", "proof"])
    key = _canonical(account, spec.field(spec.account).type)
    accounts = t.column("account").to_pylist()
    rows = [i for i, a in enumerate(accounts) if a == key]
    if not rows:
        raise UserError(f"{account} has no claim in {folder} (root {man.root})")
    picked = t.take(rows).to_pylist()
    claims = [{"account": r["account"], "amount": r["amount"], "index": r["index"],
               "leaf": json.loads(r["leaf"]), "proof": ["0x" + p.hex() for p in r["proof"]]}
              for r in picked]
    ctx = {"format": outputs.CLAIM_FORMAT, **man.claim_context()}
    if len(set(accounts)) != len(accounts):  # accounts hold several claims here (Merkl)
        return {**ctx, "account": key, "claims": claims}
    return {**ctx, **claims[0]}


def _canonical(account: str, t) -> str:
    """The account as proofs.parquet spells it (EIP-55, decimal, 0x hex)."""
    if t.base == "address":
        return checksum(account, field="ACCOUNT")
    if t.base in ("uint", "int"):
        try:
            return str(int(account, 0))
        except ValueError:
            raise UserError(f"{account!r} is not an integer") from None
    return account.lower() if t.base == "bytes" else account

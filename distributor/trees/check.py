"""`tree check DIR`: re-read every output file, recompute the root, verify every proof.

Independent of how the folder was written: hashes are checked against the manifest, the
tree is rebuilt from proofs.parquet's claims, every stored proof is folded up to the root,
and the native file and every shard must agree with proofs.parquet claim by claim.
Returns a list of problems; empty means the folder holds.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from distributor.trees import outputs
from distributor.trees.build import _keys_for
from distributor.trees.claims import Claims
from distributor.trees.schemes import Built, get_scheme
from epochdrop.fsio import hash_tree
from epochdrop.manifest import MANIFEST, read_manifest


def check_folder(folder: Path) -> tuple[list[str], dict]:
    folder = Path(folder)
    man = read_manifest(folder)
    try:
        return _check(folder, man), man
    except (OSError, ValueError, KeyError, TypeError, IndexError, pa.ArrowException) as exc:
        # a file that no longer parses is a finding about the folder, not a crash
        return [f"an output file cannot be read: {type(exc).__name__}: {exc}"[:300]], man


def _check(folder: Path, man: dict) -> list[str]:
    problems: list[str] = []
    actual = hash_tree(folder, exclude={MANIFEST})
    for name in sorted(set(actual) | set(man.get("outputs", {}))):
        if actual.get(name) != man["outputs"].get(name):
            problems.append(f"{name}: sha256 differs from the manifest" if name in actual
                            and name in man["outputs"] else f"{name}: missing or not in manifest")
    scheme = get_scheme(man["scheme"])
    types = man["leaf_encoding"]
    stored = _read_proofs(folder / outputs.PROOFS, scheme, types)
    rebuilt = scheme.build(replace(stored.claims, indices=stored.claims.indices
                                   if man["scheme"] in ("uniswap",) or len(types) == 3 else None),
                           types)
    root = "0x" + rebuilt.root.hex()
    if root != man["root"]:
        problems.append(f"root recomputed from proofs.parquet is {root}, manifest says {man['root']}")
    stored.root = bytes.fromhex(man["root"][2:])
    if scheme.name != "solana":
        _same_order(stored, rebuilt, problems)
    stored.leaves = rebuilt.leaves if _same_claims(stored, rebuilt) else stored.leaves
    bad = np.flatnonzero(~scheme.verify_leaves(stored))
    for i in bad[:5].tolist():
        problems.append(f"proof of {stored.claims.accounts[i]} does not verify against the root")
    if len(bad) > 5:
        problems.append(f"... {len(bad)} proofs in all do not verify")
    if str(stored.total) != man["total"] or len(stored.claims) != man["count"]:
        problems.append("total or count differs from the manifest")
    same_proofs = (_same_claims(stored, rebuilt)
                   and np.array_equal(stored.proof_offsets, rebuilt.proof_offsets)
                   and np.array_equal(stored.proof_nodes, rebuilt.proof_nodes))
    if not same_proofs:
        problems.append("proofs.parquet differs from a rebuild of its own claims")
    # The shards and the native file must be exactly what the verified claims produce:
    # regenerate each in memory and compare bytes (fast at a million claims); only a file
    # that differs is parsed, to name the claim that is wrong.
    head = {"scheme": man["scheme"], "root": man["root"], "chain_id": man.get("chain_id"),
            "token": man.get("token")}
    differing = _compare_regenerated(folder, rebuilt, scheme, head) if same_proofs else None
    if differing is None or any(d.startswith(outputs.SHARDS) for d in differing):
        problems += _check_shards(folder, stored) or [f"{d}: differs" for d in differing or []
                                                      if d.startswith(outputs.SHARDS)]
    if scheme.native_file and (differing is None or scheme.native_file in differing):
        problems += _check_native(folder / scheme.native_file, scheme, stored) or \
            [f"{scheme.native_file}: differs from what proofs.parquet implies"]
    return problems


class _Compare:
    """A sink that compares instead of writing."""

    def __init__(self, folder: Path):
        self.folder, self.differ = folder, []

    def write(self, rel: str, data: bytes) -> None:
        path = self.folder / rel
        if not path.is_file() or path.read_bytes() != data:
            self.differ.append(rel)


def _compare_regenerated(folder: Path, built: Built, scheme, head: dict) -> list[str]:
    import io

    cmp = _Compare(folder)
    plan = outputs.ShardPlan(built, folder, head)
    plan.write(cmp)
    plan.write_index(cmp)
    expected = {f"{outputs.SHARDS}/{name}.json" for name, _ in plan.groups}
    present = {p.relative_to(folder).as_posix() for p in (folder / outputs.SHARDS).glob("*.json")}
    cmp.differ += sorted(present - expected - {f"{outputs.SHARDS}/index.json"})
    if scheme.native_file:
        buf = io.BytesIO()
        scheme.write_native(built, buf, outputs.ProofText(built))
        cmp.write(scheme.native_file, buf.getvalue())
    return cmp.differ


def _read_proofs(source, scheme, types) -> Built:
    """proofs.parquet (a path, or an already-read table) -> a Built without leaves."""
    t = source if hasattr(source, "column_names") else pq.read_table(source)
    accounts = t.column("account").to_pylist()
    kind = scheme.account_kind(types)
    claims = Claims(accounts, _keys_for(accounts, kind),
                    [int(a) for a in t.column("amount").to_pylist()],
                    t.column("index").to_pylist(),
                    [int(a) for a in t.column("locked_amount").to_pylist()]
                    if "locked_amount" in t.column_names else None)
    proof = t.column("proof").combine_chunks()
    offsets = proof.offsets.to_numpy().astype(np.int64)
    flat = proof.values
    nodes = np.frombuffer(flat.buffers()[1], dtype=np.uint8)[flat.offset * 32:(flat.offset + len(flat)) * 32]
    nodes = nodes.reshape(-1, 32)[offsets[0]:]
    offsets = offsets - offsets[0]
    return Built.from_nodes(scheme.name, types, claims, np.zeros((len(accounts), 32), np.uint8),
                            b"", nodes, offsets)


def _same_claims(a: Built, b: Built) -> bool:
    return a.claims.accounts == b.claims.accounts and a.claims.amounts == b.claims.amounts


def _same_order(stored: Built, rebuilt: Built, problems: list[str]) -> None:
    if not _same_claims(stored, rebuilt):
        problems.append("proofs.parquet claims are not in canonical order or differ from a rebuild")


def _check_shards(folder: Path, built: Built) -> list[str]:
    problems = []
    index = json.loads((folder / outputs.SHARDS / "index.json").read_bytes())
    digits = index["digits"]
    keys = outputs.account_keys(built)
    shard_cache: dict[str, dict] = {}
    for i, key in enumerate(keys):
        name = key[:digits] or "all"
        if name not in shard_cache:
            p = folder / outputs.SHARDS / f"{name}.json"
            shard_cache[name] = json.loads(p.read_bytes())["claims"] if p.exists() else {}
        got = shard_cache[name].get(key)
        if got is None or got["amount"] != str(built.claims.amounts[i]) or \
                got["proof"] != ["0x" + p.hex() for p in built.proof(i)]:
            problems.append(f"shard {name}.json: claim of {built.claims.accounts[i]} missing or differs")
            if len(problems) > 5:
                break
    total = sum(len(s) for s in shard_cache.values())
    if not problems and total != len(keys):
        problems.append(f"shards hold {total} claims, proofs.parquet {len(keys)}")
    return problems


def _check_native(path: Path, scheme, built: Built) -> list[str]:
    nat = scheme.read_native(path)
    problems = []
    if nat["root"] != built.root:
        problems.append(f"{path.name}: root differs from the manifest")
    c = built.claims
    if scheme.name == "uniswap":
        for i, a in enumerate(c.accounts):
            got = nat["claims"].get(a)
            if got is None or got[0] != c.indices[i] or got[1] != c.amounts[i] or got[2] != built.proof(i):
                problems.append(f"{path.name}: claim of {a} missing or differs")
                break
    elif scheme.name == "solana":
        for i, (key, unlocked, locked, proof) in enumerate(nat["nodes"]):
            if key != bytes(c.keys[i]) or unlocked != c.amounts[i] or locked != c.locked[i] \
                    or proof != built.proof(i):
                problems.append(f"{path.name}: node {i} differs from proofs.parquet")
                break
    elif scheme.name == "oz":
        tree = nat["tree"]
        for i in range(len(c)):
            ti = nat["values"][i]["treeIndex"]
            path_nodes, j = [], ti
            while j > 0:
                path_nodes.append(bytes.fromhex(tree[j - 1 if j % 2 == 0 else j + 1][2:]))
                j = (j - 1) // 2
            if path_nodes != built.proof(i) or nat["values"][i]["value"][-1] != str(c.amounts[i]):
                problems.append(f"{path.name}: value {i} differs from proofs.parquet")
                break
    return problems

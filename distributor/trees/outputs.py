"""Write a built tree: proofs.parquet, the native file, `proofs/` shards (DESIGN
"Distribution", DECISIONS D6).

Large JSON is streamed in chunks, and proof arrays are sliced out of one buffer of
fixed-width hex cells (`hexfmt.node_cells`), so a million claims never become twenty
million Python strings.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from distributor.trees import jsontext
from distributor.trees.hexfmt import CELL, hex_digits, row_strings
from distributor.trees.schemes import Built, Scheme
from epochdrop.addresses import checksum

from epochdrop.folder.proofs import PROOFS, SHARDS  # noqa: E402 - the folder owns the names
SHARD_TARGET = 1 << 20  # bytes: "a shard near 1 MB" (issue 3)
CLAIM_FORMAT = "epochdrop-claim-v1"
SHARD_FORMAT = "epochdrop-proof-shard-v1"
INDEX_FORMAT = "epochdrop-proof-index-v1"


class OutputSink:
    """Writes files and keeps the sha256 of what it wrote, so the manifest gets every
    output's hash without reading gigabytes back."""

    def __init__(self, root: Path):
        self.root = root
        self.known: dict[str, str] = {}

    def write(self, rel: str, *parts: bytes | memoryview) -> None:
        """Write the file `rel` as `parts` back to back (never joined into one copy)."""
        h = hashlib.sha256()
        with open(os.path.join(self.root, rel), "wb") as f:
            for part in parts:
                f.write(part)
                h.update(part)
        self.known[rel] = h.hexdigest()

    def add(self, hashes: dict[str, str]) -> None:
        """Hashes of files another writer (a forked child, pyarrow) wrote into this folder."""
        self.known.update(hashes)

    def hashes(self, *, check: bool = True) -> dict[str, str]:
        out = dict(self.known)
        if not check:
            return out
        on_disk = {p.relative_to(self.root).as_posix() for p in self.root.rglob("*") if p.is_file()}
        if on_disk - {"manifest.json"} != set(out):
            from epochdrop.errors import InternalError
            raise InternalError(f"output files not hashed: {sorted(on_disk ^ set(out))[:5]}")
        return out


class HashingFile:
    """A binary file that hashes what is written through it, so the manifest gets the
    sha256 of proofs.parquet and the native file without reading them back."""

    def __init__(self, path: Path):
        self.f = open(path, "wb")
        self.h = hashlib.sha256()
        self.pos = 0
        self.closed = False

    def write(self, data) -> int:
        self.h.update(data)
        self.pos += self.f.write(data)
        return len(memoryview(data))

    def tell(self) -> int:
        return self.pos

    def flush(self) -> None:
        self.f.flush()

    def close(self) -> None:
        self.f.close()
        self.closed = True

    def hexdigest(self) -> str:
        return self.h.hexdigest()

    def __enter__(self) -> "HashingFile":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class ProofText:
    """JSON proof arrays (`["0x…",…]`) for any subset of claims, gathered from the text of
    each tree node (`Built.node_cells`, formatted once) rather than formatted per proof."""

    def __init__(self, built: Built):
        self.cells, self.index, self.off = built.node_cells, built.proof_index, built.proof_offsets

    def spans(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One uint8 buffer of `"0x…",` cells for the claims `idx`, and where each claim's
        run of cells starts and ends in it (claim j's cells are buf[a[j]:b[j]])."""
        idx = np.asarray(idx, dtype=np.int64)
        starts, lens = self.off[idx], self.off[idx + 1] - self.off[idx]
        ends = np.cumsum(lens)
        total = int(ends[-1]) if len(ends) else 0
        rows = np.repeat(starts - (ends - lens), lens) + np.arange(total)
        w = self.cells.shape[1]  # one void item per row: np.take copies it whole, ~3x faster
        buf = np.take(self.cells.view(f"V{w}").ravel(), np.take(self.index, rows)).view(np.uint8)
        return buf, (ends - lens) * CELL, ends * CELL

    def closed(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`spans` with each claim's last `,` turned into `]`: claim j's proof array is
        `[` + buf[a[j]:b[j]] (an empty proof has no cells; its `]` is the caller's)."""
        buf, a, b = self.spans(idx)
        full = b > a
        buf[b[full] - 1] = ord("]")
        return buf, a, b

    def array(self, idx: np.ndarray):
        """Claim j's proof array after its `[` (`"0x…","0x…"]`, or `]` when empty) as
        row j of a text column (`jsontext`)."""
        buf, a, b = self.closed(idx)
        rows = jsontext.spans(buf, a, b)
        if (a == b).any():
            rows = pc.if_else(pc.equal(pc.binary_length(rows), 0), pa.scalar(b"]", jsontext.TEXT), rows)
        return rows


def account_keys(built: Built) -> list[str]:
    """Shard keys: lowercase hex of the account bytes, without 0x (D6)."""
    return row_strings(hex_digits(built.claims.keys))


def claim_object(built: Built, i: int) -> dict:
    one = np.array([i])
    text = jsontext.join(claim_heads(built, one), ProofText(built).array(one), "}")
    return json.loads(bytes(jsontext.data(text)))


def write_parquet(built: Built, path: Path) -> str:
    """Row groups of 64k claims, each group's proof nodes gathered into one reused buffer
    (never all ~640 MB of a million claims' proofs at once)."""
    c = built.claims
    text = built.text
    as_string = lambda col: col.view(pa.large_string()).cast(pa.string())  # noqa: E731
    cols = {"account": as_string(text.account),
            "index": pa.array(c.indices, pa.uint64()),
            "amount": as_string(text.amount)}
    if built.scheme == "solana":
        cols["locked_amount"] = as_string(text.locked)
    if "leaf_json" in built.extra:  # a spec'd tree: the leaf's fields, and the leaf as JSON
        cols.update(built.extra["columns"])
        cols["leaf"] = pa.array(built.extra["leaf_json"], pa.string())
    table = pa.table(cols)
    schema = table.schema.append(pa.field("proof", pa.list_(pa.binary(32))))
    # Hashes do not compress: zstd on the proof column costs seconds for nothing.
    compression = {name: ("none" if name == "proof" else "zstd") for name in schema.names}
    off = built.proof_offsets
    group = 1 << 16
    most = max((int(off[min(a + group, len(c))] - off[a]) for a in range(0, len(c), group)),
               default=0)
    nodes = np.empty((most, 32), dtype=np.uint8)
    node_v, slots = built.node_table.view("V32").ravel(), nodes.view("V32").ravel()  # ~5x faster take
    out = HashingFile(path)
    with out, pq.ParquetWriter(out, schema, compression=compression,
                               write_statistics=False) as writer:
        for a in range(0, len(c), group):
            b = min(a + group, len(c))
            k = int(off[b] - off[a])
            np.take(node_v, built.proof_index[off[a]:off[b]], out=slots[:k])
            flat = pa.FixedSizeBinaryArray.from_buffers(
                pa.binary(32), k, [None, pa.py_buffer(nodes[:k])])  # zero-copy
            proofs = pa.ListArray.from_arrays(jsontext.integers(off[a:b + 1] - off[a], pa.int32()), flat)
            batch = table.slice(a, b - a).append_column(schema.field("proof"), proofs)
            writer.write_table(batch, row_group_size=group)
    return out.hexdigest()


def write_native(scheme: Scheme, built: Built, out: Path) -> str | None:
    """-> the native file's sha256 (None for a scheme without one)."""
    if scheme.native_file is None:
        return None
    with HashingFile(out / scheme.native_file) as fh:
        scheme.write_native(built, fh, ProofText(built))
    return fh.hexdigest()


def shard_digits(built: Built) -> int:
    """Hex digits of the shard prefix that bring the average shard nearest 1 MB (in ratio):
    a million claims -> 3 digits, 4,096 shards of ~370 KB."""
    import math

    n = len(built.claims)
    depth = len(built.proof_index) / max(n, 1)
    total = n * (140 + 2 * built.claims.keys.shape[1] + CELL * depth)
    best = min(range(0, 2 * built.claims.keys.shape[1] + 1),
               key=lambda d: (abs(math.log(max(total / 16**d, 1) / SHARD_TARGET)), d))
    return min(best, max(0, math.ceil(math.log(max(n, 1), 16))))


def claim_heads(built: Built, idx: np.ndarray):
    """Each claim object up to its proof array's `[`, as a text column (`jsontext`): the
    one shape for `tree proof`, shards and serve (D6)."""
    t = built.text.take(idx)
    if "leaf_json" in built.extra:
        if "leaf_text" not in built.extra:
            built.extra["leaf_text"] = jsontext.strings(built.extra["leaf_json"])
        return jsontext.join('{"account":"', t.account, '","amount":"', t.amount, '","index":',
                             t.index, ',"leaf":', built.extra["leaf_text"].take(idx),
                             ',"proof":[')
    if built.scheme == "solana":
        return jsontext.join('{"account":"', t.account, '","amount":"', t.amount, '","index":',
                             t.index, ',"locked_amount":"', t.locked, '","proof":[')
    return jsontext.join('{"account":"', t.account, '","amount":"', t.amount, '","index":',
                         t.index, ',"proof":[')


class ShardPlan:
    """Which claims go to which `proofs/<prefix>.json`, decided once so that two processes
    can each write a share of the shards (`write(sink, which)`)."""

    def __init__(self, built: Built, out: Path, head: dict):
        self.built, self.out = built, out
        self.digits = d = shard_digits(built)
        raw = built.claims.keys
        prefix = np.zeros(len(raw), dtype=np.int64)  # the first d hex digits as a number
        for j in range(d):
            nibble = raw[:, j // 2] >> 4 if j % 2 == 0 else raw[:, j // 2] & 15
            prefix = prefix * 16 + nibble
        order = np.argsort(prefix, kind="stable")  # stable: each group stays in claim order
        sorted_p = prefix[order]
        cuts = np.flatnonzero(sorted_p[1:] != sorted_p[:-1]) + 1
        self.groups = [(format(int(prefix[g[0]]), f"0{d}x") if d else "all", g)
                       for g in np.split(order, cuts) if len(g)]
        self.head = head

    def write(self, sink: OutputSink, which: Iterable[int] | None = None) -> None:
        """Write the shards at positions `which` of the plan (all by default).

        A shard is the head, then per claim `"<key>":`, the claim object and its proof,
        glued for the whole shard at once (`jsontext`). Made shard by shard in whichever
        process writes it: nothing per claim is made up front."""
        built = self.built
        proof_text = ProofText(built)
        head_bytes = json.dumps({"format": SHARD_FORMAT, **self.head},
                                separators=(",", ":"))[:-1].encode() + b',"claims":{'
        for gi in range(len(self.groups)) if which is None else which:
            name, group = self.groups[gi]
            if built.extra.get("multi"):
                sink.write(f"{SHARDS}/{name}.json", head_bytes,
                           _multi_body(built, group, proof_text), b"}}\n")
                continue
            keys = jsontext.fixed_width(hex_digits(np.take(built.claims.keys, group, axis=0)))
            rows = jsontext.join('"', keys, '":', claim_heads(built, group),
                                 proof_text.array(group), "},")
            body = jsontext.data(rows)[:-1]  # the last claim's `,`
            sink.write(f"{SHARDS}/{name}.json", head_bytes, body, b"}}\n")

    def write_index(self, sink: OutputSink) -> None:
        index = {"format": INDEX_FORMAT, **self.head, "digits": self.digits, "key": _KEY_DOC,
                 "count": len(self.built.claims), "shards": len(self.groups)}
        sink.write(f"{SHARDS}/index.json",
                   json.dumps(index, indent=2, sort_keys=True).encode() + b"\n")


def _multi_body(built: Built, group: np.ndarray, proof_text: ProofText) -> bytes:
    """Shard entries of a tree where one account holds several claims (Merkl: one per
    token): `"<key>":[claim, …]`, the claims in output order."""
    keys = row_strings(hex_digits(np.take(built.claims.keys, group, axis=0)))
    objs = jsontext.join(claim_heads(built, group), proof_text.array(group), "}").to_pylist()
    entries: dict[str, list[bytes]] = {}
    for k, obj in zip(keys, objs):
        entries.setdefault(k, []).append(obj)
    return b",".join(b'"%s":[%s]' % (k.encode(), b",".join(v)) for k, v in entries.items())


_KEY_DOC = ("claims are in proofs/<first `digits` characters of key>.json under `claims[key]`, "
            "key = lowercase hex of the account bytes without 0x; all.json when digits is 0")


def claim_json(folder: Path, account: str) -> dict:
    """`tree proof`: one claim with the context a front-end needs (root, chain, token)."""
    import pyarrow.compute as pc
    from distributor.trees.check import _read_proofs
    from distributor.trees.schemes import get_scheme
    from epochdrop.errors import UserError
    from epochdrop.folder import read_manifest, read_proofs

    folder = Path(folder)
    man = read_manifest(folder)
    if man.tree is None:
        raise UserError(f"{folder}: epoch {man.label} has no tree "
                        f"({man.tree_note or 'no root'}); nothing to prove")
    if man.tree.spec:
        from distributor.trees.spec_folder import spec_claim_json
        return spec_claim_json(folder, man, account)
    scheme = get_scheme(man.tree.scheme)
    kind = scheme.account_kind(man.tree.leaf).kind
    if kind == "address":
        account = checksum(account, field="ACCOUNT")
    elif kind == "uint" and account.isdigit():
        account = str(int(account))
    table = read_proofs(folder)  # no sha256 pass: `tree check` is the full check
    mask = pc.equal(table.column("account"), account)
    row = table.filter(mask)
    if row.num_rows == 0:
        raise UserError(f"{account} has no claim in {folder} (root {man.root})")
    built = _read_proofs(row, scheme, man.tree.leaf)
    return {"format": CLAIM_FORMAT, **man.claim_context(), **claim_object(built, 0)}

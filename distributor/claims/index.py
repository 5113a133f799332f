"""The on-disk claims index: one file per output folder, answered with a binary search.

Why not load proofs.parquet: a million claims with ~20-node proofs are ~20 million Python
objects (seconds to load, gigabytes of RSS per worker). The index instead keeps the Arrow
buffers of proofs.parquet as they are (account text, amount text, proof nodes) behind small
offset tables, plus the account keys sorted with the row each one came from. A lookup is a
binary search over the mapped keys and three `os.pread`s; nothing but the key and offset tables
(~60 bytes a claim) is held in memory, and the big buffers stay in the page cache, not in RSS.

Where: beside the folder, never inside it (the folder's bytes are in its manifest, D7):
`<parent>/.epochdrop-index/<folder>.<sha256(proofs.parquet)[:16]>.idx`, so a rebuilt folder
gets a fresh index. Built once, atomically (D24: by `tree build` or on the first `serve`).

Layout (little-endian): magic `EDCIDX01`, u64 header length, JSON header
{"format", "n", "key_width", "sections": {name: [offset, length]}}, then 8-aligned sections:
keys (n × key_width, sorted), order (n × u32 row ids), index (n × i64, -1 = none),
proof_offsets (n+1 × i64 node counts), nodes (32 bytes each), amount_offsets/amounts,
account_offsets/accounts (the Arrow offset and data buffers, byte for byte); a spec'd
tree (issue 16) adds leaf_offsets/leaves (its `leaf` JSON column), and `"multi": true` in the
header when an account holds several claims (Merkl: one per token; `get_all` returns them).
"""

from __future__ import annotations

import json
import mmap
import os
import sys
from dataclasses import dataclass
from pathlib import Path


from distributor.claims.accounts import evm_keys, key_width, other_keys
from epochdrop.errors import UserError
from epochdrop.folder.proofs import PROOFS, read_proofs
from epochdrop.fsio import TMP_PREFIX, sha256_file

MAGIC = b"EDCIDX01"
FORMAT = "epochdrop-claims-index-v1"


def index_path(folder: Path, proofs_sha256: str, index_dir: Path | None = None) -> Path:
    folder = Path(folder).resolve()
    base = index_dir if index_dir is not None else folder.parent / ".epochdrop-index"
    return Path(base) / f"{folder.name}.{proofs_sha256[:16]}.idx"


def ensure_index(folder: Path, kind: str, proofs_sha256: str | None = None,
                 index_dir: Path | None = None) -> Path:
    """Return the index file for `folder`, building it first if it is missing."""
    sha = proofs_sha256 or sha256_file(Path(folder) / PROOFS)
    path = index_path(folder, sha, index_dir)
    if not path.exists():
        if proofs_sha256 and sha256_file(Path(folder) / PROOFS) != proofs_sha256:
            raise UserError(f"{Path(folder) / PROOFS}: does not match its manifest's sha256; the "
                            "folder was changed after it was built (rebuild it or `epochdrop "
                            "verify` it)")
        try:
            write_index(Path(folder) / PROOFS, kind, path)
        except PermissionError:
            raise UserError(f"cannot write the claims index {path}: give a writable "
                            "--index-dir") from None
    return path


def _strings(col):
    """(offsets int64[n+1] starting at 0, data bytes) of a column as large_string."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pc.cast(col, pa.large_string())
    arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    if arr.null_count:
        raise UserError("proofs.parquet has an empty account or amount")
    n = len(arr)
    offs = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset:arr.offset + n + 1]
    data = memoryview(arr.buffers()[2])[offs[0]:offs[-1]] if n else memoryview(b"")
    return (offs - offs[0]).astype(np.int64), data


def _sections(proofs_file: Path, kind: str) -> tuple[int, int, bool, list[tuple[str, object]]]:  # noqa: C901, E501
    """Read proofs.parquet once and return (n, key width, several claims per account,
    [(section, bytes-like)])."""
    import numpy as np
    import pyarrow as pa  # only index building needs Arrow/numpy; server workers stay small
    import pyarrow.compute as pc

    table = read_proofs(Path(proofs_file).parent, memory_map=True)
    names = set(table.column_names)
    missing = {"account", "amount", "proof"} - names
    if missing:
        raise UserError(f"{proofs_file}: missing column(s) {sorted(missing)}")
    n = table.num_rows
    acc_offs, acc_data = _strings(table.column("account"))
    amt_offs, amt_data = _strings(table.column("amount"))
    lock_offs = lock_data = None
    if "locked_amount" in names:  # solana (Jupiter/Jito claims carry a locked part, D6)
        lock_offs, lock_data = _strings(table.column("locked_amount"))
    leaf_offs = leaf_data = None
    if "leaf" in names:  # a spec'd tree (issue 16): the leaf's fields as JSON
        leaf_offs, leaf_data = _strings(table.column("leaf"))
    proof = table.column("proof").combine_chunks()
    if not (pa.types.is_list(proof.type) or pa.types.is_large_list(proof.type)):
        raise UserError(f"{proofs_file}: proof is {proof.type}, not a list of 32-byte nodes")
    p_offs = np.asarray(proof.offsets, dtype=np.int64)
    base = proof.values.offset + int(p_offs[0])
    p_offs = p_offs - p_offs[0]
    nodes = memoryview(proof.values.buffers()[1])[base * 32:(base + int(p_offs[-1])) * 32] \
        if n else memoryview(b"")
    idx = np.full(n, -1, dtype=np.int64)
    if "index" in names:
        col = table.column("index")
        if col.null_count < n:
            idx = np.asarray(pc.fill_null(pc.cast(col, pa.int64()), -1).to_numpy(zero_copy_only=False),
                             dtype=np.int64)

    try:
        if kind == "address":
            keys = evm_keys(acc_data, n)
        else:
            text = bytes(acc_data).decode()
            keys = other_keys([text[acc_offs[i]:acc_offs[i + 1]] for i in range(n)], kind)
    except ValueError as exc:
        raise UserError(f"{proofs_file}: {exc}") from None
    width = key_width(kind)
    order = np.argsort(keys.reshape(n, width).view(f"S{width}").ravel(), kind="stable")
    sorted_keys = keys[order]
    multi = bool(n > 1 and (sorted_keys[1:] == sorted_keys[:-1]).all(axis=1).any())
    if multi and leaf_offs is None:  # only a spec'd tree holds several claims of an account
        raise UserError(f"{proofs_file}: an account appears twice")
    return n, width, multi, [
        ("keys", sorted_keys.tobytes()), ("order", order.astype("<u4").tobytes()),
        ("index", idx.astype("<i8").tobytes()), ("proof_offsets", p_offs.astype("<i8").tobytes()),
        ("nodes", nodes), ("amount_offsets", amt_offs.astype("<i8").tobytes()),
        ("amounts", amt_data), ("account_offsets", acc_offs.astype("<i8").tobytes()),
        ("accounts", acc_data)] + ([
        ("locked_offsets", lock_offs.astype("<i8").tobytes()), ("locked", lock_data)]
        if lock_offs is not None else []) + ([
        ("leaf_offsets", leaf_offs.astype("<i8").tobytes()), ("leaves", leaf_data)]
        if leaf_offs is not None else [])


def write_index(proofs_file: Path, kind: str, dest: Path) -> None:
    """Write the index for `proofs_file` to `dest` atomically (temp name, fsync, rename)."""
    n, width, multi, sections = _sections(Path(proofs_file), kind)
    header = {"format": FORMAT, "n": n, "key_width": width, "sections": {}}
    if multi:
        header["multi"] = True  # an account may hold several claims (Merkl: one per token)
    reserve = 256  # room for the offsets to grow between the two header passes
    head = json.dumps(header, sort_keys=True).encode()
    pos = _align(len(MAGIC) + 8 + len(head) + reserve + 40 * len(sections))
    for name, blob in sections:
        header["sections"][name] = [pos, len(memoryview(blob))]
        pos = _align(pos + len(memoryview(blob)))
    head = json.dumps(header, sort_keys=True).encode()
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f"{TMP_PREFIX}{dest.name}.{os.getpid()}")
    try:
        with open(tmp, "wb") as f:
            f.write(MAGIC + len(head).to_bytes(8, "little") + head)
            for name, blob in sections:
                off = header["sections"][name][0]
                if off < f.tell():
                    raise AssertionError("claims index header outgrew its reserve")
                f.write(b"\0" * (off - f.tell()))
                f.write(blob)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, dest)
    finally:
        if tmp.exists():
            tmp.unlink()


def _align(x: int) -> int:
    return (x + 7) & ~7


@dataclass
class Claim:
    account: str
    amount: str
    index: int | None
    nodes: bytes  # concatenated 32-byte proof nodes
    locked: str | None = None  # solana only
    leaf: str | None = None    # spec'd trees: the leaf's fields, JSON object text

    def proof_hex(self) -> list[str]:
        return ["0x" + self.nodes[i:i + 32].hex() for i in range(0, len(self.nodes), 32)]


class ClaimIndex:
    """Read side of one index file. Safe to share between threads (pread, no seek).

    Plain `mmap` slices and `memoryview` casts, no numpy: a server worker then imports
    less (start-up) and holds less (RSS) for the same ~3 µs binary search."""

    def __init__(self, path: Path):
        if sys.byteorder != "little":
            raise UserError("the claims index is little-endian; this machine is not")
        self.path = Path(path)
        self.fd = os.open(self.path, os.O_RDONLY)
        head = os.pread(self.fd, 16, 0)
        if head[:8] != MAGIC:
            raise UserError(f"{path}: not an epochdrop claims index; delete it to rebuild")
        hlen = int.from_bytes(head[8:16], "little")
        self.header = json.loads(os.pread(self.fd, hlen, 16))
        self.n = self.header["n"]
        self.width = self.header["key_width"]
        self._sec = self.header["sections"]
        # Only the key and offset tables are mapped (~60 bytes a claim); proofs and amount
        # text are read with pread so they stay in the page cache instead of our RSS.
        end = max(self._sec[k][0] + self._sec[k][1] for k in
                  ("keys", "order", "index", "proof_offsets", "amount_offsets", "account_offsets",
                   "locked_offsets", "leaf_offsets") if k in self._sec)
        self._map = mmap.mmap(self.fd, end, prot=mmap.PROT_READ) if end else b""
        self._keys_at = self._sec["keys"][0]
        self.order = self._view("order", "I")
        self.index = self._view("index", "q")
        self.proof_offsets = self._view("proof_offsets", "q")
        self.amount_offsets = self._view("amount_offsets", "q")
        self.account_offsets = self._view("account_offsets", "q")
        self.has_locked = "locked_offsets" in self._sec
        if self.has_locked:
            self.locked_offsets = self._view("locked_offsets", "q")
        self.has_leaf = "leaf_offsets" in self._sec
        if self.has_leaf:
            self.leaf_offsets = self._view("leaf_offsets", "q")
        self.multi = bool(self.header.get("multi"))

    def _view(self, name: str, fmt: str) -> memoryview:
        off, length = self._sec[name]
        return memoryview(self._map)[off:off + length].cast(fmt)

    def _blob(self, name: str, start: int, end: int) -> bytes:
        return os.pread(self.fd, end - start, self._sec[name][0] + start)

    def row_of(self, key: bytes) -> int | None:
        """Row of `key` in proofs.parquet, or None when the account has no claim."""
        m, w, base = self._map, self.width, self._keys_at
        lo, hi = 0, self.n
        while lo < hi:
            mid = (lo + hi) >> 1
            at = base + mid * w
            if m[at:at + w] < key:
                lo = mid + 1
            else:
                hi = mid
        if lo < self.n and m[base + lo * w:base + lo * w + w] == key:
            return self.order[lo]
        return None

    def rows_of(self, key: bytes) -> list[int]:
        """Every row of `key` (several only in a `multi` index), in proofs.parquet order."""
        first = self.row_of(key)
        if first is None or not self.multi:
            return [] if first is None else [first]
        m, w, base = self._map, self.width, self._keys_at
        lo, hi = 0, self.n
        while lo < hi:  # the first sorted position of `key` (row_of found one, not its place)
            mid = (lo + hi) >> 1
            if m[base + mid * w:base + mid * w + w] < key:
                lo = mid + 1
            else:
                hi = mid
        rows = []
        while lo < self.n and m[base + lo * w:base + lo * w + w] == key:
            rows.append(self.order[lo])
            lo += 1
        return sorted(rows)

    def claim_at(self, row: int) -> Claim:
        a0, a1 = self.account_offsets[row], self.account_offsets[row + 1]
        m0, m1 = self.amount_offsets[row], self.amount_offsets[row + 1]
        p0, p1 = self.proof_offsets[row], self.proof_offsets[row + 1]
        idx = self.index[row]
        locked = None
        if self.has_locked:
            l0, l1 = self.locked_offsets[row], self.locked_offsets[row + 1]
            locked = self._blob("locked", l0, l1).decode()
        leaf = None
        if self.has_leaf:
            f0, f1 = self.leaf_offsets[row], self.leaf_offsets[row + 1]
            leaf = self._blob("leaves", f0, f1).decode()
        return Claim(locked=locked, leaf=leaf, account=self._blob("accounts", a0, a1).decode(),
                     amount=self._blob("amounts", m0, m1).decode(),
                     index=None if idx < 0 else idx,
                     nodes=self._blob("nodes", p0 * 32, p1 * 32))

    def get(self, key: bytes) -> Claim | None:
        row = self.row_of(key)
        return None if row is None else self.claim_at(row)

    def get_all(self, key: bytes) -> list[Claim]:
        return [self.claim_at(r) for r in self.rows_of(key)]

    def close(self) -> None:
        os.close(self.fd)

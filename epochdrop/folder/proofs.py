"""The one reader of a tree's files: proofs.parquet, the proofs/ shards, the native file.

Why here: `tree check`, `tree proof`, cumulative `--previous`, `serve`'s claims index and
`export-static` all read the same files, and used to open them by name each in its own way.
The heavy writer stays in distributor/trees/outputs.py (it streams a million claims) but
takes these names. Every read that trusts the folder checks the file's sha256 against the
manifest first (`checked=True`), so a changed file is named instead of served.
"""

from __future__ import annotations

from pathlib import Path

from epochdrop.errors import UserError
from epochdrop.fsio import sha256_file
from epochdrop.folder.manifest import Manifest

PROOFS = "proofs.parquet"
SHARDS = "proofs"
SHARD_INDEX = f"{SHARDS}/index.json"
# proofs.parquet columns: account (string), index (uint64), amount (decimal string of base
# units), locked_amount (solana only), proof (list<fixed_size_binary(32)>, D6).
COLUMNS = ("account", "index", "amount", "locked_amount", "proof")


def proofs_path(folder: str | Path) -> Path:
    return Path(folder) / PROOFS


def check_file(folder: str | Path, rel: str, manifest: Manifest) -> Path:
    """`folder/rel`, after checking its sha256 against the manifest (UserError if not)."""
    path = Path(folder) / rel
    want = manifest.outputs.get(rel)
    if want is None or not path.is_file():
        raise UserError(f"{path}: missing (the manifest lists {rel}: {want is not None}); "
                        "rebuild the folder")
    if sha256_file(path) != want:
        raise UserError(f"{path}: does not match its manifest's sha256; the folder was changed "
                        "after it was built (rebuild it or `epochdrop verify` it)")
    return path


def proofs_file(folder: str | Path):
    """proofs.parquet opened for streaming (pyarrow.parquet.ParquetFile)."""
    import pyarrow.parquet as pq

    return pq.ParquetFile(proofs_path(folder))


def read_proofs(folder: str | Path, columns: list[str] | None = None, *,
                manifest: Manifest | None = None, memory_map: bool = False):
    """proofs.parquet as an Arrow table (only the `columns` that exist, when given); with
    `manifest`, its sha256 is checked first."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = (check_file(folder, PROOFS, manifest) if manifest is not None
            else proofs_path(folder))
    try:
        if columns is not None:
            names = pq.read_schema(path).names
            columns = [c for c in columns if c in names]
        return pq.read_table(path, columns=columns, memory_map=memory_map)
    except (OSError, pa.ArrowInvalid) as exc:
        raise UserError(f"{path}: unreadable ({exc})") from None


def cumulative_amounts(folder: str | Path, manifest: Manifest) -> tuple[list[str], list[int],
                                                                       list[int] | None]:
    """(accounts, amounts, locked amounts or None) of a tree: what `--previous` adds to (D5)."""
    t = read_proofs(folder, ["account", "amount", "locked_amount"], manifest=manifest)
    accounts = t.column("account").to_pylist()
    amounts = [int(a) for a in t.column("amount").to_pylist()]
    locked = ([int(a) for a in t.column("locked_amount").to_pylist()]
              if "locked_amount" in t.column_names else None)
    return accounts, amounts, locked


def shard_files(folder: str | Path, manifest: Manifest) -> list[tuple[str, Path]]:
    """Every shard file (relative name, path), each checked against the manifest."""
    src = Path(folder) / SHARDS
    if not (src / "index.json").is_file():
        raise UserError(f"{folder}: no {SHARDS}/ shards; rebuild it with `epochdrop tree build`")
    return [(f"{SHARDS}/{f.name}", check_file(folder, f"{SHARDS}/{f.name}", manifest))
            for f in sorted(src.iterdir())]


def native_path(folder: str | Path, manifest: Manifest) -> Path | None:
    """The scheme's native file (tree.json, claims.json, merkle_tree.json), if it has one."""
    if manifest.tree is None or manifest.tree.native_file is None:
        return None
    return Path(folder) / manifest.tree.native_file

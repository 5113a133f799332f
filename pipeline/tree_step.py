"""The tree stage of `run`: rewards.parquet → proofs.parquet, native file, proofs/ shards.

Uses the same code as `epochdrop tree build` (distributor/trees/build.py), so an epoch's root
is exactly what a reviewer gets by running `tree build` on the published rewards.csv. The
tree is built into a scratch folder inside the epoch's temp folder and its files moved up,
so the epoch folder holds one manifest: the tree fields (scheme, leaf_encoding, root, total,
count — what `--previous` reads for cumulative epochs, D5) next to the scoring fields.
Scheme `none` (Curve, Mirror; D20) writes no tree: rewards and report only.
"""

from __future__ import annotations

import os
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from epochdrop.manifest import MANIFEST

SCRATCH = ".tree"
# Fields of the tree manifest carried into the epoch manifest (the others — program,
# epoch, inputs, token, decimals — are the scoring side's and stay as it wrote them).
TREE_FIELDS = ("scheme", "leaf_encoding", "root", "total", "count", "expiry", "cumulative",
               "native_file", "shard_digits", "order", "chain_id")


def build(dest: Path, scheme: str, *, cumulative: bool, previous: Path | None,
          expiry_days: int | None, epoch_end: datetime, decimals: int) -> dict[str, Any]:
    """Build the tree from `dest/rewards.parquet` into `dest`; return the manifest fields."""
    expiry = None
    if expiry_days:
        expiry = (epoch_end + timedelta(days=expiry_days)).isoformat() + "Z"
    if scheme == "none":
        return {"scheme": "none", "root": None, "expiry": expiry,
                "tree_note": "no tree for this program (D20): rewards and report only"}
    from distributor.trees.build import BuildOptions, build_tree, write_outputs

    import pyarrow.parquet as pq

    claims = dest / "rewards.parquet"
    scratch = dest / SCRATCH
    if pq.read_metadata(claims).num_rows == 0:
        if not (cumulative and previous is not None):
            return {"scheme": scheme, "root": None, "expiry": expiry,
                    "tree_note": "no account is paid this epoch: no tree"}
        # Cumulative with nothing new: the previous amounts carry over (D5); a zero
        # increment per previous account gives the tree builder something to add to.
        claims = _zero_increments(previous, scratch.with_name(SCRATCH + "-claims.csv"))
    opts = BuildOptions(scheme=scheme, previous=previous if cumulative else None,
                        expiry=expiry)
    built, prev_info = build_tree(claims, opts)
    manifest = write_outputs(built, scratch, claims, opts, prev_info)
    if claims.name != "rewards.parquet":
        claims.unlink()
    for entry in sorted(os.listdir(scratch)):
        if entry != MANIFEST:
            os.replace(scratch / entry, dest / entry)
    shutil.rmtree(scratch)
    fields = {k: manifest.get(k) for k in TREE_FIELDS}
    fields["cumulative"] = (manifest.get("cumulative") or None) if cumulative else None
    fields["per_epoch_or_cumulative"] = "cumulative" if cumulative else "per-epoch"
    return fields


def _zero_increments(previous: Path, path: Path) -> Path:
    import pyarrow.parquet as pq

    accounts = pq.read_table(previous / "proofs.parquet", columns=["account"]).column(
        "account").to_pylist()
    path.write_text("account,amount\n" + "".join(f"{a},0\n" for a in accounts))
    return path

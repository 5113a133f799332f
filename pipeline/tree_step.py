"""The tree stage of `run`: rewards.parquet → proofs.parquet, native file, proofs/ shards.

Uses the same code as `epochdrop tree build` (distributor/trees/build.py), so an epoch's root
is exactly what a reviewer gets by running `tree build` on the published rewards.csv. The
tree is built into a scratch folder inside the epoch's temp folder and its files moved up;
the scratch manifest's `tree` section becomes the epoch manifest's (epochdrop/folder), so
the epoch folder holds one manifest of kind `epoch`.
Scheme `none` (Curve, Mirror; D20) writes no tree: rewards and report only, `tree` null and
`tree_note` saying why.
"""

from __future__ import annotations

import os
import shutil
from datetime import datetime, timedelta
from pathlib import Path

from epochdrop.folder import MANIFEST, Token, Tree
from epochdrop.folder.proofs import read_proofs

SCRATCH = ".tree"


def build(dest: Path, scheme: str, *, cumulative: bool, previous: Path | None,
          expiry_days: int | None, epoch_end: datetime,
          token: Token | None = None) -> tuple[Tree | None, str | None]:
    """Build the tree from `dest/rewards.parquet` into `dest`; return (tree section, or
    None and the reason there is no tree)."""
    expiry = None
    if expiry_days:
        expiry = (epoch_end + timedelta(days=expiry_days)).isoformat() + "Z"
    if scheme == "none":
        return None, "no tree for this program (scheme none, D20): rewards and report only"
    from distributor.trees.build import BuildOptions, build_tree, write_outputs

    import pyarrow.parquet as pq

    claims = dest / "rewards.parquet"
    scratch = dest / SCRATCH
    if pq.read_metadata(claims).num_rows == 0:
        if not (cumulative and previous is not None):
            return None, "no account is paid this epoch: no tree"
        # Cumulative with nothing new: the previous amounts carry over (D5); a zero
        # increment per previous account gives the tree builder something to add to.
        claims = _zero_increments(previous, scratch.with_name(SCRATCH + "-claims.csv"))
    token = token or Token()
    opts = BuildOptions(scheme=scheme, previous=previous if cumulative else None,
                        expiry=expiry, token=token.address, chain_id=token.chain_id)
    built, prev_info = build_tree(claims, opts)
    manifest = write_outputs(built, scratch, claims, opts, prev_info)
    if claims.name != "rewards.parquet":
        claims.unlink()
    for entry in sorted(os.listdir(scratch)):
        if entry != MANIFEST:
            os.replace(scratch / entry, dest / entry)
    shutil.rmtree(scratch)
    # A cumulative program's first epoch has no previous tree but is still cumulative.
    return manifest.tree.model_copy(update={"cumulative": cumulative}), None


def _zero_increments(previous: Path, path: Path) -> Path:
    accounts = read_proofs(previous, ["account"]).column("account").to_pylist()
    path.write_text("account,amount\n" + "".join(f"{a},0\n" for a in accounts))
    return path

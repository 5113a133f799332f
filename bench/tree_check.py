"""`epochdrop tree check` bench: build a folder of N random claims, then time checking it.

The check runs as its own process; wall time is measured around it and peak RSS comes
from `os.wait4` (`bench/merkle.py`'s `timed`: the largest of the process and its forked
child, not their sum). The build is not timed here (bench/merkle.py does that).

    .venv/bin/python bench/tree_check.py [--claims 1000000] [--scheme oz] [--folder DIR]

Last line: {"claims", "check_s", "check_peak_mb"}.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.merkle import timed, write_claims  # noqa: E402
from epochdrop.folder import read_manifest  # noqa: E402


def build_folder(tmp: Path, n: int, scheme: str) -> Path:
    src = tmp / "claims.csv"
    write_claims(src, n)
    out = tmp / "folder"  # not "out": timed() logs to tmp/out and tmp/err
    timed([sys.executable, "-m", "pipeline.cli", "tree", "build", str(src), "--scheme", scheme,
           "--out", str(out)], tmp)
    src.unlink()  # only the folder is checked; the CSV would just take disk space
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--claims", type=int, default=1_000_000)
    ap.add_argument("--scheme", default="oz", help="oz | uniswap | packed (solana needs base58 claims)")
    ap.add_argument("--folder", type=Path, default=None,
                    help="check this already-built folder instead of building one")
    ap.add_argument("--keep", action="store_true", help="keep the temp folder")
    args = ap.parse_args()

    base = REPO / ".cache" if (REPO / ".cache").exists() else None
    tmp = Path(tempfile.mkdtemp(prefix="tree-check-bench-", dir=base))
    try:
        folder = args.folder or build_folder(tmp, args.claims, args.scheme)
        man = read_manifest(folder)
        seconds, peak_mb, out = timed([sys.executable, "-m", "pipeline.cli", "tree", "check",
                                       str(folder)], tmp)
        n = man.tree.count
        print(f"claims: {n:,}, scheme {man.scheme}, folder {folder}")
        print(f"tree check: {seconds:.2f} s, peak {peak_mb:.0f} MB: {out.strip()}")
        print(json.dumps({"claims": n, "check_s": round(seconds, 2),
                          "check_peak_mb": round(peak_mb)}))
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()

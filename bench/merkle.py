"""Merkle bench (issue 3, acceptance 7): `epochdrop tree build` vs npm @openzeppelin/merkle-tree.

Both get the same N random (address, uint256) claims as CSV and do the same job: the
tree, every proof, and all output files. Each runs as its own process; wall time is
measured around it and peak RSS comes from `os.wait4` (that process only).

OpenZeppelin at 1,000,000 claims takes ~15 minutes (FACTS.md); `--oz-claims M` measures
it on the first M claims instead and scales time and memory linearly to N, and says so.

    .venv/bin/python bench/merkle.py [--claims 1000000] [--oz-claims 100000] [--scheme oz]

Last line: {"claims", "ours_s", "ours_peak_mb", "oz_s", "oz_peak_mb", "speedup"}.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def write_claims(path: Path, n: int, seed: int = 1) -> None:
    import numpy as np

    from distributor.trees.hexfmt import hex_digits

    rng = np.random.default_rng(seed)
    raw = rng.integers(0, 256, size=(n, 20), dtype=np.uint8)
    text = hex_digits(raw).tobytes().decode()
    r = random.Random(seed)
    with open(path, "w") as f:
        f.write("account,amount\n")
        f.writelines(f"0x{text[i * 40:(i + 1) * 40]},{r.randrange(10**24)}\n" for i in range(n))


def timed(cmd: list[str], logs: Path) -> tuple[float, float, str]:
    """-> (wall seconds, peak RSS MB of that process, stdout), via os.wait4 on the child."""
    with open(logs / "out", "wb") as out, open(logs / "err", "wb") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{(logs / 'err').read_text()}")
    return seconds, usage.ru_maxrss / 1024, (logs / "out").read_text()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--claims", type=int, default=1_000_000)
    ap.add_argument("--oz-claims", type=int, default=None,
                    help="measure OpenZeppelin on this many claims and scale linearly to --claims")
    ap.add_argument("--scheme", default="oz")
    ap.add_argument("--keep", action="store_true", help="keep the temp folder")
    args = ap.parse_args()
    n, m = args.claims, min(args.oz_claims or args.claims, args.claims)

    tmp = Path(tempfile.mkdtemp(prefix="merkle-bench-", dir=REPO / ".cache" if (REPO / ".cache").exists() else None))
    try:
        src = tmp / "claims.csv"
        write_claims(src, n)
        print(f"claims: {n:,} (random addresses, amounts < 10^24), scheme {args.scheme}")
        oz_src = src
        if m < n:
            oz_src = tmp / "claims_oz.csv"
            with open(src) as f, open(oz_src, "w") as g:
                g.writelines(line for i, line in zip(range(m + 1), f))
        oz_s, oz_mb, oz_root = timed(["node", "--max-old-space-size=16384",
                                      str(REPO / "bench/oz_merkle.js"), str(oz_src), str(tmp / "oz")], tmp)
        scale = n / m
        print(f"openzeppelin ({m:,} claims measured): {oz_s:.2f} s, peak {oz_mb:.0f} MB, "
              f"root {oz_root.strip()}")
        if scale != 1:
            print(f"openzeppelin scaled linearly x{scale:g} to {n:,} claims: {oz_s * scale:.1f} s, "
                  f"{oz_mb * scale:.0f} MB (an estimate: --oz-claims {m})")
        shutil.rmtree(tmp / "oz", ignore_errors=True)
        ours_s, ours_mb, out = timed([sys.executable, "-m", "pipeline.cli", "tree", "build",
                                      str(src), "--scheme", args.scheme, "--out", str(tmp / "ours")], tmp)
        print(f"epochdrop: {ours_s:.2f} s, peak {ours_mb:.0f} MB: {out.strip()}")
        if m == n and args.scheme == "oz":
            from epochdrop.folder import read_manifest

            ours_root = read_manifest(tmp / "ours").root
            print("roots agree" if ours_root == oz_root.strip() else "ROOTS DIFFER")
        oz_total = oz_s * scale
        result = {"claims": n, "ours_s": round(ours_s, 2), "ours_peak_mb": round(ours_mb),
                  "oz_s": round(oz_total, 1), "oz_peak_mb": round(oz_mb * scale),
                  "speedup": round(oz_total / ours_s, 1)}
        if scale != 1:
            result["oz_measured_claims"] = m
        print(json.dumps(result))
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()

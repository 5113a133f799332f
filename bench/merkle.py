"""Merkle bench (issue 3, acceptance 7): `epochdrop tree build` vs npm @openzeppelin/merkle-tree.

Both get the same N random (address, uint256) claims as CSV and do the same job: the
tree, every proof, and all output files. How it times (bench/measure.py): each tool is one
whole process, from start to files on disk; peak = summed RSS of its process tree; the
median of 3 runs each (`--runs`). The roots must agree (scheme oz), else the bench fails.

OpenZeppelin at 1,000,000 claims takes ~15 minutes (FACTS.md); `--oz-claims M` measures
it on the first M claims instead (ours is then also built on those M claims, and the two
roots compared) and scales OpenZeppelin's time and memory linearly to N — an estimate,
so it goes under other keys: `oz_estimated_s`, `oz_estimated_peak_mb`, `speedup_estimated`
(with `oz_measured_claims`, `oz_measured_s`).

    .venv/bin/python bench/merkle.py [--claims 1000000] [--oz-claims 100000] [--scheme oz]

Last line: {"claims", "ours_s", "ours_peak_mb", "oz_s", "oz_peak_mb", "speedup"} when
OpenZeppelin ran on all N claims, the `*_estimated*` keys otherwise. `*_peak_mb` is the peak
of the summed RSS of the tool's processes; `*_peak_pss_mb` the peak of their summed PSS
(ours forks a writer child that shares the parent's pages: the RSS sum counts those twice).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench import measure  # noqa: E402


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


def root_of(folder: Path) -> str:
    from epochdrop.folder import read_manifest

    return read_manifest(folder).root


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--claims", type=int, default=1_000_000)
    ap.add_argument("--oz-claims", type=int, default=None,
                    help="measure OpenZeppelin on this many claims and scale linearly to --claims")
    ap.add_argument("--scheme", default="oz")
    ap.add_argument("--runs", type=int, default=measure.RUNS)
    ap.add_argument("--keep", action="store_true", help="keep the temp folder")
    args = ap.parse_args()
    n, m = args.claims, min(args.oz_claims or args.claims, args.claims)

    tmp = Path(tempfile.mkdtemp(prefix="merkle-bench-", dir=REPO / ".cache" if (REPO / ".cache").exists() else None))
    env = measure.env_with_repo(REPO)
    try:
        src = tmp / "claims.csv"
        write_claims(src, n)
        print(f"machine: {measure.machine()}")
        print(f"claims: {n:,} (random addresses, amounts < 10^24), scheme {args.scheme}")
        oz_src = src
        if m < n:
            oz_src = tmp / "claims_oz.csv"
            with open(src) as f, open(oz_src, "w") as g:
                g.writelines(line for i, line in zip(range(m + 1), f))

        def oz():
            shutil.rmtree(tmp / "oz", ignore_errors=True)
            return measure.run(["node", "--max-old-space-size=16384", str(REPO / "bench/oz_merkle.js"),
                                str(oz_src), str(tmp / "oz")], cwd=REPO)

        def ours(path: Path, name: str):
            shutil.rmtree(tmp / name, ignore_errors=True)
            return measure.run([sys.executable, "-m", "pipeline.cli", "tree", "build", str(path),
                                "--scheme", args.scheme, "--out", str(tmp / name)], cwd=REPO, env=env)

        o = measure.median_of(oz, args.runs)
        oz_root = o.stdout.strip()
        print(f"openzeppelin ({m:,} claims measured): {o.seconds:.2f} s, peak {o.peak_mb:.0f} MB, "
              f"root {oz_root} (median of {args.runs})")
        us = measure.median_of(lambda: ours(src, "ours"), args.runs)
        print(f"epochdrop ({n:,} claims): {us.seconds:.2f} s, peak {us.peak_mb:.0f} MB RSS, "
              f"{us.peak_pss_mb:.0f} MB PSS (median of {args.runs})")
        if args.scheme == "oz":
            ours_root = root_of(tmp / "ours") if m == n else (ours(oz_src, "ours_m"), root_of(tmp / "ours_m"))[1]
            if ours_root != oz_root:
                sys.exit(f"error: roots differ on {m:,} claims: ours {ours_root}, OpenZeppelin {oz_root}")
            print(f"roots agree on {m:,} claims")
        result = {"claims": n, "timing": f"whole process, start to files on disk; median of {args.runs}",
                  "ours_s": round(us.seconds, 2), "ours_peak_mb": round(us.peak_mb),
                  "ours_peak_pss_mb": round(us.peak_pss_mb)}
        if m == n:
            result.update(oz_s=round(o.seconds, 2), oz_peak_mb=round(o.peak_mb),
                          oz_peak_pss_mb=round(o.peak_pss_mb),
                          speedup=round(o.seconds / us.seconds, 1))
        else:
            scale = n / m
            print(f"openzeppelin scaled linearly x{scale:g} to {n:,} claims: {o.seconds * scale:.1f} s, "
                  f"{o.peak_mb * scale:.0f} MB (an estimate: --oz-claims {m})")
            result.update(oz_measured_claims=m, oz_measured_s=round(o.seconds, 2),
                          oz_measured_peak_mb=round(o.peak_mb),
                          oz_measured_peak_pss_mb=round(o.peak_pss_mb),
                          oz_estimated_s=round(o.seconds * scale, 1),
                          oz_estimated_peak_mb=round(o.peak_mb * scale),
                          speedup_estimated=round(o.seconds * scale / us.seconds, 1))
        print(json.dumps(result))
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()

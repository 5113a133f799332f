"""Shared helpers for the tree tests: random claim sets, the CLI, and OpenZeppelin vectors.

OpenZeppelin's npm library is slow on big trees (FACTS.md: ~4 s + 10 s for 20k leaves), so
its vectors are computed once and cached under `.cache/oz-vectors/`, keyed by the request
(DECISIONS D25); a fresh clone computes them on its first run.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import random
import subprocess
import sys
from pathlib import Path

from eth_utils import to_checksum_address

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO.parent / "shared" / "fixtures" / "real"
OZ_SCRIPT = REPO / "tests" / "support" / "oz_reference.js"
OZ_CACHE = REPO / ".cache" / "oz-vectors"
EPOCHDROP = [sys.executable, "-m", "pipeline.cli"]


def random_claims(n: int, seed: int, *, awkward: bool = False) -> list[tuple[str, int]]:
    """n distinct (address, amount) pairs; addresses in random letter case when awkward."""
    rng = random.Random(seed)
    out, seen = [], set()
    while len(out) < n:
        raw = rng.randbytes(20)
        if raw in seen:
            continue
        seen.add(raw)
        addr = to_checksum_address(raw)
        if awkward:
            addr = rng.choice([addr, "0x" + raw.hex(), "0x" + raw.hex().upper()])
            amount = rng.choice([0, 2**256 - 1, 1, rng.randrange(2**256), rng.randrange(10**30)])
        else:
            amount = rng.randrange(10**24)
        out.append((addr, amount))
    return out


def write_csv(path: Path, rows: list[tuple], header: str = "account,amount") -> Path:
    path.write_text(header + "\n" + "".join(",".join(str(v) for v in r) + "\n" for r in rows))
    return path


def tree_of(folder: Path) -> dict:
    """The `tree` section of a folder's manifest (epochdrop/folder) as plain JSON values."""
    from epochdrop.folder import read_manifest

    return read_manifest(folder).tree.model_dump(mode="json")


def run_cli(*args, check: bool = True) -> subprocess.CompletedProcess:
    """Run `epochdrop ARGS` in this process (the real Typer app and error edge, without
    paying the interpreter start-up per call); returns code, stdout and stderr."""
    from pipeline.cli import main

    out, err = io.StringIO(), io.StringIO()
    argv = [str(a) for a in args]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(argv)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    proc = subprocess.CompletedProcess(["epochdrop", *argv], code, out.getvalue(), err.getvalue())
    if check and code != 0:
        raise AssertionError(f"epochdrop {' '.join(argv)} -> {code}\n{proc.stdout}\n{proc.stderr}")
    return proc


def run_cli_subprocess(*args) -> subprocess.CompletedProcess:
    """The installed console entry point, in its own process (for the exit-code tests)."""
    return subprocess.run([*EPOCHDROP, *map(str, args)], capture_output=True, text=True,
                          cwd=REPO, check=False)


def oz_reference(request: dict) -> dict:
    """Run tests/support/oz_reference.js (npm @openzeppelin/merkle-tree), cached by request."""
    body = json.dumps(request, sort_keys=True).encode()
    lib = (REPO / "node_modules/@openzeppelin/merkle-tree/package.json").read_bytes()
    key = hashlib.sha256(body + OZ_SCRIPT.read_bytes() + lib).hexdigest()[:32]
    cached = OZ_CACHE / f"{key}.json"
    if cached.exists():
        return json.loads(cached.read_text())
    proc = subprocess.run(["node", "--max-old-space-size=4096", str(OZ_SCRIPT)], input=body,
                          capture_output=True, cwd=REPO, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"oz_reference.js failed:\n{proc.stderr.decode()}")
    OZ_CACHE.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(proc.stdout)
    os.replace(tmp, cached)
    return json.loads(proc.stdout)

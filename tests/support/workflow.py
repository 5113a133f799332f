"""Shared by the workflow tests: one reduced demo per test process, and a CLI runner.

The demo (embedded chain → listener → every program → verify → what-ifs) is the fixture the
acceptance lines name ("verify on an untouched demo epoch", "whatif … on the demo data"), so
it runs once per worker (tests that use it share the xdist group "workflow-demo") at the
reduced size, into a private temp folder.
"""

from __future__ import annotations

import functools
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
GROUP = "workflow-demo"


@functools.lru_cache(maxsize=1)
def small_demo() -> tuple[Path, list[dict]]:
    from pipeline.demo.main import SMALL, demo

    from tests.support.manifests import MANIFEST_ROOTS

    root = Path(tempfile.mkdtemp(prefix="epochdrop-demo-")) / "demo"
    MANIFEST_ROOTS.append(root)  # its manifests are validated at the end (tests/conftest.py)
    rows = demo(root, SMALL, show=False)
    return root, rows


def epoch_row(program: str, epoch: str | None = None) -> dict:
    _, rows = small_demo()
    return next(r for r in rows if r["program"] == program and (epoch is None or r["epoch"] == epoch))


def cli(*args: str, cwd: Path = REPO, timeout: float = 300) -> subprocess.CompletedProcess:
    """`epochdrop ARGS` as a user runs it: exit code, stdout, stderr."""
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)

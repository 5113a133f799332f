"""Claim-side fixtures: claims files, real `epochdrop tree build` folders and a real
`epochdrop serve` process on a loopback port (shared by the serve, page and publish tests)."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.evm import REPO, free_port

EPOCHDROP = [sys.executable, "-m", "pipeline.cli"]


def write_claims_csv(path: Path, n: int, seed: int, *, accounts: list[str] | None = None,
                     max_amount: int = 10**24) -> list[tuple[str, int]]:
    """n random (lowercase address, amount) rows; `accounts` fixes the first addresses."""
    rng = random.Random(seed)
    rows = [(a.lower(), rng.randint(1, max_amount)) for a in (accounts or [])]
    seen = {a for a, _ in rows}
    while len(rows) < n:
        a = "0x%040x" % rng.getrandbits(160)
        if a not in seen:
            seen.add(a)
            rows.append((a, rng.randint(1, max_amount)))
    path.write_text("account,amount\n" + "".join(f"{a},{v}\n" for a, v in rows))
    return rows


def run_cli(*args: str, env: dict | None = None, check: bool = True,
            timeout: float = 300) -> subprocess.CompletedProcess:
    proc = subprocess.run([*EPOCHDROP, *map(str, args)], capture_output=True, text=True,
                          cwd=REPO, env={**os.environ, **(env or {})}, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"epochdrop {' '.join(map(str, args))} exited {proc.returncode}:\n"
                             f"{proc.stdout}\n{proc.stderr}")
    return proc


def tree_build(csv: Path, out: Path, scheme: str = "packed", **opts) -> Path:
    """`epochdrop tree build` (issue 3's command) with --flag value options."""
    args = ["tree", "build", csv, "--scheme", scheme, "--out", out]
    for k, v in opts.items():
        if v is not None:
            args += [f"--{k.replace('_', '-')}", v]
    run_cli(*args)
    return out


class Serve:
    """`epochdrop serve FOLDERS… --port P` as a child process, up when /health answers."""

    def __init__(self, *folders: Path, extra: tuple[str, ...] = (), env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.args = [*EPOCHDROP, "serve", *map(str, folders), "--port", str(self.port), *extra]
        self.env = {**os.environ, **(env or {})}
        self.proc: subprocess.Popen | None = None
        self.startup_s: float | None = None

    def __enter__(self) -> "Serve":
        t0 = time.monotonic()
        self.proc = subprocess.Popen(self.args, cwd=REPO, env=self.env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        deadline = t0 + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"serve exited {self.proc.returncode}: {self.proc.stdout.read()}")
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    self.startup_s = time.monotonic() - t0
                    return self
            except httpx.HTTPError:
                time.sleep(0.05)
        self.__exit__()
        raise AssertionError("serve did not answer /health in time")

    def get(self, path: str, **kw) -> httpx.Response:
        return httpx.get(self.url + path, timeout=10, **kw)

    def __exit__(self, *exc) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None


def shared_folder(tmp_path_factory, name: str, build) -> Path:
    """A folder built once per test run and shared by every xdist worker.

    `build(path)` fills `path` the first time; later callers (other workers) wait on the
    lock and reuse it. Per run: under xdist the workers' base temps share a parent that is
    new for each run; without xdist the run's own base temp is used.
    """
    import fcntl
    import os as _os

    base = tmp_path_factory.getbasetemp()
    if _os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    folder = base / f"shared-{name}"
    with open(base / f".shared-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / ".done").exists():
            folder.mkdir(exist_ok=True)
            build(folder)
            (folder / ".done").write_text("ok")
    return folder

"""The peers the benches compare against, installed on first use (issue 19; DECISIONS D25).

Each peer gets its own venv under `.cache/bench-venvs/<name>/` (their pins conflict with
ours), made by the bench that needs it — or all at once by `make bench` /
`.venv/bin/python -m bench.peers` — so a fresh clone gets every figure:

- ethereum-etl 2.4.2 (`export_token_transfers`) on Python 3.11; its eth-abi 2.2 pins
  parsimonious < 0.9, whose 0.8.1 uses `inspect.getargspec` (gone in 3.11), so
  `parsimonious==0.10.0` (and its `regex`) is installed over it with `--no-deps`;
- cryo, the PyPI wheel (a Python module `cryo.freeze`, no CLI binary), plus polars and
  pyarrow, which the wheel imports but does not declare.

A venv is complete only when its stamp file exists (written after pip succeeded), so an
interrupted install is resumed (pip again into the same venv), never half-used. A failed install is an error naming the
peer and pip's last lines: a bench that cannot install its peer does not print a comparison.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VENVS = REPO / ".cache" / "bench-venvs"

PEERS = {
    "ethereum-etl": {"python": "3.11", "packages": ["ethereum-etl==2.4.2"],
                     "over": ["parsimonious==0.10.0", "regex"], "exe": "bin/ethereumetl"},
    "cryo": {"python": None, "packages": ["cryo", "polars", "pyarrow"], "over": [],
             "exe": "bin/python"},
}


def _python(version: str | None) -> str:
    """An interpreter of `version` (python3.X on PATH), else this one."""
    if version is None:
        return sys.executable
    for name in (f"python{version}", "python3"):
        exe = shutil.which(name)
        if exe:
            out = subprocess.run([exe, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                 capture_output=True, text=True)
            if out.stdout.strip() == version:
                return exe
    raise SystemExit(f"error: bench peer needs Python {version} (python{version} not on PATH)")


def ensure(name: str) -> Path:
    """The peer's executable, installing its venv first if needed."""
    spec = PEERS[name]
    venv = VENVS / name
    exe, stamp = venv / spec["exe"], venv / ".installed"
    if stamp.exists() and exe.exists():
        return exe
    VENVS.mkdir(parents=True, exist_ok=True)
    print(f"installing bench peer {name} into {venv} ({' '.join(spec['packages'])})",
          file=sys.stderr)
    if not (venv / "bin/python").exists():   # an interrupted install is resumed by pip
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([_python(spec["python"]), "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin/python"), "-m", "pip", "install", "-q"]
    p = subprocess.run(pip + spec["packages"], capture_output=True, text=True)
    if p.returncode == 0 and spec["over"]:
        p = subprocess.run(pip + ["--no-deps"] + spec["over"], capture_output=True, text=True)
    if p.returncode != 0 or not exe.exists():
        raise SystemExit(f"error: installing bench peer {name} failed: "
                         f"{(p.stderr or p.stdout).strip()[-800:]}")
    stamp.write_text(" ".join(spec["packages"] + spec["over"]) + "\n")
    return exe


if __name__ == "__main__":
    for peer in PEERS:
        print(f"{peer}: {ensure(peer)}")

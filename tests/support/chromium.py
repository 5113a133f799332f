"""Headless Chromium for page tests: screenshot a local HTML file and read its DOM.

Chromium is the Debian package, installed on first use by scripts/ensure-chromium.sh so the
tests need nothing but the registries. Each call gets a fresh --user-data-dir and the flags
that keep Chromium off the network (no sync, no component updates, no background fetches).
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--hide-scrollbars", "--virtual-time-budget=5000"]


def ensure() -> Path:
    if not CHROMIUM.exists():
        subprocess.run(["bash", str(REPO / "scripts/ensure-chromium.sh")], check=True,
                       stdout=subprocess.DEVNULL)
    return CHROMIUM


def _run(page: Path, *args: str, timeout: int = 90) -> subprocess.CompletedProcess:
    ensure()
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        return subprocess.run([str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args,
                               page.resolve().as_uri()],
                              capture_output=True, text=True, timeout=timeout, check=False)


def screenshot(page: Path, png: Path, width: int = 1200, height: int = 4000) -> Path:
    proc = _run(page, f"--screenshot={png}", f"--window-size={width},{height}")
    if not png.exists():
        raise RuntimeError(f"chromium wrote no screenshot:\n{proc.stderr[-2000:]}")
    return png


def dump_dom(page: Path) -> str:
    """The DOM after load events ran (so scripts in the page have filled in their results)."""
    proc = _run(page, "--dump-dom")
    if proc.returncode != 0 or not proc.stdout:
        raise RuntimeError(f"chromium --dump-dom failed:\n{proc.stderr[-2000:]}")
    return proc.stdout

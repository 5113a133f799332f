"""report.html renders in headless Chromium with every figure loaded (acceptance 4), and it
is self-contained: no URL that would need the network.

Chromium is the Debian package, installed on first use by scripts/ensure-chromium.sh. The
screenshots are kept in data/out/test-screenshots/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.support import chromium
from tests.support.workflow import GROUP, REPO, epoch_row

pytestmark = pytest.mark.xdist_group(GROUP)
SHOTS = REPO / "data" / "out" / "test-screenshots"


def _status(dom: str) -> tuple[int, int]:
    m = re.search(r'id="img-status" data-loaded="(\d+)" data-total="(\d+)"', dom)
    assert m, "the page's load script did not run"
    return int(m.group(1)), int(m.group(2))


@pytest.mark.parametrize("program,epoch,figures", [
    ("dhedge", "2024-01", {"payout histogram", "Lorenz curve"}),
    ("dydx", "1", {"payout histogram", "Lorenz curve", "change against previous epoch"}),
    ("jet", "0", {"payout histogram", "Lorenz curve", "paid per side"}),
])
def test_report_renders_with_every_figure(tmp_path: Path, program: str, epoch: str,
                                          figures: set[str]) -> None:
    page = Path(epoch_row(program, epoch)["out"]) / "report.html"
    html = page.read_text()
    # self-contained: every image is inline, nothing is fetched
    assert not re.search(r"""(src|href)=['"]?(https?:|//)""", html)
    alts = set(re.findall(r"<img alt='([^']*)'[^>]* src='data:image/png;base64,", html))
    assert figures <= alts, alts
    for section in ("root", "Parameters", "Inputs", "Distribution", "Top ", "Score components",
                    "Change against the previous epoch", "Removed by thresholds", "Capped"):
        assert section in html, section

    loaded, total = _status(chromium.dump_dom(page))
    assert total == html.count("<img ") and total >= len(figures)
    assert loaded == total, f"{total - loaded} figure(s) did not load"

    SHOTS.mkdir(parents=True, exist_ok=True)
    shot = chromium.screenshot(page, tmp_path / "report.png", height=3000)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000
    shutil.copy(shot, SHOTS / f"report-{program}-{epoch}.png")


def test_report_names_capped_and_removed_accounts() -> None:
    """dHEDGE's demo locks make some caps bite; the report lists them from the allocation."""
    import json

    folder = Path(epoch_row("dhedge")["out"])
    m = json.loads((folder / "manifest.json").read_text())
    capped = [a for p in m["scoring"]["pools"] for a in p["capped"]]
    html = (folder / "report.html").read_text()
    assert capped, "the demo should cap someone"
    assert f"Capped ({len(capped)})" in html
    for a in capped:
        assert a in html

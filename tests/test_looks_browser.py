"""What people look at, in a real browser (issue 17, acceptance 1).

Every program's report.html and every what-if page of the reduced demo is opened in headless
Chromium (Debian package, driven over the DevTools protocol: tests/support/cdp.py) at
1280×800 and at a phone's 390×844, and must:
- never scroll sideways as a whole (`scrollWidth <= innerWidth`, and the phone's layout
  viewport stays 390 px: mobile Chromium widens it to fit an overflowing page);
- load every image, at its design size (figures are drawn at 2 × 96 dpi and shown at half,
  so the style's ≥ 10 pt fonts read as ≥ 10 pt; a shrunk image would shrink them);
- show no base-unit amount (an integer of more than 15 digits) as text.
Screenshots (first screen and full page) are kept in pytest's tmp folder and copied to
.cache/screenshots/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from distributor.report import style
from tests.support.cdp import Browser
from tests.support.looks import MEASURE_JS
from tests.support.workflow import GROUP, REPO, small_demo

pytestmark = pytest.mark.xdist_group(GROUP)
SHOTS = REPO / ".cache" / "screenshots"
VIEWPORTS = [(1280, 800, False), (390, 844, True)]


def _pages() -> list[tuple[str, Path]]:
    root, rows = small_demo()
    pages = [(f"report-{r['program']}-{r['epoch']}", Path(r["out"]) / "report.html")
             for r in rows]
    pages += [(f"whatif-{p.parent.name}", p) for p in sorted((root / "whatif").glob("*/whatif.html"))]
    return pages


@pytest.fixture(scope="module")
def browser():
    with Browser() as b:
        yield b


def test_every_report_and_whatif_page_fits_loads_and_reads_in_token_units(
        browser: Browser, tmp_path: Path) -> None:
    pages = _pages()
    programs = {n.split("-")[1] for n, _ in pages if n.startswith("report-")}
    assert programs == {"dhedge", "curve", "dydx", "jet", "jet_airdrop", "mirror", "holders"}
    assert sum(n.startswith("whatif-") for n, _ in pages) == 4
    problems = []
    for name, page in pages:
        for width, height, mobile in VIEWPORTS:
            browser.open(page, width, height, mobile)
            r = browser.evaluate(MEASURE_JS)
            where = f"{name} at {width}×{height}"
            if r["innerWidth"] != width or r["scrollWidth"] > r["innerWidth"]:
                problems.append(f"{where}: page is {r['scrollWidth']} px wide in a "
                                f"{r['innerWidth']} px viewport")
            if not r["images"]:
                problems.append(f"{where}: no figure at all")
            for im in r["images"]:
                if not (im["complete"] and im["naturalWidth"] > 0):
                    problems.append(f"{where}: image {im['alt']!r} did not load")
                elif im["width"] * style.SCALE < im["naturalWidth"] - 1:
                    problems.append(f"{where}: image {im['alt']!r} shrunk to {im['width']:.0f} "
                                    f"px (drawn for {im['naturalWidth'] // style.SCALE})")
            for text in r["long_numbers"]:
                problems.append(f"{where}: base-unit amount as text: {text!r}")
            first = browser.screenshot(tmp_path / f"{name}-{width}x{height}.png")
            full = browser.screenshot(tmp_path / f"{name}-{width}-full.png", full_page=True)
            for png in (first, full):
                assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    SHOTS.mkdir(parents=True, exist_ok=True)
    for png in tmp_path.glob("*.png"):
        shutil.copy(png, SHOTS / png.name)
    assert not problems, "\n".join(problems)


def test_the_measure_catches_what_it_is_meant_to(browser: Browser, tmp_path: Path) -> None:
    """The checks above can fail: a page with a wide table outside any scroll box, a shrunk
    figure and a raw base-unit amount is caught on all three counts."""
    from distributor.report import plots

    uri = plots.bars({"a": 1.0, "b": 2.0}, "t", "y")
    bad = tmp_path / "bad.html"
    bad.write_text("<!doctype html><meta name=viewport content='width=device-width'>"
                   "<table><tr>" + "<td>wide_cell_without_breaks</td>" * 40 + "</tr></table>"
                   f"<p>paid 26843581647097803874783 base units</p>"
                   f"<img alt=shrunk style='width:50px' src='{uri}'>")
    browser.open(bad, 390, 844, True)
    r = browser.evaluate(MEASURE_JS)
    assert r["scrollWidth"] > 390 or r["innerWidth"] != 390
    assert r["long_numbers"] == ["paid 26843581647097803874783 base units"]
    assert r["images"][0]["width"] * style.SCALE < r["images"][0]["naturalWidth"]

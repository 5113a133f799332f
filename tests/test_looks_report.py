"""The pieces of what people look at, one by one (issue 17): plot style, windows, declarations,
amounts. The pages as a whole are checked in a browser by tests/test_looks_browser.py."""

from __future__ import annotations

import base64
import io

import pyarrow as pa
import pytest

from distributor.programs import program_names
from distributor.report import plots, sections, style
from distributor.report.html import render, window_text
from distributor.report.token import token_of


def test_style_fonts_are_at_least_10_pt() -> None:
    sizes = {k: v for k, v in style.RC.items() if "size" in k and "fig" not in k}
    assert sizes and all(float(v) >= style.MIN_FONT_PT for v in sizes.values()), sizes
    # figures are shown at pixels / SCALE CSS px, and 96 CSS px are one inch: 1 pt drawn = 1 pt read
    assert style.DPI == 96 * style.SCALE


def test_count_axes_get_integer_ticks() -> None:
    """Three accounts in a histogram: the y ticks are 0, 1, 2 … never 0.2 accounts."""
    from PIL import Image

    uri = plots.histogram([1.0, 2.0, 2.5], "DHT")
    assert uri is not None
    fig, ax = style.figure(3, 2)
    ax.hist([1.0, 2.0, 2.5], bins=5)
    style.integer_ticks(ax.yaxis)
    fig.canvas.draw()
    ticks = [t for t in ax.get_yticks() if ax.get_ylim()[0] <= t <= ax.get_ylim()[1]]
    assert ticks and all(float(t).is_integer() for t in ticks), ticks
    Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))).verify()


def test_a_chart_with_nothing_to_say_is_not_drawn() -> None:
    assert plots.grouped_bars(["a", "b"], {"paid": [0, 0], "left": [0, 0]}, "t", "y") is None
    assert plots.histogram([5.0], "JET") is None           # one account: no distribution
    assert plots.lorenz([7])[0] is None
    assert plots.change({"a": 1.0}, {"a": 1.0}, "JET") is None
    assert plots.bars({"long": 0.0, "short": 0.0}, "t", "y") is None


def test_labels_wrap_instead_of_being_cut() -> None:
    assert style.wrap_label("utilization=mean_daily") == "utilization=\nmean_daily"
    assert style.wrap_label("0x1bfDEe29d8aC9712a9b055c4FA771E44D933057C") == "0x1bfD…057C"


def test_a_window_without_start_does_not_read_1970() -> None:
    ep = {"label": "0", "start": "1970-01-01T00:00:00Z", "end": "2023-04-30T00:00:00Z"}
    assert window_text(ep) == "up to 2023-04-30 (UTC, end exclusive; no start)"
    assert window_text({**ep, "start": None}).startswith("up to 2023-04-30")
    assert window_text({"start": "2021-08-31T15:00:00Z", "end": "2021-09-28T15:00:00Z"}) == \
        "2021-08-31 15:00 → 2021-09-28 15:00 (UTC, end exclusive)"


def test_token_prefers_the_manifest_token_section() -> None:
    v2 = {"program": {"name": "dhedge"}, "params": {"decimals": 6},
          "token": {"address": "0x" + "ab" * 20, "symbol": "DHT", "decimals": 18, "chain_id": 10}}
    assert token_of(v2).decimals == 18 and token_of(v2).address == "0x" + "ab" * 20
    v1 = {"program": "jet", "params": {"decimals": 9}, "token": "JET"}
    assert (token_of(v1).symbol, token_of(v1).decimals) == ("JET", 9)
    assert token_of({"program": "dydx", "params": {"decimals": 18}}).fmt(10**24 + 5 * 10**21) \
        == "1,005,000 DYDX"
    assert token_of({"program": "unknown"}).fmt(123) == "123 base units"


@pytest.mark.parametrize("program", program_names())
def test_every_program_declaration_is_valid(program: str) -> None:
    decl = sections.declaration(program)
    for s in decl.sections:
        assert s.kind != "split" or s.column, f"{program}: a split needs its column"


def test_one_layout_with_the_program_sections_it_declares() -> None:
    """The same page for every program; what differs comes from report.toml."""
    m = {"program": "jet", "epoch": {"label": "0", "start": "2023-07-20T00:00:00Z",
                                     "end": "2023-08-19T00:00:00Z"},
         "params": {"decimals": 9}, "token": "JET", "root": "0x" + "12" * 32, "scheme": "solana",
         "totals": {"budget": "2000000000000000", "allocated": "1999999999999999", "dust": "1",
                    "unpaid": "0", "unallocated": "0"},
         "pools": [{"pool": "lender", "budget": "1000000000000000",
                    "allocated": "1000000000000000", "accounts_paid": 1, "removed": {},
                    "capped": [], "dust": "0", "unpaid": "0"},
                   {"pool": "borrower", "budget": "1000000000000000",
                    "allocated": "999999999999999", "accounts_paid": 1, "removed": {},
                    "capped": [], "dust": "1", "unpaid": "0"}]}
    rewards = pa.table({"account": ["A" * 44, "B" * 44],
                        "amount": ["1000000000000000", "999999999999999"]})
    scores = pa.table({"pool": ["lender", "borrower"], "account": ["A" * 44, "B" * 44],
                       "score": [1.0, 2.0], "amount": ["1000000000000000", "999999999999999"],
                       "removed": [None, None]})
    page = render(m, rewards, scores)
    assert "<h2>Lenders and borrowers</h2>" in page          # declared by jet/report.toml
    assert "1,000,000 JET" in page and "999,999.99 JET" in page
    assert page.index("root") < page.index("Top 2 accounts") < page.index("<h2>Parameters")
    assert "<h2>Inputs" not in page          # no inputs in this manifest: no empty section
    m2 = dict(m, program="jet_airdrop")
    assert "Lenders and borrowers" not in render(m2, rewards, scores)

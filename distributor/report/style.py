"""One plot style for every figure people look at (report.html, whatif.html, plots/*.png).

Rules (issue 17, from screenshots of the demo's pages at 1280 px and on a phone):
- text is at least 10 pt *where it is read*: figures are drawn at `DPI` = 2 × 96 and shown at
  half their pixel size (`<img width=W/2>`), so one matplotlib point is one CSS point and a
  10 pt tick label reads as 10 pt; pages never shrink a figure (it scrolls in its own box);
- counts get integer ticks (no "0.2 accounts"); a count axis starts at 0;
- legends sit outside the data, under the figure on the left (in view on a phone);
- nothing is cut: `bbox_inches="tight"` with a pad, and long category labels are wrapped,
  not shortened to "utiliz…aily";
- a chart with nothing to say is not drawn: callers get `None` and show one sentence instead
  (`empty_reason`).
Matplotlib's own guidance on these knobs: https://matplotlib.org/stable/users/explain/customizing.html
"""

from __future__ import annotations

import base64
import io
import re
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

DPI = 192            # pixels per inch of the PNG; pages show it at 96 CSS px per inch
SCALE = DPI // 96    # <img width = pixel width / SCALE>
MIN_FONT_PT = 10
FONT_PT = 10.5

RC = {
    "figure.dpi": DPI, "savefig.dpi": DPI,
    "font.size": FONT_PT, "axes.titlesize": 11.5, "axes.labelsize": FONT_PT,
    "xtick.labelsize": MIN_FONT_PT, "ytick.labelsize": MIN_FONT_PT,
    "legend.fontsize": MIN_FONT_PT, "legend.title_fontsize": MIN_FONT_PT,
    "axes.grid": True, "grid.alpha": 0.3, "axes.spines.top": False, "axes.spines.right": False,
    "svg.hashsalt": "epochdrop",
}

PALETTE = ["#3366cc", "#dc3912", "#ff9900", "#109618", "#990099", "#0099c6", "#dd4477",
           "#66aa00", "#b82e2e", "#316395"]


def figure(width_in: float, height_in: float):
    """A new figure and axes in the house style (sizes in inches = 96 CSS px each)."""
    with plt.rc_context(RC):   # constrained layout: room for legends outside the axes
        return plt.subplots(figsize=(width_in, height_in), dpi=DPI, layout="constrained")


def integer_ticks(axis) -> None:
    """Counts are whole: no 0.2-account ticks, and the axis starts at zero."""
    axis.set_major_locator(MaxNLocator(integer=True))


def amount_ticks(axis) -> None:
    """Token amounts on an axis: `250k`, `1.5M` (short enough never to collide), not 1e6."""
    from matplotlib.ticker import FuncFormatter

    def fmt(v: float, _pos: int) -> str:
        a = abs(v)
        for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
            if a >= div:
                return f"{v / div:,.4g}{suffix}"
        return f"{v:,.4g}"

    axis.set_major_formatter(FuncFormatter(fmt))
    axis.set_major_locator(MaxNLocator(nbins=6))


def legend_outside(ax) -> None:
    """The legend under the figure, left-aligned, never over bars or lines; left-aligned so
    that on a phone, where a wide figure scrolls in its box, it is in view without scrolling."""
    handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return
    ax.figure.legend(handles, labels, loc="outside lower left", frameon=False,
                     ncols=len(labels) if len(labels) <= 3 else 2)


def wrap_label(label: str, width: int = 12) -> str:
    """Category labels wrap onto lines at `_`, `-`, `/`, `=` or spaces instead of being cut
    ("mean_daily" stays whole). One long word (an address, a pubkey) is shortened to
    `0x1234…abcd`; the tables next to the figure keep it whole."""
    pieces = [_short_word(p) for p in re.findall(r"[^\s_\-/=,]+[\s_\-/=,]*", str(label))]
    pieces = pieces or [str(label)]
    lines, cur = [], ""
    for p in pieces:
        if cur and len(cur) + len(p.rstrip()) > width:
            lines.append(cur.rstrip())
            cur = p
        else:
            cur += p
    return "\n".join(lines + [cur.rstrip()])


def _short_word(piece: str) -> str:
    word = piece.rstrip(" _-/=,")
    return f"{word[:6]}…{word[-4:]}{piece[len(word):]}" if len(word) > 20 else piece


def png(fig) -> bytes:
    """The figure as PNG bytes (no timestamp metadata), closed after."""
    buf = io.BytesIO()
    with plt.rc_context(RC):
        fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight", pad_inches=0.12,
                    metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def data_uri(fig) -> str:
    """A figure as an inline `data:` URI (reports open with no network, issue 7)."""
    return "data:image/png;base64," + base64.b64encode(png(fig)).decode()


def png_size(uri_or_bytes: str | bytes) -> tuple[int, int]:
    """Pixel width and height of a PNG (from its IHDR chunk)."""
    data = (base64.b64decode(uri_or_bytes.split(",", 1)[1]) if isinstance(uri_or_bytes, str)
            else uri_or_bytes)
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def img_tag(uri: str, alt: str) -> str:
    """`<img>` at its design size (pixels / SCALE), so fonts render at their point size.
    The page puts it in a box that scrolls sideways on a narrow screen instead of shrinking."""
    from html import escape

    w, h = png_size(uri)
    return (f"<div class=fig><img alt='{escape(alt, quote=True)}' width={w // SCALE} "
            f"height={h // SCALE} src='{uri}'></div>")

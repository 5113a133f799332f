"""The figures of report.html and of `whatif`, drawn with matplotlib and embedded as PNG.

Reports must open with no network (issue 7), so every figure becomes a base64 `data:` URI
inside the page. Payouts stay integers everywhere else; here they are converted to token
units as floats only to be drawn, never to be paid. The Gini coefficient is computed from
the integers exactly (Fraction) and only rounded for display.
"""

from __future__ import annotations

import base64
import io
from fractions import Fraction
from typing import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

plt.rcParams.update({"figure.dpi": 100, "font.size": 9, "axes.grid": True,
                     "grid.alpha": 0.3, "svg.hashsalt": "epochdrop"})

PALETTE = ["#3366cc", "#dc3912", "#ff9900", "#109618", "#990099", "#0099c6", "#dd4477",
           "#66aa00", "#b82e2e", "#316395"]


def data_uri(fig) -> str:
    """Render a figure to a PNG `data:` URI and close it (figures are not reused)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def gini(amounts: Sequence[int]) -> Fraction:
    """Gini coefficient of non-negative integers: G = 2Σ i·x_(i) / (nΣx) − (n+1)/n."""
    xs = sorted(int(a) for a in amounts)
    n, total = len(xs), sum(xs)
    if n == 0 or total == 0:
        return Fraction(0)
    weighted = sum(i * x for i, x in enumerate(xs, start=1))
    return Fraction(2 * weighted, n * total) - Fraction(n + 1, n)


def histogram(units: Sequence[float], token: str) -> str:
    """Payout distribution; log-spaced bins when payouts span more than two decades."""
    fig, ax = plt.subplots(figsize=(5.5, 3.2))
    vals = [u for u in units if u > 0]
    if vals:
        lo, hi = min(vals), max(vals)
        if hi / lo > 100:
            import numpy as np

            bins = np.logspace(np.log10(lo), np.log10(hi), 30)
            ax.set_xscale("log")
        else:
            bins = 30
        ax.hist(vals, bins=bins, color=PALETTE[0], edgecolor="white")
    else:
        ax.text(0.5, 0.5, "no payouts", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlabel(f"payout ({token})")
    ax.set_ylabel("accounts")
    ax.set_title("Payout distribution")
    return data_uri(fig)


def lorenz(amounts: Sequence[int]) -> tuple[str, Fraction]:
    """Lorenz curve of payouts with the equality line; returns (figure, Gini)."""
    xs = sorted(int(a) for a in amounts)
    g = gini(xs)
    fig, ax = plt.subplots(figsize=(4.2, 3.8))
    total = sum(xs)
    if xs and total:
        cum, acc = [0.0], 0
        for x in xs:
            acc += x
            cum.append(acc / total)
        pop = [i / len(xs) for i in range(len(xs) + 1)]
        ax.plot(pop, cum, color=PALETTE[1], label="payouts")
        ax.fill_between(pop, pop, cum, color=PALETTE[1], alpha=0.12)
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", label="equality")
    ax.set_xlabel("share of accounts (smallest first)")
    ax.set_ylabel("share of payouts")
    ax.set_title(f"Lorenz curve — Gini {float(g):.3f}")
    ax.legend(loc="upper left")
    return data_uri(fig), g


def bars(values: Mapping[str, float], title: str, ylabel: str) -> str:
    """One bar per group (market, pool, side), largest first."""
    items = sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))
    fig, ax = plt.subplots(figsize=(max(4.0, 0.5 * len(items) + 2), 3.2))
    ax.bar([_short(k) for k, _ in items], [v for _, v in items], color=PALETTE[2])
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.tick_params(axis="x", rotation=45 if len(items) > 4 else 0)
    return data_uri(fig)


def change(previous: Mapping[str, float], current: Mapping[str, float], token: str,
           top: int = 20) -> str:
    """Biggest per-account changes against the previous epoch (new and dropped included)."""
    deltas = {a: current.get(a, 0.0) - previous.get(a, 0.0) for a in set(previous) | set(current)}
    items = sorted(deltas.items(), key=lambda kv: (-abs(kv[1]), kv[0]))[:top][::-1]
    fig, ax = plt.subplots(figsize=(6.0, max(2.5, 0.25 * len(items) + 1)))
    ax.barh([_short(a) for a, _ in items], [d for _, d in items],
            color=[PALETTE[3] if d >= 0 else PALETTE[1] for _, d in items])
    ax.axvline(0, color="black", linewidth=0.6)
    ax.set_xlabel(f"change vs previous epoch ({token})")
    ax.set_title("Largest changes")
    return data_uri(fig)


def grouped_bars(groups: Sequence[str], series: Mapping[str, Sequence[float]], title: str,
                 ylabel: str) -> str:
    """Options side by side for each group: the what-if comparison of who gets what."""
    import numpy as np

    n = max(1, len(series))
    width = 0.8 / n
    x = np.arange(len(groups))
    fig, ax = plt.subplots(figsize=(max(5.0, 0.45 * len(groups) * n + 2), 3.6))
    for k, (name, vals) in enumerate(series.items()):
        ax.bar(x + (k - (n - 1) / 2) * width, vals, width, label=name,
               color=PALETTE[k % len(PALETTE)])
    ax.set_xticks(x, [_short(g) for g in groups], rotation=45 if len(groups) > 4 else 0,
                  ha="right" if len(groups) > 4 else "center")
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    return data_uri(fig)


def lines(x: Sequence[float], series: Mapping[str, Sequence[float]], title: str, xlabel: str,
          ylabel: str, styles: Mapping[str, str] | None = None) -> str:
    """Curves over a swept parameter (Mirror yield against premium, per cap)."""
    fig, ax = plt.subplots(figsize=(6.0, 3.8))
    for k, (name, ys) in enumerate(series.items()):
        ax.plot(x, ys, (styles or {}).get(name, "-"), label=name,
                color=PALETTE[(k // 2) % len(PALETTE)] if styles else PALETTE[k % len(PALETTE)])
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    return data_uri(fig)


def _short(label: str) -> str:
    """Long addresses and pubkeys are shortened on axes (the tables keep them whole)."""
    label = str(label)
    return label if len(label) <= 14 else f"{label[:6]}…{label[-4:]}"

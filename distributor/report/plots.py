"""The figures of report.html and of `whatif`, drawn with matplotlib in the style of style.py.

Reports must open with no network (issue 7), so every figure becomes a base64 `data:` URI
inside the page. Payouts stay integers everywhere else; here they are converted to token
units as floats only to be drawn, never to be paid. The Gini coefficient is computed from
the integers exactly (Fraction) and only rounded for display.

Every function returns the figure's URI, or None when the chart would have nothing to say
(no payouts, one account, all values zero); the page then prints one sentence instead
(issue 17: "a chart with nothing to say replaced by one sentence").
"""

from __future__ import annotations

from fractions import Fraction
from typing import Mapping, Sequence

import numpy as np

from distributor.report.style import (PALETTE, amount_ticks, data_uri, figure, integer_ticks,
                                      legend_outside, wrap_label)


def gini(amounts: Sequence[int]) -> Fraction:
    """Gini coefficient of non-negative integers: G = 2Σ i·x_(i) / (nΣx) − (n+1)/n."""
    xs = sorted(int(a) for a in amounts)
    n, total = len(xs), sum(xs)
    if n == 0 or total == 0:
        return Fraction(0)
    weighted = sum(i * x for i, x in enumerate(xs, start=1))
    return Fraction(2 * weighted, n * total) - Fraction(n + 1, n)


def histogram(units: Sequence[float], token: str) -> str | None:
    """Payout distribution (accounts per payout bin); log-spaced bins when payouts span more
    than two decades. None with fewer than two paid accounts."""
    vals = [u for u in units if u > 0]
    if len(vals) < 2:
        return None
    fig, ax = figure(3.7, 2.9)     # 355 CSS px: whole on a 390 px phone
    lo, hi = min(vals), max(vals)
    bins: int | np.ndarray = min(30, max(5, len(vals)))
    if lo > 0 and hi / lo > 100:
        bins = np.logspace(np.log10(lo), np.log10(hi), 25)
        ax.set_xscale("log")
    ax.hist(vals, bins=bins, color=PALETTE[0], edgecolor="white")
    integer_ticks(ax.yaxis)
    if not isinstance(bins, np.ndarray):
        amount_ticks(ax.xaxis)
    ax.set_xlabel(f"payout ({token})")
    ax.set_ylabel("accounts")
    ax.set_title("Payout distribution")
    return data_uri(fig)


def lorenz(amounts: Sequence[int]) -> tuple[str | None, Fraction]:
    """Lorenz curve of payouts with the equality line; returns (figure or None, Gini)."""
    xs = sorted(int(a) for a in amounts if int(a) > 0)
    g = gini(xs)
    total = sum(xs)
    if len(xs) < 2 or not total:
        return None, g
    fig, ax = figure(3.7, 3.3)
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
    legend_outside(ax)
    return data_uri(fig), g


def bars(values: Mapping[str, float], title: str, ylabel: str, count: bool = False) -> str | None:
    """One bar per group (market, pool, side), largest first. None when every bar is 0."""
    items = sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))
    if not items or not any(v for _, v in items):
        return None
    fig, ax = figure(min(7.5, max(4.0, 0.4 * len(items) + 2)), 3.6)
    ax.bar([wrap_label(k) for k, _ in items], [v for _, v in items], color=PALETTE[2])
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    if count:
        integer_ticks(ax.yaxis)
    else:
        amount_ticks(ax.yaxis)
    if len(items) > 6:
        ax.tick_params(axis="x", rotation=60)
        for t in ax.get_xticklabels():
            t.set_horizontalalignment("right")
    return data_uri(fig)


def change(previous: Mapping[str, float], current: Mapping[str, float], token: str,
           top: int = 20) -> str | None:
    """Biggest per-account changes against the previous epoch (new and dropped included).
    None when nobody's payout changed."""
    deltas = {a: current.get(a, 0.0) - previous.get(a, 0.0) for a in set(previous) | set(current)}
    items = [kv for kv in sorted(deltas.items(), key=lambda kv: (-abs(kv[1]), kv[0]))
             if kv[1]][:top][::-1]
    if not items:
        return None
    fig, ax = figure(3.7, max(2.4, 0.26 * len(items) + 1.1))
    ax.barh([wrap_label(a) for a, _ in items], [d for _, d in items],
            color=[PALETTE[3] if d >= 0 else PALETTE[1] for _, d in items])
    ax.axvline(0, color="black", linewidth=0.6)
    amount_ticks(ax.xaxis)
    ax.set_xlabel(f"change vs previous epoch ({token})")
    ax.set_title("Largest changes")
    return data_uri(fig)


def grouped_bars(groups: Sequence[str], series: Mapping[str, Sequence[float]], title: str,
                 ylabel: str) -> str | None:
    """Options side by side for each group: the what-if comparison of who gets what.
    The legend (one entry per option) sits under the figure. None when every value is 0."""
    if not groups or not any(v for vals in series.values() for v in vals):
        return None
    n = max(1, len(series))
    width = 0.8 / n
    x = np.arange(len(groups))
    fig, ax = figure(min(9.0, max(5.0, 0.32 * len(groups) * n + 2)), 3.6)
    for k, (name, vals) in enumerate(series.items()):
        ax.bar(x + (k - (n - 1) / 2) * width, vals, width, label=name,
               color=PALETTE[k % len(PALETTE)])
    rotate = len(groups) > 5
    ax.set_xticks(x, [wrap_label(g) for g in groups], rotation=60 if rotate else 0,
                  ha="right" if rotate else "center")
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    amount_ticks(ax.yaxis)
    legend_outside(ax)
    return data_uri(fig)


def lines(x: Sequence[float], series: Mapping[str, Sequence[float]], title: str, xlabel: str,
          ylabel: str, styles: Mapping[str, str] | None = None) -> str | None:
    """Curves over a swept parameter (Mirror yield against premium, per cap)."""
    if not any(v for ys in series.values() for v in ys):
        return None
    fig, ax = figure(6.0, 3.8)
    for k, (name, ys) in enumerate(series.items()):
        ax.plot(x, ys, (styles or {}).get(name, "-"), label=name,
                color=PALETTE[(k // 2) % len(PALETTE)] if styles else PALETTE[k % len(PALETTE)])
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    legend_outside(ax)
    return data_uri(fig)

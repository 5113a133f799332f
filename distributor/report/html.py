"""report.html: one self-contained static page per epoch (issue 7).

Everything a reviewer asks before a vote or a claim sits on one page with no network access:
parameters and input hashes, totals, the payout distribution (histogram, Lorenz curve, Gini),
top accounts with the score components that explain their payout, splits per market / pool /
side, the change against the previous epoch, and who was removed by a threshold or capped.
The page is exempt from byte identity (D7), but it is built only from the output folder's
own files, so two runs on the same inputs show the same numbers.
"""

from __future__ import annotations

import html
import json
from decimal import Decimal
from typing import Any, Iterable

import pyarrow as pa

from distributor.report import plots
from epochdrop import __version__

SPLIT_COLUMNS = ("pool", "market", "side", "asset")
AMOUNT_COLUMNS = ("amount", "reward", "payout", "paid")
TOP = 25

CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#222;background:#fafafa}
main{max-width:1100px;margin:auto;padding:16px 24px 48px}
h1{font-size:22px;margin:8px 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:6px 0 12px;font-size:12.5px;background:#fff}
td,th{border:1px solid #ddd;padding:3px 7px;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
code,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;word-break:break-all}
.figs{display:flex;flex-wrap:wrap;gap:12px}.figs img{background:#fff;border:1px solid #ddd;max-width:100%}
.kv td:first-child{color:#555}.muted{color:#777}#img-status{font-size:12px;color:#777}
"""

# Reports say on the page whether their figures decoded: the headless-browser test reads it
# from the DOM, and a reader sees it too.
STATUS_JS = """
window.addEventListener('load',function(){var im=document.images,ok=0;
for(var i=0;i<im.length;i++){if(im[i].complete&&im[i].naturalWidth>0)ok++;}
var s=document.getElementById('img-status');s.textContent='figures loaded: '+ok+'/'+im.length;
s.setAttribute('data-loaded',ok);s.setAttribute('data-total',im.length);});
"""


def units(amount: int, decimals: int) -> Decimal:
    """Exact token units of a base-unit integer (display only)."""
    return Decimal(int(amount)).scaleb(-decimals) if decimals else Decimal(int(amount))


def fmt_units(amount: int, decimals: int) -> str:
    q = units(amount, decimals)
    text = f"{q:,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def to_int(v: Any) -> int:
    """Amounts arrive as int, Decimal or decimal string (uint256 never fits int64)."""
    if v is None:
        return 0
    if isinstance(v, int):
        return v
    return int(Decimal(str(v)))


def render(manifest: dict[str, Any], rewards: pa.Table, scores: pa.Table | None = None,
           previous: pa.Table | None = None, previous_label: str | None = None) -> str:
    """The page as a string, from the manifest and the folder's tables."""
    program = str(manifest.get("program", "?"))
    ep = manifest.get("epoch", "?")
    epoch = str(ep.get("label") if isinstance(ep, dict) else ep)
    params = manifest.get("params") or {}
    decimals = int(params.get("decimals", manifest.get("decimals", 0)) or 0)
    token = manifest.get("token") or "units"  # the program's declared token symbol
    paid = {str(a): to_int(x) for a, x in zip(rewards.column("account").to_pylist(),
                                              rewards.column("amount").to_pylist())}
    parts = [_head(program, epoch, manifest), _params(params), _inputs(manifest),
             _totals(manifest, paid, decimals, token), _pools(manifest, decimals, token)]
    parts.append(_distribution(paid, decimals, token))
    parts.append(_top(paid, scores, decimals, token))
    parts.append(_splits(scores, paid, decimals, token))
    parts.append(_previous(paid, previous, previous_label, decimals, token))
    parts.append(_removed(manifest, scores))
    body = "\n".join(p for p in parts if p)
    return (f"<!doctype html>\n<html lang=en><head><meta charset=utf-8>"
            f"<meta name=viewport content='width=device-width,initial-scale=1'>"
            f"<title>{esc(program)} epoch {esc(epoch)} — epochdrop</title><style>{CSS}</style>"
            f"</head><body><main>\n{body}\n<p id=img-status>figures loaded: ?</p></main>"
            f"<script>{STATUS_JS}</script></body></html>\n")


def esc(x: Any) -> str:
    return html.escape(str(x), quote=True)


def html_table(header: Iterable[str], rows: Iterable[Iterable[Any]], numeric: set[int] = frozenset(),
           cls: str = "") -> str:
    head = "".join(f"<th{' class=n' if i in numeric else ''}>{esc(h)}</th>"
                   for i, h in enumerate(header))
    body = "".join("<tr>" + "".join(f"<td{' class=n' if i in numeric else ''}>{esc(c)}</td>"
                                    for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table class='{cls}'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _head(program: str, epoch: str, m: dict) -> str:
    ep = m.get("epoch")
    window = f"{ep.get('start')} → {ep.get('end')} (end exclusive)" if isinstance(ep, dict) else ""
    rows = [("program", program), ("epoch", epoch), ("window", window),
            ("scheme", m.get("scheme", "")), ("root", m.get("root") or "— (no tree)"),
            ("expiry", m.get("expiry") or "—"),
            ("tool version", m.get("tool_version") or __version__)]
    notes = "".join(f"<li>{esc(n)}</li>" for n in m.get("notes") or [])
    return (f"<h1>{esc(program)} — epoch {esc(epoch)}</h1>" + html_table(["", ""], rows, cls="kv")
            + (f"<ul class=muted>{notes}</ul>" if notes else ""))


def _params(params: dict) -> str:
    rows = [(k, v if isinstance(v, str) else json.dumps(v, sort_keys=True))
            for k, v in sorted(params.items())]
    return "<h2>Parameters</h2>" + html_table(["key", "value"], rows)


def _inputs(m: dict) -> str:
    entries = m.get("inputs") or []
    if isinstance(entries, dict):
        entries = [{"table": k, **(v if isinstance(v, dict) else {"sha256": v})}
                   for k, v in entries.items()]
    rows = []
    for e in entries:
        files = e.get("files") or []
        rows.append((e.get("table", e.get("name", "")), e.get("rows", ""),
                     e.get("content_sha256") or e.get("sha256") or "",
                     "; ".join(f"{f['name']} {f['sha256']}" for f in files[:8])
                     + (f" … (+{len(files) - 8} files)" if len(files) > 8 else "")))
    if not rows:
        return ""
    return ("<h2>Inputs</h2><p class=muted>Row hash: sha256 of the table's rows in sorted order "
            "(equal for equal rows however the store cut its files).</p>"
            + html_table(["table", "rows", "rows sha256", "files (sha256)"], rows, {1}))


def _totals(m: dict, paid: dict[str, int], decimals: int, token: str) -> str:
    totals = m.get("totals") or {}
    rows = [(k, fmt_units(to_int(v), decimals) + f" {token}" if _is_amount_key(k) else v)
            for k, v in sorted(totals.items())]
    rows.append(("accounts paid", sum(1 for v in paid.values() if v > 0)))
    rows.append(("paid (sum of rewards)", f"{fmt_units(sum(paid.values()), decimals)} {token}"))
    return "<h2>Totals</h2>" + html_table(["", ""], rows, {1}, cls="kv")


def _pools(m: dict, decimals: int, token: str) -> str:
    pools = m.get("pools") or []
    if len(pools) <= 1 and not any(p.get("removed") or p.get("capped") for p in pools):
        return ""
    rows = [(p.get("pool") or "(all)", fmt_units(to_int(p.get("budget")), decimals),
             fmt_units(to_int(p.get("allocated")), decimals), p.get("dust"), p.get("unpaid"),
             p.get("accounts_paid"), len(p.get("removed") or {}), len(p.get("capped") or []))
            for p in pools]
    return "<h2>Pools</h2>" + html_table(["pool", f"budget ({token})", f"allocated ({token})",
                                      "dust (base units)", "unpaid (base units)", "paid",
                                      "removed", "capped"], rows, {1, 2, 3, 4, 5, 6, 7})


def _is_amount_key(k: str) -> bool:
    return any(w in k for w in ("budget", "total", "amount", "dust", "paid", "allocated"))


def _distribution(paid: dict[str, int], decimals: int, token: str) -> str:
    amounts = [v for v in paid.values() if v > 0]
    hist = plots.histogram([float(units(v, decimals)) for v in amounts], token)
    lor, g = plots.lorenz(amounts)
    return (f"<h2>Distribution</h2><p>Gini coefficient of payouts: <b>{float(g):.4f}</b> "
            f"over {len(amounts)} paid accounts.</p><div class=figs>"
            f"<img alt='payout histogram' src='{hist}'><img alt='Lorenz curve' src='{lor}'></div>")


def _components(scores: pa.Table | None) -> list[str]:
    if scores is None:
        return []
    skip = {"account", "amount", "removed", *SPLIT_COLUMNS}
    return [f.name for f in scores.schema if f.name not in skip]


def _top(paid: dict[str, int], scores: pa.Table | None, decimals: int, token: str) -> str:
    total = sum(paid.values()) or 1
    top = sorted(paid.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]
    comps = _components(scores)
    by_acct: dict[str, list[dict]] = {}
    if scores is not None:
        for row in scores.to_pylist():
            by_acct.setdefault(str(row["account"]), []).append(row)
    splits = [c for c in SPLIT_COLUMNS if scores is not None and c in scores.column_names]
    header = ["#", "account", f"payout ({token})", "share", *splits, *comps]
    rows = []
    for i, (acct, amt) in enumerate(top, start=1):
        srows = by_acct.get(acct) or [{}]
        for j, s in enumerate(srows[:6]):
            lead = [i, acct, fmt_units(amt, decimals), f"{amt / total:.4%}"] if j == 0 else ["", "", "", ""]
            rows.append(lead + [s.get(c, "") for c in splits] + [_cell(s.get(c, "")) for c in comps])
    numeric = {0, 2, 3} | set(range(4 + len(splits), 4 + len(splits) + len(comps)))
    return (f"<h2>Top {len(top)} accounts and their score components</h2>"
            + html_table(header, rows, numeric))


def _cell(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    return "" if v is None else str(v)


def _splits(scores: pa.Table | None, paid: dict[str, int], decimals: int, token: str) -> str:
    if scores is None:
        return ""
    out = []
    for col in SPLIT_COLUMNS:
        if col not in scores.column_names:
            continue
        amount_col = next((c for c in AMOUNT_COLUMNS if c in scores.column_names), None)
        groups: dict[str, float] = {}
        counts: dict[str, set] = {}
        for row in scores.to_pylist():
            g = str(row[col])
            v = (float(units(to_int(row[amount_col]), decimals)) if amount_col
                 else float(row.get("score") or 0))
            groups[g] = groups.get(g, 0.0) + v
            counts.setdefault(g, set()).add(row["account"])
        if len(groups) < 2:
            continue  # one group (or none) splits nothing
        what = f"payout ({token})" if amount_col else "score"
        rows = [(g, len(counts[g]), f"{v:,.6g}") for g, v in sorted(groups.items())]
        out.append(f"<h3>By {col}</h3>" + html_table([col, "accounts", what], rows, {1, 2})
                   + f"<div class=figs><img alt='{esc(what)} by {col}' "
                     f"src='{plots.bars(groups, f'{what} by {col}', what)}'></div>")
    return "<h2>Splits</h2>" + "".join(out) if out else ""


def _previous(paid: dict[str, int], previous: pa.Table | None, label: str | None,
              decimals: int, token: str) -> str:
    if previous is None:
        return "<h2>Change against the previous epoch</h2><p class=muted>No previous epoch in this output folder's parent.</p>"
    prev = {str(a): to_int(x) for a, x in zip(previous.column("account").to_pylist(),
                                              previous.column("amount").to_pylist())}
    new = sorted(set(paid) - set(prev))
    gone = sorted(set(prev) - set(paid))
    rows = [("previous epoch", label or ""),
            ("previous total", f"{fmt_units(sum(prev.values()), decimals)} {token}"),
            ("this total", f"{fmt_units(sum(paid.values()), decimals)} {token}"),
            ("accounts new this epoch", len(new)), ("accounts no longer paid", len(gone))]
    fig = plots.change({a: float(units(v, decimals)) for a, v in prev.items()},
                       {a: float(units(v, decimals)) for a, v in paid.items()}, token)
    return ("<h2>Change against the previous epoch</h2>" + html_table(["", ""], rows, {1}, cls="kv")
            + f"<div class=figs><img alt='change against previous epoch' src='{fig}'></div>")


def _removed(m: dict, scores: pa.Table | None) -> str:
    """Accounts removed before shares (thresholds, eligibility) and accounts capped, as the
    allocation recorded them per pool in the manifest, with their score rows."""
    rows_by = {}
    if scores is not None:
        for r in scores.to_pylist():
            rows_by[(str(r.get("pool", "")), str(r["account"]))] = r
    removed, capped = [], []
    for p in m.get("pools") or []:
        pool = p.get("pool", "")
        for acct, why in sorted((p.get("removed") or {}).items()):
            removed.append((pool or "(all)", acct, why, _cell(rows_by.get((pool, acct), {}).get("score"))))
        for acct in sorted(p.get("capped") or []):
            r = rows_by.get((pool, acct), {})
            capped.append((pool or "(all)", acct, _cell(r.get("score")), r.get("cap", ""), r.get("amount", "")))
    out = [f"<h2>Removed by thresholds ({len(removed)})</h2>"]
    out.append(html_table(["pool", "account", "reason", "score"], removed[:200])
               if removed else "<p class=muted>None: no account was removed before shares.</p>")
    out.append(f"<h2>Capped ({len(capped)})</h2>")
    out.append(html_table(["pool", "account", "score", "cap (base units)", "paid (base units)"],
                      capped[:200], {3, 4})
               if capped else "<p class=muted>No account was capped.</p>")
    return "".join(out)

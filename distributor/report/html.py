"""report.html: one self-contained static page per epoch, the same layout for every program.

What a reviewer asks first is on the first screen (issue 17): the root, what was paid of the
budget and what was not, the token, and the top accounts. Below: the program's own sections
(declared in its `report.toml`, sections.py), the payout distribution (histogram, Lorenz
curve, Gini), the top accounts' score components, the change against the previous epoch,
who was removed by a threshold or capped, and last the parameters and input hashes.

Amounts are token units (`epochdrop.units.format_amount`) with the exact base units on hover;
hashes are shortened with the full value on hover and click. The page is exempt from byte
identity (D7), but it is built only from the output folder's own files, so two runs on the
same inputs show the same numbers.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pyarrow as pa

from distributor.report import plots, sections
from distributor.report.markup import (CSS, STATUS_JS, Html, amount, esc, figure_or_sentence,
                                       full_hash, html_table, label, number, page, short)
from distributor.report.token import TOKENS, Token, to_int, token_of
from epochdrop import __version__

__all__ = ["CSS", "STATUS_JS", "TOKENS", "esc", "html_table", "render", "to_int", "window_text"]

TOP_FIRST = 10     # accounts on the first screen
TOP = 25           # accounts whose score components are listed
SPLIT_COLUMNS = ("pool", "market", "side", "asset")


def render(manifest: dict[str, Any], rewards: pa.Table, scores: pa.Table | None = None,
           previous: pa.Table | None = None, previous_label: str | None = None) -> str:
    """The page as a string, from the manifest and the folder's tables."""
    m = manifest
    program = _program(m)
    ep = m.get("epoch")
    epoch = str(ep.get("label") if isinstance(ep, dict) else ep)
    token = token_of(m, program)
    decl = sections.declaration(program)
    paid = {str(a): to_int(x) for a, x in zip(rewards.column("account").to_pylist(),
                                              rewards.column("amount").to_pylist())}
    declared = [sections.render(s, m, scores, token, decl) for s in decl.sections]
    kinds = {s.kind for s in decl.sections}
    what = next((s.what for s in decl.sections if s.kind == "pools"), "pool")
    parts = [_head(program, epoch, m, token), _summary(m, paid, token),
             _top(paid, scores, token, what),
             *declared, _distribution(paid, token), _components(paid, scores, token, decl),
             _previous(paid, previous, previous_label, token), _removed(m, scores),
             "" if "capped" in kinds else _capped(m, scores, token, decl),
             _params(m.get("params") or {}), _inputs(m),
             f"<p class=muted>epochdrop {esc(m.get('tool_version') or __version__)}</p>"]
    return page(f"{program} epoch {epoch} — epochdrop", "\n".join(p for p in parts if p))


def _program(m: dict) -> str:
    p = m.get("program", "?")
    return str(p.get("name") if isinstance(p, dict) else p)


def _tree(m: dict) -> dict:
    """Tree facts from a v2 manifest's `tree` section or a v1 manifest's top level."""
    t = m.get("tree")
    return t if isinstance(t, dict) else m


def _totals(m: dict) -> dict:
    return m.get("totals") or m.get("scoring") or {}


def window_text(ep: Any) -> str:
    """`2024-01-01 → 2024-02-01 (UTC, end exclusive)`; a window with no start (an epoch that
    counts everything before a cutoff, like the Jet airdrop) reads `up to 2023-04-30`, never
    `1970-01-01 → …`."""
    if not isinstance(ep, dict):
        return ""
    start, end = _when(ep.get("start")), _when(ep.get("end"))
    if end is None:
        return f"from {start} (UTC)" if start else ""
    if start is None:
        return f"up to {end} (UTC, end exclusive; no start)"
    return f"{start} → {end} (UTC, end exclusive)"


def _when(text: Any) -> str | None:
    if not text:
        return None
    try:
        t = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return str(text)
    if t.timestamp() <= 0:
        return None   # the Unix epoch stands for "no start"
    return t.strftime("%Y-%m-%d") if (t.hour, t.minute, t.second) == (0, 0, 0) \
        else t.strftime("%Y-%m-%d %H:%M")


def _head(program: str, epoch: str, m: dict, token: Token) -> str:
    t = _tree(m)
    scheme = t.get("scheme") or "none"
    sub = " · ".join(x for x in (window_text(m.get("epoch")), f"tree {scheme}",
                                 f"expires {_when(t.get('expiry'))}" if t.get("expiry") else "") if x)
    root = t.get("root")
    root_line = (f"<p>root {full_hash(root)}</p>" if root
                 else "<p>root — (no tree: this program's scheme is none; payouts are in "
                      "rewards.csv)</p>")
    prev = ((t.get("cumulative") or {}).get("root") if isinstance(t.get("cumulative"), dict)
            else (t.get("previous") or {}).get("root") or t.get("previous_root"))
    if prev:
        root_line += f"<p class=muted>cumulative on the previous root {short(prev)}</p>"
    return (f"<h1>{esc(program)} — epoch {esc(epoch)}</h1><p class=sub>{esc(sub)}</p>"
            + root_line)


def _summary(m: dict, paid: dict[str, int], token: Token) -> str:
    tot = _totals(m)
    budget = to_int(tot.get("budget"))
    allocated = to_int(tot.get("allocated", sum(paid.values())))
    unpaid = to_int(tot.get("unpaid"))
    dust = to_int(tot.get("dust"))
    rest = to_int(tot.get("unallocated"))
    share = f"{allocated / budget:.1%} of {token.fmt(budget)}" if budget else "no budget"
    tok = token.symbol or "?"
    tok_sub = f"{token.decimals} decimals" if token.decimals is not None else "decimals unknown"
    if token.address:
        tok_sub += f" · {short(token.address)}"
        if token.chain_id is not None:
            tok_sub += f" on chain {esc(token.chain_id)}"
    cards = [("paid", amount(allocated, token), esc(share)),
             ("accounts paid", esc(f"{sum(1 for v in paid.values() if v > 0):,}"),
              esc(f"{len(paid):,} in rewards")),
             ("not paid", amount(budget - allocated if budget else unpaid + dust + rest, token),
              esc(f"unpaid {token.fmt(unpaid)} · dust {token.fmt(dust)}"
                  + (f" · unallocated {token.fmt(rest)}" if rest else ""))),
             ("token", esc(tok), tok_sub)]
    body = "".join(f"<div class=card><span>{k}</span><b>{v}</b><span>{sub}</span></div>"
                   for k, v, sub in cards)
    notes = "".join(f"<li>{esc(n)}</li>" for n in _totals(m).get("notes") or m.get("notes") or [])
    return (f"<div class=cards>{body}</div>"
            + (f"<ul class=muted>{notes}</ul>" if notes else ""))


def _by_account(scores: pa.Table | None) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    if scores is not None:
        for row in scores.to_pylist():
            out.setdefault(str(row["account"]), []).append(row)
    return out


def _top(paid: dict[str, int], scores: pa.Table | None, token: Token, what: str) -> str:
    total = sum(paid.values()) or 1
    top = sorted(paid.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_FIRST]
    by = _by_account(scores)
    multi = scores is not None and "pool" in scores.column_names and \
        len(set(scores.column("pool").to_pylist())) > 1
    rows = []
    for i, (acct, amt) in enumerate(top, start=1):
        pools = sorted({str(r.get("pool")) for r in by.get(acct, []) if to_int(r.get("amount"))})
        row = [i, short(acct), amount(amt, token), f"{amt / total:.2%}"]
        if multi:
            row.append(Html(", ".join(label(p) for p in pools)) if len(pools) <= 2
                       else f"{len(pools)} {what}s")
        rows.append(row)
    header = ["#", "account", "payout", "share"] + (["paid in"] if multi else [])
    n = sum(1 for v in paid.values() if v > 0)
    more = f" of {n:,}" if n > len(top) else ""
    return (f"<h2>Top {len(top)}{more} accounts</h2>"
            + html_table(header, rows, {0, 2, 3}) if rows
            else "<h2>Top accounts</h2><p>No account was paid in this epoch.</p>")


def _distribution(paid: dict[str, int], token: Token) -> str:
    amounts = [v for v in paid.values() if v > 0]
    hist = plots.histogram([token.to_float(v) for v in amounts], token.label)
    lor, g = plots.lorenz(amounts)
    few = (f"Only {len(amounts)} account(s) were paid: there is no distribution to draw."
           if len(amounts) < 2 else "")
    return (f"<h2>Distribution</h2><p>Gini coefficient of payouts: <b>{float(g):.4f}</b> "
            f"over {len(amounts):,} paid accounts.</p><div class=figs>"
            + figure_or_sentence(hist, "payout histogram", few)
            + (figure_or_sentence(lor, "Lorenz curve", "") if lor else "") + "</div>")


def _component_names(scores: pa.Table | None) -> list[str]:
    if scores is None:
        return []
    skip = {"account", "amount", "removed", *SPLIT_COLUMNS}
    return [f.name for f in scores.schema if f.name not in skip]


def _components(paid: dict[str, int], scores: pa.Table | None, token: Token,
                decl: sections.ReportDecl) -> str:
    """The top accounts' score rows: what explains each payout (one row per pool)."""
    if scores is None:
        return ""
    top = sorted(paid.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]
    comps = _component_names(scores)
    by = _by_account(scores)
    splits = [c for c in SPLIT_COLUMNS if c in scores.column_names
              and len(set(scores.column(c).to_pylist())) > 1]
    rows = []
    for i, (acct, _) in enumerate(top, start=1):
        srows = sorted(by.get(acct) or [{}], key=lambda r: -to_int(r.get("amount")))
        for j, s in enumerate(srows[:6]):
            lead = [i, short(acct)] if j == 0 else ["", ""]
            rows.append(lead + [label(s.get(c, "")) for c in splits]
                        + [amount(s.get("amount"), token) if s.get("amount") is not None else ""]
                        + [sections.amount_cell(c, s.get(c), token, decl) for c in comps])
    numeric = {0} | set(range(2 + len(splits), 3 + len(splits) + len(comps)))
    return (f"<h2>Score components of the top {len(top)}</h2>"
            "<p class=muted>One row per pool the account scored in (largest payout first, up "
            "to 6); exact values on hover.</p>"
            + html_table(["#", "account", *splits, "payout", *comps], rows, numeric))


def _previous(paid: dict[str, int], previous: pa.Table | None, label: str | None,
              token: Token) -> str:
    head = "<h2>Change against the previous epoch</h2>"
    if previous is None:
        return head + "<p class=muted>No previous epoch in this output folder's parent.</p>"
    prev = {str(a): to_int(x) for a, x in zip(previous.column("account").to_pylist(),
                                              previous.column("amount").to_pylist())}
    new = sorted(set(paid) - set(prev))
    gone = sorted(set(prev) - set(paid))
    rows = [("previous epoch", label or ""),
            ("previous total", amount(sum(prev.values()), token)),
            ("this total", amount(sum(paid.values()), token)),
            ("accounts new this epoch", len(new)), ("accounts no longer paid", len(gone))]
    fig = plots.change({a: token.to_float(v) for a, v in prev.items()},
                       {a: token.to_float(v) for a, v in paid.items()}, token.label)
    return (head + html_table(["", ""], rows, {1}, cls="kv")
            + figure_or_sentence(fig, "change against previous epoch",
                                 "No account's payout changed."))


def _removed(m: dict, scores: pa.Table | None) -> str:
    """Accounts removed before shares (thresholds, eligibility), as the allocation recorded
    them per pool in the manifest, with their scores."""
    by = {}
    if scores is not None:
        for r in scores.to_pylist():
            by[(str(r.get("pool", "")), str(r["account"]))] = r
    removed = []
    for p in _totals(m).get("pools") or m.get("pools") or []:
        pool = p.get("pool", "")
        for acct, why in sorted((p.get("removed") or {}).items()):
            removed.append((label(pool or "(all)"), short(acct), why,
                            number(by.get((pool, acct), {}).get("score"))))
    out = f"<h2>Removed by thresholds ({len(removed)})</h2>"
    return out + (html_table(["pool", "account", "reason", "score"], removed[:200], {3})
                  if removed else "<p class=muted>No account was removed before shares.</p>")


def _capped(m: dict, scores: pa.Table | None, token: Token, decl: sections.ReportDecl) -> str:
    rows = sections.capped_rows(m, scores, token, decl)
    return (f"<h2>Capped ({len(rows)})</h2>"
            + (sections.capped_table(rows) if rows
               else "<p class=muted>No account was capped.</p>"))


def _params(params: dict) -> str:
    rows = [(k, Html(f"<code>{esc(v if isinstance(v, str) else json.dumps(v, sort_keys=True))}"
                     f"</code>")) for k, v in sorted(params.items())]
    return ("<h2>Parameters</h2><p class=muted>As validated from the config (token amounts in "
            "token units, fractions as decimals).</p>" + html_table(["key", "value"], rows))


def _inputs(m: dict) -> str:
    entries = m.get("inputs") or []
    if isinstance(entries, dict):
        entries = [{"table": k, **(v if isinstance(v, dict) else {"sha256": v})}
                   for k, v in entries.items()]
    rows = []
    for e in entries:
        if not isinstance(e, dict):
            continue
        files = e.get("files") or []
        shown = Html("<span class=wrap>" + "<br>".join(f"{esc(f['name'])} {short(f['sha256'])}" for f in files[:8])
                     + (f"<br>… (+{len(files) - 8} files)" if len(files) > 8 else "") + "</span>")
        rows_sha = e.get("content_sha256") or e.get("sha256") or ""
        rows.append((e.get("table", e.get("name", "")),
                     f"{e['rows']:,}" if isinstance(e.get("rows"), int) else e.get("rows", ""),
                     short(rows_sha) if rows_sha else "", shown))
    if not rows:
        return ""
    return ("<h2>Inputs</h2><p class=muted>Row hash: sha256 of the table's rows in sorted order "
            "(equal for equal rows however the store cut its files). Hover a hash for all of "
            "it; click to copy.</p>"
            + html_table(["table", "rows", "rows sha256", "files (sha256)"], rows, {1}))

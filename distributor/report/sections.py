"""Program-specific parts of report.html, declared by each program in `report.toml`.

Every program gets the same page (html.py); what only one program has — dYdX's per-market
pools, Mirror's long/short split, Jet's two sides, dHEDGE's capped accounts — is named in
`distributor/programs/<name>/report.toml`, so the report code has no `if program == …`:

    amounts = ["cap"]          # score columns in base units of the reward token
    [[sections]]
    kind  = "pools"            # pools | split | capped
    title = "Per-market pools"
    what  = "market"           # what one pool is, for headings and axes
    [[sections]]
    kind   = "split"
    column = "side"            # a scores.parquet column to sum payouts by

A program without the file gets the common layout only. Unknown keys are errors (D14's rule
for configs, applied to declarations too).
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from typing import Any, Literal

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, ValidationError

from distributor.report import plots
from distributor.report.markup import (amount, esc, figure_or_sentence, html_table, label,
                                       number, short)
from distributor.report.token import Token, to_int
from epochdrop.errors import InternalError


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["pools", "split", "capped"]
    title: str
    what: str = "pool"
    column: str | None = None
    text: str = ""


class ReportDecl(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amounts: list[str] = []
    sections: list[Section] = []


@lru_cache(maxsize=None)
def declaration(program: str) -> ReportDecl:
    """The program's `report.toml`, or the common layout alone when it has none."""
    from distributor.programs import program_dir, program_names

    if program not in program_names():
        return ReportDecl()
    path = program_dir(program) / "report.toml"
    if not path.exists():
        return ReportDecl()
    try:
        return ReportDecl.model_validate(tomllib.loads(path.read_text()))
    except (tomllib.TOMLDecodeError, ValidationError) as exc:
        raise InternalError(f"{path}: {str(exc).splitlines()[0]}") from None


def render(sec: Section, m: dict, scores: pa.Table | None, token: Token,
           decl: ReportDecl) -> str:
    fn = {"pools": _pools, "split": _split, "capped": _capped}[sec.kind]
    return fn(sec, m, scores, token, decl)


def _head(sec: Section) -> str:
    return f"<h2>{esc(sec.title)}</h2>" + (f"<p>{esc(sec.text)}</p>" if sec.text else "")


def _pools(sec: Section, m: dict, scores, token: Token, decl: ReportDecl) -> str:
    pools = [p for p in (m.get("scoring") or m).get("pools") or [] if to_int(p.get("budget")) or p.get("accounts_paid")]
    rows = [(label(p.get("pool") or "(all)"), amount(p.get("budget"), token),
             amount(p.get("allocated"), token),
             amount(to_int(p.get("unpaid")) + to_int(p.get("dust"))
                    + to_int(p.get("unallocated")), token),
             p.get("accounts_paid", 0), len(p.get("removed") or {}), len(p.get("capped") or []))
            for p in pools]
    fig = plots.bars({p.get("pool") or "(all)": token.to_float(p.get("allocated")) for p in pools},
                     f"paid per {sec.what} ({token.label})", token.label)
    return (_head(sec)
            + html_table([sec.what, "budget", "paid", "not paid", "accounts paid", "removed",
                          "capped"], rows, {1, 2, 3, 4, 5, 6})
            + figure_or_sentence(fig, f"paid per {sec.what}",
                                 f"Nothing was paid in any {sec.what}."))


def _split(sec: Section, m: dict, scores, token: Token, decl: ReportDecl) -> str:
    col = sec.column or sec.what
    if scores is None or col not in scores.column_names or "amount" not in scores.column_names:
        return _head(sec) + f"<p class=muted>No {esc(col)} column in the scores.</p>"
    paid: dict[str, int] = {}
    accounts: dict[str, set] = {}
    for r in scores.select([col, "account", "amount"]).to_pylist():
        g = str(r[col])
        paid[g] = paid.get(g, 0) + to_int(r["amount"])
        if to_int(r["amount"]) > 0:
            accounts.setdefault(g, set()).add(r["account"])
    total = sum(paid.values()) or 1
    rows = [(g, len(accounts.get(g, ())), amount(v, token), f"{v / total:.2%}")
            for g, v in sorted(paid.items())]
    fig = plots.bars({g: token.to_float(v) for g, v in paid.items()},
                     f"paid per {col} ({token.label})", token.label)
    return (_head(sec) + html_table([col, "accounts paid", "paid", "share"], rows, {1, 2, 3})
            + figure_or_sentence(fig, f"paid per {col}", f"Nothing was paid on any {col}."))


def capped_rows(m: dict, scores: pa.Table | None, token: Token, decl: ReportDecl) -> list:
    by = {}
    if scores is not None:
        for r in scores.to_pylist():
            by[(str(r.get("pool", "")), str(r["account"]))] = r
    rows = []
    for p in (m.get("scoring") or m).get("pools") or []:
        pool = p.get("pool", "")
        for acct in sorted(p.get("capped") or []):
            r = by.get((pool, acct), {})
            uncapped = r.get("raw_reward")
            rows.append((label(pool or "(all)"), short(acct), number(r.get("score")),
                         amount(r.get("cap"), token) if r.get("cap") not in (None, "") else "",
                         amount(uncapped, token) if uncapped not in (None, "") else "",
                         amount(r.get("amount"), token) if r.get("amount") is not None else ""))
    return rows


def capped_table(rows: list) -> str:
    """Capped accounts; the pool column only when there is more than one pool."""
    if len({str(r[0]) for r in rows}) <= 1:
        return html_table(["account", "score", "cap", "before the cap", "paid"],
                          [r[1:] for r in rows[:200]], {1, 2, 3, 4})
    return html_table(["pool", "account", "score", "cap", "before the cap", "paid"], rows[:200],
                      {2, 3, 4, 5})


def _capped(sec: Section, m: dict, scores, token: Token, decl: ReportDecl) -> str:
    rows = capped_rows(m, scores, token, decl)
    unpaid = sum(to_int(p.get("unpaid")) for p in (m.get("scoring") or m).get("pools") or [])
    text = (f"{len(rows)} account(s) reached their cap; {token.fmt(unpaid)} stayed unpaid."
            if rows else "No account reached its cap.")
    return (f"<h2>{esc(sec.title)} ({len(rows)})</h2>"
            + (f"<p>{esc(sec.text)}</p>" if sec.text else "") + f"<p>{esc(text)}</p>"
            + (capped_table(rows) if rows else ""))


def amount_cell(col: str, v: Any, token: Token, decl: ReportDecl) -> Any:
    """A score component: token units when the program declared the column an amount."""
    if col in decl.amounts and v not in (None, ""):
        return amount(v, token)
    return number(v)

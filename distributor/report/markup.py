"""HTML pieces shared by report.html and whatif.html: the page shell, tables, amounts, hashes.

What a page must never do (issue 17, from screenshots at 1280 px and 390 px): scroll
sideways as a whole, show a base-unit integer as text, or cut a column. So tables sit in a
box that scrolls on its own (`.tbl`), long hashes are shortened with the full value in the
tooltip and one click copies it (`data-copy`), amounts are token units with the exact base
units in the tooltip, and figures keep their design size in a scrolling box (style.py).
"""

from __future__ import annotations

import html
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable

from distributor.report.style import img_tag
from distributor.report.token import Token

CSS = """
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#222;background:#fafafa}
main{max-width:1100px;margin:auto;padding:12px 16px 48px}
h1{font-size:22px;margin:8px 0 2px;overflow-wrap:anywhere}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd}
h3{font-size:15px;margin:16px 0 6px}.sub{color:#555;margin:0 0 10px}
p,li{overflow-wrap:anywhere}.wrap{display:block;min-width:14em;overflow-wrap:anywhere}
.tbl{overflow-x:auto;max-width:100%;margin:6px 0 12px}
table{border-collapse:collapse;font-size:14px;background:#fff}
td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f3;font-weight:600}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
code,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px}
.root{word-break:break-all}
[data-copy]{cursor:copy;border-bottom:1px dotted #999}code.h{white-space:nowrap}
.kv td:first-child{color:#555;white-space:nowrap}.muted{color:#666}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));gap:8px;margin:8px 0 4px}
.card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:8px 10px;min-width:0}
.card>b{display:block;font-size:18px;font-variant-numeric:tabular-nums;overflow-wrap:anywhere}
.card>span{display:block;color:#555;font-size:13px}
.figs{display:flex;flex-wrap:wrap;gap:12px}
.fig{overflow-x:auto;max-width:100%;min-width:0}.fig img{max-width:none;background:#fff;border:1px solid #ddd;display:block}
#img-status{font-size:13px;color:#777}
"""

# Pages say whether their figures decoded: the headless-browser test reads it from the DOM,
# and a reader sees it too. A click on a shortened hash copies its full value.
STATUS_JS = """
window.addEventListener('load',function(){var im=document.images,ok=0;
for(var i=0;i<im.length;i++){if(im[i].complete&&im[i].naturalWidth>0)ok++;}
var s=document.getElementById('img-status');s.textContent='figures loaded: '+ok+'/'+im.length;
s.setAttribute('data-loaded',ok);s.setAttribute('data-total',im.length);});
document.addEventListener('click',function(e){var t=e.target.closest('[data-copy]');
if(t&&navigator.clipboard){navigator.clipboard.writeText(t.getAttribute('data-copy'));}});
"""


class Html(str):
    """Markup that `html_table` puts in a cell as is (everything else is escaped)."""


def esc(x: Any) -> str:
    return html.escape(str(x), quote=True)


def html_table(header: Iterable[str], rows: Iterable[Iterable[Any]],
               numeric: Iterable[int] = frozenset(), cls: str = "") -> str:
    """A table in its own scrolling box; `numeric` columns are right-aligned."""
    numeric = set(numeric)

    def cell(tag: str, i: int, c: Any) -> str:
        body = c if isinstance(c, Html) else esc("" if c is None else c)
        return f"<{tag}{' class=n' if i in numeric else ''}>{body}</{tag}>"

    head = "".join(cell("th", i, h) for i, h in enumerate(header))
    body = "".join("<tr>" + "".join(cell("td", i, c) for i, c in enumerate(r)) + "</tr>"
                   for r in rows)
    return (f"<div class=tbl><table class='{cls}'><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table></div>")


def amount(n: Any, token: Token) -> Html:
    """Token units for the eye, every digit and the base units on hover."""
    return Html(f"<span title='{esc(token.exact(n))}'>{esc(token.fmt(n))}</span>")


def short(value: Any, keep: int = 6) -> Html:
    """A long hash, address or pubkey as `0x951fed…7755`, full value on hover and on click."""
    s = str(value)
    if len(s) <= 2 * keep + 6:
        return Html(f"<code>{esc(s)}</code>")
    head = keep + (2 if s.startswith("0x") else 0)
    return Html(f"<code class=h title='{esc(s)}' data-copy='{esc(s)}'>{esc(s[:head])}…"
                f"{esc(s[-4:])}</code>")


def label(value: Any) -> Html:
    """A name that may hold an address (Mirror's `terra1…/long` pools): long words shortened,
    the whole name on hover."""
    from distributor.report.style import wrap_label

    s = str(value)
    shown = wrap_label(s, 10_000)
    return Html(esc(s) if shown == s else f"<span title='{esc(s)}'>{esc(shown)}</span>")


def full_hash(value: Any) -> Html:
    """A value people compare in full (the root): every character, wrapping, click to copy."""
    return Html(f"<code class=root title='click to copy' data-copy='{esc(value)}'>{esc(value)}"
                f"</code>")


def number(v: Any) -> Html | str:
    """A score component: integers with separators, long decimals to 8 significant digits
    and huge magnitudes in scientific notation, the exact value on hover."""
    if v is None or v == "":
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    try:
        d = Decimal(str(v))
    except InvalidOperation:
        return str(v)
    if not d.is_finite():
        return str(v)
    text = str(v)
    if d == d.to_integral_value() and abs(d) < Decimal(10) ** 12:
        shown = f"{int(d):,}"
    elif abs(d) >= Decimal(10) ** 12:
        shown = f"{d:.4e}"
    else:
        shown = f"{float(d):.8g}"
    return shown if shown == text else Html(f"<span title='{esc(text)}'>{esc(shown)}</span>")


def figure_or_sentence(uri: str | None, alt: str, sentence: str) -> str:
    """A figure at its design size, or the one sentence that says why there is none."""
    return img_tag(uri, alt) if uri else f"<p class='muted nofig'>{esc(sentence)}</p>"


def page(title: str, body: str) -> str:
    """The self-contained page: inline CSS, figures as data URIs, no network."""
    return (f"<!doctype html>\n<html lang=en><head><meta charset=utf-8>"
            f"<meta name=viewport content='width=device-width,initial-scale=1'>"
            f"<title>{esc(title)}</title><style>{CSS}</style></head><body><main>\n{body}\n"
            f"<p id=img-status>figures loaded: ?</p></main><script>{STATUS_JS}</script>"
            f"</body></html>\n")

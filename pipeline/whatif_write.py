"""The what-if output folder: comparison table, summary, plots and one self-contained page.

Amounts stay exact integers (decimal strings) in comparison.csv/.parquet and summary.json;
floats appear only in the figures and in the share columns.
"""

from __future__ import annotations

import base64
import csv
import io
from pathlib import Path
from typing import Any

import pyarrow as pa

from distributor.outputs import write_parquet
from distributor.report.markup import amount, esc, figure_or_sentence, html_table, page as shell, short
from epochdrop.fsio import atomic_write_bytes, atomic_write_json
from pipeline.whatif_extras import token


def comparison(opts: list) -> pa.Table:
    accounts = sorted({a for o in opts for a in o.amounts})
    cols: dict[str, pa.Array] = {"account": pa.array(accounts, pa.string())}
    for o in opts:
        total = sum(o.amounts.values())
        cols[f"amount[{o.label}]"] = pa.array([str(o.amounts.get(a, 0)) for a in accounts])
        cols[f"share[{o.label}]"] = pa.array(
            [float(f"{o.amounts.get(a, 0) / total:.12g}") if total else 0.0 for a in accounts])
    return pa.table(cols)


def write(folder: Path, program: str, epoch: str, opts: list,
          sections: list[dict[str, Any]]) -> dict[str, Any]:
    table = comparison(opts)
    write_parquet(table, folder / "comparison.parquet")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(table.column_names)
    for row in zip(*(c.to_pylist() for c in table.columns)):
        w.writerow([repr(x) if isinstance(x, float) else x for x in row])
    atomic_write_bytes(folder / "comparison.csv", buf.getvalue().encode())
    (folder / "plots").mkdir()
    plots_written = []
    for s in sections:
        for name, uri in s["images"]:
            png = base64.b64decode(uri.split(",", 1)[1])
            atomic_write_bytes(folder / "plots" / f"{s['key']}_{name}.png", png)
            plots_written.append(f"plots/{s['key']}_{name}.png")
    summary = {
        "format": "epochdrop-whatif-v1", "program": program, "epoch": epoch,
        "options": [{"label": o.label, "overrides": {k: str(v) for k, v in o.overrides.items()},
                     "totals": o.fields.get("totals"),
                     "accounts_paid": sum(1 for v in o.amounts.values() if v > 0),
                     "params": o.fields.get("params")} for o in opts],
        "sections": [s["title"] for s in sections],
        "plots": plots_written,
    }
    atomic_write_json(folder / "summary.json", summary)
    atomic_write_bytes(folder / "whatif.html", page(program, epoch, opts, sections).encode())
    return summary


def page(program: str, epoch: str, opts: list, sections: list[dict[str, Any]]) -> str:
    """whatif.html in the report's layout and style: amounts in token units (base units on
    hover), figures at their design size, an empty chart replaced by its sentence."""
    tok = token(program, opts)
    body = [f"<h1>What if — {esc(program)} epoch {esc(epoch)}</h1>",
            "<p>Each option is the config with the listed parameters replaced, scored and "
            "allocated exactly as <code>epochdrop run</code> would.</p>",
            html_table(["option", "paid", "budget", "accounts paid"],
                       [(o.label, amount(o.fields["totals"]["allocated"], tok),
                         amount(o.fields["totals"]["budget"], tok),
                         sum(1 for v in o.amounts.values() if v > 0)) for o in opts],
                       {1, 2, 3})]
    for s in sections:
        body.append(f"<h2>{esc(s['title'])}</h2>")
        if s.get("text"):
            body.append(f"<p>{esc(s['text'])}</p>")
        if s["images"]:
            body.append("<div class=figs>" + "".join(
                figure_or_sentence(u, f"{s['title']}: {n}", "") for n, u in s["images"])
                + "</div>")
        if s.get("empty"):
            body.append(figure_or_sentence(None, "", s["empty"]))
        if s.get("table"):
            header, rows = s["table"]
            body.append(html_table(header, rows, set(range(1, len(header)))))
    accounts = sorted({a for o in opts for a in o.amounts},
                      key=lambda a: (-max(o.amounts.get(a, 0) for o in opts), a))[:30]
    rows = [[short(a)] + [amount(o.amounts.get(a, 0), tok) for o in opts] for a in accounts]
    body.append(f"<h2>Top accounts, payout per option ({esc(tok.label)})</h2>")
    body.append(html_table(["account"] + [o.label for o in opts], rows,
                           set(range(1, len(opts) + 1))))
    return shell(f"whatif {program} {epoch}", "\n".join(body))

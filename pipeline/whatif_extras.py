"""What each governance thread asked to see, drawn from the what-if options.

- dHEDGE (Performance Mining V2 thread): DHT paid and DHT left unminted (cap excess, dust)
  under each vDHT denominator (12 / 9 / 6 were debated).
- Mirror (SIMP-3, mirror-contracts #96–#98): short- and long-farm yield against the pool
  premium from −20% to +20%, for each cap (0.4 / 0.8 / 1.0), using the contract's own
  weight function (`contract_math.short_reward_weight`, bit-exact) and this epoch's
  deposits and bonded stake per side. Below the oracle price the contract's premium is 0
  (querier.rs), so the left half of the curves is flat by design.
- Curve (CIP-20): per-pool payouts side by side under each utilization definition.
- dYdX: each maker's share under each formula version (the generic share chart).
Sections are plain data (title, text, images, table) that whatif_write renders.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from distributor.report import plots
from distributor.report.markup import amount
from distributor.report.token import Token, token_of


def token(program: str, opts: list) -> Token:
    """The reward token, from the first option's manifest fields (all options share it)."""
    return token_of(opts[0].fields if opts else {}, program)


def totals_section(program: str, opts: list) -> dict[str, Any]:
    """Paid vs not paid per option; for dHEDGE this is 'paid vs unminted DHT'. When every
    option pays its whole budget there is nothing to draw: one sentence says so."""
    tok = token(program, opts)
    names = [o.label for o in opts]
    paid_n = [int(o.fields["totals"]["allocated"]) for o in opts]
    left_n = [int(o.fields["totals"]["budget"]) - p for o, p in zip(opts, paid_n)]
    what = "unminted" if program == "dhedge" else "not distributed"
    rows = [(o.label, amount(p, tok), amount(u, tok), amount(o.fields["totals"]["unpaid"], tok),
             amount(o.fields["totals"]["dust"], tok),
             sum(1 for v in o.amounts.values() if v > 0))
            for o, p, u in zip(opts, paid_n, left_n)]
    # Rounding dust alone (under one token unit) is not worth a chart: say it in a sentence.
    visible = any(tok.to_float(u) >= 1 for u in left_n)
    img = plots.grouped_bars(names, {"paid": [tok.to_float(p) for p in paid_n],
                                     what: [tok.to_float(u) for u in left_n]},
                             f"{tok.label} paid and {what} per option", tok.label) \
        if visible else None
    return {"title": f"Paid and {what} per option", "key": "totals",
            "text": f"Budget minus paid is {what}: cap excess left unpaid, rounding dust and "
                    f"budget with no eligible score.",
            "images": [("totals", img)] if img else [],
            "empty": "" if img else f"Every option pays its whole budget (up to rounding dust "
                                    f"under one {tok.label}): there is nothing {what} to draw.",
            "table": (["option", "paid", what, "of which unpaid", "of which dust",
                       "accounts paid"], rows)}


def per_account_section(program: str, opts: list, top: int = 15) -> dict[str, Any]:
    tok = token(program, opts)
    accounts = sorted({a for o in opts for a in o.amounts},
                      key=lambda a: (-max(o.amounts.get(a, 0) for o in opts), a))[:top]
    shares = {}
    for o in opts:
        total = sum(o.amounts.values()) or 1
        shares[o.label] = [100 * o.amounts.get(a, 0) / total for a in accounts]
    who = "pool" if program == "curve" else "account"
    img = plots.grouped_bars(accounts, shares, f"share of payouts per {who} (top {len(accounts)})",
                             "share (%)")
    images = [("shares", img)] if img else []
    if program == "curve":
        pays = {o.label: [tok.to_float(o.amounts.get(a, 0)) for a in accounts] for o in opts}
        per_pool = plots.grouped_bars(accounts, pays,
                                      f"per-pool payouts ({tok.label}) under each option", tok.label)
        if per_pool:
            images.insert(0, ("per_pool", per_pool))
    title = {"curve": "Per-pool payouts under each utilization definition",
             "dydx": "Maker shares under each formula version"}.get(program,
                                                                     "Who gets what")
    return {"title": title, "key": "accounts", "text": "", "images": images,
            "empty": "" if images else "No option pays anybody: nothing to compare."}


def mirror_section(opts: list) -> dict[str, Any] | None:
    """Yield vs premium per cap, from the contract's weight and this epoch's data."""
    from distributor.programs.mirror.contract_math import ONE, short_reward_weight
    from distributor.programs.mirror.program import DIVISORS

    o = opts[0]
    sc = o.scores
    if sc is None or sc.num_rows == 0:
        return None
    rows = sc.to_pylist()
    stake = {"long": 0, "short": 0}
    for r in rows:
        stake[r["side"]] = stake.get(r["side"], 0) + int(r.get("bond_end") or 0)
    deposits = sum(int(v.get("deposited", 0)) for v in
                   (o.fields.get("facts", {}).get("pools") or {}).values())
    caps = [Decimal("0.4"), Decimal("0.8"), Decimal("1")]
    prem = [p / 100 for p in range(-20, 21)]
    series, styles, table = {}, {}, []
    for cap in caps:
        c, d = int(cap.scaleb(18)), int(DIVISORS[cap].scaleb(18))
        w = [short_reward_weight(max(0, int(Decimal(p).scaleb(18))), c, d) / ONE
             for p in [Decimal(x) / 100 for x in range(-20, 21)]]
        ys = [wi * deposits / stake["short"] if stake["short"] else 0.0 for wi in w]
        yl = [(1 - wi) * deposits / stake["long"] if stake["long"] else 0.0 for wi in w]
        series[f"short, cap {cap}"], styles[f"short, cap {cap}"] = ys, "-"
        series[f"long, cap {cap}"], styles[f"long, cap {cap}"] = yl, "--"
        for x in (-20, -10, 0, 2, 5, 7, 10, 20):
            i = x + 20
            table.append((f"{cap}", f"{x}%", f"{w[i]:.6f}", f"{ys[i]:.6g}", f"{yl[i]:.6g}"))
    img = plots.lines([100 * p for p in prem], series,
                      "Mirror farm yield against premium, per cap",
                      "premium (%)", "uMIR per staked unit per window", styles)
    tok = token("mirror", opts)
    return {"title": "Mirror short- and long-farm yield vs premium (−20%…+20%), caps 40/80/100%",
            "key": "mirror_yield",
            "text": f"Deposits in the window: {tok.fmt(deposits)}; bonded at the end: long "
                    f"{stake['long']:,}, short {stake['short']:,} (LP token base units). Weight "
                    f"from the contract's own arithmetic; premium below the oracle counts as 0.",
            "images": [("mirror_yield", img)] if img else [],
            "empty": "" if img else "No deposits or no stake in this window: every yield is 0.",
            "table": (["cap", "premium", "short weight", "short yield", "long yield"], table)}


def extras(program: str, opts: list) -> list[dict[str, Any]]:
    sections = [totals_section(program, opts), per_account_section(program, opts)]
    if program == "mirror":
        m = mirror_section(opts)
        if m is not None:
            sections.insert(0, m)
    if program == "dhedge":
        sections[0]["title"] = "dHEDGE: DHT paid and unminted per option (denominators 12 / 9 / 6)"
    return sections

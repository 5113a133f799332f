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
from distributor.programs import load_program
from distributor.report.html import units


def _decimals(o) -> int:
    return int(o.fields.get("params", {}).get("decimals", 0) or 0)


def totals_section(program: str, opts: list) -> dict[str, Any]:
    """Paid vs not paid per option; for dHEDGE this is 'paid vs unminted DHT'."""
    token = load_program(program).token or "units"
    names = [o.label for o in opts]
    paid = [float(units(int(o.fields["totals"]["allocated"]), _decimals(o))) for o in opts]
    budget = [float(units(int(o.fields["totals"]["budget"]), _decimals(o))) for o in opts]
    left = [b - p for b, p in zip(budget, paid)]
    what = "unminted" if program == "dhedge" else "not distributed"
    img = plots.grouped_bars(names, {f"paid ({token})": paid, f"{what} ({token})": left},
                             f"{token} paid and {what} per option", token)
    rows = [(o.label, f"{p:,.6f}", f"{u:,.6f}", o.fields["totals"]["unpaid"],
             o.fields["totals"]["dust"], sum(1 for v in o.amounts.values() if v > 0))
            for o, p, u in zip(opts, paid, left)]
    return {"title": f"Paid and {what} per option", "key": "totals",
            "text": f"Budget minus paid is {what}: cap excess left unpaid, rounding dust and "
                    f"budget with no eligible score.",
            "images": [("totals", img)],
            "table": (["option", f"paid ({token})", f"{what} ({token})", "unpaid (base units)",
                       "dust (base units)", "accounts paid"], rows)}


def per_account_section(program: str, opts: list, top: int = 15) -> dict[str, Any]:
    token = load_program(program).token or "units"
    accounts = sorted({a for o in opts for a in o.amounts},
                      key=lambda a: (-max(o.amounts.get(a, 0) for o in opts), a))[:top]
    shares = {}
    for o in opts:
        total = sum(o.amounts.values()) or 1
        shares[o.label] = [100 * o.amounts.get(a, 0) / total for a in accounts]
    who = "pool" if program == "curve" else "account"
    img = plots.grouped_bars(accounts, shares, f"share of payouts per {who} (top {len(accounts)})",
                             "share (%)")
    images = [("shares", img)]
    if program == "curve":
        pays = {o.label: [float(units(o.amounts.get(a, 0), _decimals(o))) for a in accounts]
                for o in opts}
        images.insert(0, ("per_pool", plots.grouped_bars(
            accounts, pays, f"per-pool payouts ({token}) under each option", token)))
    title = {"curve": "Per-pool payouts under each utilization definition",
             "dydx": "Maker shares under each formula version"}.get(program,
                                                                     "Who gets what")
    return {"title": title, "key": "accounts", "text": "", "images": images}


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
    return {"title": "Mirror short- and long-farm yield vs premium (−20%…+20%), caps 40/80/100%",
            "key": "mirror_yield",
            "text": f"Deposits in the window: {deposits} uMIR; bonded at the end: long "
                    f"{stake['long']}, short {stake['short']} (base units). Weight from the "
                    f"contract's own arithmetic; premium below the oracle counts as 0.",
            "images": [("mirror_yield", img)],
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

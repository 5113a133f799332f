"""dYdX v3 liquidity provider rewards (programs.md §1; README.md here for every decision).

Per market pool: LP reward = Pool_m · Q_FINAL / Σ Q_FINAL over eligible LPs. BTC-USD and
ETH-USD get `btc_eth_share` of the emission each; every other market shares the rest in
proportion to the samples in which it was live (governance-documentation
rewards/liquidity-provider-rewards.md). Eligibility uses the previous epoch's maker volume.
"""

from __future__ import annotations

from fractions import Fraction

import pyarrow as pa

from distributor.allocation import allocate
from distributor.programs.dydx import formula as F
from distributor.programs.dydx.params import DydxParams
from distributor.programs.dydx.sampling import aggregates
from distributor.programs.exact import dec_str
from distributor.programs.dydx.schedule import SAMPLES, schedule, window
from distributor.programs.params import base_units
from distributor.programs.spec import Pool, ProgramSpec, Rule, ScoreResult
from epochdrop.errors import InputError
from epochdrop.units import format_amount

UNASSIGNED = "(unassigned)"



def _volumes(con, epoch: int) -> tuple[dict[tuple[str, str], Fraction], bool]:
    rows = con.execute("SELECT market, maker, sum(volume_usd) FROM dydx_maker_volume "
                       "WHERE epoch = ? GROUP BY market, maker", [epoch]).fetchall()
    for m, k, v in rows:
        if v < 0:
            raise InputError(f"epoch {epoch}, market {m}, maker {k}: negative volume_usd",
                             file="dydx_maker_volume", field="volume_usd")
    return {(m, k): Fraction(v) for m, k, v in rows}, bool(rows)


def _stk(con) -> dict[str, Fraction]:
    """maker → stkDYDX share; one row per maker, shares within 0..1."""
    out: dict[str, Fraction] = {}
    for k, v in con.execute("SELECT maker, stk_share FROM dydx_stk ORDER BY maker").fetchall():
        if k in out or v is None or not 0 <= v <= 1:
            raise InputError(f"maker {k}: one row per maker with 0 <= stk_share <= 1",
                             file="dydx_stk", field="stk_share")
        out[k] = Fraction(v)
    return out


def eligibility(con, p: DydxParams, n: int, makers: set[str]) -> tuple[dict, dict, str]:
    """maker → eligible, maker → previous-epoch volume; D15: epoch 0 everyone eligible."""
    if n == 0 or p.eligibility_threshold == 0:
        return {k: True for k in makers}, {}, "no eligibility threshold this epoch"
    prev, found = _volumes(con, n - 1)
    if not found:
        raise InputError(f"no maker volume for epoch {n - 1}: eligibility in epoch {n} needs "
                         "the previous epoch's dydx_maker_volume rows", file="dydx_maker_volume")
    per_maker: dict[str, Fraction] = {}
    for (_, k), v in sorted(prev.items()):
        per_maker[k] = per_maker.get(k, Fraction(0)) + v
    need = Fraction(p.eligibility_threshold) * sum(per_maker.values(), Fraction(0))
    elig = {k: per_maker.get(k, Fraction(0)) >= need for k in makers}
    out = sorted(k for k, ok in elig.items() if not ok)
    return elig, per_maker, (f"{len(out)} of {len(makers)} LPs below "
                             f"{p.eligibility_threshold} of epoch {n - 1} maker volume")


def market_budgets(p: DydxParams, markets: set[str], live: dict[str, int]) -> dict[str, int]:
    """BTC/ETH: emission × share each; the rest split over live other markets by samples."""
    total = base_units(p.emission, p.decimals, "emission")
    budgets = {m: int(Fraction(total) * Fraction(p.btc_eth_share)) for m in p.btc_eth_markets}
    rest = total - sum(budgets.values())
    others = {m: live.get(m, 0) for m in sorted(markets - set(p.btc_eth_markets))
              if live.get(m, 0) > 0}
    split = allocate(rest, others, Rule(rounding=p.rounding))
    budgets.update({m: split.amounts.get(m, 0) for m in others})
    left = rest - split.allocated
    if left:
        budgets[UNASSIGNED] = left
    return budgets


def _dec(v: Fraction | None) -> str | None:
    """An exact decimal (a sum of DECIMAL(38,18) values) back to text, without rounding."""
    return None if v is None else dec_str(v)


def excluded(con, p: DydxParams) -> set[str]:
    """Restricted accounts (the docs exclude e.g. US accounts): the config's
    `excluded_accounts` and the rows of dydx_excluded."""
    rows = {r[0] for r in con.execute("SELECT maker FROM dydx_excluded").fetchall()}
    return set(p.excluded_accounts) | rows


def score(con, p: DydxParams, epoch) -> ScoreResult:
    n = epoch.index
    aggs, live, path, valid = aggregates(con, p, epoch)
    makers = {k for _, k in aggs}
    elig, prev, elig_note = eligibility(con, p, n, makers)
    out = excluded(con, p)
    volume, have_volume = _volumes(con, n)
    if path == "orders" and F.uses_volume(p.formula) and aggs and not have_volume:
        raise InputError(f"formula {p.formula} needs this epoch's maker volume: "
                         f"dydx_maker_volume has no rows for epoch {n}", file="dydx_maker_volume")
    stk = _stk(con)
    if F.uses_stk(p.formula) and aggs and not stk and \
            any(a.stk_share is None for a in aggs.values()):
        raise InputError(f"formula {p.formula} needs stkDYDX shares: dydx_stk is empty",
                         file="dydx_stk")
    cols: dict[str, list] = {c: [] for c in (
        "pool", "account", "score", "eligible", "q_bid", "q_ask", "q_epoch", "uptime_samples",
        "uptime", "maker_volume_usd", "stk_share", "prev_epoch_maker_volume_usd", "btc_eth",
        "excluded")}
    for (m, k), a in sorted(aggs.items()):
        be = m in p.btc_eth_markets
        mv = a.maker_volume if a.maker_volume is not None else volume.get((m, k), Fraction(0))
        sk = a.stk_share if a.stk_share is not None else stk.get(k, Fraction(0))
        q = F.q_final(p.formula, be, a.q_epoch, a.uptime_samples, sk, mv)
        uptime = a.uptime_samples / valid if valid else 0.0   # display only
        for c, v in (("pool", m), ("account", k), ("score", dec_str(q)),
                     ("eligible", elig[k] and k not in out),
                     ("q_bid", _dec(a.q_bid)), ("q_ask", _dec(a.q_ask)),
                     ("q_epoch", _dec(a.q_epoch)), ("uptime_samples", a.uptime_samples),
                     ("uptime", uptime), ("maker_volume_usd", _dec(mv)),
                     ("stk_share", _dec(sk) if F.uses_stk(p.formula) else None),
                     ("prev_epoch_maker_volume_usd", _dec(prev.get(k)) if prev else None),
                     ("btc_eth", be), ("excluded", k in out)):
            cols[c].append(v)
    types = {"uptime": pa.float64(), "uptime_samples": pa.int64(), "eligible": pa.bool_(),
             "btc_eth": pa.bool_(), "excluded": pa.bool_()}
    table = pa.table({c: pa.array(v, types.get(c, pa.string())) for c, v in cols.items()})
    markets = {m for m, _ in aggs} | set(live)
    budgets = market_budgets(p, markets, live)
    rule = Rule(rounding=p.rounding)
    pools = [Pool(m, b, rule, reserve=m == UNASSIGNED) for m, b in sorted(budgets.items())]
    notes = [f"formula {p.formula}; score = Q_FINAL · 40,320^5 (uptime as a sample count), "
             "real powers floored to 18 decimals", elig_note]
    gone = sorted(out & makers)
    if gone:
        notes.append(f"excluded accounts (get nothing, their share goes to the others): "
                     f"{', '.join(gone)}")
    if valid != SAMPLES and path == "orders":
        notes.append(f"{SAMPLES - valid} samples fall in protocol outages: they count for "
                     "nobody, not even as samples")
    if UNASSIGNED in budgets:
        notes.append(f"{format_amount(budgets[UNASSIGNED], p.decimals, 'DYDX')} of the emission went to no market "
                     "(no live market outside BTC/ETH, or rounding dust of the market split)")
    extra = {"sampling": path, "samples": SAMPLES, "samples_outside_outages": valid,
             "sample_offset": p.sample_offset,
             "live_samples": dict(sorted(live.items())),
             "market_budgets": {m: str(b) for m, b in sorted(budgets.items())}}
    return ScoreResult(table=table, pools=pools, notes=notes, extra=extra)


PROGRAM = ProgramSpec(
    name="dydx", token="DYDX", params=DydxParams,
    epoch=lambda label, params: window(label), score=score, schedule=schedule,
    description="dYdX v3 liquidity provider rewards (28-day epochs, per-market pools)",
)

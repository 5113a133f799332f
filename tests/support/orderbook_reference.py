"""Slow, obviously-correct reference for the two order-book programs (tests only).

Per sample instant, per market, per order: rebuild the book by scanning every order, take
the mid, score every order — no intervals, no SQL. The product's documented quantisation
(each order's term rounded half away from zero to 1e-6 for dYdX, 1e-9 for Jet, then summed
exactly; D21) is reproduced so that payouts can be compared exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, Decimal, localcontext
from fractions import Fraction

MINUTE_US = 60_000_000


@dataclass(frozen=True)
class Order:
    market: str
    account: str
    side: str          # BUY/SELL (dYdX) or lend/borrow (Jet)
    price: float       # dYdX price, Jet annual rate
    size: float
    valid_from: int    # µs
    valid_to: int | None


def quantise(x: float, scale: float) -> int:
    """round(x · scale) half away from zero, as DuckDB's round() does."""
    y = x * scale
    whole = math.trunc(y)
    return int(whole) + (int(math.copysign(1, y)) if abs(y - whole) >= 0.5 else 0)


def instants(start_us: int, offsets_us: list[int]) -> list[int]:
    return [start_us + m * MINUTE_US + off for m, off in enumerate(offsets_us)]


def live_at(o: Order, t: int) -> bool:
    return o.valid_from <= t and (o.valid_to is None or t < o.valid_to)


def dydx(orders: list[Order], start_us: int, offsets_us: list[int],
         min_depth: dict[str, float], max_spread: dict[str, float]):
    """→ ({(market, maker): [q_bid_u, q_ask_u, q_epoch_u, uptime]}, {market: live})."""
    out: dict[tuple[str, str], list[int]] = {}
    live: dict[str, int] = {}
    markets = sorted({o.market for o in orders})
    for t in instants(start_us, offsets_us):
        for market in markets:
            book = [o for o in orders if o.market == market and live_at(o, t)
                    and Fraction(o.size) * Fraction(o.price) > Fraction(str(min_depth[market]))]
            bids = [Fraction(o.price) for o in book if o.side == "BUY"]
            asks = [Fraction(o.price) for o in book if o.side == "SELL"]
            if not bids or not asks or max(bids) >= min(asks):
                continue
            mid = (max(bids) + min(asks)) / 2
            live[market] = live.get(market, 0) + 1
            q: dict[str, list[int]] = {}
            for o in book:
                spread = abs(Fraction(o.price) - mid) / mid
                if spread < Fraction(str(max_spread[market])):
                    side = 0 if o.side == "BUY" else 1
                    # exact: each term floored to 10^-6 USD (issue 15)
                    q.setdefault(o.account, [0, 0])[side] += math.floor(
                        Fraction(o.size) * Fraction(o.price) / spread * 10**6)
            for maker, (qb, qa) in q.items():
                acc = out.setdefault((market, maker), [0, 0, 0, 0])
                acc[0] += qb
                acc[1] += qa
                acc[2] += min(qb, qa)
                acc[3] += 1 if min(qb, qa) > 0 else 0
    return out, live


def _pow(x: Fraction, e: str) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 90
        return (Decimal(x.numerator) / Decimal(x.denominator)) ** Decimal(e)


def dydx_q_final(version: str, btc_eth: bool, q: Fraction, uptime_samples: int,
                 stk: Fraction, mv: Fraction) -> Fraction:
    """The formula table of programs.md §1, written out per version: uptime as a sample count
    (the constant 40,320^-5 divides out of shares), the real powers by Decimal at 90 digits,
    their product floored to 18 decimals (an exact result such as 0.25^0.5 is kept exact)."""
    table = {
        "launch": [(q, "1")], "stk": [(q, "1"), (stk, "0.5")],
        "dip11": [(q, "0.35"), (stk, "0.2"), (mv, "0.45")],
        "dip15": [(q, "0.15"), (stk, "0.05"), (mv, "0.8")] if btc_eth else
                 [(q, "0.35"), (stk, "0.05"), (mv, "0.6")],
        "dip19": [(q, "0.15"), (mv, "0.85")] if btc_eth else [(q, "0.35"), (mv, "0.65")],
    }[version]
    if any(x == 0 for x, _ in table):
        return Fraction(0)
    with localcontext() as ctx:
        ctx.prec = 90
        v = Decimal(1)
        for x, e in table:
            v *= _pow(x, e)
        scaled = v.scaleb(18)
        n = scaled.to_integral_value(rounding=ROUND_HALF_EVEN)
        floor = int(n) if abs(scaled - n) < Decimal("1e-40") else \
            int(scaled.to_integral_value(rounding=ROUND_FLOOR))
    return uptime_samples ** 5 * Fraction(floor, 10**18)


def _exp_table(args: list[Decimal]) -> list[int]:
    """exp(−v) rounded half-even to 9 decimals, at 40 digits (the documented tables)."""
    with localcontext() as ctx:
        ctx.prec = 40
        return [int((-v).exp().scaleb(9).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
                for v in args]


_JET_TABLES: list = []


def jet_exp9(x: Fraction) -> int:
    """exp(−x) · 10^9 by the documented method, written out on its own: x floored to 10^-9;
    exp(−integer part) (0 from 22 on) and exp(−next three decimals) from tables, the rest
    r < 10^-3 by 1 − r + r²/2 − r³/6, in 9-decimal fixed point with a floor after each step."""
    if not _JET_TABLES:
        _JET_TABLES.extend([_exp_table([Decimal(i) for i in range(22)]) + [0],
                            _exp_table([Decimal(g) / 1000 for g in range(1000)])])
    t0, t1 = _JET_TABLES
    x9 = math.floor(x * 10**9)
    r = x9 % 10**6
    series = 10**9 - r + math.floor(Fraction(r * r, 2 * 10**9)) \
        - math.floor(Fraction(r**3, 6 * 10**18))
    e = t0[min(x9 // 10**9, 22)] * t1[x9 // 10**6 % 1000] // 10**9
    return e * series // 10**9


def jet_bias(tenor_seconds: int) -> Fraction:
    """1 + sqrt(tenor_days)/30 floored to 18 decimals, via Decimal at 60 digits."""
    with localcontext() as ctx:
        ctx.prec = 60
        v = (1 + (Decimal(tenor_seconds) / 86_400).sqrt() / 30).scaleb(18)
    return Fraction(int(v.to_integral_value(rounding=ROUND_FLOOR)), 10**18)


def decimals(values) -> int:
    """The most decimals any of `values` uses (the scale the SQL reads a column at)."""
    out = 0
    for v in values:
        d = Decimal(str(v)).normalize()
        out = max(out, -d.as_tuple().exponent if d.as_tuple().exponent < 0 else 0)
    return out


def jet(orders: list[Order], start_us: int, offsets_us: list[int],
        tenor_seconds: dict[str, int]):
    """→ ({(side, owner): q_score}, {(market, owner, side): (q_u, samples)}, live), exact:
    rates and sizes as Fractions, term = size · exp9(x) / 10^9 per order and sample."""
    sums: dict[tuple[str, str, str], list[int]] = {}
    live: dict[str, int] = {}
    markets = sorted({o.market for o in orders})
    for t in instants(start_us, offsets_us):
        for market in markets:
            book = [o for o in orders if o.market == market and live_at(o, t) and o.size > 0]
            lends = [Fraction(o.price) for o in book if o.side == "lend"]
            borrows = [Fraction(o.price) for o in book if o.side == "borrow"]
            if lends and borrows:
                mid = (min(lends) + max(borrows)) / 2
            elif lends:
                mid = min(lends) / 2
            elif borrows:
                mid = max(borrows) * 2
            else:
                continue
            if not mid > 0:
                continue
            live[market] = live.get(market, 0) + 1
            for o in book:
                acc = sums.setdefault((market, o.account, o.side), [0, 0])
                e9 = jet_exp9(abs(Fraction(o.price) - mid) / mid)
                acc[0] += Fraction(o.size) * e9 / 10**9
                acc[1] += 1  # (order, sample) pairs scored
    scores: dict[tuple[str, str], Fraction] = {}
    for (market, owner, side), (q_u, _) in sums.items():
        q = q_u * jet_bias(tenor_seconds[market])
        scores[(side, owner)] = scores.get((side, owner), Fraction(0)) + q
    return scores, sums, live

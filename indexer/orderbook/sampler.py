"""Per-minute order-book snapshots of named makers from a public feed (`orderbook_samples`).

Public books do not name makers, so the feed speaks our own documented message schema
(DECISIONS D13): JSON lines {time, market, maker, order_id, side, price, size}, each the
current state of one order; size 0 removes it. Times are ISO 8601 UTC (or unix seconds) and
must not go backwards. Transports: HTTP polling — GET <feed>?offset=K returns the lines from the
K-th on (possibly none); a response header `X-Feed-End: 1` says the feed is finished — or a
websocket (ws:// or wss://) whose text messages carry one or more lines; a normal close ends
the feed.

Snapshots are taken in *feed time*, not wall-clock time, so a replayed feed gives the same
rows: when a message at or after the next minute boundary M arrives, the book as it stood
just before M is recorded for every boundary passed, then the message is applied.
"""

from __future__ import annotations

import time as _time
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Iterable, Iterator

import httpx
import orjson

from epochdrop.errors import InputError
from indexer.retry import TransientError, classify_http_status, with_retries

FIELDS = ("time", "market", "maker", "order_id", "side", "price", "size")
SIDES = ("BUY", "SELL", "lend", "borrow")


def parse_message(line: bytes | str, where: str, n: int) -> dict:
    try:
        m = orjson.loads(line)
    except orjson.JSONDecodeError:
        raise InputError("not a JSON object", file=where, row=n) from None
    if not isinstance(m, dict):
        raise InputError("not a JSON object", file=where, row=n)
    for f in FIELDS:
        if m.get(f) in (None, ""):
            raise InputError("missing", file=where, row=n, field=f)
    t = m["time"]
    try:
        t = (datetime.fromtimestamp(t, timezone.utc) if isinstance(t, int)
             else datetime.fromisoformat(str(t).replace("Z", "+00:00")))
    except (ValueError, OverflowError):
        raise InputError(f"not a time: {m['time']!r}", file=where, row=n, field="time") from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    out = {"time": t.astimezone(timezone.utc), "market": str(m["market"]),
           "maker": str(m["maker"]), "order_id": str(m["order_id"]), "side": m["side"]}
    if out["side"] not in SIDES:
        raise InputError(f"side must be one of {', '.join(SIDES)}", file=where, row=n, field="side")
    for f in ("price", "size"):
        v = m[f]
        if isinstance(v, float) or not isinstance(v, (str, int)):
            raise InputError("must be an exact decimal (a string), not a float", file=where,
                             row=n, field=f)
        try:
            d = Decimal(str(v))
        except InvalidOperation:
            raise InputError(f"not a decimal: {v!r}", file=where, row=n, field=f) from None
        if not d.is_finite() or d < 0 or "e" in str(v).lower():
            raise InputError(f"not a non-negative exact decimal: {v!r}", file=where, row=n, field=f)
        out[f] = d
    return out


def poll_feed(url: str, *, interval: float = 0.2, timeout: float = 5.0,
              max_idle_polls: int | None = None) -> Iterator[bytes]:
    """Yield the feed's lines, polling `url?offset=K` until it says `X-Feed-End: 1`."""
    offset, idle = 0, 0
    with httpx.Client(timeout=timeout) as client:
        while True:
            def once():
                try:
                    r = client.get(url, params={"offset": offset})
                except (httpx.TimeoutException, httpx.TransportError) as exc:
                    raise TransientError(str(exc)) from None
                err = classify_http_status(r.status_code, r.content, r.headers.get("retry-after"))
                if err is not None:
                    raise err
                return r
            r = with_retries(once, what=f"feed {url}")
            lines = [ln for ln in r.content.split(b"\n") if ln.strip()]
            if not r.content.endswith(b"\n") and lines:
                lines = lines[:-1]                 # a line still being written: next poll
            for ln in lines:
                yield ln
            offset += len(lines)
            if r.headers.get("x-feed-end") == "1" and not lines:
                return
            idle = 0 if lines else idle + 1
            if max_idle_polls is not None and idle >= max_idle_polls:
                return
            if not lines:
                _time.sleep(interval)


def ws_feed(url: str, *, timeout: float = 5.0) -> Iterator[str]:
    """Yield the lines of a websocket feed until the server closes it normally."""
    from websockets.exceptions import ConnectionClosedError, WebSocketException
    from websockets.sync.client import connect

    from epochdrop.errors import FailureError

    try:
        with connect(url, open_timeout=timeout) as ws:
            for msg in ws:
                text = msg.decode() if isinstance(msg, bytes) else msg
                for ln in text.splitlines():
                    if ln.strip():
                        yield ln
    except ConnectionClosedError as exc:
        raise FailureError(f"feed {url} closed abnormally: {exc}") from None
    except (OSError, WebSocketException) as exc:
        raise FailureError(f"feed {url}: {exc}") from None


def feed_lines(url: str, *, interval: float = 0.2) -> Iterator[bytes | str]:
    """Lines of a feed by its URL scheme: ws(s):// websocket, otherwise HTTP polling."""
    if url.startswith(("ws://", "wss://")):
        return ws_feed(url)
    return poll_feed(url, interval=interval)


def sample(messages: Iterable[dict], makers: set[str] | None = None,
           max_minutes: int | None = None, stats: dict | None = None) -> list[dict]:
    """Rows of orderbook_samples: (minute, market, maker, order_id, side, price, size).

    `stats`, when given, receives the number of minute snapshots taken ("minutes")."""
    stats = stats if stats is not None else {}
    book: dict[tuple[str, str], dict] = {}
    rows: list[dict] = []
    nxt = None
    last = None
    taken = 0
    for m in messages:
        if last is not None and m["time"] < last:
            raise InputError(f"time goes backwards: {m['time'].isoformat()} after "
                             f"{last.isoformat()}", field="time")
        last = m["time"]
        if nxt is None:
            nxt = m["time"].replace(second=0, microsecond=0) + timedelta(minutes=1)
        while m["time"] >= nxt:
            for (mk, oid), o in sorted(book.items()):
                rows.append({"minute": nxt, "market": mk, "maker": o["maker"], "order_id": oid,
                             "side": o["side"], "price": o["price"], "size": o["size"]})
            nxt += timedelta(minutes=1)
            taken += 1
            stats["minutes"] = taken
            if max_minutes is not None and taken >= max_minutes:
                return rows
        if makers is not None and m["maker"] not in makers:
            continue
        key = (m["market"], m["order_id"])
        if m["size"] == 0:
            book.pop(key, None)
        else:
            book[key] = {"maker": m["maker"], "side": m["side"], "price": m["price"],
                         "size": m["size"]}
    return rows

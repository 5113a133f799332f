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

import itertools
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
              max_idle_polls: int | None = None, start: int = 0) -> Iterator[bytes]:
    """Yield the feed's lines from the `start`-th on, polling `url?offset=K` until it says
    `X-Feed-End: 1`."""
    offset, idle = start, 0
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


def feed_lines(url: str, *, interval: float = 0.2, start: int = 0) -> Iterator[bytes | str]:
    """Lines of a feed from the `start`-th on, by its URL scheme: ws(s):// websocket (which
    replays from its first line on connect, so the first `start` lines are skipped here),
    otherwise HTTP polling (asked for `offset=start` directly)."""
    if url.startswith(("ws://", "wss://")):
        return itertools.islice(ws_feed(url), start, None)
    return poll_feed(url, interval=interval, start=start)


class BookSampler:
    """The book of the named makers and the minute snapshots taken from it, one message at a
    time, with a JSON-able state so a recording can resume where a checkpoint left it
    (issue 20: chunked writes, resume after SIGKILL without a gap or a duplicate row)."""

    def __init__(self, makers: set[str] | None = None, max_minutes: int | None = None,
                 state: dict | None = None):
        self.makers, self.max_minutes = makers, max_minutes
        self.book: dict[tuple[str, str], dict] = {}
        self.nxt: datetime | None = None
        self.last: datetime | None = None
        self.taken = 0
        self.done = False
        if state:
            self.nxt = _dt(state["nxt"])
            self.last = _dt(state["last"])
            self.taken, self.done = state["taken"], state["done"]
            self.book = {(o["market"], o["order_id"]): {
                "maker": o["maker"], "side": o["side"], "price": Decimal(o["price"]),
                "size": Decimal(o["size"])} for o in state["book"]}

    def state(self) -> dict:
        return {"nxt": _iso(self.nxt), "last": _iso(self.last), "taken": self.taken,
                "done": self.done,
                "book": [{"market": mk, "order_id": oid, "maker": o["maker"], "side": o["side"],
                          "price": str(o["price"]), "size": str(o["size"])}
                         for (mk, oid), o in sorted(self.book.items())]}

    def push(self, m: dict) -> list[dict]:
        """Apply one message; return the rows of every minute boundary it passed."""
        rows: list[dict] = []
        if self.done:
            return rows
        if self.last is not None and m["time"] < self.last:
            raise InputError(f"time goes backwards: {m['time'].isoformat()} after "
                             f"{self.last.isoformat()}", field="time")
        self.last = m["time"]
        if self.nxt is None:
            self.nxt = m["time"].replace(second=0, microsecond=0) + timedelta(minutes=1)
        while m["time"] >= self.nxt:
            for (mk, oid), o in sorted(self.book.items()):
                rows.append({"minute": self.nxt, "market": mk, "maker": o["maker"],
                             "order_id": oid, "side": o["side"], "price": o["price"],
                             "size": o["size"]})
            self.nxt += timedelta(minutes=1)
            self.taken += 1
            if self.max_minutes is not None and self.taken >= self.max_minutes:
                self.done = True
                return rows
        if self.makers is not None and m["maker"] not in self.makers:
            return rows
        key = (m["market"], m["order_id"])
        if m["size"] == 0:
            self.book.pop(key, None)
        else:
            self.book[key] = {"maker": m["maker"], "side": m["side"], "price": m["price"],
                              "size": m["size"]}
        return rows


def _iso(t: datetime | None) -> str | None:
    return None if t is None else t.isoformat()


def _dt(s: str | None) -> datetime | None:
    return None if s is None else datetime.fromisoformat(s)


def sample(messages: Iterable[dict], makers: set[str] | None = None,
           max_minutes: int | None = None, stats: dict | None = None) -> list[dict]:
    """Rows of orderbook_samples: (minute, market, maker, order_id, side, price, size).

    `stats`, when given, receives the number of minute snapshots taken ("minutes")."""
    stats = stats if stats is not None else {}
    s = BookSampler(makers, max_minutes)
    rows: list[dict] = []
    for m in messages:
        rows += s.push(m)
        if s.taken:
            stats["minutes"] = s.taken
        if s.done:
            break
    return rows

"""`epochdrop sample orderbook` against a local feed server the test starts (issue 5).

The feed replays generated dYdX order events as D13 messages (each the order's current state,
size 0 = gone), revealing them a batch per poll like a live feed. The recorded per-minute
snapshots must equal the book computed another way: order lifetimes (indexer.orderbook)
sampled at each minute boundary in DuckDB.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import duckdb
import pyarrow.compute as pc
import pytest

from pipeline.cli import main
from indexer.generate import generate_dydx_order_events
from indexer.orderbook import rebuild_lifetimes
from indexer.store import Store


def feed_server(lines: list[bytes], per_poll: int, delay: float = 0.0):
    """A loopback feed that reveals `per_poll` more lines on each GET, answering after `delay`
    seconds (a live feed's pace: a crash test needs the recording to outlast its kills)."""
    state = {"revealed": 0}

    class H(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            time.sleep(delay)
            off = int(parse_qs(urlparse(self.path).query).get("offset", ["0"])[0])
            state["revealed"] = min(len(lines), state["revealed"] + per_poll)
            body = b"".join(ln + b"\n" for ln in lines[off:state["revealed"]])
            self.send_response(200)
            self.send_header("content-length", str(len(body)))
            if state["revealed"] == len(lines):
                self.send_header("X-Feed-End", "1")
            self.end_headers()
            self.wfile.write(body)

    srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


@pytest.fixture(scope="module")
def events():
    ev = generate_dydx_order_events(seed=4, scale=1.0)
    t0 = ev.column("block_time")[0].as_py()
    return ev.filter(pc.less(ev.column("block_time"), t0 + timedelta(hours=5)))


def messages(ev) -> list[bytes]:
    size: dict = {}
    out = []
    for r in ev.to_pylist():
        key = (r["market"], r["order_id"])
        if r["event"] == "placed":
            size[key] = [r["size"], r["side"], r["price"]]
        elif key not in size:
            continue
        elif r["event"] == "filled":
            size[key][0] = max(size[key][0] - r["size"], 0)
        else:
            size[key][0] = 0
        s, side, price = size[key]
        out.append(json.dumps({"time": r["block_time"].isoformat().replace("+00:00", "Z"),
                               "market": r["market"], "maker": r["maker"], "order_id": r["order_id"],
                               "side": side, "price": format(price, "f"), "size": format(s, "f")}).encode())
    return out


def test_sampler_matches_lifetimes(events, tmp_path, capsys):
    makers = sorted(set(events.column("maker").to_pylist()))[:4]
    srv = feed_server(messages(events), per_poll=300)
    try:
        args = ["sample", "orderbook", "--feed", f"http://127.0.0.1:{srv.server_address[1]}/feed",
                "--store", str(tmp_path), "--interval", "0.01"]
        for m in makers:
            args += ["--maker", m]
        with pytest.raises(SystemExit) as exc:
            main(args)
        assert exc.value.code == 0, capsys.readouterr().err
    finally:
        srv.shutdown()
    got = Store(tmp_path).read("orderbook_samples")
    assert got.num_rows > 500
    lt = rebuild_lifetimes(events)
    con = duckdb.connect()
    con.register("lt", lt)
    con.register("ev", events)
    want = con.sql(f"""
        WITH bounds AS (SELECT min(block_time) AS lo, max(block_time) AS hi FROM ev),
        minutes AS (
          SELECT unnest(generate_series(date_trunc('minute', lo) + INTERVAL 1 MINUTE,
                                        hi, INTERVAL 1 MINUTE)) AS minute FROM bounds)
        SELECT minute, market, maker, order_id, side, price, size
        FROM minutes JOIN lt ON valid_from < minute AND (valid_to IS NULL OR valid_to >= minute)
        WHERE maker IN ({", ".join(f"'{m}'" for m in makers)})
        ORDER BY minute, market, order_id""").to_arrow_table().to_pylist()
    want = sorted(tuple(r.values()) for r in want)
    from decimal import Decimal
    have = sorted((r["minute"], r["market"], r["maker"], r["order_id"], r["side"],
                   Decimal(r["price"]), Decimal(r["size"])) for r in got.to_pylist())
    assert [(a.timestamp(), *rest) for a, *rest in have] == \
        [(a.timestamp(), *rest) for a, *rest in want]


def test_websocket_feed_gives_the_same_samples(events, tmp_path, capsys):
    from websockets.sync.server import serve

    lines = messages(events)

    def handler(ws):
        for i in range(0, len(lines), 250):                    # several lines per message
            ws.send(b"\n".join(lines[i:i + 250]).decode())

    makers = sorted(set(events.column("maker").to_pylist()))[:4]
    http = feed_server(lines, per_poll=500)
    with serve(handler, "127.0.0.1", 0) as ws_srv:
        threading.Thread(target=ws_srv.serve_forever, daemon=True).start()
        ws_url = f"ws://127.0.0.1:{ws_srv.socket.getsockname()[1]}"
        http_url = f"http://127.0.0.1:{http.server_address[1]}/feed"
        for url, store in ((ws_url, tmp_path / "ws"), (http_url, tmp_path / "http")):
            args = ["sample", "orderbook", "--feed", url, "--store", str(store),
                    "--interval", "0.01"]
            for m in makers:
                args += ["--maker", m]
            with pytest.raises(SystemExit) as exc:
                main(args)
            assert exc.value.code == 0, capsys.readouterr().err
        ws_srv.shutdown()
    http.shutdown()
    a = Store(tmp_path / "ws").read("orderbook_samples")
    b = Store(tmp_path / "http").read("orderbook_samples")
    assert a.num_rows > 500 and a.equals(b)


def test_bad_feed_message_is_one_clear_line(tmp_path, capsys):
    lines = [b'{"time": "2024-01-01T00:00:00Z", "market": "BTC-USD", "maker": "m", '
             b'"order_id": "1", "side": "BUY", "price": 0.1, "size": "1"}']
    srv = feed_server(lines, per_poll=10)
    url = f"http://127.0.0.1:{srv.server_address[1]}/feed"
    try:
        with pytest.raises(SystemExit) as exc:
            main(["sample", "orderbook", "--feed", url, "--store", str(tmp_path)])
    finally:
        srv.shutdown()
    err = capsys.readouterr().err.strip().splitlines()
    assert exc.value.code == 2 and len(err) == 1
    assert "row 1" in err[0] and "field 'price'" in err[0] and "float" in err[0]
    assert not (tmp_path / "orderbook_samples").exists()

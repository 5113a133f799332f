"""SIGKILL `epochdrop sample orderbook` 10 times during a recording from a loopback feed and
restart it each time: the rows in the store equal an uninterrupted recording of the same feed,
with no gap and no duplicate (issue 20, acceptance "Sampler").

The feed is the real HTTP feed protocol (`?offset=K`, `X-Feed-End`) served by the test; the
recorder is the real CLI in a subprocess, killed at random moments, so kills land between
polls, mid-chunk, and between a chunk and its checkpoint.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pyarrow.compute as pc

from indexer.generate import generate_dydx_order_events
from indexer.store import Store
from tests.test_orderbook_sampler import feed_server, messages

REPO = Path(__file__).resolve().parents[1]
KILLS = 10


def _lines() -> list[bytes]:
    ev = generate_dydx_order_events(seed=7, scale=1.0)
    t0 = ev.column("block_time")[0].as_py()
    return messages(ev.filter(pc.less(ev.column("block_time"), t0 + timedelta(hours=4))))


def _start(url: str, store: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-m", "pipeline.cli", "sample", "orderbook",
                             "--feed", url, "--store", str(store), "--interval", "0.01",
                             "--chunk-minutes", "7"],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _rows(store: Path) -> Counter:
    t = Store(store).read("orderbook_samples")
    return Counter(tuple(r.values()) for r in t.to_pylist())


def test_ten_sigkills_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    lines = _lines()
    ref_srv = feed_server(lines, per_poll=5, delay=0.3)
    try:
        p = _start(f"http://127.0.0.1:{ref_srv.server_address[1]}/feed", tmp_path / "ref")
        assert p.wait(timeout=600) == 0, p.stderr.read().decode()
    finally:
        ref_srv.shutdown()
    want = _rows(tmp_path / "ref")
    assert sum(want.values()) > 500

    srv = feed_server(lines, per_poll=5, delay=0.3)
    url = f"http://127.0.0.1:{srv.server_address[1]}/feed"
    rnd = random.Random(20)
    kills, runs = 0, 0
    try:
        while True:
            runs += 1
            p = _start(url, tmp_path / "crash")
            if kills < KILLS:
                time.sleep(rnd.uniform(1.0, 3.0))
                if p.poll() is None:
                    p.send_signal(signal.SIGKILL)
                    p.wait(timeout=30)
                    kills += 1
                    continue
            assert p.wait(timeout=600) == 0, p.stderr.read().decode()
            break
    finally:
        srv.shutdown()
    assert kills == KILLS, f"the recording finished after {kills} kills; make the feed longer"
    got = _rows(tmp_path / "crash")
    assert got == want
    assert max(got.values()) == 1          # no row twice (the same order in the same minute)

"""A demo rerun that changes nothing indexes nothing (issue 19).

The reduced demo of tests/support/workflow.py is run once (in process, shared with the other
workflow tests); then `epochdrop demo --small` runs again on the same folder as a user would.
Its run report must record zero RPC calls for every chain epoch (the store's checkpoints
cover the world's blocks, so nothing is fetched, not even the head), every epoch up to date
and verified, and the store's files untouched — while the first run did send RPC calls, so
the zero is the skip's doing, not a counter that never counts.
"""

from __future__ import annotations

import json
import os

import pytest

from tests.support.workflow import GROUP, cli, small_demo

pytestmark = pytest.mark.xdist_group(GROUP)

CHAIN = {"dhedge", "curve"}


def _files(store):
    return {p.relative_to(store).as_posix(): p.stat().st_mtime_ns
            for p in store.rglob("*") if p.is_file() and p.name != ".lock"}


def test_demo_rerun_indexes_nothing() -> None:
    root, first = small_demo()
    assert any(r["program"] == "dhedge" and r["rpc_calls"] > 0 for r in first), first
    before = _files(root / "store")

    r = cli("demo", "--small", "--out", root, timeout=900)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "already indexed" in r.stdout, r.stdout

    runs = root.parent / ".epochdrop-runs" / root.name
    reports = sorted((p for p in runs.glob("demo_*.json")), key=os.path.getmtime)
    report = json.loads(reports[-1].read_text())
    assert report["status"] == "ok"
    rows = report["done"][-1]
    chain_rows = [row for row in rows if row["program"] in CHAIN]
    assert chain_rows and all(row["rpc_calls"] == "0" for row in chain_rows), chain_rows
    assert all(row["fresh"] == "False" and row["verified"] == "True" for row in rows), rows
    assert _files(root / "store") == before

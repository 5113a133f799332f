"""verify's score comparison (issue 15): scores are compared exactly, and when a payout moves
the diff says whether a score moved (inputs, parameters, rules or tampering) or only the
allocation, tree or files did. Real scoring runs (Curve's CIP-20 example) compared with
pipeline.compare, the function `epochdrop verify` calls."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq

from distributor.runner import score_epoch
from pipeline.compare import compare
from tests.test_programs_curve import make_week
from tests.support.program_data import write_config


def _run(tmp_path, name, volumes=(100, 350, 2000), **params):
    data = tmp_path / f"in-{name}"
    make_week(data, {p: ([1000] * 7, [v] * 7) for p, v in zip(("0xA", "0xB", "0xC"), volumes)})
    cfg = write_config(tmp_path / f"{name}.toml", "curve", **params)
    out = tmp_path / name
    score_epoch("curve", data, "2020-10-01", out, config=cfg)
    return out, json.loads((out / "manifest.json").read_text())


def test_identical_rebuild_has_no_cause(tmp_path):
    a, ma = _run(tmp_path, "a")
    b, mb = _run(tmp_path, "b")
    d = compare(a, ma, b, mb)
    assert d.ok and d.cause is None and d.scores_compared == 3


def test_a_changed_budget_moves_payouts_but_no_score(tmp_path):
    a, ma = _run(tmp_path, "a")
    b, mb = _run(tmp_path, "b", daily_budget="70000")
    d = compare(a, ma, b, mb)
    assert not d.ok and d.accounts_differing == 3 and d.scores_moved == []
    assert d.cause.startswith("no score moved (3 compared exactly)")
    assert any(line.startswith("cause: no score moved") for line in d.lines())


def test_a_changed_input_moves_a_score_and_says_so(tmp_path):
    a, ma = _run(tmp_path, "a")
    b, mb = _run(tmp_path, "b", volumes=(100, 351, 2000))
    d = compare(a, ma, b, mb)
    assert d.scores_moved == ["0xB: 0.35 → 0.351"]
    assert "1 score(s) moved" in d.cause
    assert "  score 0xB: 0.35 → 0.351" in d.lines()


def test_scores_compare_as_exact_decimals_not_text(tmp_path):
    a, ma = _run(tmp_path, "a")
    b, mb = _run(tmp_path, "b")
    t = pq.read_table(b / "scores.parquet")
    i = t.column_names.index("score")
    t = t.set_column(i, "score", pa.array([s + "0" if "." in s else s + ".000"
                                           for s in t.column("score").to_pylist()]))
    pq.write_table(t, b / "scores.parquet")          # "0.1" → "0.10": the same numbers
    assert compare(a, ma, b, mb).scores_moved == []
    t = t.set_column(i, "score", pa.array(["0.1000000000000000000000000001", "0.35", "2"]))
    pq.write_table(t, b / "scores.parquet")          # 10^-28 apart is a different score
    assert compare(a, ma, b, mb).scores_moved == [
        "0xA: 0.1 → 0.1000000000000000000000000001"]

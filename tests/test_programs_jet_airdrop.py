"""Jet governance airdrop (programs.md §3, DECISIONS D16): hand-checked scores, the strict
weight threshold, proposal selection, the cutoff."""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal, localcontext
from fractions import Fraction

import pyarrow.parquet as pq
import pytest

from distributor.runner import prepare, score_epoch
from epochdrop.errors import ConfigError, InputError
from tests.support.orderbook_data import write_csv

PROPS = [["p1", "Asset Onboarding", "2023-01-01T00:00:00Z"],
         ["p2", "Asset Onboarding", "2023-02-01T00:00:00Z"],
         ["p3", "Parameter Change", "2023-02-15T00:00:00Z"]]


def floor18(x: Fraction) -> Decimal:
    return Decimal(x.numerator * 10**18 // x.denominator).scaleb(-18).normalize()


def floor_cbrt(w: Fraction) -> Fraction:
    """w^(1/3) floored to 18 decimals, by Decimal at 60 digits (independent of the code)."""
    with localcontext() as ctx:
        ctx.prec = 60
        r = (Decimal(w.numerator) / Decimal(w.denominator)) ** (Decimal(1) / 3)
    return Fraction(int(r.scaleb(18).to_integral_value(rounding=ROUND_FLOOR)), 10**18)


def run(tmp_path, votes, config_lines=()):
    data = tmp_path / "d"
    write_csv(data, "governance_proposals", ["proposal", "category", "time"], PROPS)
    write_csv(data, "governance_votes", ["voter", "proposal", "weight", "time"], votes)
    config = None
    if config_lines:
        config = tmp_path / "c.toml"
        config.write_text('program = "jet_airdrop"\n[params]\n' + "\n".join(config_lines) + "\n")
    m = score_epoch("jet_airdrop", data, "0", tmp_path / "out", config=config)
    t = pq.read_table(tmp_path / "out/scores.parquet").to_pylist()
    return m, {r["account"]: r for r in t}


def test_hand_checked_scores_and_strict_threshold(tmp_path):
    """V: 8,000 and 27,000 JET on the two Asset Onboarding proposals → (20 + 30)·2/19 =
    5.26315789474. W votes 1,000 on p1 (not above 1000: counts for neither term) and
    1,000,000 on p2 → 100·1/19. X's 1000.000000001 is just above the threshold."""
    votes = [["V", "p1", "8000", "2023-01-02T00:00:00Z"], ["V", "p2", "27000", "2023-02-02T00:00:00Z"],
             ["V", "p3", "1000000", "2023-02-16T00:00:00Z"],  # not Asset Onboarding
             ["W", "p1", "1000", "2023-01-02T00:00:00Z"], ["W", "p2", "1000000", "2023-02-02T00:00:00Z"],
             ["X", "p1", "1000.000000001", "2023-01-03T00:00:00Z"],
             ["Y", "p1", "999", "2023-01-03T00:00:00Z"]]
    m, s = run(tmp_path, votes)
    # scores are user_score × N (exact): cube roots floored to 18 decimals
    assert s["V"]["score"] == "100" and s["V"]["user_score"] == str(floor18(Fraction(100, 19)))
    assert s["W"]["score"] == "100"
    assert s["W"]["votes_counted"] == 1
    assert float(s["X"]["user_score"]) == pytest.approx(1000.000000001 ** (1 / 3) / 19,
                                                        rel=1e-11)
    assert Fraction(s["X"]["score"]) == floor_cbrt(Fraction("1000.000000001"))
    assert "Y" not in s  # every vote below the threshold: no score at all
    assert m.scoring.facts["votes_below_min_weight"] == 2
    budget = 3_600_000 * 10**9
    assert m.scoring.budget == str(budget)
    total = sum(Fraction(r["score"]) for r in s.values())
    assert int(s["V"]["amount"]) == budget * Fraction(s["V"]["score"]) // total  # unit for unit
    # from first principles: scores 20+30 twice, 100 once, cbrt(1000.000000001) once
    cx = floor_cbrt(Fraction("1000.000000001"))
    t = 100 + 100 + cx
    assert {a: int(r["amount"]) for a, r in s.items()} == {
        "V": budget * 100 // t, "W": budget * 100 // t, "X": int(budget * cx // t)}


def test_cutoff_and_explicit_proposal_list(tmp_path):
    votes = [["V", "p1", "8000", "2023-04-29T23:59:59Z"], ["V", "p2", "8000", "2023-04-30T00:00:00Z"],
             ["V", "p3", "27000", "2023-01-01T00:00:00Z"]]
    _, s = run(tmp_path / "a", votes)
    assert s["V"]["votes_counted"] == 1  # p2's vote is at the cutoff instant: not before it
    _, s = run(tmp_path / "b", votes, ['proposals = ["p1", "p3"]', "proposal_count = 2"])
    assert s["V"]["score"] == "100" and s["V"]["user_score"] == "50"


def test_duplicate_vote_records_and_bad_epoch(tmp_path):
    votes = [["V", "p1", "8000", "2023-01-02T00:00:00Z"], ["V", "p1", "9000", "2023-01-03T00:00:00Z"]]
    with pytest.raises(InputError, match="two vote records"):
        run(tmp_path, votes)
    with pytest.raises(ConfigError, match="one epoch"):
        prepare("jet_airdrop", "1")


# ---- issue 15: payouts equal a plain Fraction/Decimal reference, unit for unit -------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["V", "W", "X", "Y"]), st.sampled_from(["p1", "p2", "p3"]),
                          st.decimals(0, 10**7, places=9, allow_nan=False, allow_infinity=False)),
                max_size=10, unique_by=lambda v: (v[0], v[1])),
       st.sampled_from(["dust", "largest_remainder"]))
def test_payouts_match_a_plain_reference(tmp_path_factory, votes, rounding):
    tmp = tmp_path_factory.mktemp("air")
    rows = [[v, p, str(w), "2023-01-05T00:00:00Z"] for v, p, w in votes]
    m, s = run(tmp, rows, [f'rounding = "{rounding}"'])
    score = {}
    for v, p, w in votes:   # p1, p2 are Asset Onboarding; a vote counts above 1000 JET
        if p in ("p1", "p2") and w > 1000:
            score.setdefault(v, []).append(floor_cbrt(Fraction(w)))
    want = {v: sum(r) * len(r) for v, r in score.items()}
    total, budget = sum(want.values()), 3_600_000 * 10**9
    ideal = {v: budget * x / total for v, x in want.items()} if total else {}
    floors = {v: x.numerator // x.denominator for v, x in ideal.items()}
    if rounding == "largest_remainder" and ideal:
        spare = budget - sum(floors.values())
        for v in sorted(ideal, key=lambda v: (-(ideal[v] - floors[v]), v))[:spare]:
            floors[v] += 1
    assert {a: int(r["amount"]) for a, r in s.items() if int(r["amount"])} == \
        {v: n for v, n in floors.items() if n}

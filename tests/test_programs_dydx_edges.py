"""dYdX edge cases and determinism, through the runner (`epochdrop score`'s function)."""

from __future__ import annotations

from fractions import Fraction

import csv
import random
import shutil
from datetime import timedelta

import pyarrow.parquet as pq
import pytest

from distributor.programs.dydx.schedule import window
from distributor.runner import score_epoch
from epochdrop.errors import ConfigError, InputError
from tests.support.orderbook_data import iso, write_csv

A, B, C = ("0x00000000000000000000000000000000000000aa", "0x00000000000000000000000000000000000000bb",
           "0x00000000000000000000000000000000000000cc")
COLS = ["market", "maker", "order_id", "side", "price", "size", "valid_from", "valid_to"]
E1 = window("1")  # launch formula, threshold 5% of epoch 0's maker volume
EMISSION = 1_150_685 * 10**18


def quote(market, maker, bid, ask, size, t0=None, t1=None, tag=""):
    t0 = t0 or E1.start
    return [[market, maker, f"{maker[-2:]}{market}{tag}b", "BUY", bid, size, iso(t0), iso(t1)],
            [market, maker, f"{maker[-2:]}{market}{tag}a", "SELL", ask, size, iso(t0), iso(t1)]]


def run(tmp_path, orders, volume=None, epoch="1", config=None, **tables):
    data = tmp_path / "data"
    write_csv(data, "dydx_orders", COLS, orders)
    write_csv(data, "dydx_maker_volume", ["epoch", "market", "maker", "volume_usd"],
              volume if volume is not None else
              [[0, "BTC-USD", k, "1000"] for k in (A, B, C)])
    for name, (header, rows) in tables.items():
        write_csv(data, name, header, rows)
    out = tmp_path / "out"
    return score_epoch("dydx", data, epoch, out, config=config), out


def scores(out):
    return {(r["pool"], r["account"]): r for r in pq.read_table(out / "scores.parquet").to_pylist()}


def paid(out):
    t = pq.read_table(out / "rewards.parquet").to_pylist()
    return {r["account"]: int(r["amount"]) for r in t}


def test_one_sided_book_nobody_scores(tmp_path):
    orders = [["BTC-USD", k, f"{k}{i}", "BUY", p, "1", iso(E1.start), ""]
              for i, (k, p) in enumerate(((A, "30000"), (B, "29990")))]
    m, out = run(tmp_path, orders)
    assert m.scoring.facts["live_samples"] == {}
    assert paid(out) == {}
    assert m.scoring.notes[0] == "all scores zero → nothing allocated"
    assert m.scoring.unallocated == str(EMISSION)


def test_crossed_book_nobody_scores(tmp_path):
    orders = quote("BTC-USD", A, "30010", "30020", "1") + quote("BTC-USD", B, "29980", "30005", "1")
    m, out = run(tmp_path, orders)  # A's bid 30,010 ≥ B's ask 30,005: no mid
    assert m.scoring.facts["live_samples"] == {} and paid(out) == {}


def test_no_liquidity(tmp_path):
    m, out = run(tmp_path, [])
    assert paid(out) == {} and m.scoring.allocated == "0"
    assert m.scoring.facts["market_budgets"] == {"(unassigned)": str(EMISSION * 6 // 10),
                                            "BTC-USD": str(EMISSION // 5),
                                            "ETH-USD": str(EMISSION // 5)}


def test_lp_ineligible_from_previous_epoch(tmp_path):
    """Epoch 1 needs 5% of epoch 0's maker volume: C had 4%, B had none at all."""
    orders = (quote("BTC-USD", A, "29990", "30010", "1") + quote("BTC-USD", B, "29995", "30005", "1")
              + quote("BTC-USD", C, "29992", "30008", "1"))
    vol = [[0, "BTC-USD", A, "9000"], [0, "ETH-USD", A, "600"], [0, "BTC-USD", C, "400"],
           [1, "BTC-USD", B, "50000"]]  # B's volume is this epoch's, not the previous one
    m, out = run(tmp_path, orders, vol)
    s = scores(out)
    assert [s[("BTC-USD", k)]["eligible"] for k in (A, B, C)] == [True, False, False]
    assert s[("BTC-USD", C)]["prev_epoch_maker_volume_usd"] == "400"
    assert s[("BTC-USD", B)]["removed"] == "ineligible" and Fraction(s[("BTC-USD", B)]["score"]) > 0
    assert paid(out) == {A: EMISSION // 5}  # A alone takes the whole BTC-USD pool


def test_pool_notes_name_what_happened_and_skip_the_unassigned_remainder(tmp_path):
    """Only B quotes BTC-USD and B is ineligible; A quotes ETH-USD; no other market is live, so
    60% of the emission is the `(unassigned)` remainder: the program's own note covers it, and
    the runner adds no "nobody was paid" note for that pool (nobody can score there)."""
    orders = quote("BTC-USD", B, "29990", "30010", "1") + quote("ETH-USD", A, "1999", "2001", "10")
    m, out = run(tmp_path, orders, [[0, "ETH-USD", A, "1000"]])
    assert paid(out) == {A: EMISSION // 5}
    assert m.scoring.facts["market_budgets"]["(unassigned)"] == str(EMISSION - 2 * (EMISSION // 5))
    assert not any("pool (unassigned)" in n for n in m.scoring.notes), m.scoring.notes
    assert any("went to no market" in n for n in m.scoring.notes)
    assert (f"pool BTC-USD: every account was removed (1 ineligible) → {EMISSION // 5} "
            "base units not allocated") in m.scoring.notes
    assert not any("all scores zero" in n for n in m.scoring.notes)

    m, _ = run(tmp_path / "eth", quote("BTC-USD", A, "29990", "30010", "1"))
    assert f"pool ETH-USD: no account scored → {EMISSION // 5} base units not allocated" in m.scoring.notes
    assert not any("pool (unassigned)" in n for n in m.scoring.notes)


def test_account_below_threshold_epoch_7(tmp_path):
    """From epoch 7 the threshold is 0.25%: 0.24% is out, 0.25% exactly is in."""
    e7 = window("7")
    orders = (quote("ETH-USD", A, "1999", "2001", "10", e7.start)
              + quote("ETH-USD", B, "1999.5", "2000.5", "10", e7.start)
              + quote("ETH-USD", C, "1998", "2002", "10", e7.start))
    vol = [[6, "ETH-USD", A, "99510"], [6, "ETH-USD", B, "250"], [6, "ETH-USD", C, "240"]]
    m, out = run(tmp_path, orders, vol, epoch="7",
                 config=_config(tmp_path, 'formula = "launch"'))
    s = scores(out)
    assert (s[("ETH-USD", B)]["eligible"], s[("ETH-USD", C)]["eligible"]) == (True, False)
    assert set(paid(out)) == {A, B}


def test_missing_previous_epoch_volume_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="epoch 0"):
        run(tmp_path, quote("BTC-USD", A, "29990", "30010", "1"), [[1, "BTC-USD", A, "5"]])
    assert not (tmp_path / "out").exists()


def test_market_opening_mid_epoch_gets_pool_by_live_samples(tmp_path):
    """SOL-USD is live all 40,320 samples, LINK-USD opens on day 14 (20,160 samples): the
    60% left after BTC/ETH splits 2:1."""
    half = E1.start + timedelta(days=14)
    orders = quote("SOL-USD", A, "99.9", "100.1", "50") + quote("LINK-USD", A, "19.99", "20.01", "100", half)
    m, out = run(tmp_path, orders, [[0, "SOL-USD", A, "1"]])
    assert m.scoring.facts["live_samples"] == {"LINK-USD": 20_160, "SOL-USD": 40_320}
    rest = EMISSION - 2 * (EMISSION // 5)
    budgets = {k: int(v) for k, v in m.scoring.facts["market_budgets"].items()}
    assert budgets["SOL-USD"] == rest * 2 // 3 and budgets["LINK-USD"] == rest // 3
    assert scores(out)[("LINK-USD", A)]["uptime_samples"] == 20_160
    assert paid(out) == {A: budgets["SOL-USD"] + budgets["LINK-USD"]}


def test_lp_epoch_aggregates_skip_sampling(tmp_path):
    lp = (["market", "maker", "q_epoch", "uptime_samples", "maker_volume_usd"],
          [["BTC-USD", A, "3000", "40320", "10"], ["BTC-USD", B, "1000", "20160", "10"]])
    markets = (["market", "live_samples"], [["BTC-USD", "40320"]])
    m, out = run(tmp_path, [], dydx_lp_epoch=lp, dydx_markets=markets)
    assert m.scoring.facts["sampling"] == "dydx_lp_epoch"
    s = scores(out)
    assert Fraction(s[("BTC-USD", B)]["score"]) == 1000 * 20160**5   # Q · u^5, exact
    pool = EMISSION // 5  # launch: 3000 · 1 vs 1000 / 32
    assert paid(out)[A] == pool * 96 // 97 and paid(out)[B] == pool * 1 // 97
    with pytest.raises(InputError, match="live_samples"):
        run(tmp_path / "again", [], dydx_lp_epoch=lp)


def _config(tmp_path, *lines):
    path = tmp_path / "dydx.toml"
    path.write_text('program = "dydx"\n[params]\n' + "\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("line,match", [
    ("colour = 1", "unknown key"), ('formula = "dip99"', "formula"),
    ('sample_offset = "sometimes"', "sample_offset"), ("btc_eth_share = 0.7", "btc_eth_share"),
    ("[params.max_spread]\nbtc_eth = 0\nother = 0.004", "max_spread"),
])
def test_bad_config_is_one_clear_error(tmp_path, line, match):
    with pytest.raises(ConfigError, match=match):
        run(tmp_path, [], config=_config(tmp_path, line))
    assert not (tmp_path / "out").exists()


def test_bad_side_is_an_input_error(tmp_path):
    orders = [["BTC-USD", A, "x1", "BID", "30000", "1", iso(E1.start), ""]]
    with pytest.raises(InputError, match="BUY or SELL"):
        run(tmp_path, orders)


def _shuffled(src, dst, seed):
    shutil.copytree(src, dst)
    for f in dst.glob("*.csv"):
        with open(f, newline="") as fh:
            rows = list(csv.reader(fh))
        body = rows[1:]
        random.Random(seed).shuffle(body)
        with open(f, "w", newline="") as fh:
            csv.writer(fh).writerows([rows[0]] + body)


def test_determinism_shuffle_threads_rerun(tmp_path):
    """data/samples/dydx (epoch 1): shuffled rows, 1 vs 2 threads and a second run give
    byte-identical rewards.parquet; the manifest too (bar the input files' own hashes,
    which name the shuffled files)."""
    import json

    src = "data/samples/dydx"
    _shuffled(src, tmp_path / "shuffled", 7)
    outs = []
    for i, (data, threads) in enumerate(((src, 1), (src, 2), (src, 2), (tmp_path / "shuffled", 2))):
        out = tmp_path / f"out{i}"
        score_epoch("dydx", data, "1", out, threads=threads)
        outs.append(out)
    first = (outs[0] / "rewards.parquet").read_bytes()
    assert len(pq.read_table(outs[0] / "rewards.parquet")) >= 2
    for out in outs[1:]:
        assert (out / "rewards.parquet").read_bytes() == first
        assert (out / "scores.parquet").read_bytes() == (outs[0] / "scores.parquet").read_bytes()
    for out in outs[1:3]:
        assert (out / "manifest.json").read_bytes() == (outs[0] / "manifest.json").read_bytes()
    a, b = (json.loads((o / "manifest.json").read_text()) for o in (outs[0], outs[3]))
    a.pop("inputs"), b.pop("inputs")
    assert a == b


def test_cli_bad_epoch_exits_2_and_writes_nothing(tmp_path, capsys):
    from pipeline.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["score", "dydx", "--data", "data/samples/dydx", "--epoch", "first",
              "--out", str(tmp_path / "out")])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "dydx epochs are numbers" in err[0]
    assert not (tmp_path / "out").exists()


def test_stk_table_one_row_per_maker(tmp_path):
    stk = (["maker", "stk_share"], [[A, "0.5"], [A, "0.25"]])
    with pytest.raises(InputError, match="one row per maker"):
        run(tmp_path, quote("BTC-USD", A, "29990", "30010", "1"), dydx_stk=stk)


# ---- issue 15: outages and excluded accounts (the seed's "uptime excludes protocol outages",
# restricted accounts excluded), hand-worked, exact payouts -----------------------------------

def _outage_case(tmp_path, config_lines, **tables):
    """BTC-USD only, samples at minute starts. A quotes 29,990 / 30,010 and C 29,992 / 30,008
    (size 1) all epoch: mid 30,000, Q_MIN A = 29,990 · 30,000 / 10 = 89,970,000, C = 29,992 ·
    30,000 / 8 = 112,470,000 per sample. B quotes 29,995 / 30,005 on the first day only."""
    day1 = E1.start + timedelta(days=1)
    orders = (quote("BTC-USD", A, "29990", "30010", "1") + quote("BTC-USD", C, "29992", "30008", "1")
              + quote("BTC-USD", B, "29995", "30005", "1", t1=day1))
    tmp_path.mkdir(parents=True, exist_ok=True)
    cfg = tmp_path / "c.toml"
    cfg.write_text('program = "dydx"\n[params]\nsample_offset = "minute_start"\n'
                   + "".join(line + "\n" for line in config_lines))
    return run(tmp_path, orders, config=cfg, **tables)


def test_an_outage_removes_its_samples_from_every_makers_uptime(tmp_path):
    day1 = E1.start + timedelta(days=1)
    outage = f"outages = [{{start = {E1.start.isoformat()}, end = {day1.isoformat()}}}]"
    m, out = _outage_case(tmp_path, [outage])
    s = scores(out)
    # the first day's 1,440 samples are gone for everybody: B (only there) has no uptime
    assert s[("BTC-USD", A)]["uptime_samples"] == s[("BTC-USD", C)]["uptime_samples"] == 38_880
    assert ("BTC-USD", B) not in s and B not in paid(out)   # no sample left to score in
    assert m.scoring.facts["live_samples"] == {"BTC-USD": 38_880}
    assert m.scoring.facts["samples_outside_outages"] == 38_880
    pool = EMISSION // 5
    qa, qc = 89_970_000, 112_470_000
    assert paid(out) == {A: pool * qa // (qa + qc), C: pool * qc // (qa + qc)}
    # without the outage B's day counts: uptime 40,320 for A and C, 1,440 for B
    _, out2 = _outage_case(tmp_path / "none", [])
    assert scores(out2)[("BTC-USD", A)]["uptime_samples"] == 40_320
    assert scores(out2)[("BTC-USD", B)]["uptime_samples"] == 1_440


def test_an_excluded_account_gets_nothing_and_its_share_goes_to_the_others(tmp_path):
    day1 = E1.start + timedelta(days=1)
    outage = f"outages = [{{start = {E1.start.isoformat()}, end = {day1.isoformat()}}}]"
    m, out = _outage_case(tmp_path, [outage, f'excluded_accounts = ["{C}"]'])
    s = scores(out)
    assert s[("BTC-USD", C)]["excluded"] is True and s[("BTC-USD", C)]["amount"] == "0"
    assert paid(out) == {A: EMISSION // 5}          # A alone shares the whole BTC-USD pool
    assert any("excluded accounts" in n and C in n for n in m.scoring.notes)
    # the same from imported tables instead of the config
    tables = {"dydx_outages": (["from_time", "to_time"], [[iso(E1.start), iso(day1)]]),
              "dydx_excluded": (["maker"], [[C]])}
    _, out2 = _outage_case(tmp_path / "tables", [], **tables)
    assert paid(out2) == paid(out)
    assert scores(out2)[("BTC-USD", A)]["uptime_samples"] == 38_880

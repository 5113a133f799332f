"""The validating importer (issue 5, acceptance 5): one test per bad input, plus the good path.

Each bad file must give one line naming file/row/column, exit status 2, and leave the store
exactly as it was (a previous import is already in it).
"""

from __future__ import annotations


import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.cli import main
from epochdrop.fsio import hash_tree
from indexer.store import Store

GOOD = """epoch,market,maker,volume_usd
3,ETH-USD,0x52908400098527886E0F7030069857D2E4169EE7,1200.5
3,BTC-USD,0x8617E340B3D01FA5F11F306F4090FD50E238070D,99.000001
2,BTC-USD,0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed,7
"""


def run(args, capsys):
    with pytest.raises(SystemExit) as exc:
        main(args)
    cap = capsys.readouterr()
    return exc.value.code, cap.out, cap.err


@pytest.fixture
def store(tmp_path, capsys):
    f = tmp_path / "good.csv"
    f.write_text(GOOD)
    code, out, err = run(["import", "dydx_maker_volume", str(f), "--store", str(tmp_path / "st")],
                         capsys)
    assert code == 0, err
    return tmp_path / "st"


def test_good_csv_sorted_and_exact(store):
    t = Store(store).read("dydx_maker_volume")
    assert t.column("epoch").to_pylist() == [2, 3, 3]
    assert t.column("market").to_pylist() == ["BTC-USD", "BTC-USD", "ETH-USD"]
    assert t.column("volume_usd").to_pylist() == ["7", "99.000001", "1200.5"]
    assert t.column("maker").to_pylist()[0] == "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
    assert t.column("chain").to_pylist() == ["dydx-v3"] * 3


def test_same_file_twice_is_idempotent(store, tmp_path, capsys):
    before = hash_tree(store, exclude=set())
    f = tmp_path / "good.csv"
    code, _, err = run(["import", "dydx_maker_volume", str(f), "--store", str(store)], capsys)
    assert code == 0, err
    after = {k: v for k, v in hash_tree(store).items() if not k.startswith("_runs")}
    assert after == {k: v for k, v in before.items() if not k.startswith("_runs")}


def _bad(store, tmp_path, capsys, dataset, name, content, *, expect):
    f = tmp_path / name
    if isinstance(content, pa.Table):
        pq.write_table(content, f)
    elif content is not None:
        f.write_bytes(content.encode() if isinstance(content, str) else content)
    before = hash_tree(store)
    code, out, err = run(["import", dataset, str(f), "--store", str(store)], capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert str(f) in lines[0]
    for part in expect:
        assert part in lines[0], lines[0]
    assert hash_tree(store) == before
    return lines[0]


def test_missing_column(store, tmp_path, capsys):
    _bad(store, tmp_path, capsys, "dydx_maker_volume", "m.csv",
         "epoch,market,volume_usd\n3,ETH-USD,1\n", expect=["field 'maker'", "missing required column"])


def test_wrong_type(store, tmp_path, capsys):
    _bad(store, tmp_path, capsys, "dydx_maker_volume", "w.csv",
         GOOD.replace("2,BTC-USD", "two,BTC-USD"), expect=["row 3", "field 'epoch'", "integer"])


def test_float_where_exact_decimal_required_csv(store, tmp_path, capsys):
    _bad(store, tmp_path, capsys, "dydx_maker_volume", "f.csv",
         GOOD.replace("99.000001", "9.9e1"), expect=["row 2", "field 'volume_usd'", "float"])


def test_float_where_exact_decimal_required_parquet(store, tmp_path, capsys):
    t = pa.table({"epoch": [1], "market": ["BTC-USD"],
                  "maker": ["0x52908400098527886E0F7030069857D2E4169EE7"], "volume_usd": [0.1]})
    _bad(store, tmp_path, capsys, "dydx_maker_volume", "f.parquet", t,
         expect=["row 1", "field 'volume_usd'", "float"])


def test_bad_address(store, tmp_path, capsys):
    _bad(store, tmp_path, capsys, "dydx_maker_volume", "a.csv",
         GOOD.replace("0x8617E340B3D01FA5F11F306F4090FD50E238070D",
                      "0x8617E340B3D01FA5F11F306F4090FD50E238070"),
         expect=["row 2", "field 'maker'", "not an address"])


def test_bad_eip55_checksum(store, tmp_path, capsys):
    _bad(store, tmp_path, capsys, "dydx_maker_volume", "c.csv",
         GOOD.replace("0x52908400098527886E0F7030069857D2E4169EE7",
                      "0x52908400098527886E0F7030069857D2E4169Ee7"),
         expect=["row 1", "field 'maker'", "checksum"])


JET_MARKET = ("slot,block_time,signature,event_index,program_id,market,version,airspace,"
              "underlying_token_mint,underlying_oracle,ticket_oracle,borrow_tenor,lend_tenor\n"
              "5,2023-07-19T00:00:00Z,sig1,0,{p},{m},0,{p},{p},{p},{p},604800,604800\n")
PK = "JBond79m9K6HqYwngCjiJHb311GTXggo46kGcT2GijUc"


def test_bad_pubkey(store, tmp_path, capsys):
    _bad(store, tmp_path, capsys, "clob_markets", "p.csv",
         JET_MARKET.format(p=PK, m="0OIl" + PK[4:]), expect=["row 1", "field 'market'", "pubkey"])


EVENTS = ("block_time,signature,event_index,market,event,order_id,maker,side,price,size\n"
          "2021-08-03T15:00:00Z,a,0,BTC-USD,placed,o1,0xA,BUY,45000.5,0.1\n"
          "{t},b,0,BTC-USD,filled,o1,0xA,,,0.05\n")


def test_time_going_backwards_order_event(store, tmp_path, capsys):
    _bad(store, tmp_path, capsys, "clob_order_events", "t.csv",
         EVENTS.format(t="2021-08-03T14:59:59Z"),
         expect=["row 2", "field 'block_time'", "time goes backwards"])


def test_time_going_backwards_interval(store, tmp_path, capsys):
    _bad(store, tmp_path, capsys, "dydx_orders", "i.csv",
         "market,maker,order_id,side,price,size,valid_from,valid_to\n"
         "BTC-USD,0x52908400098527886E0F7030069857D2E4169EE7,o1,BUY,1,1,"
         "2021-08-03T15:00:00Z,2021-08-03T14:00:00Z\n",
         expect=["row 1", "field 'valid_to'", "time goes backwards"])


def test_duplicate_key(store, tmp_path, capsys):
    _bad(store, tmp_path, capsys, "dydx_maker_volume", "d.csv",
         GOOD + "3,ETH-USD,0x52908400098527886e0f7030069857d2e4169ee7,5\n",
         expect=["row 4", "duplicate key", "same as row 1"])


def test_empty_file(store, tmp_path, capsys):
    _bad(store, tmp_path, capsys, "dydx_maker_volume", "e.csv", "", expect=["empty"])


def test_header_only_file(store, tmp_path, capsys):
    _bad(store, tmp_path, capsys, "dydx_maker_volume", "h.csv",
         "epoch,market,maker,volume_usd\n", expect=["no rows"])


def test_unreadable_file(store, tmp_path, capsys):
    _bad(store, tmp_path, capsys, "dydx_maker_volume", "missing.csv", None,
         expect=["cannot read"])


def test_garbage_parquet(store, tmp_path, capsys):
    _bad(store, tmp_path, capsys, "dydx_maker_volume", "g.parquet", b"PAR1\x00\x01garbage",
         expect=["cannot read"])


def test_order_events_import_roundtrip_to_lifetimes(tmp_path, capsys):
    f = tmp_path / "ev.csv"
    f.write_text(EVENTS.format(t="2021-08-03T15:01:00Z"))
    code, _, err = run(["import", "clob_order_events", str(f), "--store", str(tmp_path / "s")],
                       capsys)
    assert code == 0, err
    from indexer.orderbook import rebuild_lifetimes
    lt = rebuild_lifetimes(Store(tmp_path / "s").read("clob_order_events")).to_pylist()
    assert [(str(r["size"].normalize()), r["valid_to"] is None) for r in lt] == [
        ("0.1", False), ("0.05", True)]


def test_typed_parquet_events_roundtrip_exactly(tmp_path, capsys):
    from indexer.generate import generate_dydx_order_events
    from indexer.orderbook import rebuild_lifetimes

    ev = generate_dydx_order_events(seed=2, scale=0.02)
    f = tmp_path / "ev.parquet"
    pq.write_table(ev.sort_by([("signature", "descending")]), f)       # unsorted is fine (D12)
    code, _, err = run(["import", "clob_order_events", str(f), "--store", str(tmp_path / "s")],
                       capsys)
    assert code == 0, err
    stored = Store(tmp_path / "s").read("clob_order_events")
    assert stored.num_rows == ev.num_rows
    assert stored.column("signature").to_pylist() == sorted(ev.column("signature").to_pylist())
    assert rebuild_lifetimes(stored).equals(rebuild_lifetimes(ev))

"""The shared store, checkpoint and retry code (used by the EVM and Solana listeners and the importer)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pyarrow as pa
import pytest

from epochdrop.errors import FailureError, UserError
from indexer import checkpoint as ckpt
from indexer.datasets import get, registry
from indexer.datasets.base import T, coerce
from indexer.retry import (AdaptiveStep, RangeTooLarge, RetryPolicy, RpcError, TransientError,
                           classify_http_status, classify_rpc_error, with_retries)
from indexer.store import Store


def _table(blocks):
    return pa.table({"block_number": pa.array(blocks, pa.int64()),
                     "v": pa.array([str(b * 10**30) for b in blocks])})


def test_chunks_are_atomic_hive_partitioned_and_readable_by_duckdb(tmp_path):
    import duckdb
    st = Store(tmp_path)
    with st.locked():
        st.write_chunk("ds_x", 1, 0, 9, _table([1, 5, 9]))
        st.write_chunk("ds_x", 1, 10, 19, _table([12]), tag="abc")
        st.write_chunk("ds_x", "solana-local", 0, 4, _table([3]))
    names = sorted(p.name for p in (tmp_path / "ds_x" / "chain=1").iterdir())
    assert names == ["ds_x__000000000000_to_000000000009.parquet",
                     "ds_x__000000000010_to_000000000019__abc.parquet"]
    rows = duckdb.sql(f"select chain, block_number, v from read_parquet('{st.glob('ds_x')}', "
                      "hive_partitioning=true) order by chain, block_number").fetchall()
    assert rows == [("1", 1, str(10**30)), ("1", 5, str(5 * 10**30)), ("1", 9, str(9 * 10**30)),
                    ("1", 12, str(12 * 10**30)), ("solana-local", 3, str(3 * 10**30))]
    assert st.read("ds_x", 1).column("block_number").to_pylist() == [1, 5, 9, 12]


def test_rollback_trims_straddling_chunk_and_respects_tags(tmp_path):
    st = Store(tmp_path)
    with st.locked():
        st.write_chunk("ds_x", 1, 0, 9, _table([1, 5, 9]))
        st.write_chunk("ds_x", 1, 10, 19, _table([12, 19]))
        st.write_chunk("ds_x", 1, 0, 19, _table([15]), tag="other")
        assert st.rollback("ds_x", 1, after=5, tag="") == 2
    assert [(c.start, c.end, c.tag) for c in st.chunks("ds_x", 1)] == [(0, 5, ""), (0, 19, "other")]
    assert st.read("ds_x", 1, tag="").column("block_number").to_pylist() == [1, 5]


def test_write_requires_lock_and_second_writer_is_refused(tmp_path):
    st = Store(tmp_path)
    with pytest.raises(RuntimeError):
        st.write_chunk("ds_x", 1, 0, 1, _table([1]))
    with st.locked():
        with pytest.raises(UserError, match="in use by another"):
            with Store(tmp_path).locked():
                pass


def test_lock_of_killed_process_does_not_block_and_partials_are_removed(tmp_path):
    (tmp_path / "ds_x" / "chain=1").mkdir(parents=True)
    partial = tmp_path / "ds_x" / "chain=1" / ".ds_x__000000000000_to_000000000001.parquet.partial.1"
    partial.write_bytes(b"half")
    code = ("import sys,time; sys.path.insert(0, %r)\n"
            "from indexer.store import Store\n"
            "with Store(%r).locked():\n    print('locked', flush=True); time.sleep(60)\n"
            % (str(os.getcwd()), str(tmp_path)))
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    with pytest.raises(UserError):
        with Store(tmp_path).locked():
            pass
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with Store(tmp_path).locked():
        assert not partial.exists()


def test_checkpoint_roundtrip_and_recent_window(tmp_path):
    tag = ckpt.contract_set_tag(["0xAbC0000000000000000000000000000000000001"])
    assert tag == ckpt.contract_set_tag(["0xabc0000000000000000000000000000000000001"])
    assert ckpt.load(tmp_path, "ds", 1, tag) is None
    cp = ckpt.Checkpoint(dataset="ds", chain="1", tag=tag, position=-1, hash=None, start=0,
                         chain_id=1)
    for b in range(300):
        cp.remember(b, f"0x{b:064x}")
    cp.remember(250, "0xreorged")          # re-committing a lower position drops newer pairs
    ckpt.save(tmp_path, cp)
    back = ckpt.load(tmp_path, "ds", 1, tag)
    assert back.position == 250 and back.recent[-1] == [250, "0xreorged"]
    assert back.recent[-2] == [249, f"0x{249:064x}"] and len(back.recent) <= ckpt.RECENT_MAX
    assert ckpt.chain_ids(tmp_path) == {1}


def test_retry_classification():
    assert isinstance(classify_rpc_error(-32005, "query returned more than 10000 results"), RangeTooLarge)
    assert isinstance(classify_rpc_error(-32602, "block range too large"), RangeTooLarge)
    assert isinstance(classify_rpc_error(-32603, "internal error"), TransientError)
    assert isinstance(classify_rpc_error(3, "execution reverted"), RpcError)
    assert isinstance(classify_http_status(429, b"", "1"), TransientError)
    assert classify_http_status(429, b"", "1").retry_after == 1.0
    assert isinstance(classify_http_status(502), TransientError)
    assert classify_http_status(200) is None


def test_with_retries_recovers_then_gives_up_with_a_clear_failure():
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise TransientError("HTTP 502")
        return "ok"

    waits = []
    assert with_retries(flaky, what="eth_getLogs", sleep=waits.append) == "ok"
    assert len(calls) == 3 and len(waits) == 2
    with pytest.raises(FailureError, match=r"eth_chainId: gave up after 3 attempts .*HTTP 429"):
        with_retries(lambda: (_ for _ in ()).throw(TransientError("HTTP 429")),
                     what="eth_chainId", policy=RetryPolicy(attempts=3), sleep=lambda s: None)


def test_adaptive_step():
    step = AdaptiveStep(initial=1000, minimum=1, maximum=4000, target=100)
    assert step.shrink(1000) == 500
    step.success(500, 10)
    assert step.size == 1000
    with pytest.raises(FailureError):
        step.shrink(1)


def test_dataset_declarations_and_coerce():
    reg = registry()
    assert {"erc20_transfers", "curve_swaps", "pool_snapshots", "blocks"} <= set(reg)
    for ds in reg.values():
        names = ds.column_names
        assert len(names) == len(set(names)) and set(ds.key) <= set(names)
        ds.arrow_schema()
    with pytest.raises(UserError, match="unknown dataset 'nope'"):
        get("nope")
    assert coerce(T.UINT256, 2**256 - 1) == str(2**256 - 1)
    assert coerce(T.ADDRESS, "0x" + "ab" * 20) == "0xABaBaBaBABabABabAbAbABAbABabababaBaBABaB"
    for t, bad in ((T.UINT256, -1), (T.UINT256, 1.5), (T.DECIMAL, 0.1), (T.INT, 2**63),
                   (T.ADDRESS, "0x12")):
        with pytest.raises(ValueError):
            coerce(t, bad)
    assert coerce(T.DECIMAL, "12.50") == "12.50"

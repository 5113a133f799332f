"""`--rpc embedded`: the in-process eth-tester chain goes through the same listener path, and
is deterministic (D9): the same activity gives the same block hashes, times and rows."""

from __future__ import annotations

from datetime import datetime, timezone

from tests.support.indexer import ZERO, artifacts, rows_of


def _cli(*args):
    from pipeline.cli import main
    try:
        main(list(args))
    except SystemExit as exc:
        return exc.code
    return 0


def _activity():
    from indexer.evm.embedded import BLOCK_TIME, GENESIS_TIME, embedded_chain
    from tests.support.evm import deploy
    chain = embedded_chain(fresh=True)
    w3 = chain.w3
    art = artifacts()
    tok = deploy(w3, art["TestToken"], "T", "T", 6)
    pool = deploy(w3, art["MockPoolLogic"])
    sent = []
    for i in range(6):
        to = w3.eth.accounts[1 + i % 3]
        rc = w3.eth.wait_for_transaction_receipt(tok.functions.mint(to, 10**20 + i).transact())
        sent.append((rc.blockNumber, to, str(10**20 + i)))
        if i == 2:
            chain.advance_to(GENESIS_TIME + 86_400)           # jump to the next UTC day
    pool.functions.deposit(w3.eth.accounts[4], tok.address, 5, 6, 7).transact()
    return chain, tok, pool, sent, GENESIS_TIME, BLOCK_TIME


def test_embedded_chain_is_indexed_like_a_node_and_is_deterministic(tmp_path):
    runs = []
    for k in range(2):
        chain, tok, pool, sent, genesis, block_time = _activity()
        store = tmp_path / f"s{k}"
        assert _cli("index", "erc20_transfers", "--rpc", "embedded", "--store", str(store),
                    "--contracts", tok.address) == 0
        assert _cli("index", "dhedge_deposits", "--rpc", "embedded", "--store", str(store),
                    "--contracts", pool.address) == 0
        assert _cli("index", "blocks", "--rpc", "embedded", "--store", str(store)) == 0
        rows = rows_of(store, "erc20_transfers")
        assert [(r["block_number"], r["to_address"], r["value"], r["from_address"]) for r in rows] == \
            [(b, to, v, ZERO) for b, to, v in sent]
        blocks = rows_of(store, "blocks", ("block_number",))
        assert blocks[0]["block_time"] == datetime.fromtimestamp(genesis, timezone.utc)
        assert blocks[1]["block_time"] == datetime.fromtimestamp(genesis + block_time, timezone.utc)
        assert any(b["block_time"] == datetime.fromtimestamp(genesis + 86_400, timezone.utc) for b in blocks)
        for r in rows:
            assert r["block_time"] == blocks[r["block_number"]]["block_time"]
        dep = rows_of(store, "dhedge_deposits")
        assert [(d["investor"], d["amount_deposited"], d["fund_tokens_received"]) for d in dep] == \
            [(chain.w3.eth.accounts[4], "5", "7")]
        runs.append((rows, blocks, dep))
    for a, b in zip(runs[0], runs[1]):
        assert [x for x in a if x not in b] == []   # same hashes, same times, same rows
    assert runs[0] == runs[1]

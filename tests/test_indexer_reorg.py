"""Acceptance 5: the node is rewound (evm_snapshot/evm_revert) and mines different blocks;
the next run finds the reorg and the store ends with exactly the canonical chain's rows."""

from __future__ import annotations

import random
from datetime import datetime, timezone

import pytest

from tests.support.evm import REPO, Anvil, compile_contracts, deploy
from tests.support.indexer import ZERO, rows_of, run_cli

pytestmark = pytest.mark.xdist_group("evm_listener_reorg")


def _mint(node, tok, rng, n, mine=(1, 6)):
    """Mint n times with random spacing; returns the rows erc20_transfers must hold."""
    out = []
    for _ in range(n):
        to, amt = node.accounts[rng.randrange(1, 9)], rng.randrange(1, 10**30)
        h = tok.functions.mint(to, amt).transact()
        rc = node.w3.eth.wait_for_transaction_receipt(h, poll_latency=0.01)
        blk = node.w3.eth.get_block(rc.blockNumber)
        out.append(dict(chain_id=31337, block_number=rc.blockNumber,
                        block_hash="0x" + rc.blockHash.hex().removeprefix("0x"),
                        block_time=datetime.fromtimestamp(blk.timestamp, timezone.utc),
                        tx_hash="0x" + rc.transactionHash.hex().removeprefix("0x"),
                        log_index=rc.logs[0].logIndex, contract=tok.address,
                        token_standard="erc20", from_address=ZERO, to_address=to, value=str(amt)))
        node.mine(rng.randrange(*mine))
    return out


def _index(node, store, tok):
    for ds in ("erc20_transfers", "blocks"):
        args = ["index", ds, "--rpc", node.url, "--store", str(store), "--range", "16"]
        if ds == "erc20_transfers":
            args += ["--contracts", tok.address, "--chunk-rows", "7"]
        proc = run_cli(*args)
        assert proc.returncode == 0, proc.stderr
    return proc


def _headers_match(node, store):
    got = rows_of(store, "blocks", ("block_number",))
    head = node.w3.eth.block_number
    assert [r["block_number"] for r in got] == list(range(head + 1))
    for r in got:
        assert r["block_hash"] == "0x" + node.w3.eth.get_block(r["block_number"]).hash.hex().removeprefix("0x")


def test_reorg_between_runs_rolls_back_to_the_canonical_chain(tmp_path):
    rng = random.Random(9)
    store = tmp_path / "store"
    with Anvil() as node:
        tok = deploy(node.w3, compile_contracts([REPO / "contracts/test/TestToken.sol"])["TestToken"],
                     "T", "T", 18)
        base = _mint(node, tok, rng, 25)
        snap = node.rpc("evm_snapshot")
        fork_a = _mint(node, tok, rng, 20)
        _index(node, store, tok)
        assert rows_of(store, "erc20_transfers") == base + fork_a

        # 1. rewind and mine a longer, different chain
        assert node.rpc("evm_revert", [snap]) is True
        fork_b = _mint(node, tok, rng, 30, mine=(2, 8))
        proc = _index(node, store, tok)
        assert rows_of(store, "erc20_transfers") == base + fork_b
        assert "1 reorg(s)" in proc.stderr      # the blocks run found it too
        _headers_match(node, store)

        # 2. rewind again, this time to a shorter chain than the one indexed
        keep = 10
        snap2_block = fork_b[keep]["block_number"] - 1
        node.rpc("anvil_rollback", [node.w3.eth.block_number - snap2_block])
        assert node.w3.eth.block_number == snap2_block
        fork_c = _mint(node, tok, rng, 3, mine=(1, 2))
        assert node.w3.eth.block_number < fork_b[-1]["block_number"]
        _index(node, store, tok)
        assert rows_of(store, "erc20_transfers") == base + fork_b[:keep] + fork_c
        _headers_match(node, store)
        assert not [p for p in store.rglob("*") if ".partial." in p.name]

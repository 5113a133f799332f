"""Batched snapshot reads (issue 19): Multicall3 against plain eth_call on a real node, the
shipped Multicall3 runtime against a fresh compile, the embedded chain's own eth_getLogs
against eth-tester's, and one store file per indexed range.
"""

from __future__ import annotations

import importlib.util
import json

import pytest

from indexer.datasets.reads import calldata
from indexer.evm import multicall
from indexer.evm.rpc import HttpTransport, RpcClient
from tests.support.evm import REPO, Anvil, deploy
from tests.support.indexer import artifacts

pytestmark = pytest.mark.xdist_group("snapshots_multicall")


class Counting(HttpTransport):
    """The real HTTP transport, counting requests."""

    def __init__(self, url):
        super().__init__(url)
        self.sent = 0
        self.biggest = 0

    def send(self, payload: bytes) -> bytes:
        self.sent += 1
        self.biggest = max(self.biggest, len(payload))
        return super().send(payload)


def test_multicall3_runtime_matches_a_fresh_compile() -> None:
    spec = importlib.util.spec_from_file_location("bm", REPO / "scripts/build-multicall3.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    shipped = json.loads(multicall.ARTIFACT.read_text())
    assert shipped == json.loads(json.dumps(mod.build())), \
        "run scripts/build-multicall3.py to refresh indexer/evm/multicall3.json"


def test_aggregate3_answers_equal_plain_calls_in_fewer_requests() -> None:
    """Same (success, returnData) per call through both paths — a balance, a revert, a call
    to an address without code — and aggregate3 needs far fewer HTTP requests. (A node without
    Multicall3 at all: tests/test_indexer_snapshots_deploy.py's plain-eth_call case.)"""
    with Anvil() as node:
        w3, art = node.w3, artifacts()
        tok = deploy(w3, art["TestToken"], "A", "A", 18)
        people = [w3.eth.accounts[i] for i in range(1, 6)]
        for k, p in enumerate(people):
            tok.functions.mint(p, 10**18 * (k + 1)).transact()
        multicall.install(node.rpc)
        node.mine(1)
        block = w3.eth.block_number
        calls = ([(tok.address, calldata("balanceOf(address)", ["address"], [p])) for p in people] * 40
                 + [(tok.address, bytes.fromhex("deadbeef")),                 # no such function
                    ("0x" + "22" * 20, calldata("decimals()"))])             # no code there
        t1, t2 = Counting(node.url), Counting(node.url)
        via_multi = multicall.Reader(RpcClient(t1)).read([(block, calls)])[0]
        plain = multicall.Reader(RpcClient(t2), use_multicall=False).read([(block, calls)])[0]
        assert via_multi == plain
        assert [int.from_bytes(d, "big") for _, d in via_multi[:5]] == [10**18 * (k + 1) for k in range(5)]
        assert via_multi[-2] == (False, b"") and via_multi[-1] == (True, b"")
        assert t1.sent <= 2 < t2.sent     # eth_getCode + one aggregate3 vs ⌈202 / 50⌉ batches


def test_reads_too_big_for_one_request_are_split_under_the_nodes_body_limit() -> None:
    """12,000 reads at one block are 30 aggregate3 calls of 400, ~6 MB as one batch request:
    anvil answers that with a single `Invalid request` object (bench/snapshots.py at 1,000
    investors × 30 days failed so; a 2.1 MB batch is refused too). The client cuts the batch
    into requests under rpc.MAX_BATCH_BYTES, and every read comes back."""
    from indexer.evm import rpc

    with Anvil() as node:
        w3, art = node.w3, artifacts()
        tok = deploy(w3, art["TestToken"], "A", "A", 18)
        people = [w3.eth.accounts[i] for i in range(1, 4)]
        for k, p in enumerate(people):
            tok.functions.mint(p, k + 1).transact()
        multicall.install(node.rpc)
        node.mine(1)
        calls = [(tok.address, calldata("balanceOf(address)", ["address"], [p]))
                 for p in people] * 4000
        t = Counting(node.url)
        client = RpcClient(t)
        got = multicall.Reader(client).read([(w3.eth.block_number, calls)])[0]
        assert [int.from_bytes(d, "big") for _, d in got] == [1, 2, 3] * 4000
        assert all(ok for ok, _ in got)
        # no batch was refused: a refused first batch would have switched the client to one
        # eth_call per aggregate (31+ requests); a refused later one fails the read
        assert client.batch_supported is True
        assert t.biggest <= rpc.MAX_BATCH_BYTES + 4096 and 1 + 5 <= t.sent <= 1 + 8


def test_embedded_get_logs_equal_eth_testers() -> None:
    from indexer.evm.embedded import _hex
    from pipeline.demo.world import simulate

    w = simulate(7, 6, 3)
    from indexer.evm.embedded import current_chain

    chain = current_chain()
    for f in ({"fromBlock": "0x0", "toBlock": hex(w.last_block)},
              {"fromBlock": hex(w.first_block), "address": [p.lower() for p in w.pools]},
              {"fromBlock": "0x0", "address": w.pools[0],
               "topics": [None, "0x" + "00" * 32]}):
        ours = chain.rpc("eth_getLogs", [f])
        q = {k: (int(v, 16) if k.endswith("Block") else v) for k, v in f.items()}
        if "address" in q:
            a = q["address"]
            q["address"] = [chain.w3.to_checksum_address(x) for x in a] if isinstance(a, list) \
                else chain.w3.to_checksum_address(a)
        ref = [_hex(dict(lg)) for lg in chain.w3.eth.get_logs(q)]
        for d in ref:
            d["address"] = d["address"].lower()
        assert ours == ref and ours


def test_snapshots_write_one_file_per_indexed_range(tmp_path) -> None:
    """Several days of pool_snapshots land in one chunk covering the whole range; the
    checkpoint ends at the range's last block, so indexing it again writes nothing new."""
    from indexer.store import Store
    from tests.support.indexer import run_cli

    with Anvil("--timestamp", "1700000000") as node:
        multicall.install(node.rpc)
        w3, art = node.w3, artifacts()
        tok = deploy(w3, art["TestToken"], "A", "A", 18)
        pool = deploy(w3, art["MockPoolLogic"])
        for d in range(4):
            pool.functions.deposit(w3.eth.accounts[d + 1], tok.address, 1, 1, 10**18).transact()
            node.rpc("evm_increaseTime", [hex(86_400)])
            node.mine(2)
        store = tmp_path / "store"
        for ds in ("dhedge_deposits", "pool_token_transfers", "pool_snapshots"):
            r = run_cli("index", ds, "--rpc", node.url, "--store", str(store), "--contracts", pool.address)
            assert r.returncode == 0, r.stderr
        head = w3.eth.block_number
        chunks = Store(store).chunks("pool_snapshots", w3.eth.chain_id)
        assert len(chunks) == 1 and chunks[0].start == 0 and chunks[0].end == head
        days = {r["day"] for r in Store(store).read("pool_snapshots").to_pylist()}
        assert len(days) >= 3
        r = run_cli("index", "pool_snapshots", "--rpc", node.url, "--store", str(store),
                    "--contracts", pool.address)
        assert r.returncode == 0, r.stderr
        assert Store(store).chunks("pool_snapshots", w3.eth.chain_id) == chunks

"""The embedded chain: eth-tester on py-evm, in process, spoken to as raw JSON-RPC.

`--rpc embedded` runs the listener's normal code path (`RpcClient` → a transport that takes
and returns JSON-RPC bytes) against this chain, so the demo (issue 7) needs no server.
Deterministic per DECISIONS D9: genesis time is fixed (GENESIS_TIME) and each block comes
BLOCK_TIME seconds after its parent (or at the time given to `advance_to`, to jump whole
days for daily snapshots without mining thousands of blocks); py-evm's random post-merge `mix_hash` is replaced by
keccak(block number), so the same transactions give the same block hashes on every run.
Multicall3's read interface sits at its canonical address from genesis (indexer/evm/multicall.py).

    from indexer.evm.embedded import embedded_chain
    chain = embedded_chain()      # one per process; chain.w3 is a web3 instance on it
    token = chain.w3.eth.contract(...).constructor(...).transact()
    chain.rpc("eth_blockNumber", [])   # raw JSON-RPC result (hex strings)
"""

from __future__ import annotations

import threading
from typing import Any

import orjson
from eth_tester import EthereumTester, PyEVMBackend
from eth_utils import keccak, to_canonical_address
from web3 import EthereumTesterProvider, Web3

from indexer.evm.multicall import ADDRESS as MULTICALL3
from indexer.evm.multicall import runtime_code as multicall3_runtime

GENESIS_TIME = 1_704_067_200      # 2024-01-01 00:00:00 UTC
BLOCK_TIME = 12
CHAIN_ID = 0x776562337079         # eth-tester's default chain id ("web3py")


class DeterministicBackend(PyEVMBackend):
    """py-evm with fixed block times and a mix_hash derived from the block number."""

    def __init__(self):
        # Multicall3 at its canonical address from genesis, as on mainnet and most chains,
        # so snapshots read through aggregate3 here too (indexer/evm/multicall.py).
        state = dict(PyEVMBackend.generate_genesis_state())
        state[to_canonical_address(MULTICALL3)] = {
            "balance": 0, "nonce": 1, "storage": {},
            "code": bytes.fromhex(multicall3_runtime()[2:])}
        super().__init__(genesis_parameters=PyEVMBackend.generate_genesis_params(
            overrides={"timestamp": GENESIS_TIME, "gas_limit": 30_000_000}), genesis_state=state)
        self.next_time: int | None = None
        self._pin_pending()

    def _pin_pending(self) -> None:
        """Give the pending block its final timestamp now: transactions executed in it
        read `block.timestamp`, so it must not be wall-clock time (py-evm's default)."""
        ts = self.chain.get_canonical_head().timestamp + BLOCK_TIME
        if self.next_time is not None:
            ts = max(ts, self.next_time)
        self.chain.header = self.chain.header.copy(timestamp=ts)

    def time_travel(self, to_timestamp):
        self.next_time = int(to_timestamp)
        self._pin_pending()
        self.mine_blocks()
        return to_timestamp

    def mine_blocks(self, num_blocks=1, coinbase=b"\0" * 20):
        hashes = []
        for _ in range(num_blocks):
            number = self.chain.header.block_number
            self._pin_pending()
            self.next_time = None
            block = self.chain.mine_block(coinbase=coinbase,
                                          mix_hash=keccak(number.to_bytes(32, "big")))
            hashes.append(block.hash)
            self._pin_pending()
        return tuple(hashes)


def _hex(v: Any) -> Any:
    """web3's Python values back to JSON-RPC's shapes (quantities as hex, bytes as hex)."""
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, int):
        return hex(v)
    if isinstance(v, (bytes, bytearray)):
        return "0x" + bytes(v).hex()
    if isinstance(v, (list, tuple)):
        return [_hex(x) for x in v]
    if isinstance(v, dict) or hasattr(v, "items"):
        return {_camel(k): _hex(x) for k, x in v.items()}
    return v


def _camel(k: str) -> str:
    head, *rest = k.split("_")
    return head + "".join(p.title() for p in rest)


class EmbeddedTransport:
    """JSON-RPC bytes in, bytes out, served by web3 over eth-tester (one lock: not thread-safe)."""

    url = "embedded"

    def __init__(self, w3: Web3):
        self.w3 = w3
        self._lock = threading.Lock()
        self._logs: dict[int, list[dict]] = {}

    def _one(self, req: dict) -> dict:
        method, params = req.get("method"), req.get("params") or []
        try:
            with self._lock:
                result = self._dispatch(method, params)
            return {"jsonrpc": "2.0", "id": req.get("id"), "result": result}
        except Exception as exc:  # surfaces as a JSON-RPC error, as a node would send it
            code = 3 if "revert" in str(exc).lower() or type(exc).__name__.startswith(
                ("ContractLogic", "ContractPanic")) else -32603
            return {"jsonrpc": "2.0", "id": req.get("id"),
                    "error": {"code": code, "message": f"{type(exc).__name__}: {exc}"}}

    def _dispatch(self, method: str, params: list) -> Any:
        eth = self.w3.eth
        if method == "eth_chainId":
            return hex(eth.chain_id)
        if method == "eth_blockNumber":
            return hex(eth.block_number)
        if method == "eth_getBlockByNumber":
            tag = params[0]
            ident = int(tag, 16) if tag.startswith("0x") else tag
            try:
                blk = eth.get_block(ident, bool(params[1]) if len(params) > 1 else False)
            except Exception:
                return None
            return _hex(dict(blk))
        if method == "eth_getCode":
            return "0x" + bytes(eth.get_code(params[0], _block(params[1]))).hex()
        if method == "eth_call":
            return "0x" + bytes(eth.call(params[0], _block(params[1]))).hex()
        if method == "eth_getLogs":
            return self._get_logs(dict(params[0]) if params else {})
        raise ValueError(f"method {method} not supported by the embedded chain")

    def _get_logs(self, f: dict) -> list[dict]:
        """eth_getLogs from py-evm's blocks and receipts, one block at a time, each block's
        logs kept once built (mined blocks never change here: no reorg API, and a fresh
        chain gets a fresh transport). eth-tester's own get_logs finds each receipt's
        transaction by scanning every block from genesis — O(blocks × transactions), minutes
        for the demo's month — so the logs are built here in eth-tester's shape
        (eth_tester/backends/pyevm/serializers.py `serialize_log`: log index within the
        receipt), which tests/test_snapshots_multicall.py checks against eth-tester's."""
        head = self.w3.eth.block_number

        def number(tag, default):
            if tag is None:
                return default
            if isinstance(tag, str) and tag.startswith("0x"):
                return int(tag, 16)
            return 0 if tag == "earliest" else head
        lo, hi = number(f.get("fromBlock"), head), min(number(f.get("toBlock"), head), head)
        addrs = f.get("address")
        addrs = None if not addrs else {a.lower() for a in ([addrs] if isinstance(addrs, str) else addrs)}
        topics = f.get("topics") or []
        out = []
        for n in range(lo, hi + 1):
            for lg in self._block_logs(n):
                if addrs is not None and lg["address"] not in addrs:
                    continue
                if all(want is None or (lg["topics"][i] if i < len(lg["topics"]) else None)
                       in ([want] if isinstance(want, str) else want)
                       for i, want in enumerate(topics)):
                    out.append(dict(lg))
        return out

    def _block_logs(self, n: int) -> list[dict]:
        got = self._logs.get(n)
        if got is None:
            chain = self.w3.provider.ethereum_tester.backend.chain
            block = chain.get_canonical_block_by_number(n)
            receipts = block.get_receipts(chain.chaindb)
            bhash = "0x" + block.hash.hex()
            got = self._logs[n] = [
                {"type": "mined", "logIndex": hex(li), "transactionIndex": hex(ti),
                 "transactionHash": "0x" + tx.hash.hex(), "blockHash": bhash,
                 "blockNumber": hex(n), "address": "0x" + lg.address.hex(),
                 "data": "0x" + lg.data.hex(),
                 "topics": ["0x" + t.to_bytes(32, "big").hex() for t in lg.topics]}
                for ti, (tx, rc) in enumerate(zip(block.transactions, receipts))
                for li, lg in enumerate(rc.logs)]
        return got

    def send(self, payload: bytes) -> bytes:
        req = orjson.loads(payload)
        if isinstance(req, list):
            return orjson.dumps([self._one(r) for r in req])
        return orjson.dumps(self._one(req))


def _block(tag: str) -> Any:
    return int(tag, 16) if isinstance(tag, str) and tag.startswith("0x") else tag


class EmbeddedChain:
    def __init__(self):
        self.tester = EthereumTester(DeterministicBackend())
        self.w3 = Web3(EthereumTesterProvider(self.tester))
        self.w3.eth.default_account = self.w3.eth.accounts[0]
        self.transport = EmbeddedTransport(self.w3)

    def rpc(self, method: str, params: list | None = None) -> Any:
        resp = orjson.loads(self.transport.send(orjson.dumps(
            {"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []})))
        if "error" in resp:
            raise RuntimeError(resp["error"]["message"])
        return resp["result"]

    def mine(self, blocks: int = 1) -> None:
        self.tester.mine_blocks(blocks)

    def advance_to(self, timestamp: int) -> None:
        """Mine one block at `timestamp` (or BLOCK_TIME after its parent if that is later)."""
        self.tester.backend.time_travel(timestamp)


_CHAIN: EmbeddedChain | None = None


def embedded_chain(*, fresh: bool = False) -> EmbeddedChain:
    """The process's embedded chain (created on first use; `fresh=True` starts a new one)."""
    global _CHAIN
    if _CHAIN is None or fresh:
        _CHAIN = EmbeddedChain()
    return _CHAIN


def current_chain() -> EmbeddedChain | None:
    """The process's embedded chain if one was created, else None (creates nothing)."""
    return _CHAIN

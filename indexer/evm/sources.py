"""What one listener step fetches for a block range: logs (event datasets) or headers (blocks).

Each `fetch(lo, hi, checks)` returns a `Fetched` with the range's rows-to-be, the hash of
block `hi`, and the current hashes of the `checks` blocks — all from one batched request
where the node batches, so reorg checks cost no extra round trip.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from indexer.datasets.base import Dataset
from indexer.evm.blocks import headers
from indexer.evm.decode import LogDecoder
from indexer.evm.rpc import RpcClient
from indexer.retry import TransientError


@dataclass
class Fetched:
    lo: int
    hi: int
    hi_hash: str
    checks: dict[int, str]
    payload: Any
    items: int = 0
    extra: dict = field(default_factory=dict)


class LogSource:
    def __init__(self, client: RpcClient, ds: Dataset, chain_id: int, contracts: list[str]):
        self.client, self.ds = client, ds
        self.decoder = LogDecoder(ds, chain_id)
        self.filter_base: dict = {"topics": [self.decoder.topic0s]}
        if contracts:
            self.filter_base["address"] = [c.lower() for c in contracts]

    def fetch(self, lo: int, hi: int, checks: list[int]) -> Fetched:
        flt = dict(self.filter_base, fromBlock=hex(lo), toBlock=hex(hi))
        calls = [("eth_getLogs", [flt]), ("eth_getBlockByNumber", [hex(hi), False])]
        calls += [("eth_getBlockByNumber", [hex(c), False]) for c in checks]
        res = self.client.batch(calls)
        logs, hi_raw = res[0], res[1]
        if not isinstance(logs, list) or hi_raw is None:
            raise TransientError(f"malformed eth_getLogs/eth_getBlockByNumber answer for {lo}-{hi}")
        hi_hash = hi_raw["hash"]
        check_hashes = {c: (r or {}).get("hash") for c, r in zip(checks, res[2:])}
        hi_hex = hex(hi)
        for lg in logs:   # logs and header from different forks: ask again
            if lg.get("blockNumber") == hi_hex and lg.get("blockHash") != hi_hash:
                raise TransientError(f"logs of block {hi} and its header disagree (reorg in flight)")
        missing = sorted({int(lg["blockNumber"], 16) for lg in logs if "blockTimestamp" not in lg})
        if missing:
            hs = headers(self.client, missing)
            for lg in logs:
                if "blockTimestamp" not in lg:
                    h = hs[int(lg["blockNumber"], 16)]
                    if h.hash != lg["blockHash"]:
                        raise TransientError("log and header hashes differ (reorg in flight)")
                    lg["blockTimestamp"] = hex(h.timestamp)
        return Fetched(lo, hi, hi_hash, check_hashes, logs, len(logs))

    def decode_into(self, fetched: Fetched, cols: dict[str, list]) -> int:
        return self.decoder.decode_into(fetched.payload, cols)

    @property
    def unmatched(self):
        return self.decoder.unmatched


class HeaderSource:
    """The `blocks` dataset: every header in the range."""

    def __init__(self, client: RpcClient, ds: Dataset, chain_id: int):
        self.client, self.ds, self.chain_id = client, ds, chain_id
        self.unmatched: dict = {}

    def fetch(self, lo: int, hi: int, checks: list[int]) -> Fetched:
        nums = list(range(lo, hi + 1))
        hs = headers(self.client, nums + [c for c in checks if c not in nums])
        for n in range(lo + 1, hi + 1):
            if hs[n].parent_hash != hs[n - 1].hash:
                raise TransientError(f"headers {n - 1}/{n} do not chain (reorg in flight)")
        return Fetched(lo, hi, hs[hi].hash, {c: hs[c].hash for c in checks},
                       [hs[n] for n in nums], len(nums))

    def decode_into(self, fetched: Fetched, cols: dict[str, list]) -> int:
        for h in fetched.payload:
            cols["chain_id"].append(self.chain_id)
            cols["block_number"].append(h.number)
            cols["block_hash"].append(h.hash)
            cols["parent_hash"].append(h.parent_hash)
            cols["block_time"].append(h.timestamp * 1_000_000)
        return len(fetched.payload)

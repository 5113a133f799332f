"""Block headers: batched fetch, and the first block at or after a UTC instant.

`BlockClock.block_at` is a binary search over block timestamps (they never decrease), with
every header it reads kept in memory and every answer that is already final (below
head − confirmations) cached in `<store>/_state/block_at_time/chain=<id>.json`, so daily and
weekly snapshot blocks cost O(log n) calls once and nothing afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import orjson

from epochdrop.errors import FailureError
from epochdrop.fsio import atomic_write_json
from indexer.evm.rpc import RpcClient

BATCH = 200


@dataclass(frozen=True)
class Header:
    number: int
    hash: str
    parent_hash: str
    timestamp: int


def _header(raw: dict | None, n: int) -> Header:
    if raw is None:
        raise FailureError(f"the node has no block {n} (pruned, or behind its own head?)")
    return Header(int(raw["number"], 16), raw["hash"], raw["parentHash"], int(raw["timestamp"], 16))


def headers(client: RpcClient, numbers: list[int]) -> dict[int, Header]:
    """Headers of `numbers`, in batches (one round trip per BATCH when the node batches)."""
    out: dict[int, Header] = {}
    for i in range(0, len(numbers), BATCH):
        part = numbers[i:i + BATCH]
        res = client.batch([("eth_getBlockByNumber", [hex(n), False]) for n in part])
        for n, raw in zip(part, res):
            out[n] = _header(raw, n)
    return out


class BlockClock:
    def __init__(self, client: RpcClient, chain_id: int, store_root: str | Path | None = None):
        self.client, self.chain_id = client, chain_id
        self._mem: dict[int, Header] = {}
        self._path = (Path(store_root) / "_state" / "block_at_time" / f"chain={chain_id}.json"
                      if store_root is not None else None)
        self._cache: dict[str, int] = {}
        if self._path is not None and self._path.exists():
            self._cache = orjson.loads(self._path.read_bytes())

    def header(self, n: int) -> Header:
        h = self._mem.get(n)
        if h is None:
            h = self._mem[n] = headers(self.client, [n])[n]
        return h

    def block_at(self, ts: int, final: int) -> int | None:
        """First block ≤ `final` with timestamp ≥ ts, or None if `final` is still earlier."""
        key = str(ts)
        if key in self._cache and self._cache[key] <= final:
            return self._cache[key]
        if self.header(final).timestamp < ts:
            return None
        lo, hi = 0, final                       # invariant: answer in [lo, hi]
        while lo < hi:
            mid = (lo + hi) // 2
            if self.header(mid).timestamp >= ts:
                hi = mid
            else:
                lo = mid + 1
        if self._path is not None:
            self._cache[key] = lo
        return lo

    def save(self) -> None:
        """Persist the cache (call under the store lock)."""
        if self._path is not None and self._cache:
            atomic_write_json(self._path, dict(sorted(self._cache.items())))

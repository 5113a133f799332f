"""Many contract reads at one block in few round trips: Multicall3 `aggregate3`, else batches.

Why: a daily snapshot is one `eth_call` per (contract, holder); sent one by one, the node's
per-request overhead (HTTP, JSON, and on eth-tester a whole state set-up per call) dominates.
Multicall3 (mds1/multicall, at 0xcA11bde05977b3631167028862bE2a173976CA11 on Ethereum and most
EVM chains) runs a list of calls inside ONE `eth_call`; `aggregate3` with `allowFailure = true`
gives each call's own (success, returnData), so a revert (Curve's `coins(i)` past the last coin)
stays a per-call answer. Several aggregate3 calls (one per block and per CHUNK calls) travel as
one JSON-RPC batch request (`RpcClient.batch`, which falls back to single requests when the node
refuses batches).

Where Multicall3 has no code at the block (a chain without it, or a block before it was deployed
— mainnet block 14,353,601), the same calls go as a JSON-RPC batch of plain `eth_call`s, and an
item that errors is re-sent alone (with the client's retries) to tell a revert from a fault.

A call to an address without code succeeds with empty returnData in both paths (EVM CALL
semantics; a node's eth_call answers "0x"), so callers treat b"" as "nothing there".

On the chains epochdrop starts itself (the embedded demo chain, anvil in tests) `install`
places the runtime code of contracts/multicall/Multicall3.sol — the same selectors and ABI,
compiled by scripts/build-multicall3.py — at the canonical address.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode

from indexer.retry import RangeTooLarge, RpcError

ADDRESS = "0xcA11bde05977b3631167028862bE2a173976CA11"
AGGREGATE3 = bytes.fromhex("82ad56cb")   # aggregate3((address,bool,bytes)[])
CHUNK = 400                              # calls per aggregate3: well under a node's gas cap
BATCH = 50                               # eth_calls per JSON-RPC batch request
ARTIFACT = Path(__file__).with_name("multicall3.json")


def runtime_code() -> str:
    """The runtime bytecode `install` places at ADDRESS (hex with 0x)."""
    return json.loads(ARTIFACT.read_text())["runtime"]


@dataclass
class Reader:
    """Reads (to, calldata) lists at a block; remembers where Multicall3 has code.

    `use_multicall=False` forces the plain-batch path (the bench's raw figure, tests)."""

    client: object
    use_multicall: bool = True
    deployed_from: int | None = None        # lowest block seen with Multicall3's code
    absent_upto: int = -1                   # highest block seen without it
    stats: dict = field(default_factory=lambda: {"calls": 0, "multicall": 0, "plain": 0})
    log: list | None = None                 # when a list: every (block, calls) read (benches)

    def _has_multicall(self, block: int) -> bool:
        if not self.use_multicall:
            return False
        if self.deployed_from is not None and block >= self.deployed_from:
            return True
        if block <= self.absent_upto:
            return False
        code = self.client.call("eth_getCode", [ADDRESS, hex(block)])
        if code not in (None, "", "0x", "0x0"):
            self.deployed_from = block if self.deployed_from is None else min(block, self.deployed_from)
            return True
        self.absent_upto = max(self.absent_upto, block)
        return False

    def read(self, requests: list[tuple[int, list[tuple[str, bytes]]]]) -> list[list[tuple[bool, bytes]]]:
        """[(block, [(to, calldata), ...]), ...] → per request, [(success, returnData), ...]."""
        out: list[list | None] = [None] * len(requests)
        multi, plain = [], []
        if self.log is not None:
            self.log += requests
        for k, (block, calls) in enumerate(requests):
            self.stats["calls"] += len(calls)
            (multi if calls and self._has_multicall(block) else plain).append(k)
        # Multicall3: one eth_call per (block, CHUNK calls), those eth_calls batched.
        jobs = [(k, i) for k in multi for i in range(0, len(requests[k][1]), CHUNK)]
        answers: dict[tuple[int, int], list] = {}
        for j in range(0, len(jobs), BATCH):
            part = jobs[j:j + BATCH]
            payload = [("eth_call", [{"to": ADDRESS, "data": "0x" + (AGGREGATE3 + abi_encode(
                ["(address,bool,bytes)[]"], [[(to, True, data) for to, data in
                                             requests[k][1][i:i + CHUNK]]])).hex()},
                                     hex(requests[k][0])]) for k, i in part]
            try:
                res = self.client.batch(payload)
            except (RpcError, RangeTooLarge):
                res = [None] * len(part)        # the whole aggregate failed: plain calls below
            for (k, i), r in zip(part, res):
                answers[(k, i)] = (None if r is None else
                                   [(bool(ok), bytes(data)) for ok, data in
                                    abi_decode(["(bool,bytes)[]"], bytes.fromhex(r[2:]))[0]])
        for k in multi:
            got = []
            for i in range(0, len(requests[k][1]), CHUNK):
                a = answers[(k, i)]
                if a is None:
                    a = self._plain(requests[k][0], requests[k][1][i:i + CHUNK])
                got += a
            self.stats["multicall"] += 1
            out[k] = got
        for k in plain:
            out[k] = self._plain(*requests[k])
            self.stats["plain"] += 1
        return out

    def _plain(self, block: int, calls: list[tuple[str, bytes]]) -> list[tuple[bool, bytes]]:
        """The same calls as JSON-RPC batches of eth_call; an erroring batch item is re-sent
        alone so a revert (success False) is told apart from a fault (raised)."""
        out = []
        for j in range(0, len(calls), BATCH):
            part = calls[j:j + BATCH]
            payload = [("eth_call", [{"to": to, "data": "0x" + data.hex()}, hex(block)])
                       for to, data in part]
            try:
                out += [(True, bytes.fromhex(r[2:])) for r in self.client.batch(payload)]
            except RpcError:
                for (m, p) in payload:
                    try:
                        out.append((True, bytes.fromhex(self.client.call(m, p)[2:])))
                    except RpcError:
                        out.append((False, b""))
        return out


def install(rpc, method: str = "anvil_setCode") -> None:
    """Place Multicall3's runtime code at ADDRESS on a test node (`rpc(method, params)`)."""
    rpc(method, [ADDRESS, runtime_code()])

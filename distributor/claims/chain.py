"""Live reads for `serve`: what a cumulative distributor has already paid an account.

One `eth_call` of `cumulativeClaimed(address)` (CumulativeMerkleDistributor.sol) over plain
JSON-RPC with httpx: web3.py's formatters cost far more than the call itself (FACTS.md) and
the proof API should not pull a web3 provider into every worker.
"""

from __future__ import annotations

import sha3

_CLAIMED = sha3.keccak_256(b"cumulativeClaimed(address)").digest()[:4]


class ChainError(RuntimeError):
    """The RPC did not answer usefully; the API reports it as 502."""


class ClaimedReader:
    def __init__(self, rpc_url: str, contracts: dict[str, str], timeout: float = 5.0):
        import httpx  # only when --rpc is given: ~0.3 s of import per worker otherwise

        self._httpx = httpx
        self.rpc_url = rpc_url
        self.contracts = contracts  # program -> distributor address
        self._client = httpx.AsyncClient(timeout=timeout)

    def contract_for(self, program: str) -> str | None:
        return self.contracts.get(program)

    async def claimed(self, program: str, account_key: bytes) -> int | None:
        """Cumulative amount already paid to the account, or None if no contract is set."""
        to = self.contracts.get(program)
        if to is None:
            return None
        data = "0x" + (_CLAIMED + account_key.rjust(32, b"\0")).hex()
        payload = {"jsonrpc": "2.0", "id": 1, "method": "eth_call",
                   "params": [{"to": to, "data": data}, "latest"]}
        try:
            resp = await self._client.post(self.rpc_url, json=payload)
            body = resp.json()
        except (self._httpx.HTTPError, ValueError) as exc:
            raise ChainError(f"RPC {self.rpc_url} unreachable: {type(exc).__name__}") from None
        if "error" in body or not isinstance(body.get("result"), str):
            raise ChainError(f"eth_call to {to} failed: {body.get('error')}")
        result = body["result"]
        return int(result, 16) if result not in ("0x", "") else 0

    async def aclose(self) -> None:
        await self._client.aclose()

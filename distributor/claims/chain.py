"""Talking to the chain: the one place `deploy`, `publish` and `serve` reach an RPC.

- `connect` / `send_signed` / `redact_url`: what `deploy` and `publish` (and the Safe path)
  share: one way to open the RPC and fail with one line, one way to sign, send and wait for
  a receipt, and never an API key from the URL in any output.
- `ClaimedReader`: live reads for `serve`, what a cumulative distributor has already paid an
  account. One `eth_call` of `cumulativeClaimed(address)` (CumulativeMerkleDistributor.sol)
  over plain JSON-RPC with httpx: web3.py's formatters cost far more than the call itself
  (FACTS.md) and the proof API should not pull a web3 provider into every worker.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import sha3

from epochdrop.errors import FailureError
from epochdrop.urls import check_url

ABI_DIR = Path(__file__).resolve().parents[2] / "contracts_abi"


def abi(name: str) -> list:
    """A checked-in ABI from contracts_abi/ (the distributor's is held to its source by a test)."""
    return json.loads((ABI_DIR / name).read_text())


def redact_url(url: str) -> str:
    """RPC URLs often embed an API key in the path or query: keep scheme://host:port."""
    p = urlsplit(url)
    return f"{p.scheme}://{p.hostname or ''}{f':{p.port}' if p.port else ''}"


def connect(rpc: str):
    """(web3, chain id) for `rpc`, or one FailureError line naming the (redacted) RPC."""
    from web3 import Web3  # heavy: only the commands that send transactions pay for it

    check_url(rpc, "--rpc")  # issue 20: not `RPC :// did not answer (MissingSchema)`
    w3 = Web3(Web3.HTTPProvider(rpc, request_kwargs={"timeout": 30}))
    try:
        return w3, w3.eth.chain_id
    except Exception as exc:  # noqa: BLE001 - connection errors of several libraries
        raise FailureError(f"RPC {redact_url(rpc)} did not answer ({type(exc).__name__})") from None


def send_signed(w3, signer, tx: dict, *, timeout: float = 120) -> dict:
    """Sign `tx` with `signer` (keys.Signer), send it, wait for a successful receipt."""
    raw = signer.sign(tx)
    try:
        tx_hash = w3.eth.send_raw_transaction(raw)
    except Exception as exc:  # noqa: BLE001 - the RPC's refusal text, never the key
        raise FailureError(f"the RPC refused the transaction: {exc}") from None
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=timeout)
    if receipt["status"] != 1:
        raise FailureError(f"transaction 0x{tx_hash.hex().removeprefix('0x')} reverted in "
                           f"block {receipt['blockNumber']}")
    return receipt

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

"""`epochdrop deploy`: put the bundled CumulativeMerkleDistributor on a chain.

The creation bytecode ships in CumulativeMerkleDistributor.json next to this module, built
from contracts/CumulativeMerkleDistributor.sol by scripts/build-distributor-contract.py
(npm solc) and held to the source by tests/test_publish.py, so deploying needs no compiler.
Like `publish` it plans first and sends only with `--send`, signing with the same key
sources (keys.py). What can be checked is checked before a transaction exists: the RPC
answers, the token is a contract with ERC-20 `decimals()` (a distributor for a non-token
could never pay), the owner is an address. The leaf format (`packed` or `oz`) is fixed at
deployment and must match the scheme of the trees it will take (`publish` checks it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from eth_utils import is_address, to_checksum_address

from distributor.claims.chain import abi, connect, send_signed
from distributor.claims.keys import Signer
from distributor.claims.publish import SCHEMES
from epochdrop.errors import FailureError, UserError

ARTIFACT = Path(__file__).resolve().parent / "CumulativeMerkleDistributor.json"


def artifact() -> dict:
    """{abi, bytecode, source, source_sha256, compiler} of the bundled contract."""
    return json.loads(ARTIFACT.read_text())


@dataclass
class DeployPlan:
    token: str
    symbol: str | None
    decimals: int
    scheme: str
    owner: str
    sender: str
    chain_id: int
    tx: dict
    checks: list[str] = field(default_factory=list)
    w3: object = field(default=None, repr=False)  # the connection the checks used


def _address(flag: str, value: str) -> str:
    if not is_address(value):
        raise UserError(f"{flag} {value!r} is not an address (0x followed by 40 hex digits)")
    return to_checksum_address(value)


def make_plan(token: str, rpc: str, *, signer: Signer | None, owner: str | None = None,
              scheme: str = "packed", w3=None) -> DeployPlan:
    """Check the inputs against the chain and build the unsigned creation transaction."""
    token = _address("--token", token)
    if scheme not in SCHEMES:
        raise UserError(f"--scheme {scheme!r}: the distributor checks `packed` or `oz` leaves")
    if owner is not None:
        owner = _address("--owner", owner)
    elif signer is not None:
        owner = signer.address
    else:
        raise UserError("give --owner ADDR, or a key ($EPOCHDROP_PRIVATE_KEY or --keystore) "
                        "whose address will own the distributor")
    sender = signer.address if signer else owner
    if w3 is None:  # the flags' shape above first, then the chain
        w3, chain_id = connect(rpc)
    else:
        chain_id = w3.eth.chain_id
    checks = [f"chain id {chain_id}"]
    if w3.eth.get_code(token) in (b"", None):
        raise UserError(f"--token {token}: no contract there on chain {chain_id}")
    erc20 = w3.eth.contract(address=token, abi=abi("erc20.json"))
    try:
        decimals = erc20.functions.decimals().call()
    except Exception:  # noqa: BLE001 - any revert or bad return: not an ERC-20
        raise UserError(f"--token {token} does not answer ERC-20 decimals(); is it a "
                        "token?") from None
    try:
        symbol = erc20.functions.symbol().call()
    except Exception:  # noqa: BLE001 - symbol() is optional in ERC-20
        symbol = None
    checks.append(f"token {token} ({symbol or 'no symbol'}, {decimals} decimals)")
    checks.append(f"owner {owner}" + (" (the key)" if signer and owner == signer.address else ""))
    art = artifact()
    factory = w3.eth.contract(abi=art["abi"], bytecode=art["bytecode"])
    try:
        tx = factory.constructor(token, SCHEMES[scheme], owner).build_transaction(
            {"from": sender, "chainId": chain_id, "nonce": w3.eth.get_transaction_count(sender)})
    except Exception as exc:  # noqa: BLE001 - gas estimation runs the constructor
        raise FailureError(f"the deployment would fail: {type(exc).__name__}: {exc}") from None
    return DeployPlan(token, symbol, decimals, scheme, owner, sender, chain_id, tx, checks, w3)


def describe(plan: DeployPlan) -> list[str]:
    tx = plan.tx
    fees = {k: tx[k] for k in ("gasPrice", "maxFeePerGas", "maxPriorityFeePerGas") if k in tx}
    art = artifact()
    return [f"check  {c}" for c in plan.checks] + [
        f"tx     deploy CumulativeMerkleDistributor(token={plan.token}, "
        f"leafFormat={plan.scheme}, owner={plan.owner})",
        f"       from {tx['from']} chain {tx['chainId']} nonce {tx['nonce']} gas {tx['gas']} "
        + " ".join(f"{k} {v}" for k, v in fees.items()),
        f"       bytecode {len(art['bytecode']) // 2 - 1} bytes from {art['source']} "
        f"(sha256 {art['source_sha256'][:16]}…, {art['compiler']})"]


def send(plan: DeployPlan, signer: Signer, w3) -> dict:
    """Deploy, then read the new contract back: token, leaf format and owner as planned."""
    receipt = send_signed(w3, signer, plan.tx)
    address = receipt["contractAddress"]
    dist = w3.eth.contract(address=address, abi=artifact()["abi"])
    got = (dist.functions.token().call(), dist.functions.leafFormat().call(),
           dist.functions.owner().call())
    if got != (plan.token, SCHEMES[plan.scheme], plan.owner):
        raise FailureError(f"the contract at {address} reads back {got}, not what was planned")
    return {"address": address, "tx": "0x" + bytes(receipt["transactionHash"]).hex(),
            "block": receipt["blockNumber"], "gas_used": receipt["gasUsed"]}

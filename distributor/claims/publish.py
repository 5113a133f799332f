"""`epochdrop publish`: put an epoch's root on a CumulativeMerkleDistributor, safely.

Everything that can be checked is checked before a transaction exists, in the order that
names the most basic mistake first: the RPC's chain id against the manifest, that the
address holds our distributor, its token against the manifest's, the token's decimals
(tokens sent with the wrong decimals are a classic loss: DESIGN "Distribution"), the leaf
scheme, that the contract's balance covers what the root can still pay, and that the root
is not already set. Then the transaction is shown (cryo's "plan before the work"); only
`--send` signs it (keys.py), waits for the receipt and reads the root back.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit


from distributor.claims.keys import Signer
from epochdrop.addresses import checksum
from epochdrop.errors import FailureError, UserError
from epochdrop.manifest import read_manifest
from epochdrop.urls import check_url

ABI_DIR = Path(__file__).resolve().parents[2] / "contracts_abi"
SCHEMES = {"packed": 0, "oz": 1}  # CumulativeMerkleDistributor.LeafFormat


def _abi(name: str) -> list:
    return json.loads((ABI_DIR / name).read_text())


def redact_url(url: str) -> str:
    """RPC URLs often embed an API key in the path or query: keep scheme://host:port."""
    p = urlsplit(url)
    return f"{p.scheme}://{p.hostname or ''}{f':{p.port}' if p.port else ''}"


def parse_expiry(value) -> int:
    """Unix seconds from an int, digits, or an ISO-8601 date/time (UTC if no zone); 0 = never."""
    if value is None or value == "":
        return 0
    if isinstance(value, int) or str(value).isdigit():
        return int(value)
    try:
        dt = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise UserError(f"expiry {value!r}: give unix seconds or an ISO-8601 date "
                        "(2026-12-31T00:00:00Z)") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return int(dt.timestamp())


@dataclass
class Plan:
    folder: Path
    root: str
    expiry: int
    contract: str
    chain_id: int
    sender: str
    tx: dict
    checks: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def make_plan(folder: Path, contract: str, rpc: str, *, signer: Signer | None,
              expiry: str | None = None, decimals: int | None = None, w3=None) -> Plan:
    """Run every check and build the unsigned transaction; raises UserError on any problem."""
    from web3 import Web3

    man = read_manifest(folder)
    root, scheme = man.get("root"), man.get("scheme")
    if scheme not in SCHEMES or man.get("leaf_encoding") not in (None, ["address", "uint256"]):
        raise UserError(f"{folder}: scheme {scheme} ({man.get('leaf_encoding')}) cannot be paid "
                        "by CumulativeMerkleDistributor; build with --scheme packed or oz")
    if man.get("chain_id") is None or not man.get("token"):
        raise UserError(f"{folder}: the manifest names no chain id or token; rebuild with "
                        "--chain-id and --token so publish can check them")
    contract = checksum(contract, field="--contract")
    if w3 is None:
        check_url(rpc, "--rpc")   # issue 20: not `RPC :// did not answer (MissingSchema)`
    w3 = w3 or Web3(Web3.HTTPProvider(rpc, request_kwargs={"timeout": 30}))
    try:
        chain_id = w3.eth.chain_id
    except Exception as exc:  # noqa: BLE001 - connection errors of several libraries
        raise FailureError(f"RPC {redact_url(rpc)} did not answer ({type(exc).__name__})") from None
    checks: list[str] = []
    if chain_id != int(man["chain_id"]):
        raise UserError(f"wrong chain: the RPC is chain {chain_id}, the manifest says "
                        f"{man['chain_id']}; use an RPC of chain {man['chain_id']}")
    checks.append(f"chain id {chain_id} = manifest")
    if w3.eth.get_code(contract) in (b"", None):
        raise UserError(f"no contract at {contract} on chain {chain_id}")
    dist = w3.eth.contract(address=contract, abi=_abi("CumulativeMerkleDistributor.json"))
    try:
        token = dist.functions.token().call()
        leaf_format = dist.functions.leafFormat().call()
    except Exception:  # noqa: BLE001
        raise UserError(f"{contract} is not a CumulativeMerkleDistributor (no token()/leafFormat())") from None
    if token.lower() != man["token"].lower():
        raise UserError(f"wrong token: the contract pays {token}, the manifest says "
                        f"{man['token']}")
    checks.append(f"token {token} = manifest")
    erc20 = w3.eth.contract(address=token, abi=_abi("erc20.json"))
    token_decimals = erc20.functions.decimals().call()
    want = man.get("decimals") if man.get("decimals") is not None else decimals
    if want is None:
        raise UserError(f"the manifest records no decimals (amounts were given in base units); "
                        f"the token has {token_decimals}: pass --decimals {token_decimals} to "
                        "confirm the amounts are meant for it")
    if int(want) != token_decimals:
        raise UserError(f"wrong decimals: the token has {token_decimals}, the epoch was built "
                        f"for {want}; amounts would be off by 10^{abs(token_decimals - int(want))}")
    checks.append(f"token decimals {token_decimals} = {'manifest' if man.get('decimals') is not None else '--decimals'}")
    if leaf_format != SCHEMES[scheme]:
        names = {v: k for k, v in SCHEMES.items()}
        raise UserError(f"wrong scheme: the contract checks {names.get(leaf_format)} leaves, the "
                        f"epoch is {scheme}")
    checks.append(f"leaf scheme {scheme} = contract")
    current = "0x" + bytes(dist.functions.merkleRoot().call()).hex()
    if current == root.lower():
        raise UserError(f"root {root} is already set on {contract}; nothing to publish")
    if int(current, 16) != 0 and not man.get("cumulative"):
        raise UserError(f"{contract} already holds root {current} and this epoch is not "
                        "cumulative (built without --previous): its amounts would be paid "
                        "as all-time totals; rebuild it with --previous")
    checks.append(f"root not yet set (current {current})")
    total = int(man["total"])
    paid = dist.functions.totalClaimed().call()
    balance = erc20.functions.balanceOf(contract).call()
    need = max(total - paid, 0)
    if balance < need:
        raise UserError(f"underfunded: {contract} holds {balance} base units; the root's total "
                        f"{total} minus {paid} already paid needs {need}; send "
                        f"{need - balance} more first")
    checks.append(f"balance {balance} >= {need} still payable (total {total} - paid {paid})")
    notes = []
    prev = (man.get("cumulative") or {}).get("root")
    if prev and int(current, 16) != 0 and prev.lower() != current:
        notes.append(f"the contract's root {current} is not this epoch's previous root {prev} "
                     "(an epoch was skipped or published elsewhere); cumulative amounts still "
                     "pay only the difference")
    exp = parse_expiry(expiry if expiry is not None else man.get("expiry"))
    if exp and exp <= int(w3.eth.get_block("latest")["timestamp"]):
        raise UserError(f"expiry {exp} is in the past; claims would be refused at once")
    owner = dist.functions.owner().call()
    sender = signer.address if signer else owner
    if signer is not None and signer.address != owner:
        raise UserError(f"the key ({signer.address}) is not the contract owner ({owner})")
    checks.append(f"sender {sender} is the owner")
    call = dist.functions.setMerkleRoot(bytes.fromhex(root[2:]), exp)
    tx = call.build_transaction({"from": sender, "chainId": chain_id,
                                 "nonce": w3.eth.get_transaction_count(sender)})
    return Plan(folder, root, exp, contract, chain_id, sender, tx, checks, notes)


def describe(plan: Plan) -> list[str]:
    tx = plan.tx
    fees = {k: tx[k] for k in ("gasPrice", "maxFeePerGas", "maxPriorityFeePerGas") if k in tx}
    return ([f"check  {c}" for c in plan.checks] + [f"note   {n}" for n in plan.notes] + [
        f"tx     setMerkleRoot({plan.root}, expiry={plan.expiry})",
        f"       to {tx['to']} from {tx['from']} chain {tx['chainId']} nonce {tx['nonce']} "
        f"gas {tx['gas']} " + " ".join(f"{k} {v}" for k, v in fees.items()),
        f"       data {tx['data']}"])


def send(plan: Plan, signer: Signer, w3, *, timeout: float = 120) -> dict:
    """Sign, send, wait for the receipt, read the root back; returns what happened."""
    raw = signer.sign(plan.tx)
    try:
        tx_hash = w3.eth.send_raw_transaction(raw)
    except Exception as exc:  # noqa: BLE001 - the RPC's refusal text, never the key
        raise FailureError(f"the RPC refused the transaction: {exc}") from None
    t0 = time.monotonic()
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=timeout)
    if receipt["status"] != 1:
        raise FailureError(f"transaction {tx_hash.hex()} reverted in block {receipt['blockNumber']}")
    dist = w3.eth.contract(address=plan.contract, abi=_abi("CumulativeMerkleDistributor.json"))
    onchain = "0x" + bytes(dist.functions.merkleRoot().call()).hex()
    if onchain != plan.root.lower():
        raise FailureError(f"after {tx_hash.hex()} the contract holds {onchain}, not {plan.root}")
    return {"tx": "0x" + tx_hash.hex().removeprefix("0x"), "block": receipt["blockNumber"],
            "gas_used": receipt["gasUsed"], "root": onchain,
            "seconds": round(time.monotonic() - t0, 2)}

"""Publishing a root through a Safe multisig, the way DAOs own their distributors.

Two steps, as a DAO works:
1. `batch()` writes the plan's `setMerkleRoot` call as a Safe{Wallet} Transaction Builder
   batch file (the JSON its "Transaction Builder" app imports: version, chainId, createdAt,
   meta with the Safe address and a checksum, and transactions with `contractMethod` and
   `contractInputsValues`; format and checksum rule from safe-global/safe-react-apps,
   apps/tx-builder/src/lib/checksum.ts). Owners review and sign it in their wallets.
2. `execute()` does the same without a browser: it reads the batch file back (so what runs
   is what the owners would have imported), encodes each call from its method and values
   (eth-abi), signs the Safe's EIP-712 `SafeTx` hash with owner keys from the environment
   (keys.SAFE_KEYS_ENV), checks the hash against the Safe's own `getTransactionHash`, and
   sends `execTransaction` (Safe 1.3/1.4 contracts, e.g. npm @safe-global/safe-contracts).

Plain eth-abi and eth-account rather than safe-eth-py (DECISIONS D29): one call, one Safe
version family, and no Django-era dependency tree for it.
"""

from __future__ import annotations

import json
from pathlib import Path

from eth_abi import encode
from eth_account.messages import encode_typed_data
from eth_utils import function_signature_to_4byte_selector, keccak, to_checksum_address

from distributor.claims.chain import abi, send_signed
from distributor.claims.keys import Signer
from epochdrop.errors import FailureError, UserError
from epochdrop.fsio import atomic_write_json

BATCH_VERSION = "1.0"
TX_BUILDER_VERSION = "1.16.5"
ZERO = "0x" + "0" * 40
SAFE_TX_TYPES = {
    "EIP712Domain": [{"name": "chainId", "type": "uint256"},
                     {"name": "verifyingContract", "type": "address"}],
    "SafeTx": [{"name": n, "type": t} for n, t in (
        ("to", "address"), ("value", "uint256"), ("data", "bytes"), ("operation", "uint8"),
        ("safeTxGas", "uint256"), ("baseGas", "uint256"), ("gasPrice", "uint256"),
        ("gasToken", "address"), ("refundReceiver", "address"), ("nonce", "uint256"))],
}


# -- the Transaction Builder file --------------------------------------------------------
def _serialize(value) -> str:
    """The tx-builder's `serializeJSONObject`: sorted keys listed first, then each value."""
    if isinstance(value, list):
        return "[" + ",".join(_serialize(v) for v in value) + "]"
    if isinstance(value, dict):
        keys = sorted(value)
        return ("{" + json.dumps(keys, separators=(",", ":"), ensure_ascii=False)
                + "".join(_serialize(value[k]) + "," for k in keys) + "}")
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def checksum(batch: dict) -> str:
    """keccak256 of the serialised batch with `meta.name` null and no checksum (tx-builder)."""
    meta = {k: v for k, v in batch["meta"].items() if k != "checksum"}
    return "0x" + keccak(text=_serialize({**batch, "meta": {**meta, "name": None}})).hex()


def _function_abi(contract_abi: list, name: str) -> dict:
    return next(e for e in contract_abi if e.get("type") == "function" and e["name"] == name)


def _value_text(value) -> str:
    return "0x" + value.hex() if isinstance(value, (bytes, bytearray)) else str(value)


def batch(*, chain_id: int, safe: str, to: str, contract_abi: list, method: str, args: list,
          created_at_ms: int, name: str, description: str) -> dict:
    """One-call Transaction Builder batch. `created_at_ms` is passed in (the chain's block
    time) so the same plan writes the same bytes."""
    fn = _function_abi(contract_abi, method)
    out = {
        "version": BATCH_VERSION,
        "chainId": str(chain_id),
        "createdAt": int(created_at_ms),
        "meta": {"name": name, "description": description, "txBuilderVersion": TX_BUILDER_VERSION,
                 "createdFromSafeAddress": to_checksum_address(safe),
                 "createdFromOwnerAddress": ""},
        "transactions": [{
            "to": to_checksum_address(to), "value": "0", "data": None,
            "contractMethod": {"inputs": [{"internalType": i.get("internalType", i["type"]),
                                           "name": i["name"], "type": i["type"]}
                                          for i in fn["inputs"]],
                               "name": method, "payable": fn.get("stateMutability") == "payable"},
            "contractInputsValues": {i["name"]: _value_text(a) for i, a in zip(fn["inputs"], args)},
        }],
    }
    out["meta"]["checksum"] = checksum(out)
    return out


def write_batch(path: Path, data: dict) -> None:
    atomic_write_json(Path(path), data)


def _arg(typ: str, text: str, where: str):
    """A Transaction Builder input value (always a string) as eth-abi wants it."""
    try:
        if typ == "address":
            return to_checksum_address(text)
        if typ.startswith(("uint", "int")):
            return int(text, 0)
        if typ == "bool":
            return {"true": True, "false": False}[text.lower()]
        if typ.startswith("bytes"):
            return bytes.fromhex(text.removeprefix("0x"))
        if typ == "string":
            return text
    except (ValueError, KeyError):
        raise UserError(f"{where}: {text!r} is not a {typ}") from None
    raise UserError(f"{where}: input type {typ} is not supported here")


def calls(data: dict, source: str) -> list[tuple[str, int, bytes]]:
    """(to, value, calldata) of each transaction of a batch file, checksum checked."""
    if data.get("meta", {}).get("checksum") and checksum(data) != data["meta"]["checksum"]:
        raise UserError(f"{source}: its checksum does not match its contents (edited?)")
    out = []
    for n, tx in enumerate(data.get("transactions") or []):
        where = f"{source} transaction {n + 1}"
        m = tx.get("contractMethod")
        if m is None:
            calldata = bytes.fromhex((tx.get("data") or "0x").removeprefix("0x"))
        else:
            types = [i["type"] for i in m["inputs"]]
            vals = [_arg(i["type"], tx["contractInputsValues"][i["name"]], where) for i in m["inputs"]]
            calldata = (function_signature_to_4byte_selector(f"{m['name']}({','.join(types)})")
                        + encode(types, vals))
        out.append((to_checksum_address(tx["to"]), int(tx.get("value") or 0), calldata))
    if len(out) != 1:
        raise UserError(f"{source}: holds {len(out)} transactions; execute takes one "
                        "(a MultiSend batch is for the Safe{Wallet} app)")
    return out


# -- executing through the Safe ----------------------------------------------------------
def safe_tx_message(chain_id: int, safe: str, to: str, value: int, data: bytes,
                    nonce: int) -> dict:
    """The EIP-712 `SafeTx` the owners sign (Safe 1.3+: domain = chainId + Safe address)."""
    return {"types": SAFE_TX_TYPES, "primaryType": "SafeTx",
            "domain": {"chainId": chain_id, "verifyingContract": to_checksum_address(safe)},
            "message": {"to": to_checksum_address(to), "value": value, "data": data,
                        "operation": 0, "safeTxGas": 0, "baseGas": 0, "gasPrice": 0,
                        "gasToken": ZERO, "refundReceiver": ZERO, "nonce": nonce}}


def execute(w3, safe: str, data: dict, source: str, owners: list[Signer],
            executor: Signer) -> dict:
    """Sign the batch's one call with `owners` (at least the Safe's threshold) and have
    `executor` send `execTransaction`; returns the receipt's facts."""
    safe = to_checksum_address(safe)
    contract = w3.eth.contract(address=safe, abi=abi("safe.json"))
    try:
        threshold = contract.functions.getThreshold().call()
        safe_owners = {o.lower() for o in contract.functions.getOwners().call()}
        nonce = contract.functions.nonce().call()
    except Exception:  # noqa: BLE001
        raise UserError(f"--safe {safe} is not a Safe (no getThreshold/getOwners/nonce)") from None
    chain_id = w3.eth.chain_id
    if str(chain_id) != str(data.get("chainId")):
        raise UserError(f"{source}: made for chain {data.get('chainId')}, the RPC is chain {chain_id}")
    strangers = [s.address for s in owners if s.address.lower() not in safe_owners]
    if strangers:
        raise UserError(f"{', '.join(strangers)} not an owner of Safe {safe}")
    unique = {s.address.lower(): s for s in owners}
    if len(unique) < threshold:
        raise UserError(f"Safe {safe} needs {threshold} owner signatures; the environment gives "
                        f"{len(unique)} owner key(s)")
    (to, value, calldata), = calls(data, source)
    message = safe_tx_message(chain_id, safe, to, value, calldata, nonce)
    digest = encode_typed_data(full_message=message)
    ours = keccak(b"\x19\x01" + digest.header + digest.body)
    theirs = bytes(contract.functions.getTransactionHash(
        to, value, calldata, 0, 0, 0, 0, ZERO, ZERO, nonce).call())
    if ours != theirs:
        raise FailureError(f"Safe {safe} hashes the transaction as 0x{theirs.hex()}, not "
                           f"0x{ours.hex()}; is it a Safe 1.3 or later?")
    # Safe checks signatures in ascending owner order (OwnerManager, checkNSignatures).
    signers = sorted(unique.items())[:threshold]
    signatures = b"".join(s.sign_typed(message) for _, s in signers)
    tx = contract.functions.execTransaction(to, value, calldata, 0, 0, 0, 0, ZERO, ZERO,
                                            signatures).build_transaction(
        {"from": executor.address, "chainId": chain_id,
         "nonce": w3.eth.get_transaction_count(executor.address)})
    receipt = send_signed(w3, executor, tx)
    from web3.logs import DISCARD  # the inner call's logs are not the Safe's events

    ok = contract.events.ExecutionSuccess().process_receipt(receipt, errors=DISCARD)
    if not ok:
        raise FailureError(f"Safe {safe} ran the transaction but the call failed "
                           "(ExecutionFailure)")
    return {"tx": "0x" + bytes(receipt["transactionHash"]).hex(), "block": receipt["blockNumber"],
            "gas_used": receipt["gasUsed"], "safe_tx_hash": "0x" + ours.hex(),
            "safe_nonce": nonce, "signers": [s.address for _, s in signers]}

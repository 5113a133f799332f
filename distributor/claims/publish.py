"""`epochdrop publish`: put an epoch's root on a CumulativeMerkleDistributor, safely.

Everything that can be checked is checked before a transaction exists, in the order that
names the most basic mistake first: that the epoch names its token (the `[token]` section),
the RPC's chain id against the manifest, that the address holds our distributor, its token
against the manifest's, the token's decimals (tokens sent with the wrong decimals are a
classic loss: DESIGN "Distribution"), the leaf scheme, that the contract's balance covers
what the root can still pay, and that the root is not already set. Then the transaction is
shown (cryo's "plan before the work"); only `--send` signs it (keys.py), waits for the
receipt and reads the root back. With `--safe` the owner is a Safe multisig: the plan
becomes a Transaction Builder batch (safe.py), executed with owner keys on `--send`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path


from distributor.claims import safe as safe_tx
from distributor.claims.chain import abi as _abi_file, connect, redact_url, send_signed
from distributor.claims.keys import Signer
from epochdrop.addresses import checksum
from epochdrop.errors import FailureError, UserError
from epochdrop.folder import read_manifest
from epochdrop.urls import check_url

SCHEMES = {"packed": 0, "oz": 1}  # CumulativeMerkleDistributor.LeafFormat
TOKEN_HINT = ("add a [token] section to the program's config (address = \"0x…\", symbol = "
              "\"…\", decimals = N; chain_id defaults to [sources] chain_id) and run again, or "
              "rebuild a `tree build` folder with --token ADDR --chain-id N --token-symbol SYM "
              "--token-decimals D")


def _abi(name: str) -> list:
    return _abi_file(name)


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


@dataclass(frozen=True)
class EpochFacts:
    """What publish needs from an epoch folder, whatever wrote it (tree build or run)."""

    label: str
    root: str | None
    scheme: str | None
    leaf: list | None
    total: int
    cumulative: bool
    previous_root: str | None
    expiry: object
    token: str | None
    symbol: str | None
    decimals: int | None
    chain_id: int | None
    distributor: str | None


def epoch_facts(folder: Path) -> EpochFacts:
    """What publish reads of the folder's manifest (epochdrop/folder), `run` and `tree
    build` folders alike."""
    m = read_manifest(folder)
    tree, token = m.tree, m.token
    return EpochFacts(
        label=m.label, root=m.root, scheme=m.scheme, leaf=tree.leaf if tree else None,
        total=int(tree.total) if tree else 0, cumulative=bool(tree and tree.cumulative),
        previous_root=tree.previous_root if tree else None,
        expiry=tree.expiry if tree else None,
        token=token.address if token else None, symbol=token.symbol if token else None,
        decimals=token.decimals if token else None, chain_id=m.chain_id,
        distributor=m.distributor.address if m.distributor else None)


@dataclass
class Plan:
    folder: Path
    facts: EpochFacts
    root: str
    expiry: int
    contract: str
    chain_id: int
    sender: str          # the owner that sends setMerkleRoot: the key's address or the Safe
    tx: dict
    checks: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    safe: str | None = None
    w3: object = field(default=None, repr=False)  # the connection the checks used


def _require_token(folder: Path, f: EpochFacts) -> None:
    """`publish` checks the contract against the token; without one there is nothing to
    check it against (issue 13: one line naming the [token] keys to add). Missing decimals
    are asked for later, once the token's own are known (`--decimals N` confirms them)."""
    missing = [k for k, v in (("address", f.token), ("chain_id", f.chain_id)) if v is None]
    if missing:
        raise UserError(f"{folder}: the manifest's token section lacks {' and '.join(missing)}; "
                        + TOKEN_HINT)


def _address(flag: str, value: str) -> str:
    return checksum(value, field=flag)  # epochdrop/addresses.py: one rule, one message


def make_plan(folder: Path, contract: str | None, rpc: str, *, signer: Signer | None,
              expiry: str | None = None, decimals: int | None = None, safe: str | None = None,
              w3=None) -> Plan:
    """Run every check and build the unsigned transaction; raises UserError on any problem.
    The flags' own shape first (issue 20: say what is wrong with the flag, not with what it
    led to), then the folder, then the chain."""
    contract = _address("--contract", contract) if contract is not None else None
    safe = _address("--safe", safe) if safe is not None else None
    if w3 is None:
        check_url(rpc, "--rpc")
    f = epoch_facts(folder)
    if f.root is None:
        raise UserError(f"{folder}: epoch {f.label} has no Merkle tree (its program's scheme "
                        "is `none`, or nobody was paid); there is no root to publish")
    if f.scheme not in SCHEMES or (f.leaf or ["address", "uint256"]) != ["address", "uint256"]:
        raise UserError(f"{folder}: scheme {f.scheme} ({f.leaf}) cannot be paid "
                        "by CumulativeMerkleDistributor; build with --scheme packed or oz")
    _require_token(folder, f)
    if contract is None and f.distributor is None:
        raise UserError("--contract is missing and the manifest names no distributor "
                        "([distributor] address)")
    contract = contract or _address("the manifest's distributor", f.distributor)
    if w3 is None:
        w3, chain_id = connect(rpc)
    else:
        chain_id = w3.eth.chain_id
    checks: list[str] = []
    if chain_id != int(f.chain_id):
        raise UserError(f"wrong chain: the RPC is chain {chain_id}, the manifest says "
                        f"{f.chain_id}; use an RPC of chain {f.chain_id}")
    checks.append(f"chain id {chain_id} = manifest")
    if w3.eth.get_code(contract) in (b"", None):
        raise UserError(f"no contract at {contract} on chain {chain_id}")
    dist = w3.eth.contract(address=contract, abi=_abi("CumulativeMerkleDistributor.json"))
    try:
        token = dist.functions.token().call()
        leaf_format = dist.functions.leafFormat().call()
    except Exception:  # noqa: BLE001
        raise UserError(f"{contract} is not a CumulativeMerkleDistributor (no token()/leafFormat())") from None
    if token.lower() != f.token.lower():
        raise UserError(f"wrong token: the contract pays {token}, the manifest says {f.token}")
    checks.append(f"token {token} = manifest")
    erc20 = w3.eth.contract(address=token, abi=_abi("erc20.json"))
    token_decimals = erc20.functions.decimals().call()
    decimals_from = "manifest" if f.decimals is not None else "--decimals"
    if f.decimals is None and decimals is None:
        raise UserError(f"the manifest records no token decimals (amounts were given in base "
                        f"units); the token has {token_decimals}: pass --decimals "
                        f"{token_decimals} to confirm the amounts are meant for it")
    if f.decimals is None:
        f = EpochFacts(**{**f.__dict__, "decimals": decimals})
    if int(f.decimals) != token_decimals:
        raise UserError(f"wrong decimals: the token has {token_decimals}, the epoch was built "
                        f"for {f.decimals}; amounts would be off by "
                        f"10^{abs(token_decimals - int(f.decimals))}")
    checks.append(f"token decimals {token_decimals} = {decimals_from}")
    notes = []
    if f.symbol:
        try:
            symbol = erc20.functions.symbol().call()
        except Exception:  # noqa: BLE001 - symbol() is optional in ERC-20
            symbol = None
        if symbol is not None and symbol != f.symbol:
            notes.append(f"the token's symbol is {symbol!r}, the manifest says {f.symbol!r}")
    if leaf_format != SCHEMES[f.scheme]:
        names = {v: k for k, v in SCHEMES.items()}
        raise UserError(f"wrong scheme: the contract checks {names.get(leaf_format)} leaves, the "
                        f"epoch is {f.scheme}")
    checks.append(f"leaf scheme {f.scheme} = contract")
    root = f.root
    current = "0x" + bytes(dist.functions.merkleRoot().call()).hex()
    if current == root.lower():
        raise UserError(f"root {root} is already set on {contract}; nothing to publish")
    if int(current, 16) != 0 and not f.cumulative:
        raise UserError(f"{contract} already holds root {current} and this epoch is not "
                        "cumulative (built without --previous): its amounts would be paid "
                        "as all-time totals; rebuild it with --previous")
    checks.append(f"root not yet set (current {current})")
    paid = dist.functions.totalClaimed().call()
    balance = erc20.functions.balanceOf(contract).call()
    need = max(f.total - paid, 0)
    if balance < need:
        raise UserError(f"underfunded: {contract} holds {balance} base units; the root's total "
                        f"{f.total} minus {paid} already paid needs {need}; send "
                        f"{need - balance} more first")
    checks.append(f"balance {balance} >= {need} still payable (total {f.total} - paid {paid})")
    prev = f.previous_root
    if prev and int(current, 16) != 0 and prev.lower() != current:
        notes.append(f"the contract's root {current} is not this epoch's previous root {prev} "
                     "(an epoch was skipped or published elsewhere); cumulative amounts still "
                     "pay only the difference")
    exp = parse_expiry(expiry if expiry is not None else f.expiry)
    if exp and exp <= int(w3.eth.get_block("latest")["timestamp"]):
        raise UserError(f"expiry {exp} is in the past; claims would be refused at once")
    owner = dist.functions.owner().call()
    if safe is not None:
        if safe != owner:
            raise UserError(f"the Safe {safe} is not the contract owner ({owner})")
        sender = safe
        checks.append(f"Safe {safe} is the owner")
    else:
        sender = signer.address if signer else owner
        if signer is not None and signer.address != owner:
            raise UserError(f"the key ({signer.address}) is not the contract owner ({owner})")
        checks.append(f"sender {sender} is the owner")
    call = dist.functions.setMerkleRoot(bytes.fromhex(root[2:]), exp)
    tx = call.build_transaction({"from": sender, "chainId": chain_id,
                                 "nonce": w3.eth.get_transaction_count(sender)})
    return Plan(folder, f, root, exp, contract, chain_id, sender, tx, checks, notes, safe, w3)


def describe(plan: Plan) -> list[str]:
    tx = plan.tx
    fees = {k: tx[k] for k in ("gasPrice", "maxFeePerGas", "maxPriorityFeePerGas") if k in tx}
    via = f" through Safe {plan.safe}" if plan.safe else ""
    return ([f"check  {c}" for c in plan.checks] + [f"note   {n}" for n in plan.notes] + [
        f"tx     setMerkleRoot({plan.root}, expiry={plan.expiry}){via}",
        f"       to {tx['to']} from {tx['from']} chain {tx['chainId']} "
        + ("" if plan.safe else f"nonce {tx['nonce']} ")  # a Safe's own nonce is set at execution
        + f"gas {tx['gas']} " + " ".join(f"{k} {v}" for k, v in fees.items()),
        f"       data {tx['data']}"])


def read_root(w3, contract: str) -> str:
    dist = w3.eth.contract(address=contract, abi=_abi("CumulativeMerkleDistributor.json"))
    return "0x" + bytes(dist.functions.merkleRoot().call()).hex()


def send(plan: Plan, signer: Signer, w3, *, timeout: float = 120) -> dict:
    """Sign, send, wait for the receipt, read the root back; returns what happened."""
    t0 = time.monotonic()
    receipt = send_signed(w3, signer, plan.tx, timeout=timeout)
    tx_hash = "0x" + bytes(receipt["transactionHash"]).hex()
    onchain = read_root(w3, plan.contract)
    if onchain != plan.root.lower():
        raise FailureError(f"after {tx_hash} the contract holds {onchain}, not {plan.root}")
    return {"tx": tx_hash, "block": receipt["blockNumber"], "gas_used": receipt["gasUsed"],
            "root": onchain, "seconds": round(time.monotonic() - t0, 2)}


def safe_batch(plan: Plan, w3) -> dict:
    """The plan's call as a Safe Transaction Builder batch (safe.py); `createdAt` is the
    chain's latest block time, so one plan writes the same bytes."""
    created = int(w3.eth.get_block("latest")["timestamp"]) * 1000
    return safe_tx.batch(chain_id=plan.chain_id, safe=plan.safe, to=plan.contract,
                      contract_abi=_abi("CumulativeMerkleDistributor.json"),
                      method="setMerkleRoot", args=[bytes.fromhex(plan.root[2:]), plan.expiry],
                      created_at_ms=created, name=f"epochdrop publish {plan.facts.label}",
                      description=f"setMerkleRoot {plan.root} (expiry {plan.expiry}) on "
                                  f"{plan.contract}; checks: " + "; ".join(plan.checks))

"""A real Safe multisig on anvil, from npm @safe-global/safe-contracts' compiled artifacts
(Safe 1.4.1 singleton + SafeProxyFactory), set up the way Safe{Wallet} does: a proxy created
by the factory with `setup(owners, threshold, …)` as its initializer."""

from __future__ import annotations

import json

from web3 import Web3
from web3.logs import DISCARD

from tests.support.evm import NODE_MODULES

ARTIFACTS = NODE_MODULES / "@safe-global/safe-contracts/build/artifacts/contracts"
ZERO = "0x" + "0" * 40


def artifact(rel: str) -> dict:
    return json.loads((ARTIFACTS / rel).read_text())


def _deploy(w3: Web3, art: dict, *args):
    factory = w3.eth.contract(abi=art["abi"], bytecode=art["bytecode"])
    receipt = w3.eth.wait_for_transaction_receipt(factory.constructor(*args).transact())
    assert receipt["status"] == 1
    return w3.eth.contract(address=receipt.contractAddress, abi=art["abi"])


def deploy_safe(w3: Web3, owners: list[str], threshold: int, salt: int = 0):
    """A Safe proxy owned by `owners` with `threshold`; returns the web3 contract."""
    singleton_art = artifact("Safe.sol/Safe.json")
    singleton = _deploy(w3, singleton_art)
    factory = _deploy(w3, artifact("proxies/SafeProxyFactory.sol/SafeProxyFactory.json"))
    setup = singleton.encode_abi("setup", [owners, threshold, ZERO, b"", ZERO, ZERO, 0, ZERO])
    tx = factory.functions.createProxyWithNonce(singleton.address, setup, salt).transact()
    receipt = w3.eth.wait_for_transaction_receipt(tx)
    assert receipt["status"] == 1
    proxy = factory.events.ProxyCreation().process_receipt(receipt, errors=DISCARD)[0]["args"]["proxy"]
    return w3.eth.contract(address=proxy, abi=singleton_art["abi"])

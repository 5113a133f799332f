#!/usr/bin/env python3
"""Compile contracts/multicall/Multicall3.sol (npm solc) into indexer/evm/multicall3.json.

The snapshot reader places this runtime code at Multicall3's canonical address on the chains
epochdrop starts itself (the embedded demo chain; anvil in tests, with anvil_setCode), so it
needs the *runtime* bytes: the creation code is run once on a throwaway eth-tester chain and
the deployed code read back. Shipping the result keeps `make demo` free of Node;
tests/test_snapshots_multicall.py rebuilds and compares, so the file cannot drift from the
source. Run: .venv/bin/python scripts/build-multicall3.py
"""
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.evm import compile_contracts  # noqa: E402

SOURCE = REPO / "contracts/multicall/Multicall3.sol"


def build() -> dict:
    from eth_tester import EthereumTester
    from web3 import EthereumTesterProvider, Web3

    art = compile_contracts([SOURCE])["Multicall3"]
    w3 = Web3(EthereumTesterProvider(EthereumTester()))
    tx = w3.eth.contract(abi=art["abi"], bytecode=art["bytecode"]).constructor().transact(
        {"from": w3.eth.accounts[0]})
    addr = w3.eth.wait_for_transaction_receipt(tx).contractAddress
    return {"format": "epochdrop-multicall3-v1", "source": SOURCE.relative_to(REPO).as_posix(),
            "runtime": "0x" + bytes(w3.eth.get_code(addr)).hex()}


if __name__ == "__main__":
    out = REPO / "indexer/evm/multicall3.json"
    out.write_text(json.dumps(build(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {out.relative_to(REPO)}")

#!/usr/bin/env python3
"""Compile contracts/CumulativeMerkleDistributor.sol (npm solc) into the files `epochdrop
deploy` and `publish` read, so neither needs a compiler at run time:

    distributor/claims/CumulativeMerkleDistributor.json   abi + creation bytecode (deploy)
    contracts_abi/CumulativeMerkleDistributor.json        abi alone (publish, serve)
    contracts_abi/safe.json                               the part of Safe 1.4.1's abi that
                                                          `publish --safe` calls (npm
                                                          @safe-global/safe-contracts)

The same solc settings as the tests' compiler (tests/support/solc_compile.js: optimizer 200
runs, evmVersion paris). tests/test_publish.py recompiles and compares both files byte for
byte, so they cannot drift from the source. Run: .venv/bin/python scripts/build-distributor-contract.py
"""
import hashlib
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.evm import compile_contracts  # noqa: E402

SOURCE = REPO / "contracts/CumulativeMerkleDistributor.sol"
ARTIFACT = REPO / "distributor/claims/CumulativeMerkleDistributor.json"
ABI = REPO / "contracts_abi/CumulativeMerkleDistributor.json"
SAFE_ABI = REPO / "contracts_abi/safe.json"
SAFE_ARTIFACT = REPO / "node_modules/@safe-global/safe-contracts/build/artifacts/contracts/Safe.sol/Safe.json"
SAFE_NAMES = {"VERSION", "getOwners", "getThreshold", "nonce", "getTransactionHash",
              "execTransaction", "ExecutionSuccess", "ExecutionFailure"}


def solc_version() -> str:
    return json.loads((REPO / "node_modules/solc/package.json").read_text())["version"]


def build() -> dict[Path, str]:
    """{file: text} of both outputs (pure apart from the compile)."""
    art = compile_contracts([SOURCE])["CumulativeMerkleDistributor"]
    artifact = {"format": "epochdrop-contract-v1", "contract": "CumulativeMerkleDistributor",
                "source": SOURCE.relative_to(REPO).as_posix(),
                "source_sha256": hashlib.sha256(SOURCE.read_bytes()).hexdigest(),
                "compiler": f"solc {solc_version()} (npm), optimizer 200 runs, evm paris",
                "abi": art["abi"], "bytecode": art["bytecode"]}
    safe = [e for e in json.loads(SAFE_ARTIFACT.read_text())["abi"] if e.get("name") in SAFE_NAMES]
    return {ARTIFACT: json.dumps(artifact, indent=1, sort_keys=True) + "\n",
            ABI: json.dumps(art["abi"], indent=2) + "\n",
            SAFE_ABI: json.dumps(safe, indent=1, sort_keys=True) + "\n"}


if __name__ == "__main__":
    for path, text in build().items():
        path.write_text(text)
        print(f"wrote {path.relative_to(REPO)}")

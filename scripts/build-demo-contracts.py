#!/usr/bin/env python3
"""Compile the demo's emitter contracts (npm solc) into pipeline/demo/contracts.json.

`epochdrop demo` deploys these on the embedded chain; shipping the compiled ABI and bytecode
keeps `make demo` free of Node. tests/test_workflow_demo.py recompiles and compares, so the
file cannot drift from contracts/test/*.sol. Run: .venv/bin/python scripts/build-demo-contracts.py
"""
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.evm import compile_contracts  # noqa: E402

NAMES = ["TestToken", "MockPoolLogic", "MockVotingLockup", "MockCurvePool", "MockCryptoPool",
         "MockGovernor"]
SOURCES = [REPO / "contracts/test/ListenerEmitters.sol", REPO / "contracts/test/TestToken.sol"]


def build() -> dict:
    art = compile_contracts(SOURCES)
    return {"format": "epochdrop-demo-contracts-v1",
            "sources": [p.relative_to(REPO).as_posix() for p in SOURCES],
            "contracts": {n: {"abi": art[n]["abi"], "bytecode": art[n]["bytecode"]} for n in NAMES}}


if __name__ == "__main__":
    out = REPO / "pipeline/demo/contracts.json"
    out.write_text(json.dumps(build(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {out.relative_to(REPO)}")

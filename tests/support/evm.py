"""Real EVM for tests: anvil (npm @foundry-rs/anvil) on 127.0.0.1, contracts compiled
with npm solc. Shared by the claim-contract, listener and publish tests.

    with Anvil() as node:
        w3 = node.w3
        art = compile_contracts([REPO / "contracts/Foo.sol"])["Foo"]
        foo = deploy(w3, art, arg1, arg2)
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import time
from pathlib import Path

from web3 import Web3

REPO = Path(__file__).resolve().parents[2]
NODE_MODULES = REPO / "node_modules"
ANVIL = NODE_MODULES / ".bin" / "anvil"
CACHE = REPO / ".cache" / "solc"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def compile_contracts(paths: list[Path]) -> dict[str, dict]:
    """Compile with npm solc; cached by source hash so a test run compiles once."""
    paths = [Path(p).resolve() for p in paths]
    h = hashlib.sha256()
    for p in paths:
        h.update(p.name.encode() + b"\0" + p.read_bytes())
    CACHE.mkdir(parents=True, exist_ok=True)
    cached = CACHE / f"{h.hexdigest()[:24]}.json"
    if cached.exists():
        return json.loads(cached.read_text())
    req = {"sources": {p.name: str(p) for p in paths}}
    proc = subprocess.run(["node", str(REPO / "tests/support/solc_compile.js")],
                          input=json.dumps(req), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"solc failed:\n{proc.stderr}")
    tmp = cached.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(proc.stdout)
    os.replace(tmp, cached)
    return json.loads(proc.stdout)


class Anvil:
    """An anvil node on a free loopback port, started and stopped by the test."""

    def __init__(self, *extra_args: str, block_time: int | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.args = [str(ANVIL), "--host", "127.0.0.1", "--port", str(self.port),
                     "--silent", *extra_args]
        if block_time is not None:
            self.args += ["--block-time", str(block_time)]
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> "Anvil":
        self.proc = subprocess.Popen(self.args, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        self.w3 = Web3(Web3.HTTPProvider(self.url, request_kwargs={"timeout": 30}))
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                if self.w3.is_connected():
                    break
            except Exception:
                pass
            time.sleep(0.05)
        else:
            self.__exit__(None, None, None)
            raise RuntimeError("anvil did not start")
        self.accounts = self.w3.eth.accounts
        self.w3.eth.default_account = self.accounts[0]
        return self

    def rpc(self, method: str, params: list | None = None):
        resp = self.w3.provider.make_request(method, params or [])
        if "error" in resp:
            raise RuntimeError(resp["error"])
        return resp["result"]

    def mine(self, blocks: int = 1) -> None:
        self.rpc("anvil_mine", [hex(blocks)])

    def __exit__(self, *exc) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            self.proc = None


def deploy(w3: Web3, artifact: dict, *args, sender: str | None = None):
    """Deploy a compiled contract and return a web3 contract bound to its address."""
    factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    tx = factory.constructor(*args).transact({"from": sender or w3.eth.default_account})
    receipt = w3.eth.wait_for_transaction_receipt(tx)
    return w3.eth.contract(address=receipt.contractAddress, abi=artifact["abi"])

"""Acceptance 8: bad input → one clear line, non-zero exit, the store untouched."""

from __future__ import annotations

import pytest

from epochdrop.fsio import hash_tree
from tests.support.evm import REPO, Anvil, compile_contracts, deploy, free_port
from tests.support.indexer import run_cli

pytestmark = pytest.mark.xdist_group("evm_listener_errors")


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    with Anvil() as node:
        art = compile_contracts([REPO / "contracts/test/TestToken.sol"])["TestToken"]
        tok = deploy(node.w3, art, "T", "T", 18)
        for i in range(5):
            tok.functions.mint(node.accounts[1], 10 + i).transact()
        store = tmp_path_factory.mktemp("err") / "store"
        proc = run_cli("index", "erc20_transfers", "--rpc", node.url, "--store", str(store),
                       "--contracts", tok.address)
        assert proc.returncode == 0, proc.stderr
        yield node, tok, store


def _fails(store, *args, code=2):
    before = hash_tree(store)
    proc = run_cli(*args)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == code, proc.stderr
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert hash_tree(store) == before          # not one byte of the store changed
    return lines[0]


def test_unreachable_rpc(chain, tmp_path):
    node, tok, store = chain
    url = f"http://127.0.0.1:{free_port()}"
    line = _fails(store, "index", "erc20_transfers", "--rpc", url, "--store", str(store),
                  "--contracts", tok.address, code=1)
    assert f"cannot reach {url}" in line and "gave up after" in line
    fresh = tmp_path / "fresh"
    _fails(tmp_path, "index", "erc20_transfers", "--rpc", url, "--store", str(fresh), code=1)
    assert not fresh.exists()


def test_wrong_chain_id_against_the_store(chain):
    node, tok, store = chain
    with Anvil("--chain-id", "999") as other:
        line = _fails(store, "index", "erc20_transfers", "--rpc", other.url, "--store", str(store))
    assert "serves chain 999" in line and "holds chain 31337" in line and "--new-chain" in line


def test_unknown_dataset(chain):
    node, tok, store = chain
    line = _fails(store, "index", "erc20_transfer", "--rpc", node.url, "--store", str(store))
    assert "unknown dataset 'erc20_transfer'" in line and "erc20_transfers" in line


def test_address_that_is_not_a_contract(chain):
    node, tok, store = chain
    eoa = node.accounts[3]
    line = _fails(store, "index", "erc20_transfers", "--rpc", node.url, "--store", str(store),
                  "--contracts", f"{tok.address},{eoa}")
    assert f"--contracts {eoa}: no contract code" in line
    line = _fails(store, "index", "erc20_transfers", "--rpc", node.url, "--store", str(store),
                  "--contracts", "0x1234")
    assert "is not an address" in line


def test_from_after_to(chain):
    node, tok, store = chain
    line = _fails(store, "index", "erc20_transfers", "--rpc", node.url, "--store", str(store),
                  "--from", "9", "--to", "3")
    assert line == "error: --from 9 is after --to 3"
    line = _fails(store, "index", "erc20_transfers", "--rpc", node.url, "--store", str(store),
                  "--from", "100000", "--to", "latest")
    assert "--from 100000 is after --to latest" in line

"""The indexer's public API (indexer/api.py): the rest of epochdrop indexes through it, never
through the indexer's private names (`indexer.cli._run`, `embedded._CHAIN`, ...)."""

from __future__ import annotations

import ast

import pytest

from epochdrop.errors import UserError
from indexer import api
from tests.support.evm import REPO

OUTSIDE = ["distributor", "epochdrop", "bench", "scripts"]


def _private_uses(path) -> list[str]:
    """`from indexer.x import _name` and `indexer_module._name` attribute reads in one file."""
    tree = ast.parse(path.read_text(), str(path))
    modules = set()          # local names bound to indexer modules
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "indexer":
            for a in node.names:
                if a.name.startswith("_"):
                    found.append(f"{path.relative_to(REPO)}:{node.lineno} {node.module}.{a.name}")
                modules.add(a.asname or a.name)
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == "indexer":
                    modules.add(a.asname or a.name.split(".")[0])
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and isinstance(node.value, ast.Name) and node.value.id in modules):
            found.append(f"{path.relative_to(REPO)}:{node.lineno} {node.value.id}.{node.attr}")
    return found


def test_nothing_outside_the_indexer_uses_its_private_names() -> None:
    found = [u for top in OUTSIDE for p in sorted((REPO / top).rglob("*.py"))
             for u in _private_uses(p)]
    assert found == []


def test_default_confirmations_per_decision_d10() -> None:
    assert api.default_confirmations(31337) == 0           # anvil / hardhat
    assert api.default_confirmations(0x776562337079) == 0  # the embedded chain
    assert api.default_confirmations(1) == 64


def test_checksum_contracts_sorts_dedupes_and_rejects_bad_addresses() -> None:
    a = "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"
    b = "0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359"
    assert api.checksum_contracts([f"{b},{a}", a.upper().replace("0X", "0x")]) == [
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"]
    with pytest.raises(UserError, match="not an address"):
        api.checksum_contracts(["0x1234"])


def test_embedded_chain_live_creates_no_chain(monkeypatch) -> None:
    from indexer.evm import embedded

    monkeypatch.setattr(embedded, "_CHAIN", None)
    assert api.embedded_chain_live() is False
    assert embedded.current_chain() is None

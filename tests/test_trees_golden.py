"""Golden output folders written by version 1 (STYLE 6, after OpenZeppelin merkle-tree's
test/dumps): every later version must still check, answer `tree proof` from, and rebuild
the same root from them. A format change that breaks one of these needs a new format name."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from epochdrop.folder import read_manifest
from tests.trees_support import run_cli

GOLDEN = Path(__file__).parent / "golden" / "trees"
FOLDERS = sorted(p.name for p in GOLDEN.iterdir() if p.is_dir())


def test_golden_folders_present():
    assert FOLDERS == ["oz-v1", "packed-v1", "solana-v1", "uniswap-v1"]


@pytest.mark.parametrize("name", FOLDERS)
def test_golden_folder_still_checks_and_rebuilds(tmp_path, name):
    folder = tmp_path / name  # a copy: run reports are written beside the folder
    shutil.copytree(GOLDEN / name, folder)
    run_cli("tree", "check", folder)
    man = json.loads((folder / "manifest.json").read_text())
    assert man["format"] == "epochdrop-manifest-v1"
    src = GOLDEN / ("claims_solana.csv" if man["scheme"] == "solana" else "claims.csv")
    first = (src.read_text().splitlines()[1]).split(",")[0]
    claim = json.loads(run_cli("tree", "proof", folder, first).stdout)
    assert claim["format"] == "epochdrop-claim-v1" and claim["root"] == man["root"]
    recorded = [x for k in ("chain_id", "epoch", "token", "program") if man.get(k) is not None
                for x in (f"--{k.replace('_', '-')}", man[k])]
    run_cli("tree", "build", src, "--scheme", man["scheme"], "--out", tmp_path / "again", *recorded)
    again = read_manifest(tmp_path / "again")  # written as v2; the v1 folder reads as v2 too
    assert again.root == man["root"] == read_manifest(folder).root
    assert again.format == "epochdrop-manifest-v2"
    assert again.label == (man["epoch"] or "again") and read_manifest(folder).label == (man["epoch"] or name)
    for rel in man["outputs"]:  # the formats themselves have not drifted
        assert (tmp_path / "again" / rel).read_bytes() == (folder / rel).read_bytes(), rel

"""Nothing silent (issue 20, item 3): an epoch whose window holds no input row stops with one
line (exit 2) — covered case by case in tests/test_bad_input_catalogue.py — unless the user
says an empty epoch is intended (`--allow-empty`); then it is written and its manifest says
so (`scoring.empty`), and `verify` rebuilds it the same way."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pipeline.cli import main

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


def _cli(argv, capsys) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exc:
        main([str(a) for a in argv])
    return exc.value.code, capsys.readouterr().err


def test_allow_empty_writes_the_epoch_and_says_so(tmp_path, capsys):
    data = tmp_path / "curve"
    shutil.copytree(SAMPLES / "curve", data)
    argv = ["score", "curve", "--data", data, "--epoch", "2024-01-04", "--out", tmp_path / "e"]
    code, err = _cli(argv, capsys)
    assert code == 2 and "--allow-empty" in err and not (tmp_path / "e").exists()
    code, err = _cli(argv + ["--allow-empty"], capsys)
    assert code == 0, err
    m = json.loads((tmp_path / "e" / "manifest.json").read_text())
    assert m["scoring"]["empty"] is True and m["scoring"]["accounts"] == 0
    code, err = _cli(["score", "curve", "--data", data, "--epoch", "2023-01-05", "--out",
                      tmp_path / "full"], capsys)
    assert code == 0, err
    full = json.loads((tmp_path / "full" / "manifest.json").read_text())
    assert full["scoring"]["empty"] is False and full["scoring"]["accounts"] > 0

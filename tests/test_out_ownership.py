"""Output folders are ours or untouched (issue 20, DECISIONS D28), through the real commands.

Each refused `--out` is left exactly as it was (same entries, same bytes, same mode); a
folder epochdrop wrote is replaced as before; a `--store` that is not a store is refused.
The same cases for every command are in tests/test_bad_input_catalogue.py; here the rule is
also checked at its source (epochdrop/fsio.py) and the positive side is shown.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from epochdrop.errors import UserError
from epochdrop.fsio import atomic_dir, check_out, check_store
from pipeline.cli import main

A = "0x1111111111111111111111111111111111111111"


def _state(root: Path) -> dict:
    out = {}
    for p in sorted(root.rglob("*")):
        st = p.lstat()
        out[p.relative_to(root).as_posix()] = (stat.S_IMODE(st.st_mode),
                                               p.read_bytes() if p.is_file() else None)
    return out


def _cli(argv, capsys) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    return exc.value.code, capsys.readouterr().err


@pytest.fixture
def place(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "claims.csv").write_text(f"account,amount\n{A},5\n")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "notes.txt").write_text("mine\n")
    (tmp_path / "file.csv").write_text("a,b\n1,2\n")
    (tmp_path / "ro").mkdir()
    (tmp_path / "ro" / "x").write_text("x")
    (tmp_path / "ro").chmod(0o555)
    yield tmp_path
    (tmp_path / "ro").chmod(0o755)


@pytest.mark.parametrize("out,why", [
    ("notes", "did not write (notes.txt)"),
    ("file.csv", "is a file"),
    (".", "working directory"),
    ("in", "did not write (claims.csv)"),       # the parent of the input
    ("file.csv/sub", "file.csv is a file"),
    ("ro", "read-only"),
    ("ro/new", "not writable"),
])
def test_refused_out_is_left_as_it_was(place, capsys, out, why):
    before = _state(place)
    code, err = _cli(["tree", "build", "in/claims.csv", "--scheme", "oz", "--out", out], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert err.startswith("error: --out ") and why in err
    assert _state(place) == before
    with pytest.raises(UserError):
        check_out(place / out)
    with pytest.raises(UserError):           # the helper every writer goes through
        with atomic_dir(place / out):
            raise AssertionError("never reached")
    assert _state(place) == before


def test_a_folder_epochdrop_wrote_is_replaced(place, capsys):
    code, err = _cli(["tree", "build", "in/claims.csv", "--scheme", "oz", "--out", "t"], capsys)
    assert code == 0, err
    first = json.loads((place / "t" / "manifest.json").read_text())
    (place / "in" / "claims.csv").write_text(f"account,amount\n{A},7\n")
    code, err = _cli(["tree", "build", "in/claims.csv", "--scheme", "oz", "--out", "t"], capsys)
    assert code == 0, err
    second = json.loads((place / "t" / "manifest.json").read_text())
    assert first["tree"]["root"] != second["tree"]["root"]
    assert not [p for p in place.iterdir() if p.name.startswith((".tmp-", ".old-"))]


def test_an_empty_folder_is_used(place, capsys):
    (place / "empty").mkdir()
    code, err = _cli(["tree", "build", "in/claims.csv", "--scheme", "oz", "--out", "empty"],
                     capsys)
    assert code == 0, err
    assert (place / "empty" / "manifest.json").is_file()


def test_a_manifest_of_another_tool_does_not_count(place):
    (place / "other").mkdir()
    (place / "other" / "manifest.json").write_text('{"format": "someone-else"}')
    with pytest.raises(UserError, match="did not write"):
        check_out(place / "other")


def test_store_rule(place):
    with pytest.raises(UserError, match="not an epochdrop store"):
        check_store(place / "notes")
    with pytest.raises(UserError, match="is a file"):
        check_store(place / "file.csv")
    (place / "st" / "_state").mkdir(parents=True)
    (place / "st" / "curve_swaps").mkdir()
    assert check_store(place / "st") == place / "st"
    assert check_store(place / "new") == place / "new"
    assert not (place / "new").exists()
    home = Path(os.path.expanduser("~"))
    with pytest.raises(UserError, match="home folder"):
        check_store(home)

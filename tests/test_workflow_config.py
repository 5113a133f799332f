"""Bad configs given to `run` (and `whatif`): one clear line on stderr, exit 2, nothing written.

Each case is a real config file a user could write; the output root is a fresh folder that
must still not exist afterwards (no output, no run report, no empty folder).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.workflow import REPO, cli

SAMPLES = REPO / "data" / "samples"


def config(tmp: Path, program: str, body: str = "", data: str | None = None) -> Path:
    data = data or str(SAMPLES / program)
    path = tmp / "cfg.toml"
    path.write_text(f'program = "{program}"\n{body}\n[sources]\ndata = "{data}"\n'
                    f'output = "{tmp / "out" / "nested"}"\n')
    return path


CASES = {
    # name: (program, extra TOML, epoch, what the one line must say)
    "unknown program": ("dhedgee", "", "2024-01", "unknown program 'dhedgee'"),
    "mistyped key": ("dhedge", "[params]\ndenominater = 9\n", "2024-01", "params.denominater: unknown key"),
    "unknown [tree] key": ("dhedge", "[tree]\nsheme = \"oz\"\n", "2024-01", "tree.sheme: unknown key"),
    "out of range": ("dhedge", "[params]\ndenominator = 0\n", "2024-01", "params.denominator"),
    "bad choice": ("curve", "[params]\nutilization = \"weekly\"\n", "2024-01-04", "params.utilization"),
    "epoch outside schedule": ("jet", "", "49", "49 epochs"),
    "epoch not a label": ("curve", "", "2024-01-05", "Thursday"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_config_exits_2_and_writes_nothing(tmp_path: Path, name: str) -> None:
    program, body, epoch, says = CASES[name]
    cfg = config(tmp_path, program if program in ("dhedge", "jet", "curve") else "dhedge", body)
    if program not in ("dhedge", "jet", "curve"):
        cfg.write_text(cfg.read_text().replace('program = "dhedge"', f'program = "{program}"'))
    r = cli("run", cfg, "--epoch", epoch)
    assert r.returncode == 2, (r.stdout, r.stderr)
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    assert says in lines[0], lines[0]
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "out").exists(), sorted(p.name for p in tmp_path.rglob("*"))


def test_missing_input_table_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    for f in (SAMPLES / "dhedge").iterdir():
        if f.name != "dhedge_vdht.csv":
            (data / f.name).write_bytes(f.read_bytes())
    cfg = config(tmp_path, "dhedge", data=str(data))
    r = cli("run", cfg, "--epoch", "2024-01")
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1 and "dhedge_vdht" in r.stderr, r.stderr
    assert not (tmp_path / "out").exists()


def test_bad_input_value_found_while_scoring_leaves_nothing(tmp_path: Path) -> None:
    """A value error deep in an input (found while loading, not while planning) is still a
    user error: exit 2 naming file/row/field, and not even a run report is left."""
    data = tmp_path / "data"
    data.mkdir()
    for f in (SAMPLES / "dhedge").iterdir():
        text = f.read_text()
        if f.name == "dhedge_vdht.csv":
            head, first, *rest = text.splitlines()
            cells = first.split(",")
            cells[-1] = "1.2.3"        # not a number at all
            text = "\n".join([head, ",".join(cells), *rest]) + "\n"
        (data / f.name).write_text(text)
    r = cli("run", config(tmp_path, "dhedge", data=str(data)), "--epoch", "2024-01")
    assert r.returncode == 2, r.stderr
    assert "dhedge_vdht.csv, row 1, field 'vdht'" in r.stderr, r.stderr
    assert not (tmp_path / "out").exists()


def test_whatif_unknown_parameter_exits_2(tmp_path: Path) -> None:
    cfg = config(tmp_path, "dhedge")
    r = cli("whatif", "dhedge", "--config", cfg, "--epoch", "2024-01", "--vary",
            "denomnator=12,9", "--out", tmp_path / "out" / "w")
    assert r.returncode == 2 and "--vary denomnator: not a parameter" in r.stderr, r.stderr
    assert not (tmp_path / "out").exists()

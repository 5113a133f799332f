"""The bad-input catalogue (issue 20, acceptance 1): every command, every way a new user got
it wrong, through the real `epochdrop` entry point (pipeline.cli.main).

Each case asserts: the exit code (2 = change your input, 1 = failure; DECISIONS D22),
exactly one line on stderr that names the file/row/field or the flag at fault, no
`Traceback`, no new file or folder anywhere in the sandbox (the working directory of the
call, which holds every input and every --out/--store), and every file that was there
byte-identical afterwards.

The sandbox is built once per module (a tree folder, a scored epoch, a store, CSV folders
with one defect each) and shared: a case that changed it fails itself.
"""

from __future__ import annotations

import csv
import os
import shutil
import socket
import stat
from pathlib import Path

import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

from pipeline.cli import main

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "data" / "samples"
A = ["0x1111111111111111111111111111111111111111", "0x2222222222222222222222222222222222222222",
     "0x3333333333333333333333333333333333333333"]
CURVE_WEEK = "2023-01-05"


def _write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows([header, *rows])


def _edit_cell(path: Path, row: int, col: str, fn) -> None:
    """Replace data row `row` (1-based) column `col` of a CSV by fn(old)."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    i = rows[0].index(col)
    rows[row][i] = fn(rows[row][i])
    with open(path, "w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    s = tmp_path_factory.mktemp("catalogue")
    cwd = os.getcwd()
    os.chdir(s)
    try:
        yield _build(s)
    finally:
        os.chdir(cwd)
        ro = s / "ro"
        if ro.exists():
            ro.chmod(0o755)


def _build(s: Path) -> Path:
    (s / "notes.txt").write_text("my notes\n")
    (s / "userdir").mkdir()
    (s / "userdir" / "notes.txt").write_text("keep me\n")
    (s / "ro").mkdir()
    (s / "ro").chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP)
    (s / "empty.csv").write_text("")

    claims = s / "in" / "claims.csv"
    _write_csv(claims, ["account", "amount"], [[A[0], "100"], [A[1], "250"], [A[2], "7"]])
    _write_csv(s / "bad" / "negative.csv", ["account", "amount"], [[A[0], "100"], [A[1], "-5"]])
    _write_csv(s / "bad" / "truncated.csv", ["account", "amount"], [[A[0], "1"], [A[1][:-1], "2"]])
    _write_csv(s / "bad" / "float.csv", ["account", "amount"], [[A[0], "1e18"]])
    _write_csv(s / "bad" / "dup.csv", ["account", "amount"], [[A[0], "1"], [A[0].upper().replace("0X", "0x"), "2"]])
    _write_csv(s / "bad" / "noamount.csv", ["account", "value"], [[A[0], "1"]])
    _write_csv(s / "bad" / "header_only.csv", ["account", "amount"], [])

    for name in ("curve", "curve_neg", "curve_trunc", "curve_badday"):
        shutil.copytree(SAMPLES / "curve", s / name)
    _edit_cell(s / "curve_neg" / "curve_swaps.csv", 2, "tokens_sold", lambda v: "-" + v)
    _edit_cell(s / "curve_trunc" / "curve_swaps.csv", 3, "pool", lambda v: v[:-1])
    _edit_cell(s / "curve_badday" / "curve_liquidity.csv", 4, "balance", lambda v: "-1")
    shutil.copytree(SAMPLES / "dhedge", s / "dhedge")
    # a store holding curve_swaps of two chains (as two listeners would write it)
    swaps = pcsv.read_csv(SAMPLES / "curve" / "curve_swaps.csv")
    for chain in ("1", "31337"):
        part = s / "twochains" / "curve_swaps" / f"chain={chain}"
        part.mkdir(parents=True)
        pq.write_table(swaps, part / "curve_swaps__000000000000_to_000000000099.parquet")
    for t in ("curve_coins", "curve_liquidity"):
        shutil.copy(SAMPLES / "curve" / f"{t}.csv", s / "twochains" / f"{t}.csv")
    (s / "twochains" / "_state").mkdir()

    cfg = s / "curve.toml"
    cfg.write_text(f'program = "curve"\n[params]\ndaily_budget = "1000"\n'
                   f'[sources]\ndata = "curve"\nepoch = "{CURVE_WEEK}"\noutput = "runs"\n')
    (s / "curve_unknown.toml").write_text('program = "curve"\n[params]\nbudgit = "1"\n')
    (s / "curve_rpc.toml").write_text('program = "curve"\n[sources]\ndata = "curve"\n'
                                      f'epoch = "{CURVE_WEEK}"\n')
    (s / "dhedge_rpc.toml").write_text('program = "dhedge"\n[sources]\nrpc = "ftp://node"\n'
                                       'contracts = { pools = ["' + A[0] + '"], lockup = "'
                                       + A[1] + '" }\n')
    (s / "store" / "_state").mkdir(parents=True)

    import subprocess
    import sys

    # the folders other commands read: built once, by the real CLI
    for argv in (["tree", "build", str(claims), "--scheme", "packed", "--out", str(s / "tree"),
                  "--chain-id", "31337", "--token", A[2], "--program", "demo", "--epoch", "1"],
                 ["run", str(cfg)]):
        p = subprocess.run([sys.executable, "-m", "pipeline.cli", *argv], cwd=s,
                           env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True,
                           text=True, timeout=600)
        assert p.returncode == 0, p.stderr
    return s


def _busy_port() -> socket.socket:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    return s


BUSY = _busy_port()
CLOSED = socket.socket()
CLOSED.bind(("127.0.0.1", 0))
CLOSED_PORT = CLOSED.getsockname()[1]   # bound, never listening: connections are refused

TREE = ["tree", "build", "in/claims.csv", "--scheme", "oz"]
SCORE = ["score", "curve", "--data", "curve", "--epoch", CURVE_WEEK]
RUN = ["run", "curve.toml"]
IMPORT = ["import", "dhedge_eligible_pools"]
INDEX = ["index", "erc20_transfers", "--store", "store", "--retries", "1"]
WHATIF = ["whatif", "curve", "--config", "curve.toml"]
RPC_DOWN = f"http://127.0.0.1:{CLOSED_PORT}"
ADDR = A[0]

# (id, argv, exit code, substrings the one stderr line must contain)
CASES = [
    # ---- tree build: --out ownership (D28) and input rows -----------------------------
    ("tree-out-user-folder", TREE + ["--out", "userdir"], 2, ["--out", "userdir", "notes.txt"]),
    ("tree-out-file", TREE + ["--out", "notes.txt"], 2, ["--out", "notes.txt", "file"]),
    ("tree-out-dot", TREE + ["--out", "."], 2, ["--out", "working directory"]),
    ("tree-out-input-parent", TREE + ["--out", "in"], 2, ["--out", "claims.csv"]),
    ("tree-out-under-file", TREE + ["--out", "notes.txt/sub"], 2, ["--out", "notes.txt", "file"]),
    ("tree-out-read-only", TREE + ["--out", "ro"], 2, ["--out", "read-only"]),
    ("tree-out-in-read-only", TREE + ["--out", "ro/new"], 2, ["--out", "not writable"]),
    ("tree-out-home", TREE + ["--out", "~"], 2, ["--out", "home"]),
    ("tree-out-root", TREE + ["--out", "/"], 2, ["--out", "root"]),
    ("tree-out-cwd-parent", TREE + ["--out", ".."], 2, ["--out", "parent of the working"]),
    ("tree-negative", ["tree", "build", "bad/negative.csv", "--scheme", "oz", "--out", "t"], 2,
     ["negative.csv", "row 2", "amount"]),
    ("tree-truncated-address", ["tree", "build", "bad/truncated.csv", "--scheme", "oz", "--out",
                                "t"], 2, ["truncated.csv", "row 2", "account"]),
    ("tree-float-amount", ["tree", "build", "bad/float.csv", "--scheme", "oz", "--out", "t"], 2,
     ["float.csv", "row 1", "amount"]),
    ("tree-duplicate", ["tree", "build", "bad/dup.csv", "--scheme", "oz", "--out", "t"], 2,
     ["dup.csv", "row 2"]),
    ("tree-missing-column", ["tree", "build", "bad/noamount.csv", "--scheme", "oz", "--out",
                             "t"], 2, ["noamount.csv", "amount"]),
    ("tree-header-only", ["tree", "build", "bad/header_only.csv", "--scheme", "oz", "--out",
                          "t"], 2, ["header_only.csv"]),
    ("tree-empty-file", ["tree", "build", "empty.csv", "--scheme", "oz", "--out", "t"], 2,
     ["empty.csv"]),
    ("tree-missing-input", ["tree", "build", "nope.csv", "--scheme", "oz", "--out", "t"], 2,
     ["nope.csv"]),
    ("tree-bad-scheme", ["tree", "build", "in/claims.csv", "--scheme", "zz", "--out", "t"], 2,
     ["scheme 'zz'"]),
    ("tree-no-scheme", ["tree", "build", "in/claims.csv", "--out", "t"], 2, ["--scheme"]),
    ("tree-bad-leaf", TREE + ["--leaf", "bytes99", "--out", "t"], 2, ["leaf"]),
    ("tree-unknown-flag", TREE + ["--bogus", "--out", "t"], 2, ["--bogus"]),
    # ---- score ----------------------------------------------------------------------------
    ("score-out-user-folder", SCORE + ["--out", "userdir"], 2, ["--out", "userdir"]),
    ("score-out-file", SCORE + ["--out", "notes.txt"], 2, ["--out", "notes.txt"]),
    ("score-out-dot", SCORE + ["--out", "."], 2, ["--out", "working directory"]),
    ("score-out-under-file", SCORE + ["--out", "notes.txt/x"], 2, ["--out", "notes.txt"]),
    ("score-out-read-only", SCORE + ["--out", "ro"], 2, ["--out", "read-only"]),
    ("score-negative-tokens-sold", ["score", "curve", "--data", "curve_neg", "--epoch",
                                    CURVE_WEEK, "--out", "o"], 2,
     ["curve_swaps.csv", "row 2", "tokens_sold", "≥ 0"]),
    ("score-truncated-pool", ["score", "curve", "--data", "curve_trunc", "--epoch", CURVE_WEEK,
                              "--out", "o"], 2, ["curve_swaps.csv", "row 3", "'pool'"]),
    ("score-negative-balance", ["score", "curve", "--data", "curve_badday", "--epoch",
                                CURVE_WEEK, "--out", "o"], 2,
     ["curve_liquidity.csv", "row 4", "balance"]),
    ("score-epoch-outside-data", ["score", "curve", "--data", "curve", "--epoch", "2024-01-04",
                                  "--out", "o"], 2, ["--epoch 2024-01-04", "no input row"]),
    ("score-empty-window-dhedge", ["score", "dhedge", "--data", "dhedge", "--epoch", "2023-06",
                                   "--out", "o"], 2, ["--epoch 2023-06", "--allow-empty"]),
    ("score-epoch-not-thursday", ["score", "curve", "--data", "curve", "--epoch", "2023-01-06",
                                  "--out", "o"], 2, ["--epoch"]),
    ("score-data-missing", ["score", "curve", "--data", "nodata", "--epoch", CURVE_WEEK, "--out",
                            "o"], 2, ["nodata"]),
    ("score-data-is-file", ["score", "curve", "--data", "notes.txt", "--epoch", CURVE_WEEK,
                            "--out", "o"], 2, ["notes.txt"]),
    ("score-two-chains", ["score", "curve", "--data", "twochains", "--epoch", CURVE_WEEK,
                          "--out", "o"], 2, ["chains 1, 31337", "--chain"]),
    ("score-chain-not-in-store", ["score", "curve", "--data", "twochains", "--epoch", CURVE_WEEK,
                                  "--chain", "5", "--out", "o"], 2, ["chain 5"]),
    ("score-unknown-program", ["score", "nosuch", "--data", "curve", "--epoch", "1", "--out",
                               "o"], 2, ["nosuch"]),
    ("score-config-unknown-key", SCORE + ["--config", "curve_unknown.toml", "--out", "o"], 2,
     ["curve_unknown.toml", "budgit"]),
    ("score-config-missing", SCORE + ["--config", "nope.toml", "--out", "o"], 2, ["nope.toml"]),
    ("score-threads-zero", SCORE + ["--threads", "0", "--out", "o"], 2, ["--threads"]),
    # ---- run ------------------------------------------------------------------------------
    ("run-out-user-folder", RUN + ["--out", "userdir"], 2, ["--out", "userdir"]),
    ("run-out-under-file", RUN + ["--out", "notes.txt/e"], 2, ["--out", "notes.txt"]),
    ("run-out-dot", RUN + ["--out", "."], 2, ["--out", "working directory"]),
    ("run-epoch-outside-data", RUN + ["--epoch", "2024-01-04", "--out", "o"], 2,
     ["--epoch 2024-01-04", "no input row"]),
    ("run-negative-input", RUN + ["--data", "curve_neg", "--out", "o"], 2,
     ["curve_swaps.csv", "row 2", "tokens_sold"]),
    ("run-config-missing", ["run", "nope.toml"], 2, ["nope.toml"]),
    ("run-config-unknown-key", ["run", "curve_unknown.toml", "--epoch", CURVE_WEEK, "--out",
                                "o"], 2, ["budgit"]),
    ("run-two-chains", RUN + ["--data", "twochains", "--out", "o"], 2, ["chains 1, 31337"]),
    # ---- import ---------------------------------------------------------------------------
    ("import-store-not-a-store", IMPORT + ["in/claims.csv", "--store", "userdir"], 2,
     ["--store", "userdir"]),
    ("import-store-is-file", IMPORT + ["in/claims.csv", "--store", "notes.txt"], 2,
     ["--store", "notes.txt"]),
    ("import-store-under-file", IMPORT + ["in/claims.csv", "--store", "notes.txt/s"], 2,
     ["--store", "notes.txt"]),
    ("import-wrong-columns", IMPORT + ["in/claims.csv", "--store", "store"], 2,
     ["claims.csv"]),
    ("import-missing-file", IMPORT + ["nope.csv", "--store", "store"], 2, ["nope.csv"]),
    ("import-unknown-dataset", ["import", "nosuch", "in/claims.csv", "--store", "store"], 2,
     ["nosuch"]),
    ("import-empty-file", IMPORT + ["empty.csv", "--store", "store"], 2, ["empty.csv"]),
    # ---- index ----------------------------------------------------------------------------
    ("index-from-after-to", INDEX + ["--rpc", RPC_DOWN, "--from", "10", "--to", "5"], 2,
     ["--from 10", "--to 5"]),
    ("index-bad-from", INDEX + ["--rpc", RPC_DOWN, "--from", "ten"], 2, ["--from"]),
    ("index-bad-contract", INDEX + ["--rpc", RPC_DOWN, "--contracts", "0x1234"], 2,
     ["--contracts"]),
    ("index-unknown-dataset", ["index", "nosuch", "--rpc", RPC_DOWN, "--store", "store"], 2,
     ["nosuch"]),
    ("index-rpc-not-a-url", INDEX + ["--rpc", "ftp://node"], 2, ["--rpc"]),
    ("index-store-not-a-store", ["index", "erc20_transfers", "--rpc", RPC_DOWN, "--store",
                                 "userdir"], 2, ["--store", "userdir"]),
    ("index-store-is-file", ["index", "erc20_transfers", "--rpc", RPC_DOWN, "--store",
                             "notes.txt"], 2, ["--store", "notes.txt"]),
    ("index-rpc-down", INDEX + ["--rpc", RPC_DOWN], 1, [RPC_DOWN]),
    ("index-negative-confirmations", INDEX + ["--rpc", RPC_DOWN, "--confirmations", "-1"], 2,
     ["--confirmations"]),
    # ---- index-config ---------------------------------------------------------------------
    ("index-config-no-rpc", ["index-config", "curve_rpc.toml", "--store", "store"], 2,
     ["rpc"]),
    ("index-config-missing", ["index-config", "nope.toml"], 2, ["nope.toml"]),
    ("index-config-store-not-a-store", ["index-config", "dhedge_rpc.toml", "--store",
                                        "userdir"], 2, ["--store", "userdir"]),
    ("index-config-rpc-not-a-url", ["index-config", "dhedge_rpc.toml", "--store", "store"], 2,
     ["rpc", "ftp://node"]),
    # ---- verify ---------------------------------------------------------------------------
    ("verify-not-an-output", ["verify", "userdir"], 2, ["userdir", "manifest"]),
    ("verify-missing-folder", ["verify", "nowhere"], 2, ["nowhere"]),
    ("verify-rpc-not-a-url", ["verify", f"runs/{CURVE_WEEK}", "--rpc", "ftp://node"], 2,
     ["ftp://node"]),
    ("verify-negative-input", ["verify", f"runs/{CURVE_WEEK}", "--data", "curve_neg"], 2,
     ["curve_swaps.csv", "row 2", "tokens_sold"]),
    ("verify-config-missing", ["verify", f"runs/{CURVE_WEEK}", "--data", "curve", "--config",
                               "nope.toml"], 2, ["nope.toml"]),
    # ---- whatif ---------------------------------------------------------------------------
    ("whatif-vary-out-of-range", WHATIF + ["--vary", "rounding=dust,nearest", "--out", "w"], 2,
     ["--vary rounding=nearest"]),
    ("whatif-vary-negative-budget", WHATIF + ["--vary", "daily_budget=-5", "--out", "w"], 2,
     ["--vary daily_budget=-5"]),
    ("whatif-vary-unknown", WHATIF + ["--vary", "nosuch=1,2", "--out", "w"], 2,
     ["--vary nosuch"]),
    ("whatif-vary-malformed", WHATIF + ["--vary", "budget", "--out", "w"], 2, ["--vary"]),
    ("whatif-out-user-folder", WHATIF + ["--vary", "daily_budget=1,2", "--out", "userdir"], 2,
     ["--out", "userdir"]),
    ("whatif-out-file", WHATIF + ["--vary", "daily_budget=1,2", "--out", "notes.txt"], 2,
     ["--out", "notes.txt"]),
    ("whatif-epoch-outside-data", WHATIF + ["--vary", "daily_budget=1,2", "--epoch", "2024-01-04",
                                            "--out", "w"], 2, ["--epoch 2024-01-04"]),
    # ---- serve ----------------------------------------------------------------------------
    ("serve-busy-port", ["serve", "tree", "--port", str(BUSY.getsockname()[1])], 2,
     ["--port", "in use"]),
    ("serve-bad-host", ["serve", "tree", "--host", "no.such.host.invalid", "--port", "0"], 2,
     ["--host"]),
    ("serve-rpc-not-a-url", ["serve", "tree", "--rpc", "embedded", "--contract",
                             f"demo={ADDR}"], 2, ["--rpc", "embedded"]),
    ("serve-bad-port", ["serve", "tree", "--port", "http"], 2, ["--port"]),
    # ---- export-static ----------------------------------------------------------------------
    ("export-out-user-folder", ["export-static", "tree", "--out", "userdir"], 2,
     ["--out", "userdir"]),
    ("export-out-file", ["export-static", "tree", "--out", "notes.txt"], 2,
     ["--out", "notes.txt"]),
    ("export-out-dot", ["export-static", "tree", "--out", "."], 2,
     ["--out", "working directory"]),
    ("export-out-under-file", ["export-static", "tree", "--out", "notes.txt/site"], 2,
     ["--out", "notes.txt"]),
    # ---- publish ----------------------------------------------------------------------------
    ("publish-rpc-embedded", ["publish", "tree", "--contract", ADDR, "--rpc", "embedded"], 2,
     ["--rpc", "embedded"]),
    ("publish-rpc-no-scheme", ["publish", "tree", "--contract", ADDR, "--rpc", "127.0.0.1:8545"],
     2, ["--rpc"]),
    ("publish-bad-contract", ["publish", "tree", "--contract", "0x12", "--rpc", RPC_DOWN], 2,
     ["--contract"]),
    ("publish-not-an-output", ["publish", "userdir", "--contract", ADDR, "--rpc", RPC_DOWN], 2,
     ["userdir"]),
]


def _snapshot(root: Path) -> dict[str, bytes | None]:
    """Every path under `root` (folders as None, files with their bytes)."""
    out: dict[str, bytes | None] = {}
    for dirpath, dirs, files in os.walk(root):
        for d in dirs:
            out[os.path.relpath(os.path.join(dirpath, d), root)] = None
        for f in files:
            p = os.path.join(dirpath, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, root)] = fh.read()
    return out


def test_the_catalogue_is_big_enough() -> None:
    commands = {c[1][0] if c[1][0] != "tree" else "tree build" for c in CASES}
    assert len(CASES) >= 60
    assert commands >= {"tree build", "score", "run", "import", "index", "index-config",
                        "verify", "whatif", "serve", "export-static", "publish"}
    assert len({c[0] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("argv,code,needles", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input(sandbox: Path, argv: list[str], code: int, needles: list[str], capsys,
                   monkeypatch) -> None:
    monkeypatch.chdir(sandbox)
    monkeypatch.delenv("EPOCHDROP_DEBUG", raising=False)
    before = _snapshot(sandbox)
    with pytest.raises(SystemExit) as exc:
        main(list(argv))
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert "Traceback" not in captured.err + captured.out
    assert len(lines) == 1, captured.err
    line = lines[0]
    assert line.startswith("error: "), line
    for needle in needles:
        assert needle in line, f"{needle!r} not in {line!r}"
    assert exc.value.code == code, line
    after = _snapshot(sandbox)
    assert sorted(set(after) - set(before)) == [], "new files or folders"
    assert sorted(set(before) - set(after)) == [], "files or folders removed"
    changed = [k for k in before if before[k] != after[k]]
    assert changed == [], f"changed: {changed}"

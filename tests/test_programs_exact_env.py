"""Issue 15, property 4: payouts do not depend on the machine. Every program's sample epoch is
scored in-process with 1 DuckDB thread, and again by `epochdrop score` in a child process
with 2 threads, its rows shuffled, and the environment a numeric library or a locale reads
changed (OPENBLAS_*, OMP_NUM_THREADS, MKL_*, LC_ALL/LANG, TZ): rewards.parquet and
scores.parquet must be byte-identical."""

from __future__ import annotations

import csv
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from distributor.runner import score_epoch

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples"
EPOCHS = {"curve": "2023-01-05", "dhedge": "2022-03", "dydx": "1", "jet": "1",
          "jet_airdrop": "0", "mirror": "2022-01-03"}
ODD_ENV = {"OPENBLAS_NUM_THREADS": "3", "OPENBLAS_CORETYPE": "Haswell", "OMP_NUM_THREADS": "3",
           "MKL_NUM_THREADS": "3", "MKL_CBWR": "COMPATIBLE", "LC_ALL": "C", "LANG": "C",
           "LC_NUMERIC": "C", "TZ": "Pacific/Chatham"}


def _shuffled_copy(src: Path, dst: Path, seed: int) -> Path:
    shutil.copytree(src, dst)
    for f in dst.glob("*.csv"):
        rows = list(csv.reader(open(f, newline="")))
        body = rows[1:]
        random.Random(seed).shuffle(body)
        with open(f, "w", newline="") as fh:
            csv.writer(fh).writerows([rows[0]] + body)
    return dst


@pytest.mark.parametrize("program", sorted(EPOCHS))
def test_payouts_are_identical_across_threads_shuffles_and_environment(tmp_path, program):
    score_epoch(program, SAMPLES / program, EPOCHS[program], tmp_path / "a", threads=1)
    data = _shuffled_copy(SAMPLES / program, tmp_path / "shuffled", seed=15)
    env = {**os.environ, **ODD_ENV, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-m", "pipeline.cli", "score", program, "--data",
                        str(data), "--epoch", EPOCHS[program], "--out", str(tmp_path / "b"),
                        "--threads", "2"], capture_output=True, text=True, cwd=ROOT, env=env)
    assert r.returncode == 0, r.stderr
    for name in ("rewards.parquet", "scores.parquet", "rewards.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name

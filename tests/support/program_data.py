"""Small helpers for program tests: write canonical tables as CSV, score, read outputs."""

from __future__ import annotations

import csv
import random
from pathlib import Path
from typing import Any, Iterable

import pyarrow.parquet as pq


def write_table(folder: Path, table: str, header: list[str], rows: Iterable[Iterable[Any]],
                shuffle_seed: int | None = None) -> Path:
    rows = [list(r) for r in rows]
    if shuffle_seed is not None:
        random.Random(shuffle_seed).shuffle(rows)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{table}.csv"
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def write_config(path: Path, program: str, **params: Any) -> Path:
    lines = [f'program = "{program}"', "", "[params]"]
    for k, v in params.items():
        if isinstance(v, str):
            lines.append(f'{k} = "{v}"')
        elif isinstance(v, bool):
            lines.append(f"{k} = {'true' if v else 'false'}")
        elif isinstance(v, list):
            lines.append(f"{k} = [{', '.join(repr(x).replace(chr(39), chr(34)) for x in v)}]")
        else:
            lines.append(f"{k} = {v}")
    path.write_text("\n".join(lines) + "\n")
    return path


def rewards(out: Path) -> dict[str, int]:
    t = pq.read_table(out / "rewards.parquet")
    return {a: int(n) for a, n in zip(t.column("account").to_pylist(),
                                      t.column("amount").to_pylist())}


def scores(out: Path) -> list[dict[str, Any]]:
    return pq.read_table(out / "scores.parquet").to_pylist()

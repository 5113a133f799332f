"""Write report.html into an output folder from the folder's own files.

The report reads only what the folder (and its predecessor's rewards.parquet) holds, so it
shows exactly what was published, and `epochdrop report DIR` could redraw it at any time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from distributor.report.html import render
from epochdrop.fsio import atomic_write_bytes

REPORT = "report.html"


def write_report(folder: Path, fields: dict[str, Any], previous: Path | None) -> Path:
    rewards = pq.read_table(folder / "rewards.parquet")
    scores = pq.read_table(folder / "scores.parquet") if (folder / "scores.parquet").exists() else None
    prev = prev_label = None
    if previous is not None and (previous / "rewards.parquet").exists():
        prev = pq.read_table(previous / "rewards.parquet", columns=["account", "amount"])
        prev_label = previous.name
    page = render(fields, rewards, scores, prev, prev_label)
    atomic_write_bytes(folder / REPORT, page.encode())
    return folder / REPORT

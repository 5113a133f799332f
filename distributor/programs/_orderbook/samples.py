"""Per-minute sample instants of an epoch, as a small table the scoring SQL joins.

dYdX samples "minute-by-minute (using randomized sampling)" (dydxfoundation/
governance-documentation rewards/liquidity-provider-rewards.md). DECISIONS D15 fixes the
instant: minute start + int.from_bytes(sha256(f"{program}:{epoch}:{minute}")[:8]) % 60000 ms;
`minute_start` pins it to the minute start. Times are integer microseconds since the Unix
epoch so that counting instants in an interval is exact.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone

import numpy as np
import pyarrow as pa

MINUTE_US = 60_000_000


def offset_ms(program: str, epoch: int, minute: int) -> int:
    """D15's reproducible pseudo-random offset (ms) of the sample in `minute`."""
    digest = hashlib.sha256(f"{program}:{epoch}:{minute}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 60_000


def offsets_us(program: str, epoch: int, minutes: int, mode: str) -> np.ndarray:
    """Offset (µs) of the sample instant inside each minute of the epoch."""
    if mode == "minute_start":
        return np.zeros(minutes, dtype=np.int64)
    if mode != "random":
        raise ValueError(f"sample_offset {mode!r}")
    return np.array([offset_ms(program, epoch, m) * 1000 for m in range(minutes)],
                    dtype=np.int64)


def sample_table(program: str, epoch: int, minutes: int, mode: str, start_us: int = 0,
                 outages: list[tuple[int, int]] = ()) -> pa.Table:
    """`(minute, off_us, valid, n_before)` rows, one per minute of the epoch, for the SQL to
    join: a sample inside an outage window `[from_us, to_us)` is not a sample (valid =
    false; dYdX: "uptime excludes protocol outages"), n_before counts the valid samples of
    the earlier minutes, so the SQL counts samples in an interval exactly."""
    off = offsets_us(program, epoch, minutes, mode)
    instant = start_us + np.arange(minutes, dtype=np.int64) * MINUTE_US + off
    valid = np.ones(minutes, dtype=bool)
    for lo, hi in outages:
        valid &= ~((instant >= lo) & (instant < hi))
    before = np.concatenate([[0], np.cumsum(valid, dtype=np.int64)[:-1]]) if minutes else \
        np.zeros(0, dtype=np.int64)
    return pa.table({"minute": np.arange(minutes, dtype=np.int64), "off_us": off,
                     "valid": pa.array(valid), "n_before": before.astype(np.int64)})


def to_us(t: datetime) -> int:
    """A naive-UTC (or aware) datetime as integer microseconds since 1970-01-01 UTC."""
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    delta = t - datetime(1970, 1, 1, tzinfo=timezone.utc)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def minutes_in(start: datetime, end: datetime) -> int:
    """Whole minutes in the window [start, end) (one sample each)."""
    return (to_us(end) - to_us(start)) // MINUTE_US

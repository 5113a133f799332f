"""Shared pieces of the generators: the seeded RNG, exact decimals, ids, the order life cycle.

Randomness is numpy's PCG64 seeded from (seed, dataset name), so each dataset is reproducible
on its own. Prices and sizes are drawn as integer ticks and turned into DECIMAL(38, 18) by
DuckDB (integer × exact decimal literal), so no float ever reaches an amount column.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone

import duckdb
import numpy as np
import pyarrow as pa

from indexer.orderbook.schema import EVENT_SCHEMA, conform


def rng_for(seed: int, name: str) -> np.random.Generator:
    digest = hashlib.sha256(f"{seed}:{name}".encode()).digest()
    return np.random.Generator(np.random.PCG64(int.from_bytes(digest[:16], "big")))


def to_micros(dt: datetime) -> int:
    return int(dt.replace(tzinfo=dt.tzinfo or timezone.utc).timestamp()) * 1_000_000


def hex_ids(rng: np.random.Generator, n: int, nbytes: int) -> list[str]:
    raw = rng.integers(0, 256, size=(n, nbytes), dtype=np.uint8)
    return [r.tobytes().hex() for r in raw]


def order_life_cycles(rng: np.random.Generator, t_place: np.ndarray, t_max: int,
                      mean_life_us: float, p_cancel: float, p_fill: float):
    """Events of each order as parallel arrays (vectorised, no per-order Python).

    Each order is placed, then gets 0-3 partial fills; it ends cancelled (p_cancel), fully
    filled (p_fill) or stays open past the epoch end. Returns (order_idx, kind, time,
    permille) sorted by order then time, with kind 0 = placed, 1 = filled, 2 = cancelled;
    permille is a fill's share of the placed size, 1000 meaning "all that is left".
    """
    n = t_place.size
    life = rng.exponential(mean_life_us, n).astype(np.int64) + 1_000_000
    end = np.minimum(t_place + life, t_max)
    fate = rng.random(n)
    cancelled = fate < p_cancel
    full = (fate >= p_cancel) & (fate < p_cancel + p_fill)
    nfill = rng.integers(0, 4, n)
    nfill = np.where(full, np.maximum(nfill, 1), nfill)
    total = 1 + nfill + cancelled.astype(np.int64)
    idx = np.repeat(np.arange(n), total)
    first = np.cumsum(total) - total
    pos = np.arange(idx.size) - first[idx]
    is_cancel = cancelled[idx] & (pos == total[idx] - 1)
    kind = np.where(pos == 0, 0, np.where(is_cancel, 2, 1))
    time = t_place[idx] + (rng.random(idx.size) * (end - t_place)[idx]).astype(np.int64)
    time = np.where(kind == 0, t_place[idx], np.where(kind == 2, end[idx], time))
    order = np.lexsort((time, kind == 2, kind != 0, idx))
    idx, kind, time = idx[order], kind[order], time[order]
    nxt_kind = np.append(kind[1:], 0)
    last_fill = (kind == 1) & (nxt_kind != 1)
    permille = rng.integers(50, 250, idx.size)
    permille = np.where(last_fill & full[idx], 1000, permille)
    return idx, kind, time, permille


def fill_steps(size_steps: np.ndarray, idx: np.ndarray, kind: np.ndarray,
               permille: np.ndarray) -> np.ndarray:
    """Per event: placed size, fill size (floor share of the placed size, ≥ 1), or 0.

    A permille of 1000 fills what the earlier fills left, so such orders end at exactly 0.
    """
    placed = size_steps[idx]
    part = np.maximum(placed * permille // 1000, 1)
    part = np.where(kind == 1, part, 0)
    cs = np.cumsum(part)
    first = np.searchsorted(idx, idx, side="left")
    before = cs - part - (cs[first] - part[first])
    rest = np.maximum(placed - before, 1)
    fill = np.where(permille == 1000, rest, np.minimum(part, rest))
    return np.where(kind == 0, placed, np.where(kind == 1, fill, 0))


def decimals_sql(con: duckdb.DuckDBPyConnection, table: pa.Table, exprs: dict[str, str]) -> pa.Table:
    """Add exact DECIMAL(38,18) columns computed in DuckDB from integer columns of `table`."""
    con.register("_gen", table)
    cols = ", ".join(f"CAST({e} AS DECIMAL(38, 18)) AS {n}" for n, e in exprs.items())
    keep = ", ".join(c for c in table.column_names if c not in exprs)
    return con.sql(f"SELECT {keep}, {cols} FROM _gen").to_arrow_table()


def pow10_sql(col: str) -> str:
    """An exact DECIMAL(38,18) 10^-col for a small integer column (0..18)."""
    cases = " ".join(f"WHEN {k} THEN CAST('1e-{k}' AS DECIMAL(38, 18))" for k in range(19))
    return f"(CASE {col} {cases} END)"


def finish_events(table: pa.Table) -> pa.Table:
    """Conform to EVENT_SCHEMA and sort by the event order key, for byte-stable output."""
    t = conform(table, EVENT_SCHEMA)
    return t.sort_by([("block_time", "ascending"), ("signature", "ascending"),
                      ("event_index", "ascending")])

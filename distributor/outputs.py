"""The files `epochdrop score` writes: scores.parquet, rewards.parquet, rewards.csv, manifest.

The manifest is a `scores` folder's (epochdrop/folder: program, epoch, config, params,
inputs, scoring, token); `run` adds the tree and its own sections to the same model.

Byte-stable by construction (DECISIONS D2, D7, D21): rows sorted (rewards by account, scores
by pool then account), float columns rounded to 12 significant digits, amounts written as
decimal strings of base units (uint256 does not fit any Parquet integer; `tree build`
accepts decimal strings), fixed Parquet writer options, no timestamps.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from distributor.allocation import PoolAllocation, round_sig
from distributor.programs.spec import ScoreResult
from epochdrop.fsio import atomic_write_bytes
from epochdrop.folder import Manifest, Scoring, Token, write_manifest

SCORES = "scores.parquet"
REWARDS = "rewards.parquet"
REWARDS_CSV = "rewards.csv"


FORMATS = {SCORES: "epochdrop-scores-v1", REWARDS: "epochdrop-rewards-v1"}


def write_parquet(table: pa.Table, path: Path, fmt: str | None = None) -> None:
    """Fixed writer options; the file's format and version (`fmt`, or known by its name)
    in the schema metadata."""
    fmt = fmt or FORMATS.get(Path(path).name)
    if fmt:
        table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                               b"format": fmt.encode()})
    pq.write_table(table, path, compression="zstd", use_dictionary=False,
                   write_statistics=False, store_schema=True)


def rewards_table(allocs: dict[str, PoolAllocation]) -> pa.Table:
    """One row per paid account: account, amount (decimal string), share (float64)."""
    totals: dict[str, int] = {}
    for a in allocs.values():
        for acct, n in a.amounts.items():
            totals[acct] = totals.get(acct, 0) + n
    accounts = sorted(a for a, n in totals.items() if n > 0)
    grand = sum(totals[a] for a in accounts)
    return pa.table({
        "account": pa.array(accounts, pa.string()),
        "amount": pa.array([str(totals[a]) for a in accounts], pa.string()),
        "share": pa.array([round_sig(totals[a] / grand) for a in accounts], pa.float64()),
    })


def scores_table(result: ScoreResult, allocs: dict[str, PoolAllocation]) -> pa.Table:
    """The program's score table, sorted, rounded, with each row's payout and removal."""
    t = result.table
    t = t.sort_by([("pool", "ascending"), ("account", "ascending")])
    cols, names = [], []
    for name in t.column_names:
        col = t.column(name)
        if pa.types.is_floating(col.type):
            col = pa.array([round_sig(v) for v in col.to_pylist()], pa.float64())
        elif pa.types.is_decimal(col.type) and name in ("score", "cap"):
            col = pa.array([None if v is None else _dec_str(v) for v in col.to_pylist()],
                           pa.string())
        cols.append(col)
        names.append(name)
    pools = t.column("pool").to_pylist()
    accts = t.column("account").to_pylist()
    amount = [str(allocs[p].amounts.get(a, 0)) for p, a in zip(pools, accts)]
    removed = [allocs[p].removed.get(a) for p, a in zip(pools, accts)]
    cols += [pa.array(amount, pa.string()), pa.array(removed, pa.string())]
    names += ["amount", "removed"]
    return pa.Table.from_arrays(cols, names=names)


def _dec_str(v: Any) -> str:
    if isinstance(v, Decimal):
        return format(v.normalize(), "f") if v == v.to_integral_value() else format(v, "f")
    return str(v)


def rewards_csv(table: pa.Table) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["account", "amount", "share"])
    for acct, amount, share in zip(*(table.column(c).to_pylist()
                                     for c in ("account", "amount", "share"))):
        w.writerow([acct, amount, repr(share)])
    return buf.getvalue().encode()


def scoring_sections(fields: dict[str, Any], accounts: int,
                     token: Token | None = None) -> dict[str, Any]:
    """The manifest sections scoring decides, from `runner.manifest_fields` (a flat dict):
    program, epoch, config, params, inputs, scoring, token. Without a `[token]` section the
    token is the program's (symbol) with the params' decimals; with one, its values win
    where given."""
    totals = fields["totals"]
    decimals = (fields.get("params") or {}).get("decimals")
    base = Token(symbol=fields.get("token"), decimals=decimals)
    if token is not None:
        base = base.model_copy(update={k: v for k, v in token.model_dump().items()
                                       if v is not None})
    return {
        "program": fields["program"], "epoch": fields["epoch"], "config": fields.get("config"),
        "params": fields.get("params"), "inputs": fields.get("inputs") or [],
        "scoring": Scoring(accounts=accounts, pools=fields.get("pools") or [],
                           notes=fields.get("notes") or [], facts=fields.get("facts") or {},
                           empty=bool(fields.get("empty")),
                           **{k: str(totals[k]) for k in ("budget", "allocated", "dust",
                                                          "unpaid", "unallocated")}),
        "token": base,
    }


def write_outputs(folder: Path, result: ScoreResult, allocs: dict[str, PoolAllocation],
                  fields: dict[str, Any], token: Token | None = None) -> Manifest:
    """Write the scoring files and a `scores` manifest into `folder`; return the manifest."""
    rewards = rewards_table(allocs)
    write_parquet(scores_table(result, allocs), folder / SCORES)
    write_parquet(rewards, folder / REWARDS)
    atomic_write_bytes(folder / REWARDS_CSV, rewards_csv(rewards))
    manifest = Manifest(kind="scores", **scoring_sections(fields, rewards.num_rows, token))
    return write_manifest(folder, manifest)

"""`epochdrop sample orderbook --feed URL --store DIR [--maker M …] [--minutes N]`.

The recording is written as it goes (issue 20): every `--chunk-minutes` minute snapshots
(feed time, so a replay cuts the same chunks) the rows are written through the store as one
chunk covering those minutes, then a checkpoint (`_state/sampler/<key>.json`: lines of the
feed consumed, the open book, the next minute boundary) is written atomically. A killed
recording (SIGKILL, OOM) rerun with the same feed, makers and chain resumes from the
checkpoint: it asks the feed for the lines after the last consumed one and rebuilds nothing.
A crash between a chunk and its checkpoint replays those lines and rewrites the same chunk
(same name, same rows): no gap and no duplicate row.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import typer

from epochdrop.runreport import RunReport, runs_dir_for_store

sample_app = typer.Typer(help="Record order-book samples from a live feed.", no_args_is_help=True)


@sample_app.command("orderbook")
def orderbook_cmd(
    feed: str = typer.Option(..., "--feed", help="Feed of JSON lines (D13 schema): http(s):// "
                             "polled with ?offset=K, or ws(s):// websocket."),
    store: Path = typer.Option(Path("data/store"), "--store"),
    maker: list[str] = typer.Option(None, "--maker", help="Record only these makers (repeat)."),
    minutes: int = typer.Option(None, "--minutes", min=1, help="Stop after this many snapshots."),
    chain: str = typer.Option("dydx-v3", "--chain", help="Partition (venue) name."),
    interval: float = typer.Option(0.2, "--interval", min=0, help="Seconds between idle polls."),
    chunk_minutes: int = typer.Option(10, "--chunk-minutes", min=1, help="Write a chunk and a "
                                      "checkpoint every this many minute snapshots."),
) -> None:
    """Per-minute snapshots of the named makers' resting orders into `orderbook_samples`."""
    from epochdrop.fsio import check_store
    from epochdrop.urls import check_url
    from indexer.store import Store

    check_url(feed, "--feed", ("http", "https", "ws", "wss"))
    check_store(store)
    st = Store(store)
    with st.locked(), RunReport(runs_dir_for_store(store), "sample orderbook",
                                {"feed": feed, "makers": maker, "minutes": minutes}) as rep:
        done = record(st, feed, sorted(maker) if maker else None, minutes, chain, interval,
                      chunk_minutes)
        rep.done(done)
    resumed = f" (resumed after {done['resumed_at']} feed lines)" if done["resumed_at"] else ""
    typer.echo(f"recorded {done['rows']} order rows over {done['minutes']} minute snapshots "
               f"in {done['chunks']} chunk(s){resumed}")


def checkpoint_path(store: Path, feed: str, makers: list[str] | None, chain: str) -> Path:
    key = hashlib.sha256("\n".join([feed, chain, *(makers or ["*"])]).encode()).hexdigest()[:16]
    return Path(store) / "_state" / "sampler" / f"{key}.json"


def record(st, feed: str, makers: list[str] | None, minutes: int | None, chain: str,
           interval: float, chunk_minutes: int) -> dict:
    """Run (or resume) one recording into the locked store `st`; returns what it did."""
    import orjson

    from epochdrop.fsio import atomic_write_json
    from indexer.datasets import get as get_dataset
    from indexer.orderbook.sampler import BookSampler, feed_lines, parse_message

    ds = get_dataset("orderbook_samples")
    ck_path = checkpoint_path(st.root, feed, makers, chain)
    ck = orjson.loads(ck_path.read_bytes()) if ck_path.is_file() else None
    sampler = BookSampler(set(makers) if makers else None, minutes,
                          ck["sampler"] if ck else None)
    consumed = ck["offset"] if ck else 0
    resumed_at = consumed
    pending: list[dict] = []
    flushed_taken = sampler.taken
    first_minute = None        # the chunk's first minute boundary (unix minutes)
    out = {"rows": 0, "chunks": 0}

    def flush() -> None:
        nonlocal pending, flushed_taken, first_minute
        if sampler.taken > flushed_taken and pending:
            last_minute = int(sampler.nxt.timestamp()) // 60 - 1
            table = ds.table({c: [_stored(r[c]) for r in pending] for c in ds.column_names})
            st.write_chunk("orderbook_samples", chain, first_minute, last_minute, table,
                           tag="feed")
            out["rows"] += len(pending)
            out["chunks"] += 1
        atomic_write_json(ck_path, {"format": "epochdrop-sampler-checkpoint-v1", "feed": feed,
                                    "makers": makers, "chain": chain, "offset": consumed,
                                    "sampler": sampler.state()})
        pending, flushed_taken, first_minute = [], sampler.taken, None

    if not sampler.done:
        for i, line in enumerate(feed_lines(feed, interval=interval, start=consumed),
                                 start=consumed):
            before = sampler.nxt
            rows = sampler.push(parse_message(line, feed, i + 1))
            consumed = i + 1
            if first_minute is None and sampler.taken > flushed_taken:
                first_minute = int(before.timestamp()) // 60
            pending += rows
            if sampler.done or sampler.taken - flushed_taken >= chunk_minutes:
                flush()
            if sampler.done:
                break
    flush()
    return {**out, "minutes": sampler.taken, "resumed_at": resumed_at, "offset": consumed}


def _stored(v):
    from decimal import Decimal
    if isinstance(v, Decimal):
        s = format(v, "f")
        return s.rstrip("0").rstrip(".") if "." in s else s
    return v

"""`epochdrop sample orderbook --feed URL --store DIR [--maker M …] [--minutes N]`."""

from __future__ import annotations

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
    minutes: int = typer.Option(None, "--minutes", help="Stop after this many snapshots."),
    chain: str = typer.Option("dydx-v3", "--chain", help="Partition (venue) name."),
    interval: float = typer.Option(0.2, "--interval", help="Seconds between idle polls."),
) -> None:
    """Per-minute snapshots of the named makers' resting orders into `orderbook_samples`."""
    from indexer.datasets import get as get_dataset
    from indexer.orderbook.sampler import feed_lines, parse_message, sample
    from indexer.store import Store

    msgs = (parse_message(ln, feed, i + 1)
            for i, ln in enumerate(feed_lines(feed, interval=interval)))
    stats: dict = {}
    rows = sample(msgs, set(maker) if maker else None, minutes, stats)
    ds = get_dataset("orderbook_samples")
    table = ds.table({c: [_stored(r[c]) for r in rows] for c in ds.column_names})
    with RunReport(runs_dir_for_store(store), "sample orderbook",
                   {"feed": feed, "makers": maker, "minutes": minutes}) as rep:
        if rows:
            first = int(rows[0]["minute"].timestamp()) // 60
            last = int(rows[-1]["minute"].timestamp()) // 60
            with Store(store).locked() as st:
                st.write_chunk("orderbook_samples", chain, first, last, table, tag="feed")
        rep.done({"rows": len(rows)})
    n = len({r["minute"] for r in rows})
    typer.echo(f"recorded {len(rows)} order rows over {stats.get('minutes', 0)} minute snapshots "
               f"({n} with orders of the named makers)")


def _stored(v):
    from decimal import Decimal
    if isinstance(v, Decimal):
        s = format(v, "f")
        return s.rstrip("0").rstrip(".") if "." in s else s
    return v

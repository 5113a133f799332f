"""`epochdrop solana index|governance` — the Solana listeners from the command line."""

from __future__ import annotations

from pathlib import Path

import typer

from epochdrop.runreport import RunReport, runs_dir_for_store

solana_app = typer.Typer(help="Index Solana programs (Jet fixed-term events, spl-governance).",
                         no_args_is_help=True)
JET = "JBond79m9K6HqYwngCjiJHb311GTXggo46kGcT2GijUc"
GOVERNANCE = "GovER5Lthms3bLBqWub97yVrMmEogzX7xNjdXpPPCVZw"


@solana_app.command("index")
def index_cmd(
    rpc: str = typer.Option(..., "--rpc", help="Solana JSON-RPC URL."),
    program: str = typer.Option(JET, "--program", help="Jet fixed-term program id."),
    store: Path = typer.Option(Path("data/store"), "--store"),
    chain: str = typer.Option("solana-local", "--chain", help="solana-mainnet | solana-local (D9)."),
    to_slot: int = typer.Option(None, "--to-slot", help="Stop at this slot (inclusive)."),
    chunk_txs: int = typer.Option(500, "--chunk-txs", help="Transactions per chunk (whole slots)."),
    batch: int = typer.Option(50, "--batch", help="getTransaction calls per JSON-RPC batch."),
    concurrency: int = typer.Option(4, "--concurrency", help="Batches in flight."),
    timeout: float = typer.Option(5.0, "--timeout", help="Seconds per HTTP request."),
) -> None:
    """Index OrderPlaced/Filled/Removed/Cancelled and MarketInitialized into the store."""
    from indexer.solana.listener import index_program
    from indexer.solana.rpc import SolanaRpc

    from epochdrop.progress import progress

    client = SolanaRpc(rpc, timeout=timeout, batch=batch, concurrency=concurrency)
    with RunReport(runs_dir_for_store(store), "solana index",
                   {"rpc": rpc, "program": program, "chain": chain, "to_slot": to_slot}) as rep, \
            progress(transient=True) as bar:
        task = bar.add_task("transactions", total=None)

        def plan(p: dict) -> None:
            typer.echo(f"plan: {p['transactions']} transactions of {program} after slot "
                       f"{p['after_slot']} (slots {p['first_slot']}..{p['last_slot']}) "
                       f"→ clob_order_events, clob_markets in {store} (chain={chain})", err=True)
            bar.update(task, total=p["transactions"])

        def chunk(c: dict) -> None:
            rep.done(c)
            bar.advance(task, c["transactions"])

        res = index_program(client, program, store, chain=chain, to_slot=to_slot,
                            chunk_txs=chunk_txs, on_plan=plan, on_chunk=chunk)
        rep.done(res)
    client.close()
    typer.echo(f"indexed {res['transactions']} transactions: {res['events']} order events, "
               f"{res['markets']} markets, {res['chunks']} chunks; checkpoint at slot "
               f"{res['checkpoint_slot']}")


@solana_app.command("governance")
def governance_cmd(
    rpc: str = typer.Option(..., "--rpc"),
    realm: str = typer.Option(..., "--realm", help="The realm's pubkey."),
    program: str = typer.Option(GOVERNANCE, "--program", help="spl-governance program id."),
    store: Path = typer.Option(Path("data/store"), "--store"),
    chain: str = typer.Option("solana-local", "--chain"),
    decimals: int = typer.Option(9, "--decimals", help="Governing token decimals (JET: 9)."),
) -> None:
    """Snapshot a realm's proposals and vote records (VoteRecordV2) at the current slot."""
    from indexer.solana.gov_listener import index_realm
    from indexer.solana.rpc import SolanaRpc

    client = SolanaRpc(rpc)
    with RunReport(runs_dir_for_store(store), "solana governance",
                   {"rpc": rpc, "realm": realm, "program": program, "chain": chain}) as rep:
        res = index_realm(client, program, realm, store, chain=chain, decimals=decimals)
        rep.done(res)
    client.close()
    typer.echo(f"read {res['proposals']} proposals and {res['votes']} votes at slot {res['slot']}")

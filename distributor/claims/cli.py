"""`epochdrop serve`, `epochdrop export-static` and `epochdrop publish` (top-level commands)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from epochdrop.addresses import checksum
from epochdrop.errors import UserError

claims_app = typer.Typer(no_args_is_help=True)


def _contracts(pairs: list[str]) -> dict[str, str]:
    out = {}
    for p in pairs:
        program, sep, addr = p.partition("=")
        if not sep or not program:
            raise UserError(f"--contract {p!r}: use PROGRAM=0xADDRESS")
        out[program] = checksum(addr, field="--contract")
    return out


@claims_app.command("serve")
def serve(
    folders: List[Path] = typer.Argument(..., help="Output folders, or folders holding them."),
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="TCP port."),
    workers: int = typer.Option(1, min=1, help="Server processes (uvicorn workers)."),
    cors_origin: List[str] = typer.Option(["*"], "--cors-origin",
                                          help="Allowed browser origin(s); 'none' disables CORS."),
    rpc: Optional[str] = typer.Option(None, help="JSON-RPC URL for live `claimed` amounts."),
    contract: List[str] = typer.Option([], help="PROGRAM=ADDRESS of a cumulative distributor."),
    index_dir: Optional[Path] = typer.Option(None, help="Where claims indexes go (default: "
                                             ".epochdrop-index/ beside each folder)."),
) -> None:
    """Serve roots, amounts and proofs over HTTP (read-only; OpenAPI at /docs)."""
    from distributor.claims.server import run

    contracts = _contracts(contract)
    if contracts and not rpc:
        raise UserError("--contract needs --rpc to read claimed amounts")
    if rpc:
        from epochdrop.urls import check_url
        check_url(rpc, "--rpc")
    cors = [] if cors_origin == ["none"] else list(cors_origin)
    run(folders, host=host, port=port, workers=workers, cors=cors, rpc=rpc,
        contracts=contracts, index_dir=index_dir)


@claims_app.command("publish")
def publish(
    folder: Path = typer.Argument(..., help="The epoch's output folder."),
    contract: str = typer.Option(..., help="CumulativeMerkleDistributor address."),
    rpc: str = typer.Option(..., help="JSON-RPC URL of the manifest's chain."),
    send: bool = typer.Option(False, "--send", help="Sign and send (default: dry run)."),
    keystore: Optional[Path] = typer.Option(None, help="Encrypted keystore (v3 JSON); password "
                                            "from $EPOCHDROP_KEYSTORE_PASSWORD or a prompt. "
                                            "Default key: $EPOCHDROP_PRIVATE_KEY."),
    expiry: Optional[str] = typer.Option(None, help="Claim deadline (unix seconds or ISO "
                                         "date); default: the manifest's, else none."),
    decimals: Optional[int] = typer.Option(None, help="Confirm the token's decimals when the "
                                           "manifest records none."),
) -> None:
    """Check an epoch against the distributor contract and set its root (dry run unless --send)."""
    from distributor.claims import publish as pub
    from distributor.claims.keys import KEY_ENV, load_signer
    from epochdrop.runreport import RunReport, runs_dir_for_output

    args = {"folder": str(folder), "contract": contract, "rpc": pub.redact_url(rpc),
            "send": send, "keystore": str(keystore) if keystore else None, "expiry": expiry,
            "decimals": decimals}
    with RunReport(runs_dir_for_output(folder), "publish", args) as report:
        signer = load_signer(keystore)  # its errors never quote the key (keys.py)
        if send and signer is None:
            raise UserError(f"--send needs a key: set ${KEY_ENV} or pass --keystore")
        report.done({"sender": signer.address if signer else None})
        plan = pub.make_plan(folder, contract, rpc, signer=signer, expiry=expiry,
                             decimals=decimals)
        for line in pub.describe(plan):
            typer.echo(line)
        report.done({"checks": plan.checks, "root": plan.root, "expiry": plan.expiry})
        if not send:
            typer.echo("dry run: nothing sent; add --send to sign and send this transaction")
            return
        from web3 import Web3

        w3 = Web3(Web3.HTTPProvider(rpc, request_kwargs={"timeout": 30}))
        result = pub.send(plan, signer, w3)
        report.done(result)
        typer.echo(f"sent   {result['tx']} in block {result['block']} (gas {result['gas_used']}); "
                   f"the contract now holds root {result['root']}")


@claims_app.command("export-static")
def export_static_cmd(
    folders: List[Path] = typer.Argument(..., help="Output folders, or folders holding them."),
    out: Path = typer.Option(..., "--out", help="Site folder to write (replaced atomically)."),
) -> None:
    """Write the proof shards, per-epoch index.json and the claim page as a static site."""
    from distributor.claims.static import export_static
    from epochdrop.fsio import check_out
    from epochdrop.runreport import RunReport, runs_dir_for_output

    check_out(out)   # D28: refuse a folder that is not ours before any work

    with RunReport(runs_dir_for_output(out), "export-static",
                   {"folders": [str(f) for f in folders], "out": str(out)}) as report:
        done = export_static(folders, out)
        report.done(done)
    typer.echo(f"{done['epochs']} epoch(s) of {done['programs']} program(s), "
               f"{done['shard_files']} shard files -> {out} (open index.html?static=.)")

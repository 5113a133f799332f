"""`epochdrop serve`, `epochdrop export-static` and `epochdrop publish` (top-level commands)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from epochdrop.errors import UserError

claims_app = typer.Typer(no_args_is_help=True)


def _contracts(pairs: list[str]) -> dict[str, str]:
    from eth_utils import is_address, to_checksum_address

    out = {}
    for p in pairs:
        program, sep, addr = p.partition("=")
        if not sep or not program or not is_address(addr):
            raise UserError(f"--contract {p!r}: use PROGRAM=0xADDRESS")
        out[program] = to_checksum_address(addr)
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
    cors = [] if cors_origin == ["none"] else list(cors_origin)
    run(folders, host=host, port=port, workers=workers, cors=cors, rpc=rpc,
        contracts=contracts, index_dir=index_dir)

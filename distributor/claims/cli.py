"""`epochdrop serve`, `export-static`, `deploy` and `publish` (top-level commands)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from epochdrop.addresses import checksum
from epochdrop.errors import FailureError, UserError

claims_app = typer.Typer(no_args_is_help=True)


def _contracts(pairs: list[str]) -> dict[str, str]:
    out = {}
    for p in pairs:
        program, sep, addr = p.partition("=")
        if not sep or not program:
            raise UserError(f"--contract {p.removeprefix('*=')!r}: use PROGRAM=0xADDRESS")
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


@claims_app.command("deploy")
def deploy(
    token: str = typer.Option(..., help="The ERC-20 the distributor pays."),
    rpc: str = typer.Option(..., help="JSON-RPC URL of the chain to deploy on."),
    owner: Optional[str] = typer.Option(None, help="Who may set roots (e.g. a Safe); default: "
                                        "the key's address."),
    scheme: str = typer.Option("packed", help="Leaf format the roots will use: packed or oz."),
    send: bool = typer.Option(False, "--send", help="Sign and send (default: dry run). The "
                              "last line of stdout is then the address alone."),
    keystore: Optional[Path] = typer.Option(None, help="Encrypted keystore (v3 JSON); password "
                                            "from $EPOCHDROP_KEYSTORE_PASSWORD or a prompt. "
                                            "Default key: $EPOCHDROP_PRIVATE_KEY."),
) -> None:
    """Deploy the bundled CumulativeMerkleDistributor (dry run unless --send)."""
    from distributor.claims import deploy as dep
    from distributor.claims.keys import KEY_ENV, load_signer

    signer = load_signer(keystore)  # its errors never quote the key (keys.py)
    if send and signer is None:
        raise UserError(f"--send needs a key: set ${KEY_ENV} or pass --keystore")
    plan = dep.make_plan(token, rpc, signer=signer, owner=owner, scheme=scheme)
    for line in dep.describe(plan):
        typer.echo(line)
    if not send:
        typer.echo("dry run: nothing sent; add --send to sign and send this transaction")
        return
    result = dep.send(plan, signer, plan.w3)
    typer.echo(f"sent   {result['tx']} in block {result['block']} (gas {result['gas_used']})")
    typer.echo(result["address"])  # last line alone: ADDR=$(epochdrop deploy … --send | tail -1)


@claims_app.command("publish")
def publish(
    folder: Path = typer.Argument(..., help="The epoch's output folder."),
    contract: Optional[str] = typer.Option(None, help="CumulativeMerkleDistributor address "
                                           "(default: the manifest's [distributor] address)."),
    rpc: str = typer.Option(..., help="JSON-RPC URL of the manifest's chain."),
    send: bool = typer.Option(False, "--send", help="Sign and send (default: dry run)."),
    keystore: Optional[Path] = typer.Option(None, help="Encrypted keystore (v3 JSON); password "
                                            "from $EPOCHDROP_KEYSTORE_PASSWORD or a prompt. "
                                            "Default key: $EPOCHDROP_PRIVATE_KEY."),
    expiry: Optional[str] = typer.Option(None, help="Claim deadline (unix seconds or ISO "
                                         "date); default: the manifest's, else none."),
    decimals: Optional[int] = typer.Option(None, help="Confirm the token's decimals when the "
                                           "manifest records none."),
    safe: Optional[str] = typer.Option(None, help="The distributor's owner is this Safe: write "
                                       "a Transaction Builder batch; with --send execute it "
                                       "with owner keys from $EPOCHDROP_SAFE_OWNER_KEYS."),
    batch: Optional[Path] = typer.Option(None, help="Where --safe writes the batch JSON "
                                         "(default: ./safe-batch-<label>.json)."),
) -> None:
    """Check an epoch against the distributor contract and set its root (dry run unless --send)."""
    from distributor.claims import publish as pub
    from distributor.claims.chain import redact_url
    from distributor.claims.keys import KEY_ENV, SAFE_KEYS_ENV, load_safe_signers, load_signer
    from epochdrop.runreport import RunReport, runs_dir_for_output

    args = {"folder": str(folder), "contract": contract, "rpc": redact_url(rpc),
            "send": send, "keystore": str(keystore) if keystore else None, "expiry": expiry,
            "decimals": decimals, "safe": safe, "batch": str(batch) if batch else None}
    with RunReport(runs_dir_for_output(folder), "publish", args) as report:
        signer = load_signer(keystore)  # its errors never quote the key (keys.py)
        owners = load_safe_signers() if safe else []
        if send and safe and not owners:
            raise UserError(f"--safe --send needs the owners' keys in ${SAFE_KEYS_ENV} "
                            "(comma-separated)")
        if send and not safe and signer is None:
            raise UserError(f"--send needs a key: set ${KEY_ENV} or pass --keystore")
        report.done({"sender": signer.address if signer else None})
        plan = pub.make_plan(folder, contract, rpc, signer=None if safe else signer,
                             expiry=expiry, decimals=decimals, safe=safe)
        w3 = plan.w3
        for line in pub.describe(plan):
            typer.echo(line)
        report.done({"checks": plan.checks, "root": plan.root, "expiry": plan.expiry})
        if safe:
            from distributor.claims import safe as safe_mod

            path = batch or Path(f"safe-batch-{plan.facts.label}.json")
            data = pub.safe_batch(plan, w3)
            safe_mod.write_batch(path, data)
            typer.echo(f"batch  {path} (Safe{{Wallet}} > Apps > Transaction Builder > drag and "
                       f"drop; checksum {data['meta']['checksum']})")
            report.done({"batch": str(path)})
            if not send:
                typer.echo("dry run: nothing sent; owners can import the batch, or add --send "
                           f"with their keys in ${SAFE_KEYS_ENV}")
                return
            executor = signer or owners[0]
            result = safe_mod.execute(w3, plan.safe, json.loads(path.read_text()),
                                      str(path), owners, executor)
            root = pub.read_root(w3, plan.contract)
            if root != plan.root.lower():
                raise FailureError(f"after {result['tx']} the contract holds {root}, not {plan.root}")
            report.done(result)
            typer.echo(f"sent   {result['tx']} in block {result['block']} through Safe "
                       f"{plan.safe} ({len(result['signers'])} signatures); the contract now "
                       f"holds root {root}")
            return
        if not send:
            typer.echo("dry run: nothing sent; add --send to sign and send this transaction")
            return
        result = pub.send(plan, signer, w3)
        report.done(result)
        typer.echo(f"sent   {result['tx']} in block {result['block']} (gas {result['gas_used']}); "
                   f"the contract now holds root {result['root']}")


@claims_app.command("export-static")
def export_static_cmd(
    folders: List[Path] = typer.Argument(..., help="Output folders, or folders holding them."),
    out: Path = typer.Option(..., "--out", help="Site folder to write (replaced atomically)."),
    contract: List[str] = typer.Option([], help="The distributor the page claims through: "
                                       "ADDRESS (one program) or PROGRAM=ADDRESS; default: "
                                       "the manifest's [distributor]."),
    rpc: Optional[str] = typer.Option(None, help="Public read-only JSON-RPC URL the page reads "
                                      "claimed amounts from when no wallet is connected "
                                      "(written into the site)."),
) -> None:
    """Write the proof shards, per-epoch index.json and the claim page as a static site."""
    from distributor.claims.chain import redact_url
    from distributor.claims.static import export_static
    from epochdrop.fsio import check_out
    from epochdrop.runreport import RunReport, runs_dir_for_output
    from epochdrop.urls import check_url

    contracts = _contracts([c if "=" in c else f"*={c}" for c in contract])
    if rpc:
        check_url(rpc, "--rpc")  # it is written into the site: a bad one would fail there
    check_out(out)   # D28: refuse a folder that is not ours before any work

    with RunReport(runs_dir_for_output(out), "export-static",
                   {"folders": [str(f) for f in folders], "out": str(out),
                    "contract": contract, "rpc": redact_url(rpc) if rpc else None}) as report:
        done = export_static(folders, out, contracts=contracts, rpc=rpc)
        report.done(done)
    typer.echo(f"{done['epochs']} epoch(s) of {done['programs']} program(s), "
               f"{done['shard_files']} shard files -> {out}")
    typer.echo(f"serve it over HTTP (browsers refuse fetch() on file:// pages), e.g. "
               f"python3 -m http.server 8000 --bind 127.0.0.1 --directory {out}")

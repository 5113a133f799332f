"""`epochdrop export-static DIR… --out SITE`: the proof API as plain files, for any static
host or IPFS.

    SITE/index.html                      the reference claim page, marked to read this site
    SITE/programs.json                   = GET /v1/programs
    SITE/<program>/index.json            = GET /v1/programs/{program}
    SITE/<program>/<epoch>/index.json    = GET /v1/programs/{program}/epochs/{epoch}
    SITE/<program>/<epoch>/proofs/…      the folder's shards, byte for byte (issue 3 wrote
                                         them; their sha256 is checked against the manifest)

A shard entry is the bare claim of D6; the API's claim answer is that entry plus the epoch's
context fields from `index.json` (format, scheme, root, chain_id, token, program, epoch), and
the claim page merges them the same way. The whole site is built in a sibling temp folder
and swapped in (fsio.atomic_dir), so a host never serves half an export.

Folder names are the epochs' labels (D27). An epoch without a tree is listed with its
`index.json` and no shards. `--contract` (one address, or PROGRAM=ADDRESS each) names the
distributor the page reads claimed / claimable from and claims through, overriding the
manifest's `distributor`; `--rpc` adds a read-only JSON-RPC URL for visitors without a
wallet (it is published in the site's files: use a public endpoint, never one with a key).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from distributor.claims import render
from distributor.claims.epochs import load_catalog
from epochdrop.errors import UserError
from epochdrop.folder.proofs import SHARDS, shard_files
from epochdrop.fsio import atomic_dir

PAGE = Path(__file__).resolve().parent / "page" / "index.html"


def _safe(name: str) -> str:
    if not name or name in (".", "..") or "/" in name or "\\" in name:
        raise UserError(f"program or epoch name {name!r} cannot be a folder name on a static host")
    return name


SOURCE_API = b'<meta name="epochdrop-source" content="api">'
SOURCE_STATIC = b'<meta name="epochdrop-source" content="static">'


def page_for_site() -> bytes:
    """The claim page, marked to read the static files next to it (not the proof API)."""
    page = PAGE.read_bytes()
    if page.count(SOURCE_API) != 1:
        raise RuntimeError(f"{PAGE}: the epochdrop-source meta tag is missing")
    return page.replace(SOURCE_API, SOURCE_STATIC)


def _with_distributor(info: dict, contracts: dict[str, str], rpc: str | None) -> dict:
    """The epoch's public facts with the distributor `--contract`/`--rpc` name, if any."""
    addr = contracts.get(info["program"]) or contracts.get("*")
    dist = dict(info.get("distributor") or {})
    if addr:
        dist = {"address": addr, "chain_id": dist.get("chain_id") or info.get("chain_id")}
    if dist and rpc:
        dist["rpc"] = rpc
    return {**info, "distributor": dist or None}


def export_static(folders: list[Path], out: Path, *, contracts: dict[str, str] | None = None,
                  rpc: str | None = None) -> dict:
    contracts = contracts or {}
    catalog = load_catalog(folders, open_index=False, ensure=False)
    unknown = sorted(set(contracts) - set(catalog.programs) - {"*"})
    if unknown:
        raise UserError(f"--contract names program {unknown[0]!r}, which none of the folders "
                        f"holds (programs: {', '.join(sorted(catalog.programs))})")
    if "*" in contracts and len(catalog.programs) > 1:
        raise UserError(f"--contract {contracts['*']}: the folders hold "
                        f"{len(catalog.programs)} programs; give PROGRAM=ADDRESS for each")
    out = Path(out).resolve()
    for ep in catalog.all():
        if out == ep.folder or out in ep.folder.parents or ep.folder in out.parents:
            raise UserError(f"--out {out} overlaps the output folder {ep.folder} (whose bytes "
                            "its manifest covers); choose another place")
    files = 0
    with atomic_dir(out) as tmp:
        (tmp / "index.html").write_bytes(page_for_site())
        for program in sorted(catalog.programs):
            eps = catalog.epochs(program)
            pdir = tmp / _safe(program)
            for ep in eps:
                edir = pdir / _safe(ep.epoch)
                edir.mkdir(parents=True)
                if ep.has_tree:  # an epoch without a tree is listed, with no shards
                    (edir / SHARDS).mkdir()
                    for rel, f in shard_files(ep.folder, ep.manifest):  # sha256 checked
                        shutil.copyfile(f, edir / rel)
                        files += 1
                (edir / "index.json").write_bytes(render.dumps(
                    _with_distributor(ep.info(), contracts, rpc)))
            (pdir / "index.json").write_bytes(render.dumps(
                {"format": "epochdrop-program-v1", "program": program,
                 "epochs": [_with_distributor(e.info(), contracts, rpc) for e in eps]}))
        # the bytes of GET /v1/programs (api.py): one listing, Catalog.listing
        (tmp / "programs.json").write_bytes(render.dumps(catalog.listing()))
    return {"epochs": len(catalog.all()), "programs": len(catalog.programs), "shard_files": files}

"""`epochdrop export-static DIR… --out SITE`: the proof API as plain files, for any static
host or IPFS.

    SITE/index.html                      the reference claim page (reads ?static=URL)
    SITE/programs.json                   = GET /v1/programs
    SITE/<program>/index.json            = GET /v1/programs/{program}
    SITE/<program>/<epoch>/index.json    = GET /v1/programs/{program}/epochs/{epoch}
    SITE/<program>/<epoch>/proofs/…      the folder's shards, byte for byte (issue 3 wrote
                                         them; their sha256 is checked against the manifest)

A shard entry is the bare claim of D6; the API's claim answer is that entry plus the epoch's
context fields from `index.json` (format, scheme, root, chain_id, token, program, epoch), and
the claim page merges them the same way. The whole site is built in a sibling temp folder
and swapped in (fsio.atomic_dir), so a host never serves half an export.
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


def export_static(folders: list[Path], out: Path) -> dict:
    catalog = load_catalog(folders, open_index=False, ensure=False)
    out = Path(out).resolve()
    for ep in catalog.all():
        if out == ep.folder or out in ep.folder.parents or ep.folder in out.parents:
            raise UserError(f"--out {out} overlaps the output folder {ep.folder} (whose bytes "
                            "its manifest covers); choose another place")
    files = 0
    with atomic_dir(out) as tmp:
        shutil.copyfile(PAGE, tmp / "index.html")
        programs = []
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
                (edir / "index.json").write_bytes(render.dumps(ep.info()))
            (pdir / "index.json").write_bytes(render.dumps(
                {"format": "epochdrop-program-v1", "program": program,
                 "epochs": [e.info() for e in eps]}))
            programs.append({"program": program, "cumulative": eps[-1].cumulative,
                             "epochs": [e.epoch for e in eps], "latest": eps[-1].epoch})
        (tmp / "programs.json").write_bytes(render.dumps(
            {"format": "epochdrop-programs-v1", "programs": programs}))
    return {"epochs": len(catalog.all()), "programs": len(catalog.programs), "shard_files": files}

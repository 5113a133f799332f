"""The manifest every output folder carries: what went in, what came out, by hash.

Byte-stable on purpose (DECISIONS D7): no wall-clock time, no absolute path; inputs are
named relative to where they were given plus their sha256, outputs by relative path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from epochdrop import __version__
from epochdrop.fsio import atomic_write_json, hash_tree, sha256_file

MANIFEST = "manifest.json"
FORMAT = "epochdrop-manifest-v1"

# Files inside an output folder that are not covered by byte identity (D7) and so are
# hashed but not compared by `verify`.
NON_DETERMINISTIC = {"report.html"}


def input_entry(path: str | Path) -> dict[str, str]:
    p = Path(path)
    return {"name": p.name, "sha256": sha256_file(p)}


def write_manifest(folder: str | Path, fields: dict[str, Any],
                   outputs: dict[str, str] | None = None) -> dict[str, Any]:
    """Write `folder/manifest.json` from `fields` plus format, version and output hashes.

    `outputs` ({relative path: sha256}) may be given by a writer that hashed its files as it
    wrote them (saves re-reading gigabytes); it must then name every file in the folder."""
    folder = Path(folder)
    manifest = {"format": FORMAT, "tool_version": __version__, **fields}
    manifest["outputs"] = (dict(sorted(outputs.items())) if outputs is not None
                           else hash_tree(folder, exclude={MANIFEST}))
    atomic_write_json(folder / MANIFEST, manifest)
    return manifest


def read_manifest(folder: str | Path) -> dict[str, Any]:
    import json

    from epochdrop.errors import UserError

    path = Path(folder) / MANIFEST
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise UserError(f"{path}: no manifest here; is this an epochdrop output folder?") from None
    except (OSError, ValueError) as exc:
        raise UserError(f"{path}: unreadable manifest ({exc})") from None
    if data.get("format") != FORMAT:
        raise UserError(f"{path}: format {data.get('format')!r} is not {FORMAT!r}")
    return data

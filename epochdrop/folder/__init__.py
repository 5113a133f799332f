"""The epoch folder: its manifest (a typed model) and the one reader of its tree files.

Owner of every output folder's layout (docs/design.md §2): nothing else opens
`manifest.json`, `proofs.parquet`, the shards or the native file by name.
"""

from epochdrop.folder.manifest import (FORMAT, MANIFEST, NON_DETERMINISTIC, Distributor,
                                       EpochSection, FileHash, InputEntry, Manifest,
                                       PreviousTree, Scoring, Token, Tree, parse_manifest,
                                       read_manifest, write_manifest)
from epochdrop.folder.proofs import PROOFS, SHARDS, read_proofs

__all__ = ["FORMAT", "MANIFEST", "NON_DETERMINISTIC", "PROOFS", "SHARDS", "Distributor",
           "EpochSection", "FileHash", "InputEntry", "Manifest", "PreviousTree", "Scoring",
           "Token", "Tree", "parse_manifest", "read_manifest", "read_proofs", "write_manifest"]
